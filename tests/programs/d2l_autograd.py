"""Automatic differentiation as the textbook teaches it: gradients of dot products and sums,
zeroing them, backward of a non-scalar with an explicit gradient, detaching a computation,
and a gradient through Python control flow.

Follows "Dive into Deep Learning", section 2.5 "Automatic Differentiation"
(https://d2l.ai/chapter_preliminaries/autograd.html, PyTorch version): x = torch.arange(4.0)
with x.requires_grad_(True); y = 2 * torch.dot(x, x) and x.grad == 4 * x; x.grad.zero_()
before y = x.sum(); y = x * x with y.backward(gradient=torch.ones(len(y))); u = y.detach() and
z = u * x; and f(a), which doubles b while b.norm() < 1000 and branches on b.sum(), checked
with a.grad == d / a.
Adapted: written anew in that shape; the random scalar a (torch.randn(size=(),
requires_grad=True) in the book) and a second, vector input come from
numpy.random.default_rng(0); every intermediate result goes into RESULTS.
"""
import numpy as np
import torch

rng = np.random.default_rng(0)
out = {}

x = torch.arange(4.0)
x.requires_grad_(True)
out["x_grad_before"] = x.grad is None
y = 2 * torch.dot(x, x)
y.backward()
out["y"] = y.detach()
out["grad_dot"] = x.grad.clone()
out["grad_is_4x"] = bool((x.grad == 4 * x).all())

x.grad.zero_()
y = x.sum()
y.backward()
out["grad_sum"] = x.grad.clone()

x.grad.zero_()
y = x * x
y.backward(gradient=torch.ones(len(y)))
out["grad_square"] = x.grad.clone()

x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
out["grad_detached"] = x.grad.clone()
out["grad_equals_u"] = bool((x.grad == u).all())
x.grad.zero_()
y.sum().backward()
out["grad_through_y"] = x.grad.clone()


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.tensor(rng.standard_normal(), dtype=torch.float32, requires_grad=True)
d = f(a)
d.backward()
out["d"] = d.detach()
out["grad_f"] = a.grad.clone()
out["grad_is_d_over_a"] = bool(torch.isclose(a.grad, d / a).item())

v = torch.tensor(rng.standard_normal(3), dtype=torch.float32, requires_grad=True)
dv = f(v)
dv.sum().backward()
out["dv"] = dv.detach()
out["grad_f_vector"] = v.grad.clone()
out["doublings"] = int(torch.log2(dv.abs().max() / (2 * v.abs().max())).round().item())

RESULTS = out
