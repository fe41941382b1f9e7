"""Reductions: sum, mean, max/min (values), amax/amin."""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..autograd.node import Node
from ..dtypes import scalar_type_name
from .base import OUTPUT, normalize_dim, normalize_dims, record


def _expand_back(g: np.ndarray, shape: tuple, dims: tuple, keepdim: bool) -> np.ndarray:
    """Re-insert the reduced dims of ``g`` (size 1) so it broadcasts against the input."""
    if not keepdim and dims:
        g = np.expand_dims(g, dims)
    return g


class SumBackward0(Node):
    __slots__ = ()
    rule = "d(Σa)/da = 1 for every element: the gradient is copied to each"

    def backward(self, g):
        return (np.broadcast_to(g, self.saved("self_sym_sizes")),)


class SumBackward1(Node):
    __slots__ = ()
    rule = "d(Σ over dim)/da = 1: the gradient is copied along the summed dims"

    def backward(self, g):
        shape = self.saved("self_sym_sizes")
        g = _expand_back(g, shape, self.saved("dim"), self.saved("keepdim"))
        return (np.broadcast_to(g, shape),)


class MeanBackward0(Node):
    __slots__ = ()
    rule = "d(mean a)/da = 1/n for every element"

    def backward(self, g):
        shape = self.saved("self_sym_sizes")
        n = builtins.max(int(np.prod(shape)), 1)
        return (np.broadcast_to(g / n, shape),)


class MeanBackward1(Node):
    __slots__ = ()
    rule = "d(mean over dim)/da = 1/n along the averaged dims"

    def backward(self, g):
        shape, dims = self.saved("self_sym_sizes"), self.saved("dim")
        n = int(np.prod([shape[d] for d in dims])) if dims else 1
        g = _expand_back(g, shape, dims, self.saved("keepdim"))
        return (np.broadcast_to(g / builtins.max(n, 1), shape),)


def _dims(dim, ndim):
    """normalize_dims, with PyTorch's error for a dim named twice."""
    dims = normalize_dims(dim, ndim)
    for i in range(1, len(dims)):
        if dims[i] == dims[i - 1]:
            raise RuntimeError(f"dim {dims[i]} appears multiple times in the list of dims")
    # A 0-d tensor reduced over dim 0 (or -1) is its one element: numpy's axis=() reduces
    # nothing, which is exactly that.
    return dims if ndim else ()


def _check_dtype(a, name):
    if a._array.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {scalar_type_name(a._array.dtype)}")


def sum(a, dim=None, keepdim=False, *, dtype=None):
    arr = a._array
    if dtype is not None:
        from ..dtypes import to_numpy_dtype

        arr = arr.astype(to_numpy_dtype(dtype))
    elif arr.dtype.kind in "biu":
        arr = arr.astype(np.int64)
    if dim is None:
        out = np.asarray(arr.sum())
        return record(SumBackward0, out, (a,), self_sym_sizes=a._array.shape)
    dims = _dims(dim, arr.ndim)
    out = np.asarray(arr.sum(axis=dims, keepdims=keepdim))
    return record(SumBackward1, out, (a,), self_sym_sizes=a._array.shape, dim=dims,
                  keepdim=keepdim)


def mean(a, dim=None, keepdim=False, *, dtype=None):
    if dtype is None:
        _check_dtype(a, "mean")
    arr = a._array
    if dtype is not None:
        # Computed in the requested dtype (the engine casts the gradient back to a's dtype).
        from ..dtypes import to_numpy_dtype

        arr = arr.astype(to_numpy_dtype(dtype), copy=False)
    if dim is None:
        out = np.asarray(arr.mean(dtype=arr.dtype)).astype(arr.dtype)
        return record(MeanBackward0, out, (a,), self_sym_sizes=arr.shape)
    dims = _dims(dim, arr.ndim)
    out = np.asarray(arr.mean(axis=dims, keepdims=keepdim, dtype=arr.dtype)).astype(arr.dtype)
    return record(MeanBackward1, out, (a,), self_sym_sizes=arr.shape, dim=dims, keepdim=keepdim)


# --- max / min -------------------------------------------------------------------------------
values_indices = namedtuple("values_indices", ["values", "indices"])


class _EvenlyDistribute(Node):
    """Full max/min: the gradient is shared evenly among all elements equal to the result."""

    __slots__ = ()
    rule = "d(max a)/da = 1/k at the k positions holding the maximum, 0 elsewhere"

    def backward(self, g):
        a, r = self.saved("self"), self.saved("result")
        mask = (a == r) | (np.isnan(a) & np.isnan(r)) if a.dtype.kind == "f" else a == r
        return (np.where(mask, g / builtins.max(int(mask.sum()), 1), 0).astype(g.dtype),)


