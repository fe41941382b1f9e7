"""The graph drawn with its scopes: closed scopes as boxes you click to open, open ones framed.

``ScopeView`` is a ``GraphView`` whose graph is the *visible* graph of an open set
(``gradviz.layout.collapse``) laid out by ``ScopedLayout``: a closed scope is one box showing its
name, module class, how many nodes and parameters it holds and the shapes going in and out; the
edges between boxes bundle the edges they stand for; an open scope is a frame with a title bar
around its contents (click the title bar to close it). Opening or closing patches the same
sources; the view stays where it was, anchored on the box.

The explorer talks to it in the graph's own node ids, as to a ``GraphView``: ``update_nodes``,
``update_edges``, ``follow`` and ``redraw_all`` map them to what is drawn: a node inside a closed
box is shown by the box (the box is *current* while any node inside it is), and a bundled edge
carries the gradient that crossed it (summed per tensor: the total sent back through that
boundary so far).
"""
from __future__ import annotations

import threading

import numpy as np

from ..layout import collapse
from ..layout.scoped import TITLE, ScopedLayout
from . import style
from .graph_view import (GraphView, format_array, node_size, short_gradient, source_data,
                         sync_source)

BOX_FILL = "#eef2f8"
BOX_LINE = "#7b8794"
FRAME_FILL = "#f7f9fc"
FRAME_LINE = "#9aa5b1"
TITLE_FILL = "#e4e7eb"
TITLE_TEXT_REACH = 400.0  # data units: how far a frame's title text may run from its start
TITLE_GAP_PX = 8  # px between a title pinned to the view and the view's left edge
TITLE_TOP_PX = 30  # px from the view's top to a pinned title: below the toolbar floating there

# Where each frame's title is drawn (a CustomJSTransform of the column ``which`` names: the
# title's "x" or "y", or the x of a wide frame's "end" title), so that a frame in view always
# names itself. A title starts at its frame's left end; when that end is off screen the title
# slides along its title bar to stay at the left of what is shown, stopping at the frame's right
# end (or, where less of the bar than the title is left in view, staying whole at the view's
# edge); the end title is then not drawn (NaN), the name is not drawn twice. When the title bar
# is above the view while the frame goes on below (or the bar hides under the toolbar floating
# at the view's top), the title is pinned just under that toolbar, over the frame's contents;
# the titles of frames nested there stack, outermost first. A wide frame whose end title is
# wholly in view needs none of this: its title stays at its start. The three columns are
# computed together and cached on the figure for the calls a redraw makes; nothing is sent to
# Python.
_TITLE_PLACE_JS = """
const d = source.data, n = source.get_length() ?? 0;
let iw = 0, ih = 0;
try { iw = fig.inner_width; ih = fig.inner_height; } catch (e) { iw = 0; }
const key = [xr.start, xr.end, yr.start, yr.end, iw, ih, n].join(' ');
let c = fig._gv_titles;
if (c == null || c.key !== key || c.data !== d || c.taken[which]) {
  c = fig._gv_titles = {key, data: d, taken: {}, x: Array.from(d.text_x), y: Array.from(d.title_y),
                        end: Array.from(d.end_x)};
  const l = Math.min(xr.start, xr.end), r = Math.max(xr.start, xr.end);
  const b = Math.min(yr.start, yr.end), t = Math.max(yr.start, yr.end);
  if (iw > 0 && ih > 0 && r > l && t > b) {
    const sx = iw / (r - l), sy = ih / (t - b);
    const px = Math.min(base * sx * zoom, base * 2.5);  // as the zoom callback sizes the text
    // Title widths in px, measured once per font size (a pan keeps the size).
    const font = px.toFixed(1) + 'px ' + family;
    let m = fig._gv_title_widths;
    if (m == null || m.font !== font) {
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = font;
      m = fig._gv_title_widths = {font, ctx, px: new Map()};
    }
    const width = (text) => {
      let w = m.px.get(text);
      if (w == null) m.px.set(text, w = m.ctx.measureText(text).width);
      return w;
    };
    const left = l + gap / sx, top = t - gap_top / sy, row = 1.6 * px / sy, half = 0.6 * px / sy;
    const pinned = [];
    for (let i = 0; i < n; i++) {
      const x0 = d.x[i] - d.w[i] / 2, x1 = d.x[i] + d.w[i] / 2, y0 = d.y[i] - d.h[i] / 2;
      if (x1 < l || x0 > r || y0 > t || y0 + d.h[i] < b) continue;  // off screen: as it is
      const ty = d.title_y[i], tw = width(d.title[i]) / sx;
      const bar = ty - half >= b && ty + half <= t;
      // A wide frame's end title, wholly in view, names it: the title stays at its start.
      const end = bar && d.end_title[i] !== '';
      if (end && d.end_x[i] <= r && d.end_x[i] - tw >= l) continue;
      // Else the title slides with the view's left edge until it meets the frame's right end;
      // where the bar left in view is shorter than the title, it stays whole at the view's edge.
      let x = Math.max(d.text_x[i], Math.min(left, x1 - inset - tw));
      if (x < left && x1 - inset > left) x = left;
      c.x[i] = x;
      if (end && x > d.text_x[i]) c.end[i] = NaN;  // named by the sliding title: not twice
      if (ty + half > t && y0 < top - row) pinned.push(i);
    }
    for (const i of pinned) {
      let rank = 0;
      for (const j of pinned) if (j !== i && d.path[i].startsWith(d.path[j] + ' / ')) rank++;
      c.y[i] = Math.max(top - (rank + 0.5) * row, d.y[i] - d.h[i] / 2 + row / 2);
    }
  }
}
c.taken[which] = true;
return c[which];
"""

