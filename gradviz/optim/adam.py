"""``Adam`` and ``AdamW``: adaptive moment estimation, with L2 or decoupled weight decay and
the AMSGrad variant."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, f32, lerp, step_tensor, zeros_state


class Adam(Optimizer):
    """``torch.optim.Adam``: m ← lerp(m, g, 1 − β₁), v ← β₂·v + (1 − β₂)·g², and
    ``p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)`` (with ``amsgrad``, the running
    maximum of v in place of v). ``weight_decay`` adds ``weight_decay·p`` to the gradient;
    with ``decoupled_weight_decay`` (AdamW) it scales p by ``1 − lr·weight_decay`` instead."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False):
        _check(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad = group["weight_decay"], group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        for p, a, g in self._params_with_grad(group):
            state = self.state.get(p)
            if not state:
                state = self.state[p] = {"step": Tensor._make(np.zeros((), np.float32)),
                                         "exp_avg": zeros_state(a), "exp_avg_sq": zeros_state(a)}
                if amsgrad:
                    state["max_exp_avg_sq"] = zeros_state(a)
            step = step_tensor(state)
            if wd != 0:
                if decoupled:
                    a = a * f32(1 - lr * wd, a)
                else:
                    g = g + f32(wd, a) * a
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m._array = np.asarray(lerp(m._array, g, 1 - beta1))
            v._array = np.asarray(v._array * f32(beta2, a) + f32(1 - beta2, a) * g * g)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = bias_correction2 ** 0.5
            second = v._array
            if amsgrad:
                mx = state["max_exp_avg_sq"]
                mx._array = np.asarray(np.maximum(mx._array, v._array))
                second = mx._array
            denom = np.sqrt(second) / f32(bias_correction2_sqrt, a) + f32(eps, a)
            # addcdiv: p + value·m / denom, evaluated left to right as PyTorch's kernel does.
            self._write(p, a + f32(-step_size, a) * m._array / denom)


class AdamW(Adam):
    """``torch.optim.AdamW``: Adam with decoupled weight decay (default 0.01)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)


def _check(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
