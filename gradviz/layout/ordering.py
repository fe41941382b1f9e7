"""Crossing reduction: the order of the nodes within each layer.

Two steps, as in Graphviz dot:

1. an initial order from a depth-first walk backwards from the root(s),
   visiting inputs in input order. An autograd graph is mostly a tree of
   inputs converging on the loss, and this walk draws a tree with no
   crossing at all;
2. a few sweeps of barycenter/median reordering, keeping the best order seen.

The sweeps are vectorised over layers: all even layers are reordered at once
against their (fixed) odd neighbours, then all odd layers. Reordering one
layer only changes crossings with its two neighbours, so layers of the same
parity never interfere, and a sweep costs a handful of numpy calls whatever
the depth of the graph (autograd graphs have thousands of thin layers, where
a layer-by-layer Python loop would dominate the run time).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .crossings import count_layered_crossings
from .long_edges import ProperGraph


def initial_order(pg: ProperGraph) -> np.ndarray:
    """Position of every node within its layer, from a DFS from the sinks."""
    n = pg.n_nodes
    by_target = np.argsort(pg.dst, kind="stable")
    starts = np.searchsorted(pg.dst[by_target], np.arange(n + 1))
    preds_flat = pg.src[by_target].tolist()
    starts = starts.tolist()
    has_succ = np.zeros(n, dtype=bool)
    has_succ[pg.src] = True
    sinks = np.flatnonzero(~has_succ).tolist()

    layer = pg.layer.tolist()
    next_slot = [0] * (pg.n_layers + 1)
    pos = [-1] * n
    stack = sinks[::-1]
    while stack:
        v = stack.pop()
        if pos[v] >= 0:
            continue
        pos[v] = next_slot[layer[v]]
        next_slot[layer[v]] += 1
        # Reversed so the first input is visited (and placed) first.
        stack.extend(preds_flat[starts[v] : starts[v + 1]][::-1])
    return np.array(pos, dtype=np.int64)


def crossings_of(pg: ProperGraph, pos: np.ndarray) -> int:
    return count_layered_crossings(pg.layer[pg.src], pos[pg.src], pos[pg.dst])


def _neighbour_key(
    pg: ProperGraph, rel: np.ndarray, own: np.ndarray, side: str, median: bool
) -> np.ndarray:
    """Barycenter or median of each node's neighbours' relative positions.

    `side` is "pred", "succ" or "both". Nodes with no neighbour on that side
    keep their own relative position, so they stay roughly where they were.
    """
    if side == "pred":
        target, neighbour = pg.dst, pg.src
    elif side == "succ":
        target, neighbour = pg.src, pg.dst
    else:
        target = np.concatenate((pg.dst, pg.src))
        neighbour = np.concatenate((pg.src, pg.dst))
    n = pg.n_nodes
    degree = np.bincount(target, minlength=n)
    if median:
        values = rel[neighbour]
        by = np.lexsort((values, target))
        sorted_values = values[by]
        start = np.concatenate(([0], np.cumsum(degree)[:-1]))
        has = degree > 0
        lo = start + (degree - 1) // 2
        hi = start + degree // 2
        key = own.copy()
        key[has] = 0.5 * (sorted_values[lo[has]] + sorted_values[hi[has]])
        return key
    total = np.bincount(target, weights=rel[neighbour], minlength=n)
    return np.where(degree > 0, total / np.maximum(degree, 1), own)


def _transpose(
    pg: ProperGraph, pos: np.ndarray, parity_class: int, shift: int, on_ties: bool
) -> tuple[np.ndarray, int]:
    """Swap disjoint neighbouring pairs wherever swapping removes crossings.

    Pairs (k, k + 1) with k = shift, shift + 2, ... in every layer of one
    parity: a swap only changes crossings between the two nodes' own edges,
    so all these swaps are independent and each is an exact improvement
    (dot's "transpose" step, done for many pairs at once). With `on_ties`,
    pairs whose crossings are equal (and not zero) swap too, as dot does on
    alternate passes, to walk off plateaus that no single swap improves.
    Returns the new positions and the number of crossings removed.
    """
    n = pg.n_nodes
    # Endpoint entries: (node, side, neighbour position), side 0 = pred, 1 = succ.
    node = np.concatenate((pg.dst, pg.src))
    side = np.concatenate((np.zeros(len(pg.src), np.int64), np.ones(len(pg.src), np.int64)))
    q = np.concatenate((pos[pg.src], pos[pg.dst]))
    width = int(pos.max()) + 2
    group = node * 2 + side
    keys = np.sort(group * width + q)

    # The node right after each node in its layer (or -1).
    by = np.lexsort((pos, pg.layer))
    after = np.full(n, -1, dtype=np.int64)
    same_layer = pg.layer[by[1:]] == pg.layer[by[:-1]]
    after[by[:-1][same_layer]] = by[1:][same_layer]
    first = ((pos - shift) % 2 == 0) & (pos >= shift) & (pg.layer % 2 == parity_class) & (after >= 0)

    u_entry = first[node]
    partner = after[node[u_entry]]
    base = (partner * 2 + side[u_entry]) * width
    qe = q[u_entry]
    lo = np.searchsorted(keys, base)
    below = np.searchsorted(keys, base + qe) - lo  # partner edges ending below: cross if u first
    above = np.searchsorted(keys, base + width) - np.searchsorted(keys, base + qe, side="right")
    u_first = np.bincount(node[u_entry], weights=below, minlength=n)
    v_first = np.bincount(node[u_entry], weights=above, minlength=n)
    swap = first & ((v_first < u_first) | (on_ties & (v_first == u_first) & (u_first > 0)))
    if not swap.any():
        return pos, 0
    new_pos = pos.copy()
    u = np.flatnonzero(swap)
    v = after[u]
    new_pos[u], new_pos[v] = pos[v], pos[u]
    return new_pos, int((u_first - v_first)[swap].sum())


def transpose(pg: ProperGraph, pos: np.ndarray, on_ties: bool, passes: int = 4) -> np.ndarray:
    """Adjacent exchanges until they stop helping (or `passes` run out)."""
    for _ in range(passes):
        gained = 0
        for parity_class in (0, 1):
            for shift in (0, 1):
                pos, g = _transpose(pg, pos, parity_class, shift, on_ties)
                gained += g
        if gained == 0:
            break
    return pos


def reduce_crossings(
    pg: ProperGraph,
    pos: np.ndarray,
    iterations: int = 8,
    count: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[np.ndarray, int | None]:
    """Reorder layers to reduce crossings; returns the best positions and their count."""
    layer = pg.layer
    sizes = np.bincount(layer, minlength=pg.n_layers)
    layer_start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    parity = layer % 2

    best_pos = pos
    best = crossings_of(pg, pos) if count else None
    # Alternate which neighbours drive the order, as dot alternates its sweep
    # direction; the two-sided step settles nodes between both neighbours.
    schedule = [("succ", True), ("pred", True), ("both", False), ("succ", False), ("pred", False), ("both", True)]
    for it in range(iterations):
        if best == 0:
            break
        side, median = schedule[it % len(schedule)]
        for p in (it % 2, 1 - it % 2):
            rel = (pos + 0.5) / sizes[layer]
            key = _neighbour_key(pg, rel, rel, side, median)
            key = np.where(parity == p, key, rel)
            # Ties keep the current order, so a sweep never shuffles for nothing.
            by = np.lexsort((pos, key, layer))
            new_pos = np.empty_like(pos)
            new_pos[by] = np.arange(len(by)) - layer_start[layer[by]]
            pos = new_pos
        pos = transpose(pg, pos, on_ties=it % 2 == 1)
        if count:
            c = crossings_of(pg, pos)
            if c < best:
                best, best_pos = c, pos
        else:
            best_pos = pos
        if progress is not None:
            progress((it + 1) / iterations, f"crossing reduction sweep {it + 1}/{iterations}")
    return best_pos, best