# On a pan, zoom or resize: the titles' places are computed again (once per change, however
# many of the ranges' ends moved) by signalling the x transforms, which redraws the title texts.
_TITLE_MOVE_JS = """
if (fig._gv_titles_queued) return;
fig._gv_titles_queued = true;
queueMicrotask(() => { fig._gv_titles_queued = false; for (const t of places) t.change.emit(); });
"""


def box_columns(V, drawing, current_item=None) -> dict:
    """Columns of the closed boxes (rows in visible-graph order)."""
    cols = {k: [] for k in ("id", "x", "y", "w", "h", "name", "rest", "name_y", "rest_y", "fill",
                            "line", "lw", "module", "counts", "shapes")}
    for n, d in V.nodes(data=True):
        if d.get("kind") != "scope":
            continue
        (x, y), (w, h) = drawing.positions[n], drawing.sizes[n]
        lines = collapse.box_lines(d)
        current = n == current_item
        cols["id"].append(n)
        cols["x"].append(x)
        cols["y"].append(y)
        cols["w"].append(w)
        cols["h"].append(h)
        cols["name"].append(lines[0])
        cols["rest"].append("\n".join(lines[1:]))
        # four lines of ~16 units: the name on the first, the rest centred on lines 2-4
        cols["name_y"].append(y + h / 2 - 6 - 8)
        cols["rest_y"].append(y - 8)
        cols["fill"].append(style.CURRENT_FILL if current else BOX_FILL)
        cols["line"].append(style.CURRENT_LINE if current else BOX_LINE)
        cols["lw"].append(2.5 if current else 1.2)
        cols["module"].append(lines[1])
        cols["counts"].append(lines[2])
        cols["shapes"].append(lines[3])
    return cols


def frame_columns(tree, drawing) -> dict:
    cols = {k: [] for k in ("path", "x", "y", "w", "h", "title_x", "title_y", "title_w",
                            "text_x", "title", "end_x", "end_title", "box")}
    for path, (x0, y0, x1, y1) in sorted(drawing.frames.items(), key=lambda kv: len(kv[0])):
        info = tree.scopes[path]
        cols["path"].append(" / ".join(path))
        cols["box"].append(info.box)
        cols["x"].append((x0 + x1) / 2)
        cols["y"].append((y0 + y1) / 2)
        cols["w"].append(x1 - x0)
        cols["h"].append(y1 - y0)
        cols["title_x"].append((x0 + x1) / 2)
        cols["title_y"].append(y1 - TITLE / 2)
        cols["title_w"].append(x1 - x0)
        cols["text_x"].append(x0 + 10)  # at the left: a wide frame's middle may be off screen
        title = f"▾ {info.name}" + (f"  ({info.module})" if info.module else "")
        cols["title"].append(title)
        # A wide frame says its name at its right end too: a view that opens at the root (at
        # the right) sees the right ends of the frames around it, not their starts.
        cols["end_x"].append(x1 - 10)
        # (only where the two cannot meet: twice the title's width, ~0.6 em a character)
        wide = x1 - x0 > 2 * len(title) * 0.6 * style.LABEL_FONT_PX + 40
        cols["end_title"].append(title if wide else "")
    return cols


