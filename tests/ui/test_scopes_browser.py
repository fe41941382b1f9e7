"""Big graphs in a real browser: scope boxes open and close in place, search jumps there,
the minimap moves the view, and stepping with closed boxes ends with backward()'s gradients.

Skips without a browser; fails instead under GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("panel")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import graphs  # noqa: E402

BUILT: dict = {}  # app name -> the explorers its pages were given (server side)


def gpt_app(n_layers=4, **kwargs):
    def factory():
        from gradviz.viz import Explorer

        loss, names = graphs.gpt_like(n_layers=n_layers, n_heads=2)
        BUILT.setdefault("n_layers", n_layers)
        view = Explorer(loss, names=names, **kwargs)
        BUILT.setdefault("gpt", []).append((view, loss, names))
        return view
    return factory


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"gpt": gpt_app(n_layers=3)})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


PLOT_POINT = """
([x, y]) => {
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
  for (const v of Object.values(Bokeh.index)) walk(v);
  const plot = views.find(v => v.model && v.model.name === 'gv_graph');
  const rect = plot.el.getBoundingClientRect();
  return {x: rect.left + plot.frame.x_scale.compute(x), y: rect.top + plot.frame.y_scale.compute(y)};
}
"""

SHOW = """
([x, y]) => {
  const d = Bokeh.documents[0];
  const xr = d.get_model_by_name('gv_x_range'), yr = d.get_model_by_name('gv_y_range');
  const w = xr.end - xr.start, h = yr.end - yr.start;
  xr.setv({start: x - w / 2, end: x + w / 2});
  yr.setv({start: y - h / 2, end: y + h / 2});
}
"""


def _idle(page):
    page.wait_for_function("Bokeh.documents.every(d => d.is_idle)")
    page.wait_for_timeout(200)


def _click_data(page, x, y):
    """A real mouse click on the main plot at data point (x, y), brought into view first."""
    page.evaluate(SHOW, [x, y])
    _idle(page)
    spot = page.evaluate(PLOT_POINT, [x, y])
    page.mouse.click(spot["x"], spot["y"])


def _drawn_positions(p):
    out = {}
    for src, key in (("gv_tensors", "id"), ("gv_functions", "id"), ("gv_scope_boxes", "id")):
        for n, x, y in zip(p.column(src, key), p.column(src, "x"), p.column(src, "y")):
            out[n] = (round(x, 6), round(y, 6))
    return out


def test_a_box_opens_in_place_and_closing_restores_every_position(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    before = _drawn_positions(p)
    boxes = p.column("gv_scope_boxes", "id")
    assert boxes, "the first view of a big model shows closed scope boxes"
    i = len(boxes) // 2
    box, bx, by = boxes[i], p.column("gv_scope_boxes", "x")[i], p.column("gv_scope_boxes", "y")[i]
    _click_data(page, bx, by)
    page.wait_for_function("(b) => !Bokeh.documents[0].get_model_by_name('gv_scope_boxes')"
                           ".data.id.includes(b)", arg=box)
    _idle(page)
    frames = p.column("gv_scope_frames", "box")
    assert box in frames
    opened = _drawn_positions(p)
    assert len(opened) > len(before)
    # everything else kept its left-to-right order
    others = sorted((n for n in before if n != box), key=lambda n: before[n][0])
    xs = [opened[n][0] for n in others]
    assert all(a <= b + 1e-6 for a, b in zip(xs, xs[1:]))
    # close it through its title bar
    k = frames.index(box)
    tx, ty = p.column("gv_scope_frames", "title_x")[k], p.column("gv_scope_frames", "title_y")[k]
    _click_data(page, tx, ty)
    page.wait_for_function("(b) => Bokeh.documents[0].get_model_by_name('gv_scope_boxes')"
                           ".data.id.includes(b)", arg=box)
    _idle(page)
    assert _drawn_positions(p) == before
    assert not p.errors


def test_search_jumps_to_the_node_and_opens_its_scopes(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    field = page.get_by_placeholder("Find: name, op (MmBackward0), shape (3x4), scope (blocks.3)")
    field.fill("blocks.2 softmax")
    field.press("Enter")
    p.wait_contains("1 of 2: SoftmaxBackward0 in")
    _idle(page)
    view, *_ = BUILT["gpt"][-1]
    target = view.search("blocks.2 softmax")[0]
    assert view.G.nodes[target]["label"] == "SoftmaxBackward0"
    ids = p.column("gv_functions", "id")
    assert target in ids  # drawn itself: its scopes were opened
    x = p.column("gv_functions", "x")[ids.index(target)]
    xr = page.evaluate("() => { const r = Bokeh.documents[0].get_model_by_name('gv_x_range');"
                       " return [r.start, r.end]; }")
    assert xr[0] <= x <= xr[1]
    assert not p.errors


def test_find_clicked_right_after_typing_then_step(server, open_page):
    """Typing leaves a change for Panel to send to Python; a click that arrives meanwhile is
    run by Panel outside the document's lock. Find and Step redraw Bokeh sources: that must
    still work, and leave the view whole for the next Steps."""
    p = open_page(server.url("gpt"))
    page = p.page
    field = page.get_by_placeholder("Find: name, op (MmBackward0), shape (3x4), scope (blocks.3)")
    field.fill("blocks.2 softmax")
    page.get_by_role("button", name="Find", exact=True).click()
    p.wait_contains("1 of 2: SoftmaxBackward0 in")
    _idle(page)
    step = page.get_by_role("button", name="Step", exact=True)
    for _ in range(3):
        step.click()
    p.wait_contains("step 3 of")
    _idle(page)
    view, *_ = BUILT["gpt"][-1]
    assert view.timeline.position == 3
    assert not p.errors
    assert not server.log.records, "\n".join(server.log.records)


def test_the_minimap_moves_the_view(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    # click the minimap at a quarter of its width: the main view centres on that data point
    info = page.evaluate("""() => {
        const views = [];
        const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
        for (const v of Object.values(Bokeh.index)) walk(v);
        const mini = views.find(v => v.model && v.model.name === 'gv_minimap');
        const r = mini.el.getBoundingClientRect();
        const f = mini.frame;
        const sx = f.bbox.left + f.bbox.width * 0.25, sy = f.bbox.top + f.bbox.height * 0.5;
        return {px: r.left + sx, py: r.top + sy, x: f.x_scale.invert(sx), y: f.y_scale.invert(sy)};
    }""")
    page.mouse.click(info["px"], info["py"])
    page.wait_for_timeout(300)
    xr = page.evaluate("() => { const r = Bokeh.documents[0].get_model_by_name('gv_x_range');"
                       " return [r.start, r.end]; }")
    assert (xr[0] + xr[1]) / 2 == pytest.approx(info["x"], abs=(xr[1] - xr[0]) * 0.02)
    # the window rectangle followed
    win = p.column("gv_minimap_window", "x")[0]
    assert win == pytest.approx(info["x"], abs=(xr[1] - xr[0]) * 0.02)
    # dragging moves it too
    page.mouse.move(info["px"], info["py"])
    page.mouse.down()
    page.mouse.move(info["px"] + 60, info["py"], steps=6)
    page.mouse.up()
    page.wait_for_timeout(300)
    xr2 = page.evaluate("() => { const r = Bokeh.documents[0].get_model_by_name('gv_x_range');"
                        " return [r.start, r.end]; }")
    assert (xr2[0] + xr2[1]) / 2 > (xr[0] + xr[1]) / 2
    assert not p.errors


def test_stepping_with_closed_scopes_ends_with_backwards_grads(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    view, loss, names = BUILT["gpt"][-1]
    assert p.column("gv_scope_boxes", "id")
    for _ in range(5):
        p.click("Step")
        page.mouse.move(5, 5)  # the button's tooltip would cover its neighbours
    page.wait_for_timeout(200)
    # the current step is inside a closed box: that box is highlighted
    fills = p.column("gv_scope_boxes", "fill")
    cur = view.graph_view._current_item()
    if cur in p.column("gv_scope_boxes", "id"):
        assert fills[p.column("gv_scope_boxes", "id").index(cur)] == "#ffe066"
    p.click("Run")
    # the counter reads "step n of n" when the pass is done
    page.wait_for_function("""() => {
        const find = (root) => { for (const el of root.querySelectorAll('*')) {
            if (el.children.length === 0 && /^\\s*step (\\d+) of \\1\\s*$/.test(el.textContent)) return el;
            if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; } } return null; };
        return !!find(document); }""", timeout=30_000)
    shown = {n: g for n, g in view.leaf_grads().items()}
    # the same model, built again, and backward() at once
    loss2, names2 = graphs.gpt_like(n_layers=3, n_heads=2)
    loss2.backward()
    ids = view.G.graph["ids"]
    checked = 0
    for name, t in names.items():
        if getattr(t, "requires_grad", False) and t.is_leaf:
            got = shown[name] if name in shown else shown.get(ids.get(id(t)))
            np.testing.assert_allclose(np.asarray(got), names2[name].grad.numpy(), rtol=1e-5, atol=1e-7)
            checked += 1
    assert checked > 50
    assert not p.errors
