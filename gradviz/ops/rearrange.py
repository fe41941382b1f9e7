"""Rearranging elements: ``flip``, ``roll``, ``repeat``/``tile``, diagonals (``diag``,
``diagonal``, ``diag_embed``, ``trace``), and the compositions PyTorch builds from other ops
(``outer``, ``hstack``/``vstack``/``column_stack``, ``meshgrid``), recorded with PyTorch's
node names."""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.node import Node
from .base import normalize_dim, record
from .pointwise import tensor_argument


def _dims(dims, ndim):
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    return tuple(normalize_dim(d, ndim) for d in dims)


# --- flip / roll -------------------------------------------------------------------------------
class FlipBackward0(Node):
    __slots__ = ()
    rule = "d flip(a)/da: the gradient flipped back along the same dims"

    def backward(self, g):
        return (np.flip(g, self.saved("dims")).copy(),)


def flip(input, dims):
    """The elements in reverse order along ``dims``."""
    tensor_argument(input, "flip")
    d = _dims(dims, input._array.ndim)
    return record(FlipBackward0, np.flip(input._array, d).copy(), (input,), dims=d)


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


class RollBackward0(Node):
    __slots__ = ()
    rule = "d roll(a, k)/da: the gradient rolled back by -k"

    def backward(self, g):
        shifts, dims = self.saved("shifts"), self.saved("dims")
        if not dims:  # rolled as one flat sequence
            return (np.roll(g.reshape(-1), [-s for s in shifts]).reshape(g.shape),)
        return (np.roll(g, [-s for s in shifts], axis=dims),)


def roll(input, shifts, dims=None):
    """The elements shifted cyclically by ``shifts`` along ``dims`` (the flattened tensor when
    ``dims`` is None)."""
    tensor_argument(input, "roll")
    arr = input._array
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        out = np.roll(arr.reshape(-1), shifts).reshape(arr.shape)
        return record(RollBackward0, out, (input,), shifts=shifts, dims=())
    d = _dims(dims, arr.ndim)
    if len(shifts) != len(d):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(d)}")
    return record(RollBackward0, np.roll(arr, shifts, axis=d), (input,), shifts=shifts, dims=d)


# --- repeat / tile -----------------------------------------------------------------------------
class RepeatBackward0(Node):
    __slots__ = ()
    rule = "d repeat(a)/da: the gradients of all the copies of each element, summed"

    def backward(self, g):
        shape, reps = self.saved("self_sizes"), self.saved("repeats")
        padded = (1,) * (len(reps) - len(shape)) + tuple(shape)
        # Split every dim into (copies, size) and sum over the copies.
        split = []
        for r, s in zip(reps, padded):
            split += [r, s]
        summed = g.reshape(split).sum(axis=tuple(range(0, 2 * len(reps), 2)))
        return (summed.reshape(shape),)


def repeat(input, *sizes):
    """The tensor tiled ``sizes[i]`` times along each dim (extra leading dims allowed)."""
    tensor_argument(input, "repeat")
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    arr = input._array
    if len(sizes) < arr.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    out = np.tile(arr, sizes) if sizes else arr.copy()
    return record(RepeatBackward0, out, (input,), self_sizes=arr.shape, repeats=tuple(sizes))


