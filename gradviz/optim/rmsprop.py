"""``RMSprop``: steps scaled by a running root-mean-square of the gradients."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, f32, lerp, step_tensor, zeros_state


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``: s ← α·s + (1 − α)·g², ``p ← p − lr·g / (√s + eps)``; with
    ``centered`` the running mean of g is subtracted under the root, with ``momentum`` the
    steps g/(√s + eps) accumulate in a buffer first."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        for p, a, g in self._params_with_grad(group):
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": Tensor._make(np.zeros((), np.float32)),
                                         "square_avg": zeros_state(a)}
                if momentum > 0:
                    state["momentum_buffer"] = zeros_state(a)
                if centered:
                    state["grad_avg"] = zeros_state(a)
            step_tensor(state)
            if wd != 0:
                g = g + f32(wd, a) * a
            s = state["square_avg"]
            s._array = np.asarray(s._array * f32(alpha, a) + f32(1 - alpha, a) * g * g)
            if centered:
                ga = state["grad_avg"]
                ga._array = np.asarray(lerp(ga._array, g, 1 - alpha))
                avg = np.sqrt(s._array + f32(-1, a) * ga._array * ga._array)
            else:
                avg = np.sqrt(s._array)
            avg = avg + f32(eps, a)
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf._array = np.asarray(buf._array * f32(momentum, a) + g / avg)
                self._write(p, a + f32(-lr, a) * buf._array)
            else:
                self._write(p, a + f32(-lr, a) * g / avg)
