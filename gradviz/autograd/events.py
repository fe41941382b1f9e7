"""What the backward engine does, one event at a time.

``Tensor.backward()`` drains these; the explorer's ``Stepper`` pulls them one by one. Every
gradient an event carries is the real array the engine computed. With ``record=True`` the
engine also keeps what an event overwrote (``before``), so a stepper can undo it exactly.
"""
from __future__ import annotations

import numpy as np


class _Event:
    """Plain ``__slots__`` classes rather than dataclasses: a backward pass makes one event per
    node, and constructing these must cost next to nothing when nobody records them."""

    __slots__ = ()
    kind: str = ""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"


class SeedEvent(_Event):
    """A root receives its starting gradient (ones for a scalar, or ``gradient=``)."""

    __slots__ = ("node", "tensor", "grad")
    kind = "seed"

    def __init__(self, node, tensor, grad: np.ndarray):
        self.node = node  # the node that receives it (the root's grad_fn, or an AccumulateGrad)
        self.tensor = tensor  # the root tensor
        self.grad = grad


class CallEvent(_Event):
    """A function node runs: ``grad_in`` is the summed gradient of its output, ``grads_out``
    the gradient it sends along each of its ``next_functions`` (reduced to each input's
    shape; None where an input needs none). ``freed`` holds the saved tensors it released."""

    __slots__ = ("node", "grad_in", "grads_out", "freed")
    kind = "call"

    def __init__(self, node, grad_in, grads_out: tuple, freed=None):
        self.node = node
        self.grad_in = grad_in
        self.grads_out = grads_out
        self.freed = freed


class AccumulateEvent(_Event):
    """A leaf's ``.grad`` goes from ``before`` to ``after`` (by adding ``grad_in``)."""

    __slots__ = ("node", "tensor", "grad_in", "before", "after")
    kind = "accumulate"

    def __init__(self, node, tensor, grad_in, before=None, after=None):
        self.node = node  # the AccumulateGrad node
        self.tensor = tensor  # the leaf
        self.grad_in = grad_in
        self.before = before  # recorded only with record=True
        self.after = after  # recorded only with record=True


class HookEvent(_Event):
    """A hook registered with ``register_hook`` saw the gradient (and maybe replaced it)."""

    __slots__ = ("node", "tensor", "before", "after")
    kind = "hook"

    def __init__(self, node, tensor, before, after):
        self.node = node
        self.tensor = tensor
        self.before = before
        self.after = after


class RetainEvent(_Event):
    """A non-leaf that called ``retain_grad()`` stores its gradient in ``.grad``."""

    __slots__ = ("node", "tensor", "grad_in", "before", "after")
    kind = "retain"

    def __init__(self, node, tensor, grad_in, before=None, after=None):
        self.node = node
        self.tensor = tensor
        self.grad_in = grad_in
        self.before = before
        self.after = after


class DoneEvent(_Event):
    """The pass is over."""

    __slots__ = ()
    kind = "done"


Event = SeedEvent | CallEvent | AccumulateEvent | HookEvent | RetainEvent | DoneEvent
