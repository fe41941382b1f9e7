"""Ordering: ``sort``, ``argsort`` and ``topk``. The values are recorded (SortBackward0,
TopkBackward0): their gradient goes back to the positions the values came from. Ties keep their
original order and NaN counts as the largest value, as PyTorch's CPU sort does."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd.node import Node
from .base import normalize_dim, record
from .pointwise import tensor_argument
from .statistics import numpy_names

sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])


class SortBackward0(Node):
    __slots__ = ()
    rule = "d sorted(a)/da: each value's gradient goes back to the position it came from"

    def backward(self, g):
        shape, dim, idx = self.saved("self_sizes"), self.saved("dim"), self.saved("indices")
        out = np.zeros(shape, dtype=g.dtype)
        if not shape:
            return (g,)
        np.put_along_axis(out, idx, g, axis=dim)
        return (out,)


class TopkBackward0(SortBackward0):
    __slots__ = ()
    rule = "d topk(a)/da: each of the k values' gradient goes back to its position, zeros elsewhere"


def _order(arr: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable sorting indices along ``dim`` (NaN largest)."""
    if not descending:
        return np.argsort(arr, axis=dim, kind="stable")
    # Descending and stable: sort the reversed array ascending, then read it backwards.
    n = arr.shape[dim]
    rev = np.flip(arr, axis=dim)
    return (n - 1) - np.flip(np.argsort(rev, axis=dim, kind="stable"), axis=dim)


@numpy_names
def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim``."""
    from ..tensor import Tensor

    tensor_argument(input, "sort")
    arr = input._array
    if arr.ndim == 0:
        return sort_result(record(SortBackward0, arr.copy(), (input,), self_sizes=(), dim=0,
                                  indices=np.zeros((), dtype=np.int64)),
                           Tensor._make(np.zeros((), dtype=np.int64)))
    d = normalize_dim(dim, arr.ndim)
    idx = _order(arr, d, descending).astype(np.int64)
    values = np.take_along_axis(arr, idx, axis=d)
    return sort_result(record(SortBackward0, values, (input,), self_sizes=arr.shape, dim=d,
                              indices=idx), Tensor._make(idx))


@numpy_names
def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending, stable).indices


@numpy_names
def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``."""
    from ..tensor import Tensor

    tensor_argument(input, "topk")
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    n = arr.shape[d] if arr.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    src = arr if arr.ndim else arr.reshape(1)
    idx = np.take(_order(src, d, largest), np.arange(k), axis=d).astype(np.int64)
    values = np.take_along_axis(src, idx, axis=d)
    if arr.ndim == 0:
        values, idx = values.reshape(()), idx.reshape(())
    return topk_result(record(TopkBackward0, values, (input,), self_sizes=arr.shape, dim=d,
                              indices=idx), Tensor._make(idx))
