"""PyTorch graphs (issue 9): export and recording costs on a model-shaped torch graph.

- export: ``gradviz.torch_graph.to_networkx`` of a stack of pre-norm transformer blocks
  (LayerNorm, self-attention, LayerNorm, MLP, residual adds) deep enough to give about 10,000
  graph nodes (tensors + functions), traced with ``gradviz.trace`` so every node has a scope;
- recording: ``RecordedPass`` (one real backward with a hook on every node and leaf, every
  gradient copied to numpy, then every ``.grad`` put back) against one plain ``loss.backward()``
  on an identical graph, measured side by side in the same loop, medians.

Run: python benchmarks/bench_torch_graph.py [threads]   (PyTorch intra-op threads, default 1:
on a shared machine several threads per process make backward's own time swing tenfold)
"""
from __future__ import annotations

import gc
import statistics
import sys
import time

import torch
from torch import nn

import gradviz
from gradviz.torch_graph import RecordedPass, to_networkx


class Block(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class Tower(nn.Module):
    def __init__(self, depth: int, width: int = 32, heads: int = 4):
        super().__init__()
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.head = nn.Linear(width, 1)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.head(x).pow(2).mean()


def make(depth: int, seed: int = 0):
    torch.manual_seed(seed)
    model = Tower(depth)
    x = torch.randn(4, 16, 32)
    return model, x


def loss_of(model, x, traced: bool = False):
    if traced:
        with gradviz.trace(model):
            return model(x)
    return model(x)


def median(xs):
    return statistics.median(xs)


def main() -> None:
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    print("## PyTorch graphs (issue 9)\n")
    depth = 1
    while True:  # the depth whose export first reaches 10,000 nodes
        model, x = make(depth)
        n = to_networkx(loss_of(model, x), model=model).number_of_nodes()
        if n >= 10_000:
            break
        depth = max(depth + 1, int(depth * 10_000 / n))
    model, x = make(depth)
    loss = loss_of(model, x, traced=True)
    G = to_networkx(loss, model=model)
    functions = sum(1 for _, d in G.nodes(data=True) if d["kind"] == "function")
    scoped = sum(1 for _, d in G.nodes(data=True) if d["kind"] == "function" and d["scope"])
    print(f"graph: {depth} blocks, {G.number_of_nodes():,} nodes ({functions:,} autograd nodes, "
          f"{scoped:,} with a module scope), {G.number_of_edges():,} edges")

    export, export_cpu = [], []
    for _ in range(7):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        to_networkx(loss, model=model)
        export.append(time.perf_counter() - t)
        export_cpu.append(time.process_time() - c)
    print(f"export: median {median(export):.3f} s wall, {median(export_cpu):.3f} s CPU "
          f"(target <= 1 s)")

    # Side by side: each round builds two identical graphs, then times a plain backward on one
    # and a recorded pass on the other.
    plain, recorded, plain_cpu, recorded_cpu, events = [], [], [], [], 0
    for _ in range(9):
        model.zero_grad(set_to_none=True)
        l1 = loss_of(model, x)
        l2 = loss_of(model, x)
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        l1.backward()
        plain.append(time.perf_counter() - t)
        plain_cpu.append(time.process_time() - c)
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        p = RecordedPass(l2)
        recorded.append(time.perf_counter() - t)
        recorded_cpu.append(time.process_time() - c)
        events = p.total
        del p, l1, l2
    print(f"pass: {events:,} events; plain loss.backward() median {median(plain) * 1e3:.1f} ms, "
          f"RecordedPass median {median(recorded) * 1e3:.1f} ms: "
          f"{median(recorded) / median(plain):.2f}x wall (target <= 3x); CPU time "
          f"{median(plain_cpu) * 1e3:.1f} ms vs {median(recorded_cpu) * 1e3:.1f} ms: "
          f"{median(recorded_cpu) / median(plain_cpu):.2f}x")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
