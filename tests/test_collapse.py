"""Collapsing scopes into boxes, and the layout that stays put as boxes open and close."""
import random
import sys
from pathlib import Path

import networkx as nx
import pytest

import gradviz as torch
from gradviz.layout import collapse
from gradviz.layout.scoped import ScopedLayout
from gradviz.viz.graph_view import node_size

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import graphs  # noqa: E402


def random_scoped_program(seed: int, n_ops: int = 60):
    """Ops on a pool of tensors, inside randomly nested (and re-entered) gradviz.scope blocks."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    pool = [torch.randn(3, requires_grad=True) for _ in range(3)] + [torch.randn(3)]
    names = ["alpha", "beta", "gamma", "delta"]

    def run(depth: int, budget: int):
        nonlocal pool
        while budget > 0:
            r = rng.random()
            if r < 0.2 and depth < 4:
                k = rng.randint(1, budget)
                with torch.scope(rng.choice(names)):
                    run(depth + 1, k)
                budget -= k
                continue
            a, b = rng.choice(pool[-6:]), rng.choice(pool)
            op = rng.choice(["add", "mul", "tanh", "sub"])
            out = {"add": lambda: a + b, "mul": lambda: a * b, "tanh": lambda: torch.tanh(a),
                   "sub": lambda: a - b}[op]()
            pool.append(out)
            budget -= 1

    run(0, n_ops)
    loss = sum(p for p in pool[-4:]).sum()
    return loss


def _graph(seed):
    loss = random_scoped_program(seed)
    return torch.to_networkx(loss, {})


SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_node_is_drawn_once_and_bundles_count_every_edge(seed):
    G = _graph(seed)
    tree = collapse.scope_tree(G)
    rng = random.Random(seed)
    open_set = {p for p in tree.scopes if rng.random() < 0.5}
    V = collapse.visible_graph(G, tree, open_set)
    # each fine node is drawn as itself exactly when every scope around it is open
    for n in G.nodes:
        s = G.nodes[n]["scope"]
        all_open = all(s[:k] in open_set for k in range(1, len(s) + 1))
        assert (n in V) == all_open
        item = collapse.visible_item(tree, open_set, n)
        assert item in V
    # the bundles stand for exactly the fine edges between different items
    crossing = [(u, v) for u, v in G.edges
                if collapse.visible_item(tree, open_set, u) != collapse.visible_item(tree, open_set, v)]
    bundled = [e for _, _, d in V.edges(data=True) for e in d["edges"]]
    assert sorted(bundled) == sorted(crossing)
    assert all(d["count"] == len(d["edges"]) for _, _, d in V.edges(data=True))
    # boxes count what they hold
    for b, d in V.nodes(data=True):
        if d["kind"] == "scope":
            inside = [n for n in G.nodes if G.nodes[n]["scope"][:len(d["scope"])] == d["scope"]]
            assert d["n_nodes"] == len(inside)


@pytest.mark.parametrize("seed", SEEDS)
def test_collapsed_graphs_stay_acyclic(seed):
    G = _graph(seed)
    tree = collapse.scope_tree(G)
    for depth in range(tree.max_depth + 1):
        V = collapse.visible_graph(G, tree, collapse.open_to_depth(tree, depth))
        assert nx.is_directed_acyclic_graph(V)


def test_rnn_cell_calls_collapse_without_cycles():
    loss, names = graphs.rnn_like(steps=8)
    G = torch.to_networkx(loss, names)
    tree = collapse.scope_tree(G)
    V = collapse.visible_graph(G, tree, frozenset())
    assert nx.is_directed_acyclic_graph(V)
    boxes = [d["label"] for _, d in V.nodes(data=True) if d["kind"] == "scope"]
    # 8 cell calls and 8 readout calls, each its own box
    assert sum(b.startswith("RNNCell") for b in boxes) == 8
    assert sum(b.startswith("Linear") for b in boxes) == 8


def test_box_attributes_for_a_linear():
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    x = torch.randn(5, 3)
    loss = lin(x).sum()
    G = torch.to_networkx(loss, {"x": x, "loss": loss})
    tree = collapse.scope_tree(G)
    V = collapse.visible_graph(G, tree, frozenset())
    (box,) = [d for _, d in V.nodes(data=True) if d["kind"] == "scope"]
    assert box["label"] == "Linear" and box["module"] == "Linear"
    assert box["n_params"] == 2 and box["n_param_values"] == 3 * 2 + 2
    assert box["in_shapes"] == [(5, 3)]
    assert box["out_shapes"] == [(5, 2)]
    lines = collapse.box_lines(box)
    assert lines[0] == "Linear" and "8 params" in lines[2] and "(5, 3)" in lines[3]
    # x -> box -> output of the sum: x, the box, SumBackward0 and loss
    assert V.number_of_nodes() == 4


def test_initial_open_shows_at_most_80_items_and_opens_whole_levels():
    loss, names = graphs.gpt_like()
    G = torch.to_networkx(loss, names)
    tree = collapse.scope_tree(G)
    open_set = collapse.initial_open(tree)
    V = collapse.visible_graph(G, tree, open_set)
    assert V.number_of_nodes() <= collapse.MAX_BOXES
    depth = max(len(p) for p in open_set)
    assert open_set == collapse.open_to_depth(tree, depth)
    # one more level would be too many
    deeper = collapse.visible_graph(G, tree, collapse.open_to_depth(tree, depth + 1))
    assert deeper.number_of_nodes() > collapse.MAX_BOXES
    assert collapse.shown_count(tree, depth) == V.number_of_nodes()
    # a small graph is shown whole
    small = torch.to_networkx(random_scoped_program(0, 20), {})
    st = collapse.scope_tree(small)
    assert collapse.initial_open(st) == frozenset(st.scopes)


def test_open_around_a_node_opens_all_its_scopes():
    loss, names = graphs.gpt_like(n_layers=2)
    G = torch.to_networkx(loss, names)
    tree = collapse.scope_tree(G)
    deep = max(G.nodes, key=lambda n: len(G.nodes[n]["scope"]))
    opened = collapse.open_around(tree, frozenset(), deep)
    assert deep in collapse.visible_graph(G, tree, opened)
    assert len(opened) == len(G.nodes[deep]["scope"])
    closed = collapse.close(tree, opened, G.nodes[deep]["scope"][:1])
    assert closed == frozenset()


def test_scope_lookup_by_name_box_and_path():
    loss, names = graphs.gpt_like(n_layers=4)
    G = torch.to_networkx(loss, names)
    tree = collapse.scope_tree(G)
    p = tree.path("blocks.3")
    assert p == ("GPT", "blocks", "blocks.3")
    assert tree.path(tree.scopes[p].box) == p
    assert tree.path(p) == p
    with pytest.raises(KeyError):
        tree.path("blocks.99")


# --- the layout ---------------------------------------------------------------------------
def _level_orders(SL, open_set):
    out = {}
    for path in [()] + list(SL.tree.scopes):
        if path and path not in open_set:
            continue
        lay, _ = SL.level(path, frozenset(open_set))
        out[path] = (lay.layers, lay.order)
    return out


def _inside(path, p):
    return p[:len(path)] == path


@pytest.mark.parametrize("seed", SEEDS)
def test_opening_keeps_orders_and_closing_returns_exactly(seed):
    G = _graph(seed)
    tree = collapse.scope_tree(G)
    rng = random.Random(seed)
    base = frozenset(p for p in tree.scopes if rng.random() < 0.4
                     and all(q in tree.scopes for q in tree.ancestors(p)))
    closed = [p for p in tree.scopes if p not in base and all(q in base for q in tree.ancestors(p)[:-1])]
    if not closed:
        pytest.skip("every scope is open in this draw")
    target = rng.choice(closed)
    SL = ScopedLayout(G, tree, node_size)
    before = SL.drawing(base, collapse.visible_graph(G, tree, base))
    orders_before = _level_orders(SL, base)
    opened = base | {target}
    after = SL.drawing(opened, collapse.visible_graph(G, tree, opened))
    orders_after = _level_orders(SL, opened)
    # every level that was drawn keeps its layers and orders: nothing else changed places
    for path, orders in orders_before.items():
        assert orders_after[path] == orders
    # the items outside the opened box keep their left-to-right and top-to-bottom order
    outside = [n for n in before.positions if n != tree.scopes[target].box]
    for a, b in zip(outside, outside[1:]):
        xa, ya = before.positions[a]
        xb, yb = before.positions[b]
        xa2, ya2 = after.positions[a]
        xb2, yb2 = after.positions[b]
        if xa < xb - 1e-6:
            assert xa2 < xb2
        if ya < yb - 1e-6 and abs(xa - xb) < 1e-6:
            assert ya2 < yb2
    # closing returns exactly to the drawing before, also for a fresh layout (no cache)
    again = SL.drawing(base, collapse.visible_graph(G, tree, base))
    fresh = ScopedLayout(G, tree, node_size).drawing(base, collapse.visible_graph(G, tree, base))
    assert again.positions == before.positions and again.routes == before.routes
    assert fresh.positions == before.positions and fresh.frames == before.frames


@pytest.mark.parametrize("seed", SEEDS[:6])
def test_items_do_not_overlap_and_sit_inside_their_frames(seed):
    G = _graph(seed)
    tree = collapse.scope_tree(G)
    open_set = frozenset(tree.scopes)
    SL = ScopedLayout(G, tree, node_size)
    V = collapse.visible_graph(G, tree, open_set)
    d = SL.drawing(open_set, V)
    boxes = {n: (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
             for n, ((x, y), (w, h)) in ((n, (d.positions[n], d.sizes[n])) for n in d.positions)}
    items = list(boxes.items())
    for i, (a, ra) in enumerate(items):
        for b, rb in items[i + 1:]:
            overlap = min(ra[2], rb[2]) - max(ra[0], rb[0]) > 1e-6 and \
                min(ra[3], rb[3]) - max(ra[1], rb[1]) > 1e-6
            assert not overlap, (a, b)
    for n, r in boxes.items():
        s = tree.node_scope[n] if n in G else tree.by_box[n][:-1]
        for k in range(1, len(s) + 1):
            f = d.frames[s[:k]]
            assert f[0] <= r[0] + 1e-6 and r[2] <= f[2] + 1e-6 and f[1] <= r[1] + 1e-6 and r[3] <= f[3] + 1e-6
    # every drawn edge has a route from its source's box to its target's box
    for (a, b), route in d.routes.items():
        assert len(route) >= 2
        (xa, _), (wa, _) = d.positions[a], d.sizes[a]
        (xb, _), (wb, _) = d.positions[b], d.sizes[b]
        assert route[0][0] == pytest.approx(xa + wa / 2, abs=1e-6)
        assert route[-1][0] == pytest.approx(xb - wb / 2, abs=1e-6)


def test_a_drawing_kept_for_an_open_set_is_what_a_fresh_layout_draws():
    """Drawings are kept per open set: one asked for again (kept, or evicted and redrawn
    after more open sets than are kept) must equal a fresh layout's drawing of that set."""
    from gradviz.layout.scoped import DRAWINGS_KEPT

    G = _graph(3)
    tree = collapse.scope_tree(G)
    SL = ScopedLayout(G, tree, node_size)
    sets = [frozenset()] + [collapse.open_to_depth(tree, d) for d in (1, 2, 3)]
    sets += [frozenset(tree.ancestors(p)) for p in list(tree.scopes)[:DRAWINGS_KEPT + 2]]
    first = {s: SL.drawing(s, collapse.visible_graph(G, tree, s)) for s in sets}
    for s in sets:
        kept = SL.drawing(s, collapse.visible_graph(G, tree, s))
        fresh = ScopedLayout(G, tree, node_size).drawing(s, collapse.visible_graph(G, tree, s))
        assert kept.positions == fresh.positions and kept.routes == fresh.routes
        assert kept.frames == fresh.frames and kept.bounds == fresh.bounds
        assert first[s].positions == fresh.positions
