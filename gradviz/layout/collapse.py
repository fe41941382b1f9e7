"""Collapsed scopes: the graph a person sees when some scopes are closed boxes.

The exported graph gives every node a ``scope`` (a tuple of names, outermost first; see
``gradviz.autograd.scope``). The scopes form a tree; a set of *open* scopes decides what is
drawn: a node whose scopes are all open is drawn itself, otherwise the outermost closed scope
around it is drawn as one box, and the edges between two drawn items are bundled into one.
Everything here is pure: (graph, scope tree, open set) -> visible graph, and the choices of
open sets (at most ~80 boxes first, open to a depth, open the scopes around a node).

Box ids are ``"s<k>"``, ``k`` the scope's index in the order the scopes were entered; node ids
(``t..``, ``fn..``) never start with ``s``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .. import progress

__all__ = ["ScopeTree", "ScopeInfo", "scope_tree", "visible_graph", "visible_item",
           "initial_open", "open_to_depth", "open_around", "box_lines", "MAX_BOXES"]

# A first view shows at most about this many items (nodes and boxes).
MAX_BOXES = 80


@dataclass
class ScopeInfo:
    """One scope: where it sits, what it holds, and what crosses its boundary."""

    path: tuple
    box: str  # the box id
    module: str | None  # the module's class, None for a gradviz.scope block
    children: list = field(default_factory=list)  # child scope paths, in order entered
    members: list = field(default_factory=list)  # node ids directly inside, in graph order
    n_nodes: int = 0  # nodes inside, at any depth
    n_functions: int = 0
    n_params: int = 0  # leaf tensors that require grad inside
    n_param_values: int = 0  # and how many numbers they hold
    inputs: list = field(default_factory=list)  # tensor ids outside feeding in, in order
    outputs: list = field(default_factory=list)  # tensor ids inside used outside (or roots)
    in_edges: list = field(default_factory=list, repr=False)  # fine edges entering
    out_edges: list = field(default_factory=list, repr=False)  # leaving ((root, None): a root)
    first: int = -1  # index of its first node in the graph's node order

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def depth(self) -> int:
        return len(self.path)


@dataclass
class ScopeTree:
    """The scopes of one graph. ``scopes`` maps path -> ScopeInfo (order: as entered);
    ``node_scope`` node id -> its scope path; ``by_box`` box id -> path; ``top`` the node ids and
    top-level scope paths at the top level."""

    scopes: dict
    node_scope: dict
    by_box: dict
    top_members: list
    top_children: list
    lca_edges: dict = field(default_factory=dict, repr=False)  # scope -> edges meeting in it

    @property
    def max_depth(self) -> int:
        return max((len(p) for p in self.scopes), default=0)

    def path(self, scope) -> tuple:
        """A scope given as a path tuple, a box id, or a name (the last element of its path,
        e.g. ``"blocks.3"``); raises KeyError naming what was not found."""
        if isinstance(scope, tuple):
            if scope in self.scopes:
                return scope
        elif isinstance(scope, str):
            if scope in self.by_box:
                return self.by_box[scope]
            hits = [p for p in self.scopes if p[-1] == scope]
            if hits:
                return min(hits, key=len)
        raise KeyError(f"no scope {scope!r} in this graph")

    def ancestors(self, path) -> list:
        """The scopes around ``path`` and itself, outermost first."""
        return [path[:k] for k in range(1, len(path) + 1)]


def scope_tree(G) -> ScopeTree:
    """The scope tree of an exported graph (nodes without a ``scope`` count as top level).

    Also keeps, per scope, the fine edges crossing its boundary (``in_edges``/``out_edges``),
    its first node's index (``first``), and per scope the edges whose ends meet first in it
    (``tree.lca_edges``): what a layout of one level needs, found in one pass.

    One pass over the nodes and one over the edges, with the per-scope work done once per
    distinct scope (a 50,000-node model has ~7,500) rather than once per node and ancestor."""
    progress.report("Finding the modules")
    node = G._node
    node_scope: dict = {}
    # per distinct scope tuple: [nodes, functions, params, param values, first index, members]
    agg: dict = {}
    top_members = []
    for i, (n, d) in enumerate(node.items()):
        s = d.get("scope") or ()
        if type(s) is not tuple:
            s = tuple(s)
        node_scope[n] = s
        if not s:
            top_members.append(n)
            continue
        a = agg.get(s)
        if a is None:
            a = agg[s] = [0, 0, 0, 0, i, []]
        a[0] += 1
        a[5].append(n)
        if d.get("kind") == "function":
            a[1] += 1
        elif d.get("role") == "leaf" and d.get("requires_grad"):
            a[2] += 1
            a[3] += _numel(d.get("shape"))
    order = list(G.graph.get("scopes") or {})
    classes = dict(G.graph.get("scopes") or {})
    known = set(order)
    for s in agg:  # scopes the graph did not list, in the order their first node came
        for k in range(1, len(s) + 1):
            if s[:k] not in known:
                known.add(s[:k])
                order.append(s[:k])
    scopes = {p: ScopeInfo(p, f"s{i}", classes.get(p)) for i, p in enumerate(order)}
    # Per distinct scope tuple, the infos of its prefixes (outermost first): no tuple slicing in
    # the loops over every edge below.
    chain = {s: [scopes[s[:k]] for k in range(1, len(s) + 1)] for s in agg}
    chain[()] = []
    top_children = []
    for p in order:
        (scopes[p[:-1]].children if len(p) > 1 else top_children).append(p)
    for s, (count, functions, params, values, first, members) in agg.items():
        scopes[s].members = members
        for info in chain[s]:
            info.n_nodes += count
            info.n_functions += functions
            info.n_params += params
            info.n_param_values += values
            if info.first < 0 or first < info.first:
                info.first = first
    lca_edges: dict = {}
    in_seen: dict = {}  # scope path -> tensors already in its inputs
    out_seen: dict = {}
    for u, targets in G._succ.items():
        su = node_scope[u]
        for v in targets:
            sv = node_scope[v]
            if su == sv:  # most edges: both ends in one scope, nothing crosses a frame
                edges = lca_edges.get(su)
                if edges is None:
                    edges = lca_edges[su] = []
                edges.append((u, v))
                continue
            c = _common(su, sv)
            lca_edges.setdefault(su[:c], []).append((u, v))
            for info in chain[sv][c:]:
                seen = in_seen.setdefault(info.path, set())
                if u not in seen:
                    seen.add(u)
                    info.inputs.append(u)
                info.in_edges.append((u, v))
            for info in chain[su][c:]:
                seen = out_seen.setdefault(info.path, set())
                if u not in seen:
                    seen.add(u)
                    info.outputs.append(u)
                info.out_edges.append((u, v))
    for r in G.graph.get("roots") or ():
        for info in chain.get(node_scope.get(r, ()), ()):
            seen = out_seen.setdefault(info.path, set())
            if r not in seen:
                seen.add(r)
                info.outputs.append(r)
            info.out_edges.append((r, None))
    tree = ScopeTree(scopes, node_scope, {i.box: p for p, i in scopes.items()},
                     top_members, top_children)
    tree.lca_edges = lca_edges
    return tree


def _numel(shape) -> int:
    n = 1
    for d in shape or ():
        n *= int(d)
    return n


def _common(a: tuple, b: tuple) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def visible_item(tree: ScopeTree, open_set, nid: str) -> str:
    """What stands for node ``nid``: itself, or the box of its outermost closed scope."""
    s = tree.node_scope[nid]
    for k in range(1, len(s) + 1):
        if s[:k] not in open_set:
            return tree.scopes[s[:k]].box
    return nid


def visible_graph(G, tree: ScopeTree, open_set) -> nx.DiGraph:
    """The graph drawn for ``open_set`` (scope paths that are open).

    Nodes: the graph's own nodes that are in open scopes only (their attributes shared, not
    copied), and one node per outermost closed scope: ``kind="scope"``, ``label`` (its name),
    ``scope`` (its path), ``module``, ``n_nodes``, ``n_functions``, ``n_params``,
    ``n_param_values``, ``inputs``/``outputs`` (boundary tensor ids), ``in_shapes``/
    ``out_shapes``. Edges: one per pair of drawn items, ``count`` fine edges bundled, ``edges``
    the fine ``(u, v)`` they stand for (an edge between two drawn nodes stands for itself and
    keeps its attributes)."""
    open_set = set(open_set)
    item_of_scope: dict = {}
    item: dict = {}
    node = G._node
    V = nx.DiGraph()
    for n, s in tree.node_scope.items():
        it = item_of_scope.get(s)
        if it is None:
            it = ""
            for k in range(1, len(s) + 1):
                if s[:k] not in open_set:
                    it = tree.scopes[s[:k]].box
                    break
            item_of_scope[s] = it
        if not it:
            item[n] = n
            V.add_node(n)
            V._node[n] = node[n]
        else:
            item[n] = it
            if it not in V:
                V.add_node(it, **box_attrs(G, tree.scopes[tree.by_box[it]]))
    for u, v, d in G.edges(data=True):
        a, b = item[u], item[v]
        if a == b:
            continue
        if a == u and b == v:
            V.add_edge(a, b, **d, count=1, edges=[(u, v)])
            continue
        e = V._succ[a].get(b)
        if e is None:
            V.add_edge(a, b, count=1, edges=[(u, v)])
        else:
            e["count"] += 1
            e["edges"].append((u, v))
    V.graph["roots"] = list(dict.fromkeys(item[r] for r in G.graph.get("roots") or () if r in item))
    return V


def box_attrs(G, info: ScopeInfo) -> dict:
    shape = lambda n: tuple(G.nodes[n].get("shape") or ())  # noqa: E731
    return dict(kind="scope", label=info.name, name=info.name, scope=info.path,
                module=info.module, box=info.box, n_nodes=info.n_nodes,
                n_functions=info.n_functions, n_params=info.n_params,
                n_param_values=info.n_param_values, inputs=list(info.inputs),
                outputs=list(info.outputs), in_shapes=[shape(n) for n in info.inputs],
                out_shapes=[shape(n) for n in info.outputs])


def box_lines(attrs: dict) -> list:
    """The lines a closed box shows: name, class, counts, shapes in and out."""
    lines = [str(attrs["label"])]
    lines.append(attrs.get("module") or "scope")
    counts = f"{attrs['n_nodes']:,} nodes"
    if attrs.get("n_params"):
        counts += f" · {attrs['n_param_values']:,} params"
    lines.append(counts)
    lines.append(f"in {_shapes(attrs['in_shapes'])} → out {_shapes(attrs['out_shapes'])}")
    return lines


def _shapes(shapes, limit: int = 2) -> str:
    if not shapes:
        return "—"
    text = ", ".join("(" + ", ".join(map(str, s)) + ")" if s else "scalar" for s in shapes[:limit])
    return text + (f" +{len(shapes) - limit}" if len(shapes) > limit else "")


# --- choosing what is open ----------------------------------------------------------------
def open_to_depth(tree: ScopeTree, depth: int) -> frozenset:
    """Every scope at most ``depth`` deep is open (0: all closed)."""
    return frozenset(p for p in tree.scopes if len(p) <= depth)


def shown_count(tree: ScopeTree, depth: int) -> int:
    """How many items are drawn when scopes up to ``depth`` are open."""
    nodes = sum(1 for s in tree.node_scope.values() if len(s) <= depth)
    return nodes + sum(1 for p in tree.scopes if len(p) == depth + 1)


def initial_open(tree: ScopeTree, limit: int = MAX_BOXES) -> frozenset:
    """The first open set: all of it when it fits in ``limit`` items; else as many whole levels
    as fit (at least the top level, however many items it has)."""
    best = 0
    for depth in range(1, tree.max_depth + 1):
        if shown_count(tree, depth) > limit:
            break
        best = depth
    return open_to_depth(tree, best)


def open_around(tree: ScopeTree, open_set, nid: str) -> frozenset:
    """``open_set`` plus every scope around node ``nid`` (so that it is drawn itself)."""
    if nid in tree.by_box:
        path = tree.by_box[nid][:-1]
    else:
        path = tree.node_scope[nid]
    return frozenset(open_set) | frozenset(tree.ancestors(path))


def close(tree: ScopeTree, open_set, path) -> frozenset:
    """``open_set`` without ``path`` and the scopes inside it: closing a box closes all of it,
    so opening it again shows its first level, as it was first shown."""
    n = len(path)
    return frozenset(p for p in open_set if p[:n] != path)
