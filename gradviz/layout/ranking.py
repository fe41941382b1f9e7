"""Ranking: which layer each node goes in.

Nodes are numbered in the graph's insertion order and every loop below walks
them in that order, so the result never depends on hashing.
"""

from __future__ import annotations

from typing import Hashable

import networkx as nx
import numpy as np


def index_graph(graph: nx.DiGraph) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    """Nodes in insertion order, and edges as (source, target) index arrays."""
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    pairs = [(index[u], index[v]) for u, v in graph.edges()]
    edges = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return nodes, edges[:, 0].copy(), edges[:, 1].copy()


def adjacency(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[list[list[int]], list[list[int]]]:
    """Successor and predecessor lists, each in edge insertion order."""
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(src.tolist(), dst.tolist()):
        succ[u].append(v)
        pred[v].append(u)
    return succ, pred


def rank_nodes(graph: nx.DiGraph, nodes: list, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Layer of every node: inputs on the left, every edge going one layer or more right.

    Longest path from the sources first (which places the sinks: the loss and
    any other output), then every other node is pulled right to just before
    its first consumer (longest path to the sinks). A leaf (weight, bias, the
    loss target) then sits next to the op that uses it, and of the branches
    leaving one tensor the shorter ones start later instead of ending early:
    the ops right after a fan-out land in different layers, so their side
    inputs no longer have to slip between the tensor's edges (on 2,000-node
    `branchy` graphs 32 -> 12 crossings, dot 18).
    """
    n = len(nodes)
    succ, pred = adjacency(n, src, dst)
    indegree = [len(p) for p in pred]
    remaining = indegree[:]
    topo = [v for v in range(n) if remaining[v] == 0]
    rank = [0] * n
    i = 0
    while i < len(topo):  # Kahn's algorithm; `topo` doubles as the FIFO queue
        u = topo[i]
        i += 1
        ru = rank[u] + 1
        for v in succ[u]:
            if rank[v] < ru:
                rank[v] = ru
            remaining[v] -= 1
            if remaining[v] == 0:
                topo.append(v)
    if len(topo) < n:
        cycle = nx.find_cycle(graph)
        raise ValueError(f"layered_layout needs a DAG, but the graph has a cycle: {cycle}")
    for u in reversed(topo):
        out = succ[u]
        if out:
            rank[u] = min(rank[v] for v in out) - 1
    return np.array(rank, dtype=np.int64)
