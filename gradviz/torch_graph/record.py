"""PyTorch's own backward pass, recorded once and stepped through event by event.

``RecordedPass`` runs ``torch.autograd.backward`` a single time with a post hook
(``Node.register_hook``) on every node of the graph, the leaves' AccumulateGrad nodes included,
and a tensor hook on each known ``retain_grad()`` tensor. It keeps, in the order PyTorch's engine
ran them, what each node received and sent (``CallEvent``), each leaf's ``.grad`` before and after
its AccumulateGrad ran (``AccumulateEvent``) and what a retained tensor kept (``RetainEvent``).
Every gradient is PyTorch's own, seen as numpy; gradviz computes none of them.

After recording, every ``.grad`` the pass touched is put back as it was, so the pass can then be
stepped like gradviz's own: ``step()`` writes an event's ``after`` into ``.grad``, ``back()`` its
``before``, bit for bit, and at the end every ``.grad`` is what ``loss.backward()`` leaves.
"""
from __future__ import annotations

import gc
import weakref

import torch

from ..autograd.stepper import PassMoves
from ..autograd.events import AccumulateEvent, CallEvent, DoneEvent, RetainEvent, SeedEvent
from .arrays import set_grad, to_numpy
from .export import RETAINED_KEY
from .saved import saved_tensor_names
from .walk import as_root_list, gradient_edge, is_accumulate, reachable


class RecordedPass(PassMoves):
    """``RecordedPass(roots, gradient=None, retain_graph=False, tensors=())``

    The ``Stepper`` interface over one real PyTorch backward pass: ``position``, ``total``,
    ``events`` (all recorded up front), ``current``, ``done``, ``step()``, ``back()``, ``run()``,
    ``reset()``, ``seek()``. ``tensors``: further tensors the caller knows (named ones), so that
    those which called ``retain_grad()`` get their ``RetainEvent`` and their ``.grad`` restored.

    A pass that PyTorch cannot run (a graph already freed, a root that needs no gradient, a
    non-scalar root without ``gradient``) raises PyTorch's own ``RuntimeError`` at its first
    ``step()`` (``error`` holds it from the start), as gradviz's ``Stepper`` does, and every
    ``.grad`` is left as it was.

    ``retain_graph=False``: the graph counts as freed while the pass stands at its end, as in
    gradviz's own stepper (whose Back restores what a step freed). The recording keeps the
    graph, so a view can still re-plan the pass with ``retain_graph=True``; when a new pass over
    the same graph is asked for while this one stands at its end, the graph is freed for real,
    by PyTorch: one more plain ``backward()`` without ``retain_graph`` (its gradients put back at
    once, so no ``.grad`` changes; the user's own hooks on the graph see that pass too), after
    which the new pass meets PyTorch's own error. (``release()`` frees it at any time.)

    A multi-output node's ``CallEvent.grad_in`` is a tuple (one gradient per output, None where
    none arrived), as PyTorch hands it to the node; for all others it is one array.
    """

    source = "torch"

    def __init__(self, roots, gradient=None, retain_graph: bool = False, tensors=()):
        self.roots = as_root_list(roots)
        self.retain_graph = bool(retain_graph)
        seeds = _seeds(self.roots, gradient)
        _release_previous(self.roots)
        # The recording allocates a few objects per node and frees none; pausing the cyclic
        # collector keeps it from rescanning the heap again and again on big graphs.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self.events, touched = _record(self.roots, seeds, self.retain_graph, tensors)
            self.error = None
            self.total = len(self.events)
        except RuntimeError as e:
            # As gradviz's Stepper: a pass that cannot run says so at its first step (so a view
            # of a freed graph still opens), with nothing changed. Its length is what it would
            # have been without hooks or retained tensors: seeds, one event per node, done.
            self.error = e
            self.events, touched = [], []
            self.total = len(self.roots) + len(reachable([gradient_edge(r)[0] for r in self.roots])) + 1
        finally:
            if gc_was_enabled:
                gc.enable()
        self.position = 0
        self._freeing = _Freeing(self.roots, seeds, touched, self.events)
        # A pass dropped while it stands at its end (``RecordedPass(loss).run()``) frees the
        # graph then, as ``loss.backward()`` would have.
        weakref.finalize(self, self._freeing.free_if_owed).atexit = False
        _remember(self)

    # --- moving (as gradviz's Stepper) -------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.position >= self.total

    @property
    def current(self):
        """The event performed last (None at the start)."""
        return self.events[self.position - 1] if self.position else None

    def step(self):
        if self.error is not None:
            raise self.error
        if self.position >= self.total:
            return None
        event = self.events[self.position]
        if event.kind in ("accumulate", "retain"):
            set_grad(event.tensor, event.after)
        self.position += 1
        self._freeing.owed = not self.retain_graph and self.position == self.total
        return event

    @property
    def released(self) -> bool:
        """Whether this pass has freed the graph for real."""
        return self._freeing.done

    @property
    def owes_release(self) -> bool:
        """Whether the graph counts as freed by this pass: ``retain_graph=False``, at its end."""
        return self._freeing.owed and not self._freeing.done

    def release(self) -> None:
        """Free the graph as the end of ``backward()`` without ``retain_graph`` does: PyTorch runs
        it once more, plainly, and every ``.grad`` it touched is put back."""
        self._freeing.free()

    def back(self):
        if self.position == 0:
            return None
        self.position -= 1
        self._freeing.owed = False
        event = self.events[self.position]
        if event.kind in ("accumulate", "retain"):
            set_grad(event.tensor, event.before)
        return event


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
    # Besides the roots and the tensors given, those an export of this graph found.
    meta = _root_metadata(roots)
    exported = [r() for r in meta.get(RETAINED_KEY, ())] if meta is not None else []
    for t in list(roots) + list(tensors) + exported:
        if id(t) in seen or not isinstance(t, torch.Tensor):
            continue
        seen.add(id(t))
        fn = t.grad_fn
        if fn is not None and id(fn) in in_graph and t.retains_grad:
            retained.append(t)
    # What the pass will overwrite, to put back afterwards (the tensor object too, because
    # AccumulateGrad adds into an existing .grad in place).
    touched = leaves + retained
    kept = _keep(touched)

    rec = _Recorder()
    for r, e, s in zip(roots, edges, seeds):
        if s is not None:
            seed = to_numpy(s, copy=True)
        else:  # PyTorch's implicit ones (a non-scalar root raises its error below)
            seed = to_numpy(torch.ones_like(r), copy=True) if r.numel() == 1 else None
        rec.events.append(SeedEvent(e, r, seed))
    before = {id(t): to_numpy(values) for t, _, values in kept}
    handles = []
    try:
        for node in nodes:
            if is_accumulate(node):
                var = node.variable
                handles.append(node.register_hook(rec.leaf_hook(node, var, before.get(id(var)))))
            else:
                handles.append(node.register_hook(rec.node_hook(node, not retain_graph)))
        for t in retained:
            handles.append(t.register_hook(rec.retain_hook(t)))
        grads = None if all(s is None for s in seeds) else seeds
        # Always keeping the graph: without retain_graph it is freed when the pass is stepped
        # to its end (RecordedPass._release), so that the pass can still be re-planned before.
        torch.autograd.backward(roots, grads, retain_graph=True)
    finally:
        for h in handles:
            h.remove()
        _restore(kept)
    rec.events.append(DoneEvent())
    return rec.events, touched


