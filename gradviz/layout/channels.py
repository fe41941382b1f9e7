"""Very long edges routed over the top of the drawing instead of through it.

An edge spanning k layers costs k - 1 dummy nodes. A few edges spanning
thousands of layers (a weight shared by every step of an unrolled network, a
tensor reused at the very end) can outnumber the real nodes a hundredfold
and make every later phase slow. Past a dummy budget the longest edges leave
the layered graph: each climbs, in the empty gap right after its source's
column, to a horizontal track above all nodes, runs along it, and comes
down in the gap right before its target's column. Gaps and tracks hold no
boxes, so these routes still cut through no node.
"""

from __future__ import annotations

import heapq

import numpy as np


def pick_channel_edges(span: np.ndarray, budget: int) -> np.ndarray:
    """Mask of the longest edges to take out so the dummies fit the budget."""
    dummies = span - 1
    if dummies.sum() <= budget:
        return np.zeros(len(span), dtype=bool)
    longest_first = np.argsort(-span, kind="stable")
    left_after = dummies.sum() - np.cumsum(dummies[longest_first])
    n_out = int(np.searchsorted(-left_after, -budget)) + 1
    mask = np.zeros(len(span), dtype=bool)
    mask[longest_first[:n_out]] = True
    return mask


def assign_tracks(first_layer: np.ndarray, last_layer: np.ndarray) -> np.ndarray:
    """Track per channel edge; edges whose layer ranges overlap get distinct tracks.

    Greedy interval partitioning (by start, reusing the lowest free track),
    which uses as few tracks as the deepest overlap needs.
    """
    order = np.lexsort((last_layer, first_layer)).tolist()
    first, last = first_layer.tolist(), last_layer.tolist()
    track = [0] * len(first)
    busy: list[tuple[int, int]] = []  # (last layer, track) of edges still running
    free: list[int] = []
    n_tracks = 0
    for i in order:
        while busy and busy[0][0] < first[i]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            t = heapq.heappop(free)
        else:
            t, n_tracks = n_tracks, n_tracks + 1
        track[i] = t
        heapq.heappush(busy, (last[i], t))
    return np.array(track, dtype=np.int64)


def channel_routes(
    a_src_exit: np.ndarray,
    b_src: np.ndarray,
    gap_after_src: np.ndarray,
    gap_before_dst: np.ndarray,
    a_dst_entry: np.ndarray,
    b_dst: np.ndarray,
    track_b: np.ndarray,
) -> np.ndarray:
    """Six points per edge, shape (m, 6, 2), in the layer frame (a, b)."""
    return np.stack(
        [
            np.stack((a_src_exit, b_src), axis=1),
            np.stack((gap_after_src, b_src), axis=1),
            np.stack((gap_after_src, track_b), axis=1),
            np.stack((gap_before_dst, track_b), axis=1),
            np.stack((gap_before_dst, b_dst), axis=1),
            np.stack((a_dst_entry, b_dst), axis=1),
        ],
        axis=1,
    )
