"""``gradviz.nn.utils``: gradient clipping."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (as PyTorch: scale by
    max_norm/(norm + 1e-6), clamped at 1)."""
    grads = _grads(parameters)
    if not grads:
        return Tensor._make(np.asarray(0.0, dtype=np.float32))
    dtype = grads[0]._array.dtype
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        norms = [np.abs(g._array).max() if g._array.size else dtype.type(0) for g in grads]
        total = np.max(norms).astype(dtype)
    else:
        norms = [np.power(np.power(np.abs(g._array), norm_type).sum(dtype=dtype), 1 / norm_type)
                 for g in grads]
        total = np.power(np.power(np.asarray(norms, dtype), norm_type).sum(dtype=dtype),
                         1 / norm_type).astype(dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = dtype.type(max_norm) / (total + dtype.type(1e-6))
    coef = min(coef, dtype.type(1.0))
    for g in grads:
        g.copy_(Tensor._make(g._array * coef))
    return Tensor._make(np.asarray(total))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value]."""
    for g in _grads(parameters):
        g.copy_(Tensor._make(np.clip(g._array, -clip_value, clip_value)))
