"""Two linear-algebra ops of the tensor tutorials: ``cross`` (LinalgCrossBackward0) and ``svd``.

``svd`` gives PyTorch's reduced ``(U, S, V)`` of a matrix or a batch of matrices; it has no
gradient in gradviz, so for an input that requires grad (with grad mode on) it raises instead of
returning values that backward could not follow.
"""
from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from ..autograd.grad_mode import is_grad_enabled
from ..autograd.node import Node
from .base import binary_operands, check_broadcast, normalize_dim, record


class LinalgCrossBackward0(Node):
    __slots__ = ()
    rule = "d(a x b)/da . g = b x g;  d(a x b)/db . g = g x a"

    def backward(self, g):
        a, b = np.broadcast_arrays(self.saved("self"), self.saved("other"))
        dim = self.saved("dim")
        ga = np.cross(b, g, axis=dim) if self.needs(0) else None
        gb = np.cross(g, a, axis=dim) if self.needs(1) else None
        return ga, gb


def _cross(input, other, dim: int, name: str):
    ta, tb, a, b = binary_operands(input, other)
    check_broadcast(a, b)
    a, b = np.broadcast_arrays(a, b)
    d = normalize_dim(dim, a.ndim)
    if a.shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. "
                           f"Got {input.shape[d]} and {other.shape[d]}")
    out = np.cross(a, b, axis=d)
    # (The engine sums a broadcast input's gradient back to the input's shape.)
    return record(LinalgCrossBackward0, out, (ta, tb), self=ta, other=tb, dim=d)


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim``; without ``dim``, along the first dim of
    size 3 (with PyTorch's deprecation warning)."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\n"
            "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
            "The default value of dim will change to agree with that of linalg.cross in a "
            "future release.", UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(input.shape, other.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _cross(input, other, dim, "linalg.cross")


def linalg_cross(input, other, *, dim: int = -1):
    """``torch.linalg.cross``: the cross product along ``dim`` (the last by default)."""
    return _cross(input, other, dim, "linalg.cross")


svd_result = namedtuple("svd", ["U", "S", "V"])


def svd(input, some: bool = True, compute_uv: bool = True):
    """``(U, S, V)`` with ``input = U @ diag(S) @ V.mT`` (V, not V^H, as ``torch.svd`` gives)."""
    from ..tensor import Tensor

    if is_grad_enabled() and input.requires_grad:
        raise NotImplementedError("gradviz has no gradient for svd: call it under no_grad() or "
                                  "on a tensor that does not require grad")
    a = input._array
    if a.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    u, s, vh = np.linalg.svd(a, full_matrices=not some)
    v = np.swapaxes(vh, -1, -2)
    if not compute_uv:
        u, v = np.zeros_like(u), np.zeros_like(v)
    return svd_result(Tensor._make(np.ascontiguousarray(u)), Tensor._make(s),
                      Tensor._make(np.ascontiguousarray(v)))


def install_methods(tensor_cls) -> None:
    """The method forms ``a.cross(b, dim)`` and ``a.svd()``."""
    tensor_cls.cross = cross
    tensor_cls.svd = svd
