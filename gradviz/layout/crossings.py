"""Counting edge crossings: inside the layout, and for any finished drawing.

Both reduce to counting inversions. Between two consecutive layers, two
edges cross exactly when their order at one layer is the reverse of their
order at the next; edges sharing an endpoint tie there and never count.
"""

from __future__ import annotations

from typing import Hashable, Iterable, Mapping, Sequence

import numpy as np


def count_inversions(values: np.ndarray, group_size: int = 0) -> int | np.ndarray:
    """Pairs i < j with values[i] > values[j], in O(n log^2 n) numpy work.

    A bottom-up merge sort: at each level every element of a right block
    counts the elements of its left block that are larger (one searchsorted
    over all blocks at once), then the block pairs are merged (a stable sort
    on already-sorted runs, which numpy's timsort does in linear time).

    With group_size > 0 the values are non-negative ints encoding
    group * group_size + value, and the inversions are returned per group.
    """
    values = np.asarray(values, dtype=np.int64)
    n = len(values)
    per_group = np.zeros(int(values.max(initial=0)) // group_size + 1 if group_size else 0, dtype=np.int64)
    if n < 2:
        return per_group if group_size else 0
    # Dense ranks keep the block keys below n * n, far from int64 overflow.
    distinct, a = np.unique(values, return_inverse=True)
    a = a.astype(np.int64).ravel()
    group_of_rank = distinct // group_size if group_size else None
    idx = np.arange(n, dtype=np.int64)
    total = 0
    width = 1
    while width < n:
        pair = idx // (2 * width)
        is_right = (idx // width) % 2 == 1
        key = pair * n + a
        left_keys = key[~is_right]
        right_pair = pair[is_right]
        not_greater = np.searchsorted(left_keys, key[is_right], side="right")
        greater = (right_pair + 1) * width - not_greater
        if group_size:
            per_group += np.bincount(group_of_rank[a[is_right]], weights=greater, minlength=len(per_group)).astype(np.int64)
        else:
            total += int(greater.sum())
        a = np.sort(key, kind="stable") - pair * n
        width *= 2
    return per_group if group_size else total


# Layer pairs with at most this many segments are counted with shifted
# comparisons (cheap: autograd graphs are narrow, 10-30 segments per pair on
# 10,000-node graphs, where this is ~3x faster than the merge count); wider
# ones by merge.
_PAIRWISE_MAX = 64


def crossings_per_layer_pair(layer_pair: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Crossings among segments joining consecutive layers, per layer pair.

    layer_pair[i] (a non-negative int) names the pair of layers segment i
    joins; first[i] and second[i] are its positions (any comparable numbers)
    on those layers. Returns counts indexed by layer_pair value.
    """
    layer_pair = np.asarray(layer_pair, dtype=np.int64)
    counts = np.zeros(int(layer_pair.max(initial=-1)) + 1, dtype=np.int64)
    if len(layer_pair) < 2:
        return counts
    order = np.lexsort((second, first, layer_pair))
    group = layer_pair[order]
    value = np.asarray(second)[order]
    size = np.bincount(group)
    small = size[group] <= _PAIRWISE_MAX
    g, v = group[small], value[small]
    shift = 1
    while len(g) > shift:
        crossed = (g[:-shift] == g[shift:]) & (v[:-shift] > v[shift:])
        counts += np.bincount(g[:-shift][crossed], minlength=len(counts))
        shift += 1
        narrow = size[g] <= shift  # pairs this narrow have no segments this far apart
        if narrow.any():
            g, v = g[~narrow], v[~narrow]
    if not small.all():
        g, v = group[~small], value[~small]
        _, v_rank = np.unique(v, return_inverse=True)
        stride = int(v_rank.max()) + 1
        # Offsetting each pair's values keeps inversions from spanning two pairs.
        per = count_inversions(g * stride + v_rank.ravel(), group_size=stride)
        counts[: len(per)] += per
    return counts


def count_layered_crossings(layer_pair: np.ndarray, first: np.ndarray, second: np.ndarray) -> int:
    """Total of crossings_per_layer_pair."""
    _, dense = np.unique(np.asarray(layer_pair), return_inverse=True)
    return int(crossings_per_layer_pair(dense.ravel(), first, second).sum())


def count_crossings(
    layout_or_positions,
    edges: Iterable[tuple[Hashable, Hashable]] | None = None,
    routes: Mapping[tuple[Hashable, Hashable], Sequence[tuple[float, float]]] | None = None,
    axis: int = 0,
    decimals: int = 3,
) -> int:
    """Edge crossings of a layered drawing, counted the same way for any layout.

    Pass a ``Layout``, or node positions with the edges (and optionally their
    drawn polylines). The layers are the distinct node coordinates along
    ``axis`` (0: x for left-right drawings, 1: y for top-bottom). Every edge
    is sampled where it passes each layer line between its two ends (on its
    polyline, or on the straight segment between the node centres when it has
    none) and at its two node centres; two edges cross between consecutive
    layer lines when their order swaps. This is exact for polylines that are
    monotone between layer lines, and it counts every layout the same way.
    """
    if hasattr(layout_or_positions, "positions"):
        layout = layout_or_positions
        positions = layout.positions
        edges = list(layout.routes)
        routes = layout.routes if routes is None else routes
        axis = 1 if layout.direction in ("TB", "BT") else 0
    else:
        positions = layout_or_positions
        edges = list(edges or [])
    if not edges:
        return 0
    along, across = axis, 1 - axis
    lines = np.unique(np.round([p[along] for p in positions.values()], decimals))
    samples_edge, samples_line, samples_value = [], [], []
    for e, (u, v) in enumerate(edges):
        pu, pv = positions[u], positions[v]
        lu, lv = np.searchsorted(lines, [round(pu[along], decimals), round(pv[along], decimals)])
        if lu == lv:
            continue  # an edge within one layer passes no layer gap
        if lu > lv:
            lu, lv, pu, pv = lv, lu, pv, pu
        inner = lines[lu + 1 : lv]
        route = routes.get((u, v)) if routes is not None else None
        if route is not None and len(route) >= 2:
            pts = np.asarray(route, dtype=float)
            a, b = pts[:, along], pts[:, across]
            if a[0] > a[-1]:
                a, b = a[::-1], b[::-1]
            a = np.maximum.accumulate(a)  # spline handles can wobble backwards
            inner_values = np.interp(inner, a, b)
        else:
            inner_values = np.interp(inner, [pu[along], pv[along]], [pu[across], pv[across]])
        samples_edge.append(np.full(lv - lu + 1, e))
        samples_line.append(np.arange(lu, lv + 1))
        samples_value.append(np.concatenate(([pu[across]], inner_values, [pv[across]])))
    if not samples_edge:
        return 0
    line = np.concatenate(samples_line)
    value = np.round(np.concatenate(samples_value), decimals)
    # Consecutive samples of the same edge form one segment between two lines.
    edge = np.concatenate(samples_edge)
    same_edge = edge[1:] == edge[:-1]
    return count_layered_crossings(line[:-1][same_edge], value[:-1][same_edge], value[1:][same_edge])
