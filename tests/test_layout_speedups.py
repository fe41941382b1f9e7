"""The faster scope tree and shared level layouts draw exactly what the plain algorithms drew.

The reference below is the algorithm as it was before levels of the same shape shared their
layout and before the scope tree aggregated per distinct scope: ``scope_tree`` walked every
node's ancestors, and ``ScopedLayout.level`` laid out every level on its own. Positions, sizes,
frames, routes and bounds must be equal (not close) for many open sets of model-shaped and
random graphs.
"""
import random
import sys
from pathlib import Path

import networkx as nx
import pytest

import gradviz as torch
from gradviz.layout import collapse, scoped
from gradviz.layout.collapse import ScopeInfo, ScopeTree, _common, _numel
from gradviz.layout.layered import layered_layout
from gradviz.layout.scoped import REROUTE_UP_TO, SMALL_LEVEL, ScopedLayout
from gradviz.viz.graph_view import node_size

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import graphs  # noqa: E402

from test_collapse import random_scoped_program  # noqa: E402


# --- the reference: the algorithms before the speed-ups -----------------------------------
def reference_scope_tree(G) -> ScopeTree:
    node = G._node
    node_scope = {n: tuple(d.get("scope") or ()) for n, d in node.items()}
    order = list(G.graph.get("scopes") or {})
    classes = dict(G.graph.get("scopes") or {})
    known = set(order)
    distinct = list(dict.fromkeys(node_scope.values()))
    for s in distinct:
        for k in range(1, len(s) + 1):
            if s[:k] not in known:
                known.add(s[:k])
                order.append(s[:k])
    scopes = {p: ScopeInfo(p, f"s{i}", classes.get(p)) for i, p in enumerate(order)}
    seen_in = {p: set() for p in scopes}
    seen_out = {p: set() for p in scopes}
    chain = {s: [scopes[s[:k]] for k in range(1, len(s) + 1)] for s in distinct}
    top_children = []
    for p in order:
        (scopes[p[:-1]].children if len(p) > 1 else top_children).append(p)
    top_members = []
    for i, (n, s) in enumerate(node_scope.items()):
        d = node[n]
        (scopes[s].members if s else top_members).append(n)
        infos = chain[s]
        if not infos:
            continue
        is_function = d.get("kind") == "function"
        is_param = not is_function and d.get("role") == "leaf" and d.get("requires_grad")
        size = _numel(d.get("shape")) if is_param else 0
        for info in infos:
            info.n_nodes += 1
            if info.first < 0:
                info.first = i
            if is_function:
                info.n_functions += 1
            elif is_param:
                info.n_params += 1
                info.n_param_values += size
    lca_edges: dict = {}
    for u, v in G.edges():
        su, sv = node_scope[u], node_scope[v]
        c = len(su) if su == sv else _common(su, sv)
        lca_edges.setdefault(su[:c], []).append((u, v))
        if su == sv:
            continue
        for info in chain[sv][c:]:
            if u not in seen_in[info.path]:
                seen_in[info.path].add(u)
                info.inputs.append(u)
            info.in_edges.append((u, v))
        for info in chain[su][c:]:
            if u not in seen_out[info.path]:
                seen_out[info.path].add(u)
                info.outputs.append(u)
            info.out_edges.append((u, v))
    for r in G.graph.get("roots") or ():
        for info in chain.get(node_scope.get(r, ()), ()):
            if r not in seen_out[info.path]:
                seen_out[info.path].add(r)
                info.outputs.append(r)
            info.out_edges.append((r, None))
    tree = ScopeTree(scopes, node_scope, {i.box: p for p, i in scopes.items()},
                     top_members, top_children)
    tree.lca_edges = lca_edges
    return tree


