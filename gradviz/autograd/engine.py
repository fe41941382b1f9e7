"""The one backward engine: a generator of events.

``plan`` fixes the order of a pass from the graph alone: dependency counting, with ready nodes
run latest-created first and leaves (AccumulateGrad) as soon as they are ready, which is
PyTorch's order. ``run_backward`` then walks that order and yields an event per thing it does.
Because the order is known up front, a stepper knows how many events a pass has before the
first one runs, and a pass that would fail on freed or modified saved tensors fails before it
changes anything.
"""
from __future__ import annotations

import heapq

import numpy as np

from .events import AccumulateEvent, CallEvent, DoneEvent, HookEvent, RetainEvent, SeedEvent
from .node import FREED_MESSAGE, AccumulateGrad, SavedTensor


_Tensor = None


def _load_tensor():
    # gradviz.tensor imports this module, so Tensor is looked up once, on first use (an
    # import statement inside the hot functions costs more than the rest of them).
    global _Tensor
    from ..tensor import Tensor

    _Tensor = Tensor
    return Tensor


def gradient_edge(tensor):
    """The node a gradient for ``tensor`` flows into: its grad_fn, or its AccumulateGrad."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    if tensor.requires_grad:
        return tensor._accumulator()
    return None


def plan(root_nodes, needed=None) -> list:
    """The nodes a pass runs, in the order it runs them. ``needed`` (a set) restricts the pass
    to those nodes, as ``autograd.grad`` does."""
    # One walk counts the edges into every reachable node (the keys of ``deps`` are the nodes
    # seen so far); this runs on every backward, so it stays free of helper calls.
    deps: dict = {}
    stack = []
    for n in root_nodes:
        if n in deps:
            deps[n] += 1
        else:
            deps[n] = 1
            stack.append(n)
    while stack:
        fn = stack.pop()
        for nxt, _ in fn.next_functions:
            if nxt is None or (needed is not None and nxt not in needed):
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)

    order = []
    append = order.append
    heap: list = []
    push, pop = heapq.heappush, heapq.heappop
    tick = 0
    for n in dict.fromkeys(root_nodes):
        deps[n] -= root_nodes.count(n)
        if deps[n] == 0:
            push(heap, (-n._seq, tick, n))
            tick += 1
    while heap:
        fn = pop(heap)[2]
        append(fn)
        for nxt, _ in fn.next_functions:
            if nxt is None or (needed is not None and nxt not in needed):
                continue
            left = deps[nxt] - 1
            deps[nxt] = left
            if left == 0:
                push(heap, (-nxt._seq, tick, nxt))
                tick += 1
    return order


def nodes_leading_to(root_nodes, targets) -> set:
    """Every node from which one of ``targets`` can be reached (targets included)."""
    parents: dict = {}
    seen = set(root_nodes)
    stack = list(seen)
    while stack:
        fn = stack.pop()
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            parents.setdefault(nxt, []).append(fn)
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    needed = set()
    stack = [t for t in targets if t in seen]
    while stack:
        fn = stack.pop()
        if fn in needed:
            continue
        needed.add(fn)
        stack.extend(parents.get(fn, ()))
    return needed


def check_can_run(order) -> None:
    """Raise PyTorch's error now if some node of the pass lost or had modified its saved
    tensors, so that a failing pass changes no gradient at all."""
    for fn in order:
        if fn._freed:
            raise RuntimeError(FREED_MESSAGE)
        saved = fn._saved
        if saved:
            for name, value in saved.items():
                # unpack() raises the error; only call it for a tensor that did change.
                if (isinstance(value, SavedTensor)
                        and value.tensor._version_counter[0] != value.version):
                    value.unpack(fn, name)


def count_events(roots_count: int, order, retain_graph: bool = True) -> int:
    """How many events a pass over ``order`` yields (seeds, hooks, retains, calls, done)."""
    n = roots_count + 1 + len(order)
    for fn in order:
        if isinstance(fn, AccumulateGrad):
            hooks = fn.variable._hooks
            n += len(hooks) if hooks else 0
        else:
            n += len(fn._pre_hooks) if fn._pre_hooks else 0
            if fn._retains is not None and fn._retains() is not None:
                n += 1
    return n


def _sum_to_shape(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo broadcasting: sum ``g`` over the dimensions that were broadcast to reach it."""
    extra = g.ndim - len(shape)
    if extra:
        # np.add.reduce is what ndarray.sum runs, without its Python wrapper (~1 us a call).
        g = np.add.reduce(g, axis=0 if extra == 1 else tuple(range(extra)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def run_backward(roots, grads, retain_graph: bool = False, record: bool = False,
                 capture: dict | None = None, order=None, emit: bool = True):
    """Yield the events of one backward pass.

    roots: tensors; grads: one ndarray per root (already checked and shaped).
    record: keep copies of what each event overwrites, for undo.
    capture: {node: slot} for ``autograd.grad``; the gradient reaching such a node is stored
    in ``capture["results"][slot]`` and leaves are not accumulated.
    emit: False runs the same pass without making or yielding any event (``backward()`` and
    ``autograd.grad``, when nobody watches the events, drain it in one ``next``).
    """
    root_nodes = [gradient_edge(t) for t in roots]
    if order is None:
        needed = None
        if capture is not None:
            needed = nodes_leading_to(root_nodes, [n for n in capture if n != "results"])
        order = plan(root_nodes, needed)
    check_can_run(order)

    # node -> [summed gradient, whether the engine owns that array and may hand it to a leaf]
    buffers: dict = {}
    for t, node, g in zip(roots, root_nodes, grads):
        _add_to_buffer(buffers, node, g, owned=False)
        if emit:
            yield SeedEvent(node, t, g)

    results = capture["results"] if capture is not None else None
    pop = buffers.pop
    for fn in order:
        entry = pop(fn, None)
        if entry is None:
            g, owned = None, False
        else:
            g, owned = entry

        if isinstance(fn, AccumulateGrad):
            var = fn.variable
            if var._hooks and g is not None:
                for hook in list(var._hooks.values()):
                    g, owned, event = _run_hook(hook, fn, var, g, owned)
                    if emit:
                        yield event
            if capture is not None:
                if fn in capture:
                    results[capture[fn]] = g
                continue
            event = _accumulate(fn, var, g, owned, record, emit)
            if emit:
                yield event
            continue

        if fn._pre_hooks and g is not None:
            for hook in list(fn._pre_hooks.values()):
                g, owned, event = _run_hook(hook, fn, fn.output_tensor(), g, owned)
                if emit:
                    yield event
        if fn._retains is not None:
            t = fn._retains()
            if t is not None:
                event = _retain(fn, t, g, record)
                if emit:
                    yield event
        if capture is not None and fn in capture:
            results[capture[fn]] = g

        next_functions = fn.next_functions
        if g is None:
            grads_out = (None,) * len(next_functions)
        else:
            grads_out = _reduce(fn, fn.backward(g))
            single = len(grads_out) == 1
            for i, gi in enumerate(grads_out):
                nxt = next_functions[i][0]
                if nxt is None or gi is None:
                    continue
                # An array the engine may hand to a leaf without copying: a fresh one (no
                # base), not the incoming gradient passed through, not sent along two edges at
                # once; or, from a node with one input, the incoming gradient the engine owns
                # (or a contiguous view of it, such as TBackward0's transpose), passed on.
                base = gi.base
                if base is None:
                    is_owned = gi is not g and (single or _sent_once(gi, grads_out))
                else:
                    is_owned = (single and owned and gi.flags.c_contiguous
                                and (base is g or (base is g.base)))
                if single and owned and gi is g:
                    is_owned = True
                # (_add_to_buffer inlined: this runs for every edge of the pass)
                entry = buffers.get(nxt)
                if entry is None:
                    buffers[nxt] = [gi, is_owned]
                else:
                    entry[0] = entry[0] + gi
                    entry[1] = True
        freed = None if retain_graph else fn.release_saved()
        if emit:
            yield CallEvent(fn, g, grads_out, freed)
    if emit:
        yield DoneEvent()


def _sent_once(gi, grads_out) -> bool:
    n = 0
    for o in grads_out:
        if o is gi:
            n += 1
    return n == 1


def _reduce(fn, raw) -> tuple:
    """Bring each raw gradient to its input's shape and dtype (broadcast reduction)."""
    metas = fn._input_meta
    if type(raw) is tuple and len(raw) == len(metas):
        # Most gradients already have their input's shape and dtype: check, build nothing.
        for gi, meta in zip(raw, metas):
            if gi is not None and (meta is None or gi.shape != meta[0] or gi.dtype != meta[1]):
                break
        else:
            return raw
    out = []
    for gi, meta in zip(raw, fn._input_meta):
        if gi is None or meta is None:
            out.append(None)
            continue
        shape, dtype = meta
        if gi.shape != shape:
            gi = _sum_to_shape(gi, shape)
            if gi.shape != shape:
                gi = gi.reshape(shape)
        if gi.dtype != dtype:
            gi = gi.astype(dtype)
        out.append(gi)
    return tuple(out)


def _add_to_buffer(buffers, node, g, owned) -> None:
    if node is None:
        return
    entry = buffers.get(node)
    if entry is None:
        buffers[node] = [g, owned]
    else:
        # Out of place: the arrays already in events must never change afterwards.
        entry[0] = entry[0] + g
        entry[1] = True


def _run_hook(hook, fn, tensor, g, owned):
    Tensor = _Tensor or _load_tensor()
    result = hook(Tensor._make(g))
    if result is None:
        return g, owned, HookEvent(fn, tensor, g, g)
    new = result._array if isinstance(result, Tensor) else np.asarray(result)
    return new, False, HookEvent(fn, tensor, g, new)


def _accumulate(fn, var, g, owned, record, emit=True):
    Tensor = _Tensor or _load_tensor()
    if g is None:
        if not emit:
            return None
        current = var._grad._array.copy() if (record and var._grad is not None) else None
        return AccumulateEvent(fn, var, None, current, current)
    before = None
    if var._grad is None:
        var._grad = Tensor._make(g if (owned and not record) else g.copy())
    else:
        if record:
            before = var._grad._array.copy()
        target = var._grad._array
        if target.flags.writeable and target.shape == g.shape:
            target += g
        else:
            var._grad._array = target + g
        var._grad._version_counter[0] += 1
    if not emit:
        return None
    after = var._grad._array.copy() if record else None
    return AccumulateEvent(fn, var, g, before, after)


def _retain(fn, t, g, record):
    Tensor = _Tensor or _load_tensor()
    before = t._grad._array.copy() if (record and t._grad is not None) else None
    if g is not None:
        if t._grad is None:
            t._grad = Tensor._make(g.copy())
        else:
            t._grad._array = t._grad._array + g
    after = t._grad._array.copy() if (record and t._grad is not None) else None
    return RetainEvent(fn, t, g, before, after)
