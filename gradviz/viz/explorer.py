"""The explorer: see a graph, edit its inputs, and step through backward.

API (stable)::

    view = Explorer(root, names=None, gradient=None, retain_graph=False, height=620)
    view                     # in a notebook; or view.servable(); view.show(); view.save("g.html")

``root``: a gradviz tensor, or a ``torch.Tensor`` (everything about it is asked through
``gradviz.sources``; input editing needs a gradviz graph, which it replays). ``names``:
``{"w": w, ...}`` or ``{id(w): "w", ...}`` (``gradviz.explore`` passes the caller's variables).
``gradient``: the starting gradient for a non-scalar root (default: ones, as in
``out.backward(torch.ones_like(out))``). ``retain_graph``: the setting of the first pass.

What it shows is drawn from one ``gradviz.timeline.Timeline`` (``view.timeline``): every backward
event, Zero grads, Backward again and input edit is an entry of it, Back undoes the last entry
whatever it was, and counter, sentence, graph, inspector and the user's tensors agree at every
point because all of them are read from the timeline's state. Step redoes what Back undid, or
takes the next event; Reset goes to step 0 of the current pass; Run to its end. The
``retain_graph`` toggle describes the current pass: ticking or unticking it re-plans that pass at
the same step, so Backward again after a ticked pass always works and after an unticked one shows
PyTorch's "backward through the graph a second time" error and changes nothing.

State you can read or drive from Python (tests and snapshots do):

- ``view.timeline``; ``view.root``: the root tensor currently shown (a replayed copy after an
  input edit; the user's own tensors are never modified by edits);
- ``view.G`` / ``view.layout``: the exported graph and its layout;
- ``view.stepper``: the current pass (a ``gradviz.Stepper``, a torch ``RecordedPass`` or a
  ``NoPass``); ``view.step()``, ``view.back()``, ``view.reset()``, ``view.run()``,
  ``view.backward_again()``, ``view.zero_grads()`` do what the buttons of the same names do
  and update the picture (calling ``view.stepper.step()`` directly works too: ``view.refresh()``
  brings the timeline and the picture to it);
- ``view.counter`` ("step k of n", "pass p · step k of n"), ``view.sentence``,
  ``view.message`` (the last error or note), ``view.leaf_grads()`` (``{name: ndarray or None}``);
- ``view.set_input(name, value)`` / ``view.set_requires_grad(name, flag)`` as the editors do,
  returning None or the error message; Back undoes an accepted edit;
- ``view.select(node_id)`` shows a node in the inspector; ``view.colour_mode`` is "role" or
  "gradient";
- scopes (the modules and ``gradviz.scope`` blocks the ops were recorded in): closed ones are
  boxes, open ones frames. ``scopes=`` chooses what is open first: "auto" (as many whole levels
  as fit in about 80 items), "all", "none" or a depth. ``view.expand(scope)``,
  ``view.collapse(scope)``, ``view.open_to_depth(d)``, ``view.shown()`` (ids of the nodes and
  scope boxes drawn now), ``view.search(text)`` (matching node ids, best first);
  ``view.graph_view`` is the ``ScopeView``, ``view.scope_controls`` the search box, depth
  control, "open the scope of the current step" option and minimap.

Hover text: a graph of over 300 nodes (``gradviz.viz.lazy_hover.LAZY_NODES``) sends a node's or
an edge's tooltip text when it is hovered, not with the page; ``lazy_hover=True`` / ``False``
chooses for any graph. Saved pages always carry it.

A root with no ``grad_fn`` (computed under ``no_grad`` or detached) shows one node and a note
that no graph was recorded; its ``stepper`` is then a ``NoPass`` (total 0, ``step()`` is None).

Height: ``height=None`` (the default) plans the plot's height from the graph's shape, and a big
graph's plot (one with scopes, or of over 300 nodes) then fills the browser window's height,
in a saved page too (``gradviz.viz.window_fit``); a number of pixels fixes it.

Static HTML (``save``): a page whose toolbar replays passes recorded when saving (see
``gradviz.viz.static_page``); hover, pan/zoom and the legend work; editing inputs needs Python
and is shown disabled there.
"""
from __future__ import annotations

import weakref

import numpy as np
import panel as pn
import param

