"""What hover text sent on demand costs and saves: the page's first document and a Step's reply
(bytes), and a hover's wait for its text (in-page clock), with the text in the sources (eager)
and sent when hovered (lazy), side by side in one run.

    python benchmarks/bench_hover.py [--graphs seed,gpt-open] [--hovers 12] [--rounds 2]
    python benchmarks/bench_hover.py --in-process [--rounds 5] [--steps 10]

For each graph and mode the explorer is served (``pn.serve``, a fresh Explorer per page) and
opened in headless Chromium; after the first render, the pointer moves onto ``--hovers`` tensor
boxes in view, one after another. A hover's time runs from the page's ``pointermove`` event on
the box to the first animation frame whose tooltip shows that node's label and no placeholder
("…"): for eager pages the tooltip's own render, for lazy ones the request, Python's answer and
the repaint. Then ``--steps`` Step clicks (in-page, as bench_explorer.py times them). Modes
alternate within each round.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_explorer as be  # noqa: E402

# Tensor boxes in view, away from the floating toolbar: (x, y) on the page, label.
BOXES_IN_VIEW = """
(n) => {
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
  for (const v of Object.values(Bokeh.index)) walk(v);
  const plot = views.find(v => v.model && v.model.name === 'gv_graph');
  const d = Bokeh.documents[0].get_model_by_name('gv_tensors').data;
  const xr = plot.model.x_range, yr = plot.model.y_range, rect = plot.el.getBoundingClientRect();
  const out = [];
  for (let i = 0; i < d.x.length && out.length < n; i++) {
    const sx = plot.frame.x_scale.compute(d.x[i]), sy = plot.frame.y_scale.compute(d.y[i]);
    if (sx < 20 || sy < 60 || sx > plot.frame.bbox.width - 300 || sy > plot.frame.bbox.height - 20) continue;
    out.push({x: rect.left + sx, y: rect.top + sy, label: d.label[i]});
  }
  return out;
}
"""
WATCH_POINTER = """
() => {
  window.__gvMoved = null;
  window.addEventListener('pointermove', () => { window.__gvMoved = performance.now(); },
                          {capture: true});
}
"""
# Frames until the tooltip names `label` without a placeholder; ms since the last pointermove.
TOOLTIP_READY = """
async ([label]) => {
  const frame = () => new Promise(r => requestAnimationFrame(() => r(performance.now())));
  const text = () => Array.from(document.querySelectorAll('.bk-Tooltip'))
    .filter(e => getComputedStyle(e).display !== 'none')
    .map(e => Array.from((e.shadowRoot || e).childNodes)
      .filter(n => n.nodeName !== 'STYLE').map(n => n.textContent).join(' ')).join(' ');
  const start = performance.now();
  for (;;) {
    const t = await frame();
    const s = text();
    if (s.includes(label) && !s.includes('\u2026') && s.includes('grad')) return t - window.__gvMoved;
    if (t - start > 10000) return null;
  }
}
"""


def graph(key: str):
    if key == "seed":
        return be.small_graph()[:2] + ({},)
    label, builder, kwargs, _ = be.MODELS[key]
    loss, names, _ = be.model_graph(builder)
    return loss, names, kwargs


def measure(key, lazy, browser, hovers, steps) -> dict:
    from gradviz.testing.serve import ServedApp

    root, names, kwargs = graph(key)
    server = ServedApp(be.timed_factory(root, names, lazy_hover=lazy, **kwargs), timeout=120).start()
    try:
        renders = []
        for k in range(2):  # the first page warms the server
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(be.WS_LOG)
            page = context.new_page()
            renders.append(be.first_render(page, server.url))
            if k == 0:
                context.close()
        page.evaluate(WATCH_POINTER)
        page.wait_for_timeout(300)
        times = []
        for box in page.evaluate(BOXES_IN_VIEW, hovers):
            page.mouse.move(box["x"], box["y"], steps=2)
            ms = page.evaluate(TOOLTIP_READY, [box["label"]])
            if ms is not None:
                times.append(ms)
        page.mouse.move(5, 5)
        clicks = be.step_times(page, steps) if steps else []
        context.close()
    finally:
        server.stop()
    return {"graph": key, "mode": "lazy" if lazy else "eager",
            "doc_bytes": renders[-1]["doc_bytes"], "render_s": renders[-1]["total"],
            "hover_ms": statistics.median(times) if times else None, "hovers": len(times),
            "hover_max_ms": max(times) if times else None,
            "step_ms": statistics.median(c["painted"] for c in clicks) if clicks else None,
            "step_bytes": statistics.median(c["ws_bytes"] for c in clicks) if clicks else None}


def in_process(keys, rounds: int, steps: int) -> int:
    """The server's side alone, in this process (CPU seconds, so the machine's load matters
    less): building the Explorer, serialising its page's document, and ``steps`` Steps with the
    bytes of the patches they send, eager and lazy alternating."""
    from bokeh.core.json_encoder import serialize_json
    from bokeh.document import Document
    from bokeh.models import ColumnDataSource
    from panel.io.model import add_to_doc

    from gradviz.viz.explorer import Explorer

    sent = []
    original = ColumnDataSource.patch

    def counting_patch(self, patches, *a, **kw):
        sent.append(len(serialize_json(patches)))
        return original(self, patches, *a, **kw)

    ColumnDataSource.patch = counting_patch
    out: dict = {}
    for key in keys:  # warm: imports, the shared layout cache (a page of the same graph reuses it)
        root, names, kwargs = graph(key)
        Explorer(root, names=names, **kwargs)
    for r in range(rounds):
        for key in keys:
            for lazy in ((False, True) if r % 2 == 0 else (True, False)):
                root, names, kwargs = graph(key)  # (a pass frees what the graph saved)
                view = doc = None
                gc.collect()  # (the last view's garbage is not this one's cost)
                t0 = time.process_time()
                view = Explorer(root, names=names, lazy_hover=lazy, **kwargs)
                t1 = time.process_time()
                doc = Document()
                add_to_doc(view._layout.get_root(doc, None), doc, True)
                text = serialize_json(doc.to_json())
                t2 = time.process_time()
                sent.clear()
                taken = 0
                while taken < steps and view.step():
                    taken += 1
                t3 = time.process_time()
                row = out.setdefault((key, lazy), {"build": [], "serialise": [], "bytes": [],
                                                   "step": [], "patch": []})
                row["build"].append(t1 - t0)
                row["serialise"].append(t2 - t1)
                row["bytes"].append(len(text))
                row["step"].append((t3 - t2) / max(taken, 1))
                row["patch"].append(sum(sent) / max(taken, 1))
    ColumnDataSource.patch = original
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {rounds} rounds")
    print("| graph | mode | build Explorer (CPU s) | serialise document (CPU s) | document (kB) "
          "| Step (CPU ms) | Step's patches (B) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    med = statistics.median
    for (key, lazy), r in out.items():
        print(f"| {key} | {'lazy' if lazy else 'eager'} | {med(r['build']):.3f} | "
              f"{med(r['serialise']):.3f} | {med(r['bytes']) / 1e3:.1f} | "
              f"{1e3 * med(r['step']):.1f} | {med(r['patch']):.0f} |")
    return 0


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graphs", default="seed,gpt-open")
    ap.add_argument("--hovers", type=int, default=12)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--in-process", action="store_true",
                    help="the server's side only: build, serialise, step (CPU time)")
    args = ap.parse_args(argv)
    if args.in_process:
        return in_process(args.graphs.split(","), args.rounds, args.steps)
    path = be.find_browser()
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=list(be.LAUNCH_ARGS))
        for r in range(args.rounds):
            for key in args.graphs.split(","):
                for lazy in ((False, True) if r % 2 == 0 else (True, False)):
                    row = measure(key, lazy, browser, args.hovers, args.steps)
                    row["round"], row["load"] = r + 1, os.getloadavg()[0]
                    rows.append(row)
                    print(row, flush=True)
        browser.close()
    print("| graph | mode | document (kB) | hover → text shown (ms, median) | slowest hover (ms) "
          "| step reply (kB) | step → repainted (ms) | load |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['graph']} | {r['mode']} | {r['doc_bytes'] / 1e3:.1f} | "
              f"{r['hover_ms'] or float('nan'):.0f} ({r['hovers']}) | {r['hover_max_ms'] or float('nan'):.0f} | "
              f"{(r['step_bytes'] or 0) / 1e3:.2f} | {r['step_ms'] or float('nan'):.0f} | {r['load']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