class _Freeing:
    """What freeing a pass's graph takes, apart from the pass (so that it can still run when the
    pass is dropped): the roots, their seeds and the tensors whose ``.grad`` to put back."""

    __slots__ = ("roots", "seeds", "touched", "events", "owed", "done")

    def __init__(self, roots, seeds, touched, events):
        self.roots, self.seeds, self.touched, self.events = roots, seeds, touched, events
        self.owed = False  # retain_graph=False and the pass stands at its end
        self.done = False

    def free(self) -> None:
        if self.done:
            return
        self.done = True
        for e in self.events:  # what each node frees, read while it is still there
            if e.kind == "call":
                e.freed  # noqa: B018
        kept = _keep(self.touched)
        try:
            grads = None if all(s is None for s in self.seeds) else self.seeds
            torch.autograd.backward(self.roots, grads, retain_graph=False)
        except RuntimeError:
            pass  # already freed (by the user's own backward): nothing left to free
        finally:
            _restore(kept)

    def free_if_owed(self) -> None:
        if self.owed:
            self.free()


# The last pass over a graph, kept in its root node's metadata (weakly: the pass holds the graph).
_LAST_PASS = "gradviz_last_pass"


def _root_metadata(roots):
    node = gradient_edge(roots[0])[0]
    try:
        return node.metadata if node is not None else None
    except Exception:  # noqa: BLE001 - a node without metadata: passes are not chained
        return None


def _release_previous(roots) -> None:
    meta = _root_metadata(roots)
    ref = meta.get(_LAST_PASS) if meta is not None else None
    previous = ref() if ref is not None else None
    if previous is not None and previous.owes_release:
        previous.release()


def _remember(p) -> None:
    meta = _root_metadata(p.roots)
    if meta is not None:
        meta[_LAST_PASS] = weakref.ref(p)


