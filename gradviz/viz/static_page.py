"""Saved pages that step without Python: the timeline's states recorded as Bokeh patches.

``save_static(view, "graph.html")`` (what ``Explorer.save`` does) builds a second explorer on the
same graph, renders it into a Bokeh ``Document`` and drives its timeline through every state a
reader can reach: each event of this pass, and at the end of a pass Backward again and Zero
grads, for a few passes. After every move it takes the document changes the explorer's own
drawing code made (exactly the messages a live server would send to the page) as a forward
patch, and after the move back the backward patch. The states form a tree (a pass forks at its
end into "Zero grads" and "Backward again"); the tree, gzipped, rides in one ``CustomJS``
attached to the toolbar's buttons, and ``static_player.js`` applies the patches with
``Document.apply_json_patch``. One drawing code (the explorer's), two drivers (Python live,
the recorded patches in a saved page).

What needs Python (editing inputs, re-planning a pass with another ``retain_graph``, the colour
mode, which redraws everything) is shown disabled, and the page says so in one line.
"""
from __future__ import annotations

import base64
import gzip
import json
import uuid
from pathlib import Path

__all__ = ["record_states", "save_static", "PLAYER_JS", "STATIC_NOTE"]

PLAYER_JS = (Path(__file__).with_name("static_player.js")).read_text(encoding="utf-8")

STATIC_NOTE = ("Saved page: Reset, Back, Step, Run, Play, Backward again and Zero grads replay "
               "passes computed when it was saved; editing inputs, retain_graph and colours "
               "need Python (gradviz.explore or gradviz serve).")

# Graphs above this many nodes are saved with their first pass only: each further pass costs
# as many recorded steps again, and the page must stay quick to open.
BIG_GRAPH_NODES = 1000


def _take_patch(doc, known) -> list:
    """The document changes held since the last call, serialized as a ``PATCH-DOC`` message's
    events. Models that existed when the page was built are referenced by id; models made
    later are written out whole each time, so any patch applies on its own."""
    from bokeh.core.serialization import Serializer
    from bokeh.document.events import DocumentPatchedEvent

    events = [e for e in doc.callbacks._held_events if isinstance(e, DocumentPatchedEvent)]
    doc.callbacks._held_events = []
    if not events:
        return []
    return Serializer(references=known, deferred=False).encode(events)


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
    if t.pass_number < max_passes:
        kinds.append("a")
    return kinds


def record_states(view, doc, max_passes: int = 3, max_zeros: int = 2) -> list:
    """Walk ``view`` (an ``Explorer`` rendered into ``doc``, at step 0) through every reachable
    state; returns the tree as a list of nodes ``{"p": parent, "k": "start"|"event"|"zero"|
    "pass", "c": counter, "f": forward patch, "b": backward patch, "s"/"z"/"a": children}``.
    The view ends where it started."""
    known = set(doc.models)
    _take_patch(doc, known)
    t = view.timeline
    nodes = [{"p": None, "k": "start", "c": t.counter, "f": [], "b": []}]

    def move(kind):
        if kind == "s":
            view.step()
        elif kind == "z":
            view.zero_grads()
        else:
            t.backward_again()  # the button also runs the pass: the player takes its steps
            view._show()

    stack = [(0, iter(_children(t, max_passes, max_zeros)))]
    while stack:
        nid, todo = stack[-1]
        kind = next(todo, None)
        if kind is None:
            stack.pop()
            if nid:
                # As a reader arriving here would have it: no future beyond this state (the
                # subtree just walked is not a redo future), so Back says what the live view
                # says ("step 7 of 8", not "pass 1 · step 7 of 8").
                t._truncate()
                view.back()
                nodes[nid]["b"] = _take_patch(doc, known)
            continue
        move(kind)
        entry = t.last_entry
        child = len(nodes)
        nodes.append({"p": nid, "k": entry.kind, "c": t.counter, "f": _take_patch(doc, known),
                      "b": []})
        nodes[nid][kind] = child
        stack.append((child, iter(_children(t, max_passes, max_zeros))))
    return nodes


