"""Edge routes: polylines that pass layers only where a dummy holds room.

Inside a layer's column an edge runs straight along the layer axis at the
height of its own node or dummy (a slot no other box occupies); it changes
height only in the empty gap between two columns. So no route can cut
through a node, and between two layer centres each route is monotone, which
is what makes counting crossings by order swaps exact.
"""

from __future__ import annotations

import numpy as np

from .long_edges import ProperGraph


def route_points(
    pg: ProperGraph,
    src: np.ndarray,
    dst: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    along: np.ndarray,
    column_centre: np.ndarray,
    column_width: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All route points in the layer frame (a along layers, b across).

    Returns (a_points, b_points, start) where the route of original edge i
    is points start[i]:start[i + 1], consecutive duplicates removed.
    """
    span = pg.span
    n_edges = len(src)
    if n_edges == 0:
        return np.zeros(0), np.zeros(0), np.zeros(1, dtype=np.int64)
    # Chain of edge i: source, its dummies, target (span + 1 nodes).
    chain_len = span + 1
    edge = np.repeat(np.arange(n_edges), chain_len)
    chain_start = np.concatenate(([0], np.cumsum(chain_len)[:-1]))
    k = np.arange(int(chain_len.sum())) - chain_start[edge]
    node = np.where(k == 0, src[edge], np.where(k == span[edge], dst[edge], pg.first_dummy[edge] + k - 1))
    col = pg.layer[node]
    left = column_centre[col] - column_width[col] / 2
    right = column_centre[col] + column_width[col] / 2
    # The source leaves from its boundary, the target is entered at its boundary.
    left = np.where(k == 0, a[node] + along[node] / 2, left)
    right = np.where(k == span[edge], a[node] - along[node] / 2, right)
    pa = np.stack((left, right), axis=1).ravel()
    pb = np.repeat(b[node], 2)
    pe = np.repeat(edge, 2)
    keep = np.ones(len(pa), dtype=bool)
    keep[1:] = ~((pe[1:] == pe[:-1]) & np.isclose(pa[1:], pa[:-1]) & (pb[1:] == pb[:-1]))
    pa, pb, pe = pa[keep], pb[keep], pe[keep]
    start = np.searchsorted(pe, np.arange(n_edges + 1))
    return pa, pb, start
