"""PyTorch: Defining New autograd Functions (the LegendrePolynomial3 example).

Source: PyTorch tutorials, "Learning PyTorch with Examples", section "PyTorch: Defining new
autograd functions" (https://pytorch.org/tutorials/beginner/pytorch_with_examples.html,
polynomial_custom_function.py). A third-order polynomial y = a + b P3(c + d x), with P3 a
custom autograd Function whose backward is written by hand, is fitted to sin(x) by gradient
descent with manual updates under torch.no_grad().
Adapted: 300 steps instead of 2000 (every 50th loss kept); sin(x) computed with numpy on the
same grid; the device argument dropped (CPU only); nothing printed.
"""
import math

import numpy as np
import torch


class LegendrePolynomial3(torch.autograd.Function):
    """
    We can implement our own custom autograd Functions by subclassing
    torch.autograd.Function and implementing the forward and backward passes
    which operate on Tensors.
    """

    @staticmethod
    def forward(ctx, input):
        """
        In the forward pass we receive a Tensor containing the input and return
        a Tensor containing the output. ctx is a context object that can be used
        to stash information for backward computation.
        """
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        """
        In the backward pass we receive a Tensor containing the gradient of the loss
        with respect to the output, and we need to compute the gradient of the loss
        with respect to the input.
        """
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float

# Create Tensors to hold input and outputs.
x_np = np.linspace(-math.pi, math.pi, 2000, dtype=np.float32)
x = torch.tensor(x_np, dtype=dtype)
y = torch.tensor(np.sin(x_np), dtype=dtype)

# Create random Tensors for weights. For this example, we need
# 4 weights: y = a + b * P3(c + d * x), these weights need to be initialized
# not too far from the correct result to ensure convergence.
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
losses = []
for t in range(300):
    # To apply our Function, we use Function.apply method. We alias this as 'P3'.
    P3 = LegendrePolynomial3.apply

    # Forward pass: compute predicted y using operations; we compute
    # P3 using our custom autograd operation.
    y_pred = a + b * P3(c + d * x)

    # Compute and print loss
    loss = (y_pred - y).pow(2).sum()
    if t % 50 == 49:
        losses.append(loss.item())

    # Use autograd to compute the backward pass.
    loss.backward()

    # Update weights using gradient descent
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # Manually zero the gradients after updating weights
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

RESULTS = {
    "losses": losses,
    "a": a, "b": b, "c": c, "d": d,
    "grad_fn": type(y_pred.grad_fn.next_functions[1][0].next_functions[1][0]).__name__,
    "P3_at_half": LegendrePolynomial3.apply(torch.tensor([0.5, -0.25])),
}
