"""The scoped graph view (Bokeh models, no browser): open/close, what is drawn, stepping with
closed boxes, bundled gradients."""
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("bokeh")

import gradviz as torch  # noqa: E402
from gradviz import nn  # noqa: E402
from gradviz.layout import collapse  # noqa: E402
from gradviz.timeline import Timeline  # noqa: E402
from gradviz.viz.scope_view import ScopeView, bundle_gradient  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import graphs  # noqa: E402


@pytest.fixture(scope="module")
def gpt():
    loss, names = graphs.gpt_like(n_layers=3, n_heads=2)
    return loss, names, torch.to_networkx(loss, names)


def _positions(view):
    return {n: view.drawing.positions[n] for n in view.shown()}


def test_first_view_is_small_and_matches_the_sources(gpt):
    _, _, G = gpt
    view = ScopeView(G)
    shown = view.shown()
    assert len(shown) <= collapse.MAX_BOXES
    boxes = [n for n in shown if G.nodes.get(n) is None]
    assert sorted(view.box_source.data["id"]) == sorted(boxes)
    drawn = set(view.tensor_source.data["id"]) | set(view.function_source.data["id"])
    assert drawn == set(shown) - set(boxes)
    assert len(view.edge_source.data["u"]) == view.visible.number_of_edges()


