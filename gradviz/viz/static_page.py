"""Saved pages that step without Python: the timeline's states recorded as Bokeh patches.

``save_static(view, "graph.html")`` (what ``Explorer.save`` does) builds a second explorer on the
same graph, renders it into a Bokeh ``Document`` and drives its timeline through every state a
reader can reach: each event of this pass, and at the end of a pass Backward again and Zero
grads, for a few passes. After every move it takes the document changes the explorer's own
drawing code made (exactly the messages a live server would send to the page) as a forward
patch, and after the move back the backward patch (a graph saved with one pass, as big graphs
are, is walked forward only: each backward patch is the forward one undone). The states form a
tree (a pass forks at its end into "Zero grads" and "Backward again"); the tree, gzipped, rides
in one ``CustomJS`` attached to the toolbar's buttons and the graph's node selections, and
``static_player.js`` applies the patches with ``Document.apply_json_patch``. One drawing code
(the explorer's), two drivers (Python live, the recorded patches in a saved page).

The player keeps the timeline's redo future as the live explorer does (Step redoes what Back
undid, Zero grads and Backward again drop it), so the counter reads the same ("pass 1 · step 0
of 8" while a second pass lies ahead). A tap on a node shows in the inspector what the live
inspector shows for it in that state: its views are drawn by the live ``Inspector`` itself when
saving (``InspectorStates``), one per node and distinct gradient, and the tree says which view
each move changes.

What needs Python (editing inputs, re-planning a pass with another ``retain_graph``, the colour
mode, which redraws everything) is shown disabled, and the page says so in one line.
"""
from __future__ import annotations

import base64
import gzip
import json
import uuid
from pathlib import Path

import numpy as np

__all__ = ["record_states", "save_static", "PLAYER_JS", "STATIC_NOTE", "save_layout",
           "explorers_in", "build_document", "export_app", "InspectorStates", "player_args"]

PLAYER_JS = (Path(__file__).with_name("static_player.js")).read_text(encoding="utf-8")

STATIC_NOTE = ("Saved page: Reset, Back, Step, Run, Play, Backward again and Zero grads replay "
               "passes computed when it was saved; editing inputs, retain_graph and colours "
               "need Python (gradviz.explore or gradviz serve).")

# Graphs above this many nodes are saved with their first pass only: each further pass costs
# as many recorded steps again, and the page must stay quick to open.
BIG_GRAPH_NODES = 1000


