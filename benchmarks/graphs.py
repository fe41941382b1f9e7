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


# --- model-shaped graphs recorded with gradviz (scopes included) -----------------------------
# These build real gradviz graphs from gradviz.nn modules, so every op carries the scope of the
# module call that recorded it (issue 11). Each returns (loss, names): pass both to
# gradviz.to_networkx or gradviz.explore. gradviz is imported inside them so that this file
# stays importable without it.


def _model_modules():
    """Small modules the model graphs need, from ops; gradviz.nn's own are used when it has
    them (Embedding, LayerNorm)."""
    from gradviz import nn

    class Embedding(nn.Module):
        def __init__(self, num, dim):
            super().__init__()
            import gradviz as torch
            self.weight = nn.Parameter(torch.randn(num, dim) * 0.1)

        def forward(self, idx):
            return self.weight[idx]

    class LayerNorm(nn.Module):
        def __init__(self, dim, eps=1e-5):
            super().__init__()
            import gradviz as torch
            self.weight = nn.Parameter(torch.ones(dim))
            self.bias = nn.Parameter(torch.zeros(dim))
            self.eps = eps

        def forward(self, x):
            mu = x.mean(-1, keepdim=True)
            xc = x - mu
            var = (xc * xc).mean(-1, keepdim=True)
            return xc / (var + self.eps).sqrt() * self.weight + self.bias

    return (getattr(nn, "Embedding", None) or Embedding, getattr(nn, "LayerNorm", None) or LayerNorm)