def tile(input, dims):
    """``repeat`` that pads ``dims`` with leading 1s when it is shorter than the tensor."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    dims = (1,) * (input._array.ndim - len(dims)) + dims
    return repeat(input, dims)


# --- diagonals ---------------------------------------------------------------------------------
class DiagEmbedBackward0(Node):
    __slots__ = ()
    rule = "d diag(v)/dv: the gradient's diagonal"

    def backward(self, g):
        return (np.diagonal(g, self.saved("offset"), -2, -1).copy(),)


class DiagonalBackward0(Node):
    __slots__ = ()
    rule = "d diagonal(a)/da: the gradient put back on the diagonal, zeros elsewhere"

    def backward(self, g):
        out = np.zeros(self.saved("self_sizes"), dtype=g.dtype)
        _set_diagonal(out, g, self.saved("offset"), self.saved("dim1"), self.saved("dim2"))
        return (out,)


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 - PyTorch's name for diag(matrix)
    __slots__ = ()


def _set_diagonal(a: np.ndarray, values: np.ndarray, offset: int, d1: int, d2: int) -> None:
    """Write ``values`` (diagonal as the last dim) onto diagonal ``offset`` of plane (d1, d2)."""
    moved = np.moveaxis(a, (d1, d2), (-2, -1))  # a view: writing to it writes to ``a``
    i = np.arange(values.shape[-1])
    moved[..., i + max(0, -offset), i + max(0, offset)] = values


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of the plane (dim1, dim2), as the last dim."""
    tensor_argument(input, "diagonal")
    arr = input._array
    d1, d2 = normalize_dim(dim1, arr.ndim), normalize_dim(dim2, arr.ndim)
    return record(DiagonalBackward0, np.diagonal(arr, offset, d1, d2).copy(), (input,),
                  self_sizes=arr.shape, offset=offset, dim1=d1, dim2=d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A matrix (per batch) with ``input``'s last dim on its diagonal ``offset``."""
    tensor_argument(input, "diag_embed")
    arr = input._array
    n = arr.shape[-1] + abs(offset)
    out = np.zeros(arr.shape[:-1] + (n, n), dtype=arr.dtype)
    _set_diagonal(out, arr, offset, out.ndim - 2, out.ndim - 1)
    return record(DiagEmbedBackward0, out, (input,), offset=offset)


def diag(input, diagonal=0):
    """A vector's diagonal matrix, or a matrix's diagonal as a vector."""
    tensor_argument(input, "diag")
    arr = input._array
    if arr.ndim == 1:
        return diag_embed(input, diagonal)
    if arr.ndim != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{arr.ndim}D")
    return record(DiagonalBackward0_copy, np.diagonal(arr, diagonal).copy(), (input,),
                  self_sizes=arr.shape, offset=diagonal, dim1=0, dim2=1)


class TraceBackward0(Node):
    __slots__ = ()
    rule = "d trace(A)/dA = I: the gradient on the diagonal, zeros elsewhere"

    def backward(self, g):
        shape = self.saved("self_sizes")
        return (np.eye(*shape, dtype=g.dtype) * g,)


def matrix_trace(input):
    """The sum of a matrix's diagonal (``torch.trace``)."""
    tensor_argument(input, "trace")
    arr = input._array
    if arr.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " f"{arr.ndim}")
    return record(TraceBackward0, np.asarray(np.trace(arr)), (input,), self_sizes=arr.shape)


# --- compositions of other ops, as PyTorch composes them --------------------------------------
def outer(input, vec2):
    """``input[:, None] * vec2`` (recorded as PyTorch records it: a view and a product)."""
    from .elementwise import mul
    from .shape import view

    tensor_argument(input, "outer")
    tensor_argument(vec2, "outer", 2, "vec2")
    for name, t in (("self", input), ("vec2", vec2)):
        if t._array.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._array.ndim}-D")
    return mul(view(input, -1, 1), vec2)


ger = outer


def _atleast(t, n):
    from .shape import unsqueeze, view

    arr = t._array
    if arr.ndim >= n:
        return t
    if arr.ndim == 0:
        return view(t, *([1] * n))
    if n == 2:
        return unsqueeze(t, 0)
    return unsqueeze(unsqueeze(t, 0), -1) if arr.ndim == 1 else unsqueeze(t, -1)


def atleast_1d(t):
    return _atleast(t, 1)


def atleast_2d(t):
    return _atleast(t, 2)


def atleast_3d(t):
    return _atleast(t, 3)


def hstack(tensors):
    """Concatenation along dim 1 (dim 0 for vectors)."""
    from .shape import cat

    ts = [atleast_1d(t) for t in tensors]
    return cat(ts, 0 if ts[0]._array.ndim == 1 else 1)


def vstack(tensors):
    """Concatenation along dim 0, vectors becoming rows."""
    from .shape import cat

    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def column_stack(tensors):
    """Vectors as columns, side by side."""
    from .shape import cat, view

    cols = [view(t, -1, 1) if t._array.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


def dstack(tensors):
    from .shape import cat

    return cat([atleast_3d(t) for t in tensors], 2)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: each 1-d input viewed along its own dim and expanded."""
    from .shape import expand, view

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError("torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    # With "xy" the first two inputs run along the columns and rows (dims 1 and 0).
    place = list(range(len(tensors)))
    if indexing == "xy" and len(place) >= 2:
        place[0], place[1] = 1, 0
    sizes = [0] * len(tensors)
    for t, p in zip(tensors, place):
        sizes[p] = t._array.size
    grids = []
    for t, p in zip(tensors, place):
        shape = [1] * len(tensors)
        shape[p] = -1
        grids.append(expand(view(t, *shape), *sizes))
    return tuple(grids)


def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """Each element repeated ``repeats`` times in place (along ``dim``, or of the flattened
    tensor). An int ``repeats`` is recorded as PyTorch records it (unsqueeze, expand, clone,
    view); a tensor of counts per element as an index_select."""
    from ..tensor import Tensor
    from .shape import clone, expand, reshape, unsqueeze, view

    tensor_argument(input, "repeat_interleave")
    if dim is None:
        input, dim = reshape(input, -1), 0
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    if isinstance(repeats, Tensor):
        from .gather import index_select

        counts = np.broadcast_to(repeats._array.reshape(-1), (arr.shape[d],))
        index = np.repeat(np.arange(arr.shape[d]), counts)
        return index_select(input, d, Tensor._make(index.astype(np.int64)))
    sizes = list(arr.shape)
    sizes.insert(d + 1, int(repeats))
    out_shape = list(arr.shape)
    out_shape[d] *= int(repeats)
    return view(clone(expand(unsqueeze(input, d + 1), *sizes)), *out_shape)
