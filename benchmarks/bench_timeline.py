"""What the timeline costs per step, alone and inside the explorer's Step (issue 12).

    python benchmarks/bench_timeline.py [--rounds 6]

- timeline alone: ``Timeline.step()`` plus reading ``counter`` and ``sentence`` and taking the
  touched set (what the explorer does per Step besides drawing), and ``back()`` likewise, on the
  seed graph and on an unrolled RNN of about 5,000 nodes; ``Stepper.step()`` (the pass alone)
  beside it;
- inside the explorer: ``Explorer.step()`` on the seed graph, split into ``Timeline.step()`` and
  the drawing (patching the Bokeh sources, counter, sentence, buttons).

Medians; no browser (``benchmarks/bench_explorer.py`` times the click in the page).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def ms(xs) -> float:
    return 1e3 * statistics.median(xs)


def timeline_alone(root, names, rounds: int) -> dict:
    from gradviz import sources
    from gradviz.autograd.stepper import Stepper
    from gradviz.timeline import Timeline

    for t in names.values():
        if t.is_leaf:
            t.grad = None
    tl = Timeline(sources.to_networkx(root, names), root)
    steps, backs = [], []
    for _ in range(rounds):
        while True:
            t0 = time.perf_counter()
            entry = tl.step()
            tl.counter, tl.sentence, tl.take_touched()
            steps.append(time.perf_counter() - t0)
            if entry is None:
                break
        while tl.position:
            t0 = time.perf_counter()
            tl.back()
            tl.counter, tl.sentence, tl.take_touched()
            backs.append(time.perf_counter() - t0)
    bare = []
    p = Stepper(root)
    while True:
        t0 = time.perf_counter()
        event = p.step()
        bare.append(time.perf_counter() - t0)
        if event is None:
            break
    p.reset()
    return {"nodes": tl.G.number_of_nodes(), "events": tl.current_pass.total,
            "step_ms": ms(steps), "back_ms": ms(backs), "stepper_ms": ms(bare)}


def explorer_split(rounds: int) -> dict:
    from gradviz.examples import build
    from gradviz.viz.explorer import Explorer

    ex = build("seed")
    view = Explorer(ex.root, names=ex.names)
    total, in_timeline, drawing = [], [], []
    step, patch = view.timeline.step, view._patch

    def timed_step():
        t0 = time.perf_counter()
        try:
            return step()
        finally:
            in_timeline.append(time.perf_counter() - t0)

    def timed_patch(nodes, edges):
        t0 = time.perf_counter()
        patch(nodes, edges)
        drawing.append(time.perf_counter() - t0)

    view.timeline.step, view._patch = timed_step, timed_patch
    for _ in range(rounds):
        while not view.stepper.done:
            t0 = time.perf_counter()
            view.step()
            total.append(time.perf_counter() - t0)
        view.reset()
    return {"step_ms": ms(total), "timeline_ms": ms(in_timeline), "drawing_ms": ms(drawing)}


def main(argv=None) -> int:
    import os

    import bench_explorer

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f}")
    root, names, _ = bench_explorer.small_graph()
    print("seed graph, timeline alone:", timeline_alone(root, names, args.rounds))
    root, names, _ = bench_explorer.chain_graph(5000)
    print("5,000-node RNN, timeline alone:", timeline_alone(root, names, 2))
    print("seed graph, Explorer.step:", explorer_split(args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
