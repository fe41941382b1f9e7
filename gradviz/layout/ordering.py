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

from .crossings import crossings_per_layer_pair
from .long_edges import ProperGraph


def initial_order(pg: ProperGraph, from_sinks: bool = True) -> np.ndarray:
    """Position of every node within its layer, from a depth-first walk.

    From the sinks backwards over inputs (in input order) by default; or from
    the sources forwards over consumers, a second start that is sometimes
    better where one tensor feeds many ops.
    """
    n = pg.n_nodes
    walk_from, walk_to = (pg.dst, pg.src) if from_sinks else (pg.src, pg.dst)
    by_origin = np.argsort(walk_from, kind="stable")
    starts = np.searchsorted(walk_from[by_origin], np.arange(n + 1)).tolist()
    next_flat = walk_to[by_origin].tolist()
    has_next = np.zeros(n, dtype=bool)
    has_next[walk_to] = True  # reached by some edge: not a place to start
    roots = np.flatnonzero(~has_next).tolist()

    layer = pg.layer.tolist()
    next_slot = [0] * (pg.n_layers + 1)
    pos = [-1] * n
    stack = roots[::-1]
    while stack:
        v = stack.pop()
        if pos[v] >= 0:
            continue
        pos[v] = next_slot[layer[v]]
        next_slot[layer[v]] += 1
        # Reversed so the first input (or consumer) is visited, and placed, first.
        stack.extend(next_flat[starts[v] : starts[v + 1]][::-1])
    return np.array(pos, dtype=np.int64)


def crossings_by_layer(pg: ProperGraph, pos: np.ndarray) -> np.ndarray:
    """Crossings between layer k and k + 1, for every k."""
    counts = crossings_per_layer_pair(pg.layer[pg.src], pos[pg.src], pos[pg.dst])
    return np.concatenate((counts, np.zeros(pg.n_layers - len(counts), dtype=np.int64)))


def crossings_of(pg: ProperGraph, pos: np.ndarray) -> int:
    return int(crossings_by_layer(pg, pos).sum())


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
    pg: ProperGraph,
    pos: np.ndarray,
    layer_start: np.ndarray,
    candidates: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    shift: int,
    on_ties: bool,
) -> tuple[np.ndarray, int]:
    """Swap disjoint neighbouring pairs wherever swapping removes crossings.

    Pairs (k, k + 1) with k = shift, shift + 2, ... among `candidates` (nodes
    of active layers of one parity; src/dst the edges touching them). A swap
    only changes crossings between the two nodes' own edges, so all these
    swaps are independent and each is an exact improvement (dot's
    "transpose" step, done for many pairs at once). With `on_ties`, pairs
    whose crossings are equal (and not zero) swap too, as dot does on
    alternate passes, to walk off plateaus that no single swap improves.
    Returns the new positions and the number of crossings removed.
    """
    n = pg.n_nodes
    slot = layer_start[pg.layer] + pos
    node_at = np.empty(n, dtype=np.int64)
    node_at[slot] = np.arange(n)
    u = candidates[(pos[candidates] - shift) % 2 == 0]
    u = u[(pos[u] >= shift) & (slot[u] + 1 < n)]
    v = node_at[np.minimum(slot[u] + 1, n - 1)]
    same = pg.layer[v] == pg.layer[u]
    u, v = u[same], v[same]
    if len(u) == 0:
        return pos, 0
    partner = np.full(n, -1, dtype=np.int64)
    partner[u] = v

    # Endpoint entries: (node, side, neighbour position), side 0 = pred, 1 = succ.
    node = np.concatenate((dst, src))
    side = np.concatenate((np.zeros(len(src), np.int64), np.ones(len(src), np.int64)))
    q = np.concatenate((pos[src], pos[dst]))
    width = int(pos.max()) + 2
    keys = np.sort((node * 2 + side) * width + q)

    u_entry = partner[node] >= 0
    base = (partner[node[u_entry]] * 2 + side[u_entry]) * width
    qe = q[u_entry]
    below = np.searchsorted(keys, base + qe) - np.searchsorted(keys, base)  # cross if u stays first
    above = np.searchsorted(keys, base + width) - np.searchsorted(keys, base + qe, side="right")
    u_first = np.bincount(node[u_entry], weights=below, minlength=n)[u]
    v_first = np.bincount(node[u_entry], weights=above, minlength=n)[u]
    swap = (v_first < u_first) | (on_ties & (v_first == u_first) & (u_first > 0))
    if not swap.any():
        return pos, 0
    u, v = u[swap], v[swap]
    new_pos = pos.copy()
    new_pos[u], new_pos[v] = pos[v], pos[u]
    return new_pos, int((u_first - v_first)[swap].sum())


