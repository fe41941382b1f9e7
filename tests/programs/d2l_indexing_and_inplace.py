"""Indexing, slicing, in-place updates and gradients, as "Dive into Deep Learning" teaches them.

Sources: Dive into Deep Learning (d2l.ai, PyTorch edition), section 2.1 "Data Manipulation"
(https://d2l.ai/chapter_preliminaries/ndarray.html): indexing and slicing (``X[-1]``, ``X[1:3]``,
``X[1, 2] = 17``, ``X[:2, :] = 12``), "Saving Memory" (``Z[:] = X + Y``, ``X += Y``), and
section 2.5 "Automatic Differentiation" (https://d2l.ai/chapter_preliminaries/autograd.html):
``y = 2 * torch.dot(x, x)``, ``x.grad.zero_()``, detaching computation. Extended with
assignment into a tensor that is part of a graph (the CopySlices that PyTorch records), as
PyTorch's "Autograd mechanics" note describes for in-place operations.
Adapted: ``id()`` comparisons replaced by checking that the tensor object is unchanged; the
random Y of d2l comes from numpy.random.default_rng(0); the last section is an addition.
"""
import numpy as np
import torch

rng = np.random.default_rng(0)

# --- 2.1 Data Manipulation: indexing and slicing --------------------------------------------
X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
last_row, middle_rows = X[-1].clone(), X[1:3].clone()
X[1, 2] = 17
after_write = X.clone()
X[:2, :] = 12
after_block = X.clone()

# --- Saving memory ----------------------------------------------------------------------------
Y = torch.tensor(rng.normal(size=(3, 4)), dtype=torch.float32)
Z = torch.zeros_like(Y)
Z_before = Z
Z[:] = X + Y
same_object_z = Z is Z_before
X_before = X
X += Y
same_object_x = X is X_before

# --- indexing with lists, masks and ranges ---------------------------------------------------
picked = X[[0, 2]][:, range(1, 3)]
positive = X[X > 12]
X[X > 12] = 0
masked = X.clone()

# --- 2.5 Automatic Differentiation -------------------------------------------------------------
x = torch.arange(4.0)
x.requires_grad_(True)
y = 2 * torch.dot(x, x)
y.backward()
grad_dot = x.grad.clone()
check_dot = x.grad == 4 * x
x.grad.zero_()
y = x.sum()
y.backward()
grad_sum = x.grad.clone()
x.grad.zero_()
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
check_detach = x.grad == u

# --- addition: writing into a tensor that is part of a graph ------------------------------------
w = torch.tensor(rng.normal(size=(3, 3)), dtype=torch.float32, requires_grad=True)
h = w * 2
h[0] = h[0] * 3        # CopySlices, wrapping the copy of the new row
h[:, 1] += 1.0         # an in-place add on a column view
h[h < 0] = 0.0         # index_put_ with a mask
out = (h * h).sum()
out.backward()
names = []
fn = h.grad_fn
while fn is not None and len(names) < 4:
    names.append(type(fn).__name__)
    fn = fn.next_functions[0][0]

RESULTS = {
    "last_row": last_row, "middle_rows": middle_rows, "after_write": after_write,
    "after_block": after_block, "Z": Z, "X": X, "same_object_z": same_object_z,
    "same_object_x": same_object_x, "picked": picked, "positive": positive, "masked": masked,
    "grad_dot": grad_dot, "check_dot": check_dot, "grad_sum": grad_sum, "check_detach": check_detach,
    "h": h, "w_grad": w.grad, "grad_fn_chain": names, "h_version": h._version,
}
