"""The explorer: see a gradviz graph, edit its inputs, and step through backward.

API (stable)::

    view = Explorer(root, names=None, gradient=None, retain_graph=False, height=620)
    view                     # in a notebook; or view.servable(); view.show(); view.save("g.html")

``names``: ``{"w": w, ...}`` or ``{id(w): "w", ...}`` (``gradviz.explore`` passes the
caller's variables). ``gradient``: the starting gradient for a non-scalar root (default: ones,
as in ``out.backward(torch.ones_like(out))``). ``retain_graph``: the initial state of the
toggle, used by every pass the explorer starts.

State you can read or drive from Python (tests and snapshots do):

- ``view.root``: the root tensor currently shown (a replayed copy after an input edit; the
  user's own tensors are never modified by edits);
- ``view.G`` / ``view.layout``: the exported graph and its layout;
- ``view.stepper``: the current ``gradviz.Stepper``; ``view.step()``, ``view.back()``,
  ``view.reset()``, ``view.run()``, ``view.backward_again()``, ``view.zero_grads()`` do what
  the buttons of the same names do and update the picture;
  (calling ``view.stepper.step()`` directly works too: ``view.refresh()`` redraws from it);
- ``view.counter`` ("step k of n"), ``view.sentence``, ``view.message`` (the last error
  or note), ``view.leaf_grads()`` (``{name: ndarray or None}``);
- ``view.set_input(name, value)`` / ``view.set_requires_grad(name, flag)`` as the editors do,
  returning None or the error message;
- ``view.select(node_id)`` shows a node in the inspector; ``view.colour_mode`` is "role" or
  "gradient".

A root with no ``grad_fn`` (computed under ``no_grad`` or detached) shows one node and a note
that no graph was recorded; its ``stepper`` is then a ``NoPass`` (total 0, ``step()`` is None).

Static HTML (``save``): the graph, hover tooltips, pan/zoom and the legend work; buttons,
editors and the inspector need Python and do nothing there.
"""
from __future__ import annotations

import numpy as np
import panel as pn
import param

from .. import graph as gv_graph
from ..autograd.describe import describe
from ..autograd.stepper import Stepper
from ..tensor import Tensor
from . import fonts, style
from .controls import Controls, counter_text
from .editors import TensorEditor
from .graph_view import GraphView, compute_layout, plot_and_side
from .inspector import Inspector


class NoPass:
    """The stepper of a root without a graph: nothing to step through."""

    position = 0
    total = 0
    events: list = []
    current = None
    done = True
    retain_graph = False

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


