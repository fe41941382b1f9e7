"""Level of detail: the graph's glyphs handed to the browser only for the rows that can be seen.

BokehJS 3.9 culls only markers, circles and patches to the viewport. ``text`` glyphs measure
every row's string whenever their data or style changes (once per glyph copy: normal,
selection, non-selection, muted, decimated) and draw every row at every repaint, whatever the
zoom; ``rect`` and ``multi_line`` draw every row too. On a graph of thousands of nodes that
text is most of what a Step or a first render costs in the browser.

So each culled renderer gets a ``CDSView`` whose ``CustomJSFilter`` keeps only the rows inside a
*window*: the visible ranges widened by ``MARGIN`` of their span on every side (plus a pad per
renderer for the extent of a row around its anchor point); a text renderer whose text would be
drawn smaller than ``MIN_TEXT_PX`` keeps no rows at all. One ``CustomJS`` on the ranges and the
plot's size decides when the window must move: when the view leaves it, when it is more than
``SHRINK`` times wider than the view (zoomed in), or when a renderer's text crosses the
readable size; then it asks the filters to run again (a signal, not a property change: nothing
travels to the server). Between those moments panning and zooming cost nothing extra, and the
margin means the rows just outside the view are already there when they scroll in.

A filter also runs whenever its source changes (BokehJS recomputes a view on every data change
or patch), so opening a box or stepping keeps the right rows. Hover and tap hit-test the rows a
renderer holds, which include every row in view: every node a person can point at answers.
Everything here is models and CustomJS, so a saved page (no Python) behaves the same.
"""
from __future__ import annotations

MARGIN = 0.5        # the window reaches this fraction of the view's span beyond each side
SHRINK = 4.0        # a window more than this many times the view's width is narrowed again
MIN_TEXT_PX = 6.0   # text drawn smaller than this is not drawn (the same rule as _FONT_JS)
TEXT_ZOOM = 1.15    # _FONT_JS draws text at base * scale * 1.15


def text_px(base_px: float, scale: float) -> float:
    """The size (px) text of base size ``base_px`` is drawn at, at ``scale`` px per data unit
    (as ``graph_view._FONT_JS`` sets it: it grows with the zoom up to 2.5 times its base)."""
    return min(base_px * scale * TEXT_ZOOM, base_px * 2.5)


def readable(base_px: float | None, scale: float | None) -> bool:
    """Whether text of base size ``base_px`` is drawn at ``scale``; ``None`` base (a shape, not
    text) or an unknown scale (the plot not laid out yet) count as readable."""
    if base_px is None or scale is None or not scale > 0:
        return True
    return text_px(base_px, scale) >= MIN_TEXT_PX


def view_window(x_range, y_range, margin: float = MARGIN) -> tuple:
    """``(x0, x1, y0, y1)``: the view ``x_range`` x ``y_range`` widened by ``margin`` of its
    span on each side."""
    (a, b), (c, d) = sorted(x_range), sorted(y_range)
    mx, my = (b - a) * margin, (d - c) * margin
    return a - mx, b + mx, c - my, d + my


def rows_in_window(x, y, window, pad=0.0, half_w=None, half_h=None) -> list:
    """Indices of the rows anchored at (``x``, ``y``) whose extent (``pad`` around the anchor,
    or ``half_w`` / ``half_h`` per row) meets ``window`` = ``(x0, x1, y0, y1)``: the rows a
    culled renderer keeps (what ``_FILTER_JS`` computes in the browser)."""
    x0, x1, y0, y1 = window
    out = []
    for i, (xi, yi) in enumerate(zip(x, y)):
        hw = pad + (half_w[i] if half_w is not None else 0.0)
        hh = pad + (half_h[i] if half_h is not None else 0.0)
        if xi + hw >= x0 and xi - hw <= x1 and yi + hh >= y0 and yi - hh <= y1:
            out.append(i)
    return out


# The filter of one renderer. Arguments: fig, xr, yr; base (the text's base size in px, or null
# for a shape); x, y (column names of the anchor, or xs/ys of polylines when lines is true);
# w, h (columns of a rect's full width/height, or null); pad (data units around the anchor).
_FILTER_JS = """
const n = source.get_length() ?? 0;
if (n === 0) return [];
let w = 0;
try { w = fig.inner_width; } catch (e) { w = 0; }
const span = xr.end - xr.start;
if (base != null && w > 0 && span > 0 &&
    Math.min(base * (w / span) * lod.zoom, base * 2.5) < lod.min_px) return [];
const state = fig._gv_lod || (fig._gv_lod = {});
if (state.win == null) {
  const a = Math.min(xr.start, xr.end), b = Math.max(xr.start, xr.end);
  const c = Math.min(yr.start, yr.end), d = Math.max(yr.start, yr.end);
  const mx = (b - a) * lod.margin, my = (d - c) * lod.margin;
  state.win = [a - mx, b + mx, c - my, d + my];
}
const [x0, x1, y0, y1] = state.win;
const data = source.data;
const out = [];
if (lines) {
  const xs = data[x], ys = data[y];
  for (let i = 0; i < n; i++) {
    const px = xs[i], py = ys[i];
    let lo = Infinity, hi = -Infinity, bot = Infinity, top = -Infinity;
    for (let k = 0; k < px.length; k++) {
      const u = px[k], v = py[k];
      if (u < lo) lo = u;
      if (u > hi) hi = u;
      if (v < bot) bot = v;
      if (v > top) top = v;
    }
    if (hi + pad >= x0 && lo - pad <= x1 && top + pad >= y0 && bot - pad <= y1) out.push(i);
  }
} else {
  const xs = data[x], ys = data[y];
  const ws = w_col != null ? data[w_col] : null, hs = h_col != null ? data[h_col] : null;
  for (let i = 0; i < n; i++) {
    const hw = pad + (ws != null ? ws[i] / 2 : 0), hh = pad + (hs != null ? hs[i] / 2 : 0);
    const xi = xs[i], yi = ys[i];
    if (xi + hw >= x0 && xi - hw <= x1 && yi + hh >= y0 && yi - hh <= y1) out.push(i);
  }
}
return out;
"""

