"""One history of everything that changes a gradient the user sees, and the state it implies.

A ``Timeline`` is a list of entries and a position. An entry is one of

- ``EventEntry``: one backward event of a pass (seed, a function node, AccumulateGrad, ...);
- ``ZeroEntry``: Zero grads (``.grad.zero_()`` on every leaf that has a gradient);
- ``PassEntry``: the start of a new pass over the same graph (Backward again);
- ``EditEntry``: an input edit, which swaps in another graph (replayed with the new input).

Everything a view shows is a function of (graph, entries, position): the gradient shown on each
non-leaf tensor node and each edge in the current pass (``grads``, ``edge_grads``), the edges the
current event just crossed (``fresh_edges``), the current node (``current_node``), every leaf's
``.grad`` (the real tensors, read and written through ``gradviz.sources``), ``counter`` and
``sentence``. ``back()`` undoes the entry before the position exactly; ``step()`` redoes the
entry after it exactly, or, at the end of the history, takes the next event of the current pass.
Entries keep patches (what each changed, from what, to what), never snapshots, so a step costs
the size of one node's neighbourhood whatever the size of the graph.

Semantics (the explorer's words say the same):

- **Passes.** Each graph (the first one, and each one an input edit brings) has passes 1, 2, ...;
  the counter reads ``step k of n``, or ``pass p · step k of n`` once the graph has more than one
  pass in the timeline. Back at step 0 of pass p > 1 undoes its ``PassEntry`` and returns to the
  end of pass p - 1; Step there redoes it.
- **Reset** goes back to step 0 of the current pass (undoing Zero grads taken after it too); at
  step 0 it does nothing. **Run** goes to the end of the current pass.
- **Actions** (Zero grads, Backward again) first finish the current pass (redoing its recorded
  steps, taking the rest), then drop whatever history lay after that point (the redo future) and
  append their entry. An input edit does not finish the pass (the old graph stays as it was, and
  Back returns to it mid-pass); it drops the redo future too.
- **Zero grads** with no leaf holding a gradient adds nothing (``zero_grads()`` returns None).
- **Backward again** over a graph whose saved tensors were freed raises PyTorch's
  ``RuntimeError`` ("Trying to backward through the graph a second time ...") and changes
  nothing, including the finishing of the current pass.
- **retain_graph** describes the current pass, and every pass Backward again starts takes the
  current pass's setting. ``set_retain_graph(flag)`` re-plans the current pass: it undoes it to
  step 0, replaces it with a pass of the new setting and redoes the same steps (and Zero grads),
  dropping the redo future. It is not an entry: Back does not undo it. So ticking it at any
  point makes Backward again work, and un-ticking it makes the current pass free the graph.

Per-entry patches (for static pages that replay the timeline without Python):
``entry.changes`` is a list of ``(where, key, before, after)`` with ``where`` one of "node" (the
gradient shown on a non-leaf tensor node, key a node id), "edge" (the gradient that crossed an
edge, key ``(u, v)``), "leaf" (a leaf's ``.grad``, key a node id); values are numpy arrays or None
(nothing). ``entry.current`` is the node the entry is about, ``entry.fresh`` the edges it crossed.
``Timeline.export()`` lists, for every position, the patch that leads there with counter and
sentence; an ``EditEntry`` carries the new graph instead of a patch.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import sources
from .autograd import describe as words


class NoPass:
    """The pass of a root without a graph (no ``grad_fn``, no ``requires_grad``): nothing to
    step through."""

    position = 0
    total = 0
    events: list = []
    current = None
    done = True

    def __init__(self, retain_graph: bool = False):
        self.retain_graph = bool(retain_graph)

    def step(self):
        return None

    def back(self):
        return None

    def run(self):
        return None

    def reset(self):
        return None

    def seek(self, position):
        if position != 0:
            raise IndexError("there is no backward pass to seek in")


def default_gradient(root):
    """The starting gradient of a pass from ``root`` when none is given: None for a scalar
    (backward seeds 1), ones for any other shape (``out.backward(torch.ones_like(out))``)."""
    value = sources.value_array(root)
    if value.size == 1:
        return None
    return np.ones(value.shape, dtype=value.dtype)


def make_pass(roots, gradient=None, retain_graph: bool = False):
    """A fresh pass from ``roots`` (``sources.new_pass``), or a ``NoPass`` when the root needs no
    gradient."""
    first = roots[0] if isinstance(roots, (list, tuple)) else roots
    if not sources.requires_grad(first):
        return NoPass(retain_graph)
    return sources.new_pass(roots, gradient, retain_graph=retain_graph)


class Scene:
    """A graph the timeline runs passes on: the export ``G``, its ``roots``, the starting
    ``gradient``, the ``passes`` run on it so far (pass p is ``passes[p - 1]``), and ``extra``:
    whatever the caller keeps with a graph (the explorer keeps its names and layout there)."""

    __slots__ = ("G", "roots", "gradient", "passes", "extra")

    def __init__(self, G, roots, gradient=None, extra=None):
        self.G = G
        self.roots = list(roots) if isinstance(roots, (list, tuple)) else [roots]
        self.gradient = gradient
        self.passes: list = []
        self.extra = extra if extra is not None else {}


# --- entries ---------------------------------------------------------------------------------
class Entry:
    """One thing that happened. ``changes``: ``(where, key, before, after)`` patches (see the
    module docstring); ``current``: the node it is about (or None); ``fresh``: edges it crossed."""

    kind = ""
    __slots__ = ("changes", "current", "fresh")

    def __init__(self):
        self.changes: list = []
        self.current = None
        self.fresh: tuple = ()

    def patch(self) -> dict:
        """``{"node": {id: (before, after)}, "edge": {...}, "leaf": {...}}``: what this entry
        changed, from what to what (arrays or None)."""
        out: dict = {"node": {}, "edge": {}, "leaf": {}}
        for where, key, before, after in self.changes:
            prev = out[where].get(key)
            out[where][key] = (before if prev is None else prev[0], after)
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class EventEntry(Entry):
    """A backward event of pass ``number`` (1-based) of ``scene``."""

    kind = "event"
    __slots__ = ("event", "scene", "number")

    def __init__(self, event, scene, number):
        super().__init__()
        self.event, self.scene, self.number = event, scene, number

    def __repr__(self) -> str:
        return f"<EventEntry pass {self.number} {self.event.kind}>"


class ZeroEntry(Entry):
    """Zero grads: ``changes`` hold each zeroed leaf's gradient before; ``finished`` counts the
    steps taken first to finish the pass."""

    kind = "zero"
    __slots__ = ("labels", "finished")

    def __init__(self, labels, finished=0):
        super().__init__()
        self.labels, self.finished = list(labels), finished


class PassEntry(Entry):
    """Pass ``number`` of ``scene`` starts (Backward again)."""

    kind = "pass"
    __slots__ = ("scene", "number", "_stash")

    def __init__(self, scene, number):
        super().__init__()
        self.scene, self.number = scene, number
        self._stash = None


class EditEntry(Entry):
    """An input edit: ``scene`` (the new graph) replaces the one shown; ``what`` says what
    changed ("x = [2, 2, 2]")."""

    kind = "edit"
    __slots__ = ("scene", "what", "_stash")

    def __init__(self, scene, what=""):
        super().__init__()
        self.scene, self.what = scene, what
        self._stash = None


class Grads(Mapping):
    """node id -> the gradient a view shows on that tensor node (a leaf's real ``.grad``, or what
    reached a non-leaf in the current pass); nodes without one are absent. Computed on access,
    so handing it to a view copies nothing."""

    def __init__(self, timeline):
        self._t = timeline

    def __getitem__(self, nid):
        g = self._t.grad_of(nid)
        if g is None:
            raise KeyError(nid)
        return g

    def __iter__(self):
        return (n for n in self._t.G.nodes if self._t.grad_of(n) is not None)

    def __len__(self):
        return sum(1 for _ in self)


# --- the timeline ----------------------------------------------------------------------------
class Timeline:
    """``Timeline(G, roots, gradient=None, retain_graph=False, extra=None)``: the history of the
    graph ``G`` exported from ``roots`` (``gradviz.sources.to_networkx``), at step 0 of pass 1.

    ``gradient``: the starting gradient (default: ones for a non-scalar root). Moves: ``step()``,
    ``back()``, ``run()``, ``reset()``, ``seek(position)``; actions: ``zero_grads()``,
    ``backward_again()``, ``edit(G, roots, ...)``, ``set_retain_graph(flag)``. After any of them
    ``take_touched()`` says which nodes and edges a view must repaint.
    """

    def __init__(self, G, roots, gradient=None, retain_graph: bool = False, extra=None):
        roots = list(roots) if isinstance(roots, (list, tuple)) else [roots]
        if gradient is None:
            gradient = default_gradient(roots[0])
        scene = Scene(G, roots, gradient, extra)
        scene.passes.append(make_pass(scene.roots, gradient, bool(retain_graph)))
        self.entries: list = []
        self.position = 0
        self.scene = scene
        self.pass_index = 0  # passes[pass_index] of the scene is the current pass
        self.pass_start = 0  # the position of its step 0
        self.node_grads: dict = {}  # non-leaf tensor node -> gradient that reached it (this pass)
        self.edge_grads: dict = {}  # (u, v) -> gradient that crossed it (this pass)
        self.grads = Grads(self)
        self._touched_nodes: set = set()
        self._touched_edges: set = set()
        self._scene_changed = False

    # --- what is shown --------------------------------------------------------------------
    @property
    def G(self):
        return self.scene.G

    @property
    def roots(self) -> list:
        return self.scene.roots

    @property
    def current_pass(self):
        """The pass being stepped (a ``Stepper``, a torch ``RecordedPass`` or a ``NoPass``)."""
        return self.scene.passes[self.pass_index]

    @property
    def pass_number(self) -> int:
        return self.pass_index + 1

    @property
    def pass_count(self) -> int:
        """Passes of the current graph in the timeline (including the redo future)."""
        return len(self.scene.passes)

    @property
    def retain_graph(self) -> bool:
        return bool(self.current_pass.retain_graph)

    @property
    def last_entry(self):
        """The entry that led to the current position (None at the start)."""
        return self.entries[self.position - 1] if self.position else None

    @property
    def current_node(self):
        entry = self.last_entry
        return entry.current if isinstance(entry, EventEntry) else None

    @property
    def fresh_edges(self) -> tuple:
        entry = self.last_entry
        return entry.fresh if isinstance(entry, EventEntry) else ()

    def edits(self) -> list:
        """What the input edits in effect say (``EditEntry.what``), oldest first: empty while
        the first graph is shown."""
        return [e.what for e in self.entries[:self.position] if isinstance(e, EditEntry)]

    def grad_of(self, nid):
        """The gradient shown on node ``nid``: a leaf's (or any leaf tensor's) real ``.grad``;
        for a non-leaf tensor what reached it in the current pass; None for functions."""
        attrs = self.G.nodes[nid]
        if attrs["kind"] != "tensor":
            return None
        if attrs["is_leaf"]:
            t = self.G.graph["objects"].get(nid)
            return None if t is None else sources.grad_array(t)
        return self.node_grads.get(nid)

    def leaf_grads(self) -> dict:
        """``{node id: .grad (ndarray copy) or None}`` for every leaf that requires grad."""
        objects = self.G.graph["objects"]
        return {n: sources.grad_array(objects[n]) for n, a in self.G.nodes(data=True)
                if a["kind"] == "tensor" and a["role"] == "leaf" and n in objects}

    @property
    def counter(self) -> str:
        p = self.current_pass
        text = f"step {p.position} of {p.total}"
        return f"pass {self.pass_number} · {text}" if self.pass_count > 1 else text

    @property
    def sentence(self) -> str:
        entry = self.last_entry
        if isinstance(entry, EventEntry):
            if entry.event.kind == "done" and self.pass_number > 1:
                return words.describe_done(self.pass_number)
            return words.describe(entry.event, self.G)
        if isinstance(entry, ZeroEntry):
            return words.describe_zero(entry.labels, entry.finished, self.pass_number)
        if isinstance(self.current_pass, NoPass):
            return "Nothing to step through: no graph was recorded."
        edited = entry.what if isinstance(entry, EditEntry) else None
        labels = self.G.nodes
        grads = {labels[n]["label"]: g for n, g in self.leaf_grads().items() if g is not None}
        zeros = bool(grads) and not any(np.any(g) for g in grads.values())
        return words.describe_start(words.root_name(self.G), self.pass_number, list(grads),
                                    edited, zeros)

    # --- moving -----------------------------------------------------------------------------
    def can_step(self) -> bool:
        return self.position < len(self.entries) or not self.current_pass.done

    def can_back(self) -> bool:
        return self.position > 0

    def step(self):
        """Redo the next entry of the history, or (at its end) take the next event of the
        current pass. Returns the entry, or None when there is nothing further. A pass that
        cannot run raises PyTorch's ``RuntimeError`` and nothing changes."""
        if self.position < len(self.entries):
            entry = self.entries[self.position]
            self._before_move()
            self._redo(entry)
            self.position += 1
            self._after_move()
            return entry
        p = self.current_pass
        if p.done:
            return None
        self._before_move()
        event = p.step()
        if event is None:
            return None
        entry = EventEntry(event, self.scene, self.pass_number)
        self._record(entry)
        self.entries.append(entry)
        self.position += 1
        self._after_move()
        return entry

    def back(self):
        """Undo the entry before the position exactly; returns it (None at the start)."""
        if self.position == 0:
            return None
        entry = self.entries[self.position - 1]
        self._before_move()
        self._undo(entry)
        self.position -= 1
        self._after_move()
        return entry

    def run(self) -> int:
        """To the end of the current pass; returns how many entries that took. Stops before a
        recorded input edit (Step redoes it)."""
        n = 0
        while not self.current_pass.done and self._next_is_event():
            if self.step() is None:
                break
            n += 1
        return n

    def reset(self) -> int:
        """Back to step 0 of the current pass; returns how many entries were undone."""
        n = 0
        while self.position > self.pass_start:
            self.back()
            n += 1
        return n

    def seek(self, position: int) -> None:
        """Undo or redo entries until ``position`` (between 0 and ``len(entries)``)."""
        if not 0 <= position <= len(self.entries):
            raise IndexError(f"position must be between 0 and {len(self.entries)}, got {position}")
        while self.position < position:
            self.step()
        while self.position > position:
            self.back()

    def _next_is_event(self) -> bool:
        if self.position == len(self.entries):
            return True
        entry = self.entries[self.position]
        return isinstance(entry, EventEntry) and entry.scene is self.scene \
            and entry.number == self.pass_number

    # --- actions ----------------------------------------------------------------------------
    def zero_grads(self):
        """Finish the current pass, then ``.grad.zero_()`` every leaf that has a gradient.
        Returns the ``ZeroEntry`` (None when no leaf had a gradient: then nothing changed)."""
        start = self.position
        finished = self._finish()
        objects = self.G.graph["objects"]
        holding = [(n, a["label"]) for n, a in self.G.nodes(data=True)
                   if a["kind"] == "tensor" and a["is_leaf"] and n in objects
                   and sources.grad_array(objects[n]) is not None]
        if not holding:
            while self.position > start:
                self.back()
            return None
        self._truncate()
        return self._append(self._zero_entry(holding, finished))

    def _zero_entry(self, holding, finished) -> ZeroEntry:
        entry = ZeroEntry([label for _, label in holding], finished)
        objects = self.G.graph["objects"]
        for nid, _ in holding:
            before = sources.grad_array(objects[nid])
            entry.changes.append(("leaf", nid, before, np.zeros_like(before)))
        return entry

    def backward_again(self):
        """Finish the current pass, then start pass p + 1 at its step 0 (``run()`` takes it to
        the end). Over a freed graph, raise PyTorch's ``RuntimeError`` with nothing changed."""
        if isinstance(self.current_pass, NoPass):
            raise RuntimeError("There is no graph to run backward through.")
        start = self.position
        self._finish()
        try:
            fresh = make_pass(self.roots, self.scene.gradient, self.retain_graph)
            # The first step is where a pass over freed saved tensors fails (before it changes
            # anything); taking it now means a failing pass never enters the timeline.
            if fresh.step() is not None:
                fresh.back()
        except RuntimeError:
            while self.position > start:
                self.back()
            raise
        self._truncate()
        self.scene.passes.append(fresh)
        return self._append(PassEntry(self.scene, len(self.scene.passes)))

    def edit(self, G, roots, gradient=None, extra=None, what: str = ""):
        """Show another graph (an input edit replayed): a new scene at step 0 of its pass 1,
        with the current ``retain_graph``. Drops the redo future; Back returns to the old
        graph exactly where it was."""
        roots = list(roots) if isinstance(roots, (list, tuple)) else [roots]
        if gradient is None:
            gradient = default_gradient(roots[0])
        scene = Scene(G, roots, gradient, extra)
        scene.passes.append(make_pass(scene.roots, gradient, self.retain_graph))
        self._truncate()
        return self._append(EditEntry(scene, what))

    def set_retain_graph(self, flag: bool) -> None:
        """Re-plan the current pass with ``retain_graph=flag`` at the same step (see the module
        docstring). Drops the redo future. A pass that cannot be re-planned (a PyTorch graph
        freed for good) raises its ``RuntimeError`` with nothing changed."""
        flag = bool(flag)
        if flag == self.retain_graph:
            return
        if isinstance(self.current_pass, NoPass):
            self.current_pass.retain_graph = flag
            return
        target = self.position
        redo = self.entries[self.pass_start:target]
        self._before_move()
        try:
            while self.position > self.pass_start:
                self.back()
            try:
                fresh = make_pass(self.roots, self.scene.gradient, flag)
                if fresh.step() is not None:  # where a pass that cannot run says so
                    fresh.back()
            except RuntimeError:
                while self.position < target:  # the entries are still there: redo them
                    self.step()
                raise
            self._truncate()
            self.scene.passes[self.pass_index] = fresh
            self._perform(redo)
        finally:
            self._after_move()

    def _perform(self, entries) -> None:
        for entry in entries:
            if isinstance(entry, EventEntry):
                self.step()
            else:  # a ZeroEntry: zero the same leaves again
                holding = [(key, label) for (_, key, _, _), label in zip(entry.changes, entry.labels)]
                self._append(self._zero_entry(holding, entry.finished))

    # --- entries: record, redo, undo ---------------------------------------------------------
    def _append(self, entry):
        self._before_move()
        self._redo(entry)
        self.entries.append(entry)
        self.position += 1
        self._after_move()
        return entry

    def _finish(self) -> int:
        """Take the current pass to its end (an action comes after whole passes)."""
        n = self.run()
        if not self.current_pass.done:  # a recorded edit lay ahead: the action forks here
            self._truncate()
            n += self.run()
        return n

    def _truncate(self) -> None:
        """Drop the redo future (entries after the position), and the passes it started."""
        for entry in reversed(self.entries[self.position:]):
            if isinstance(entry, PassEntry):
                entry.scene.passes.pop()
        del self.entries[self.position:]

    def _record(self, entry: EventEntry) -> None:
        """Work out (and apply) what a newly taken event shows: the gradient reaching non-leaf
        tensors, crossing edges, and a leaf's new ``.grad`` (already set by the pass)."""
        event, G = entry.event, self.G
        ids = G.graph["ids"]
        changes, nodes, fresh = entry.changes, self.node_grads, []

        def add_node(nid, g):
            before = nodes.get(nid)
            changes.append(("node", nid, before, g if before is None else before + g))

        def cross(edge, g):
            changes.append(("edge", edge, self.edge_grads.get(edge), g))
            fresh.append(edge)

        kind = event.kind
        if kind == "seed":
            tid = ids.get(id(event.tensor))
            if tid is not None:
                g = np.asarray(event.grad)
                if not G.nodes[tid]["is_leaf"]:
                    add_node(tid, g)
                for pred in G.predecessors(tid):
                    cross((pred, tid), g)
                entry.current = tid
        elif kind == "call":
            fid = ids.get(id(event.node))
            if fid is not None:
                entry.current = fid
                # A node with several outputs (a PyTorch graph's) receives a tuple, one gradient
                # per output: the edge to each output tensor carries its own (the export puts
                # the output's index in the edge's input_nr).
                grad_in = event.grad_in
                if grad_in is not None:
                    for out in G.successors(fid):
                        if isinstance(grad_in, tuple):
                            k = G.edges[fid, out].get("input_nr", 0)
                            g = grad_in[k] if k < len(grad_in) else None
                        else:
                            g = grad_in
                        if g is not None:
                            cross((fid, out), np.asarray(g))
                feeding = G.graph["inputs"].get(fid, [])
                crossed: dict = {}
                for i, g in enumerate(event.grads_out):
                    src = feeding[i] if i < len(feeding) else None
                    if src is None or g is None:
                        continue
                    g = np.asarray(g)
                    crossed[src] = g if src not in crossed else crossed[src] + g
                for src, g in crossed.items():
                    cross((src, fid), g)
                    if not G.nodes[src]["is_leaf"]:
                        add_node(src, g)
        elif kind in ("accumulate", "retain", "hook"):
            tid = ids.get(id(event.tensor)) if event.tensor is not None else None
            if tid is None:
                tid = ids.get(id(event.node))
            entry.current = tid
            if kind == "accumulate" and tid is not None and G.nodes[tid]["is_leaf"]:
                after = event.after
                if after is None and event.grad_in is not None:
                    after = sources.grad_array(event.tensor)
                if event.grad_in is not None:
                    changes.append(("leaf", tid, event.before, after))
        entry.fresh = tuple(fresh)
        self._apply_changes(entry.changes, after=True)
        self._touch(entry)

    def _redo(self, entry) -> None:
        if isinstance(entry, EventEntry):
            self.current_pass.step()  # the pass re-applies its recorded event
            self._apply_changes(entry.changes, after=True)
        elif isinstance(entry, ZeroEntry):
            objects = self.G.graph["objects"]
            for _, nid, _, _ in entry.changes:
                sources.zero_grad(objects[nid])
        elif isinstance(entry, PassEntry):
            entry._stash = (self.node_grads, self.edge_grads, self.pass_index, self.pass_start)
            entry.changes = ([("node", k, v, None) for k, v in self.node_grads.items()]
                             + [("edge", k, v, None) for k, v in self.edge_grads.items()])
            self.node_grads, self.edge_grads = {}, {}
            self.pass_index = entry.number - 1
            self.pass_start = self.position + 1
        elif isinstance(entry, EditEntry):
            entry._stash = (self.scene, self.node_grads, self.edge_grads, self.pass_index,
                            self.pass_start)
            self.scene = entry.scene
            self.node_grads, self.edge_grads = {}, {}
            self.pass_index, self.pass_start = 0, self.position + 1
            self._scene_changed = True
        self._touch(entry)

    def _undo(self, entry) -> None:
        self._touch(entry)
        if isinstance(entry, EventEntry):
            self.current_pass.back()
            self._apply_changes(entry.changes, after=False)
        elif isinstance(entry, ZeroEntry):
            objects = self.G.graph["objects"]
            for _, nid, before, _ in entry.changes:
                sources.set_grad(objects[nid], before)
        elif isinstance(entry, PassEntry):
            self.node_grads, self.edge_grads, self.pass_index, self.pass_start = entry._stash
        elif isinstance(entry, EditEntry):
            (self.scene, self.node_grads, self.edge_grads, self.pass_index,
             self.pass_start) = entry._stash
            self._scene_changed = True

    def _apply_changes(self, changes, after: bool) -> None:
        flows = {"node": self.node_grads, "edge": self.edge_grads}
        for where, key, before, new in (changes if after else reversed(changes)):
            target = flows.get(where)
            if target is None:
                continue  # leaves: their .grad is the pass's (or Zero grads') to set
            value = new if after else before
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value

    # --- what a view must repaint ------------------------------------------------------------
    def _touch(self, entry) -> None:
        for where, key, _, _ in entry.changes:
            (self._touched_edges if where == "edge" else self._touched_nodes).add(key)
        if entry.current is not None:
            self._touched_nodes.add(entry.current)

    def _before_move(self) -> None:
        if self.current_node is not None:
            self._touched_nodes.add(self.current_node)
        self._touched_edges.update(self.fresh_edges)

    _after_move = _before_move

    def take_touched(self) -> tuple[set, set, bool]:
        """``(nodes, edges, graph_changed)`` changed since the last call: the nodes and edges
        whose shown gradient, current-step mark or label changed, and whether the graph itself
        was swapped (an input edit done or undone: repaint everything)."""
        out = (self._touched_nodes, self._touched_edges, self._scene_changed)
        self._touched_nodes, self._touched_edges, self._scene_changed = set(), set(), False
        if out[2]:
            return set(), set(), True
        return out

    # --- export -----------------------------------------------------------------------------
    def export(self) -> dict:
        """Every state of the history, as the patches a static page replays: ``{"start":
        {"counter", "sentence", "node", "edge", "leaf"}, "entries": [{"kind", "node", "edge",
        "leaf" (``{key: after}``), "current", "fresh", "counter", "sentence", "graph" (edits
        only: the new ``G``)}]}``. Position ``i + 1`` is the start patched by entries 0..i.
        The timeline returns to where it was."""
        here = self.position
        touched = self.take_touched()  # what a view has yet to repaint stays owed to it
        self.seek(0)
        start = {"counter": self.counter, "sentence": self.sentence,
                 "node": dict(self.node_grads), "edge": dict(self.edge_grads),
                 "leaf": self.leaf_grads()}
        frames = []
        for _ in range(len(self.entries)):
            entry = self.step()
            patch = entry.patch()
            frame = {"kind": entry.kind, "current": entry.current, "fresh": list(entry.fresh),
                     "counter": self.counter, "sentence": self.sentence}
            for where in ("node", "edge", "leaf"):
                frame[where] = {k: after for k, (_, after) in patch[where].items()}
            if isinstance(entry, EditEntry):
                frame["graph"] = entry.scene.G
                frame["leaf"] = self.leaf_grads()
            frames.append(frame)
        self.seek(here)
        self.take_touched()
        self._touched_nodes, self._touched_edges, self._scene_changed = touched
        return {"start": start, "entries": frames}

    def __repr__(self) -> str:
        return f"<Timeline {self.counter}, entry {self.position} of {len(self.entries)}>"
