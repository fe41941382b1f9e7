"""Ops that pick or place elements by an index tensor along a dim: ``gather`` (and
``take_along_dim``), ``index_select``, ``masked_select``, ``scatter``, ``scatter_add`` and
``index_add``. Picking scatters the gradient back (summed where an element was picked twice);
placing gathers it from where the values went.
"""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import normalize_dim, record


def _size(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _int_index(index, what: str) -> np.ndarray:
    from ..tensor import Tensor

    arr = index._array if isinstance(index, Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index")
    return arr.astype(np.int64, copy=False)


def _along(index: np.ndarray, dim: int) -> tuple:
    """A numpy index that picks, for every position of ``index``, the element along ``dim`` it
    names (the other coordinates are the position's own)."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _check_gather_shapes(what, self_shape, index_shape, dim, src_shape=None) -> None:
    if len(index_shape) != len(self_shape) and index_shape != () and self_shape != ():
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d, n in enumerate(index_shape):
        if d != dim and d < len(self_shape) and n > self_shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {_size(index_shape)} to be no "
                f"larger than self {_size(self_shape)} apart from dimension {dim}")
        if src_shape is not None and d < len(src_shape) and n > src_shape[d]:
            raise RuntimeError(
                f"Expected index {_size(index_shape)} to be no larger than self {_size(self_shape)} "
                f"apart from dimension {dim} and to be no larger size than src {_size(src_shape)}")


def _check_bounds(index: np.ndarray, size: int, dim: int) -> None:
    # (Unlike x[i], gather and scatter take no negative positions.)
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index[(index < 0) | (index >= size)].flat[0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


# --- gather --------------------------------------------------------------------------------------
class GatherBackward0(Node):
    __slots__ = ()
    rule = "gather picks elements by index: each one's gradient goes back to where it was picked"

    def backward(self, g):
        out = np.zeros(self.saved("self_sym_sizes"), dtype=g.dtype)
        np.add.at(out, _along(self.saved("index"), self.saved("dim")), g)
        return (out,)


def gather(input, dim, index, *, sparse_grad=False):
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    idx = _int_index(index, "gather")
    _check_gather_shapes("gather", arr.shape, idx.shape, d)
    if arr.ndim == 0:
        _check_bounds(idx, 1, d)
        return record(GatherBackward0, np.broadcast_to(arr, idx.shape).copy(), (input,),
                      self_sym_sizes=arr.shape, dim=0, index=np.zeros_like(idx))
    _check_bounds(idx, arr.shape[d], d)
    out = arr[_along(idx, d)]
    return record(GatherBackward0, np.ascontiguousarray(out), (input,), self_sym_sizes=arr.shape,
                  dim=d, index=idx)


def take_along_dim(input, indices, dim=None):
    """``gather`` with PyTorch's broadcasting of ``input`` and ``indices`` (over the flattened
    input when ``dim`` is None)."""
    from ..tensor import Tensor
    from .shape import expand, reshape

    idx = _int_index(indices, "gather")
    if dim is None:
        flat = reshape(input, (-1,))
        return gather(flat, 0, Tensor._make(idx.reshape(-1)))
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    if idx.ndim != arr.ndim:
        raise RuntimeError(
            f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {arr.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    in_shape = list(np.broadcast_shapes(tuple(s for k, s in enumerate(arr.shape) if k != d),
                                        tuple(s for k, s in enumerate(idx.shape) if k != d)))
    x_shape = tuple(in_shape[:d] + [arr.shape[d]] + in_shape[d:])
    i_shape = tuple(in_shape[:d] + [idx.shape[d]] + in_shape[d:])
    x = expand(input, x_shape)  # PyTorch records the expand even when nothing is broadcast
    return gather(x, d, Tensor._make(np.broadcast_to(idx, i_shape)))


# --- index_select and masked_select -------------------------------------------------------------
class IndexSelectBackward0(Node):
    __slots__ = ()
    rule = "index_select picks slices: each one's gradient is added back to the slice it came from"

    def backward(self, g):
        out = np.zeros(self.saved("self_sym_sizes"), dtype=g.dtype)
        d = self.saved("dim")
        np.add.at(np.moveaxis(out, d, 0), self.saved("index"), np.moveaxis(g, d, 0))
        return (out,)


def index_select(input, dim, index):
    arr = input._array
    idx = _int_index(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    d = normalize_dim(dim, arr.ndim)
    size = arr.shape[d] if arr.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise IndexError("index out of range in self")
    out = np.take(arr, idx, axis=d) if arr.ndim else np.broadcast_to(arr, idx.shape).copy()
    return record(IndexSelectBackward0, out, (input,), self_sym_sizes=arr.shape, dim=d if arr.ndim else 0,
                  index=idx)


class MaskedSelectBackward0(Node):
    __slots__ = ()
    rule = "masked_select keeps the elements where the mask is True: they get their gradient back"

    def backward(self, g):
        mask = self.saved("mask")
        out = np.zeros(mask.shape, dtype=g.dtype)
        out[mask] = g
        return (out,)  # the engine sums a broadcast input back to its shape


def masked_select(input, mask):
    from ..tensor import Tensor

    m = mask._array if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    from .base import check_broadcast

    check_broadcast(input._array, m)
    shape = np.broadcast_shapes(input._array.shape, m.shape)
    mb = np.broadcast_to(m, shape)
    out = np.broadcast_to(input._array, shape)[mb]
    return record(MaskedSelectBackward0, out, (input,), mask=mb)


# --- scatter, scatter_add, index_add ----------------------------------------------------------------
def _src_grad(node, g_at, src_shape):
    """The gradient of ``src``: the incoming gradient where it was written. PyTorch gives it the
    index's shape, and refuses a src larger than the index at backward; so does gradviz."""
    if g_at.shape != tuple(src_shape):
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index 1 - got {_size(g_at.shape)} "
            f"but expected shape compatible with {_size(src_shape)}")
    return g_at


