"""Layout benchmark: gradviz's layered_layout against Graphviz dot and networkx.

For each size and graph shape (benchmarks/graphs.py), every layout runs
`--repeats` times, interleaved so that machine noise hits all of them alike;
the medians, their ratios, and the edge crossings of each drawing are printed
as a markdown table. Crossings are counted by one function for all layouts,
gradviz.layout.count_crossings: every edge's drawn curve (our routes, dot's
splines, networkx's straight lines) is sampled at the layer lines, and two
edges cross between consecutive layer lines when their order swaps.

    python benchmarks/bench_layout.py [--sizes 100 500 ...] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from graphs import SHAPES, autograd_dag  # noqa: E402

from gradviz.layout import count_crossings, layered_layout  # noqa: E402
from gradviz.layout.model import default_node_size  # noqa: E402

POINTS_PER_INCH = 72.0


def to_dot(graph: nx.DiGraph) -> str:
    """The graph in DOT, with the same box sizes layered_layout uses."""
    lines = ["digraph G {", "rankdir=LR;", "node [shape=box, fixedsize=true];"]
    for node, attrs in graph.nodes(data=True):
        w, h = default_node_size(node, attrs)
        lines.append(f'"{node}" [width={w / POINTS_PER_INCH:.3f}, height={h / POINTS_PER_INCH:.3f}];')
    lines.extend(f'"{u}" -> "{v}";' for u, v in graph.edges())
    lines.append("}")
    return "\n".join(lines)


def _bezier_polyline(points: np.ndarray, samples: int = 8) -> np.ndarray:
    """dot's piecewise cubic Bezier control points as a dense polyline."""
    t = np.linspace(0.0, 1.0, samples + 1)[:, None]
    out = [points[:1]]
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        curve = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
        out.append(curve[1:])
    return np.concatenate(out)


def dot_layout(dot_source: str) -> tuple[dict, dict]:
    """Run `dot -Tplain`; node centres and edge polylines, in inches."""
    plain = subprocess.run(["dot", "-Tplain"], input=dot_source, capture_output=True, text=True, check=True).stdout
    positions, routes = {}, {}
    for line in plain.splitlines():
        parts = line.split()
        if parts[0] == "node":
            positions[parts[1].strip('"')] = (float(parts[2]), float(parts[3]))
        elif parts[0] == "edge":
            n = int(parts[3])
            pts = np.array(parts[4 : 4 + 2 * n], dtype=float).reshape(n, 2)
            routes[(parts[1].strip('"'), parts[2].strip('"'))] = _bezier_polyline(pts)
    return positions, routes


def multipartite(graph: nx.DiGraph) -> dict:
    g = graph.copy()
    for layer, generation in enumerate(nx.topological_generations(g)):
        for node in generation:
            g.nodes[node]["layer"] = layer
    return nx.multipartite_layout(g, subset_key="layer")


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000, 5000, 10000])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dot-repeats", type=int, default=3)
    parser.add_argument("--dot-repeats-large", type=int, default=1, help="dot runs at 5000 nodes and more")
    parser.add_argument("--dot-max-seconds", type=float, default=120.0, help="skip dot at larger sizes once a run takes longer")
    parser.add_argument(
        "--dot-cache",
        type=Path,
        help="JSON file of dot's results (median seconds, crossings) per shape and size: reused when present, filled "
        "when not, so the slow dot runs at 5,000+ nodes need not be repeated for every gradviz change",
    )
    args = parser.parse_args()
    cache = json.loads(args.dot_cache.read_text()) if args.dot_cache and args.dot_cache.exists() else {}
    have_dot = shutil.which("dot") is not None
    dot_version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip() if have_dot else "absent"
    print(f"python {platform.python_version()}, numpy {np.__version__}, networkx {nx.__version__}, {dot_version}")
    print(f"command: python {' '.join(sys.argv)}\n")
    print("| shape | nodes | edges | gradviz s | dot s | nx multipartite s | dot / gradviz time | gradviz crossings | dot crossings | nx crossings | gradviz / dot crossings |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    dot_too_slow = {shape: False for shape in args.shapes}
    for size in args.sizes:
        for shape in args.shapes:
            graph = autograd_dag(size, seed=0, shape=shape)
            source = to_dot(graph)
            ours, dots, nxs = [], [], []
            cached = cache.get(f"{shape}:{size}")
            run_dot = have_dot and not dot_too_slow[shape] and cached is None
            dot_repeats = args.dot_repeats if size < 5000 else args.dot_repeats_large
            for r in range(max(args.repeats, dot_repeats if run_dot else 0)):
                if r < args.repeats:
                    t, layout = timed(layered_layout, graph)
                    ours.append(t)
                    t, nx_positions = timed(multipartite, graph)
                    nxs.append(t)
                if run_dot and r < dot_repeats:
                    t, (dot_positions, dot_routes) = timed(dot_layout, source)
                    dots.append(t)
                    if t > args.dot_max_seconds:
                        dot_too_slow[shape] = True
                        break
            ours_s, nx_s = statistics.median(ours), statistics.median(nxs)
            c_ours = count_crossings(layout)
            c_nx = count_crossings(nx_positions, graph.edges())
            row = [shape, graph.number_of_nodes(), graph.number_of_edges(), f"{ours_s:.3f}"]
            if dots:
                dot_s = statistics.median(dots)
                c_dot = count_crossings(dot_positions, graph.edges(), dot_routes)
                if args.dot_cache:
                    cache[f"{shape}:{size}"] = [dot_s, c_dot]
                    args.dot_cache.write_text(json.dumps(cache, indent=1))
            elif cached is not None:
                dot_s, c_dot = cached
                if dot_s > args.dot_max_seconds:
                    dot_too_slow[shape] = True
            if dots or cached is not None:
                ratio = f"{c_ours / c_dot:.2f}" if c_dot else ("1.00" if c_ours == 0 else "inf")
                row += [f"{dot_s:.2f}", f"{nx_s:.3f}", f"{dot_s / ours_s:.0f}x", c_ours, c_dot, c_nx, ratio]
            else:
                row += ["skipped", f"{nx_s:.3f}", "", c_ours, "", c_nx, ""]
            print("| " + " | ".join(map(str, row)) + " |", flush=True)


if __name__ == "__main__":
    main()
