"""Layout of a graph with scopes, some open, some closed, that stays put as boxes open and close.

Each scope is laid out on its own, as one layered drawing of what sits directly inside it: its
nodes, its child scopes (each one item, however big), and *ports*: one per tensor entering from
outside (pinned to the first layer) and one per tensor leaving (pinned to the last), so edges
enter a box on its left and leave on its right. An open child is an item as big as its own
drawing plus a frame; a closed child is a box as big as its label.

Why this is stable: a layered layout's layers and the order within each layer depend only on
the graph's structure, never on the sizes of its items, and the structure of every level is
fixed by the graph. Opening a box changes one item's size in each level above it, so everything
else keeps its layer and its order (it only moves to make room), and closing it again gives back
exactly the drawing it had (each level's layout is a deterministic function of its structure and
the sizes of its items, cached by the open scopes inside it).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

import networkx as nx

from .. import progress
from .collapse import ScopeTree, box_lines, box_attrs
from .layered import layered_layout
from .model import CHAR_WIDTH, LINE_HEIGHT, PADDING, Layout

PORT = 4.0  # size of a port: a point on the frame, drawn as nothing
FRAME_PAD = 14.0  # room between an open box's frame and its contents
TITLE = 22.0  # room for an open box's title, above its contents
# Re-routing long edges is worth its time on a level of a few hundred items; above, a level with
# many long edges (a weight shared by every call of an RNN cell) would take seconds.
REROUTE_UP_TO = 3_000
SMALL_LEVEL = 24  # items: below this a level is laid out with fewer sweeps and rounds
DRAWINGS_KEPT = 8  # drawings of recent open sets kept per layout


@dataclass(frozen=True)
class ScopedDrawing:
    """Where everything drawn for one open set goes (data coordinates, y up).

    positions/sizes: drawn item (node id or closed box id) -> centre / (width, height).
    frames:  open scope path -> (x0, y0, x1, y1) of its frame.
    routes:  (a, b) edge of the visible graph -> polyline.
    bounds:  (xmin, ymin, xmax, ymax)."""

    positions: dict
    sizes: dict
    frames: dict
    routes: dict
    bounds: tuple


def closed_box_size(attrs: dict) -> tuple:
    lines = box_lines(attrs)
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * PADDING
    return width, len(lines) * LINE_HEIGHT + PADDING


@dataclass(frozen=True)
class _ShapeLayout:
    """A level's layout with its ids taken out: per item (in the level's order) and per edge
    (in its edge order), so that another level of the same shape can put its own ids in."""

    positions: list
    sizes: list
    routes: list
    layers: list
    order: list
    bounds: tuple
    direction: str
    crossings: object
    stats: dict

    @classmethod
    def of(cls, lay: Layout) -> "_ShapeLayout":
        return cls(list(lay.positions.values()), list(lay.sizes.values()),
                   list(lay.routes.values()), list(lay.layers.values()),
                   list(lay.order.values()), lay.bounds, lay.direction, lay.crossings, lay.stats)

    def for_items(self, items: list, edges: list) -> Layout:
        return Layout(positions=dict(zip(items, self.positions)),
                      sizes=dict(zip(items, self.sizes)),
                      routes=dict(zip(edges, self.routes)),
                      layers=dict(zip(items, self.layers)),
                      order=dict(zip(items, self.order)),
                      bounds=self.bounds, direction=self.direction, crossings=self.crossings,
                      stats=self.stats)


class ScopedLayout:
    """Layouts of one graph for any open set, each level laid out once per open set inside it.

    ``node_size(node, attrs)`` sizes the graph's own nodes."""

    def __init__(self, G, tree: ScopeTree, node_size: Callable[[Hashable, dict], tuple],
                 layout_kwargs: dict | None = None):
        self.G = G
        self.tree = tree
        self.node_size = node_size
        self.kwargs = dict(node_sep=18.0, rank_sep=34.0, edge_sep=8.0)
        self.kwargs.update(layout_kwargs or {})
        self._levels: dict = {}  # path -> (items, edges, in-ports, out-ports, shape id)
        self._node_index = {n: i for i, n in enumerate(G.nodes)}
        self._cache: dict = {}  # (path, open scopes inside it) -> (Layout, size)
        self._sizes: dict = {}
        self._box_size: dict = {}
        self._inside_of: tuple = (None, {})
        # Levels of the same shape share their layout. A model repeats itself: the 432 query/
        # key/value Linears of a 12-layer GPT are one shape, its 12 blocks another. A level's
        # layout is a function of its shape alone (items in order, edges as index pairs in
        # order, which items are ports), the sizes of its items and whether it is the top
        # level (see layered_layout: it never looks at node ids), so a level whose shape and
        # sizes were laid out before takes that layout with its own ids put in.
        self._shapes: dict = {}  # shape -> small id
        self._orders: dict = {}  # (shape id, top level?) -> order_memo: layers and orders
        self._by_shape: dict = {}  # (shape id, sizes, top level?) -> _ShapeLayout
        # open set -> its ScopedDrawing, the few most recent: a box closed again, a page
        # loaded again on the same graph (the layout is shared) or a redraw gets its drawing
        # back without walking every level and routing every edge again (0.4-0.8 s with
        # every scope of a 12-layer model open).
        self._drawings: "OrderedDict" = OrderedDict()
        self._laid_out = [0, 0]  # levels laid out / to lay out in the drawing under way
        self._lock = threading.RLock()

    # --- the static structure of every level ------------------------------------------------
    def _item(self, path: tuple, nid: str):
        s = self.tree.node_scope[nid]
        return nid if len(s) == len(path) else self.tree.scopes[s[: len(path) + 1]].box

    def _level_graph(self, path: tuple):
        """(items, edges, in-ports, out-ports, shape id) of scope ``path`` (``()``: the top
        level), found the first time the level is laid out: items are its in-ports, its nodes
        and child scopes in the order of their first node, its out-ports; edges the fine edges
        meeting in it and crossing its frame, one per pair of items, in the order a networkx
        DiGraph built from them would list them (a networkx graph is made only for a level
        whose shape was not laid out before)."""
        hit = self._levels.get(path)
        if hit is not None:
            return hit
        tree = self.tree
        if path:
            info = tree.scopes[path]
            members, children = info.members, info.children
            ins = ["in:" + u for u in info.inputs]
            outs = ["out:" + u for u in info.outputs]
        else:
            info = None
            members, children = tree.top_members, tree.top_children
            ins, outs = [], []
        index = self._node_index
        items = [(index[n], n) for n in members]
        items += [(tree.scopes[c].first, tree.scopes[c].box) for c in children]
        succ: dict = {p: {} for p in ins}
        for _, it in sorted(items):
            succ[it] = {}
        for p in outs:
            succ[p] = {}

        def add(a, b):
            # networkx's add_edge: an end not seen yet is added after the others
            targets = succ.get(a)
            if targets is None:
                targets = succ[a] = {}
            if b not in succ:
                succ[b] = {}
            targets[b] = None

        item = self._item
        for u, v in tree.lca_edges.get(path, ()):
            a, b = item(path, u), item(path, v)
            if a != b:
                add(a, b)
        if info is not None:
            for u, v in info.in_edges:
                add("in:" + u, item(path, v))
            for u, v in info.out_edges:
                add(item(path, u), "out:" + u)
        nodes = list(succ)
        edges = [(a, b) for a, targets in succ.items() for b in targets]
        position = {it: i for i, it in enumerate(nodes)}
        shape = (len(nodes), tuple((position[a], position[b]) for a, b in edges),
                 tuple(position[p] for p in ins), tuple(position[p] for p in outs))
        shape_id = self._shapes.setdefault(shape, len(self._shapes))
        hit = (nodes, edges, ins, outs, shape_id)
        self._levels[path] = hit
        return hit

    # --- sizes and level layouts ------------------------------------------------------------
    def _closed_size(self, path) -> tuple:
        size = self._box_size.get(path)
        if size is None:
            size = closed_box_size(box_attrs(self.G, self.tree.scopes[path]))
            self._box_size[path] = size
        return size

    def _size_of(self, item, path, open_set) -> tuple:
        if item.startswith(("in:", "out:")):
            return PORT, PORT
        if item in self.tree.by_box:
            child = self.tree.by_box[item]
            if child in open_set:
                (_, (w, h)) = self.level(child, open_set)
                return w + 2 * FRAME_PAD, h + 2 * FRAME_PAD + TITLE
            return self._closed_size(child)
        size = self._sizes.get(item)
        if size is None:
            size = tuple(map(float, self.node_size(item, self.G.nodes[item])))
            self._sizes[item] = size
        return size

    def level(self, path, open_set):
        """The layout of scope ``path``'s own level (local coordinates) and its size."""
        key = (path, self._inside(open_set).get(path, frozenset()))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        nodes, edges, ins, outs, shape_id = self._level_graph(path)
        sizes = {it: self._size_of(it, path, open_set) for it in nodes}
        top = not path
        shared_key = (shape_id, tuple(sizes.values()), top)
        shared = self._by_shape.get(shared_key)
        if shared is None:
            # Most levels are a handful of items (a Linear: its ports, an op, a weight): a few
            # sweeps and rounds settle them, and there are hundreds of them in a big model.
            # The top level is laid out as a graph without scopes always was.
            small = not top and len(nodes) <= SMALL_LEVEL
            g = nx.DiGraph()
            g.add_nodes_from(nodes)
            g.add_edges_from(edges)
            lay = layered_layout(g, "LR", node_size=lambda v, a: sizes[v], first=ins, last=outs,
                                 order_memo=self._orders.setdefault((shape_id, top), {}),
                                 reroute_up_to=None if top else REROUTE_UP_TO,
                                 sweeps=1 if small else None,
                                 rounds=4 if small else None, **self.kwargs)
            self._by_shape[shared_key] = _ShapeLayout.of(lay)
        else:
            lay = shared.for_items(nodes, edges)
        x0, y0, x1, y1 = lay.bounds
        hit = (lay, (max(x1 - x0, 0.0), max(y1 - y0, 0.0)))
        self._cache[key] = hit
        counter = self._laid_out
        counter[0] += 1
        progress.report("Laying out boxes", min(counter[0], counter[1]), counter[1])
        return hit

    def _inside(self, open_set) -> dict:
        """path -> the open scopes strictly inside it (what its level's layout depends on)."""
        last_set, last = self._inside_of  # read once: another thread may replace it meanwhile
        if last_set is open_set:
            return last
        inside: dict = {}
        for p in open_set:
            for k in range(len(p)):
                inside.setdefault(p[:k], set()).add(p)
        found = {k: frozenset(v) for k, v in inside.items()}
        self._inside_of = (open_set, found)
        return found

    # --- the whole drawing ------------------------------------------------------------------
    def drawing(self, open_set, visible: nx.DiGraph) -> ScopedDrawing:
        """Positions, frames and routes for ``open_set``; ``visible`` is its visible graph
        (``collapse.visible_graph``); the same open set gives the same (shared, read-only)
        drawing."""
        open_set = frozenset(p for p in open_set if p in self.tree.scopes)
        # One drawing at a time: a layout is shared by the pages of one graph, and a page that
        # builds on a thread of its own (gradviz.viz.loading) may draw while another page's
        # click opens a box on the server's event loop.
        with self._lock:
            hit = self._drawings.get(open_set)
            if hit is not None:
                self._drawings.move_to_end(open_set)
                return hit
            # every level drawn: the top one and each open scope whose scopes around it are open
            shown = sum(1 for p in open_set if all(p[:k] in open_set for k in range(1, len(p))))
            self._laid_out = [0, 1 + shown]
            progress.report("Laying out boxes", 0, 1 + shown)
            drawing = self._draw(open_set, visible)
            progress.report("Drawing")
            self._drawings[open_set] = drawing
            while len(self._drawings) > DRAWINGS_KEPT:
                self._drawings.popitem(last=False)
            return drawing

    def _draw(self, open_set, visible: nx.DiGraph) -> ScopedDrawing:
        positions, sizes, frames = {}, {}, {}
        offsets = {(): (0.0, 0.0)}
        stack = [()]
        while stack:
            path = stack.pop()
            lay, _ = self.level(path, open_set)
            ox, oy = offsets[path]
            for it, (x, y) in lay.positions.items():
                if it.startswith(("in:", "out:")):
                    continue
                ax, ay = x + ox, y + oy
                w, h = lay.sizes[it]
                child = self.tree.by_box.get(it)
                if child is not None and child in open_set:
                    frames[child] = (ax - w / 2, ay - h / 2, ax + w / 2, ay + h / 2)
                    inner, _ = self.level(child, open_set)
                    ix0, iy0, ix1, iy1 = inner.bounds
                    offsets[child] = (ax - (ix0 + ix1) / 2, ay - TITLE / 2 - (iy0 + iy1) / 2)
                    stack.append(child)
                else:
                    positions[it] = (ax, ay)
                    sizes[it] = (w, h)
        routes = {e: self._route(e, d, open_set, offsets) for e, d in
                  ((e, visible.edges[e]) for e in visible.edges)}
        xs = [x for (x, _), (w, _) in zip(positions.values(), sizes.values()) for x in (x - w / 2, x + w / 2)]
        ys = [y for (_, y), (_, h) in zip(positions.values(), sizes.values()) for y in (y - h / 2, y + h / 2)]
        for x0, y0, x1, y1 in frames.values():
            xs += [x0, x1]
            ys += [y0, y1]
        bounds = (min(xs, default=0.0), min(ys, default=0.0), max(xs, default=0.0), max(ys, default=0.0))
        return ScopedDrawing(positions, sizes, frames, routes, bounds)

    def _route(self, edge, attrs, open_set, offsets) -> list:
        """One polyline for a drawn edge, through the levels between its two ends: out of the
        boxes around its source (to their out-ports), across the level they share, into the
        boxes around its target (from their in-ports)."""
        u, v = (attrs.get("edges") or [edge])[0]
        tree = self.tree
        su, sv = tree.node_scope[u], tree.node_scope[v]
        a, b = edge
        pa = tree.by_box[a][:-1] if a in tree.by_box else su
        pb = tree.by_box[b][:-1] if b in tree.by_box else sv
        c = _common(pa, pb)
        # Consecutive pieces meet at a frame: going up, the out-port inside the frame is kept
        # and the parent's start on the frame's side dropped; going down, the reverse.
        points: list = []
        for k in range(len(pa), c, -1):  # up from the source's level
            level = pa[:k]
            piece = self._piece(level, self._item(level, u), "out:" + u, open_set, offsets)
            points += piece if not points else piece[1:]
        lca = pa[:c]
        piece = self._piece(lca, self._item(lca, u), self._item(lca, v), open_set, offsets)
        points += piece if not points else piece[1:]
        for k in range(c + 1, len(pb) + 1):  # down to the target's level
            level = pb[:k]
            piece = self._piece(level, "in:" + u, self._item(level, v), open_set, offsets)
            points = points[:-1] + piece
        return points

    def _piece(self, level, a, b, open_set, offsets) -> list:
        lay, _ = self.level(level, open_set)
        ox, oy = offsets[level]
        route = lay.routes.get((a, b))
        if route is None:
            pa, pb = lay.positions[a], lay.positions[b]
            route = [pa, pb]
        return [(x + ox, y + oy) for x, y in route]


def _common(a: tuple, b: tuple) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
