"""Pieces of a tensor: ``split``/``chunk`` (SplitBackward0, SplitWithSizesBackward0) and the
triangles ``tril``/``triu`` (TrilBackward0, TriuBackward0).

PyTorch records one split node with several outputs; gradviz records one node per piece, each
named as PyTorch names the shared one, whose backward puts its piece's gradient back in place.
"""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import normalize_dim, record


class SplitBackward0(Node):
    __slots__ = ()
    rule = "d piece/da: the piece's gradient in its place along dim, zeros elsewhere"

    def backward(self, g):
        shape, dim, start = self.saved("self_sizes"), self.saved("dim"), self.saved("start")
        out = np.zeros(shape, dtype=g.dtype)
        index = [slice(None)] * len(shape)
        index[dim] = slice(start, start + g.shape[dim])
        out[tuple(index)] = g
        return (out,)


class SplitWithSizesBackward0(SplitBackward0):
    __slots__ = ()


def _pieces(a, sizes, dim, node_cls):
    arr = a._array
    outs, start = [], 0
    for size in sizes:
        index = [slice(None)] * arr.ndim
        index[dim] = slice(start, start + size)
        outs.append(record(node_cls, arr[tuple(index)], (a,), self_sizes=arr.shape, dim=dim,
                           start=start))
        start += size
    return tuple(outs)


def split(tensor, split_size_or_sections, dim: int = 0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the
    listed sizes."""
    arr = tensor._array
    d = normalize_dim(dim, arr.ndim)
    n = arr.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {dim}), but got split_sizes=[{', '.join(map(str, sizes))}]")
        return _pieces(tensor, sizes, d, SplitWithSizesBackward0)
    size = int(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0:
        if n != 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        return _pieces(tensor, [0], d, SplitBackward0)
    sizes = [size] * (n // size) + ([n % size] if n % size else [])
    return _pieces(tensor, sizes or [0], d, SplitBackward0)


def chunk(input, chunks: int, dim: int = 0):
    """``chunks`` pieces of equal size ceil(n / chunks) along ``dim`` (fewer if n is small)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    arr = input._array
    n = arr.shape[normalize_dim(dim, arr.ndim)]
    return split(input, max(-(-n // chunks), 1) if n else 0, dim)


class TrilBackward0(Node):
    __slots__ = ()
    rule = "d tril(a)/da: the gradient on and below the diagonal, zeros above"

    def backward(self, g):
        return (np.tril(g, self.saved("diagonal")),)


class TriuBackward0(Node):
    __slots__ = ()
    rule = "d triu(a)/da: the gradient on and above the diagonal, zeros below"

    def backward(self, g):
        return (np.triu(g, self.saved("diagonal")),)


def tril(input, diagonal: int = 0):
    """The lower triangle of the last two dims (below and on diagonal ``diagonal``)."""
    if input._array.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return record(TrilBackward0, np.tril(input._array, diagonal), (input,), diagonal=diagonal)


def triu(input, diagonal: int = 0):
    """The upper triangle of the last two dims (above and on diagonal ``diagonal``)."""
    if input._array.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return record(TriuBackward0, np.triu(input._array, diagonal), (input,), diagonal=diagonal)


class UnsafeSplitBackward0(SplitBackward0):
    __slots__ = ()


def unsafe_chunk(input, chunks: int, dim: int = 0):
    """``chunk`` as PyTorch's RNN cells split their gates (UnsafeSplitBackward0)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    arr = input._array
    d = normalize_dim(dim, arr.ndim)
    n = arr.shape[d]
    size = max(-(-n // chunks), 1) if n else 0
    sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
    return _pieces(input, sizes, d, UnsafeSplitBackward0)
