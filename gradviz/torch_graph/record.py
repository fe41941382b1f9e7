"""PyTorch's own backward pass, recorded once and stepped through event by event.

``RecordedPass`` runs ``torch.autograd.backward`` a single time with a hook on every node and
leaf of the graph, and keeps, in the order PyTorch's engine ran them, what each node received and
sent (``CallEvent``), each leaf's ``.grad`` before and after its AccumulateGrad ran
(``AccumulateEvent``) and what a known ``retain_grad()`` tensor kept (``RetainEvent``). Every
gradient is PyTorch's, copied to numpy when it was seen; gradviz computes none of them.

After recording, every ``.grad`` the pass touched is put back as it was, so the pass can then be
stepped like gradviz's own: ``step()`` writes an event's ``after`` into ``.grad``, ``back()`` its
``before``, bit for bit, and at the end every ``.grad`` is what ``loss.backward()`` leaves.
"""
from __future__ import annotations

import numpy as np
import torch

from ..autograd.events import AccumulateEvent, CallEvent, DoneEvent, RetainEvent, SeedEvent
from .arrays import set_grad, to_numpy
from .saved import saved_tensor_names
from .walk import as_root_list, gradient_edge, is_accumulate, reachable


class RecordedPass:
    """``RecordedPass(roots, gradient=None, retain_graph=False, tensors=())``

    The ``Stepper`` interface over one real PyTorch backward pass: ``position``, ``total``,
    ``events`` (all recorded up front), ``current``, ``done``, ``step()``, ``back()``, ``run()``,
    ``reset()``, ``seek()``. ``tensors``: further tensors the caller knows (named ones), so that
    those which called ``retain_grad()`` get their ``RetainEvent`` and their ``.grad`` restored.

    A pass that PyTorch cannot run (a graph already freed, a root that needs no gradient, a
    non-scalar root without ``gradient``) raises PyTorch's own ``RuntimeError`` here, and every
    ``.grad`` is left as it was.

    A multi-output node's ``CallEvent.grad_in`` is a tuple (one gradient per output, None where
    none arrived), as PyTorch hands it to the node; for all others it is one array.
    """

    source = "torch"

    def __init__(self, roots, gradient=None, retain_graph: bool = False, tensors=()):
        self.roots = as_root_list(roots)
        self.retain_graph = bool(retain_graph)
        self.events: list = _record(self.roots, _seeds(self.roots, gradient), self.retain_graph,
                                    tensors)
        self.total = len(self.events)
        self.position = 0

    # --- moving (as gradviz's Stepper) -------------------------------------------------------
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
        event = self.events[self.position]
        if event.kind in ("accumulate", "retain"):
            set_grad(event.tensor, event.after)
        self.position += 1
        return event

    def back(self):
        if self.position == 0:
            return None
        self.position -= 1
        event = self.events[self.position]
        if event.kind in ("accumulate", "retain"):
            set_grad(event.tensor, event.before)
        return event

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

    def __repr__(self) -> str:
        return f"<RecordedPass of PyTorch's engine, step {self.position} of {self.total}>"


# --- recording ---------------------------------------------------------------------------------
def _seeds(roots, gradient) -> list:
    """The gradient each root starts with, as torch tensors (None: PyTorch makes the ones, or
    raises its own error for a non-scalar root)."""
    if gradient is None:
        return [None] * len(roots)
    grads = list(gradient) if isinstance(gradient, (list, tuple)) and len(roots) > 1 else [gradient]
    if len(grads) != len(roots):
        raise RuntimeError(f"got {len(grads)} gradients for {len(roots)} roots")
    out = []
    for r, g in zip(roots, grads):
        if g is None:
            out.append(None)
            continue
        if not isinstance(g, torch.Tensor):
            g = torch.as_tensor(getattr(g, "_array", g))
        out.append(g.to(dtype=r.dtype, device=r.device))
    return out


