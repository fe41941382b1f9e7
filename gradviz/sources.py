"""Where a graph comes from: gradviz's own engine, or PyTorch's.

The timeline, the explorer, the static page and the screenshots ask every question about a root
tensor here, so that none of them asks which library made it. A gradviz tensor is answered
directly; a ``torch.Tensor`` is answered by ``gradviz.torch_graph``, which is imported only when
such a tensor arrives (``import gradviz`` never imports torch).

The contract both sources keep:

- ``to_networkx(roots, names)``: the graph schema of ``gradviz.graph`` (``G.graph`` has
  ``roots``, ``ids`` (``id(object) -> node id``), ``objects`` (node id -> tensor or node),
  ``inputs`` and ``source`` ("gradviz" or "torch"));
- ``new_pass(roots, gradient, retain_graph)``: an object with the ``Stepper`` interface
  (``position``, ``total``, ``events``, ``current``, ``done``, ``step()``, ``back()``, ``run()``,
  ``reset()``, ``seek()``) whose events are the classes of ``gradviz.autograd.events``, with
  ``node``/``tensor`` the very objects ``G.graph["ids"]`` knows and gradients as numpy arrays;
  a pass that cannot run raises PyTorch's ``RuntimeError`` and changes nothing;
- ``grad_array(t)`` / ``set_grad(t, array_or_None)`` / ``zero_grad(t)``: a leaf's ``.grad`` as a
  numpy copy, and writing it back exactly.
"""
from __future__ import annotations

import sys

import numpy as np

from .tensor import Tensor


def is_torch_tensor(obj) -> bool:
    """Whether ``obj`` is a ``torch.Tensor``, without importing torch (if torch was never
    imported, nothing can be one of its tensors)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.Tensor)


def _torch():
    from . import torch_graph

    return torch_graph


def source_of(root) -> str:
    """"gradviz" or "torch"; a TypeError for anything else."""
    first = root[0] if isinstance(root, (list, tuple)) and root else root
    if isinstance(first, Tensor):
        return "gradviz"
    if is_torch_tensor(first):
        return "torch"
    raise TypeError(f"expected a gradviz or torch tensor, got {type(first).__name__}")


def to_networkx(roots, names=None, **kwargs):
    if source_of(roots) == "torch":
        return _torch().to_networkx(roots, names, **kwargs)
    from . import graph

    G = graph.to_networkx(roots, names if names is not None else {}, **kwargs)
    G.graph.setdefault("source", "gradviz")
    return G


def new_pass(roots, gradient=None, retain_graph: bool = False):
    if source_of(roots) == "torch":
        return _torch().RecordedPass(roots, gradient, retain_graph=retain_graph)
    from .autograd.stepper import Stepper

    return Stepper(roots, gradient, retain_graph=retain_graph)


def requires_grad(t) -> bool:
    return bool(t._requires_grad) if isinstance(t, Tensor) else bool(t.requires_grad)


def value_array(t) -> np.ndarray:
    """The tensor's value as a numpy array (a copy for torch tensors)."""
    if isinstance(t, Tensor):
        return t._array
    return t.detach().cpu().numpy().copy()


def grad_array(t):
    """``t.grad`` as a numpy copy, or None."""
    if isinstance(t, Tensor):
        return None if t._grad is None else t._grad._array.copy()
    g = t.grad
    return None if g is None else g.detach().cpu().numpy().copy()


def set_grad(t, value) -> None:
    """Make ``t.grad`` equal ``value`` (an ndarray, or None) exactly."""
    if isinstance(t, Tensor):
        from .autograd.stepper import _set_grad

        _set_grad(t, value)
    else:
        _torch().set_grad(t, value)


def zero_grad(t) -> bool:
    """``t.grad.zero_()`` when ``t`` has a gradient; whether it had one."""
    if isinstance(t, Tensor):
        if t._grad is None:
            return False
        t._grad.zero_()
        return True
    if t.grad is None:
        return False
    t.grad.zero_()
    return True