def bundle_gradient(fine_edges, edge_grads):
    """The gradient a bundled edge shows: what crossed its fine edges, summed per source tensor
    (the parts of one tensor's gradient that came back through this boundary); None before
    any crossed. With several source tensors, the one with the largest gradient."""
    per_source: dict = {}
    for u, v in fine_edges:
        g = edge_grads.get((u, v))
        if g is None:
            continue
        g = np.asarray(g)
        prev = per_source.get(u)
        per_source[u] = g if prev is None else (prev + g if prev.shape == g.shape else prev)
    if not per_source:
        return None
    if len(per_source) == 1:
        return next(iter(per_source.values()))
    return max(per_source.values(), key=lambda a: float(np.abs(a).max()) if a.size else 0.0)


# Layouts of recently drawn graphs, by structure: a page opened again on the same graph (a
# reload, a second tab, the same model exported again) reuses every level already laid out.
_LAYOUTS: "OrderedDict" = None
_LAYOUTS_KEPT = 4


def structure_key(G) -> int:
    """A hash of what a layout depends on: node ids, labels, shapes and scopes, and edges."""
    parts = [f"{n}\x1f{d.get('label')}\x1f{d.get('shape')}\x1f{d.get('scope')}"
             for n, d in G._node.items()]
    parts += [f"{u}>{v}" for u, v in G.edges()]
    return hash("\x1e".join(parts))


# Pages are built on threads of their own (the loading page), so the cache is shared by them.
_LAYOUTS_LOCK = threading.Lock()


def shared_layout(G, tree) -> ScopedLayout:
    global _LAYOUTS
    from collections import OrderedDict

    key = structure_key(G)
    with _LAYOUTS_LOCK:
        if _LAYOUTS is None:
            _LAYOUTS = OrderedDict()
        hit = _LAYOUTS.get(key)
        if hit is not None:
            _LAYOUTS.move_to_end(key)
            return hit
        layout = ScopedLayout(G, tree, node_size)
        _LAYOUTS[key] = layout
        while len(_LAYOUTS) > _LAYOUTS_KEPT:
            _LAYOUTS.popitem(last=False)
        return layout


class Drawn:
    """The visible graph as GraphView reads it: its ``nodes`` are the graph's own nodes drawn
    (the boxes have glyphs of their own), while ``nodes[box]`` and ``edges`` include the boxes
    (an edge's hover names its ends)."""

    def __init__(self, V):
        self.V = V
        self.nodes = _RealNodes(V)
        self.edges = V.edges
        self.graph = V.graph


class _RealNodes:
    def __init__(self, V):
        self._node = V._node
        self._real = [n for n, d in V._node.items() if d.get("kind") != "scope"]

    def __iter__(self):
        return iter(self._real)

    def __len__(self):
        return len(self._real)

    def __contains__(self, n):
        return n in self._node and self._node[n].get("kind") != "scope"

    def __getitem__(self, n):
        return self._node[n]


