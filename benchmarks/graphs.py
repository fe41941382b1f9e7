"""Autograd-shaped DAGs for the layout benchmark and tests.

The graphs follow gradviz's graph schema (tensor -> function -> tensor, edges
pointing forward) and mimic what real programs build: chains of ops with side
inputs (weights, biases), residual skip connections, a tensor used by several
ops (fan-out) and several branches summed together (fan-in), ending in one
scalar loss. Everything is drawn from ``random.Random(seed)``, so a (size,
seed, shape) triple always gives the same graph, node order included.
"""

from __future__ import annotations

import random

import networkx as nx

SHAPES = ("mlp", "resnet", "branchy", "mixed")


class _Program:
    """Records ops the way the autograd engine would, as a networkx graph."""

    def __init__(self) -> None:
        self.graph = nx.DiGraph()
        self._count = 0

    def _id(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def leaf(self, label: str, shape: tuple[int, ...] = (4, 4)) -> str:
        node = self._id("t")
        self.graph.add_node(node, kind="tensor", label=label, shape=shape)
        return node

    def op(self, name: str, *inputs: str, shape: tuple[int, ...] = (4, 4)) -> str:
        function = self._id("f")
        self.graph.add_node(function, kind="function", label=name)
        for input_nr, tensor in enumerate(inputs):
            self.graph.add_edge(tensor, function, input_nr=input_nr)
        output = self._id("t")
        self.graph.add_node(output, kind="tensor", label=f"v{self._count}", shape=shape)
        self.graph.add_edge(function, output, input_nr=0)
        return output


def _linear(p: _Program, x: str, rng: random.Random) -> str:
    w = p.leaf(f"w{p._count}")
    y = p.op("MmBackward0", x, w)
    if rng.random() < 0.7:
        y = p.op("AddBackward0", y, p.leaf(f"b{p._count}", (4,)))
    return y


def _activation(p: _Program, x: str, rng: random.Random) -> str:
    return p.op(rng.choice(["ReluBackward0", "TanhBackward0", "SigmoidBackward0"]), x)


def _mlp_step(p: _Program, x: str, history: list[str], rng: random.Random) -> str:
    return _activation(p, _linear(p, x, rng), rng)


def _resnet_step(p: _Program, x: str, history: list[str], rng: random.Random) -> str:
    block_input = x
    for _ in range(rng.randint(1, 3)):
        x = _mlp_step(p, x, history, rng)
    x = p.op("AddBackward0", x, block_input)  # the skip connection
    if len(history) > 8 and rng.random() < 0.15:
        x = p.op("AddBackward0", x, history[-rng.randint(4, 8)])  # a longer skip
    return x


def _branchy_step(p: _Program, x: str, history: list[str], rng: random.Random) -> str:
    branches = []
    for _ in range(rng.randint(2, 4)):  # fan-out: x feeds every branch
        b = x
        for _ in range(rng.randint(1, 3)):
            b = rng.choice([_mlp_step, lambda p, b, h, r: _activation(p, b, r)])(p, b, history, rng)
        branches.append(b)
    # fan-in: the branches are summed (or multiplied) pairwise back together
    while len(branches) > 1:
        a, b = branches.pop(0), branches.pop(0)
        branches.append(p.op(rng.choice(["AddBackward0", "MulBackward0"]), a, b))
    return branches[0]


def _mixed_step(p: _Program, x: str, history: list[str], rng: random.Random) -> str:
    step = rng.choices([_mlp_step, _resnet_step, _branchy_step], weights=[3, 2, 1])[0]
    x = step(p, x, history, rng)
    if len(history) > 4 and rng.random() < 0.1:
        # a tensor computed earlier reused much later (e.g. an attention mask)
        x = p.op("MulBackward0", x, history[rng.randrange(len(history) // 2, len(history))])
    return x


_STEPS = {"mlp": _mlp_step, "resnet": _resnet_step, "branchy": _branchy_step, "mixed": _mixed_step}


def autograd_dag(n_nodes: int, seed: int = 0, shape: str = "mixed") -> nx.DiGraph:
    """An autograd-shaped DAG of about ``n_nodes`` nodes (the last op can overshoot).

    A few independent input streams are built and joined at the end into a
    scalar loss (with a target input, as ``mse_loss(pred, y)`` would).
    """
    if shape not in _STEPS:
        raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")
    rng = random.Random(f"{shape}:{seed}:{n_nodes}")
    p = _Program()
    streams = [p.leaf("x", (8, 4))]
    if n_nodes > 60:
        streams.append(p.leaf("x2", (8, 4)))
    histories: list[list[str]] = [[s] for s in streams]
    step = _STEPS[shape]
    budget = max(n_nodes - 8, 1)
    while p.graph.number_of_nodes() < budget:
        i = rng.randrange(len(streams))
        streams[i] = step(p, streams[i], histories[i], rng)
        histories[i].append(streams[i])
    out = streams[0]
    for other in streams[1:]:
        out = p.op("AddBackward0", out, other)
    target = p.leaf("y", (8, 4))
    p.op("MseLossBackward0", out, target, shape=())
    return p.graph


def random_dag(n_nodes: int, n_edges: int, seed: int = 0) -> nx.DiGraph:
    """A random DAG with no autograd structure, for property tests."""
    rng = random.Random(seed)
    g = nx.DiGraph()
    for i in range(n_nodes):
        g.add_node(f"n{i}", kind=rng.choice(["tensor", "function"]), label="x" * rng.randint(1, 14))
    for _ in range(n_edges):
        a, b = sorted(rng.sample(range(n_nodes), 2)) if n_nodes > 1 else (0, 0)
        if a != b:
            g.add_edge(f"n{a}", f"n{b}")
    return g