def _pack(nodes) -> str:
    raw = json.dumps(nodes, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, 9, mtime=0)).decode("ascii")


def _model(widget, root):
    return widget._models[root.ref["id"]][0]


def _mark_static(view) -> None:
    """Show disabled what needs Python, with the reason."""
    import panel as pn

    for w in view.editors_column.select(pn.widgets.Widget):
        w.disabled = True
    view.controls.retain_graph.disabled = True
    view.controls.colour_mode.disabled = True
    view.editors_column.objects = [pn.pane.HTML(
        '<div class="gv-muted">Editing inputs needs Python: open this graph with '
        'gradviz.explore (or gradviz serve) to change them.</div>', sizing_mode="stretch_width"),
        *view.editors_column.objects]
    view.side.dynamic = False  # no server to render a tab when it is chosen
    view._note_text(" ".join(x for x in (view._root_note(), STATIC_NOTE) if x))


def build_document(view, max_passes=None, max_zeros: int = 2):
    """A Bokeh ``Document`` holding a fresh explorer of ``view``'s graph whose toolbar plays
    the recorded states; returns ``(doc, explorer, nodes)``."""
    from bokeh.document import Document
    from bokeh.models import CustomJS
    from panel.io.model import add_to_doc

    from .explorer import Explorer

    source = view.timeline
    here = source.position
    source.seek(0)  # the leaves' .grad as they were before this view's first step
    try:
        rec = Explorer(source.roots[0], names=view._names, gradient=view._user_gradient,
                       retain_graph=True, height=view.graph_view.figure.height)
        rec._push_notebook = lambda *panes: None  # the document records; nothing to push to
        if max_passes is None:
            max_passes = 3 if rec.G.number_of_nodes() <= BIG_GRAPH_NODES else 1
        if max_passes <= 1:
            max_zeros = 0
        _mark_static(rec)
        doc = Document()
        root = rec._layout.get_root(doc, None)
        add_to_doc(root, doc, True)
        try:
            nodes = record_states(rec, doc, max_passes, max_zeros)
        finally:
            rec.timeline.seek(0)  # the user's leaves get their .grad back
        # The page opens as a fresh view does: no recorded future ("step 0 of 8", not
        # "pass 1 · step 0 of 8"); the player keeps the future in its tree instead.
        rec.timeline._truncate()
        rec._sync_text()
        doc.callbacks._held_events = []
    finally:
        source.seek(here)
    buttons = {label: _model(b, root) for label, b in rec.controls.buttons.items()}
    args = {"data": _pack(nodes), "speed": _model(rec.controls.speed, root),
            "message": _model(rec.controls.message, root), "player_key": uuid.uuid4().hex}
    args.update({"btn_" + label.replace(" ", "_"): m for label, m in buttons.items()})
    player = CustomJS(args=args, code=PLAYER_JS)
    for m in buttons.values():
        m.js_on_event("button_click", player)
    # The buttons start as the first state allows: Step, Run, Play (and nothing to undo).
    doc.validate()
    return doc, rec, nodes


def save_static(view, filename, resources="inline", title="gradviz explorer", max_passes=None):
    """Write ``view`` as one HTML file that steps without Python (see the module docstring).
    ``resources``: "inline" (works offline) or "cdn"."""
    from panel.io.save import save

    mode = str(getattr(resources, "mode", resources)).lower()
    if mode not in ("inline", "cdn"):
        raise ValueError(f"resources must be 'inline' or 'cdn', not {resources!r}")
    doc, _, _ = build_document(view, max_passes=max_passes)
    save(doc, filename, resources=mode, title=title)
    if mode == "inline":
        from .offline import inline_saved_file
        inline_saved_file(filename)  # Panel still links some of its CSS from its CDN
    return filename