from .. import graph as gv_graph
from .. import sources
from ..autograd.describe import short
from ..timeline import NoPass, Timeline
from . import fonts, style
from .controls import Controls
from .editors import TensorEditor
from .graph_view import LEGEND_PX, drop_unused_models, plot_and_side
from .inspector import Inspector
from .locking import locked
from .scope_controls import ScopeControls
from .scope_view import ScopeView
from .window_fit import fill_window

__all__ = ["Explorer", "NoPass"]

# Above this many touched nodes (Run, Reset, a new pass on a big graph), rewriting every column
# at once costs less than patching row by row.
PATCH_LIMIT = 400

# Graphs with scopes, or with more nodes than this, get the search box, depth control and minimap.
BIG_GRAPH = 300

# Up to this many inputs, the Inputs tab lists an editor for each; above, one for the input
# chosen in a list.
EDITORS_SHOWN = 24


def _open_set(G, scopes):
    """The scopes open at first: ``"auto"`` (as many whole levels as fit in ~80 items),
    ``"all"``, ``"none"``, or a depth."""
    from ..layout import collapse

    if scopes == "auto":
        return None
    tree = collapse.scope_tree(G)
    if scopes == "all":
        return frozenset(tree.scopes)
    if scopes == "none":
        return frozenset()
    if isinstance(scopes, int) and not isinstance(scopes, bool) and scopes >= 0:
        return collapse.open_to_depth(tree, scopes)
    raise ValueError(f"scopes must be 'auto', 'all', 'none' or a depth >= 0, not {scopes!r}")


def _array(gradient):
    """A starting gradient given as a tensor (either library) or anything numpy takes."""
    if gradient is None:
        return None
    try:
        sources.source_of(gradient)
    except TypeError:
        return np.asarray(gradient)
    return sources.value_array(gradient)