class ReferenceLayout(ScopedLayout):
    """Every level laid out on its own (the order memo per path), as before."""

    def _level_graph(self, path):
        hit = self._levels.get(path)
        if hit is not None:
            return hit
        tree = self.tree
        g = nx.DiGraph()
        if path:
            info = tree.scopes[path]
            members, children = info.members, info.children
            ins = ["in:" + u for u in info.inputs]
            outs = ["out:" + u for u in info.outputs]
        else:
            info = None
            members, children = tree.top_members, tree.top_children
            ins, outs = [], []
        for p in ins:
            g.add_node(p)
        index = self._node_index
        items = [(index[n], n) for n in members]
        items += [(tree.scopes[c].first, tree.scopes[c].box) for c in children]
        for _, it in sorted(items):
            g.add_node(it)
        for p in outs:
            g.add_node(p)
        for u, v in tree.lca_edges.get(path, ()):
            a, b = self._item(path, u), self._item(path, v)
            if a != b:
                g.add_edge(a, b)
        if info is not None:
            for u, v in info.in_edges:
                g.add_edge("in:" + u, self._item(path, v))
            for u, v in info.out_edges:
                g.add_edge(self._item(path, u), "out:" + u)
        hit = (g, ins, outs)
        self._levels[path] = hit
        return hit

    def level(self, path, open_set):
        key = (path, self._inside(open_set).get(path, frozenset()))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        g, ins, outs = self._level_graph(path)
        sizes = {it: self._size_of(it, path, open_set) for it in g.nodes}
        small = bool(path) and g.number_of_nodes() <= SMALL_LEVEL
        lay = layered_layout(g, "LR", node_size=lambda v, a: sizes[v], first=ins, last=outs,
                             order_memo=self._orders.setdefault(path, {}),
                             reroute_up_to=REROUTE_UP_TO if path else None,
                             sweeps=1 if small else None,
                             rounds=4 if small else None, **self.kwargs)
        x0, y0, x1, y1 = lay.bounds
        hit = (lay, (max(x1 - x0, 0.0), max(y1 - y0, 0.0)))
        self._cache[key] = hit
        return hit


# --- graphs and open sets -----------------------------------------------------------------
def _model(name):
    loss, names = {
        "gpt": lambda: graphs.gpt_like(n_layers=2, n_heads=3, dim=6),
        "cnn": lambda: graphs.cnn_like(n_stages=2, blocks_per_stage=1),
        "rnn": lambda: graphs.rnn_like(steps=6),
    }[name]()
    return torch.to_networkx(loss, names)


GRAPHS = ["gpt", "cnn", "rnn"] + [f"random{seed}" for seed in range(6)]


def _graph(name):
    if name.startswith("random"):
        return torch.to_networkx(random_scoped_program(int(name[6:]), 80), {})
    return _model(name)


def _open_sets(tree, seed):
    rng = random.Random(seed)
    sets = [frozenset(), collapse.initial_open(tree), frozenset(tree.scopes)]
    sets += [collapse.open_to_depth(tree, d) for d in range(1, tree.max_depth + 1)]
    for _ in range(4):  # random sets whose open scopes sit in open scopes
        s = {p for p in tree.scopes if rng.random() < 0.6}
        sets.append(frozenset(p for p in s if all(q in s for q in tree.ancestors(p))))
    return list(dict.fromkeys(sets))


def _same_tree(a: ScopeTree, b: ScopeTree):
    assert list(a.scopes) == list(b.scopes)
    for p in a.scopes:
        x, y = a.scopes[p], b.scopes[p]
        for f in ("path", "box", "module", "children", "members", "n_nodes", "n_functions",
                  "n_params", "n_param_values", "inputs", "outputs", "in_edges", "out_edges",
                  "first"):
            assert getattr(x, f) == getattr(y, f), (p, f)
    assert a.node_scope == b.node_scope and list(a.node_scope) == list(b.node_scope)
    assert a.by_box == b.by_box
    assert a.top_members == b.top_members and a.top_children == b.top_children
    assert a.lca_edges == b.lca_edges and list(a.lca_edges) == list(b.lca_edges)


# --- the checks ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", GRAPHS)
def test_scope_tree_equals_the_reference(name):
    G = _graph(name)
    _same_tree(collapse.scope_tree(G), reference_scope_tree(G))


def test_scope_tree_of_the_50000_node_model_equals_the_reference():
    loss, names = graphs.big_model(target_nodes=8_000)
    G = torch.to_networkx(loss, names)
    _same_tree(collapse.scope_tree(G), reference_scope_tree(G))


@pytest.mark.parametrize("name", GRAPHS)
def test_drawings_equal_the_reference_for_many_open_sets(name):
    G = _graph(name)
    tree = collapse.scope_tree(G)
    fast = ScopedLayout(G, tree, node_size)
    ref_tree = reference_scope_tree(G)
    for k, open_set in enumerate(_open_sets(tree, hash(name) % 1000)):
        ref = ReferenceLayout(G, ref_tree, node_size)  # fresh: nothing carried between sets
        want = ref.drawing(open_set, collapse.visible_graph(G, ref_tree, open_set))
        got = fast.drawing(open_set, collapse.visible_graph(G, tree, open_set))
        assert got.positions == want.positions, (name, k)
        assert list(got.positions) == list(want.positions)
        assert got.sizes == want.sizes
        assert got.frames == want.frames
        assert got.routes == want.routes
        assert got.bounds == want.bounds


