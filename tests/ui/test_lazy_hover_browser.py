"""Hover text sent when hovered, in a served explorer (``gradviz.viz.lazy_hover``): the page
starts without it, a hovered tensor, function or edge shows its text once Python answered,
without the pointer moving, and a Step that changes a gradient under a tooltip shows the new one.
Numbers from the seed README (PyTorch 2.13); a 3-layer GPT's LayerNorm weights are ones.

Skips without a browser; fails instead under GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("panel")

from tests.graph_programs import seed_graph  # noqa: E402

SEED_Z = [-0.1973, -1.3290, -0.4027]    # z = x @ w + b
SEED_GRAD = [0.1503, 0.0698, 0.1336]    # dloss/dz (= b.grad)


def lazy_seed():
    from gradviz.viz import Explorer

    v = seed_graph()
    return Explorer(v["loss"], names=v, lazy_hover=True)


def small_gpt():
    from gradviz.viz import Explorer

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import graphs

    loss, names = graphs.gpt_like(n_layers=3, n_heads=2)
    return Explorer(loss, names=names, scopes="all")  # 335 nodes: lazy by default


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"seed": lazy_seed, "gpt": small_gpt})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


def numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)])


# Where data point (x, y) of the graph is on the page.
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
# The text of the tooltips shown now (their content lives in shadow roots, after a <style>).
TOOLTIP_TEXT = """
() => Array.from(document.querySelectorAll('.bk-Tooltip'))
  .filter(e => getComputedStyle(e).display !== 'none')
  .map(e => Array.from((e.shadowRoot || e).childNodes)
    .filter(n => n.nodeName !== 'STYLE').map(n => n.textContent).join(' '))
  .join(' | ').replace(/\\s+/g, ' ').trim()