def _record(roots, seeds, retain_graph: bool, tensors) -> list:
    edges = [gradient_edge(r)[0] for r in roots]
    nodes = reachable(edges)
    leaves = [n.variable for n in nodes if is_accumulate(n)]
    in_graph = {id(n) for n in nodes}
    retained: list = []
    seen: set = set()
    for t in list(roots) + list(tensors):
        if id(t) in seen or not isinstance(t, torch.Tensor):
            continue
        seen.add(id(t))
        fn = t.grad_fn
        if fn is not None and id(fn) in in_graph and t.retains_grad:
            retained.append(t)
    # What the pass will overwrite, to put back afterwards (the tensor object too, because
    # AccumulateGrad adds into an existing .grad in place).
    touched = leaves + retained
    kept = [(t, t.grad, None if t.grad is None else t.grad.detach().clone()) for t in touched]

    events: list = []
    for r, e, s in zip(roots, edges, seeds):
        if s is not None:
            seed = to_numpy(s, copy=True)
        else:  # PyTorch's implicit ones (a non-scalar root raises its error below)
            seed = to_numpy(torch.ones_like(r), copy=True) if r.numel() == 1 else None
        events.append(SeedEvent(e, r, seed))
    pending_retain: dict = {}  # id(node) -> [RetainEvent waiting for its "after"]
    freed_names = {} if retain_graph else {id(n): saved_tensor_names(n) for n in nodes
                                           if not is_accumulate(n)}
    handles = []
    try:
        for node in nodes:
            if is_accumulate(node):
                var = node.variable
                ev = AccumulateEvent(node, var, None)
                handles.append(node.register_prehook(_leaf_pre(ev, var, events)))
                handles.append(var.register_post_accumulate_grad_hook(_leaf_post(ev)))
            else:
                handles.append(node.register_hook(
                    _node_post(node, events, pending_retain, freed_names.get(id(node)))))
        for t in retained:
            handles.append(t.register_hook(_retain_pre(t, events, pending_retain)))
        grads = None if all(s is None for s in seeds) else seeds
        torch.autograd.backward(roots, grads, retain_graph=retain_graph)
    finally:
        for h in handles:
            h.remove()
        with torch.no_grad():
            for t, grad, values in kept:
                if grad is not None:
                    grad.copy_(values)
                t.grad = grad
    events.append(DoneEvent())
    return events


def _grads(gs) -> tuple:
    return tuple(to_numpy(g, copy=True) if g is not None else None for g in gs)


def _node_post(node, events, pending_retain, freed):
    def hook(grad_inputs, grad_outputs):
        for ev in pending_retain.pop(id(node), ()):
            ev.after = to_numpy(ev.tensor.grad, copy=True)
        received = _grads(grad_outputs)
        grad_in = received[0] if len(received) == 1 else received
        events.append(CallEvent(node, grad_in, _grads(grad_inputs),
                                {name: None for name in freed} if freed else None))
    return hook


def _leaf_pre(ev, var, events):
    def hook(grad_outputs):
        g = grad_outputs[0] if grad_outputs else None
        ev.grad_in = to_numpy(g, copy=True) if g is not None else None
        ev.before = to_numpy(var.grad, copy=True) if var.grad is not None else None
        ev.after = ev.before
        events.append(ev)
    return hook


def _leaf_post(ev):
    def hook(var):
        ev.after = to_numpy(var.grad, copy=True) if var.grad is not None else None
    return hook


def _retain_pre(t, events, pending_retain):
    def hook(grad):
        # Tensor hooks run before PyTorch's retain_grad hook: .grad is still the old value here,
        # and the node's own hook (after it ran) reads the new one.
        before = to_numpy(t.grad, copy=True) if t.grad is not None else None
        ev = RetainEvent(t.grad_fn, t, to_numpy(grad, copy=True), before, before)
        events.append(ev)
        pending_retain.setdefault(id(t.grad_fn), []).append(ev)
    return hook
