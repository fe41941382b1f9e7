"""Graph export and stepper costs (issue 3).

- export: ``to_networkx`` of a graph of about 100k nodes (tensors + functions), median of runs;
- stepper: a whole pass of a graph of about 10k nodes, stepped event by event with undo
  records, against one ``backward()`` on a twin graph: time per event, and the memory the
  pass holds (tracemalloc peak) against backward's.

Run: python benchmarks/bench_graph.py
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np

import gradviz as gv
from gradviz.graph import to_networkx


def mlp_unroll(n_nodes: int, width: int = 8, seed: int = 0):
    """A residual tower: each block is linear -> tanh -> add skip, so the graph has chains,
    side inputs (weights), fan-out (the skip) and fan-in (the add). ~2 function nodes and
    ~2.5 tensor nodes per op; blocks are added until the export has about n_nodes nodes."""
    rng = np.random.default_rng(seed)
    x = gv.tensor(rng.standard_normal((4, width)))
    params = []
    h = x
    blocks = max(1, n_nodes // 10)
    for _ in range(blocks):
        w = gv.tensor(rng.standard_normal((width, width)) * 0.3, requires_grad=True)
        b = gv.tensor(np.zeros(width), requires_grad=True)
        params += [w, b]
        h = h + gv.tanh(h @ w + b)
    return (h * h).mean(), params


def median_time(fn, repeat: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = clock()
        fn()
        times.append(clock() - t)
    return statistics.median(times)


def main() -> None:
    sys.setrecursionlimit(10000)
    print("## Graph export and stepper (issue 3)\n")
    root, _ = mlp_unroll(100_000)
    G = to_networkx(root, names={})
    n = G.number_of_nodes()
    t_export = median_time(lambda: to_networkx(root, names={}), 5)
    cpu_export = median_time(lambda: to_networkx(root, names={}), 5, time.process_time)
    print(f"export: {n:,} nodes, {G.number_of_edges():,} edges: median {t_export:.3f} s wall, "
          f"{cpu_export:.3f} s CPU ({cpu_export / n * 1e6:.2f} us/node); goal <= 1 s")
    print(f"  (load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

    root, params = mlp_unroll(10_000, seed=1)
    twin, twin_params = mlp_unroll(10_000, seed=1)
    n = to_networkx(root, names={}).number_of_nodes()

    gc.collect()
    tracemalloc.start()
    t = time.perf_counter()
    twin.backward()
    t_backward = time.perf_counter() - t
    _, peak_backward = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    gc.collect()
    tracemalloc.start()
    s = gv.Stepper(root)
    t = time.perf_counter()
    while s.step() is not None:
        pass
    t_step = time.perf_counter() - t
    _, peak_step = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for p, q in zip(params, twin_params):
        assert np.array_equal(p.grad.numpy(), q.grad.numpy()), "stepper disagrees with backward()"

    t = time.perf_counter()
    s.reset()
    t_reset = time.perf_counter() - t
    per_event = t_step / s.total
    print(f"stepper over a {n:,}-node graph: {s.total:,} events")
    print(f"  backward(): {t_backward * 1e3:.1f} ms, peak traced memory {peak_backward / 1e6:.2f} MB")
    print(f"  stepping every event: {t_step * 1e3:.1f} ms ({per_event * 1e6:.1f} us/event, "
          f"{t_step / t_backward:.2f}x backward), peak traced memory {peak_step / 1e6:.2f} MB "
          f"({peak_step / max(peak_backward, 1):.2f}x backward)")
    print(f"  stepping all the way back: {t_reset * 1e3:.1f} ms ({t_reset / s.total * 1e6:.1f} us/event)")


if __name__ == "__main__":
    main()
