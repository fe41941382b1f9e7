"""torch tensors as numpy arrays and back, for values and gradients.

Gradients cross this border in both directions (recorded as numpy, written back into ``.grad``
when a pass is stepped), so a round trip must be exact: dtypes numpy lacks (bfloat16, float8)
travel as float32, which holds each of their values exactly, and are converted back on the way
in.
"""
from __future__ import annotations

import numpy as np
import torch

# dtypes numpy has no type for; float32 holds every one of their values exactly.
_WIDENED = {torch.bfloat16}
for _name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"):
    if hasattr(torch, _name):
        _WIDENED.add(getattr(torch, _name))


def to_numpy(t, copy: bool = False):
    """``t``'s values as an ndarray (sharing memory unless ``copy``), or None when they cannot be
    read (a meta or fake tensor, a freed storage, ...)."""
    if t is None:
        return None
    try:
        # The common case (a dense CPU tensor of a numpy dtype) first: this runs for every
        # gradient a recorded pass sees.
        return t.detach().numpy().copy() if copy else t.detach().numpy()
    except Exception:  # noqa: BLE001 - not that case: convert step by step below
        pass
    try:
        t = t.detach()
        if t.layout != torch.strided:
            t = t.to_dense()
        if t.device.type != "cpu":
            t = t.cpu()
            copy = False  # already a copy
        if t.dtype in _WIDENED:
            t = t.float()
            copy = False
        if t.is_conj():
            t = t.resolve_conj()
        if t.is_neg():
            t = t.resolve_neg()
        a = t.numpy()
    except Exception:  # noqa: BLE001 - any tensor numpy cannot hold is shown without values
        return None
    return a.copy() if copy else a


def dtype_name(dtype) -> str:
    """``torch.float32`` -> ``"float32"``, as gradviz graphs name numpy dtypes."""
    return str(dtype).removeprefix("torch.")


def grad_array(t):
    """``t.grad`` as a numpy copy, or None."""
    g = t.grad
    return None if g is None else to_numpy(g, copy=True)


def set_grad(t, value) -> None:
    """Make ``t.grad`` hold exactly ``value`` (an ndarray, or None).

    An existing ``.grad`` of the same shape is overwritten in place, as backward itself
    accumulates into it, so references to it stay valid."""
    with torch.no_grad():
        if value is None:
            t.grad = None
            return
        value = np.asarray(value)
        if not value.flags.writeable or not value.flags.c_contiguous:
            value = np.ascontiguousarray(value).copy()
        src = torch.from_numpy(value)
        g = t.grad
        if g is not None and tuple(g.shape) == value.shape and g.layout == torch.strided:
            g.copy_(src)
        else:
            t.grad = src.to(device=t.device, dtype=t.dtype, copy=True)
