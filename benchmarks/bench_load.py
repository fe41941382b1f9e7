"""Saved pages: how much a page that steps without Python weighs, and how fast it opens.

    python benchmarks/bench_load.py [--sizes 5000] [--opens 3] [--write]

For the seed graph: the saved page's size beside an empty Panel page saved with the same
(inline) resources, and how much of the difference is the recorded states, the bundled fonts
and the explorer's own models. For each size (a chain graph of that many nodes, as
bench_explorer.py builds): the time ``Explorer.save`` takes, the file size, and the time from
navigation to the drawn page (Bokeh document idle and a canvas present) in headless Chromium
from file:// with every request that is not file:/data: refused; medians of ``--opens``.
Goal (issue 13): a saved 5,000-node graph opens in at most 3 s; the data beyond Bokeh and Panel
at most 150 kB for the seed graph.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def seed_sizes(folder: Path) -> dict:
    import panel as pn
    from gradviz import examples
    from gradviz.viz.explorer import Explorer
    from gradviz.viz.offline import inline_saved_file

    ex = examples.build("seed")
    page = folder / "seed.html"
    Explorer(ex.root, names=ex.names, **ex.kwargs).save(str(page))
    empty = folder / "empty.html"
    pn.Column(pn.pane.Markdown("empty")).save(str(empty), resources="inline")
    inline_saved_file(empty)
    html = page.read_text(encoding="utf-8")
    states = re.search(r'\["data","([A-Za-z0-9+/=]+)"\]', html)
    fonts = sum(len(m) for m in re.findall(r"data:font/[a-z0-9]+;base64,[A-Za-z0-9+/=]+", html))
    return {"page": page.stat().st_size, "empty": empty.stat().st_size,
            "states": len(states.group(1)) if states else 0, "fonts": fonts}


def open_time(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:", "blob:", "about:")) else r.abort())
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("canvas", timeout=120_000)
    page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0 && "
                           "Bokeh.documents.every(d => d.is_idle)", timeout=120_000, polling=20)
    elapsed = time.perf_counter() - t0
    context.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5000")
    ap.add_argument("--opens", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="print a Markdown table for RESULTS.md")
    args = ap.parse_args()

    from bench_explorer import chain_graph
    from gradviz.testing import LAUNCH_ARGS, find_browser
    from gradviz.viz.explorer import Explorer
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="gradviz-bench-load-"))
    s = seed_sizes(folder)
    extra = s["page"] - s["empty"]
    print(f"seed page {s['page']:,} B, empty Panel page {s['empty']:,} B: {extra / 1000:.0f} kB "
          f"beyond Bokeh/Panel, of which recorded states {s['states'] / 1000:.0f} kB, fonts "
          f"{s['fonts'] / 1000:.0f} kB, the explorer's models and styles "
          f"{(extra - s['states'] - s['fonts']) / 1000:.0f} kB")
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser().path, args=list(LAUNCH_ARGS))
        for size in [int(x) for x in args.sizes.split(",")]:
            root, names, n = chain_graph(size)
            path = folder / f"chain{n}.html"
            t0 = time.perf_counter()
            Explorer(root, names=names).save(str(path))
            saved = time.perf_counter() - t0
            opens = [open_time(browser, path.as_uri()) for _ in range(args.opens)]
            row = (n, saved, path.stat().st_size, statistics.median(opens), opens)
            rows.append(row)
            print(f"{n} nodes: save {saved:.1f} s, {row[2] / 1e6:.2f} MB, open median "
                  f"{row[3]:.2f} s ({', '.join(f'{o:.2f}' for o in opens)})", flush=True)
        browser.close()
    if args.write:
        load = os.getloadavg()[0]
        print(f"\n| nodes | save (s) | file (MB) | open from file:// (s, median of {args.opens}) "
              f"| load avg |\n|---|---|---|---|---|")
        for n, saved, size, med, _ in rows:
            print(f"| {n:,} | {saved:.1f} | {size / 1e6:.2f} | {med:.2f} | {load:.1f} |")


if __name__ == "__main__":
    main()