def transpose(
    pg: ProperGraph, pos: np.ndarray, layer_start: np.ndarray, by_layer: np.ndarray, on_ties: bool, passes: int = 4
) -> tuple[np.ndarray, int]:
    """Adjacent exchanges until they stop helping (or `passes` run out).

    Only layers next to a crossing (by_layer: crossings per layer pair) take
    part, which on autograd graphs is a small fraction of them. Returns the
    positions and the crossings removed.
    """
    crossed = by_layer > 0
    active = crossed | np.concatenate(([False], crossed[:-1]))
    total_gain = 0
    if not active.any():
        return pos, 0
    edge_active = active[pg.layer[pg.src]] | active[pg.layer[pg.dst]]
    src, dst = pg.src[edge_active], pg.dst[edge_active]
    nodes = np.flatnonzero(active[pg.layer])
    by_parity = [nodes[pg.layer[nodes] % 2 == p] for p in (0, 1)]
    for _ in range(passes):
        gained = 0
        for candidates in by_parity:
            for shift in (0, 1):
                pos, g = _transpose(pg, pos, layer_start, candidates, src, dst, shift, on_ties)
                gained += g
        total_gain += gained
        if gained == 0:
            break
    return pos, total_gain


def reduce_crossings(
    pg: ProperGraph,
    pos: np.ndarray,
    iterations: int = 8,
    count: bool = True,
    progress: Callable[[float, str], None] | None = None,
    transpose_passes: int = 4,
) -> tuple[np.ndarray, int | None]:
    """Reorder layers to reduce crossings; returns the best positions and their count.

    With count=False (huge graphs) there is no crossing count and no
    transpose step, only the sweeps: the last order is returned.
    """
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
        if count:
            by_layer = crossings_by_layer(pg, pos)
            pos, gain = transpose(pg, pos, layer_start, by_layer, it % 2 == 1, transpose_passes)
            c = int(by_layer.sum()) - gain
            if c < best:
                best, best_pos = c, pos
        else:
            best_pos = pos
        if progress is not None:
            progress((it + 1) / iterations, f"crossing reduction sweep {it + 1}/{iterations}")
    return best_pos, best


def _reroute_one(
    pos: np.ndarray, layer: np.ndarray, sizes: np.ndarray, nodes_by_layer: np.ndarray, layer_start: np.ndarray,
    e_src: np.ndarray, e_dst: np.ndarray, edge_start: np.ndarray, head: int, tail: int, fd: int, s: int,
) -> int:
    """Best route for a long edge between its ends head and tail, the rest fixed.

    The edge's dummies are fd .. fd+s-2, one per layer between the ends.
    Updates `pos` in place when the new route has fewer crossings; returns the gain.
    cost[g, ta, tb]: crossings of the segment from slot ta of layer lo+g to slot tb
    of layer lo+g+1 with the other segments of that gap (slot t: just before the
    node at position t once the dummies are out), from 2D prefix counts.
    """
    lo, hi = int(layer[head]), int(layer[tail])
    G = hi - lo
    dummies = np.arange(fd, fd + s - 1)
    old = pos[dummies]
    inner = nodes_by_layer[layer_start[lo + 1] : layer_start[hi]]
    inner = inner[(inner < dummies[0]) | (inner > dummies[-1])]
    pos[inner] -= pos[inner] > old[layer[inner] - lo - 1]  # take the dummies out
    es, ed = e_src[edge_start[lo] : edge_start[hi]], e_dst[edge_start[lo] : edge_start[hi]]
    keep = ((es < dummies[0]) | (es > dummies[-1])) & ((ed < dummies[0]) | (ed > dummies[-1]))
    es, ed = es[keep], ed[keep]
    W = int(sizes[lo : hi + 1].max())
    # The G x (W+2)^2 counts dominate (a level with a weight shared by 60 calls: seconds), so
    # they are int32 (a count is at most the number of edges) and summed in place.
    H = np.zeros((G, W + 2, W + 2), dtype=np.int32)
    np.add.at(H, (layer[es] - lo, pos[es] + 1, pos[ed] + 1), 1)
    P = np.cumsum(H, axis=1, dtype=np.int32, out=H)
    P = np.cumsum(P, axis=2, dtype=np.int32, out=P)  # P[g, i, j]: segments with x < i and y < j
    R, C = P[:, :, W + 1].astype(np.int64), P[:, W + 1, :].astype(np.int64)
    ph, pt = int(pos[head]), int(pos[tail])
    big = 1 << 40
    slots = np.arange(W + 2)
    width = sizes[lo + 1 : hi] - 1  # slots 0..width valid in each dummy layer
    first = R[0, ph] - P[0, ph, :] + C[0, :] - P[0, ph + 1, :]  # from the fixed head
    last = R[G - 1, :] - P[G - 1, :, pt + 1] + C[G - 1, pt] - P[G - 1, :, pt]  # into the fixed tail
    cost = P  # R[g, i] + C[g, j] - 2 P[g, i, j], over P's own memory (P is not needed after)
    cost *= -2
    cost += R[:, :, None].astype(np.int32)
    cost += C[:, None, :].astype(np.int32)
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
    pos[inner] += pos[inner] >= new[layer[inner] - lo - 1]  # put them back
    pos[dummies] = new
    return gain