def _src_part(src_shape, index_shape) -> tuple:
    """The leading block of ``src`` that an index of ``index_shape`` uses."""
    return tuple(slice(0, n) for n in index_shape) + (slice(None),) * (len(src_shape) - len(index_shape))


class ScatterBackward0(Node):
    __slots__ = ()
    rule = ("scatter wrote src at the indexed places: their gradient goes to src, the rest to "
            "the old tensor")

    def backward(self, g):
        at = _along(self.saved("index"), self.saved("dim"))
        g_self = np.array(g, copy=True)
        g_self[at] = 0
        g_src = _src_grad(self, g[at], self.saved("src_sizes")) if self.needs(1) else None
        return (g_self, g_src)


class ScatterBackward1(Node):
    """scatter with a number: the overwritten places get no gradient."""

    __slots__ = ()
    rule = "scatter wrote a number at the indexed places: they pass no gradient back"

    def backward(self, g):
        g_self = np.array(g, copy=True)
        g_self[_along(self.saved("index"), self.saved("dim"))] = 0
        return (g_self,)


class ScatterAddBackward0(Node):
    __slots__ = ()
    rule = "scatter_add added src at the indexed places: the gradient passes to both unchanged"

    def backward(self, g):
        g_src = None
        if self.needs(1):
            g_src = _src_grad(self, g[_along(self.saved("index"), self.saved("dim"))], self.saved("src_sizes"))
        return (g, g_src)


class IndexAddBackward0(Node):
    __slots__ = ()
    rule = "index_add added source slices: the gradient passes to the tensor, and to each slice"

    def backward(self, g):
        g_source = None
        if self.needs(1):
            g_source = np.take(g, self.saved("index"), axis=self.saved("dim")) * self.saved("alpha")
        return (g, g_source)


def _scatter_prepare(input, dim, index, what):
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    idx = _int_index(index, what)
    return arr, d, idx


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    from ..tensor import Tensor

    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported by gradviz; use scatter_add")
    if src is None:
        src = value
    arr, d, idx = _scatter_prepare(input, dim, index, "scatter")
    if isinstance(src, Tensor):
        _check_gather_shapes("scatter", arr.shape, idx.shape, d, src._array.shape)
        _check_bounds(idx, arr.shape[d], d)
        out = arr.copy()
        out[_along(idx, d)] = src._array[_src_part(src._array.shape, idx.shape)]
        return record(ScatterBackward0, out, (input, src), dim=d, index=idx, src_sizes=src._array.shape)
    _check_gather_shapes("scatter", arr.shape, idx.shape, d)
    _check_bounds(idx, arr.shape[d], d)
    out = arr.copy()
    out[_along(idx, d)] = src
    return record(ScatterBackward1, out, (input,), dim=d, index=idx)


def scatter_add(input, dim, index, src):
    arr, d, idx = _scatter_prepare(input, dim, index, "scatter_add")
    _check_gather_shapes("scatter_add", arr.shape, idx.shape, d, src._array.shape)
    _check_bounds(idx, arr.shape[d], d)
    out = arr.copy()
    np.add.at(out, _along(idx, d), src._array[_src_part(src._array.shape, idx.shape)].astype(out.dtype))
    return record(ScatterAddBackward0, out, (input, src), dim=d, index=idx, src_sizes=src._array.shape)


def index_add(input, dim, index, source, *, alpha=1):
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    idx = _int_index(index, "index_add").reshape(-1)
    sarr = source._array
    expected = arr.shape[:d] + (idx.size,) + arr.shape[d + 1:]
    if sarr.shape != expected:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {_size(arr.shape)} source.shape = {_size(sarr.shape)}")
    if idx.size and (idx.min() < 0 or idx.max() >= arr.shape[d]):
        raise IndexError("index out of range in self")
    out = arr.copy()
    np.add.at(np.moveaxis(out, d, 0), idx, np.moveaxis(sarr * alpha, d, 0).astype(out.dtype))
    return record(IndexAddBackward0, out, (input, source), dim=d, index=idx, alpha=alpha)