def gpt_like(n_layers: int = 12, n_heads: int = 12, dim: int = 24, seq: int = 4, vocab: int = 16,
             seed: int = 0):
    """A GPT-shaped model from gradviz.nn modules: token and position embeddings, then
    ``n_layers`` blocks (layer norm, causal self-attention with ``n_heads`` heads, residual,
    layer norm, MLP with a tanh-approximated GELU, residual), a final layer norm, the head and a
    cross-entropy loss. 12 layers of 12 heads (GPT-2 small's shape, tiny tensors) make about
    4,500 nodes (5,000 with the ops-built layer norm used when gradviz.nn has none).
    Returns (loss, names)."""
    import gradviz as torch
    from gradviz import nn
    import numpy as np

    Embedding, LayerNorm = _model_modules()
    head_dim = dim // n_heads
    mask = torch.tensor(np.triu(np.full((seq, seq), -1e9, dtype=np.float32), 1))

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.query = nn.Linear(dim, head_dim, bias=False)
            self.key = nn.Linear(dim, head_dim, bias=False)
            self.value = nn.Linear(dim, head_dim, bias=False)

        def forward(self, x):
            q, k, v = self.query(x), self.key(x), self.value(x)
            att = (q @ k.transpose(-2, -1)) * (1.0 / head_dim ** 0.5) + mask
            return torch.softmax(att, dim=-1) @ v

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.Sequential(*[Head() for _ in range(n_heads)])
            self.proj = nn.Linear(dim, dim)

        def forward(self, x):
            return self.proj(torch.cat([h(x) for h in self.heads], dim=-1))

    class GELU(nn.Module):
        def forward(self, x):
            return 0.5 * x * (1.0 + torch.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(dim, 4 * dim)
            self.act = GELU()
            self.proj = nn.Linear(4 * dim, dim)

        def forward(self, x):
            return self.proj(self.act(self.fc(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = LayerNorm(dim)
            self.attn = Attention()
            self.ln2 = LayerNorm(dim)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = Embedding(vocab, dim)
            self.wpe = Embedding(seq, dim)
            self.blocks = nn.Sequential(*[Block() for _ in range(n_layers)])
            self.ln_f = LayerNorm(dim)
            self.lm_head = nn.Linear(dim, vocab)

        def forward(self, idx):
            x = self.wte(idx) + self.wpe(torch.arange(seq))
            return self.lm_head(self.ln_f(self.blocks(x)))

    torch.manual_seed(seed)
    model = GPT()
    idx = torch.tensor(np.arange(seq) % vocab)
    targets = torch.tensor((np.arange(seq) + 1) % vocab)
    logits = model(idx)
    loss = nn.functional.cross_entropy(logits, targets)
    names = {"idx": idx, "targets": targets, "logits": logits, "loss": loss}
    names.update({n: p for n, p in model.named_parameters()})
    return loss, names


def cnn_like(n_stages: int = 4, blocks_per_stage: int = 2, channels: int = 4, seed: int = 0):
    """A ResNet-shaped convolutional net from gradviz.nn modules: a stem, stages of residual
    blocks (two 3x3 convolutions, each as unfold-by-slicing + a Linear over the patch, a
    normalisation and a ReLU, plus the skip), global pooling, a classifier and a loss.
    Returns (loss, names)."""
    import gradviz as torch
    from gradviz import nn
    import numpy as np

    size = 6

    class Conv(nn.Module):
        """3x3 same-padding convolution on (C, H, W): nine shifted views, stacked, mixed by a
        Linear (what im2col does)."""

        def __init__(self, cin, cout):
            super().__init__()
            self.mix = nn.Linear(9 * cin, cout)

        def forward(self, x):
            c, h, w = x.shape
            pad = torch.cat([torch.zeros(c, 1, w), x, torch.zeros(c, 1, w)], dim=1)
            pad = torch.cat([torch.zeros(c, h + 2, 1), pad, torch.zeros(c, h + 2, 1)], dim=2)
            patches = torch.cat([pad[:, i:i + h, j:j + w] for i in range(3) for j in range(3)], dim=0)
            out = self.mix(patches.permute(1, 2, 0))
            return out.permute(2, 0, 1)

    class Norm(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(c, 1, 1))
            self.bias = nn.Parameter(torch.zeros(c, 1, 1))

        def forward(self, x):
            mu = x.mean((1, 2), keepdim=True)
            xc = x - mu
            return xc / ((xc * xc).mean((1, 2), keepdim=True) + 1e-5).sqrt() * self.weight + self.bias

    class ResBlock(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.norm1, self.relu = Conv(c, c), Norm(c), nn.ReLU()
            self.conv2, self.norm2 = Conv(c, c), Norm(c)

        def forward(self, x):
            y = self.relu(self.norm1(self.conv1(x)))
            return self.relu(x + self.norm2(self.conv2(y)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = Conv(3, channels)
            self.stages = nn.Sequential(*[nn.Sequential(*[ResBlock(channels) for _ in range(blocks_per_stage)])
                                          for _ in range(n_stages)])
            self.fc = nn.Linear(channels, 10)

        def forward(self, x):
            x = self.stages(self.stem(x))
            return self.fc(x.mean((1, 2)).reshape(1, -1))

    torch.manual_seed(seed)
    model = Net()
    image = torch.randn(3, size, size)
    target = torch.tensor(np.array([3]))
    loss = nn.functional.cross_entropy(model(image), target)
    names = {"image": image, "target": target, "loss": loss}
    names.update({n: p for n, p in model.named_parameters()})
    return loss, names


def rnn_like(steps: int = 60, dim: int = 6, seed: int = 0):
    """An Elman RNN cell module called ``steps`` times (its weights shared by every call), a
    readout per step and the mean of the per-step losses. Returns (loss, names)."""
    import gradviz as torch
    from gradviz import nn

    class RNNCell(nn.Module):
        def __init__(self):
            super().__init__()
            self.ih = nn.Linear(dim, dim)
            self.hh = nn.Linear(dim, dim, bias=False)

        def forward(self, x, h):
            return torch.tanh(self.ih(x) + self.hh(h))

    torch.manual_seed(seed)
    cell, readout = RNNCell(), nn.Linear(dim, 1)
    h = torch.zeros(1, dim)
    losses = []
    for t in range(steps):
        h = cell(torch.randn(1, dim), h)
        losses.append(((readout(h) - 0.5) ** 2).sum())
    loss = torch.stack(losses).mean()
    names = {"loss": loss, "h0": h}
    names.update({f"cell.{n}": p for n, p in cell.named_parameters()})
    names.update({f"readout.{n}": p for n, p in readout.named_parameters()})
    return loss, names


def big_model(target_nodes: int = 50_000, seed: int = 0):
    """A GPT-like model deep enough for about ``target_nodes`` nodes (50,000: 134 layers)."""
    per_layer, base = 374, 23  # nodes one block of gpt_like adds, and the rest (measured)
    return gpt_like(n_layers=max(1, round((target_nodes - base) / per_layer)), seed=seed)
