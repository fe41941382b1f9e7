"""Level of detail: which rows a culled renderer keeps (pure helpers, and the browser's filter
code run under Node against the same cases), and that the graph view culls its text."""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from gradviz.viz.level_of_detail import (MIN_TEXT_PX, _FILTER_JS, _WINDOW_JS, readable,
                                         rows_in_window, text_px, view_window)


def test_text_px_grows_with_the_zoom_up_to_two_and_a_half_times_its_base():
    assert text_px(12, 1.0) == pytest.approx(13.8)        # 12 * 1 * 1.15
    assert text_px(12, 0.5) == pytest.approx(6.9)
    assert text_px(12, 10.0) == pytest.approx(30.0)       # capped at 2.5 x 12


def test_readable_is_the_six_pixel_rule():
    assert MIN_TEXT_PX == 6.0
    # 12 px text at 0.44 px/unit is drawn at 6.07 px; at 0.43, 5.93 px
    assert readable(12, 0.44) and not readable(12, 0.43)
    assert readable(None, 0.01)                 # shapes are never hidden for size
    assert readable(12, None)                   # before the plot is laid out: keep


def test_view_window_widens_the_view_by_half_its_span_each_side():
    assert view_window((0, 100), (10, 50)) == (-50, 150, -10, 70)
    assert view_window((100, 0), (50, 10)) == (-50, 150, -10, 70)  # reversed ranges
    assert view_window((0, 100), (0, 10), margin=0.0) == (0, 100, 0, 10)


def test_rows_in_window_by_anchor_pad_and_extent():
    x = [0, 50, 120, 200, -30]
    y = [0, 0, 0, 0, 0]
    win = (0, 100, -10, 10)
    assert rows_in_window(x, y, win) == [0, 1]
    assert rows_in_window(x, y, win, pad=20) == [0, 1, 2]          # 120 - 20 <= 100
    assert rows_in_window(x, y, win, pad=30) == [0, 1, 2, 4]       # -30 + 30 >= 0
    # a rect reaches half its width from its centre
    assert rows_in_window(x, y, win, half_w=[0, 0, 0, 100, 29]) == [0, 1, 3]
    assert rows_in_window([0], [40], win, half_h=[29]) == []
    assert rows_in_window([0], [40], win, half_h=[30]) == [0]


# --- the browser's code, run by Node on the same cases ----------------------------------------
NODE = shutil.which("node") or shutil.which("nodejs")

_HARNESS = """
const cases = JSON.parse(process.argv[1]);
const out = cases.map((c) => {
  const source = {data: c.data, get_length() { const k = Object.keys(this.data)[0];
                                               return k == null ? 0 : this.data[k].length; }};
  const fig = {inner_width: c.width};
  if (c.win != null) fig._gv_lod = {win: c.win};
  const f = new Function('fig', 'xr', 'yr', 'base', 'x', 'y', 'w_col', 'h_col', 'pad', 'lines',
                         'lod', 'source', '"use strict";\\n' + FILTER);
  return f(fig, c.xr, c.yr, c.base, c.x, c.y, c.w_col, c.h_col, c.pad, c.lines, c.lod, source);
});
console.log(JSON.stringify(out));
"""


