"""Building the explorer in Python: where the time goes, and two commits side by side.

    python benchmarks/bench_build.py [--models big,gpt,gpt-open,cnn,rnn] [--rounds 5]
                                     [--against 7bc84ba] [--rev HEAD] [--only PATHS] [--write]

Each measurement is a fresh Python process (a first page on a fresh server: nothing laid out
yet), for one model and one commit; the two commits are measured alternately, round after
round, so that a busier moment of the machine falls on both. Per process, in this order:

- ``explorer``: ``Explorer(loss, names)`` whole (export, timeline, scope tree, first layout,
  Bokeh figure, controls), the time a served page waits for its first view;
- then its parts, each alone: ``export`` (``gradviz.to_networkx``), ``timeline``
  (``Timeline``: the backward plan), ``scope tree`` (``collapse.scope_tree``), ``open set``
  (``initial_open``), ``visible graph``, ``layout`` (a fresh ``ScopedLayout(...).drawing`` of
  the first view);
- ``explorer, GC paused``: the whole build again (a new graph exported, a fresh layout) with
  Python's cyclic garbage collector paused, as ``gradviz.viz.loading`` builds it.

CPU seconds of the process (``time.process_time()``: what the build costs, far less sensitive
than wall time to the other processes of a shared machine), medians over rounds. Both commits are taken with ``git archive`` into
temporary directories, so uncommitted work in the tree does not enter either side. ``--only
gradviz/layout,gradviz/viz/loading.py`` measures ``--against`` with just those paths taken
from ``--rev``: one change alone, while other work landed on the branch meanwhile.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECTION = "## Building the explorer in Python (issue 11)"

MODELS = {  # key: (label, builder in graphs.py, Explorer's scopes=)
    "big": ("GPT-like, 134 layers (~50,000 nodes), first view", "big_model", "auto"),
    "gpt": ("GPT-like, 12 layers, first view", "gpt_like", "auto"),
    "gpt-open": ("GPT-like, 12 layers, every scope open", "gpt_like", "all"),
    "cnn": ("CNN-like, first view", "cnn_like", "auto"),
    "rnn": ("RNN cell, 60 steps, first view", "rnn_like", "auto"),
}
STAGES = ["explorer", "export", "timeline", "scope tree", "open set", "visible graph", "layout",
          "explorer, GC paused"]


# --- one process: one model, one commit -----------------------------------------------------
def worker(key: str) -> dict:
    import gc

    sys.path.insert(0, str(HERE))
    import graphs

    import gradviz
    from gradviz.layout import collapse
    from gradviz.layout.scoped import ScopedLayout
    from gradviz.timeline import Timeline
    from gradviz.viz.explorer import Explorer
    from gradviz.viz.graph_view import node_size

    label, builder, scopes = MODELS[key]
    loss, names = getattr(graphs, builder)()
    Explorer(gradviz.tensor([1.0, 2.0], requires_grad=True).sum())  # imports and first calls
    out: dict = {}

    def timed(name, fn):
        t = time.process_time()
        result = fn()
        out[name] = time.process_time() - t
        return result

    timed("explorer", lambda: Explorer(loss, names=names, scopes=scopes))
    G = timed("export", lambda: gradviz.to_networkx(loss, names))
    out["nodes"] = G.number_of_nodes()
    timed("timeline", lambda: Timeline(G, loss))
    tree = timed("scope tree", lambda: collapse.scope_tree(G))
    open_set = timed("open set", lambda: collapse.initial_open(tree) if scopes == "auto"
                     else frozenset(tree.scopes))
    V = timed("visible graph", lambda: collapse.visible_graph(G, tree, open_set))
    out["shown"] = V.number_of_nodes()
    timed("layout", lambda: ScopedLayout(G, tree, node_size).drawing(open_set, V))
    # A graph of the same structure is laid out again unless the cache is cleared: the
    # explorer keeps the layouts of recent graphs (a reload gets its layout back).
    from gradviz.viz import scope_view
    if getattr(scope_view, "_LAYOUTS", None):
        scope_view._LAYOUTS.clear()
    for t in names.values():
        if t.is_leaf:
            t.grad = None
    gc.collect()
    gc.disable()
    try:
        timed("explorer, GC paused", lambda: Explorer(loss, names=names, scopes=scopes))
    finally:
        gc.enable()
    return out


# --- the driver -------------------------------------------------------------------------------
def archive(rev: str, into: Path, paths=()) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *paths], check=True,
                          capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=data, check=True)
    return into


def measure_in(tree: Path, key: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", key],
                          env=env, capture_output=True, text=True, cwd=str(tree), timeout=900)
    if proc.returncode:
        raise RuntimeError(f"{key} in {tree}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(results: dict, revs: list, keys: list) -> str:
    head = "| graph | stage | " + " | ".join(f"{r} (s)" for r in revs) + " | ratio |"
    out = [head, "| --- | --- | " + " | ".join("---:" for _ in revs) + " | ---: |"]
    for key in keys:
        label = MODELS[key][0]
        nodes = results[revs[-1]][key][0]["nodes"]
        shown = results[revs[-1]][key][0]["shown"]
        for k, stage in enumerate(STAGES):
            meds = [statistics.median(r[stage] for r in results[rev][key]) for rev in revs]
            ratio = f"{meds[0] / meds[-1]:.1f}×" if len(meds) > 1 and meds[-1] > 0 else ""
            name = f"{label} ({nodes:,} nodes, {shown} drawn)" if k == 0 else ""
            out.append(f"| {name} | {stage} | " + " | ".join(f"{m:.3f}" for m in meds)
                       + f" | {ratio} |")
    return "\n".join(out)


def write_section(text: str) -> None:
    """Replace this script's section of RESULTS.md (others own the rest of the file)."""
    path = HERE / "RESULTS.md"
    existing = path.read_text()
    start = existing.find(SECTION)
    if start == -1:
        new = existing.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        nxt = existing.find("\n## ", start + len(SECTION))
        new = existing[:start] + text.rstrip("\n") + "\n" + (existing[nxt:] if nxt != -1 else "")
    path.write_text(new)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="big,gpt,gpt-open,cnn,rnn")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rev", default="HEAD", help="the commit measured")
    ap.add_argument("--against", default="", help="an older commit measured alternately")
    ap.add_argument("--only", default="", help="comma-separated paths: measure --against with "
                    "only these taken from --rev")
    ap.add_argument("--write", action="store_true", help=f"write '{SECTION}' in RESULTS.md")
    ap.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    keys = args.models.split(",")
    revs = ([args.against] if args.against else []) + [args.rev]
    names = {rev: subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev],
                                 check=True, capture_output=True, text=True).stdout.strip()
             for rev in revs}
    only = [p for p in args.only.split(",") if p]
    if only and args.against:
        names[args.rev] = f"{names[args.against]} + {names[args.rev]}'s {', '.join(only)}"
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        if only and args.against:
            trees = {args.against: archive(args.against, Path(tmp) / "tree0")}
            trees[args.rev] = archive(args.against, Path(tmp) / "tree1")
            archive(args.rev, trees[args.rev], only)
        else:
            trees = {rev: archive(rev, Path(tmp) / f"tree{i}") for i, rev in enumerate(revs)}
        results = {rev: {key: [] for key in keys} for rev in revs}
        for r in range(args.rounds):
            for key in keys:
                for rev in (revs if r % 2 == 0 else revs[::-1]):
                    loads.append(os.getloadavg()[0])
                    row = measure_in(trees[rev], key)
                    results[rev][key].append(row)
                    print(f"round {r + 1} {names[rev]} {key}: " + ", ".join(
                        f"{s} {row[s]:.3f}" for s in STAGES), flush=True)
    shown = {names[rev]: results[rev] for rev in revs}
    text = table(shown, [names[rev] for rev in revs], keys)
    print(text)
    if args.write:
        cmd = ["python benchmarks/bench_build.py"]
        if args.models != ap.get_default("models"):
            cmd.append(f"--models {args.models}")
        cmd.append(f"--rounds {args.rounds}")
        if args.against:
            cmd.append(f"--against {args.against}")
        if args.rev != "HEAD":
            cmd.append(f"--rev {args.rev}")
        if only:
            cmd.append(f"--only {args.only}")
        cmd = " ".join(cmd)
        write_section(f"""{SECTION}

Python time to build the explorer of a model-shaped graph from `benchmarks/graphs.py`, in a
fresh process per measurement (a first page on a fresh server: nothing laid out before), whole
(`explorer`) and by stage, each stage timed alone after it; `explorer, GC paused` is the whole
build again with Python's cyclic garbage collector paused, as the loading page builds it.
CPU seconds (`time.process_time()`), medians of {args.rounds} rounds; the commits measured
alternately. A stage's figure includes whichever passes of the collector fall in it (the scope
tree of the 50,000-node graph, right after the export, takes most of them): compare the whole
builds, and the stages whose work changed.

{text}

- command (from the repository root): `{cmd} --write`
- {platform.machine()}, {os.cpu_count()} cores, load average {min(loads):.1f}-{max(loads):.1f}
  (1 min) while measured; Python {platform.python_version()}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
