"""Fitting sin(x) with a third-order polynomial: tensors, autograd and a hand-written update.

Follows PyTorch's tutorial "Learning PyTorch with Examples", section "PyTorch: Tensors and
autograd" (https://docs.pytorch.org/tutorials/beginner/examples_autograd/polynomial_autograd.html):
the device chosen with torch.accelerator and made the default with torch.set_default_device,
x from torch.linspace, y = torch.sin(x), four 0-d weights with requires_grad, the loss
(y_pred - y).pow(2).sum(), backward, and the update under torch.no_grad() followed by
setting the grads to None.
Adapted: written anew in that shape; the four initial weights come from
numpy.random.default_rng(0) instead of torch.randn; 300 steps instead of 2000; the loss is
recorded every 50 steps.
"""
import math

import numpy as np
import torch

dtype = torch.float
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
torch.set_default_device(device)

x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

rng = np.random.default_rng(0)
a, b, c, d = (torch.tensor(v, dtype=dtype, requires_grad=True) for v in rng.standard_normal(4))

learning_rate = 1e-6
losses = []
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 50 == 49:
        losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

summary = f"y = {a.item():.3f} + {b.item():.3f} x + {c.item():.3f} x^2 + {d.item():.3f} x^3"
RESULTS = {
    "device": str(device),
    "x_ends": x[[0, -1]],
    "y": y,
    "losses": losses,
    "weights": torch.stack([a, b, c, d]).detach(),
    "last_grad_is_none": a.grad is None,
    "requires_grad": [t.requires_grad for t in (a, b, c, d)],
    "summary_length": len(summary.split()),
}
