"""What a big graph's first page sends: the document holds what the first view draws, not what
the graph holds, and none of the models the page would build for nothing (heatmaps nothing
selected yet shows, muted glyph copies nothing mutes, hidden axes).

The browser half (a heatmap appears when a node is clicked) is tests/ui/test_first_render.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("panel")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import graphs  # noqa: E402


def _page(root, names):
    """The explorer of ``root``, the Bokeh document a page of it receives, its serialised
    size and its number of models (as sent: a test that selects a node adds the heatmaps)."""
    from bokeh.core.json_encoder import serialize_json
    from bokeh.document import Document

    from gradviz.viz.explorer import Explorer

    view = Explorer(root, names=names)
    doc = Document()
    doc.add_root(view.__panel__().get_root(doc))
    return view, doc, len(serialize_json(doc.to_json())), len(doc.models)


@pytest.fixture(scope="module")
def pages():
    from gradviz.examples import build

    seed = build("seed")
    return {"seed": _page(seed.root, seed.names),
            "gpt3": _page(*graphs.gpt_like(n_layers=3, n_heads=2)),
            "gpt12": _page(*graphs.gpt_like())}


def test_the_first_page_of_a_big_model_holds_no_heatmap_until_a_node_is_selected(pages):
    from bokeh.models import ColorBar, Plot

    view, doc, _, _ = pages["gpt12"]
    plots = [m for m in doc.models if isinstance(m, Plot)]
    assert view.graph_view.figure in plots
    assert not any(isinstance(m, ColorBar) and (m.name or "").startswith("gv_heatmap")
                   for m in doc.models)
    assert not view.inspector.value_map.built and not view.inspector.grad_map.built
    # Selecting a tensor of more than a few numbers builds and shows its heatmap, holding
    # exactly its value (strided to at most 64 x 64 cells: a 64-wide weight fits whole).
    nid, attrs = next((n, a) for n, a in view.G.nodes(data=True)
                      if a["kind"] == "tensor" and a["value"] is not None
                      and 7 <= a["value"].size <= 4096 and a["value"].ndim == 2)
    view.select(nid)
    hm = view.inspector.value_map
    assert hm.built and hm.pane.visible
    assert len(hm.pane.objects) == 1 and hm.pane.objects[0].object is hm.figure
    value = attrs["value"]
    assert sorted(hm.source.data["v"]) == sorted(value.ravel().astype(float).tolist())
    view.select("")
    assert not hm.pane.visible


def test_the_graph_figure_carries_no_muted_copies_and_no_hidden_axes(pages):
    from bokeh.models import Axis, Glyph, GlyphRenderer, Grid

    for name in ("seed", "gpt12"):
        fig = pages[name][0].graph_view.figure
        renderers = [r for r in fig.renderers if isinstance(r, GlyphRenderer)]
        assert renderers
        assert not any(isinstance(r.muted_glyph, Glyph) for r in renderers), name
        assert not any(isinstance(m, (Axis, Grid)) for m in
                       (*fig.center, *fig.above, *fig.below, *fig.left, *fig.right)), name


def test_the_first_page_grows_with_what_is_drawn_not_with_the_graph(pages):
    # gpt12 has 4x the layers (4,511 nodes against ~1,100) but its first view draws fewer
    # items (12 closed blocks instead of 3 open ones): its page must not be bigger than the
    # 3-layer one's beyond 2 kB (ids and numbers of other lengths), nor hold more models (the
    # same components; the 3-layer view also draws open frames).
    v3, _, s3, n3 = pages["gpt3"]
    v12, _, s12, n12 = pages["gpt12"]
    assert v12.G.number_of_nodes() > 3.5 * v3.G.number_of_nodes()
    extra_items = max(0, len(v12.shown()) - len(v3.shown()))
    assert s12 <= s3 + 2_000 + 600 * extra_items, (s3, s12, extra_items)
    assert n12 <= n3, (n3, n12)
    # Against the seed tutorial's page (the same explorer on 10 nodes): the big model adds its
    # search box, depth control and minimap (~20 models) and ~25 more drawn items (31 kB when
    # the first page was trimmed), then the page-side code of what only big graphs have: hover
    # text asked for when hovered (~2 kB), the plot fitted to the window (~3 kB), frame titles
    # kept in view (~6 kB): 47 kB measured. A fixed cost, not one that grows with the graph
    # (that is the check above): 50 kB.
    _, _, sseed, _ = pages["seed"]
    assert s12 - sseed <= 50_000, (sseed, s12)