"""


def point_at(p, x, y):
    spot = p.page.evaluate(PLOT_POINT, [x, y])
    p.page.mouse.move(spot["x"] - 30, spot["y"] - 30)
    p.page.mouse.move(spot["x"], spot["y"], steps=4)


def wait_tooltip(p, predicate, what: str, timeout_ms: int = 8_000) -> str:
    """The tooltip text once ``predicate(text)`` holds, the pointer not moving meanwhile."""
    seen = []
    for _ in range(timeout_ms // 50):
        text = p.page.evaluate(TOOLTIP_TEXT)
        if not seen or seen[-1] != text:
            seen.append(text)
        if predicate(text):
            return text
        p.page.wait_for_timeout(50)
    raise AssertionError(f"the tooltip never showed {what}; it showed, in turn: {seen}")


def row(p, source, column, value):
    return p.column(source, column).index(value)


def test_seed_hovers_answer_with_the_readme_numbers_and_follow_a_step(server, open_page):
    from gradviz import to_networkx

    p = open_page(server.url("seed"))
    page = p.page
    p.wait_text("step 0 of 8")
    keys = page.evaluate("Object.keys(Bokeh.documents[0].get_model_by_name('gv_tensors').data)")
    assert "value_text" not in keys and "grad_text" not in keys
    # z: its value (the README's), no gradient yet
    i = row(p, "gv_tensors", "label", "z")
    zx, zy = p.column("gv_tensors", "x")[i], p.column("gv_tensors", "y")[i]
    point_at(p, zx, zy)
    text = wait_tooltip(p, lambda t: "none yet" in t and "…" not in t, "z's value")
    assert text.startswith("z (3,) float32 · intermediate")
    np.testing.assert_allclose(numbers(text.split(" value ", 1)[1].rsplit(" grad ", 1)[0]), SEED_Z, atol=2e-4)
    cached = page.evaluate("Array.from(Bokeh.documents[0].get_model_by_name('gv_hover_text')"
                           ".data.key)")
    assert sorted(k.split("\x01")[1] for k in cached) == \
        ["grad", "requires_grad", "role", "shape", "value"]  # z's, asked for when hovered

    # the function z flows into: its rule (the graph's), and what it saved (PyTorch's BCE
    # keeps its input and target, both of z's shape)
    v = seed_graph()
    G = to_networkx(v["loss"], v)
    bce = next(n for n, d in G.nodes(data=True) if d["label"] == "BinaryCrossEntropyWithLogitsBackward0")
    j = row(p, "gv_functions", "id", bce)
    point_at(p, p.column("gv_functions", "x")[j], p.column("gv_functions", "y")[j])
    text = wait_tooltip(p, lambda t: "saved: self" in t, "BCE's saved tensors")
    assert G.nodes[bce]["rule"] in text and "saved: self (3), target (3)" in text

    # the edge z -> BCE, at the middle of its longest segment: nothing crossed it yet
    us, vs = p.column("gv_edges", "u"), p.column("gv_edges", "v")
    k = next(k for k in range(len(us)) if (us[k], vs[k]) == (p.column("gv_tensors", "id")[i], bce))
    xs, ys = p.column("gv_edges", "xs")[k], p.column("gv_edges", "ys")[k]
    s = max(range(len(xs) - 1), key=lambda s: abs(xs[s + 1] - xs[s]) + abs(ys[s + 1] - ys[s]))
    ex, ey = (xs[s] + xs[s + 1]) / 2, (ys[s] + ys[s + 1]) / 2
    point_at(p, ex, ey)
    text = wait_tooltip(p, lambda t: "gradient on z →" in t and "not crossed yet" in t,
                        "the edge's 'not crossed yet'")

    # back on z, and Step twice without moving the pointer: BCE sends dloss/dz to z
    point_at(p, zx, zy)
    wait_tooltip(p, lambda t: "none yet" in t and "…" not in t, "z again")
    step = page.get_by_role("button", name="Step", exact=True)
    step.dispatch_event("click")  # (a DOM click: the pointer stays on z)
    p.wait_text("step 1 of 8")
    step.dispatch_event("click")
    p.wait_text("step 2 of 8")
    text = wait_tooltip(p, lambda t: "grad" in t and "none yet" not in t and "…" not in t,
                        "z's new gradient")
    np.testing.assert_allclose(numbers(text.rsplit(" grad ", 1)[1]), SEED_GRAD, atol=2e-4)
    # the edge's tooltip says what crossed it, not what the cache held before the step
    point_at(p, ex, ey)
    text = wait_tooltip(p, lambda t: "gradient on z →" in t and "…" not in t and
                        "not crossed yet" not in t, "the edge's gradient")
    np.testing.assert_allclose(numbers(text), SEED_GRAD, atol=2e-4)
    # Back: z has no gradient again
    point_at(p, zx, zy)
    page.get_by_role("button", name="Back", exact=True).dispatch_event("click")
    p.wait_text("step 1 of 8")
    wait_tooltip(p, lambda t: t.startswith("z ") and "none yet" in t, "z's gradient gone")
    assert not p.errors


def test_a_big_graphs_page_asks_for_the_text_of_what_is_hovered(server, open_page):
    p = open_page(server.url("gpt"))
    page = p.page
    for name in ("gv_tensors", "gv_functions", "gv_edges"):
        keys = page.evaluate(f"Object.keys(Bokeh.documents[0].get_model_by_name('{name}').data)")
        assert not {"value_text", "grad_text", "shape_text", "rule", "saved_text"} & set(keys)
    labels = p.column("gv_tensors", "label")
    i = next(i for i, label in enumerate(labels) if label.endswith("ln_f.weight"))
    x, y = p.column("gv_tensors", "x")[i], p.column("gv_tensors", "y")[i]
    page.evaluate("""([x, y]) => {
        const d = Bokeh.documents[0];
        const xr = d.get_model_by_name('gv_x_range'), yr = d.get_model_by_name('gv_y_range');
        const w = xr.end - xr.start, h = yr.end - yr.start;
        xr.setv({start: x - w / 2, end: x + w / 2});
        yr.setv({start: y - h / 2, end: y + h / 2});
    }""", [x, y])
    page.wait_for_function("Bokeh.documents.every(d => d.is_idle)")
    page.wait_for_timeout(300)
    point_at(p, x, y)
    # a LayerNorm's weight starts as ones: 24 of them
    text = wait_tooltip(p, lambda t: labels[i] in t and "…" not in t, "the weight's value")
    assert "24: min 1, max 1, mean 1" in text and "none yet" in text
    assert not p.errors


# --- a live notebook: the kernel answers --------------------------------------------------------
def _jupyter_helpers():
    """tests/ui/test_jupyter.py's helpers (tests/ has no packages to import them from)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gv_test_jupyter",
                                                  Path(__file__).with_name("test_jupyter.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server (as test_jupyter.py starts one) with a notebook that shows the seed
    graph's explorer with its hover text sent lazily."""
    tj = _jupyter_helpers()
    tj._require("jupyterlab")
    nbformat = tj._require("nbformat")

    folder = tmp_path_factory.mktemp("lab")
    root = Path(__file__).resolve().parents[2]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {str(root)!r})\n"
        "import gradviz\nfrom tests.graph_programs import seed_graph\n"
        "v = seed_graph()\ngradviz.explore(v['loss'], names=v, lazy_hover=True, offline=False)")]
    nbformat.write(nb, folder / "hover.ipynb")
    with tj.running_jupyter(folder) as base:
        yield SimpleNamespace(url=f"{base}/lab/tree/hover.ipynb?token={tj.TOKEN}", folder=folder,
                              helpers=tj)


