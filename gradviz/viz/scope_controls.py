"""The controls a big graph needs beside its drawing: open or close scopes to a depth, follow the
current step into its scopes, search, and the minimap. One component, built around a
``ScopeView``; the explorer places it and forwards its Python API (``expand``, ``collapse``,
``shown``, ``search``) to it.
"""
from __future__ import annotations

import panel as pn
import param

from . import style
from .locking import locked
from .minimap import Minimap
from .scope_view import ScopeView, describe_shown
from .search_box import SearchBox


class ScopeControls(pn.viewable.Viewer):
    """``ScopeControls(view, on_select=None)``: ``on_select(node_id)`` is called when a search
    jumps to a node (the explorer shows it in the inspector)."""

    depth = param.Integer(default=0, bounds=(0, None), doc="Open every scope this deep.")
    follow = param.Boolean(default=False, doc="Open the scopes of the current step while stepping.")

    def __init__(self, view: ScopeView, on_select=None, **params):
        super().__init__(**params)
        self.view = view
        self._on_select = on_select
        tree = view.tree
        self.has_scopes = bool(tree.scopes)
        self.minimap = Minimap(view.figure, view.drawing, self._current_xy())
        self.minimap_pane = pn.pane.Bokeh(self.minimap.figure, width=self.minimap.figure.width,
                                          height=self.minimap.figure.height, margin=(4, 4))
        self.search_box = SearchBox(view.search, self.jump, self._describe)
        levels = list(range(0, tree.max_depth + 1))
        self.depth_select = pn.widgets.Select(
            options={("all closed" if d == 0 else f"open {d} level" + ("s" if d > 1 else "")): d
                              for d in levels}, value=max((len(p) for p in view.open), default=0),
            width=130, margin=(4, 4), disabled=not self.has_scopes)
        self.depth_select.param.watch(locked(lambda e: self.open_to_depth(e.new)), "value")
        self.follow_box = pn.widgets.Checkbox(label="open the scope of the current step",
                                              value=False, margin=(10, 8), disabled=not self.has_scopes)
        self.follow_box.param.watch(locked(self._follow_changed), "value")
        self.status = style.html(describe_shown(view), margin=(10, 8), css_classes=["gv-muted"])
        view.on_change = self.redrawn
        self._layout = pn.Column(
            pn.Row(self.search_box, sizing_mode="stretch_width", margin=0),
            pn.Row(self.depth_select, self.follow_box, self.status, sizing_mode="stretch_width",
                   margin=0),
            sizing_mode="stretch_width", margin=0)

    def __panel__(self):
        return self._layout

    def python_only(self) -> tuple[list, str]:
        """What needs Python here, for a page without it (a saved page, a notebook output
        with no kernel): the widgets to show disabled, and the sentence that says so. Opening
        a module or finding a node lays the graph out again; the minimap moves the view in the
        page and keeps working."""
        s = self.search_box
        widgets = [s.input, s.find_button, s.prev_button, s.next_button, self.depth_select,
                   self.follow_box]
        return widgets, (" So do opening and closing modules and the search box."
                         if self.has_scopes else " So does the search box.")

    # --- actions ---------------------------------------------------------------------------
    def jump(self, nid) -> None:
        """Show node ``nid``: open the scopes around it, bring it into view, select it."""
        self.view.show_node(nid)
        self.minimap.sync_window()
        if self._on_select is not None:
            self._on_select(nid)

    def open_to_depth(self, depth: int) -> None:
        self.view.open_to_depth(int(depth))

    def _follow_changed(self, event) -> None:
        self.view.follow_scopes = bool(event.new)
        self.follow = bool(event.new)
        if event.new and self.view._current is not None:
            self.view.reveal(self.view._current)

    def redrawn(self) -> None:
        """The drawing changed (a box opened or closed): minimap and status follow."""
        self.minimap.redraw(self.view.drawing)
        self.status.object = describe_shown(self.view)
        self.stepped()

    def stepped(self) -> None:
        """The current step moved: move the minimap's dot."""
        self.minimap.mark(self._current_xy())
        self.minimap.sync_window()

    # --- helpers ---------------------------------------------------------------------------
    def _current_xy(self):
        item = self.view.item(self.view._current)
        return self.view.drawing.positions.get(item) if item is not None else None

    def _describe(self, nid) -> str:
        d = self.view.full.nodes[nid]
        where = " / ".join(d.get("scope") or ()) or "top level"
        label = d.get("label")
        shape = d.get("shape")
        text = f"{label}" + (f" {tuple(shape)}" if d.get("kind") == "tensor" and shape is not None else "")
        return f"{text} in {where}"
