"""The first page of a big model in a real browser: the inspector's heatmaps are not part of it,
and clicking a node builds them there and then, showing the node's numbers.

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

BUILT: list = []  # the explorers the pages were given (server side)


def gpt_app():
    from gradviz.viz import Explorer

    loss, names = graphs.gpt_like(n_layers=2, n_heads=2)
    view = Explorer(loss, names=names, scopes="all")  # every node drawn: a leaf to click
    BUILT.append(view)
    return view


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"gpt": gpt_app})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


HEATMAP = """(title) => {
  const doc = Bokeh.documents[0];
  const bar = doc.get_model_by_name('gv_heatmap_colour_bar_' + title);
  if (bar == null) return null;
  const plot = [...doc.all_models].find((m) => Array.isArray(m.below) && m.below.includes(bar));
  const view = Bokeh.index.find_one(plot);
  return {v: Array.from(plot.renderers[0].data_source.data.v),
          drawn: view != null && view.el.isConnected && view.el.getBoundingClientRect().height > 50};
}"""


def test_a_heatmap_is_built_when_a_node_is_clicked_and_shows_its_numbers(server, open_page):
    p = open_page(server.url("gpt"))
    view = BUILT[-1]
    assert p.page.evaluate(HEATMAP, "value") is None  # not sent with the first page
    label, value = next((a["label"], a["value"]) for a in view.G.nodes.values()
                        if a["kind"] == "tensor" and a.get("role") == "leaf"
                        and a["value"] is not None and 7 <= a["value"].size <= 4096)
    p.select(label)
    p.page.locator('.gv-array[data-field="value"]').first.wait_for(timeout=10_000)
    p.page.wait_for_function(f"() => {{ const h = ({HEATMAP})('value'); "
                             f"return h !== null && h.drawn; }}", timeout=10_000)
    shown = p.page.evaluate(HEATMAP, "value")
    np.testing.assert_allclose(sorted(shown["v"]), sorted(np.asarray(value, float).ravel()))
    assert not p.errors, p.errors
