"""A third-order polynomial fitted to sin(x), first with ``nn`` and a hand-written update,
then with ``torch.optim``.

Source: PyTorch tutorials, "Learning PyTorch with Examples", the examples "PyTorch: nn"
(https://pytorch.org/tutorials/beginner/examples_nn/polynomial_nn.html) and "PyTorch: optim"
(https://pytorch.org/tutorials/beginner/examples_nn/polynomial_optim.html).
Adapted: initial weights copied from numpy.random.default_rng(0) instead of the random
nn.Linear initialisation; 200 instead of 2000 steps each; the printing replaced by RESULTS.
"""
import math

import numpy as np
import torch

rng = np.random.default_rng(0)

# Create Tensors to hold input and outputs.
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

# Prepare the input tensor (x, x^2, x^3).
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)


def make_model():
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    )
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(rng.normal(0, 0.1, (1, 3)).astype(np.float32)))
        model[0].bias.copy_(torch.tensor(rng.normal(0, 0.1, (1,)).astype(np.float32)))
    return model


# --- "PyTorch: nn": the update written out by hand -------------------------------------------
model = make_model()
loss_fn = torch.nn.MSELoss(reduction='sum')
learning_rate = 1e-6
nn_losses = []
for t in range(200):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 20 == 19:
        nn_losses.append(loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad
linear_layer = model[0]
nn_result = [linear_layer.bias.item(), linear_layer.weight[:, 0].item(),
             linear_layer.weight[:, 1].item(), linear_layer.weight[:, 2].item()]

# --- "PyTorch: optim": RMSprop does the update -----------------------------------------------
model = make_model()
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
optim_losses = []
for t in range(200):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 20 == 19:
        optim_losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
linear_layer = model[0]

RESULTS = {
    "nn_losses": nn_losses,
    "nn_coefficients": nn_result,
    "optim_losses": optim_losses,
    "optim_weight": linear_layer.weight,
    "optim_bias": linear_layer.bias,
    # Only the x and x^3 components: the x^2 one sums 2000 terms that cancel by symmetry, so
    # its float32 rounding depends on the order of summation.
    "weight_grad_odd": linear_layer.weight.grad[:, [0, 2]],
    "model_repr": repr(model),
}
