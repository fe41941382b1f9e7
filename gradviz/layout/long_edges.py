"""Splitting edges that skip layers into chains of dummy nodes.

After the split every edge joins two consecutive layers (a "proper" layered
graph), which is what crossing reduction and routing work on. A dummy is a
point where a long edge passes through a layer; it takes room in that layer
like a thin node, so the edge bends around the real nodes instead of through
them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# How hard coordinate assignment pulls an edge straight, by what it joins
# (the same ratios as Graphviz dot): long edges should look straight most.
WEIGHT_REAL_REAL = 1.0
WEIGHT_REAL_DUMMY = 2.0
WEIGHT_DUMMY_DUMMY = 8.0


@dataclass(frozen=True)
class ProperGraph:
    """A layered graph whose edges all join consecutive layers.

    Nodes 0..n_real-1 are the real nodes; the dummies of original edge i are
    the consecutive ids first_dummy[i] .. first_dummy[i] + span[i] - 2.
    """

    n_real: int
    layer: np.ndarray  # layer of every node, real and dummy
    src: np.ndarray  # proper edges, each from layer k to layer k + 1
    dst: np.ndarray
    weight: np.ndarray  # straightening weight of each proper edge
    first_dummy: np.ndarray  # per original edge
    span: np.ndarray  # per original edge: layers it crosses (>= 1)

    @property
    def n_nodes(self) -> int:
        return len(self.layer)

    @property
    def n_layers(self) -> int:
        return int(self.layer.max()) + 1 if len(self.layer) else 0


def split_long_edges(rank: np.ndarray, src: np.ndarray, dst: np.ndarray) -> ProperGraph:
    n = len(rank)
    span = rank[dst] - rank[src]
    n_dummies = span - 1
    first_dummy = n + np.concatenate(([0], np.cumsum(n_dummies)[:-1])).astype(np.int64)
    # Segment j of edge i goes from chain node j to chain node j + 1, where
    # chain node 0 is the source, the last is the target, the rest dummies.
    edge_of_segment = np.repeat(np.arange(len(src)), span)
    segment_start = np.concatenate(([0], np.cumsum(span)[:-1])).astype(np.int64)
    j = np.arange(int(span.sum())) - segment_start[edge_of_segment]
    base = first_dummy[edge_of_segment]
    last = span[edge_of_segment] - 1
    seg_src = np.where(j == 0, src[edge_of_segment], base + j - 1)
    seg_dst = np.where(j == last, dst[edge_of_segment], base + j)

    dummy_edge = np.repeat(np.arange(len(src)), n_dummies)
    dummy_step = np.arange(int(n_dummies.sum())) - (first_dummy[dummy_edge] - n)
    dummy_layer = rank[src][dummy_edge] + 1 + dummy_step
    layer = np.concatenate((rank, dummy_layer)).astype(np.int64)

    src_dummy = seg_src >= n
    dst_dummy = seg_dst >= n
    weight = np.where(
        src_dummy & dst_dummy,
        WEIGHT_DUMMY_DUMMY,
        np.where(src_dummy | dst_dummy, WEIGHT_REAL_DUMMY, WEIGHT_REAL_REAL),
    )
    return ProperGraph(n, layer, seg_src.astype(np.int64), seg_dst.astype(np.int64), weight, first_dummy, span)
