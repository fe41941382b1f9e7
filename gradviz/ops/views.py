"""More ways to look at a tensor without copying it: ``narrow`` (SliceBackward0), ``unbind``
(UnbindBackward0), ``movedim``/``moveaxis`` (PermuteBackward0), ``swapaxes``/``swapdims``
(TransposeBackward0), and the in-place shape changes ``unsqueeze_``/``squeeze_``/``t_``/
``transpose_`` of tensors that are not part of a graph.

PyTorch records one unbind node with an output per piece; gradviz records one node per piece
(as ``split`` does), each named as PyTorch names the shared one.
"""
from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..autograd.node import Node
from .base import normalize_dim, record
from .shape import _view_of, narrow_slice, permute, transpose


def narrow(input, dim: int, start, length: int):
    """``length`` entries of ``dim`` from ``start`` on (a view)."""
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    size = arr.shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start = start % size if size and start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return narrow_slice(input, d, slice(start, start + length), force=True)


class UnbindBackward0(Node):
    __slots__ = ()
    rule = "d piece/da: the piece's gradient at its index along dim, zeros elsewhere"

    def backward(self, g):
        shape, dim, index = self.saved("self_sizes"), self.saved("dim"), self.saved("index")
        out = np.zeros(shape, dtype=g.dtype)
        where = [slice(None)] * len(shape)
        where[dim] = index
        out[tuple(where)] = g
        return (out,)


def unbind(input, dim: int = 0) -> tuple:
    """The slices along ``dim``, each without that dim (views)."""
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    pieces = []
    for i in range(arr.shape[d]):
        where = [slice(None)] * arr.ndim
        where[d] = i
        where.append(Ellipsis)  # keeps a 0-d piece a view (all ints would give a numpy copy)
        pieces.append(_view_of(record(UnbindBackward0, arr[tuple(where)], (input,),
                                      self_sizes=arr.shape, dim=d, index=i), input))
    return tuple(pieces)


def _dims(value) -> list:
    return [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]


def movedim(input, source, destination):
    """``source`` dims moved to ``destination`` positions, the others keeping their order."""
    n = input._array.ndim
    src, dst = _dims(source), _dims(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [normalize_dim(d, n) for d in src]
    dst = [normalize_dim(d, n) for d in dst]
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({_dims(source)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({_dims(destination)})")
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    return permute(input, *[d if d is not None else next(rest) for d in order])


def swapaxes(input, axis0: int, axis1: int):
    """numpy's name for ``transpose(input, axis0, axis1)``."""
    return transpose(input, axis0, axis1)


def _reshape_in_place(self, name: str, new_array):
    """Give ``self`` the shape of ``new_array`` (a view of its data). Only outside a graph:
    PyTorch's error for a leaf that requires grad; a tensor inside a graph is refused, since
    gradviz records no in-place shape change."""
    from .inplace import check_leaf

    check_leaf(self)
    if is_grad_enabled() and self._requires_grad:
        raise NotImplementedError(
            f"gradviz records no in-place shape change of a tensor in a graph: use "
            f"x = x.{name[:-1]}(...) instead of x.{name}(...)")
    self._array = new_array
    return self


def unsqueeze_(self, dim: int):
    arr = self._array
    return _reshape_in_place(self, "unsqueeze_", np.expand_dims(arr, normalize_dim(dim, arr.ndim + 1)))


def squeeze_(self, dim=None):
    arr = self._array
    if dim is None:
        return _reshape_in_place(self, "squeeze_", arr.reshape([s for s in arr.shape if s != 1]))
    dims = [normalize_dim(d, arr.ndim) for d in _dims(dim)] if arr.ndim else []
    keep = [s for i, s in enumerate(arr.shape) if not (i in dims and s == 1)]
    return _reshape_in_place(self, "squeeze_", arr.reshape(keep))


def transpose_(self, dim0: int, dim1: int):
    arr = self._array
    if arr.ndim == 0:
        return _reshape_in_place(self, "transpose_", arr)
    return _reshape_in_place(self, "transpose_", np.swapaxes(
        arr, normalize_dim(dim0, arr.ndim), normalize_dim(dim1, arr.ndim)))


def t_(self):
    if self._array.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self._array.ndim}D")
    return transpose_(self, 0, -1) if self._array.ndim == 2 else _reshape_in_place(self, "t_", self._array)


def install_methods(tensor_cls) -> None:
    """The method forms: ``x.narrow(...)``, ``x.unbind()``, ``x.unsqueeze_(0)``, ..."""
    for name, fn in {"narrow": narrow, "unbind": unbind, "movedim": movedim, "moveaxis": movedim,
                     "swapaxes": swapaxes, "swapdims": swapaxes, "unsqueeze_": unsqueeze_,
                     "squeeze_": squeeze_, "transpose_": transpose_, "t_": t_}.items():
        setattr(tensor_cls, name, fn)