class MaxBackward1(_EvenlyDistribute):
    __slots__ = ()


class MinBackward1(_EvenlyDistribute):
    __slots__ = ()
    rule = "d(min a)/da = 1/k at the k positions holding the minimum, 0 elsewhere"


class _IndexSelectBackward(Node):
    """max/min along a dim: the gradient goes to the index that was chosen."""

    __slots__ = ()
    rule = "d(max along dim)/da = 1 at the chosen index, 0 elsewhere"

    def backward(self, g):
        shape, dim, keepdim = self.saved("self_sym_sizes"), self.saved("dim"), self.saved("keepdim")
        idx = self.saved("indices")
        if not keepdim:
            g = np.expand_dims(g, dim)
            idx = np.expand_dims(idx, dim)
        out = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(out, idx, g, axis=dim)
        return (out,)


class MaxBackward0(_IndexSelectBackward):
    __slots__ = ()


class MinBackward0(_IndexSelectBackward):
    __slots__ = ()
    rule = "d(min along dim)/da = 1 at the chosen index, 0 elsewhere"


class AmaxBackward0(Node):
    __slots__ = ()
    rule = "d(amax)/da = 1/k at the k positions holding the maximum along dim"

    def backward(self, g):
        a, r = self.saved("self"), self.saved("result")
        dims, keepdim = self.saved("dim"), self.saved("keepdim")
        if not keepdim:
            r = np.expand_dims(r, dims)
            g = np.expand_dims(g, dims)
        mask = a == r
        count = mask.sum(axis=dims, keepdims=True)
        # PyTorch's (g / count) * mask: a NaN maximum matches nothing, and the row gets NaN.
        with np.errstate(divide="ignore", invalid="ignore"):
            return (((g / count) * mask).astype(g.dtype),)


class AminBackward0(AmaxBackward0):
    __slots__ = ()
    rule = "d(amin)/da = 1/k at the k positions holding the minimum along dim"


def _extreme(a, dim, keepdim, full_cls, dim_cls, np_fn, arg_fn, name):
    from ..tensor import Tensor

    arr = a._array
    if dim is None:
        if arr.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        out = np.asarray(np_fn(arr))
        return record(full_cls, out, (a,), self=a, result=OUTPUT)
    d = normalize_dim(dim, arr.ndim)
    src = arr if arr.ndim else arr.reshape(1)
    idx = arg_fn(src, axis=d, keepdims=True)
    if arr.dtype.kind == "f":
        # NaN wins, as in PyTorch.
        nan_idx = np.argmax(np.isnan(src), axis=d, keepdims=True)
        has_nan = np.isnan(src).any(axis=d, keepdims=True)
        idx = np.where(has_nan, nan_idx, idx)
    vals = np.take_along_axis(src, idx, axis=d)
    if not keepdim or arr.ndim == 0:
        vals = np.squeeze(vals, axis=d)
        idx = np.squeeze(idx, axis=d)
    if arr.ndim == 0:
        vals, idx = vals.reshape(()), idx.reshape(())
    values = record(dim_cls, np.ascontiguousarray(vals), (a,), self_sym_sizes=arr.shape,
                    dim=d, keepdim=keepdim, indices=idx)
    return values_indices(values, Tensor._make(idx.astype(np.int64)))


def max(a, dim=None, keepdim=False):
    from ..tensor import Tensor

    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(a, dim)
    return _extreme(a, dim, keepdim, MaxBackward1, MaxBackward0, np.max, np.argmax, "max")


def min(a, dim=None, keepdim=False):
    from ..tensor import Tensor

    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(a, dim)
    return _extreme(a, dim, keepdim, MinBackward1, MinBackward0, np.min, np.argmin, "min")


def amax(a, dim=(), keepdim=False):
    dims = _dims(dim if dim != () else None, a._array.ndim)
    out = np.asarray(np.max(a._array, axis=dims, keepdims=keepdim))
    return record(AmaxBackward0, out, (a,), self=a, result=OUTPUT, dim=dims, keepdim=keepdim)


def amin(a, dim=(), keepdim=False):
    dims = _dims(dim if dim != () else None, a._array.ndim)
    out = np.asarray(np.min(a._array, axis=dims, keepdims=keepdim))
    return record(AminBackward0, out, (a,), self=a, result=OUTPUT, dim=dims, keepdim=keepdim)
