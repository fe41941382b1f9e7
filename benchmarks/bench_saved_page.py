"""Saved pages of big graphs: how long ``Explorer.save`` takes, and how fast the page opens.

    python benchmarks/bench_saved_page.py [--nodes 5000] [--opens 5] [--also OLD.html ...]
                                          [--profile] [--write]

A chain graph of ``--nodes`` nodes (bench_explorer.chain_graph: an unrolled ``tanh(h * w + b)``
whose shared ``w`` and ``b`` feed every step) is saved with its one pass (graphs over 1,000 nodes);
the time ``save`` takes is wall clock (``--profile``: also cProfile's top functions). The page is
then opened ``--opens`` times from file:// in headless Chromium with every request that is not
file:/data:/blob: refused, each in a fresh context, and timed *in the page*: from navigation start
(``performance.timeOrigin``) to the moment every Bokeh document is idle, a canvas and the step
counter are in the DOM, and two animation frames have passed (the graph painted). Pages given
with ``--also`` (saved by another commit) are opened alternately with it, so the comparison sees
the same machine load. Then, on a fresh copy of the first page, the time from a click on Step,
Step, Run, Back, Reset to the new counter painted. Reported: medians, each run, and the load average.
Goal (issue 13): a saved 5,000-node graph opens in at most 3 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Resolves with performance.now() (ms since navigation start) once the graph is painted and the
# counter shown; the DOM is searched afresh through shadow roots at each poll.
PAINTED_JS = """() => new Promise((resolve) => {
  const find = (root, sel) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const e of root.querySelectorAll('*')) {
      const inner = e.shadowRoot && find(e.shadowRoot, sel);
      if (inner) return inner;
    }
    return null;
  };
  const poll = () => {
    const ready = window.Bokeh && Bokeh.documents.length > 0 &&
      Bokeh.documents.every((d) => d.is_idle) && find(document, 'canvas') &&
      find(document, '.gv-counter');
    if (ready) requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
    else setTimeout(poll, 10);
  };
  poll();
})"""


# Clicks a toolbar button and resolves with the ms until the counter changed and two frames
# passed (the new state painted), and the counter's new text.
CLICK_JS = """async (label) => {
  const find = (root, sel) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const e of root.querySelectorAll('*')) {
      const inner = e.shadowRoot && find(e.shadowRoot, sel);
      if (inner) return inner;
    }
    return null;
  };
  const buttons = [];
  const walk = (root) => {
    for (const e of root.querySelectorAll('button')) buttons.push(e);
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot);
  };
  walk(document);
  const counter = () => find(document, '.gv-counter').textContent;
  const before = counter();
  const t0 = performance.now();
  buttons.find((b) => b.textContent.trim() === label).click();
  await new Promise((resolve) => {
    const poll = () => {
      if (counter() !== before) requestAnimationFrame(() => requestAnimationFrame(resolve));
      else requestAnimationFrame(poll);
    };
    poll();
  });
  return [performance.now() - t0, counter()];
}"""

CLICKS = ["Step", "Step", "Run", "Back", "Reset"]


def click_times(browser, url: str) -> list:
    """``[(label, ms, counter)]`` for CLICKS on a freshly opened page (the first Step also
    inflates the recorded states)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(url, timeout=120_000)
        page.evaluate(PAINTED_JS)
        return [(label, *page.evaluate(CLICK_JS, label)) for label in CLICKS]
    finally:
        context.close()


def save_page(nodes: int, path: Path, profile: bool = False) -> tuple[int, float]:
    """Save the chain graph of ``nodes`` nodes to ``path``; returns (node count, seconds)."""
    from bench_explorer import chain_graph
    from gradviz.viz.explorer import Explorer

    root, names, n = chain_graph(nodes)
    view = Explorer(root, names=names)
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.runcall(view.save, str(path))
        took = time.perf_counter() - t0
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    else:
        t0 = time.perf_counter()
        view.save(str(path))
        took = time.perf_counter() - t0
    return n, took


def open_once(browser, url: str) -> float:
    """Seconds from navigation start to the painted page (measured in the page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:", "blob:", "about:")) else r.abort())
    page = context.new_page()
    try:
        page.goto(url, timeout=120_000)
        return page.evaluate(PAINTED_JS) / 1000
    finally:
        context.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--opens", type=int, default=5)
    ap.add_argument("--also", nargs="*", default=[], help="other saved pages to time alongside")
    ap.add_argument("--page", help="time this saved page instead of saving one")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--write", action="store_true", help="print a Markdown table for RESULTS.md")
    args = ap.parse_args()

    from gradviz.testing import LAUNCH_ARGS, find_browser
    from playwright.sync_api import sync_playwright

    pages = {}
    if args.page:
        pages["given"] = Path(args.page)
        n, saved = None, None
    else:
        path = Path(tempfile.mkdtemp(prefix="gradviz-bench-saved-")) / "chain.html"
        n, saved = save_page(args.nodes, path, args.profile)
        print(f"{n} nodes: save {saved:.1f} s (load {os.getloadavg()[0]:.1f}), "
              f"{path.stat().st_size / 1e6:.2f} MB", flush=True)
        pages["this"] = path
    for i, other in enumerate(args.also):
        pages[f"also{i}:{Path(other).name}"] = Path(other)
    times: dict = {k: [] for k in pages}
    loads = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser().path, args=list(LAUNCH_ARGS))
        open_once(browser, next(iter(pages.values())).resolve().as_uri())  # warm the browser
        for _ in range(args.opens):
            for name, page in pages.items():  # alternately: both see the same load
                times[name].append(open_once(browser, page.resolve().as_uri()))
                loads.append(os.getloadavg()[0])
        for name, page in list(pages.items())[:1]:  # (an old page's Run can take minutes)
            clicks = click_times(browser, page.resolve().as_uri())
            print(f"{name}: " + ", ".join(f"{label} {ms / 1000:.2f} s ({counter})"
                                          for label, ms, counter in clicks), flush=True)
        browser.close()
    for name, ts in times.items():
        print(f"{name} ({pages[name].stat().st_size / 1e6:.2f} MB): open median "
              f"{statistics.median(ts):.2f} s ({', '.join(f'{t:.2f}' for t in ts)})")
    print(f"load average during the opens: {min(loads):.1f}-{max(loads):.1f}")
    if args.write:
        print("\n| page | file (MB) | save (s) | open, median (s) | opens (s) | load avg |\n"
              "|---|---|---|---|---|---|")
        for name, ts in times.items():
            s = f"{saved:.1f}" if name == "this" and saved is not None else ""
            print(f"| {name} | {pages[name].stat().st_size / 1e6:.2f} | {s} | "
                  f"{statistics.median(ts):.2f} | {', '.join(f'{t:.2f}' for t in ts)} | "
                  f"{min(loads):.1f}-{max(loads):.1f} |")


if __name__ == "__main__":
    main()
