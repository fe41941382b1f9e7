"""The plot of a big model takes the height the browser window gives it, without a scrollbar,
and follows the window when it is resized; a small graph keeps the height planned for its shape.

Measured in a real browser: the figure's painted height (BokehJS's ``inner_height`` and the
canvas on the page) against ``window.innerHeight``. Skips without a browser; fails instead under
GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("panel")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import graphs  # noqa: E402

BUILT: dict = {}  # app name -> the explorers its pages were given (server side)


def gpt_app():
    from gradviz.viz import Explorer

    loss, names = graphs.gpt_like(n_layers=3, n_heads=2)
    view = Explorer(loss, names=names)
    BUILT.setdefault("gpt", []).append(view)
    return view


def seed_app():
    from gradviz.examples import build
    from gradviz.viz import Explorer

    ex = build("seed")
    view = Explorer(ex.root, names=ex.names, **ex.kwargs)
    BUILT.setdefault("seed", []).append(view)
    return view


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"gpt": gpt_app, "seed": seed_app})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


# The graph's figure (the BokehJS view of the model named gv_graph) and the page around it.
MEASURE = """
() => {
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
  for (const v of Object.values(Bokeh.index)) walk(v);
  const fig = views.find(v => v.model && v.model.name === 'gv_graph');
  const canvas = fig.canvas_view.primary.canvas;  // the layer the graph is painted on
  const c = canvas.getBoundingClientRect(), f = fig.el.getBoundingClientRect();
  let side = null, column = null;
  for (let v = fig.parent; v != null && v.parent != null; v = v.parent) {
    if ((v.model.css_classes || []).includes('gv-plot-column')) {
      const other = v.parent.child_views.find(u => u !== v);
      const s = other.el.getBoundingClientRect();
      side = {top: s.top, bottom: s.bottom};
      column = v.el.getBoundingClientRect().height;
      break;
    }
  }
  const de = document.documentElement;
  return {inner_height: fig.model.inner_height, fig_top: f.top, fig_bottom: f.bottom,
          canvas_height: c.height, canvas_bottom: c.bottom, side, column,
          window_height: window.innerHeight, scroll_height: de.scrollHeight};
}
"""

SLACK_PX = 16  # what may stay below the plot: the page's bottom margin, rounding


def _settled(page):
    page.wait_for_function("Bokeh.documents.every(d => d.is_idle)")
    page.wait_for_timeout(400)  # the resize observer and two animation frames
    return page.evaluate(MEASURE)


def _assert_fills(m, what):
    assert m["fig_bottom"] <= m["window_height"] + 0.5, f"{what}: the plot runs past the window: {m}"
    assert m["fig_bottom"] >= m["window_height"] - SLACK_PX, (
        f"{what}: the plot stops {m['window_height'] - m['fig_bottom']:.0f} px above the "
        f"window's bottom: {m}")
    # painted, not only laid out: the canvas covers the plot
    assert abs(m["canvas_height"] - (m["fig_bottom"] - m["fig_top"])) <= 2, m
    assert abs(m["inner_height"] - (m["fig_bottom"] - m["fig_top"])) <= 2, m


def test_a_big_models_plot_fills_the_window_without_a_scrollbar(server, open_page):
    p = open_page(server.url("gpt"))
    m = _settled(p.page)
    _assert_fills(m, "1400x900")
    assert m["scroll_height"] <= m["window_height"], f"the page scrolls: {m}"
    # the side panel beside the plot is as tall as it
    assert m["side"] is not None and abs(m["side"]["bottom"] - m["fig_bottom"]) <= SLACK_PX, m
    planned = BUILT["gpt"][-1].graph_view.figure.height
    assert m["inner_height"] > planned + 200  # far more than the server's plan (~380 px)


def test_the_plot_follows_the_window_when_it_is_resized(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    _settled(page)
    page.set_viewport_size({"width": 1920, "height": 1080})
    m = _settled(page)
    _assert_fills(m, "1920x1080")
    assert m["scroll_height"] <= m["window_height"], f"the page scrolls: {m}"
    # Narrow: the side panel wraps under the plot; the plot still fills the window's height
    # (the page scrolls to the side panel, as it did before).
    page.set_viewport_size({"width": 1024, "height": 768})
    m = _settled(page)
    _assert_fills(m, "1024x768")
    assert m["side"]["top"] >= m["fig_bottom"] - 1, f"the side panel should be under the plot: {m}"
    # Back to a wide window: beside the plot again, and no scrollbar.
    page.set_viewport_size({"width": 1400, "height": 900})
    m = _settled(page)
    _assert_fills(m, "1400x900 again")
    assert m["scroll_height"] <= m["window_height"], f"the page scrolls: {m}"


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_a_small_graph_keeps_the_height_planned_for_its_shape(server, open_page, size):
    from gradviz.viz.graph_view import LEGEND_PX, fitting_height

    p = open_page(server.url("seed"))
    p.page.set_viewport_size({"width": size[0], "height": size[1]})
    m = _settled(p.page)
    view = BUILT["seed"][-1]
    planned = fitting_height(view.graph_view.layout)  # from the graph's shape alone
    # the legend above the plot and the plot share the planned column
    assert abs(m["column"] - (planned + LEGEND_PX)) <= 1, (m, planned)
    assert planned - 1 <= m["inner_height"] <= planned + LEGEND_PX, (m, planned)
    assert m["fig_bottom"] < m["window_height"] - 200  # the seed graph is not stretched


WATCH_HEIGHT = """
() => {
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
  for (const v of Object.values(Bokeh.index)) walk(v);
  const fig = views.find(v => v.model && v.model.name === 'gv_graph');
  window.gv_heights = [];
  fig.model.properties.inner_height.change.connect(() => window.gv_heights.push(fig.model.inner_height));
}
"""


def test_stepping_does_not_resize_the_plot_at_every_step(server, open_page):
    # The sentence above the plot wraps to more or fewer lines from one Step to the next; a plot
    # that followed it exactly would be laid out and painted again at each such Step (and jump).
    # It is resized only when the page would overflow (a sentence longer than any before).
    from gradviz.viz.window_fit import SLACK_PX

    p = open_page(server.url("gpt"))
    _settled(p.page)
    p.page.evaluate(WATCH_HEIGHT)
    n = BUILT["gpt"][-1].stepper.total
    tops = [round(p.page.evaluate(MEASURE)["fig_top"])]
    for k in range(1, 11):
        p.click("Step")
        p.wait_text(f"step {k} of {n}")
        m = _settled(p.page)
        tops.append(round(m["fig_top"]))
        assert m["scroll_height"] <= m["window_height"], f"step {k}: the page scrolls: {m}"
        assert m["fig_bottom"] >= m["window_height"] - 2 * SLACK_PX - SLACK_PX, f"step {k}: {m}"
    moves = sum(1 for a, b in zip(tops, tops[1:]) if a != b)
    new_lows = sum(1 for i in range(1, len(tops)) if tops[i] > max(tops[:i]))
    assert moves >= 3, f"the page above the plot hardly changed ({tops}): the test shows nothing"
    resized = p.page.evaluate("() => window.gv_heights")
    # once for each sentence longer than any before it, not at every change
    assert len(resized) <= new_lows < moves, (
        f"the plot was resized {len(resized)} times in 10 steps: {resized}; its top: {tops}")


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
def test_a_page_opened_in_another_window_size_fills_it(server, ui_browser, size):
    context = ui_browser.new_context(viewport={"width": size[0], "height": size[1]},
                                     device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(server.url("gpt"))
        page.wait_for_selector("canvas", timeout=20_000)
        m = _settled(page)
        _assert_fills(m, f"{size[0]}x{size[1]}")
        if m["side"]["top"] < m["fig_bottom"] - 1:  # side panel beside the plot: no scrollbar
            assert m["scroll_height"] <= m["window_height"], f"the page scrolls: {m}"
    finally:
        context.close()
