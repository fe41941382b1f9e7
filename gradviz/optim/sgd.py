"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    """``torch.optim.SGD``. With momentum μ, the buffer b starts as the first gradient and then
    ``b = μ·b + (1 − dampening)·g``; the step uses ``g + μ·b`` with ``nesterov`` and ``b``
    without. Weight decay adds ``weight_decay·p`` to the gradient first."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _update(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov = group["weight_decay"], group["nesterov"]
        if momentum == 0 and wd == 0 and not group["maximize"]:
            # Plain SGD, the common teaching case: p ← p + (−lr)·g in place, one kernel each.
            for p in group["params"]:
                grad = p._grad
                if grad is not None:
                    a = p._array
                    np.add(a, a.dtype.type(-lr) * grad._array, out=a, casting="unsafe")
                    p._version_counter[0] += 1
            return
        maximize = group["maximize"]
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            a, g = p._array, grad._array
            t = a.dtype.type
            if maximize:
                g = -g
            if wd != 0:
                g = g + t(wd) * a
            if momentum != 0:
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                buf = state.get("momentum_buffer")
                if buf is None:
                    # (np.array, not .copy(): arithmetic on 0-d arrays gives numpy scalars.)
                    buf = state["momentum_buffer"] = Tensor._make(np.array(g, dtype=a.dtype))
                else:
                    # b·μ + (1 − dampening)·g, in place as PyTorch's mul_().add_() does.
                    b = buf._array
                    np.multiply(b, t(momentum), out=b)
                    b += t(1 - dampening) * g
                g = g + t(momentum) * buf._array if nesterov else buf._array
            np.add(a, t(-lr) * g, out=a, casting="unsafe")
            p._version_counter[0] += 1