def _run_filter(cases):
    script = "const FILTER = " + json.dumps(_FILTER_JS) + ";\n" + _HARNESS
    res = subprocess.run([NODE, "-e", script, json.dumps(cases)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


LOD = dict(margin=0.5, shrink=4.0, min_px=6.0, zoom=1.15)


@pytest.mark.skipif(NODE is None, reason="Node.js not installed (the browser tests run this code too)")
def test_the_browser_filter_keeps_what_rows_in_window_keeps():
    rng = np.random.default_rng(3)
    x = rng.uniform(-2000, 2000, 300).round(1).tolist()
    y = rng.uniform(-800, 800, 300).round(1).tolist()
    w = rng.uniform(40, 200, 300).round(1).tolist()
    h = rng.uniform(20, 60, 300).round(1).tolist()
    xr, yr = {"start": -300, "end": 500}, {"start": -200, "end": 150}
    win = list(view_window((-300, 500), (-200, 150)))
    cases = [
        # text at 1.25 px/unit (1000 px over 800 units), window computed by the filter itself
        dict(data={"x": x, "y": y}, width=1000, xr=xr, yr=yr, base=12, x="x", y="y",
             w_col=None, h_col=None, pad=40.0, lines=False, lod=LOD, win=None),
        # rects with their own extent, window set by the range callback
        dict(data={"x": x, "y": y, "w": w, "h": h}, width=1000, xr=xr, yr=yr, base=None,
             x="x", y="y", w_col="w", h_col="h", pad=0.0, lines=False, lod=LOD,
             win=[-100, 100, -50, 50]),
        # text too small to read: 12 px at 200 / 800 px per unit = 3.45 px
        dict(data={"x": x, "y": y}, width=200, xr=xr, yr=yr, base=12, x="x", y="y",
             w_col=None, h_col=None, pad=40.0, lines=False, lod=LOD, win=None),
        # polylines: kept when their bounding box meets the window
        dict(data={"xs": [[-1000, -900], [-1000, 1000], [0, 10, 20], [600, 700]],
                   "ys": [[0, 0], [0, 0], [500, 0, -500], [0, 0]]},
             width=1000, xr=xr, yr=yr, base=None, x="xs", y="ys", w_col=None, h_col=None,
             pad=0.0, lines=True, lod=LOD, win=[-100, 100, -50, 50]),
        dict(data={}, width=1000, xr=xr, yr=yr, base=12, x="x", y="y", w_col=None, h_col=None,
             pad=0.0, lines=False, lod=LOD, win=None),
    ]
    got = _run_filter(cases)
    assert got[0] == rows_in_window(x, y, win, pad=40.0)
    assert 0 < len(got[0]) < 300
    assert got[1] == rows_in_window(x, y, (-100, 100, -50, 50),
                                    half_w=[v / 2 for v in w], half_h=[v / 2 for v in h])
    assert got[2] == []
    assert got[3] == [1, 2]
    assert got[4] == []


# --- the graph view uses it --------------------------------------------------------------------
def _lod_filters(fig):
    from bokeh.models import CustomJSFilter, GlyphRenderer

    return {r.name or r.data_source.name: r.view.filter for r in fig.renderers
            if isinstance(r, GlyphRenderer) and isinstance(r.view.filter, CustomJSFilter)}


def test_every_text_renderer_of_a_scope_view_is_culled_at_its_own_font_size():
    pytest.importorskip("bokeh")
    from bokeh.models import GlyphRenderer, Text

    import gradviz as torch
    from gradviz.viz.scope_view import ScopeView

    x = torch.randn(3, 4)
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    loss = net(x).sum()
    view = ScopeView(torch.to_networkx(loss, {"x": x}))
    fig = view.figure
    texts = [r for r in fig.renderers if isinstance(r, GlyphRenderer) and isinstance(r.glyph, Text)]
    assert len(texts) == 9  # labels, shapes, fn names, badges, edge labels, box names/lines,
    #                          frame titles at both ends
    for r in texts:
        flt = r.view.filter
        assert flt.code == _FILTER_JS
        # the filter hides text at the size the glyph really has at 1 px per unit
        assert flt.args["base"] == float(r.glyph.text_font_size.rstrip("px")), r.data_source.name
    names = _lod_filters(fig)
    for shape in ("gv_tensor_boxes", "gv_function_pills", "gv_edge_lines", "gv_scope_box_rects",
                  "gv_scope_frame_boxes", "gv_scope_titles"):
        assert names[shape].args["base"] is None, shape
    # one window callback watches both ranges and the plot size, and knows every filter
    cb = fig.x_range.js_property_callbacks["change:start"]
    window = [c for c in cb if c.code == _WINDOW_JS]
    assert len(window) == 1
    assert window[0] in fig.y_range.js_property_callbacks["change:end"]
    assert window[0] in fig.js_property_callbacks["change:inner_width"]
    culled = [r.view.filter for r in fig.renderers if isinstance(r, GlyphRenderer)
              and r.view.filter.__class__.__name__ == "CustomJSFilter"]
    assert len(culled) == 15  # the 9 texts and 6 shapes (rects, edges, frames, title bars, boxes)
    assert sorted(id(f) for f, _ in window[0].args["filters"]) == sorted(id(f) for f in culled)


# --- a Step patches only what changed, on a big model too ---------------------------------------
@pytest.mark.parametrize("scopes", [None, "all"])
def test_a_step_on_a_big_model_patches_rows_and_never_resends_the_big_columns(scopes):
    pytest.importorskip("panel")
    import sys
    from pathlib import Path

    from bokeh.document import Document
    from bokeh.document.events import ColumnDataChangedEvent, ColumnsPatchedEvent, ModelChangedEvent

    from gradviz.viz import Explorer

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import graphs

    loss, names = graphs.gpt_like(n_layers=2, n_heads=2)
    view = Explorer(loss, names=names, **({"scopes": scopes} if scopes else {}))
    gv = view.graph_view
    doc = Document()
    doc.add_root(gv.figure)
    big = {s.name: s for s in (gv.tensor_source, gv.function_source, gv.edge_source,
                               gv.tensor_text, gv.function_text)}
    big["gv_scope_boxes"] = gv.box_source
    assert len(gv.tensor_source.data["id"]) > 20
    events = []
    doc.on_change(lambda event: events.append(event))
    for _ in range(12):
        view.step()
    whole, patched = [], {}
    for e in events:
        name = getattr(getattr(e, "model", None), "name", None)
        if name not in big:
            continue
        if isinstance(e, ColumnsPatchedEvent):
            for col, changes in e.patches.items():
                patched.setdefault(name, set()).update(r for r, _ in changes)
        elif isinstance(e, (ColumnDataChangedEvent, ModelChangedEvent)):
            whole.append((name, getattr(e, "attr", None), getattr(e, "cols", None)))
    assert whole == []
    # twelve events touch a few dozen rows, not the hundreds each source holds
    assert patched.get("gv_tensors") and len(patched["gv_tensors"]) <= 30
    if scopes is None:
        assert patched.get("gv_scope_boxes"), "the boxes the steps passed through turned current"
    assert len(patched.get("gv_edges", ())) <= 60
    for name, rows in patched.items():  # a step restyles its node, the previous one, their edges
        assert len(rows) <= 5 * 12, name
