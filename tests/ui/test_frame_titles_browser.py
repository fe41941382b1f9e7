"""An open scope's frame names itself wherever the view is: zoomed into the middle of a wide
frame (both of its ends off screen) its title is still drawn, at the left of what is shown, and
zoomed inside a frame whose title bar is above the view, the titles of the frames around the
view are pinned under the toolbar, outermost first. All of it in the page, without Python.

Checked in a real browser twice over: where BokehJS draws the title text (the renderer's screen
coordinates) and that the canvas really has dark text pixels there. Skips without a browser;
fails instead under GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

pytest.importorskip("panel")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import graphs  # noqa: E402


def gpt_app():
    from gradviz.viz import Explorer

    loss, names = graphs.gpt_like(n_layers=3, n_heads=2)
    return Explorer(loss, names=names, scopes="all")


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"gpt": gpt_app})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


# Centre the view on a point of frame `path` (fx, fy: fractions of its width and height from its
# bottom-left corner; fy=null: on its title bar), `span` data units wide.
ZOOM = """
([path, fx, fy, span]) => {
  const doc = Bokeh.documents[0];
  const d = doc.get_model_by_name('gv_scope_frames').data;
  const i = Array.from(d.path).indexOf(path);
  if (i < 0) throw new Error('no frame ' + path);
  const xr = doc.get_model_by_name('gv_x_range'), yr = doc.get_model_by_name('gv_y_range');
  const cx = d.x[i] - d.w[i] / 2 + fx * d.w[i];
  const cy = fy == null ? d.title_y[i] : d.y[i] - d.h[i] / 2 + fy * d.h[i];
  const h = span * (yr.end - yr.start) / (xr.end - xr.start);
  xr.setv({start: cx - span / 2, end: cx + span / 2});
  yr.setv({start: cy - h / 2, end: cy + h / 2});
  return {x0: d.x[i] - d.w[i] / 2, x1: d.x[i] + d.w[i] / 2, y0: d.y[i] - d.h[i] / 2,
          y1: d.y[i] + d.h[i] / 2, title: d.title[i]};
}
"""

# Where the frame titles of `paths` are drawn now, in page pixels (null: not drawn); `renderer`:
# the left titles (gv_scope_title_text) or a wide frame's end titles (gv_scope_title_end_text).
TITLES = """
([paths, renderer]) => {
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
  for (const v of Object.values(Bokeh.index)) walk(v);
  const plot = views.find(v => v.model && v.model.name === 'gv_graph');
  const doc = Bokeh.documents[0];
  const model = doc.get_model_by_name(renderer);
  const rv = plot.renderer_views.get(model);
  const d = doc.get_model_by_name('gv_scope_frames').data;
  const rect = plot.canvas_view.primary.canvas.getBoundingClientRect();
  const shown = Array.from(rv.all_indices ?? []);
  const size = parseFloat(model.glyph.text_font_size.value ?? model.glyph.text_font_size);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = size + 'px ' + model.glyph.text_font.value;
  const out = {};
  for (const path of paths) {
    const i = Array.from(d.path).indexOf(path);
    const k = shown.indexOf(i);
    const text = model.glyph.text.field === 'end_title' ? d.end_title[i] : d.title[i];
    out[path] = (!model.visible || k < 0 || text === '' || !isFinite(rv.glyph.sx[k])) ? null : {
      left: rect.left + rv.glyph.sx[k], middle: rect.top + rv.glyph.sy[k],
      width: ctx.measureText(text).width, size};
  }
  out.plot = {left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom};
  return out;
}
"""


def _titles(page, paths, renderer="gv_scope_title_text"):
    return page.evaluate(TITLES, [list(paths), renderer])


def _settle(page):
    page.wait_for_function("Bokeh.documents.every(d => d.is_idle)")
    page.wait_for_timeout(400)


def _dark_pixels(page, box) -> int:
    """How many pixels of the page inside ``box`` (left, top, right, bottom) are as dark as text
    (the title bars and frames are light grey, text is #3e4c59)."""
    import numpy as np
    from PIL import Image

    left, top, right, bottom = (int(round(v)) for v in box)
    png = page.screenshot(clip={"x": left, "y": top, "width": max(right - left, 1),
                                "height": max(bottom - top, 1)})
    return int((np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 130).sum())


def _assert_readable_in_view(page, where, label):
    assert where is not None, f"{label}: the title is not drawn"
    plot = _titles(page, [])["plot"]
    assert where["size"] >= 9, f"{label}: drawn at {where['size']} px"
    assert plot["left"] <= where["left"] and where["left"] + where["width"] <= plot["right"], (
        label, where, plot)
    assert plot["top"] + where["size"] / 2 <= where["middle"] <= plot["bottom"] - where["size"] / 2, (
        label, where, plot)
    half = where["size"] * 0.6
    box = (where["left"], where["middle"] - half, where["left"] + where["width"], where["middle"] + half)
    dark = _dark_pixels(page, box)
    assert dark > 0.02 * (box[2] - box[0]) * (box[3] - box[1]), (
        f"{label}: no text painted where the title should be ({dark} dark pixels in {box})")


def test_a_wide_frame_is_named_when_zoomed_into_its_middle(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    _settle(page)
    path = "GPT / blocks"
    frame = page.evaluate(ZOOM, [path, 0.5, None, 900])
    _settle(page)
    assert frame["x1"] - frame["x0"] > 10 * 900  # both ends of the frame are far off screen
    where = _titles(page, [path])[path]
    _assert_readable_in_view(page, where, path)
    # Panning along the bar keeps it in view (and it follows without a round trip to Python).
    page.evaluate("""() => { const xr = Bokeh.documents[0].get_model_by_name('gv_x_range');
                             xr.setv({start: xr.start - 2000, end: xr.end - 2000}); }""")
    _settle(page)
    _assert_readable_in_view(page, _titles(page, [path])[path], path + " after a pan")


def test_a_frame_whose_end_is_at_the_views_edge_is_named_once_and_whole(server, open_page):
    # Less of the title bar is left in view than the title needs: the end title (right-aligned
    # at the frame's end) would be cut, and a sliding title stopped at the frame's end would be
    # drawn over it. The frame is named once, whole, at the view's left edge.
    p = open_page(server.url("gpt"))
    page = p.page
    _settle(page)
    path = "GPT / blocks"
    frame = page.evaluate(ZOOM, [path, 1.0, None, 900])  # the frame's right end in the middle
    assert _titles(page, [path], "gv_scope_title_end_text")[path] is not None  # a wide frame
    page.evaluate("""(x1) => { const xr = Bokeh.documents[0].get_model_by_name('gv_x_range');
                               const w = xr.end - xr.start;
                               xr.setv({start: x1 - 40, end: x1 - 40 + w}); }""", frame["x1"])
    _settle(page)
    where = _titles(page, [path])[path]
    _assert_readable_in_view(page, where, path)
    assert _titles(page, [path], "gv_scope_title_end_text")[path] is None, "named twice"


def test_frames_around_a_view_inside_them_are_named_outermost_first(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    _settle(page)
    chain = ["GPT", "GPT / blocks", "GPT / blocks / blocks.1",
             "GPT / blocks / blocks.1 / blocks.1.attn"]
    frame = page.evaluate(ZOOM, [chain[-1], 0.5, 0.5, 700])
    _settle(page)
    titles = _titles(page, chain)
    plot = titles["plot"]
    # the view is inside the innermost frame, its title bar above the view
    assert frame["y1"] - frame["y0"] > 0 and titles[chain[-1]] is not None
    middles = []
    for path in chain:
        _assert_readable_in_view(page, titles[path], path)
        middles.append(titles[path]["middle"])
    # stacked top to bottom, outermost first, without overlapping
    for a, b in zip(middles, middles[1:]):
        assert b - a >= titles[chain[0]]["size"], middles
    assert middles[0] >= plot["top"] + 20  # below the toolbar that floats over the plot's top


def test_a_graph_without_scopes_carries_no_title_placement():
    """Pages of graphs without modules stay as they were (the saved seed page's size budget)."""
    from bokeh.models import CustomJSTransform

    from gradviz.examples import build
    from gradviz.viz import Explorer

    ex = build("seed")
    view = Explorer(ex.root, names=ex.names, **ex.kwargs)
    fig = view.graph_view.figure
    assert not list(fig.select({"type": CustomJSTransform}))
    text = fig.select_one({"name": "gv_scope_title_text"})
    assert text.glyph.x == "text_x" or getattr(text.glyph.x, "field", None) == "text_x"
    assert getattr(text.glyph.x, "transform", None) is None
    # while a graph with scopes has them
    loss, names = graphs.gpt_like(n_layers=1, n_heads=1)
    scoped = Explorer(loss, names=names).graph_view.figure
    assert len(list(scoped.select({"type": CustomJSTransform}))) == 3  # title x, y; end title x
