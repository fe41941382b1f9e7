"""layered_layout: the Sugiyama pipeline, from a networkx DAG to a Layout."""

from __future__ import annotations

import time
from typing import Any, Callable, Hashable, Iterable

import networkx as nx
import numpy as np

from .channels import assign_tracks, channel_routes, pick_channel_edges
from .coordinates import in_layer_coordinates, layer_columns
from .long_edges import split_long_edges
from .model import Layout, Point, default_node_size
from .ordering import crossings_by_layer, initial_order, reduce_crossings, reroute_chains
from .ranking import index_graph, rank_nodes
from .routing import route_points

DIRECTIONS = ("LR", "RL", "TB", "BT")

# Above this many nodes + dummies the layout trades quality for time: fewer
# sweeps and rounds, and no crossing count to pick the best sweep, so that
# even 100k nodes come back in a few seconds.
LARGE_GRAPH = 80_000

# Up to this many nodes + dummies, crossing reduction runs from two initial
# orders (each swept, then its long edges re-routed) and keeps the better
# result. Covers 1,000-node autograd graphs (branchy: 12 -> 8 crossings, dot
# 11); above, one start already beats dot and the time is worth more.
TWO_STARTS_UP_TO = 2_500

# Up to this many nodes + dummies, long edges that cross something are
# re-routed whole after the sweeps (ordering.reroute_chains). Its cost grows
# with the number and length of such edges, faster than linearly, and beyond
# this size it would break the 0.5 s budget of a 10,000-node graph.
REROUTE_UP_TO = 30_000

# Dummy nodes allowed per real node (and at least this many in all) before
# the longest edges are routed over the top instead (see channels).
DUMMIES_PER_NODE = 4
MIN_DUMMY_BUDGET = 50_000