def test_in_jupyterlab_the_kernel_answers_a_hover_and_a_step_refreshes_it(ui_browser, lab):
    tj, log = lab.helpers, lab.folder / "server.log"
    context = ui_browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.gv_errors = []
    page.on("pageerror", lambda e: page.gv_errors.append(str(e)))
    try:
        page.goto(lab.url)
        tj._wait_state(page, tj._IDLE + " && s.cells > 0", "the kernel did not start", 180, log)
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        tj._wait_state(page, "s.ran === s.cells && s.running === 0 && " + tj._IDLE,
                       "the cell did not run", 300, log)
        page.get_by_text("step 0 of 8", exact=True).first.wait_for(timeout=120_000)
        page.wait_for_function(f"() => {{ const cs = ({tj._COMMS})(); "
                               "return cs.length > 0 && cs.every((c) => c.open && c.free); }",
                               timeout=60_000, polling=250)
        xy = page.evaluate("""() => {
            const doc = Bokeh.documents.find(d => d.get_model_by_name('gv_tensors') != null);
            const d = doc.get_model_by_name('gv_tensors').data;
            const i = Array.from(d.label).indexOf('z');
            return [d.x[i], d.y[i], 'value_text' in d];
        }""")
        assert xy[2] is False  # the output holds no hover text
        p = SimpleNamespace(page=page)
        point_at(p, xy[0], xy[1])
        text = wait_tooltip(p, lambda t: "none yet" in t and "…" not in t, "z's value", 20_000)
        np.testing.assert_allclose(numbers(text.split(" value ", 1)[1].rsplit(" grad ", 1)[0]),
                                   SEED_Z, atol=2e-4)
        step = page.get_by_role("button", name="Step", exact=True).first
        step.dispatch_event("click")  # (the pointer stays on z)
        page.get_by_text("step 1 of 8", exact=True).first.wait_for(timeout=60_000)
        step.dispatch_event("click")
        page.get_by_text("step 2 of 8", exact=True).first.wait_for(timeout=60_000)
        text = wait_tooltip(p, lambda t: "none yet" not in t and "…" not in t, "z's gradient",
                            20_000)
        np.testing.assert_allclose(numbers(text.rsplit(" grad ", 1)[1]), SEED_GRAD, atol=2e-4)
        assert not page.gv_errors
    finally:
        context.close()
