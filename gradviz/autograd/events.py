"""What the backward engine does, one event at a time.

``Tensor.backward()`` drains these; the explorer's ``Stepper`` pulls them one by one. Every
gradient an event carries is the real array the engine computed. With ``record=True`` the
engine also keeps what an event overwrote (``before``), so a stepper can undo it exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(eq=False)
class SeedEvent:
    """A root receives its starting gradient (ones for a scalar, or ``gradient=``)."""

    node: Any  # the node that receives it (the root's grad_fn, or an AccumulateGrad)
    tensor: Any  # the root tensor
    grad: np.ndarray
    kind: str = field(default="seed", init=False)


@dataclass(eq=False)
class CallEvent:
    """A function node runs: ``grad_in`` is the summed gradient of its output, ``grads_out``
    the gradient it sends along each of its ``next_functions`` (reduced to each input's
    shape; None where an input needs none). ``freed`` holds the saved tensors it released."""

    node: Any
    grad_in: np.ndarray | None
    grads_out: tuple
    freed: dict | None = None
    kind: str = field(default="call", init=False)


@dataclass(eq=False)
class AccumulateEvent:
    """A leaf's ``.grad`` goes from ``before`` to ``after`` (by adding ``grad_in``)."""

    node: Any  # the AccumulateGrad node
    tensor: Any  # the leaf
    grad_in: np.ndarray | None
    before: np.ndarray | None = None  # recorded only with record=True
    after: np.ndarray | None = None  # recorded only with record=True
    kind: str = field(default="accumulate", init=False)


@dataclass(eq=False)
class HookEvent:
    """A hook registered with ``register_hook`` saw the gradient (and maybe replaced it)."""

    node: Any
    tensor: Any
    before: np.ndarray | None
    after: np.ndarray | None
    kind: str = field(default="hook", init=False)


@dataclass(eq=False)
class RetainEvent:
    """A non-leaf that called ``retain_grad()`` stores its gradient in ``.grad``."""

    node: Any
    tensor: Any
    grad_in: np.ndarray | None
    before: np.ndarray | None = None
    after: np.ndarray | None = None
    kind: str = field(default="retain", init=False)


@dataclass(eq=False)
class DoneEvent:
    """The pass is over."""

    kind: str = field(default="done", init=False)


Event = SeedEvent | CallEvent | AccumulateEvent | HookEvent | RetainEvent | DoneEvent