def _plain(values) -> list:
    """A column as JSON-ready values (non-finite floats as null)."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "biuUf":
        if values.dtype.kind == "f":
            finite = np.isfinite(values)
            if not finite.all():
                out = values.astype(object)
                out[~finite] = None
                return out.tolist()
        return values.tolist()
    out = values.tolist() if hasattr(values, "tolist") else list(values)
    kinds = set(map(type, out))
    if kinds <= {str, int, bool}:  # nothing to convert (the common case: text columns)
        return out
    if kinds == {float} and np.isfinite(out).all():
        return out
    return [_plain_value(v) for v in out]


def _plain_value(v):
    """One cell as JSON-ready value (numpy scalars as Python ones, non-finite floats as null)."""
    import math

    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_plain_value(x) for x in v]
    return v


class _Patches:
    """Takes the document changes held since the last call as a ``PATCH-DOC`` message's
    events. Models that existed when the page was built are referenced by id; models made
    later are written out whole each time, so any patch applies on its own.

    A source whose data is assigned whole (the edge labels, the minimap's marks) is written as
    a ``gvColumns`` event instead: only the rows that differ from the state before the move,
    which is the state the player is in when it applies the patch (every move is recorded in
    the order the player makes it). Without this a pass over a graph of n nodes would write
    O(n) labels at each of its O(n) steps. A source is compared only where it changed (the rows
    of a patch, the columns assigned), so a step costs what it touched, not the graph's size.

    ``take(inverse=True)`` also returns the patch that undoes the move, from the values the
    page had before it (every source's rows are mirrored as the page has them; a property's
    value before its first change in the move is caught as the document is told of it), and
    ``restore()`` puts the document back as the page opens: a recording can then walk forward
    only, instead of drawing every move back too."""

    def __init__(self, doc):
        self.doc = doc
        self.known = set(doc.models)
        self.whole: set = set()  # ids of sources written as gvColumns
        self.page: dict = {}  # source id -> {column: list}: the rows as the page has them now
        self.keys: dict = {}  # source id -> its columns, as the page has them
        self.rows: dict = {}  # source id -> its number of rows, as the page has it
        self._start: dict = {}  # source id -> (source, its data when the page opens: copies)
        self._changed: set = set()  # ids of the sources changed since the page opened
        self._olds: dict = {}  # (model id, attr) -> (model, value before this move)
        self._first: dict = {}  # (model id, attr) -> (model, value when the page opens)
        self.invertible = True  # False once a move made a change take() cannot undo
        notify = doc.callbacks.notify_change

        def notify_change(model, attr, old, new, hint=None, setter=None,
                          callback_invoker=None):
            if hint is None:  # a property set (sources' data changes come with a hint)
                key = (model.id, attr)
                self._olds.setdefault(key, (model, old))
                self._first.setdefault(key, (model, old))
            return notify(model, attr, old, new, hint, setter, callback_invoker)

        doc.callbacks.notify_change = notify_change

    def close(self) -> None:
        """Stop watching the document."""
        self.doc.callbacks.__dict__.pop("notify_change", None)

    def take(self, inverse: bool = False):
        from bokeh.core.serialization import Serializer
        from bokeh.document.events import (ColumnDataChangedEvent, ColumnsPatchedEvent,
                                           DocumentPatchedEvent, ModelChangedEvent)

        held = [e for e in self.doc.callbacks._held_events
                if isinstance(e, DocumentPatchedEvent)]
        self.doc.callbacks._held_events = []
        olds, self._olds = self._olds, {}
        # Every data change of such a source goes into its diff (a row patch applied apart
        # would leave the remembered rows behind the page's).
        self.whole |= {e.model.id for e in held
                       if isinstance(e, ColumnDataChangedEvent) and e.cols is None}
        plain, touched = [], {}  # model id -> (model, {column: set of rows, or None: all})
        for e in held:
            model = getattr(e, "model", None)
            if model is None or model.id not in self.page or getattr(e, "attr", None) != "data":
                plain.append(e)
                if not isinstance(e, ModelChangedEvent):
                    self.invertible = False
                continue
            if model.id not in self.whole:
                plain.append(e)  # Bokeh's own event; the mirror follows it below
            _, where = touched.setdefault(model.id, (model, {}))
            if isinstance(e, ColumnsPatchedEvent):
                for col, changes in e.patches.items():
                    rows = where.setdefault(col, set())
                    if rows is not None:
                        rows.update(i if isinstance(i, int) else None for i, _ in changes)
                        if None in rows:  # a slice: compare the whole column
                            where[col] = None
            elif isinstance(e, ColumnDataChangedEvent) and e.cols:
                for col in e.cols:
                    where[col] = None
            else:
                where.update({col: None for col in model.data})
        serializer = Serializer(references=self.known, deferred=False)
        out = serializer.encode(plain) if plain else []
        undo = []
        for mid, (model, where) in touched.items():
            forward, backward = self._diff(mid, model, where)
            if mid in self.whole:
                out.append(forward)
            undo.append(backward)
        if not inverse:
            return out
        changed = [ModelChangedEvent(self.doc, model, attr, old)
                   for (_, attr), (model, old) in olds.items() if attr != "data"]
        undo = (serializer.encode(changed[::-1]) if changed else []) + undo
        return out, undo

    def _diff(self, mid, model, where) -> tuple[dict, dict]:
        """The changed rows of a source as gvColumns events: to its new rows, and back."""
        self._changed.add(mid)
        keys = self.keys[mid]
        data = model.data
        n = len(next(iter(data.values()), []))
        old_n = self.rows[mid]
        cols, back = {}, {}
        if old_n != n and set(keys) == set(data):
            return self._splice(mid, model, n, old_n)
        if old_n != n or set(keys) != set(data):
            # Other columns: every column as a whole, both ways.
            back = {c: list(enumerate(self._column(mid, c))) for c in keys}
            where = {col: None for col in data}
        drop = [c for c in keys if c not in data]
        added = [c for c in data if c not in keys]
        for c in drop:
            self.page[mid].pop(c, None)
        for col, rows in where.items():
            values = data[col]
            before = self._column(mid, col) if col in keys else None
            if rows is None or before is None:
                new = _plain(values)
                before = before or []
                cols[col] = [[i, v] for i, v in enumerate(new)
                             if i >= len(before) or before[i] != v]
                if col not in back:
                    back[col] = [[i, before[i]] for i, _ in cols[col] if i < len(before)]
                self.page[mid][col] = new
            else:
                changed, undo = [], []
                for i in sorted(rows):
                    v = _plain_value(values[i])
                    if before[i] != v:
                        undo.append([i, before[i]])
                        before[i] = v
                        changed.append([i, v])
                cols[col] = changed
                back[col] = undo
        self.keys[mid], self.rows[mid] = list(data), n
        return ({"kind": "gvColumns", "id": mid, "n": n, "cols": cols, "drop": drop},
                {"kind": "gvColumns", "id": mid, "n": old_n, "cols": back, "drop": added})

    def _splice(self, mid, model, n, old_n) -> tuple[dict, dict]:
        """Rows added or removed (a badge appears on one node): the rows between the longest
        common start and end, as ``gvSplice`` events both ways."""
        new = {c: _plain(v) for c, v in model.data.items()}
        old = {c: self._column(mid, c) for c in new}
        cols = list(new)
        rows_new = list(zip(*(new[c] for c in cols))) if cols else []
        rows_old = list(zip(*(old[c] for c in cols))) if cols else []
        start, most = 0, min(n, old_n)
        while start < most and rows_new[start] == rows_old[start]:
            start += 1
        end = 0
        while end < most - start and rows_new[n - 1 - end] == rows_old[old_n - 1 - end]:
            end += 1
        self.page[mid] = new
        self.rows[mid] = n
        return ({"kind": "gvSplice", "id": mid, "at": start, "remove": old_n - start - end,
                 "rows": {c: new[c][start:n - end] for c in cols}},
                {"kind": "gvSplice", "id": mid, "at": start, "remove": n - start - end,
                 "rows": {c: old[c][start:old_n - end] for c in cols}})

    def _column(self, mid, col) -> list:
        """A column as the page has it (JSON-ready); made from the opening data when first
        asked for (a column no move touched is never converted)."""
        page = self.page[mid]
        if col not in page:
            page[col] = _plain(self._start[mid][1][col])
        return page[col]

    def remember(self) -> None:
        """The data of every source as the page will open with it (call before recording)."""
        from bokeh.models import ColumnDataSource

        sources = [m for m in self.doc.models if isinstance(m, ColumnDataSource)]
        self._start = {m.id: (m, {c: (v.copy() if hasattr(v, "copy") else list(v))
                                  for c, v in m.data.items()}) for m in sources}
        self.page = {m.id: {} for m in sources}
        self.keys = {m.id: list(m.data) for m in sources}
        self.rows = {m.id: len(next(iter(m.data.values()), [])) for m in sources}
        self._changed = set()
        self._first = {}

    def restore(self) -> None:
        """Put every property and source changed since ``remember()`` back as it was then
        (the changes this makes are dropped: the page has that state already)."""
        for (_, attr), (model, old) in self._first.items():
            setattr(model, attr, old)
        for mid in self._changed:
            model, data = self._start[mid]
            model.data = data
            self.page[mid], self.keys[mid] = {}, list(data)
            self.rows[mid] = len(next(iter(data.values()), []))
        self._changed = set()
        self.doc.callbacks._held_events = []
        self._olds = {}


def _children(t, max_passes: int, max_zeros: int) -> list:
    """What a reader can do from the timeline's state: take the next event ("s"), or at the
    end of a pass zero the grads ("z") and start another pass ("a") while the budget lasts."""
    from ..timeline import NoPass, ZeroEntry

    if isinstance(t.current_pass, NoPass):
        return []
    if not t.current_pass.done:
        return ["s"]
    kinds = []
    done = t.entries[:t.position]
    zeros = sum(isinstance(e, ZeroEntry) for e in done)
    last_zero = bool(done) and isinstance(done[-1], ZeroEntry)
    if zeros < max_zeros and not last_zero and any(g is not None for g in t.leaf_grads().values()):
        kinds.append("z")
    if t.pass_number < max_passes and t.retain_graph:
        kinds.append("a")
    return kinds


class InspectorStates:
    """What the inspector shows for each node in each state of a recording, drawn by the live
    inspector's own code (``Inspector.show`` on an inspector of its own, off the page): per node,
    one *view* per distinct gradient it has in the recorded states (the HTML of the inspector's
    text, and its value and gradient heatmaps), so a tap on a saved page shows what a tap in the
    live explorer shows.

    Why rendered content and not arrays drawn in JavaScript: the text is numpy's printing of the
    arrays and the heatmaps' cells are gradviz's colour scale; a second implementation in the
    page would drift from the live one. The cost is small: a node has few distinct gradients
    (none yet, one per pass, zeros), the views of one node are written next to each other so
    gzip stores the repeated parts (title, shape, value) once, and the page inflates this part
    only when a node is first tapped.

    ``track(nodes)`` after a move returns ``[node index, view index, ...]`` for the nodes whose
    view changed (what the player applies when it makes that move)."""

    def __init__(self, timeline):
        from .inspector import Inspector

        self.t = timeline
        self.G = timeline.G
        self.ids = list(self.G.nodes)
        self.index = {nid: i for i, nid in enumerate(self.ids)}
        self._inspector = Inspector()
        self.views: list = []
        self.maps: list = []
        self._view_keys: dict = {}
        self._map_keys: dict = {}
        self.current = [self._view(nid) for nid in self.ids]
        self.start = list(self.current)

    def _key(self, nid):
        g = self.t.grad_of(nid)
        if g is None:
            return (nid, None), None
        g = np.asarray(g)
        return (nid, g.dtype.str, g.shape, g.tobytes()), g

    def _view(self, nid) -> int:
        key, grad = self._key(nid)
        found = self._view_keys.get(key)
        if found is None:
            insp = self._inspector
            insp.show(self.G, nid, {} if grad is None else {nid: grad})
            # The text as the pane's model holds it (Panel's own transform: escaped once more).
            text = insp.body._transform_object(insp.body.object)["object"]
            view = [text, self._map(insp.value_map), self._map(insp.grad_map)]
            found = self._view_keys[key] = len(self.views)
            self.views.append(view)
        return found

    def _map(self, heatmap) -> int:
        """A heatmap as shown (index into ``maps``; -1 when hidden)."""
        if not heatmap.pane.visible:
            return -1
        entry = [heatmap.figure.title.text,
                 {col: _plain(v) for col, v in heatmap.source.data.items()}]
        key = json.dumps(entry, separators=(",", ":"))
        found = self._map_keys.get(key)
        if found is None:
            found = self._map_keys[key] = len(self.maps)
            self.maps.append(entry)
        return found

    def track(self, nodes) -> tuple[list, list]:
        """``(to, back)`` for a move that touched ``nodes``: ``[node index, view index, ...]``
        of the views it changed, and of the views they had before."""
        out, back = [], []
        # In index order, not the set's: the same pass gives the same page in every process.
        for i, nid in sorted((self.index[n], n) for n in nodes if n in self.index):
            v = self._view(nid)
            if v != self.current[i]:
                back += [i, self.current[i]]
                self.current[i] = v
                out += [i, v]
        return out, back

    def pack(self) -> str:
        """The views, gzipped and base64-encoded (the start state rides in the tree)."""
        return _pack({"ids": self.ids, "views": self.views, "maps": self.maps})


def record_states(view, doc, max_passes: int = 3, max_zeros: int = 2, inspector=None,
                  invert: bool = False) -> list:
    """Walk ``view`` (an ``Explorer`` rendered into ``doc``, at step 0) through every reachable
    state; returns the tree as a list of nodes ``{"p": parent, "k": "start"|"event"|"zero"|
    "pass", "c": counter, "f": forward patch, "b": backward patch, "s"/"z"/"a": children}``.
    With ``inspector`` (an ``InspectorStates`` of ``view``'s timeline) each node also has
    ``"i"`` / ``"j"``: the inspector views that change entering it / going back from it
    (``[node index, view index, ...]``), and the first node ``"at"``: every node's view at
    the start.

    The backward patches are drawn by moving the view back, so the view ends where it started.
    ``invert=True`` (for a view thrown away after saving, whose tree is one path: one pass, no
    Zero grads) takes each backward patch as the inverse of its forward one instead, which
    halves the drawing; the document is then put back as it was at the start, the timeline is
    left at the end of the walk and the view's own drawing state behind its document (when a
    change cannot be inverted, the moves back are drawn after all)."""
    patches = _Patches(doc)
    patches.take()
    patches.remember()
    t = view.timeline
    nodes = [{"p": None, "k": "start", "c": t.counter, "f": [], "b": []}]
    touched: list = []
    if inspector is not None:
        nodes[0]["at"] = inspector.start
        take_touched = t.take_touched

        def watch_touched():  # the nodes the explorer repaints after a move are the ones
            out = take_touched()  # whose gradient (so inspector view) may have changed
            touched.append(out[0] if not out[2] else set(t.G.nodes))
            return out

        t.take_touched = watch_touched

    def changed_views() -> tuple[list, list]:
        if inspector is None:
            return [], []
        seen = set().union(*touched) if touched else set()
        touched.clear()
        return inspector.track(seen)

    def move(kind):
        if kind == "s":
            view.step()
        elif kind == "z":
            view.zero_grads()
        else:
            t.backward_again()  # the button also runs the pass: the player takes its steps
            view._show()

    drawn_back = not invert  # whether the moves back are drawn (once one is, all are)
    undo: dict = {}  # node -> (inverse patch, inverse views), while they may still serve
    try:
        stack = [(0, iter(_children(t, max_passes, max_zeros)))]
        while stack:
            nid, todo = stack[-1]
            kind = next(todo, None)
            if kind is None:
                stack.pop()
                if not nid:
                    continue
                if not drawn_back and patches.invertible:
                    nodes[nid]["b"], back_views = undo.pop(nid)
                else:
                    drawn_back = True
                    # As a reader arriving here would have it: no future beyond this state (the
                    # subtree just walked is not a redo future). The player adds the "pass p"
                    # of a future it holds to the counter itself.
                    t._truncate()
                    view.back()
                    nodes[nid]["b"] = patches.take()
                    back_views = changed_views()[0]
                if inspector is not None:
                    nodes[nid]["j"] = back_views
                continue
            if not drawn_back and nid != len(nodes) - 1:
                raise AssertionError("invert=True needs a tree that is one path")
            move(kind)
            entry = t.last_entry
            child = len(nodes)
            if drawn_back:
                forward = patches.take()
            else:
                forward, backward = patches.take(inverse=True)
            nodes.append({"p": nid, "k": entry.kind, "c": t.counter, "f": forward, "b": []})
            views, back_views = changed_views()
            if inspector is not None:
                nodes[child]["i"] = views
            if not drawn_back:
                undo[child] = (backward, back_views)
            nodes[nid][kind] = child
            stack.append((child, iter(_children(t, max_passes, max_zeros))))
        if not drawn_back:
            patches.restore()  # the document as the page opens (the view stays at the end)
    finally:
        patches.close()
        if inspector is not None:
            del t.take_touched
    return nodes


def _pack(nodes) -> str:
    raw = json.dumps(nodes, separators=(",", ":")).encode("utf-8")
    # Level 6: within a few per cent of 9 on these patches, at a fraction of the time; a small
    # page takes 9 (the seed graph's 0.24 MB of patches: 17 ms instead of 14, 0.6 kB less).
    level = 9 if len(raw) < 2_000_000 else 6
    return base64.b64encode(gzip.compress(raw, level, mtime=0)).decode("ascii")


def _model(widget, root):
    return widget._models[root.ref["id"]][0]


def _mark_static(view) -> None:
    """Show disabled what needs Python, with the reason."""
    import panel as pn

    editors = {id(ed.__panel__()): ed for ed in getattr(view, "editors", {}).values()}
    for w in view.editors_column.select(pn.widgets.Widget):
        w.disabled = True
    view.controls.retain_graph.disabled = True
    view.controls.colour_mode.disabled = True
    view.editors_column.objects = [pn.pane.HTML(
        '<div class="gv-muted">Editing inputs needs Python: open this graph with '
        'gradviz.explore (or gradviz serve) to change them.</div>', sizing_mode="stretch_width"),
        *(editors[id(o)].read_only() if id(o) in editors else o  # values, no dead controls
          for o in view.editors_column.objects)]
    view.side.dynamic = False  # no server to render a tab when it is chosen
    note = STATIC_NOTE
    if view.finding_shown:
        widgets, sentence = view.scope_controls.python_only()
        for w in widgets:
            w.disabled = True
        note += sentence
    view._note_text(" ".join(x for x in (view._root_note(), note) if x))


def prepare(view) -> None:
    """Make a fresh explorer (at step 0, not yet rendered) ready to be recorded for a page:
    its passes keep the graph (so Backward again can be shown), and what needs Python is
    shown disabled."""
    view._push_notebook = lambda *panes: None  # the document records; nothing to push to
    if not view.retain_graph:
        try:
            view.timeline.set_retain_graph(True)
            view._syncing_retain = True
            view.retain_graph = True
        except RuntimeError:  # a PyTorch pass that cannot be re-planned: one pass it is
            pass
        finally:
            view._syncing_retain = False
    view._message("")
    view.graph_view.make_eager()  # no Python to answer a hover: the page carries the text
    _mark_static(view)


def attach_player(view, doc, root, max_passes=None, max_zeros: int = 2,
                  discard: bool = False) -> list:
    """Record ``view`` (prepared, rendered into ``doc`` under ``root``, at step 0) and attach
    the player to its toolbar; returns the recorded tree. The view ends at step 0; with
    ``discard=True`` (a view made for the page and thrown away after it is saved) only its
    timeline and its document do, its drawing state may be left behind (see
    ``record_states(invert=True)``)."""
    from bokeh.models import CustomJS

    if max_passes is None:
        max_passes = 3 if view.G.number_of_nodes() <= BIG_GRAPH_NODES else 1
    if max_passes <= 1:
        max_zeros = 0
    inspector = InspectorStates(view.timeline)
    # A view saved and thrown away, with one path to record (a big graph's one pass): its moves
    # back need not be drawn, each is the inverse of the move forward.
    invert = discard and max_passes <= 1 and max_zeros == 0
    try:
        nodes = record_states(view, doc, max_passes, max_zeros, inspector=inspector,
                              invert=invert)
    finally:
        view.timeline.seek(0)  # the leaves get their .grad back
    # The page opens as a fresh view does: no recorded future ("step 0 of 8", not
    # "pass 1 · step 0 of 8"); the player keeps the future in its tree instead.
    view.timeline._truncate()
    view._sync_text()
    # What the player shows after any move, from the start: Zero grads and Backward again are
    # disabled where the recording holds no such state after this pass.
    end = 0
    while "s" in nodes[end]:
        end = nodes[end]["s"]
    for label, kind in (("Zero grads", "z"), ("Backward again", "a")):
        view.controls.buttons[label].disabled = kind not in nodes[end]
    doc.callbacks._held_events = []
    player = CustomJS(args=player_args(view, root, nodes, inspector), code=PLAYER_JS)
    for label in view.controls.buttons:
        _model(view.controls.buttons[label], root).js_on_event("button_click", player)
    graph = view.graph_view
    for source in (graph.tensor_source, graph.function_source):
        source.selected.js_on_change("indices", player)  # a tap: the inspector shows the node
    return nodes


def player_args(view, root, nodes, inspector) -> dict:
    """The ``CustomJS`` arguments of ``static_player.js`` for ``view`` (rendered under
    ``root``): the recorded tree and inspector views, and the models they drive."""
    from html import escape

    c = view.controls
    # The counter's markup as its model holds it (Panel sends an HTML pane's text escaped once
    # more), with the counter's text cut out: the player fills it in.
    counter = _model(c.counter, root)
    text = escape(escape(view.counter))
    if text not in counter.text:
        raise AssertionError(f"the counter {counter.text!r} does not show {view.counter!r}")
    before, after = counter.text.split(text, 1)
    insp, graph = view.inspector, view.graph_view
    args = {"data": _pack(nodes), "inspect": inspector.pack(), "speed": _model(c.speed, root),
            "message": _model(c.message, root), "counter": counter,
            "counter_html": [before, after], "player_key": uuid.uuid4().hex,
            "tensors": graph.tensor_source, "functions": graph.function_source,
            "body": _model(insp.body, root), "tabs": _model(view.side, root),
            "heatmaps": [[_model(m.pane, root), m.source, m.figure.title]
                         for m in (insp.value_map, insp.grad_map)]}
    args.update({"btn_" + label.replace(" ", "_"): _model(b, root)
                 for label, b in c.buttons.items()})
    return args


def build_document(view, max_passes=None, max_zeros: int = 2):
    """A Bokeh ``Document`` holding a fresh explorer of ``view``'s graph whose toolbar plays
    the recorded states; returns ``(doc, explorer, nodes)``. ``view`` and the user's tensors
    end as they were."""
    from bokeh.document import Document
    from panel.io.model import add_to_doc

    from .explorer import Explorer

    source = view.timeline
    here = source.position
    source.seek(0)  # the leaves' .grad as they were before this view's first step
    try:
        rec = Explorer(source.roots[0], names=view._names, gradient=view._user_gradient,
                       retain_graph=True, height=view._height_asked)
        prepare(rec)
        doc = Document()
        root = rec._layout.get_root(doc, None)
        add_to_doc(root, doc, True)
        nodes = attach_player(rec, doc, root, max_passes, max_zeros, discard=True)
    finally:
        source.seek(here)
    doc.validate()
    return doc, rec, nodes


def explorers_in(viewable) -> list:
    """Every explorer inside a Panel layout (an app's section), in order."""
    found, stack = [], [viewable]
    while stack:
        v = stack.pop(0)
        ex = getattr(v, "gradviz_explorer", None)
        if ex is not None and ex not in found:
            found.append(ex)
        stack.extend(getattr(v, "objects", None) or [])
        inner = getattr(v, "_layout", None)
        if inner is not None and inner is not v and ex is None:
            stack.append(inner)
    return found


def save_layout(layout, filename, resources="inline", title="gradviz", max_passes=None):
    """Save a Panel layout whose explorers (fresh, at step 0) step without Python: an app's
    section with its explanation, code and graphs."""
    from bokeh.document import Document
    from panel.io.model import add_to_doc
    from panel.io.save import save

    mode = str(getattr(resources, "mode", resources)).lower()
    views = explorers_in(layout)
    for v in views:
        prepare(v)
    doc = Document()
    root = layout.get_root(doc, None)
    add_to_doc(root, doc, True)
    for v in views:
        attach_player(v, doc, root, max_passes, discard=True)
    from .offline import slim_document
    slim_document(doc)  # shared stylesheets, no unused glyph copies: smaller, same look
    save(doc, filename, resources=mode, title=title)
    if mode == "inline":
        from .offline import inline_saved_file
        inline_saved_file(filename)
    return views


def save_static(view, filename, resources="inline", title="gradviz explorer", max_passes=None):
    """Write ``view`` as one HTML file that steps without Python (see the module docstring).
    ``resources``: "inline" (works offline) or "cdn"."""
    from panel.io.save import save

    mode = str(getattr(resources, "mode", resources)).lower()
    if mode not in ("inline", "cdn"):
        raise ValueError(f"resources must be 'inline' or 'cdn', not {resources!r}")
    doc, _, _ = build_document(view, max_passes=max_passes)
    from .offline import slim_document
    slim_document(doc)  # shared stylesheets, no unused glyph copies: smaller, same look
    save(doc, filename, resources=mode, title=title)
    if mode == "inline":
        from .offline import inline_saved_file
        inline_saved_file(filename)  # Panel still links some of its CSS from its CDN
    return filename


# --- a whole app as static pages ---------------------------------------------------------------
def _nav(pages, current: str, title: str):
    import panel as pn
    from html import escape

    links = " · ".join(
        f"<b>{escape(label)}</b>" if file == current else
        f'<a href="{escape(file)}">{escape(label)}</a>' for file, label in pages)
    return pn.pane.HTML(f'<div style="font-size:15px"><a href="index.html">{escape(title)}</a>'
                        f"<br>{links}</div>", sizing_mode="stretch_width", margin=(10, 10))


def _app_pages(app: str) -> tuple[str, list]:
    """``(title, [(file, label, build)])``: each page of an app, ``build()`` making its
    content (with fresh explorers)."""
    import panel as pn

    if app == "tutorial":
        from ..apps import tutorial

        def section(s):
            return lambda: tutorial.TutorialApp(section=s.key)._build(s)

        return ("The autograd tutorial, step by step",
                [(f"{s.key}.html", f"{i + 1}. {s.nav}", section(s))
                 for i, s in enumerate(tutorial.SECTIONS)])
    if app == "playground":
        from .. import examples
        from ..apps import graphs, page

        def example(name):
            def build():
                ex = examples.build(name)
                return pn.Column(page.prose(f"## {examples.TITLES[name]}\n\n{ex.description}"),
                                 graphs.explorer(ex.root, ex.names, **ex.kwargs),
                                 page.label("Code"), page.code_block(ex.code),
                                 sizing_mode="stretch_width")
            return build

        return ("Playground", [(f"{name}.html", examples.TITLES[name], example(name))
                               for name in examples.EXAMPLES])
    raise KeyError(f"no app named {app!r}; choose tutorial or playground")


def export_app(app: str, folder, resources="inline", log=print) -> list:
    """Write ``app`` ("tutorial" or "playground") as static pages into ``folder``: an
    ``index.html`` and one page per section or example, each explorer stepping without Python
    (any static file server, or the files themselves, will do). Returns the files written.
    Pages that cannot be built here (the PyTorch example without torch) are left out, said
    through ``log``."""
    import panel as pn

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    title, pages = _app_pages(app)
    listed = [(file, label) for file, label, _ in pages]
    written, made = [], []
    for file, label, build in pages:
        try:
            content = build()
        except ImportError as e:
            log(f"skipped {file}: {e}")
            continue
        layout = pn.Column(_nav(listed, file, title), content, sizing_mode="stretch_width",
                           styles={"max-width": "1400px"})
        save_layout(layout, str(folder / file), resources=resources, title=f"{label} · {title}")
        written.append(folder / file)
        made.append((file, label))
        log(f"wrote {folder / file}")
    items = "".join(f'<li><a href="{f}">{lbl}</a></li>' for f, lbl in made)
    (folder / "index.html").write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body style="font-family: sans-serif; max-width: 720px; margin: 40px auto">'
        f"<h1>{title}</h1><p>Static pages made by gradviz: each graph steps in the browser "
        f"without Python.</p><ul>{items}</ul></body></html>", encoding="utf-8")
    written.insert(0, folder / "index.html")
    return written