def reroute_chains(pg: ProperGraph, pos: np.ndarray, by_layer: np.ndarray, rounds: int = 2) -> tuple[np.ndarray, int]:
    """Re-thread whole long edges (chains of dummies) where they cross something.

    Sweeps move one node at a time, and a long edge that should run on the
    other side of a chain of ops only gets there if every one of its dummies
    moves: no single move helps. Here each long edge with a segment that
    crosses another is taken out, and a shortest path over its layers
    (states: the slot of its dummy in each layer; cost: the crossings of
    each segment with the fixed rest, from 2D prefix counts) puts it back on
    the route with the fewest crossings. Exact for that edge given the rest,
    and it moves only for a strict gain, so the total never grows. Returns
    the positions and the crossings removed.
    """
    if not (by_layer > 0).any() or pg.n_nodes == pg.n_real:
        return pos, 0
    n_real = pg.n_real
    layer = pg.layer
    pos = pos.copy()
    sizes = np.bincount(layer, minlength=pg.n_layers)
    layer_start = np.concatenate(([0], np.cumsum(sizes)))
    nodes_by_layer = np.argsort(layer, kind="stable")
    by_edge = np.argsort(layer[pg.src], kind="stable")
    e_src, e_dst = pg.src[by_edge], pg.dst[by_edge]
    edge_start = np.searchsorted(layer[e_src], np.arange(pg.n_layers + 1))
    first_dummy, span = pg.first_dummy.tolist(), pg.span.tolist()
    edge_of_dummy = np.repeat(np.arange(len(span)), np.maximum(pg.span - 1, 0))
    pred_of = np.empty(pg.n_nodes, dtype=np.int64)
    pred_of[pg.dst] = pg.src  # only read for first dummies (one predecessor)
    succ_of = np.empty(pg.n_nodes, dtype=np.int64)
    succ_of[pg.src] = pg.dst  # only read for last dummies (one successor)

    total_gain = 0
    for _ in range(rounds):
        crossed = np.flatnonzero(crossings_by_layer(pg, pos) > 0)
        involved: set[int] = set()  # long edges with a segment that crosses another
        for k in crossed.tolist():  # the segments that cross, in the few crossed gaps
            idx = np.arange(edge_start[k], edge_start[k + 1])
            a, b = pos[e_src[idx]], pos[e_dst[idx]]
            crossing = ((a[:, None] - a[None, :]) * (b[:, None] - b[None, :]) < 0).any(1)
            ends = np.concatenate((e_src[idx][crossing], e_dst[idx][crossing]))
            involved.update(edge_of_dummy[ends[ends >= n_real] - n_real].tolist())
        round_gain = 0
        for e in sorted(involved):
            fd, s = first_dummy[e], span[e]
            head, tail = int(pred_of[fd]), int(succ_of[fd + s - 2])
            round_gain += _reroute_one(
                pos, layer, sizes, nodes_by_layer, layer_start, e_src, e_dst, edge_start, head, tail, fd, s
            )
        total_gain += round_gain
        if round_gain == 0:
            break
    return pos, total_gain
