"""``gradviz.optim``: stochastic gradient descent."""
from __future__ import annotations

from .autograd.grad_mode import no_grad


class SGD:
    """``p -= lr * (grad + weight_decay * p)``, with optional momentum, as torch.optim.SGD."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, weight_decay: float = 0.0):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self._velocity = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p._grad is not None:
                p._grad.zero_()

    @no_grad()
    def step(self) -> None:
        for p in self.params:
            if p._grad is None:
                continue
            d = p._grad._array
            if self.weight_decay:
                d = d + self.weight_decay * p._array
            if self.momentum:
                v = self._velocity.get(id(p))
                v = d.copy() if v is None else self.momentum * v + d
                self._velocity[id(p)] = v
                d = v
            p._array -= (self.lr * d).astype(p._array.dtype, copy=False)
            p._version_counter[0] += 1
