"""Coordinates: where each layer sits, and where each node sits in its layer.

Along the layers: each layer is a column as wide as its widest node, with a
fixed gap between columns, so nodes never overlap across layers.

Within a layer: nodes keep the order crossing reduction chose and keep at
least a minimum gap to their neighbours; subject to that, each node is pulled
towards the weighted mean of the nodes it is joined to (long edges pulled
hardest, see long_edges). Each round moves all even layers, then all odd
layers (a red-black Gauss-Seidel step, vectorised over layers), and projects
each layer back onto its gap constraints. Chains come out straight, an op
sits between its inputs, and the picture stays compact.
"""

from __future__ import annotations

import numpy as np

from .long_edges import ProperGraph


def layer_columns(pg: ProperGraph, along: np.ndarray, rank_sep: float) -> tuple[np.ndarray, np.ndarray]:
    """Centre and width of every layer's column along the layer axis."""
    width = np.zeros(pg.n_layers)
    np.maximum.at(width, pg.layer, along)
    gaps = np.concatenate(([0.0], (width[:-1] + width[1:]) / 2 + rank_sep))
    centre = np.cumsum(gaps) + width[0] / 2 if len(width) else width
    return centre, width


def _grouped_cummax(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running maximum that restarts at each group (groups sorted ascending)."""
    lo, hi = values.min(), values.max()
    stride = (hi - lo) * 2 + 1.0
    shifted = values - lo + group * stride
    return np.maximum.accumulate(shifted) - group * stride + lo


def _grouped_reverse_cummin(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running minimum from the end, restarting at each group."""
    lo, hi = values.min(), values.max()
    stride = (hi - lo) * 2 + 1.0
    shifted = (values - lo + group * stride)[::-1]
    return np.minimum.accumulate(shifted)[::-1] - group * stride + lo


def in_layer_coordinates(
    pg: ProperGraph,
    pos: np.ndarray,
    across: np.ndarray,
    node_sep: float,
    edge_sep: float,
    rounds: int = 12,
) -> np.ndarray:
    """Coordinate of every node across its layer (top = 0, growing downwards)."""
    n = pg.n_nodes
    if n == 0:
        return np.zeros(0)
    seq = np.lexsort((pos, pg.layer))  # nodes layer by layer, in order
    layer = pg.layer[seq]
    is_dummy = seq >= pg.n_real
    size = across[seq]
    first_in_layer = np.concatenate(([True], layer[1:] != layer[:-1]))
    sep = np.where(is_dummy[1:] | is_dummy[:-1], edge_sep, node_sep)
    gap = np.concatenate(([0.0], (size[1:] + size[:-1]) / 2 + sep))
    gap[first_in_layer] = 0.0
    # offset: how far below its layer's first node a fully packed node sits.
    running = np.cumsum(gap)
    offset = running - np.maximum.accumulate(np.where(first_in_layer, running, 0.0))

    layer_length = np.zeros(pg.n_layers)
    np.maximum.at(layer_length, layer, offset)
    coord = offset - layer_length[layer] / 2  # packed and centred per layer

    # Edges in sequence indices, both directions, for the neighbour means.
    where = np.empty(n, dtype=np.int64)
    where[seq] = np.arange(n)
    a = np.concatenate((where[pg.src], where[pg.dst]))
    b = np.concatenate((where[pg.dst], where[pg.src]))
    w = np.concatenate((pg.weight, pg.weight))
    weight_sum = np.bincount(a, weights=w, minlength=n)
    has_neighbours = weight_sum > 0
    parity = layer % 2
    for r in range(rounds):
        for p in (r % 2, 1 - r % 2):
            pull = np.bincount(a, weights=w * coord[b], minlength=n)
            desired = np.where(has_neighbours, pull / np.where(has_neighbours, weight_sum, 1.0), coord)
            desired = np.where(parity == p, desired, coord)
            # Order-preserving projection onto "gap to the previous node":
            # in z = coord - offset the constraint is just z non-decreasing,
            # and the mean of the forward running max and backward running
            # min is a non-decreasing compromise that is exact wherever the
            # desired positions already respect the gaps.
            z = desired - offset
            z = 0.5 * (_grouped_cummax(z, layer) + _grouped_reverse_cummin(z, layer))
            coord = z + offset
    out = np.empty(n)
    out[seq] = coord
    return out