def test_levels_of_one_shape_are_laid_out_once(monkeypatch):
    """With every scope open, a GPT's repeated modules (3 heads x query/key/value Linears,
    2 blocks) are laid out once per shape: far fewer layouts than levels."""
    G = _model("gpt")
    tree = collapse.scope_tree(G)
    calls = []
    real = scoped.layered_layout
    monkeypatch.setattr(scoped, "layered_layout", lambda g, *a, **k: calls.append(g) or real(g, *a, **k))
    open_set = frozenset(tree.scopes)
    ScopedLayout(G, tree, node_size).drawing(open_set, collapse.visible_graph(G, tree, open_set))
    levels = len(tree.scopes) + 1
    assert len(calls) < levels / 2, (len(calls), levels)


# --- re-routing long edges: int32 counts summed in place, the same routes ---------------------
def reference_reroute_one(pos, layer, sizes, nodes_by_layer, layer_start, e_src, e_dst,
                          edge_start, head, tail, fd, s):
    import numpy as np

    lo, hi = int(layer[head]), int(layer[tail])
    G = hi - lo
    dummies = np.arange(fd, fd + s - 1)
    old = pos[dummies]
    inner = nodes_by_layer[layer_start[lo + 1]: layer_start[hi]]
    inner = inner[(inner < dummies[0]) | (inner > dummies[-1])]
    pos[inner] -= pos[inner] > old[layer[inner] - lo - 1]
    es, ed = e_src[edge_start[lo]: edge_start[hi]], e_dst[edge_start[lo]: edge_start[hi]]
    keep = ((es < dummies[0]) | (es > dummies[-1])) & ((ed < dummies[0]) | (ed > dummies[-1]))
    es, ed = es[keep], ed[keep]
    W = int(sizes[lo: hi + 1].max())
    H = np.zeros((G, W + 2, W + 2), dtype=np.int64)
    np.add.at(H, (layer[es] - lo, pos[es] + 1, pos[ed] + 1), 1)
    P = H.cumsum(1).cumsum(2)
    R, C = P[:, :, W + 1], P[:, W + 1, :]
    cost = R[:, :, None] + C[:, None, :] - 2 * P
    ph, pt = int(pos[head]), int(pos[tail])
    big = 1 << 40
    slots = np.arange(W + 2)
    width = sizes[lo + 1: hi] - 1
    first = R[0, ph] - P[0, ph, :] + C[0, :] - P[0, ph + 1, :]
    last = R[G - 1, :] - P[G - 1, :, pt + 1] + C[G - 1, pt] - P[G - 1, :, pt]
    best = np.where(slots <= width[0], first, big)
    back = []
    for g in range(1, G - 1):
        m = best[:, None] + cost[g]
        arg = m.argmin(0)
        back.append(arg)
        best = np.where(slots <= width[g], m[arg, slots], big)
    total = best + last
    end = int(total.argmin())
    current = int(first[old[0]] + last[old[-1]]) + int(cost[np.arange(1, G - 1), old[:-1], old[1:]].sum())
    gain = current - int(total[end])
    if gain > 0:
        new = np.empty(G - 1, dtype=np.int64)
        new[-1] = end
        for g in range(G - 3, -1, -1):
            new[g] = back[g][new[g + 1]]
    else:
        new, gain = old, 0
    pos[inner] += pos[inner] >= new[layer[inner] - lo - 1]
    pos[dummies] = new
    return gain


@pytest.mark.parametrize("name", ["rnn", "dag-resnet", "dag-branchy", "dag-mixed"])
def test_rerouting_equals_the_reference(name, monkeypatch):
    from gradviz.layout import ordering

    if name.startswith("dag-"):
        g = graphs.autograd_dag(600, seed=1, shape=name[4:])
    else:
        g = _model(name)
    calls = []
    real = ordering._reroute_one
    monkeypatch.setattr(ordering, "_reroute_one", lambda *a: calls.append(1) or real(*a))
    got = layered_layout(g, "LR")
    monkeypatch.setattr(ordering, "_reroute_one", reference_reroute_one)
    want = layered_layout(g, "LR")
    assert calls, "no long edge was re-routed: the graph does not test this"
    assert got.positions == want.positions and got.routes == want.routes
    assert got.crossings == want.crossings