class Explorer(pn.viewable.Viewer):
    """A gradviz graph you can step through; see the module docstring."""

    colour_mode = param.Selector(default="role", objects=["role", "gradient"],
                                 doc="Colour nodes by what they are, or by their gradient.")
    retain_graph = param.Boolean(default=False, doc="retain_graph for the passes started here.")
    counter = param.String(default="step 0 of 0", constant=False)
    sentence = param.String(default="")
    message = param.String(default="")
    selected = param.String(default="", doc="Node id shown in the inspector.")

    def __init__(self, root, names=None, gradient=None, retain_graph=False, height=None, **params):
        if not isinstance(root, Tensor):
            raise TypeError(f"Explorer needs a gradviz tensor, got {type(root).__name__}")
        super().__init__(retain_graph=bool(retain_graph), **params)
        self.root = root
        self._names = gv_graph._names_by_id(names) if names else {}
        self._user_gradient = gradient
        self.G = gv_graph.to_networkx(root, self._names)
        self.layout = compute_layout(self.G)
        self._reset_flows()
        self.stepper, note = self._new_stepper()
        self.graph_view = GraphView(self.G, self.layout, grads=self._all_grads(), edge_grads={},
                                    mode=self.colour_mode, current=None, on_tap=self.select,
                                    height=height)
        height = self.graph_view.figure.height
        # The figure brings the bundled fonts into the <head> of any page that shows it.
        fonts.install(self.graph_view.figure)
        self.graph_pane = pn.pane.Bokeh(self.graph_view.figure, sizing_mode="stretch_both")
        self.controls = Controls(self._actions(), retain_graph=self.retain_graph)
        self.controls.retain_graph.param.watch(lambda e: setattr(self, "retain_graph", e.new), "value")
        self.controls.colour_mode.param.watch(self._colour_widget_changed, "value")
        self.inspector = Inspector()
        self.legend = style.html(style.legend_html(self.colour_mode), sizing_mode="stretch_width",
                                   margin=(2, 10))
        self.note = style.html("", sizing_mode="stretch_width", visible=False, margin=(0, 10))
        self.editors_column = pn.Column(sizing_mode="stretch_both", scroll=True)
        self._build_editors()
        self.side = pn.Tabs(("Inspect", pn.Column(self.inspector, scroll=True,
                                                  sizing_mode="stretch_both")),
                            ("Inputs", self.editors_column),
                            dynamic=True)
        self._layout = pn.Column(
            self.controls,
            self.note,
            plot_and_side(self.legend, self.graph_pane, self.side, height),
            sizing_mode="stretch_width", stylesheets=[style.CSS], css_classes=["gv-explorer"],
            styles={"font-family": style.FONT})
        self._layout.gradviz_explorer = self  # see Explorer.find
        self._note_text(note)
        self._sync_text()

    def __panel__(self):
        return self._layout

    @staticmethod
    def find(viewable) -> "Explorer":
        """The first explorer inside a Panel layout (an app's page, a tutorial section).

        Layouts hold an explorer's rendered layout rather than the explorer itself, so the
        layout carries a reference back to its explorer."""
        stack = [viewable]
        while stack:
            v = stack.pop(0)
            if isinstance(v, Explorer):
                return v
            found = getattr(v, "gradviz_explorer", None)
            if found is not None:
                return found
            stack.extend(getattr(v, "objects", None) or [])
        raise LookupError("no gradviz explorer in this view")

    def save(self, filename, **kwargs):
        """Write a standalone HTML file (the graph, hovers and zoom work without Python)."""
        from bokeh.resources import INLINE
        kwargs.setdefault("resources", INLINE)
        kwargs.setdefault("title", "gradviz explorer")
        return self._layout.save(filename, **kwargs)

    # --- set-up helpers --------------------------------------------------------------------
    def _actions(self) -> dict:
        return {"Reset": self.reset, "Back": self.back, "Step": self.step, "Run": self.run,
                "Backward again": self.backward_again, "Zero grads": self.zero_grads}

    def _gradient(self):
        if self._user_gradient is not None:
            return self._user_gradient
        if self.root._array.size != 1 and self.root._requires_grad:
            return np.ones(self.root._array.shape, dtype=self.root._array.dtype)
        return None

    def _new_stepper(self):
        """A stepper for a fresh pass, and a note to show (or '')."""
        if not self.root._requires_grad:
            return NoPass(), (
                f"No graph was recorded: {self._root_label()} has no grad_fn and does not require "
                "grad (it was computed under torch.no_grad() or detached, or from inputs that need "
                "no gradient), so backward has nothing to walk.")
        note = ""
        if self._user_gradient is None and self.root._array.size != 1:
            note = (f"{self._root_label()} is not a scalar: backward starts from gradient=ones, as "
                    "out.backward(torch.ones_like(out)) does.")
        return Stepper(self.root, self._gradient(), retain_graph=self.retain_graph), note

    def _root_label(self) -> str:
        return self.G.nodes[self.G.graph["roots"][0]]["label"]

    def _build_editors(self) -> None:
        self.editors = {}
        ids = self.G.graph["ids"]
        widgets = []
        for t in gv_graph.sources(self.root):
            nid = ids.get(id(t))
            if nid is None or self.G.nodes[nid]["kind"] != "tensor":
                continue
            label = self.G.nodes[nid]["label"]
            ed = TensorEditor(nid, label, t._array, t._requires_grad, self._propose)
            self.editors[nid] = ed
            widgets.append(ed)
        if not widgets:
            widgets = [style.html('<div class="gv-muted">This graph has no inputs to edit.</div>')]
        self.editors_column.objects = widgets

    # --- gradient bookkeeping ---------------------------------------------------------------
    # What the picture shows besides leaf .grad: the gradient that has reached each non-leaf
    # tensor and crossed each edge in this pass, as stacks so that Back pops exactly what Step
    # pushed (no snapshots of the whole graph).
    def _reset_flows(self) -> None:
        self._node_flow: dict = {}
        self._edge_flow: dict = {}
        self._pushed: list = []  # per performed event: the keys it pushed

    def _grad_of(self, nid: str):
        attrs = self.G.nodes[nid]
        if attrs["kind"] != "tensor":
            return None
        if attrs["is_leaf"] and attrs["role"] != "root" or attrs["role"] == "leaf":
            t = self.G.graph["objects"].get(nid)
            return None if t is None or t._grad is None else t._grad._array.copy()
        stack = self._node_flow.get(nid)
        if stack:
            return stack[-1]
        if attrs["role"] == "root" and attrs["is_leaf"]:
            t = self.G.graph["objects"].get(nid)
            return None if t is None or t._grad is None else t._grad._array.copy()
        return None

    def _all_grads(self) -> dict:
        return {n: g for n in self.G.nodes if (g := self._grad_of(n)) is not None}

    def _edge_grads(self) -> dict:
        return {e: s[-1] for e, s in self._edge_flow.items() if s}

    def _event_node(self, event):
        if event is None or event.kind == "done":
            return None
        ids = self.G.graph["ids"]
        if event.kind in ("seed", "retain", "hook"):
            return ids.get(id(event.tensor)) if event.tensor is not None else ids.get(id(event.node))
        return ids.get(id(event.node))

    def _push(self, event) -> tuple[set, set]:
        """Record what ``event`` (just performed) makes visible; return touched nodes and edges."""
        ids, G = self.G.graph["ids"], self.G
        pushed, nodes, edges = [], set(), set()

        def push_node(nid, g):
            prev = self._node_flow.get(nid)
            base = prev[-1] if prev else None
            self._node_flow.setdefault(nid, []).append(g if base is None else base + g)
            pushed.append(("n", nid))
            nodes.add(nid)

        def push_edge(e, g):
            self._edge_flow.setdefault(e, []).append(np.asarray(g).copy())
            pushed.append(("e", e))
            edges.add(e)

        if event.kind == "seed":
            tid = ids.get(id(event.tensor))
            if tid is not None:
                g = np.asarray(event.grad).copy()
                if not G.nodes[tid]["is_leaf"]:
                    push_node(tid, g)
                for pred in G.predecessors(tid):
                    push_edge((pred, tid), g)
                nodes.add(tid)
        elif event.kind == "call":
            fid = ids.get(id(event.node))
            if fid is not None:
                nodes.add(fid)
                for out in G.successors(fid):
                    if event.grad_in is not None:
                        push_edge((fid, out), event.grad_in)
                feeding = G.graph["inputs"].get(fid, [])
                crossed: dict = {}
                for i, g in enumerate(event.grads_out):
                    src = feeding[i] if i < len(feeding) else None
                    if src is None or g is None:
                        continue
                    g = np.asarray(g)
                    crossed[src] = g if src not in crossed else crossed[src] + g
                for src, g in crossed.items():
                    push_edge((src, fid), g)
                    if G.nodes[src]["role"] == "intermediate" or (
                            G.nodes[src]["role"] == "root" and not G.nodes[src]["is_leaf"]):
                        push_node(src, g)
                    nodes.add(src)
        elif event.kind in ("accumulate", "retain", "hook"):
            nid = self._event_node(event)
            if nid is not None:
                nodes.add(nid)
        self._pushed.append(pushed)
        return nodes, edges

    def _pop(self) -> tuple[set, set]:
        nodes, edges = set(), set()
        for kind, key in self._pushed.pop() if self._pushed else []:
            if kind == "n":
                self._node_flow[key].pop()
                nodes.add(key)
            else:
                self._edge_flow[key].pop()
                edges.add(key)
        return nodes, edges

    # --- actions ---------------------------------------------------------------------------
    def step(self) -> bool:
        """One event forward; False at the end of the pass (or on an error)."""
        if self.stepper.done:
            self._sync_text()
            return False
        before = self._event_node(self.stepper.current)
        try:
            event = self.stepper.step()
        except RuntimeError as e:  # a pass over a freed graph: PyTorch's error, nothing changed
            self._error(str(e))
            return False
        if event is None:
            return False
        nodes, edges = self._push(event)
        nodes |= {n for n in (before, self._event_node(event)) if n is not None}
        self._patch(nodes, edges)
        return True

    def back(self) -> bool:
        if self.stepper.position == 0:
            return False
        before = self._event_node(self.stepper.current)
        event = self.stepper.back()
        nodes, edges = self._pop()
        nodes |= {n for n in (before, self._event_node(event), self._event_node(self.stepper.current))
                  if n is not None}
        self._patch(nodes, edges)
        return True

    def run(self) -> None:
        try:
            while not self.stepper.done:
                event = self.stepper.step()
                if event is None:
                    break
                self._push(event)
        except RuntimeError as e:
            self._error(str(e))
        self._redraw()

    def reset(self) -> None:
        while self.stepper.position > 0:
            self.stepper.back()
            self._pop()
        self._message("")
        self._redraw()

    def refresh(self) -> None:
        """Redraw from ``self.stepper`` after it was moved directly (``view.stepper.step()``)."""
        while len(self._pushed) > self.stepper.position:
            self._pop()
        for event in self.stepper.events[len(self._pushed):self.stepper.position]:
            self._push(event)
        self._redraw()

    def backward_again(self) -> bool:
        """Finish this pass, then run a new one on the same graph: leaf gradients accumulate.
        Over a graph whose saved tensors were freed, show PyTorch's error and change nothing."""
        if isinstance(self.stepper, NoPass):
            self._error("There is no graph to run backward through.")
            return False
        fresh = Stepper(self.root, self._gradient(), retain_graph=self.retain_graph)
        if not self.stepper.done:
            self.run()
        try:
            first = fresh.step()
        except RuntimeError as e:
            self._error(str(e))
            return False
        self.stepper = fresh
        self._reset_flows()
        self._push(first)
        self.run()
        self._message("")
        return True

    def zero_grads(self) -> list:
        """``.grad.zero_()`` on every leaf that has a gradient; returns their names."""
        zeroed = []
        for nid in self.G.nodes:
            if self.G.nodes[nid].get("role") == "leaf" or (
                    self.G.nodes[nid]["kind"] == "tensor" and self.G.nodes[nid]["is_leaf"]):
                t = self.G.graph["objects"].get(nid)
                if t is not None and t._grad is not None:
                    t._grad.zero_()
                    zeroed.append(self.G.nodes[nid]["label"])
        self._redraw()
        self._message(f"Zeroed .grad of {', '.join(zeroed)}." if zeroed else
                      "No leaf has a gradient yet: nothing to zero.", kind="note")
        return zeroed

    def select(self, nid: str) -> None:
        self.selected = nid or ""
        self.inspector.show(self.G, self.selected, self._all_grads())
        self.side.active = 0
        self._push_notebook(self.inspector.value_map.pane, self.inspector.grad_map.pane)

    def leaf_grads(self) -> dict:
        """``{label: .grad array or None}`` for every leaf that requires grad."""
        out = {}
        for nid, attrs in self.G.nodes(data=True):
            if attrs["kind"] == "tensor" and attrs["role"] == "leaf":
                out[attrs["label"]] = self._grad_of(nid)
        return out

    # --- input edits -----------------------------------------------------------------------
    def set_input(self, name: str, value):
        """Give the leaf or constant called ``name`` (label or node id) a new value; returns
        None when accepted, else the error message (and nothing changed)."""
        ed = self._editor(name)
        return self._propose(ed, value=np.asarray(value, dtype=float))

    def set_requires_grad(self, name: str, flag: bool):
        return self._propose(self._editor(name), requires_grad=bool(flag))

    def _editor(self, name: str) -> TensorEditor:
        for nid, ed in self.editors.items():
            if name in (nid, ed.name_label):
                return ed
        raise KeyError(f"no input called {name!r}; inputs: {[e.name_label for e in self.editors.values()]}")

    def _propose(self, editor, value=None, requires_grad=None):
        """Replay the forward pass with a new input; None when accepted, else why not."""
        old = self.G.graph["objects"][editor.node_id]
        values = {}
        if value is not None:
            value = np.asarray(value)
            if value.size > 10_000:
                return f"Too many numbers ({value.size:,}); at most 10,000 are accepted."
            if not np.all(np.isfinite(value)):
                return "NaN and infinity are not accepted as inputs."
            values[old] = value
        flag_before = old._requires_grad
        try:
            if requires_grad is not None:
                if requires_grad and old._array.dtype.kind not in "fc":
                    return "Only floating point tensors can require gradients."
                old._requires_grad = bool(requires_grad)  # replay copies this flag to the new leaf
            replayed = gv_graph.replay(self.root, values)
        except gv_graph.ReplayError as e:
            return str(e)
        finally:
            old._requires_grad = flag_before
        new_root = replayed.root
        names = replayed.names(self._names)
        G = gv_graph.to_networkx(new_root, names)
        for nid, attrs in G.nodes(data=True):
            if attrs["kind"] == "tensor" and attrs["value"].dtype.kind == "f" and \
                    not np.all(np.isfinite(attrs["value"])):
                return (f"With this input the forward pass gives NaN or infinity at "
                        f"{attrs['label']}; the value was not applied.")
        self.controls.stop()
        same = gv_graph.same_structure(self.G, G)
        self.root, self._names, self.G = new_root, names, G
        if not same:
            self.layout = compute_layout(G)
        self._reset_flows()
        self.stepper, note = self._new_stepper()
        self._note_text(note)
        self._redraw(layout=None if same else self.layout)
        if same:
            for nid, ed in self.editors.items():
                t = G.graph["objects"][nid]
                ed.sync(t._array, t._requires_grad)
        else:
            self._build_editors()
        self.inspector.refresh(self.G, self._all_grads())
        self._message("")
        return None

    # --- drawing ---------------------------------------------------------------------------
    def _fresh_edges(self) -> set:
        """The edges the current event sent a gradient across (they get a text label)."""
        if not self._pushed:
            return set()
        return {key for kind, key in self._pushed[-1] if kind == "e"}

    def _current_node(self):
        return self._event_node(self.stepper.current)

    def _patch(self, nodes, edges) -> None:
        grads = {n: self._grad_of(n) for n in nodes}
        current = self._current_node()
        with pn.io.hold():
            self.graph_view.update_nodes(self.G, nodes, grads, self.colour_mode, current)
            self.graph_view.update_edges(edges, self._edge_grads(), self._fresh_edges())
            self.graph_view.follow(current)
            if (self.selected in nodes if self.selected else
                    any(self.G.nodes[n].get("role") == "leaf" for n in nodes)):
                self.inspector.refresh(self.G, self._all_grads())
            self._sync_text()
        self._push_notebook(self.graph_pane)

    def _redraw(self, layout=None) -> None:
        with pn.io.hold():
            self.graph_view.redraw_all(self.G, self._all_grads(), self._edge_grads(),
                                       self.colour_mode, self._current_node(), layout=layout,
                                       fresh=self._fresh_edges())
            if layout is None:  # (a new layout was refitted as a whole)
                current = self._current_node()
                self.graph_view.follow(current if current is not None else
                                       self.G.graph["roots"][0] if self.stepper.position == 0
                                       else None)
            self.inspector.refresh(self.G, self._all_grads())
            self._sync_text()
        self._push_notebook(self.graph_pane)

    def _sync_text(self) -> None:
        s = self.stepper
        self.counter = counter_text(s.position, s.total)
        self.controls.set_counter(s.position, s.total)
        event = s.current
        if event is None:
            if isinstance(s, NoPass):
                text = "Nothing to step through: no graph was recorded."
            else:
                text = (f"Press Step to start backward from {self._root_label()}, "
                        "one node at a time.")
        else:
            text = describe(event, self.G)
        self.sentence = text
        self.controls.set_sentence(text)

    def _note_text(self, text: str) -> None:
        self.note.object = f'<div class="gv-note">{text}</div>' if text else ""
        self.note.visible = bool(text)

    def _message(self, text: str, kind: str = "error") -> None:
        self.message = text
        self.controls.show_message(text, kind)

    def _error(self, text: str) -> None:
        self._message(text, "error")

    @param.depends("colour_mode", watch=True)
    def _colour_mode_changed(self) -> None:
        self.legend.object = style.legend_html(self.colour_mode)
        want = "gradient colours" if self.colour_mode == "gradient" else "role colours"
        if self.controls.colour_mode.value != want:
            self.controls.colour_mode.value = want
        self._redraw()

    def _colour_widget_changed(self, event) -> None:
        self.colour_mode = "gradient" if event.new == "gradient colours" else "role"

    @param.depends("retain_graph", watch=True)
    def _retain_graph_changed(self) -> None:
        if self.controls.retain_graph.value != self.retain_graph:
            self.controls.retain_graph.value = self.retain_graph
        if isinstance(self.stepper, Stepper) and self.stepper.position == 0:
            self.stepper, _ = self._new_stepper()
            self._sync_text()
        elif isinstance(self.stepper, Stepper):
            self._message(f"retain_graph={self.retain_graph} applies to the next pass "
                          "(Backward again), or to this one after Reset.", kind="note")

    @staticmethod
    def _push_notebook(*panes) -> None:
        # In a notebook, in-place changes to Bokeh models are not sent by themselves; on a
        # server they are (the document is live), and pushing there is unnecessary.
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            return
        try:
            pn.io.push_notebook(*panes)
        except Exception:  # noqa: BLE001 - no notebook comm (plain Python): nothing to push to
            pass
