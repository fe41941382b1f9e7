"""The seed notebook's cells, as gradviz code, and a way to run them and keep what they print.

The code here is what the tutorial shows *and* what it runs, so the printed output on the
page is gradviz's own, computed live. Only two things differ from the PyTorch notebook:
``import gradviz as torch``, and ``w``/``b`` typed in with the values the notebook printed
(it drew them with ``torch.randn``), so the numbers can be checked against it.
"""
from __future__ import annotations

import contextlib
import io
from typing import NamedTuple

import numpy as np


class Cell(NamedTuple):
    prompt: str   # the notebook's execution prompt, e.g. "In [8]"
    code: str


FORWARD = Cell("In [8]", '''\
import gradviz as torch   # the notebook says `import torch`: the only change
x = torch.ones(5)   # input
y = torch.zeros(3)  # expected output
# The notebook draws w and b with torch.randn; we type in the values it printed.
w = torch.tensor([[-0.5307, -0.7968, -0.2264],
                  [ 0.1109, -0.1617,  0.1858],
                  [-0.8023, -0.0873, -0.1678],
                  [ 0.7206, -1.1387, -0.4571],
                  [ 1.4859,  1.2503,  0.4301]], requires_grad=True)
b = torch.tensor([-1.1817, -0.3948, -0.1673], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"x:{x},\\n w:{w},\\n b:{b},\\n z:{z},\\n loss:{loss}")
''')

GRAD_FN = Cell("In [2]", '''\
print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
''')

BACKWARD = Cell("In [3]", '''\
loss.backward()
print(w.grad)
print(b.grad)
''')

NO_GRAD = Cell("In [4]", '''\
z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
''')

DETACH = Cell("In [5]", '''\
z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)
''')

JACOBIAN_FORWARD = '''\
import gradviz as torch
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
'''

JACOBIAN = Cell("In [6]", JACOBIAN_FORWARD + '''\
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nSecond call\\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\\nCall after zeroing gradients\\n{inp.grad}")
''')


def run(*cells) -> tuple[dict, str]:
    """Run cells (``Cell`` or code strings) one after another in a fresh namespace, as a
    notebook kernel would; return the namespace and what the *last* cell printed."""
    namespace: dict = {"__name__": "gradviz_tutorial"}
    printed = ""
    for i, cell in enumerate(cells):
        code = cell.code if isinstance(cell, Cell) else cell
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), np.errstate(all="ignore"):
            exec(compile(code, "<gradviz tutorial>", "exec"), namespace)  # noqa: S102
        if i == len(cells) - 1:
            printed = buffer.getvalue()
    return namespace, printed