def _keep(tensors) -> list:
    """What a pass will overwrite, to put back afterwards: each ``.grad`` tensor object (as
    AccumulateGrad adds into an existing one in place) and a copy of its values."""
    return [(t, t.grad, None if t.grad is None else t.grad.detach().clone()) for t in tensors]


def _restore(kept) -> None:
    with torch.no_grad():
        for t, grad, values in kept:
            if grad is not None:
                grad.copy_(values)
            t.grad = grad


def _view(g):
    """A gradient tensor as numpy, sharing its memory."""
    if g is None:
        return None
    try:
        return g.detach().numpy()  # the common case, without to_numpy's call
    except Exception:  # noqa: BLE001 - bfloat16, a GPU or sparse gradient, ...
        return to_numpy(g)


class TorchCallEvent(CallEvent):
    """A ``CallEvent`` that keeps the gradient tensors PyTorch handed to the node's hook and
    shows them as numpy when first asked (``grad_in``, ``grads_out``), without copying: the
    hook has nothing to do but keep them, and a pass nobody steps through never converts."""

    __slots__ = ("_received", "_sent", "_grad_in", "_grads_out", "_freed")

    def __init__(self, node, received: tuple, sent: tuple, frees: bool):
        self.node = node
        self._received = received
        self._sent = sent
        self._grad_in = self._grads_out = _UNSET
        # The recording keeps the graph, so which saved tensors this node frees (without
        # retain_graph) is read when first asked, or just before the graph is freed.
        self._freed = _UNSET if frees else None

    @property
    def freed(self):
        if self._freed is _UNSET:
            names = saved_tensor_names(self.node)
            self._freed = {name: _FREED for name in names} if names else None
        return self._freed

    @property
    def grad_in(self):
        if self._grad_in is _UNSET:
            r = self._received
            self._grad_in = _view(r[0]) if len(r) == 1 else tuple(_view(g) for g in r)
        return self._grad_in

    @property
    def grads_out(self):
        if self._grads_out is _UNSET:
            self._grads_out = tuple(_view(g) for g in self._sent)
        return self._grads_out

    def __repr__(self) -> str:
        return f"CallEvent(node={self.node!r}, grad_in={self.grad_in!r}, grads_out={self.grads_out!r})"


_UNSET = object()


class _FreedSaved:
    """A saved tensor a pass without ``retain_graph`` frees after its node ran (``CallEvent.freed``
    maps names to these, as gradviz's engine maps them to its saved tensors); PyTorch keeps
    nothing of it to show, so there is no ``tensor``."""

    __slots__ = ()
    tensor = None


_FREED = _FreedSaved()


class _Recorder:
    """The hooks of one pass and what they saw.

    Gradients are not copied: the events keep the very tensors PyTorch handed to the hooks. That
    is what makes it safe: PyTorch adds into a gradient buffer in place, or hands an incoming
    gradient to a leaf as its ``.grad``, only when nobody else references it, so no gradient kept
    here is changed afterwards (short of a user's hook modifying its argument in place, which
    PyTorch's docs rule out). Only a leaf's ``.grad`` after accumulation is copied, because the
    next pass adds into it.
    """

    def __init__(self):
        self.events: list = []
        self.pending_retain: dict = {}  # id(node) -> [RetainEvent waiting for its "after"]

    def node_hook(self, node, frees: bool):
        events, pending = self.events, self.pending_retain

        def hook(grad_inputs, grad_outputs):
            if pending:
                for ev in pending.pop(id(node), ()):
                    ev.after = to_numpy(ev.tensor.grad, copy=True)
            events.append(TorchCallEvent(node, grad_outputs, grad_inputs, frees))
        return hook

    def leaf_hook(self, node, var, before):
        # AccumulateGrad runs once per pass, so the .grad it finds is the one the pass began
        # with (``before``, copied by the caller).
        events = self.events

        def hook(grad_inputs, grad_outputs):
            g = grad_outputs[0] if grad_outputs else None
            after = to_numpy(var.grad, copy=True) if var.grad is not None else None
            # The incoming gradient is kept as a tensor view too: AccumulateGrad copied it
            # into .grad (it cannot take it over while this hook's caller holds it).
            events.append(AccumulateEvent(node, var, _view(g), before, after))
        return hook

    def retain_hook(self, t):
        def hook(grad):
            # Tensor hooks run before PyTorch's retain_grad hook: .grad is still the old value
            # here; the node's own hook (after it ran) reads the new one.
            old = to_numpy(t.grad, copy=True) if t.grad is not None else None
            ev = RetainEvent(t.grad_fn, t, to_numpy(grad, copy=True), old, old)
            self.events.append(ev)
            self.pending_retain.setdefault(id(t.grad_fn), []).append(ev)
        return hook