# On every range or size change: move the window (and re-run the filters) only when needed.
_WINDOW_JS = """
let w = 0;
try { w = fig.inner_width; } catch (e) { w = 0; }
const a = Math.min(xr.start, xr.end), b = Math.max(xr.start, xr.end);
const c = Math.min(yr.start, yr.end), d = Math.max(yr.start, yr.end);
if (!(b > a) || !(d > c)) return;
const scale = w > 0 ? w / (b - a) : null;
const state = fig._gv_lod || (fig._gv_lod = {});
const readable = filters.map(([f, base]) =>
  base == null || scale == null || Math.min(base * scale * lod.zoom, base * 2.5) >= lod.min_px);
const win = state.win;
const inside = win != null && a >= win[0] && b <= win[1] && c >= win[2] && d <= win[3];
const tight = inside && (win[1] - win[0]) <= lod.shrink * (b - a);
const same = state.readable != null && state.readable.length === readable.length &&
             readable.every((r, i) => r === state.readable[i]);
if (inside && tight && same) return;
const mx = (b - a) * lod.margin, my = (d - c) * lod.margin;
state.win = [a - mx, b + mx, c - my, d + my];
const before = state.readable;
state.readable = readable;
state.moves = (state.moves || 0) + 1;
filters.forEach(([f, base], i) => {
  // A renderer too small to read before and after keeps its empty set: nothing to redo.
  if (!readable[i] && before != null && before[i] === false) return;
  f.change.emit();
});
"""


def _params() -> dict:
    return dict(margin=MARGIN, shrink=SHRINK, min_px=MIN_TEXT_PX, zoom=TEXT_ZOOM)


class LevelOfDetail:
    """Culls renderers of one figure to the window around its view (see the module docstring).

    ``cull(renderer, base_px=..., pad=...)`` for text anchored at ``x``/``y``;
    ``cull(renderer, w="w", h="h")`` for rects; ``cull(renderer, lines=True)`` for
    multi_lines (``xs``/``ys``). Renderers may be added until the figure is shown."""

    def __init__(self, fig):
        from bokeh.models import CustomJS

        self.figure = fig
        self.filters: list = []  # [filter, base_px or None]
        self._window_cb = CustomJS(args=dict(fig=fig, xr=fig.x_range, yr=fig.y_range,
                                             filters=self.filters, lod=_params()),
                                   code=_WINDOW_JS)
        for attr in ("start", "end"):
            fig.x_range.js_on_change(attr, self._window_cb)
            fig.y_range.js_on_change(attr, self._window_cb)
        fig.js_on_change("inner_width", self._window_cb)
        fig.js_on_change("inner_height", self._window_cb)

    def cull(self, renderer, base_px: float | None = None, pad: float = 0.0, x: str | None = None,
             y: str | None = None, w: str | None = None, h: str | None = None,
             lines: bool = False):
        """Give ``renderer`` a view that keeps only the rows in the window; returns its filter.

        ``base_px``: the text's size at 1 px per data unit (None for shapes: never hidden for
        size); ``pad``: data units a row reaches beyond its anchor (half a label's width);
        ``x``/``y``: the anchor columns (default: the glyph's own ``x``/``y`` fields, or
        ``xs``/``ys`` for lines); ``w``/``h``: columns of a rect's full size."""
        from bokeh.models import CDSView, CustomJSFilter

        glyph = renderer.glyph
        if x is None:
            x = _field(glyph, "xs" if lines else "x")
        if y is None:
            y = _field(glyph, "ys" if lines else "y")
        flt = CustomJSFilter(
            args=dict(fig=self.figure, xr=self.figure.x_range, yr=self.figure.y_range,
                      base=base_px, x=x, y=y, w_col=w, h_col=h, pad=float(pad), lines=lines,
                      lod=_params()),
            code=_FILTER_JS, name="gv_lod_filter")
        renderer.view = CDSView(filter=flt)
        self.filters.append([flt, base_px])
        self._window_cb.args = dict(self._window_cb.args, filters=list(self.filters))
        return flt


def _field(glyph, attr: str) -> str:
    spec = getattr(glyph, attr)
    if isinstance(spec, str):
        return spec
    field = getattr(spec, "field", None) or (spec.get("field") if isinstance(spec, dict) else None)
    if field is None:
        raise ValueError(f"{type(glyph).__name__}.{attr} is not a column; pass it explicitly")
    return field


__all__ = ["LevelOfDetail", "readable", "rows_in_window", "text_px", "view_window",
           "MARGIN", "MIN_TEXT_PX"]
