"""Jacobians and vector-Jacobian products, the way PyTorch's autograd docs teach them.

Sources:
- "A Gentle Introduction to torch.autograd" (https://pytorch.org/tutorials/beginner/blitz/autograd_tutorial.html):
  Q = 3a^3 - b^2, ``Q.backward(gradient=external_grad)`` and the check ``9*a**2 == a.grad``;
- the examples of ``torch.autograd.functional.jacobian`` and ``vjp`` in PyTorch's documentation
  (https://pytorch.org/docs/stable/generated/torch.autograd.functional.jacobian.html,
  https://pytorch.org/docs/stable/generated/torch.autograd.functional.vjp.html):
  ``exp_reducer``, ``exp_adder`` and ``adder``;
- "Autograd mechanics" / the Jacobian-vector product section of the same tutorial: J^T v
  computed by ``backward(v)`` equals ``v @ jacobian``.
Adapted: ``torch.rand`` inputs replaced by numpy.random.default_rng(0) values; the printed
results collected in RESULTS.
"""
import numpy as np
import torch
from torch.autograd.functional import jacobian, vjp

rng = np.random.default_rng(0)

# --- A Gentle Introduction to torch.autograd: differentiation in autograd -----------------
a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
check_a = (9 * a ** 2 == a.grad)
check_b = (-2 * b == b.grad)


# --- torch.autograd.functional.jacobian -----------------------------------------------------
def exp_reducer(x):
    return x.exp().sum(dim=1)


inputs = torch.tensor(rng.uniform(size=(2, 2)), dtype=torch.float32)
jac_reducer = jacobian(exp_reducer, inputs)


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


inputs2 = (torch.tensor(rng.uniform(size=2), dtype=torch.float32),
           torch.tensor(rng.uniform(size=2), dtype=torch.float32))
jac_adder = jacobian(exp_adder, inputs2)

# --- torch.autograd.functional.vjp ----------------------------------------------------------
inputs3 = torch.tensor(rng.uniform(size=(4, 4)), dtype=torch.float32)
v = torch.ones(4)
vjp_reducer = vjp(exp_reducer, inputs3, v)


def adder(x, y):
    return 2 * x + 3 * y


inputs4 = (torch.tensor(rng.uniform(size=2), dtype=torch.float32),
           torch.tensor(rng.uniform(size=2), dtype=torch.float32))
v2 = torch.ones(2)
vjp_adder = vjp(adder, inputs4, v2)

# --- the vector-Jacobian product that backward(v) computes ------------------------------------
x = torch.tensor(rng.normal(size=3), dtype=torch.float32, requires_grad=True)
y = x * 2
y = y * y + x
vec = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float32)
y.backward(vec)
J = jacobian(lambda t: (t * 2) * (t * 2) + t, x.detach())
backward_equals_vjp = torch.allclose(x.grad, vec @ J)

RESULTS = {
    "a_grad": a.grad, "b_grad": b.grad, "check_a": check_a, "check_b": check_b,
    "jac_reducer": jac_reducer, "jac_adder": jac_adder,
    "vjp_reducer": vjp_reducer, "vjp_adder": vjp_adder,
    "x_grad": x.grad, "J": J, "backward_equals_vjp": backward_equals_vjp,
}
