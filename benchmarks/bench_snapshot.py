"""Snapshot benchmark: what one screenshot costs, and what a reused browser saves.

Times, each a median over `--runs` repetitions:

- browser start: Playwright's driver plus headless Chromium (`SnapshotSession.start()`);
- first snapshot: in a just-started session (serve the view on a free port, load the page,
  wait for Bokeh to render and go idle, capture, stop the server);
- next snapshot: the same again in a session that has taken one already (what every
  snapshot after the first costs in a test run, since the pytest plugin shares one browser);
- serve only: starting and stopping the in-process Panel server alone.

The view is a Panel column with a markdown title and a Bokeh figure (lines, circles, labels;
canvas backend) at a 1200x800 viewport, the size the explorer's baselines use.

    python benchmarks/bench_snapshot.py [--runs 5] [--write]

`--write` replaces the "## Snapshots" section of benchmarks/RESULTS.md (others untouched).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## Snapshots"


def make_view():
    import panel as pn
    from bokeh.models import ColumnDataSource, LabelSet
    from bokeh.plotting import figure

    source = ColumnDataSource(dict(x=[1, 2, 3, 4, 5], y=[1, 3, 2, 4, 3],
                                   colour=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"],
                                   label=["x", "w", "b", "z", "loss"]))
    fig = figure(width=1000, height=600, x_range=(0, 6), y_range=(0, 5),
                 toolbar_location=None, output_backend="canvas")
    fig.line("x", "y", source=source, line_color="#888888", line_width=2)
    fig.scatter("x", "y", source=source, size=40, fill_color="colour", line_color="black")
    fig.add_layout(LabelSet(x="x", y="y", text="label", source=source, x_offset=24))
    return pn.Column(pn.pane.Markdown("## benchmark view"), pn.pane.Bokeh(fig))


def median_ms(values):
    return statistics.median(values) * 1000


def run(runs: int):
    from gradviz.testing import SnapshotSession, find_browser
    from gradviz.testing.serve import ServedApp

    browser = find_browser()
    start, first, nxt, serve = [], [], [], []
    for _ in range(runs):
        session = SnapshotSession(browser.path)
        t0 = time.perf_counter()
        session.start()
        t1 = time.perf_counter()
        session.snapshot(make_view)
        t2 = time.perf_counter()
        session.snapshot(make_view)
        t3 = time.perf_counter()
        assert session.launches == 1
        session.close()
        start.append(t1 - t0)
        first.append(t2 - t1)
        nxt.append(t3 - t2)
        t4 = time.perf_counter()
        with ServedApp(make_view):
            pass
        serve.append(time.perf_counter() - t4)
    return browser, {"browser start": start, "first snapshot (fresh session)": first,
                     "next snapshot (reused browser)": nxt, "serve only (start+stop)": serve}


def machine_lines(browser):
    import bokeh
    import panel
    import playwright
    from importlib.metadata import version

    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; load average at the end: {load}",
        f"- Python {platform.python_version()}, panel {panel.__version__}, bokeh "
        f"{bokeh.__version__}, playwright {version('playwright')}; browser "
        f"{browser.path} (found via {browser.source})",
    ]


def render(browser, timings, runs):
    rows = ["| step | median (ms) | min (ms) | max (ms) |", "| --- | ---: | ---: | ---: |"]
    for name, values in timings.items():
        rows.append(f"| {name} | {median_ms(values):.0f} | {min(values) * 1000:.0f} | "
                    f"{max(values) * 1000:.0f} |")
    total = median_ms(timings["browser start"]) + median_ms(timings["first snapshot (fresh session)"])
    return "\n".join([
        SECTION, "",
        "Time to screenshot a Panel view with `gradviz.testing` (one markdown pane and a "
        "1000x600 Bokeh figure, 1200x800 viewport, headless Chromium, canvas backend). "
        f"Medians over {runs} runs. A snapshot = start a Panel server on a free port, load "
        "the page in a fresh browser context, wait for the canvas and for Bokeh to be idle, "
        "0.3 s settle, capture, stop the server. The browser is started once per session and "
        "reused (the pytest plugin keeps one per test run).", "",
        *rows, "",
        f"- one snapshot from nothing (browser start + first snapshot): ~{total:.0f} ms; each "
        f"further snapshot in the same session: ~{median_ms(timings['next snapshot (reused browser)']):.0f} ms",
        *machine_lines(browser),
        f"- command (from the repository root): `python benchmarks/bench_snapshot.py --runs {runs} --write`",
        "",
    ])


def write_section(text: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text + "\n", old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(new.rstrip("\n") + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--note", default="", help="a remark to add (e.g. on machine load)")
    args = parser.parse_args(argv)
    browser, timings = run(args.runs)
    text = render(browser, timings, args.runs)
    if args.note:
        text = text.rstrip("\n") + f"\n- {args.note}\n"
    print(text)
    if args.write:
        write_section(text)
        print(f"wrote the {SECTION!r} section of {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
