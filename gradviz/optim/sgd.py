"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from ..tensor import Tensor
from .optimizer import Optimizer, f32


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
        for p, a, g in self._params_with_grad(group):
            if wd != 0:
                g = g + f32(wd, a) * a
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = Tensor._make(g.copy())
                    state["momentum_buffer"] = buf
                else:
                    buf._array = buf._array * f32(momentum, a) + f32(1 - dampening, a) * g
                g = g + f32(momentum, a) * buf._array if nesterov else buf._array
            self._write(p, a + f32(-lr, a) * g)