class ScopeView(GraphView):
    """A GraphView of a graph with scopes; see the module docstring.

    ``open_set``: the scopes open at first (default: ``collapse.initial_open``, at most ~80
    items). ``follow_scopes``: when the current step is inside a closed box, open the scopes
    around it (``follow``)."""

    def __init__(self, G, grads=None, edge_grads=None, mode="role", current=None, height=None,
                 on_tap=None, open_set=None, fresh=(), on_change=None, lazy_hover=None):
        from bokeh.models import ColumnDataSource, HoverTool, TapTool
        from bokeh.core.properties import value

        self.full = G
        self.tree = collapse.scope_tree(G)
        self.scoped = shared_layout(G, self.tree)
        self.open = frozenset(collapse.initial_open(self.tree) if open_set is None else open_set)
        self.follow_scopes = False
        self.on_change = on_change  # called after the open set changed
        self._grads = {} if grads is None else grads
        self._fine_edge_grads = {} if edge_grads is None else edge_grads
        self._fine_fresh = set(fresh)
        self._current = current
        self._mode = mode
        self.visible, self.drawing = self._compute(self.open)
        super().__init__(Drawn(self.visible), self.drawing, grads=grads,
                         edge_grads=self._visible_edge_grads(self.visible.edges),
                         mode=mode, current=current, height=height, on_tap=on_tap,
                         lazy_hover=lazy_hover)
        fig = self.figure
        self.box_source = ColumnDataSource(source_data(box_columns(
            self.visible, self.drawing, self._current_item())), name="gv_scope_boxes")
        self.frame_source = ColumnDataSource(source_data(frame_columns(self.tree, self.drawing)),
                                             name="gv_scope_frames")
        # Frames under everything; boxes like nodes.
        frames = fig.rect("x", "y", "w", "h", source=self.frame_source, fill_color=FRAME_FILL,
                          line_color=FRAME_LINE, line_dash="dashed", border_radius=10,
                          name="gv_scope_frame_boxes", level="underlay")
        titles = fig.rect("title_x", "title_y", "title_w", TITLE, source=self.frame_source,
                          fill_color=TITLE_FILL, line_color=FRAME_LINE, border_radius=6,
                          name="gv_scope_titles", level="underlay")
        # (a graph without scopes never shows a frame: its pages carry no title placement)
        pinned = self._pinned_titles() if self.tree.scopes else {}
        frame_text = fig.text(pinned.get("x", "text_x"), pinned.get("y", "title_y"),
                              text="title", source=self.frame_source,
                              text_font_size=f"{style.LABEL_FONT_PX}px", text_align="left",
                              text_baseline="middle", text_color="#3e4c59",
                              text_font=value(style.FONT_FAMILY), name="gv_scope_title_text",
                              **pinned.get("look", {}))
        # (a graph without scopes never shows a frame: its pages carry no such renderer)
        end_text = fig.text(pinned.get("end_x", "end_x"), "title_y", text="end_title",
                            source=self.frame_source,
                            text_font_size=f"{style.LABEL_FONT_PX}px", text_align="right",
                            text_baseline="middle", text_color="#3e4c59",
                            text_font=value(style.FONT_FAMILY),
                            name="gv_scope_title_end_text") if self.tree.scopes else None
        boxes = fig.rect("x", "y", "w", "h", source=self.box_source, fill_color="fill",
                         line_color="line", line_width="lw", border_radius=10,
                         nonselection_fill_alpha=1.0, nonselection_line_alpha=1.0,
                         selection_fill_color="fill", selection_line_color="line",
                         nonselection_fill_color="fill", nonselection_line_color="line",
                         name="gv_scope_box_rects")
        name_text = fig.text("x", "name_y", text="name", source=self.box_source,
                             text_font_style="bold", text_font_size=f"{style.LABEL_FONT_PX + 1}px",
                             text_align="center", text_baseline="middle", text_color=style.TEXT,
                             text_font=value(style.FONT_FAMILY), name="gv_scope_box_names")
        rest_text = fig.text("x", "rest_y", text="rest", source=self.box_source,
                             text_font_size=f"{style.LABEL_FONT_PX - 1}px", text_align="center",
                             text_baseline="middle", text_color="#52606d", text_line_height=1.3,
                             text_font=value(style.FONT_FAMILY), name="gv_scope_box_text")
        texts = [r for r in (frame_text, end_text, name_text, rest_text) if r is not None]
        for r in texts:
            r.nonselection_glyph = None
            r.selection_glyph = None
        # Box text follows the zoom like node labels (and hides when too small to read).
        font_cb = self._font_cb
        font_cb.args["pairs"] = list(font_cb.args["pairs"]) + [
            [name_text, style.LABEL_FONT_PX + 1], [rest_text, style.LABEL_FONT_PX - 1],
            [frame_text, style.LABEL_FONT_PX]] + (
            [[end_text, style.LABEL_FONT_PX]] if end_text is not None else [])
        # Only the box and frame text that can be seen and read goes to the browser.
        self.lod.cull(name_text, base_px=style.LABEL_FONT_PX + 1, pad=self._box_pad())
        self.lod.cull(rest_text, base_px=style.LABEL_FONT_PX - 1, pad=self._box_pad())
        if pinned:
            # A title may be anywhere on its frame (pinned to the view): keep every frame in view.
            self.lod.cull(frame_text, base_px=style.LABEL_FONT_PX, x="x", y="y", w="w", h="h")
            self._follow_view(pinned["transforms"])
        else:
            # A title starts at its frame's left edge and runs right: pad by a long title's width.
            self.lod.cull(frame_text, base_px=style.LABEL_FONT_PX, x="text_x", y="title_y",
                          pad=TITLE_TEXT_REACH)
        if end_text is not None:
            self.lod.cull(end_text, base_px=style.LABEL_FONT_PX, x="end_x", y="title_y",
                          pad=TITLE_TEXT_REACH)
        self.lod.cull(frames, w="w", h="h")
        self.lod.cull(titles, x="title_x", y="title_y", w="title_w", pad=TITLE / 2)
        self.lod.cull(boxes, w="w", h="h")
        fig.renderers.remove(frames)
        fig.renderers.remove(titles)
        fig.renderers.insert(0, titles)
        fig.renderers.insert(0, frames)
        # One tap tool for nodes, boxes and title bars (several tap tools would fight).
        tap = next(t for t in fig.tools if isinstance(t, TapTool))
        tap.renderers = list(tap.renderers) + [boxes, titles]
        fig.add_tools(
            HoverTool(renderers=[boxes], name="gv_scope_hover", attachment="right", tooltips="""
<div style="font-family:sans-serif;font-size:12px;max-width:420px">
  <div><b>@name</b> <span style="color:#616e7c">@module</span></div>
  <div>@counts</div><div style="font-family:monospace">@shapes</div>
  <div style="color:#616e7c;margin-top:4px">click to open</div>
</div>"""))
        self.box_renderer = boxes
        self.title_renderer = titles
        self.box_source.selected.on_change("indices", self._tapped_box)
        self.frame_source.selected.on_change("indices", self._tapped_title)

    # --- frame titles that stay in view -------------------------------------------------------
    def _pinned_titles(self) -> dict:
        """The title text's x and y specs and the end title's x, placed by
        ``_TITLE_PLACE_JS``, and the title's look: a background of the title bar's colour, so
        that a title pinned over the frame's contents reads as a tag of its bar."""
        from bokeh.models import CustomJSTransform
        from bokeh.transform import transform

        fig = self.figure
        common = dict(fig=fig, xr=fig.x_range, yr=fig.y_range, source=self.frame_source,
                      base=float(style.LABEL_FONT_PX), zoom=1.15, family=style.FONT_FAMILY,
                      gap=float(TITLE_GAP_PX), gap_top=float(TITLE_TOP_PX), inset=10.0)
        tx = CustomJSTransform(args=dict(common, which="x"), v_func=_TITLE_PLACE_JS,
                               name="gv_scope_title_x")
        ty = CustomJSTransform(args=dict(common, which="y"), v_func=_TITLE_PLACE_JS,
                               name="gv_scope_title_y")
        # (the end title is not drawn, NaN, while the sliding title names its frame)
        tend = CustomJSTransform(args=dict(common, which="end"), v_func=_TITLE_PLACE_JS,
                                 name="gv_scope_title_end_x")
        look = dict(background_fill_color=TITLE_FILL, background_fill_alpha=0.95, padding=2,
                    border_radius=3)
        return {"x": transform("text_x", tx), "y": transform("title_y", ty),
                "end_x": transform("end_x", tend), "look": look, "transforms": [tx, tend]}

    def _follow_view(self, places) -> None:
        from bokeh.models import CustomJS

        fig = self.figure
        move = CustomJS(args=dict(fig=fig, places=list(places)), code=_TITLE_MOVE_JS)
        for attr in ("start", "end"):
            fig.x_range.js_on_change(attr, move)
            fig.y_range.js_on_change(attr, move)
        fig.js_on_change("inner_width", move)
        fig.js_on_change("inner_height", move)

    # --- what is drawn ----------------------------------------------------------------------
    def _compute(self, open_set):
        V = collapse.visible_graph(self.full, self.tree, open_set)
        return V, self.scoped.drawing(open_set, V)

    def item(self, nid):
        """What shows node ``nid`` now: itself or its outermost closed box."""
        if nid is None:
            return None
        if nid in self.tree.by_box:
            return nid
        return collapse.visible_item(self.tree, self.open, nid)

    def _current_item(self):
        return self.item(self._current)

    def shown(self) -> list:
        """Ids of the nodes and scope boxes drawn now."""
        return list(self.visible.nodes)

    def _visible_edge_grads(self, edges) -> dict:
        out = {}
        V = self.visible
        for e in edges:
            d = V.edges[e]
            fine = d.get("edges") or [e]
            if len(fine) == 1:
                g = self._fine_edge_grads.get(fine[0])
            else:
                g = bundle_gradient(fine, self._fine_edge_grads)
            if g is not None:
                out[e] = g
        return out

    def _visible_fresh(self) -> set:
        return {(self.item(u), self.item(v)) for u, v in self._fine_fresh
                if self.item(u) != self.item(v)}

    # --- opening and closing ----------------------------------------------------------------
    def expand(self, scope) -> None:
        """Open ``scope`` (a path, box id or name) and every scope around it, in place."""
        path = self.tree.path(scope)
        self.set_open(self.open | frozenset(self.tree.ancestors(path)), anchor=self.tree.scopes[path].box)

    def collapse(self, scope) -> None:
        """Close ``scope`` (and the scopes inside it)."""
        path = self.tree.path(scope)
        self.set_open(collapse.close(self.tree, self.open, path), anchor=self.tree.scopes[path].box)

    def open_to_depth(self, depth: int) -> None:
        self.set_open(collapse.open_to_depth(self.tree, depth))

    def reveal(self, nid) -> None:
        """Open the scopes around node ``nid`` so that it is drawn itself."""
        self.set_open(collapse.open_around(self.tree, self.open, nid), anchor=self.item(nid))

    def set_open(self, open_set, anchor=None) -> None:
        open_set = frozenset(open_set)
        if open_set == self.open:
            return
        before = self._anchor_rect(anchor)
        self.open = open_set
        self.visible, self.drawing = self._compute(open_set)
        self._redraw_visible()
        after = self._anchor_rect(anchor)
        if before is not None and after is not None:
            # Keep the anchor's top-left corner where it was on screen.
            self._pan_by(after[0] - before[0], after[3] - before[3])
        if self.on_change is not None:
            self.on_change()

    def _anchor_rect(self, anchor):
        """(x0, y0, x1, y1) of a box or, once open, of its frame."""
        if anchor is None:
            return None
        if anchor in self.drawing.positions:
            (x, y), (w, h) = self.drawing.positions[anchor], self.drawing.sizes[anchor]
            return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        path = self.tree.by_box.get(anchor)
        return self.drawing.frames.get(path) if path is not None else None

    def _pan_by(self, dx: float, dy: float) -> None:
        xr, yr = self.figure.x_range, self.figure.y_range
        if None in (xr.start, xr.end, yr.start, yr.end) or (dx == 0 and dy == 0):
            return
        xr.update(start=xr.start + dx, end=xr.end + dx)
        yr.update(start=yr.start + dy, end=yr.end + dy)

    def _redraw_visible(self) -> None:
        from .graph_view import label_weights

        V = self.visible
        current = self._current if self._current in V else None
        self.layout = self.drawing
        GraphView.redraw_all(self, Drawn(V), self._grads, self._visible_edge_grads(V.edges),
                             self._mode, current, layout=None, fresh=self._visible_fresh())
        self._edge_label_weight = label_weights(self.fresh_edges, self._visible_edge_grads(self.fresh_edges))
        self._sync_boxes()

    def _box_pad(self) -> float:
        widths = self.box_source.data.get("w")
        return float(np.max(widths)) / 2 + 24.0 if widths is not None and len(widths) else 150.0

    def _sync_boxes(self) -> None:
        sync_source(self.box_source, source_data(box_columns(
            self.visible, self.drawing, self._current_item())))
        sync_source(self.frame_source, source_data(frame_columns(self.tree, self.drawing)))
        self._boxes = None

    def _tapped_box(self, attr, old, new):
        if new:
            box = self.box_source.data["id"][new[0]]
            self.box_source.selected.indices = []
            self.expand(box)

    def _tapped_title(self, attr, old, new):
        if new:
            box = self.frame_source.data["box"][new[0]]
            self.frame_source.selected.indices = []
            self.collapse(box)

    # --- the GraphView surface, in the graph's own ids -------------------------------------
    def redraw_all(self, G, grads, edge_grads, mode, current, layout=None, fresh=()) -> None:
        """A new graph (an input edit replays it with the same ids and scopes), a new pass or a
        colour mode: redraw with the same open scopes."""
        if G is not self.full:
            same = list(G.nodes) == list(self.full.nodes)
            self.full = G
            self.tree = collapse.scope_tree(G)
            self.scoped = shared_layout(G, self.tree)
            if not same:
                self.open = frozenset(p for p in self.open if p in self.tree.scopes)
            self.visible, self.drawing = self._compute(self.open)
        # (not `grads or {}`: a timeline's Grads mapping finds its truth by walking every node)
        self._grads = {} if grads is None else grads
        self._fine_edge_grads = {} if edge_grads is None else edge_grads
        self._mode = mode
        self._fine_fresh, self._current = set(fresh), current
        self._redraw_visible()

    def update_nodes(self, G, nodes, grads, mode, current) -> None:
        self._grads, self._mode = grads, mode
        previous = self._current_item()
        self._current = current
        if self.follow_scopes and current is not None and self.item(current) != current:
            self.reveal(current)
            return
        visible = [n for n in nodes if n in self.visible and self.visible.nodes[n].get("kind") != "scope"]
        if previous in self.visible and previous not in self.tree.by_box:
            visible.append(previous)
        cur = current if current in self.visible else None
        GraphView.update_nodes(self, self.G, sorted(set(visible)), grads, mode, cur)
        boxes = {self.item(n) for n in nodes if n in self.full} | {previous, self._current_item()}
        self._patch_boxes({b for b in boxes if b in self.tree.by_box})

    def _patch_boxes(self, boxes) -> None:
        if not boxes:
            return
        ids = self.box_source.data["id"]
        row = {b: i for i, b in enumerate(ids)}
        cur = self._current_item()
        patch: dict = {}
        for b in boxes:
            i = row.get(b)
            if i is None:
                continue
            on = b == cur
            for k, v in (("fill", style.CURRENT_FILL if on else BOX_FILL),
                         ("line", style.CURRENT_LINE if on else BOX_LINE), ("lw", 2.5 if on else 1.2)):
                if self.box_source.data[k][i] != v:
                    patch.setdefault(k, []).append((i, v))
        if patch:
            self.box_source.patch(patch)

    def update_edges(self, edges, edge_grads, fresh=()) -> None:
        self._fine_edge_grads = edge_grads
        self._fine_fresh = set(fresh)
        touched = {(self.item(u), self.item(v)) for u, v in edges}
        touched = {e for e in touched if e[0] != e[1] and self.visible.has_edge(*e)}
        vfresh = self._visible_fresh()
        GraphView.update_edges(self, touched, self._visible_edge_grads(touched | vfresh | self.fresh_edges),
                               vfresh)

    def follow(self, nid) -> None:
        GraphView.follow(self, self.item(nid))

    # --- search ---------------------------------------------------------------------------
    def search(self, text: str) -> list:
        from ..search import search
        return search(self.full, text)

    def show_node(self, nid) -> None:
        """Open the scopes around ``nid`` and bring it into view."""
        self.reveal(nid)
        GraphView.follow(self, nid)


def describe_shown(view: ScopeView) -> str:
    """One line for a status bar: what the drawing shows."""
    boxes = sum(1 for n in view.visible if n in view.tree.by_box)
    nodes = view.visible.number_of_nodes() - boxes
    total = view.full.number_of_nodes()
    return f"{nodes:,} of {total:,} nodes drawn, {boxes:,} closed scopes"


__all__ = ["ScopeView", "box_columns", "frame_columns", "bundle_gradient", "describe_shown",
           "format_array", "short_gradient"]