class Explorer(pn.viewable.Viewer):
    """A graph you can step through; see the module docstring."""

    colour_mode = param.Selector(default="role", objects=["role", "gradient"],
                                 doc="Colour nodes by what they are, or by their gradient.")
    retain_graph = param.Boolean(default=False, doc="retain_graph of the current pass (and of the "
                                 "passes Backward again starts); changing it re-plans the pass.")
    counter = param.String(default="step 0 of 0", constant=False)
    sentence = param.String(default="")
    message = param.String(default="")
    selected = param.String(default="", doc="Node id shown in the inspector.")
    edited = param.String(default="", doc="The input edits in effect ('x is now [2, 2]; ...'), "
                          "'' while the graph is the one the explorer was given.")
    offline = param.Selector(default="auto", objects=["auto", True, False], doc=(
        "In a notebook: whether the output also carries its passes, recorded when it is "
        "displayed, so that it still steps where no kernel answers (exported to HTML, kernel "
        "stopped). 'auto': for graphs of up to gradviz.viz.notebook.PLAYER_NODES nodes."))

    def __init__(self, root, names=None, gradient=None, retain_graph=False, height=None,
                 scopes="auto", function=None, lazy_hover=None, **params):
        self._source = sources.source_of(root)  # a TypeError for anything but a tensor
        super().__init__(retain_graph=bool(retain_graph), **params)
        if self._source == "gradviz":
            names = gv_graph._names_by_id(names) if names else {}
        else:
            names = names or {}
        self._user_gradient = _array(gradient)
        G = sources.to_networkx(root, names)
        # function: a gradviz.function_form.FunctionForm (gradviz.explore(fn, x=x, ...)):
        # an input edit calls it again instead of replaying the graph.
        self.timeline = Timeline(G, root, self._user_gradient, retain_graph=bool(retain_graph),
                                 extra={"names": names, "layout": None, "function": function})
        self._drawn = self.timeline.scene  # the scene (graph) the picture shows
        # Drawn with its scopes: closed ones as boxes (a big model first shows at most ~80
        # items), open ones framed; a graph without scopes is drawn whole as before.
        self.graph_view = ScopeView(G, grads=self.timeline.grads, edge_grads={},
                                    mode=self.colour_mode, current=None, on_tap=self.select,
                                    height=height, open_set=_open_set(G, scopes),
                                    lazy_hover=lazy_hover)
        self.timeline.scene.extra["layout"] = self.graph_view.drawing
        self.scope_controls = ScopeControls(self.graph_view, on_select=self.select)
        self._height_asked = height  # None: planned here, and a big graph's fills the window
        height = self.graph_view.figure.height
        # Fewer models for the page to build (muted glyph copies, hidden axes), then the figure
        # brings the bundled fonts into the <head> of any page that shows it.
        drop_unused_models(self.graph_view.figure)
        fonts.install(self.graph_view.figure)
        self.graph_pane = pn.pane.Bokeh(self.graph_view.figure, sizing_mode="stretch_both")
        # A big graph's hover text is sent when hovered; a notebook must push the answer.
        self.graph_view.after_hover_answer = lambda: self._push_notebook(self.graph_pane)
        self.controls = Controls(self._actions(), retain_graph=self.retain_graph)
        self.controls.retain_graph.param.watch(
            locked(lambda e: setattr(self, "retain_graph", e.new)), "value")
        self.controls.colour_mode.param.watch(locked(self._colour_widget_changed), "value")
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
        big = bool(self.graph_view.tree.scopes) or G.number_of_nodes() > BIG_GRAPH
        self.finding_shown = big  # the search box, the module controls and the minimap
        finding = [pn.Row(self.scope_controls, self.scope_controls.minimap_pane,
                          sizing_mode="stretch_width", margin=(0, 10))] if big else []
        self._layout = pn.Column(
            self.controls,
            self.note,
            *finding,
            plot_and_side(self.legend, self.graph_pane, self.side, height),
            sizing_mode="stretch_width", stylesheets=[style.CSS], css_classes=["gv-explorer"],
            styles={"font-family": style.FONT})
        if big and self._height_asked is None:
            # A graph too big to read whole gains from every pixel of the window's height (a
            # small one keeps the height that suits its shape); measured in the browser.
            fill_window(self.graph_view.figure, height + LEGEND_PX)
        self._layout.gradviz_explorer = self  # see Explorer.find
        self._note_text(self._root_note())
        self.inspector.refresh(G, self.timeline.grads)
        self._sync_text()
        self._close_with_session()  # on a server: close when the page's session ends

    def __panel__(self):
        return self._layout

    def _repr_mimebundle_(self, include=None, exclude=None):
        # A notebook output that steps with the kernel, and from its recording without one.
        from .notebook import mimebundle
        return mimebundle(self, include, exclude)

    # --- what is shown: all of it read from the timeline -----------------------------------
    @property
    def root(self):
        """The root tensor currently shown (a replayed copy after an input edit)."""
        return self.timeline.roots[0]

    @property
    def G(self):
        return self.timeline.G

    @property
    def layout(self):
        return self.timeline.scene.extra["layout"]

    @property
    def _names(self) -> dict:
        return self.timeline.scene.extra["names"]

    @property
    def stepper(self):
        """The current pass (``Stepper``, torch ``RecordedPass`` or ``NoPass``)."""
        return self.timeline.current_pass

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

    # --- a served page's life -------------------------------------------------------------
    def _close_with_session(self) -> None:
        """On a server, close this explorer when the session of the page showing it ends
        (Panel's ``pn.state.on_session_destroyed``: Bokeh destroys a session once its page
        has been closed for a while). Outside a server session (a notebook, a script, a test)
        there is nothing to hook. The callback holds the explorer weakly, so that a section
        the app drops is not kept alive until the page closes."""
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            return
        ref = weakref.ref(self)

        def session_destroyed(session_context):
            view = ref()
            if view is not None:
                view.close()

        pn.state.on_session_destroyed(session_destroyed)

    def close(self) -> None:
        """The page is gone: stop Play's timer (the one thing that would keep calling into
        this explorer, and so keep it and its graph alive) and ignore clicks still on their
        way. Called by itself when the served page's session ends; safe to call more than
        once. The buttons do nothing afterwards; the Python API (``step()``...) still works."""
        self.controls.dispose()

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran (the page's session ended)."""
        return self.controls.disposed

    def save(self, filename, resources="inline", title="gradviz explorer", max_passes=None):
        """Write one HTML file that steps without Python: Reset, Back, Step, Run, Play,
        Backward again and Zero grads replay passes computed now (this pass, then a few more
        with Backward again and Zero grads; one pass for a graph of over 1,000 nodes, or
        ``max_passes``). ``resources``: "inline" (the default: opens offline) or "cdn".
        See ``gradviz.viz.static_page``."""
        from .static_page import save_static
        return save_static(self, filename, resources=resources, title=title,
                           max_passes=max_passes)

    # --- set-up helpers --------------------------------------------------------------------
    def _actions(self) -> dict:
        return {"Reset": self.reset, "Back": self.back, "Step": self.step, "Run": self.run,
                "Backward again": self.backward_again, "Zero grads": self.zero_grads}

    def _root_note(self) -> str:
        note = self._root_note_text()
        if self._source == "torch":
            import torch  # a torch graph is shown: torch is imported already

            where = (f"Recorded from PyTorch's engine (torch {torch.__version__}): every step shows "
                     "what PyTorch's own backward did, in its order, and .grad is the real one.")
            return f"{where} {note}".strip()
        return note

    def _root_note_text(self) -> str:
        label = self._root_label()
        if isinstance(self.stepper, NoPass):
            return (f"No graph was recorded: {label} has no grad_fn and does not require "
                    "grad (it was computed under torch.no_grad() or detached, or from inputs that "
                    "need no gradient), so backward has nothing to walk.")
        if self._user_gradient is None and sources.value_array(self.root).size != 1:
            return (f"{label} is not a scalar: backward starts from gradient=ones, as "
                    "out.backward(torch.ones_like(out)) does.")
        return ""

    def _root_label(self) -> str:
        return self.G.nodes[self.G.graph["roots"][0]]["label"]

    def _build_editors(self) -> None:
        self.editors = {}
        form = self.timeline.scene.extra.get("function")
        if form is not None:
            self._build_function_editors(form)
            return
        if self._source != "gradviz":
            # Edits replay the forward pass, which gradviz can do for its own graphs only.
            self.editors_column.objects = [style.html(
                '<div class="gv-muted">This graph was recorded by PyTorch from the tensor you '
                'passed, and PyTorch keeps no way to run its forward pass again. To edit inputs, '
                'pass a function that computes the root from them, with the inputs by name: '
                '<code>gradviz.explore(lambda x, w: loss_fn(model(x), y), x=x, w=w)</code>. '
                'Each edit then calls it again.</div>')]
            return
        ids = self.G.graph["ids"]
        widgets = []
        try:
            inputs = gv_graph.sources(self.root)
        except gv_graph.ReplayError:
            # x[i] = v, x.add_(...): the forward pass cannot be re-run, so inputs stay as they are.
            self.editors_column.objects = [style.html(
                '<div class="gv-muted">Inputs cannot be edited here: this graph changes a tensor in '
                'place (an assignment or an in-place op), and gradviz re-runs only out-of-place '
                'operations.</div>')]
            return
        self._editable = {}  # node id -> (label, tensor): every input, edited or not yet
        for t in inputs:
            nid = ids.get(id(t))
            if nid is None or self.G.nodes[nid]["kind"] != "tensor":
                continue
            self._editable[nid] = (self.G.nodes[nid]["label"], t)
        if len(self._editable) > EDITORS_SHOWN:
            # A model has hundreds of parameters, and an editor is a dozen widgets: build the
            # editor of the input chosen in a list, when it is chosen.
            chooser = pn.widgets.Select(
                options={label: nid for nid, (label, _) in self._editable.items()},
                value=next(iter(self._editable)), sizing_mode="stretch_width", margin=(4, 6),
                description=f"{len(self._editable)} inputs: choose one to edit")
            holder = pn.Column(sizing_mode="stretch_width", margin=0)
            holder.objects = [self._make_editor(chooser.value)]
            chooser.param.watch(lambda e: setattr(holder, "objects", [self._make_editor(e.new)]),
                                "value")
            self.editors_column.objects = [chooser, holder]
            return
        for nid in self._editable:
            widgets.append(self._make_editor(nid))
        if not widgets:
            widgets = [style.html('<div class="gv-muted">This graph has no inputs to edit.</div>')]
        self.editors_column.objects = widgets

    def _make_editor(self, nid) -> TensorEditor:
        ed = self.editors.get(nid)
        if ed is None:
            label, t = self._editable[nid]
            ed = TensorEditor(nid, label, t._array, t._requires_grad, self._propose)
            self.editors[nid] = ed
        return ed

    # --- actions: each changes the timeline, then the picture is drawn from it -------------
    def step(self) -> bool:
        """One entry forward (redo what Back undid, or the next event); False when there is
        nothing further (or on an error)."""
        try:
            entry = self.timeline.step()
        except RuntimeError as e:  # a pass over a freed graph: PyTorch's error, nothing changed
            self._error(str(e))
            return False
        if entry is None:
            self._sync_text()
            return False
        self._show()
        return True

    def back(self) -> bool:
        """Undo the last entry (a step, Zero grads, the start of a pass, an input edit)."""
        if self.timeline.back() is None:
            return False
        self._show()
        return True

    def run(self) -> None:
        """To the end of the current pass."""
        try:
            self.timeline.run()
        except RuntimeError as e:
            self._error(str(e))
        self._show()

    def reset(self) -> None:
        """Back to step 0 of the current pass."""
        self.timeline.reset()
        self._show()

    def refresh(self) -> None:
        """Bring the timeline and the picture to the pass after it was moved directly
        (``view.stepper.step()``): the direct moves are undone and taken again as entries."""
        t = self.timeline
        p = t.current_pass
        believed = sum(1 for e in t.entries[t.pass_start:t.position] if e.kind == "event")
        wanted = p.position
        if wanted != believed:
            p.seek(believed)
            while believed < wanted and t.step() is not None:
                believed += 1
            while believed > wanted and t.back() is not None:
                believed -= 1
        self._show(full=True)

    def backward_again(self) -> bool:
        """Finish this pass, then run a new one on the same graph: leaf gradients accumulate.
        Over a graph whose saved tensors were freed, show PyTorch's error and change nothing."""
        try:
            self.timeline.backward_again()
            self.timeline.run()
        except RuntimeError as e:
            self._error(str(e))
            return False
        self._show()
        return True

    def zero_grads(self) -> list:
        """Finish this pass, then ``.grad.zero_()`` every leaf that has a gradient; returns
        their names (Back restores them)."""
        entry = self.timeline.zero_grads()
        if entry is None:
            self._message("No leaf has a gradient yet: nothing to zero.", kind="note")
            return []
        self._show()
        return list(entry.labels)

    def select(self, nid: str) -> None:
        self.selected = nid or ""
        # One message: the text and the heatmaps (built on the first selection that shows
        # one) reach the page together.
        with pn.io.hold():
            self.inspector.show(self.G, self.selected, self.timeline.grads)
            self.side.active = 0
        self._push_notebook(self.inspector.value_map.pane, self.inspector.grad_map.pane)

    def leaf_grads(self) -> dict:
        """``{label: .grad array or None}`` for every leaf that requires grad."""
        return {self.G.nodes[n]["label"]: g for n, g in self.timeline.leaf_grads().items()}

    # --- input edits (entries of the timeline too) -----------------------------------------
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
        for nid, (label, _) in getattr(self, "_editable", {}).items():
            if name in (nid, label):
                return self._make_editor(nid)
        raise KeyError(f"no input called {name!r}; inputs: {[e.name_label for e in self.editors.values()]}")

    def _propose(self, editor, value=None, requires_grad=None):
        """Replay the forward pass with a new input; None when accepted, else why not."""
        form = self.timeline.scene.extra.get("function")
        if form is not None:
            return self._propose_call(form, editor, value, requires_grad)
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
        G = sources.to_networkx(new_root, names)
        for nid, attrs in G.nodes(data=True):
            if attrs["kind"] == "tensor" and attrs["value"].dtype.kind == "f" and \
                    not np.all(np.isfinite(attrs["value"])):
                return (f"With this input the forward pass gives NaN or infinity at "
                        f"{attrs['label']}; the value was not applied.")
        self.controls.stop()
        same = gv_graph.same_structure(self.G, G)
        layout = self.layout if same else object()  # a new graph: the view lays it out
        label = editor.name_label
        what = (f"{label} is now {short(value)}" if value is not None else
                f"{label}.requires_grad is now {bool(requires_grad)}")
        self.timeline.edit(G, new_root, self._user_gradient,
                           extra={"names": names, "layout": layout}, what=what)
        self._show()
        return None

    # --- the function form: gradviz.explore(fn, x=x, w=w) -------------------------------------
    def _build_function_editors(self, form) -> None:
        from html import escape

        ids = self.G.graph["ids"]
        widgets = []
        for name, t in form.inputs.items():
            nid = ids.get(id(t))
            if nid is None or self.G.nodes[nid]["kind"] != "tensor":
                continue  # an input the root does not depend on
            ed = TensorEditor(nid, name, sources.value_array(t), sources.requires_grad(t),
                              self._propose)
            self.editors[nid] = ed
            widgets.append(ed)
        if not widgets:
            widgets = [style.html('<div class="gv-muted">None of the named inputs is part of '
                                  'this graph.</div>')]
        else:
            widgets.insert(0, style.html(f'<div class="gv-muted">Each edit calls '
                                         f'{escape(form.fn_name)}(...) again.</div>'))
        self.editors_column.objects = widgets

    def _propose_call(self, form, editor, value=None, requires_grad=None):
        """Call the function again with one input changed; None when accepted, else why not."""
        from ..function_form import EditError

        if value is not None:
            value = np.asarray(value)
            if value.size > 10_000:
                return f"Too many numbers ({value.size:,}); at most 10,000 are accepted."
            if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
                return "NaN and infinity are not accepted as inputs."
        name = editor.name_label
        try:
            new = form.with_input(name, value, requires_grad)
        except (EditError, TypeError) as e:
            return str(e)
        names = new.all_names()
        if self._source == "gradviz":
            names = gv_graph._names_by_id(names)
        G = sources.to_networkx(new.root, names)
        for attrs in G.nodes.values():
            v = attrs.get("value") if attrs["kind"] == "tensor" else None
            if v is not None and v.dtype.kind == "f" and not np.all(np.isfinite(v)):
                return (f"With this input the forward pass gives NaN or infinity at "
                        f"{attrs['label']}; the value was not applied.")
        self.controls.stop()
        same = gv_graph.same_structure(self.G, G)
        layout = self.layout if same else object()  # a new graph: the view lays it out
        what = (f"{name} is now {short(value)}" if value is not None else
                f"{name}.requires_grad is now {bool(requires_grad)}")
        self.timeline.edit(G, new.root, self._user_gradient,
                           extra={"names": names, "layout": layout, "function": new}, what=what)
        self._show()
        return None

    # --- drawing ---------------------------------------------------------------------------
    def _current_node(self):
        return self.timeline.current_node

    def _show(self, full: bool = False) -> None:
        """Draw the timeline's state: patch what the last action touched, or everything when
        the graph was swapped (an input edit done or undone) or much changed."""
        nodes, edges, swapped = self.timeline.take_touched()
        if self.message:  # a note or error answers the action before this one
            self._message("")
        if self.retain_graph != self.timeline.retain_graph:  # Back into a pass of the other setting
            self._syncing_retain = True
            try:
                self.retain_graph = self.timeline.retain_graph
            finally:
                self._syncing_retain = False
        if swapped:
            self._show_scene()
        elif full or len(nodes) > PATCH_LIMIT:
            self._redraw()
        else:
            self._patch(nodes, edges)

    def _show_scene(self) -> None:
        """Another graph is shown (an input edit, or Back over one)."""
        old, scene = self._drawn, self.timeline.scene
        self._drawn = scene
        relayout = scene.extra["layout"] is not old.extra["layout"]
        self._redraw(layout=scene.extra["layout"] if relayout else None)
        if not relayout and self.editors and all(n in self.G for n in self.editors):
            for nid, ed in self.editors.items():
                t = self.G.graph["objects"][nid]
                ed.sync(sources.value_array(t), sources.requires_grad(t))
        else:
            self._build_editors()
        self._note_text(self._root_note())
        self.edited = "; ".join(self.timeline.edits())

    def _patch(self, nodes, edges) -> None:
        t = self.timeline
        grads, current = t.grads, t.current_node
        nodes = [n for n in nodes if n in self.G]
        with pn.io.hold():
            with self.graph_view.batch():  # one text sync (edge-label placement) for both
                self.graph_view.update_nodes(self.G, nodes, grads, self.colour_mode, current)
                self.graph_view.update_edges(edges, t.edge_grads, t.fresh_edges)
            self.graph_view.follow(current)
            self.scope_controls.stepped()
            if (self.selected in nodes if self.selected else
                    any(self.G.nodes[n].get("role") == "leaf" for n in nodes)):
                self.inspector.refresh(self.G, grads)
            self._sync_text()
        self._push_notebook(self.graph_pane)

    def _redraw(self, layout=None) -> None:
        t = self.timeline
        with pn.io.hold():
            self.graph_view.redraw_all(self.G, t.grads, t.edge_grads, self.colour_mode,
                                       t.current_node, layout=layout, fresh=t.fresh_edges)
            if layout is None:  # (a new layout was refitted as a whole)
                current = t.current_node
                self.graph_view.follow(current if current is not None else
                                       self.G.graph["roots"][0] if self.stepper.position == 0
                                       else None)
            self.scope_controls.redrawn()
            self.inspector.refresh(self.G, t.grads)
            self._sync_text()
        self._push_notebook(self.graph_pane)

    # --- scopes (big graphs) -----------------------------------------------------------------
    def expand(self, scope) -> None:
        """Open a scope box in place: ``scope`` is its name (``"blocks.3"``), its path tuple or
        its box id; the scopes around it open too."""
        self.graph_view.expand(scope)
        self._push_notebook(self.graph_pane)

    def collapse(self, scope) -> None:
        """Close a scope (and every scope inside it) back into one box."""
        self.graph_view.collapse(scope)
        self._push_notebook(self.graph_pane)

    def open_to_depth(self, depth: int) -> None:
        """Open every scope at most ``depth`` deep and close the others (0: all closed)."""
        self.graph_view.open_to_depth(depth)
        self._push_notebook(self.graph_pane)

    def shown(self) -> list:
        """The ids of the nodes and scope boxes drawn now."""
        return self.graph_view.shown()

    def search(self, text: str) -> list:
        """Ids of the nodes matching ``text`` (a name, an op such as ``MmBackward0``, a shape
        such as ``3x4``, a scope such as ``blocks.3``; several words must all match), best
        first. ``view.scope_controls.jump(node_id)`` shows one as the search box does."""
        return self.graph_view.search(text)

    def _sync_text(self) -> None:
        t = self.timeline
        p = t.current_pass
        self.counter = t.counter
        self.controls.set_counter(p.position, p.total, t.counter)
        # Back can cross into an earlier pass, Step can redo what Back undid: the timeline,
        # not the pass alone, says which buttons can act.
        can = {"Back": t.can_back(), "Reset": t.position > t.pass_start, "Step": t.can_step(),
               "Run": not p.done, "Play": t.can_step()}
        for label, enabled in can.items():
            button = self.controls.buttons[label]
            if (label == "Play" and self.controls.playing) or button.disabled is (not enabled):
                continue  # (each change is a message to the page: send only real ones)
            button.disabled = not enabled
        self.sentence = t.sentence
        self.controls.set_sentence(self.sentence)

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

    _syncing_retain = False

    @param.depends("retain_graph", watch=True)
    def _retain_graph_changed(self) -> None:
        if self.controls.retain_graph.value != self.retain_graph:
            self.controls.retain_graph.value = self.retain_graph
        if self._syncing_retain or self.retain_graph == self.timeline.retain_graph:
            return
        try:
            self.timeline.set_retain_graph(self.retain_graph)
        except RuntimeError as e:  # a torch pass already freed its graph: it cannot be re-planned
            self.retain_graph = self.timeline.retain_graph
            self._error("retain_graph stays False: PyTorch freed this graph's saved tensors when "
                        f"the pass ran without it, so the pass cannot be re-planned. {e}")
            return
        self._show()
        p = self.stepper
        if self.retain_graph:
            text = (f"retain_graph=True: this pass (re-planned at step {p.position}) keeps its "
                    "saved tensors, so Backward again can run after it.")
        else:
            text = (f"retain_graph=False: this pass (re-planned at step {p.position}) frees its "
                    "saved tensors as it goes, so Backward again after it fails, as in PyTorch.")
        self._message(text, kind="note")

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