def _to_drawing(direction: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Layer frame (a along layers, b across, growing down/right) to x, y (y up)."""
    if direction == "LR":
        return a, -b
    if direction == "RL":
        return -a, -b
    if direction == "TB":
        return b, -a
    return b, a  # BT


def layered_layout(
    graph: nx.DiGraph,
    direction: str = "LR",
    *,
    node_size: Callable[[Hashable, dict[str, Any]], Point] | None = None,
    node_sep: float = 16.0,
    rank_sep: float = 48.0,
    edge_sep: float = 8.0,
    sweeps: int | None = None,
    rounds: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    first: Iterable[Hashable] = (),
    last: Iterable[Hashable] = (),
    reroute_up_to: int | None = None,
    order_memo: dict | None = None,
) -> Layout:
    """Lay out a DAG in layers, like Graphviz dot, in pure Python and numpy.

    graph:     edges point forward (input -> function -> output); any node ids.
    direction: "LR" (default: inputs left, root right), "RL", "TB" or "BT".
    node_size: (node, attrs) -> (width, height); default fits the `label`
               (and a tensor's `shape`) in a monospace font, or uses the
               node's `width`/`height` attributes.
    node_sep:  gap between neighbouring boxes in a layer; edge_sep the gap
               next to an edge passing through a layer.
    rank_sep:  gap between layer columns, where edges change height.
    sweeps:    crossing-reduction sweeps; rounds: coordinate rounds. Both
               default to fewer on very large graphs.
    progress:  called as progress(fraction, message) between phases and
               during the sweeps, for a progress bar.
    first, last: nodes pinned to the first / last layer (a box's input and
               output ports, so edges enter on its left and leave on its right).
               A node in `first` must have no inputs, one in `last` no outputs.
    reroute_up_to: re-route long edges only up to this many nodes + dummies
               (default REROUTE_UP_TO).
    order_memo: a dict kept by the caller between calls on the same graph
               with other node sizes: layers and orders do not depend on
               sizes, so they are computed once, and only coordinates and
               routes again (a scope box that opens only grows).

    Deterministic: depends only on the graph's node and edge insertion order
    and attributes, never on hashing. Raises ValueError if there is a cycle.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    report = progress or (lambda fraction, message: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str, fraction: float) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now
        report(fraction, name)

    report(0.0, "ranking")
    nodes, src, dst = index_graph(graph)
    if not nodes:
        return Layout({}, {}, {}, {}, {}, (0.0, 0.0, 0.0, 0.0), direction, 0)
    size_of = node_size or default_node_size
    sizes = [tuple(map(float, size_of(v, graph.nodes[v]))) for v in nodes]
    width = np.array([s[0] for s in sizes])
    height = np.array([s[1] for s in sizes])
    vertical = direction in ("TB", "BT")
    along_real, across_real = (height, width) if vertical else (width, height)

    if order_memo:
        rank, over_top, pg, pos, crossings = order_memo["order"]
        phase("crossing reduction", 0.7)
    else:
        rank, over_top, pg, pos, crossings = _order(
            graph, nodes, src, dst, first, last, sweeps,
            REROUTE_UP_TO if reroute_up_to is None else reroute_up_to, phase, report)
        if order_memo is not None:
            order_memo["order"] = (rank, over_top, pg, pos, crossings)
    layered_src, layered_dst = src[~over_top], dst[~over_top]
    if rounds is None:
        rounds = 4 if pg.n_nodes > LARGE_GRAPH else 8 if pg.n_nodes > 25_000 else 12

    n_dummy = pg.n_nodes - pg.n_real
    along = np.concatenate((along_real, np.zeros(n_dummy)))
    across = np.concatenate((across_real, np.zeros(n_dummy)))
    column_centre, column_width = layer_columns(pg, along, rank_sep)
    a = column_centre[pg.layer]
    b = in_layer_coordinates(pg, pos, across, node_sep, edge_sep, rounds)
    b = b - (b - across / 2).min()  # top edge of the drawing at 0
    phase("coordinates", 0.85)

    pa, pb, start = route_points(pg, layered_src, layered_dst, a, b, along, column_centre, column_width)
    if over_top.any():
        cs, cd = src[over_top], dst[over_top]
        track = assign_tracks(rank[cs], rank[cd])
        gap_after = column_centre[rank[cs]] + column_width[rank[cs]] / 2 + rank_sep / 2
        gap_before = column_centre[rank[cd]] - column_width[rank[cd]] / 2 - rank_sep / 2
        track_b = -node_sep - track * edge_sep  # above the top edge, which is at 0
        pts = channel_routes(a[cs] + along[cs] / 2, b[cs], gap_after, gap_before, a[cd] - along[cd] / 2, b[cd], track_b)
        pa = np.concatenate((pa, pts[:, :, 0].ravel()))
        pb = np.concatenate((pb, pts[:, :, 1].ravel()))
        start = np.concatenate((start, start[-1] + 6 * np.arange(1, len(cs) + 1)))
    px, py = _to_drawing(direction, pa, pb)
    points = list(zip(px.tolist(), py.tolist()))
    start = start.tolist()
    edges = list(graph.edges())
    # Routes are stored layered edges first, then over-the-top ones; the
    # dict follows the graph's edge order.
    slot = np.empty(len(edges), dtype=np.int64)
    slot[np.flatnonzero(~over_top)] = np.arange(int((~over_top).sum()))
    slot[np.flatnonzero(over_top)] = int((~over_top).sum()) + np.arange(int(over_top.sum()))
    routes = {edge: points[start[i] : start[i + 1]] for edge, i in zip(edges, slot.tolist())}

    x, y = _to_drawing(direction, a[: pg.n_real], b[: pg.n_real])
    positions = dict(zip(nodes, zip(x.tolist(), y.tolist())))
    half_w, half_h = width / 2, height / 2
    xmin = min(float((x - half_w).min()), float(px.min(initial=np.inf)))
    xmax = max(float((x + half_w).max()), float(px.max(initial=-np.inf)))
    ymin = min(float((y - half_h).min()), float(py.min(initial=np.inf)))
    ymax = max(float((y + half_h).max()), float(py.max(initial=-np.inf)))
    phase("routing", 1.0)

    return Layout(
        positions=positions,
        sizes=dict(zip(nodes, sizes)),
        routes=routes,
        layers=dict(zip(nodes, rank.tolist())),
        order=dict(zip(nodes, pos[: pg.n_real].tolist())),
        bounds=(xmin, ymin, xmax, ymax),
        direction=direction,
        crossings=crossings,
        stats={"dummies": n_dummy, "over_the_top": int(over_top.sum()), "layers": pg.n_layers, "seconds": timings},
    )


def _order(graph, nodes, src, dst, first, last, sweeps, reroute_up_to, phase, report):
    """The phases that do not depend on node sizes: layers, dummies, order within layers."""
    rank = rank_nodes(graph, nodes, src, dst)
    first, last = set(first), set(last)
    if first or last:
        # Sources can sit in layer 0 and sinks in the last layer without turning any edge back.
        pin = np.array([v in first for v in nodes]), np.array([v in last for v in nodes])
        rank[pin[0]] = 0
        rank[pin[1]] = rank.max(initial=0) if not pin[1].all() else 0
    over_top = pick_channel_edges(rank[dst] - rank[src], max(DUMMIES_PER_NODE * len(nodes), MIN_DUMMY_BUDGET))
    layered_src, layered_dst = src[~over_top], dst[~over_top]
    pg = split_long_edges(rank, layered_src, layered_dst)
    phase("ranking", 0.1)

    large = pg.n_nodes > LARGE_GRAPH
    if sweeps is None:  # fewer sweeps as the layered graph grows, to bound the time
        # (more than 4 rarely found a better order on the benchmark graphs;
        # a second start is worth more, see TWO_STARTS_UP_TO)
        sweeps = 2 if large else 4
    # Small graphs can afford a second start (dot restarts too); keep the better.
    starts = [True, False] if pg.n_nodes <= TWO_STARTS_UP_TO else [True]
    phase("initial order", 0.2)
    best = None
    for k, from_sinks in enumerate(starts):
        share = 0.5 / len(starts)
        pos, crossings = reduce_crossings(
            pg,
            initial_order(pg, from_sinks),
            iterations=sweeps,
            count=not large,
            transpose_passes=2 if pg.n_nodes > 25_000 else 4,
            progress=lambda f, m: report(0.2 + share * (k + f), m),
        )
        if crossings and pg.n_nodes <= reroute_up_to:
            pos, gain = reroute_chains(pg, pos, crossings_by_layer(pg, pos))
            crossings -= gain
        if best is None or (crossings is not None and crossings < best[1]):
            best = (pos, crossings)
    pos, crossings = best
    phase("crossing reduction", 0.7)
    return rank, over_top, pg, pos, crossings

