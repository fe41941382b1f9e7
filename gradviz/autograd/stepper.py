"""Step through a backward pass one event at a time, forwards and back.

The ``Stepper`` pulls events from the one engine (``run_backward(record=True)``), so what it
shows is what ``backward()`` does. Each recorded event keeps exactly what it overwrote, so
``back()`` restores it bit for bit and a later ``step()`` re-applies it from the record: the
pass is never re-run and gradients are never snapshotted wholesale.
"""
from __future__ import annotations

import numpy as np

from . import prepare_roots
from .engine import count_events, gradient_edge, plan, run_backward


class PassMoves:
    """``run``, ``reset`` and ``seek`` in terms of ``step`` and ``back``: the same for every kind
    of pass (gradviz's ``Stepper``, PyTorch's ``RecordedPass``)."""

    def run(self) -> None:
        while self.position < self.total:
            self.step()

    def reset(self) -> None:
        while self.position > 0:
            self.back()

    def seek(self, position: int) -> None:
        if not 0 <= position <= self.total:
            raise IndexError(f"position must be between 0 and {self.total}, got {position}")
        while self.position < position:
            self.step()
        while self.position > position:
            self.back()


class Stepper(PassMoves):
    """``Stepper(root, gradient=None, retain_graph=False)``

    ``step()`` performs and returns the next event (None at the end), ``back()`` undoes the last
    one (and returns it), ``run()`` goes to the end, ``reset()`` back to the start. ``position``
    counts the events performed, ``total`` is known before the first step, ``events`` lists those
    pulled so far. A pass over a graph whose saved tensors were freed raises PyTorch's error at
    the first ``step()`` and changes nothing.
    """

    def __new__(cls, root=None, *args, **kwargs):
        # A torch tensor's pass is PyTorch's own, recorded (gradviz.torch_graph.RecordedPass).
        from ..sources import is_torch_tensor

        first = root[0] if isinstance(root, (list, tuple)) and root else root
        if cls is Stepper and is_torch_tensor(first):
            from ..torch_graph import RecordedPass

            return RecordedPass(root, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, root, gradient=None, retain_graph: bool = False):
        self.roots, self._grads = prepare_roots(root, gradient)
        self.retain_graph = bool(retain_graph)
        self._order = plan([gradient_edge(t) for t in self.roots])
        self.total = count_events(len(self.roots), self._order)
        self.events: list = []
        self.position = 0
        self._engine = None

    # --- moving -----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.position >= self.total

    @property
    def current(self):
        """The event performed last (None at the start)."""
        return self.events[self.position - 1] if self.position else None

    def step(self):
        if self.position >= self.total:
            return None
        if self.position < len(self.events):
            event = self.events[self.position]
            _redo(event)
        else:
            if self._engine is None:
                self._engine = run_backward(self.roots, self._grads, retain_graph=self.retain_graph,
                                            record=True, order=self._order)
            try:
                event = next(self._engine)
            except StopIteration:  # pragma: no cover - total is exact
                self.total = self.position
                return None
            self.events.append(event)
            if event.kind == "done":
                self.total = len(self.events)
        self.position += 1
        return event

    def back(self):
        if self.position == 0:
            return None
        self.position -= 1
        event = self.events[self.position]
        _undo(event)
        return event


    def __repr__(self) -> str:
        return f"<Stepper step {self.position} of {self.total}>"


# --- undo and redo, per kind of event ---------------------------------------------------------
def _set_grad(tensor, value) -> None:
    """Put ``value`` (an ndarray, or None) into ``tensor.grad`` without sharing the record."""
    from ..tensor import Tensor

    if value is None:
        tensor._grad = None
    elif tensor._grad is not None and tensor._grad._array.shape == value.shape and tensor._grad._array.flags.writeable:
        np.copyto(tensor._grad._array, value)
        tensor._grad._version_counter[0] += 1
    else:
        tensor._grad = Tensor._make(value.copy())


def _undo(event) -> None:
    kind = event.kind
    if kind in ("accumulate", "retain"):
        _set_grad(event.tensor, event.before)
    elif kind == "call" and event.freed is not None:
        event.node.restore_saved(event.freed)


def _redo(event) -> None:
    kind = event.kind
    if kind in ("accumulate", "retain"):
        _set_grad(event.tensor, event.after)
    elif kind == "call" and event.freed is not None:
        event.node.release_saved()