def test_expand_and_collapse_restore_positions_and_sources(gpt):
    _, _, G = gpt
    view = ScopeView(G)
    before = _positions(view)
    box_rows = dict(view.box_source.data)
    xr = (view.figure.x_range.start, view.figure.x_range.end)
    box = view.box_source.data["id"][len(box_rows["id"]) // 2]
    name = view.tree.by_box[box][-1]
    view.expand(box)
    assert box not in view.box_source.data["id"]
    assert any(name in t for t in view.frame_source.data["title"])
    assert len(view.shown()) > len(before)
    view.collapse(box)
    assert _positions(view) == before
    assert {k: list(v) for k, v in view.box_source.data.items()} == {k: list(v) for k, v in box_rows.items()}
    # opening anchored the view on the box, closing moved it back
    assert (view.figure.x_range.start, view.figure.x_range.end) == pytest.approx(xr)


def test_tapping_a_box_opens_it_and_the_title_bar_closes_it(gpt):
    _, _, G = gpt
    view = ScopeView(G)
    ids = view.box_source.data["id"]
    i = 0
    box = ids[i]
    view.box_source.selected.indices = [i]
    assert box not in view.shown() and view.tree.by_box[box] in view.open
    j = view.frame_source.data["box"].index(box)
    view.frame_source.selected.indices = [j]
    assert box in view.shown()


def test_search_and_reveal(gpt):
    _, _, G = gpt
    view = ScopeView(G)
    hits = view.search("blocks.2 softmax")
    assert hits and hits[0] not in view.shown()
    view.show_node(hits[0])
    assert hits[0] in view.shown()
    x, y = view.drawing.positions[hits[0]]
    xr, yr = view.figure.x_range, view.figure.y_range
    assert xr.start <= x <= xr.end and yr.start <= y <= yr.end


def _twin_grads(seed=0):
    """Leaf grads and one retained boundary gradient from a plain backward() on a twin."""
    torch.manual_seed(seed)
    lin1, lin2 = nn.Linear(3, 4), nn.Linear(4, 2)
    x0 = torch.randn(5, 3, requires_grad=True)
    x = x0 * 2.0  # an intermediate that enters the first box
    x.retain_grad()
    loss = torch.tanh(lin2(torch.relu(lin1(x)))).pow(2).sum()
    return loss, {"x0": x0, "x": x, "loss": loss}, lin1, lin2


def test_stepping_with_closed_boxes_ends_with_backwards_grads():
    loss, names, lin1, lin2 = _twin_grads()
    G = torch.to_networkx(loss, names)
    view = ScopeView(G, open_set=frozenset())
    tl = Timeline(G, loss)
    currents = []
    while tl.can_step():
        tl.step()
        nodes, edges, _ = tl.take_touched()
        view.update_nodes(G, nodes, tl.grads, "role", tl.current_node)
        view.update_edges(edges, tl.edge_grads, tl.fresh_edges)
        currents.append(view._current_item())
        # the box holding the current node is the highlighted one
        cur = view._current_item()
        fills = dict(zip(view.box_source.data["id"], view.box_source.data["fill"]))
        for b, f in fills.items():
            assert (f == "#ffe066") == (b == cur)
    boxes = set(view.box_source.data["id"])
    assert boxes & set(currents)  # the boxes were current while backward was inside them
    leaf_after_steps = {n: g.copy() for n, g in tl.leaf_grads().items() if g is not None}
    # the same model, backward() at once
    loss2, names2, l1b, l2b = _twin_grads()
    loss2.backward()
    by_label = {G.nodes[n]["label"]: g for n, g in leaf_after_steps.items()}
    np.testing.assert_allclose(by_label["x0"], names2["x0"].grad.numpy(), rtol=1e-6)
    ids = G.graph["ids"]
    for p, q in ((lin1.weight, l1b.weight), (lin1.bias, l1b.bias), (lin2.weight, l2b.weight)):
        np.testing.assert_allclose(leaf_after_steps[ids[id(p)]], q.grad.numpy(), rtol=1e-6)
    # the bundle from x into the first Linear's box carries x's whole gradient
    xid = next(n for n in G.nodes if G.nodes[n]["label"] == "x")
    box = view.item(next(iter(G.successors(xid))))
    assert box in view.tree.by_box
    g = view._visible_edge_grads([(xid, box)])[(xid, box)]
    np.testing.assert_allclose(g, names2["x"].grad.numpy(), rtol=1e-6)


def test_bundle_gradient_sums_per_source():
    a, b = np.ones(2), np.full(2, 2.0)
    assert bundle_gradient([("u", "f1"), ("u", "f2")], {("u", "f1"): a, ("u", "f2"): b}).tolist() == [3.0, 3.0]
    assert bundle_gradient([("u", "f1")], {}) is None
    big = np.full(2, 9.0)
    out = bundle_gradient([("u", "f1"), ("w", "f2")], {("u", "f1"): a, ("w", "f2"): big})
    assert out.tolist() == [9.0, 9.0]


def test_follow_scopes_opens_the_current_step():
    loss, names, *_ = _twin_grads()
    G = torch.to_networkx(loss, names)
    view = ScopeView(G, open_set=frozenset())
    view.follow_scopes = True
    tl = Timeline(G, loss)
    while tl.can_step():
        tl.step()
        nodes, edges, _ = tl.take_touched()
        view.update_nodes(G, nodes, tl.grads, "role", tl.current_node)
        view.update_edges(edges, tl.edge_grads, tl.fresh_edges)
        if tl.current_node is not None:
            assert tl.current_node in view.shown()


def test_a_wide_frame_names_itself_at_both_ends_and_a_narrow_one_at_its_start():
    from types import SimpleNamespace

    from gradviz.viz import style
    from gradviz.viz.scope_view import frame_columns

    info = SimpleNamespace(name="blocks.3", module="Block", box="s1")
    tree = SimpleNamespace(scopes={("blocks.3",): info, ("head",): SimpleNamespace(
        name="head", module="", box="s2")})
    # "▾ blocks.3  (Block)" is 19 characters: at ~0.6 em each, two of them and a margin take
    # 2 * 19 * 0.6 * LABEL_FONT_PX + 40 data units.
    need = 2 * 19 * 0.6 * style.LABEL_FONT_PX + 40
    drawing = SimpleNamespace(frames={("blocks.3",): (100.0, 0.0, 100.0 + need + 1, 50.0),
                                      ("head",): (0.0, 0.0, 30.0, 50.0)})
    cols = frame_columns(tree, drawing)
    wide, narrow = cols["path"].index("blocks.3"), cols["path"].index("head")
    assert cols["title"][wide] == "▾ blocks.3  (Block)"
    assert cols["end_title"][wide] == "▾ blocks.3  (Block)"
    assert cols["end_x"][wide] == 100.0 + need + 1 - 10
    assert cols["text_x"][wide] == 110.0
    assert cols["end_title"][narrow] == ""
    drawing.frames[("blocks.3",)] = (100.0, 0.0, 100.0 + need - 1, 50.0)
    assert frame_columns(tree, drawing)["end_title"][wide] == ""
