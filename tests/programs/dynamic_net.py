"""Control flow and weight sharing: a polynomial of random order 3 to 5 whose fourth- and
fifth-order terms share one weight, trained with SGD and momentum.

Follows PyTorch's tutorial "Learning PyTorch with Examples", section "PyTorch: Control Flow +
Weight Sharing" (https://docs.pytorch.org/tutorials/beginner/examples_nn/dynamic_net.html):
a torch.nn.Module with five 0-d nn.Parameter weights, a forward pass whose loop length comes
from random.randint, MSELoss(reduction='sum'), optim.SGD(lr=1e-8, momentum=0.9),
optimizer.zero_grad() / loss.backward() / optimizer.step(), and a string built from .item().
Adapted: written anew in that shape; the five initial weights come from
numpy.random.default_rng(0) instead of torch.randn; Python's random module is seeded so both
runs draw the same orders; 400 steps instead of 30000.
"""
import math
import random

import numpy as np
import torch

random.seed(0)
rng = np.random.default_rng(0)
initial = rng.standard_normal(5)


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c, self.d, self.e = (
            torch.nn.Parameter(torch.tensor(v, dtype=torch.float32)) for v in initial)

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y

    def string(self):
        return (f"y = {self.a.item():.2f} + {self.b.item():.2f} x + {self.c.item():.2f} x^2 "
                f"+ {self.d.item():.2f} x^3 + {self.e.item():.2f} x^4 ? + {self.e.item():.2f} x^5 ?")


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

model = DynamicNet()
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
losses = []
for t in range(400):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 50 == 49:
        losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

RESULTS = {
    "losses": losses,
    "parameters": torch.stack([p.detach() for p in model.parameters()]),
    "names": [name for name, _ in model.named_parameters()],
    "grad_e": model.e.grad,
    "string_terms": len(model.string().split("+")),
}
