"""The explorer in a real browser: how long a Step click takes to show, and how long the first
render takes, on graphs of about 10, 500 and 5,000 nodes.

    python benchmarks/bench_explorer.py [--steps 20] [--sizes 10,500,5000] [--write]
    python benchmarks/bench_explorer.py --models gpt,gpt-open,cnn,rnn,big [--opens 5] [--write]

For each graph the explorer is served with ``pn.serve`` (one factory, a fresh Explorer per
page) and opened in headless Chromium:

- first render: from ``page.goto`` to "canvas attached, counter shown, every Bokeh document
  idle, two animation frames drawn" (the picture is on screen);
- step: from the ``Step`` click to the counter reading ``step k+1 of n`` (what the user reads),
  and to "counter updated, Bokeh idle and a frame drawn" (the canvas repainted); median of
  ``--steps`` clicks (the pass is reset, untimed, when it ends).

The server side is timed too (the factory, i.e. export + layout + figure, and the Python
``Explorer.step`` callback), so a slow figure can be split into server vs. browser time.
Goals (issue 5): a step under 100 ms at 500 nodes; first render of 5,000 nodes under 3 s.
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

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Explorer in the browser (issue 5)"
from gradviz.testing.browser import LAUNCH_ARGS  # noqa: E402  (the flags snapshots use)


# --- graphs built with gradviz ops ---------------------------------------------------------
def chain_graph(target_nodes: int):
    """An unrolled recurrent net ``h = tanh(h * w + b)`` with shared ``w`` and ``b`` (as an
    RNN reuses its weights), ending in a mean: each step adds 6 nodes (MulBackward0, product,
    AddBackward0, sum, TanhBackward0, h). Returns (root, names, node count)."""
    import gradviz as torch

    torch.manual_seed(0)
    steps = max(1, round((target_nodes - 7) / 6))
    x = torch.randn(4)
    w = torch.randn(4, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    h = x
    for _ in range(steps):
        h = torch.tanh(h * w + b)
    loss = h.mean()
    names = {"x": x, "w": w, "b": b, "loss": loss}
    n = torch.to_networkx(loss, names).number_of_nodes()
    return loss, names, n


def small_graph():
    """The seed tutorial's graph (about 10 nodes)."""
    from gradviz.examples import build

    ex = build("seed")
    import gradviz
    return ex.root, ex.names, gradviz.to_networkx(ex.root, ex.names).number_of_nodes()


# --- a timed explorer ----------------------------------------------------------------------
SERVER_TIMES: dict[str, list[float]] = {"build": [], "step": []}
# --backend: the graph plot's Bokeh output backend ("canvas", gradviz's, or "webgl").
OUTPUT_BACKEND: list = []


def timed_factory(root, names, loading=False, **explorer_kwargs):
    from gradviz.viz.explorer import Explorer

    class TimedExplorer(Explorer):
        """Records how long the Python side of a Step click takes (stepper + patching the
        Bokeh sources); Panel sends the patch after the callback returns."""

        def step(self):
            t = time.perf_counter()
            try:
                return super().step()
            finally:
                SERVER_TIMES["step"].append(time.perf_counter() - t)

    def build(report=None):
        t = time.perf_counter()
        # A fresh pass per page: the graph's tensors are shared, so undo what a previous page
        # accumulated by starting from grads=None.
        for tensor in names.values():
            if tensor.is_leaf:
                tensor.grad = None
        view = TimedExplorer(root, names=names, **explorer_kwargs)
        if OUTPUT_BACKEND:
            view.graph_view.figure.output_backend = OUTPUT_BACKEND[0]
        SERVER_TIMES["build"].append(time.perf_counter() - t)
        return view

    if loading:
        from gradviz.viz.loading import loading_page

        return lambda: loading_page(build, "a graph of 50,000 nodes")
    return build


# --- browser helpers -----------------------------------------------------------------------
FIND_COUNTER = """
() => {
  if (window.__gvCounter && window.__gvCounter.isConnected) return window.__gvCounter;
  const re = /^\\s*step \\d+ of \\d+\\s*$/;
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.children.length === 0 && re.test(el.textContent)) return el;
      if (el.shadowRoot) { const f = walk(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  window.__gvCounter = walk(document);
  return window.__gvCounter;
}
"""
IDLE = ("() => window.Bokeh && Bokeh.documents.length > 0 && "
        "Bokeh.documents.every(d => d.is_idle)")
TWO_FRAMES = ("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
              "() => r(performance.now()))))")


# Every websocket message the page receives: (arrival time, size). Installed before Bokeh
# loads, so the split between "server + transport" and "browser apply + render" is measured.
WS_LOG = """
(() => {
  window.__gvWs = [];
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', (e) => {
      const size = typeof e.data === 'string' ? e.data.length : (e.data.byteLength || e.data.size || 0);
      window.__gvWs.push([performance.now(), size]);
    });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})();
"""


def counter_text(page) -> str:
    return page.evaluate(f"() => {{ const el = ({FIND_COUNTER})(); return el ? el.textContent : ''; }}")


def wait_counter(page, text: str, timeout=60_000) -> None:
    page.wait_for_function(
        f"(want) => {{ const el = ({FIND_COUNTER})(); return el && el.textContent.trim() === want; }}",
        arg=text, polling="raf", timeout=timeout)


def first_render(page, url: str) -> dict:
    """Seconds from goto to the picture on screen, and where they went (page clock): the HTML
    answered, the largest websocket message (the document) arrived, then Bokeh built and
    drew it."""
    t0 = time.perf_counter()
    page.goto(url, timeout=180_000)
    page.wait_for_selector("canvas", state="attached", timeout=120_000)
    page.wait_for_function(f"() => !!({FIND_COUNTER})()", polling="raf", timeout=120_000)
    page.wait_for_function(IDLE, polling="raf", timeout=120_000)
    painted = page.evaluate(TWO_FRAMES)
    total = time.perf_counter() - t0
    info = page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        let big = [0, 0];
        for (const m of window.__gvWs) if (m[1] > big[1]) big = m;
        return {html: nav.responseEnd, doc_arrived: big[0], doc_bytes: big[1]};
    }""")
    return {"total": total, "html_s": info["html"] / 1e3, "doc_arrived_s": info["doc_arrived"] / 1e3,
            "doc_bytes": info["doc_bytes"], "painted_s": painted / 1e3}


# One Step click measured inside the page, so Playwright's own latency is not counted: the
# button is clicked from JS, the server's reply messages are timestamped (WS_LOG), the counter
# is polled every animation frame, then we wait for Bokeh idle and two frames (the canvas
# repainted).
CLICK_AND_TIME = """
async ([want]) => {
  const find = (root, pred) => {
    for (const el of root.querySelectorAll('*')) {
      if (pred(el)) return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot, pred); if (f) return f; }
    }
    return null;
  };
  const counter = (COUNTER);  // re-found every frame: Panel may replace the element on update
  // Found again once detached: Bokeh re-creates a button's element when it is disabled and
  // enabled again (Step at the end of a pass, then Reset).
  if (!window.__gvStep || !window.__gvStep.isConnected)
    window.__gvStep = find(document, el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Step');
  const frame = () => new Promise(r => requestAnimationFrame(() => r(performance.now())));
  const nWs = window.__gvWs.length;
  const t0 = performance.now();
  window.__gvStep.click();
  let tCounter = null;
  while (tCounter === null) {
    const t = await frame();
    const el = counter();
    if (el && el.textContent.trim() === want) tCounter = t;
    if (t - t0 > 60000) throw new Error('counter never read ' + want);
  }
  while (!Bokeh.documents.every(d => d.is_idle)) await frame();
  await frame(); const tPainted = await frame();
  const msgs = window.__gvWs.slice(nWs).filter(m => m[0] >= t0);
  return {counter: tCounter - t0, painted: tPainted - t0,
          ws_first: msgs.length ? msgs[0][0] - t0 : null,
          ws_last: msgs.length ? msgs[msgs.length - 1][0] - t0 : null,
          ws_count: msgs.length, ws_bytes: msgs.reduce((a, m) => a + m[1], 0)};
}
""".replace("(COUNTER)", "(" + FIND_COUNTER + ")")


def step_times(page, clicks: int) -> list[dict]:
    times = []
    reset = page.get_by_role("button", name="Reset", exact=True)
    while len(times) < clicks:
        k, n = map(int, re.findall(r"\d+", counter_text(page))[:2])
        if k >= n:  # the pass is over: start again, untimed
            reset.click()
            wait_counter(page, f"step 0 of {n}")
            page.wait_for_function(IDLE, polling="raf")
            continue
        times.append(page.evaluate(CLICK_AND_TIME, [f"step {k + 1} of {n}"]))
        time.sleep(0.05)
    return times


def measure(label, root, names, n_nodes, browser_path, clicks, opens=0, loading=False,
            **explorer_kwargs) -> dict:
    from playwright.sync_api import sync_playwright

    from gradviz.testing.serve import ServedApp

    SERVER_TIMES["build"].clear()
    SERVER_TIMES["step"].clear()
    server = ServedApp(timed_factory(root, names, loading=loading, **explorer_kwargs),
                       timeout=120).start()
    try:
        url = server.url
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=list(LAUNCH_ARGS))
            renders = []
            for _ in range(3):  # first page warms the server's imports and caches; keep all
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.add_init_script(WS_LOG)
                page = context.new_page()
                renders.append(first_render(page, url))
                if _ < 2:
                    context.close()
            SERVER_TIMES["step"].clear()
            times = step_times(page, clicks)
            open_times = [open_box_time(page) for _ in range(opens)]
            open_times = [t for t in open_times if t is not None]
            context.close()
            browser.close()
    finally:
        server.stop()
    med = lambda key, xs: statistics.median(x[key] for x in xs if x[key] is not None)  # noqa: E731
    return {
        "label": label, "nodes": n_nodes,
        "render_s": med("total", renders[1:]), "render_first_s": renders[0]["total"],
        "render_html_s": med("html_s", renders[1:]),
        "render_doc_arrived_s": med("doc_arrived_s", renders[1:]),
        "render_doc_bytes": med("doc_bytes", renders[1:]),
        "render_painted_s": med("painted_s", renders[1:]),
        "step_ws_first_ms": med("ws_first", times), "step_ws_last_ms": med("ws_last", times),
        "step_ws_bytes": med("ws_bytes", times), "step_ws_count": med("ws_count", times),
        "build_s": statistics.median(SERVER_TIMES["build"][1:] or SERVER_TIMES["build"]),
        "step_counter_ms": statistics.median(t["counter"] for t in times),
        "step_painted_ms": statistics.median(t["painted"] for t in times),
        "step_server_ms": 1e3 * statistics.median(SERVER_TIMES["step"]),
        "clicks": len(times),
        "open_ms": statistics.median(t["painted"] for t in open_times) if open_times else None,
        "opens": len(open_times),
    }


# Where a closed scope box is on screen (page pixels), found through Bokeh's own views, and a
# promise that resolves when the drawing shows one more open frame (then two more frames).
BOX_ON_SCREEN = """
() => {
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views || [])) walk(c); };
  for (const v of Object.values(Bokeh.index)) walk(v);
  const plot = views.find(v => v.model && v.model.name === 'gv_graph');
  const boxes = Bokeh.documents[0].get_model_by_name('gv_scope_boxes');
  if (!plot || !boxes || boxes.data.id.length === 0) return null;
  const xr = plot.model.x_range, yr = plot.model.y_range;
  const xs = boxes.data.x, ys = boxes.data.y;
  const rect = plot.el.getBoundingClientRect();
  const inView = (i) => xs[i] >= xr.start && xs[i] <= xr.end && ys[i] >= yr.start && ys[i] <= yr.end;
  if (![...xs.keys()].some(inView)) {
    // No closed box in view: centre the view on the one nearest the root's end.
    let k = 0;
    for (let i = 0; i < xs.length; i++) if (xs[i] > xs[k]) k = i;
    const w = xr.end - xr.start, h = yr.end - yr.start;
    xr.setv({start: xs[k] - w / 2, end: xs[k] + w / 2});
    yr.setv({start: ys[k] - h / 2, end: ys[k] + h / 2});
    return {moved: true};
  }
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < xr.start || xs[i] > xr.end || ys[i] < yr.start || ys[i] > yr.end) continue;
    const sx = plot.frame.x_scale.compute(xs[i]), sy = plot.frame.y_scale.compute(ys[i]);
    if (sy < 60) continue;  // under the floating toolbar
    return {x: rect.left + sx, y: rect.top + sy, id: boxes.data.id[i]};
  }
  return null;
}
"""
WATCH_OPEN = """
() => {
  const frames = Bokeh.documents[0].get_model_by_name('gv_scope_frames');
  const before = frames.data.path.length;
  window.__gvDown = null;
  window.addEventListener('pointerdown', () => { window.__gvDown = performance.now(); },
                          {capture: true, once: true});
  const frame = () => new Promise(r => requestAnimationFrame(() => r(performance.now())));
  window.__gvOpened = (async () => {
    while (frames.data.path.length === before) await frame();
    while (!Bokeh.documents.every(d => d.is_idle)) await frame();
    await frame(); const t = await frame();
    return t - window.__gvDown;
  })();
}
"""


def open_box_time(page):
    """Milliseconds from a real mouse click on a closed box to the opened box painted; the box is
    closed again (untimed) afterwards. None when no closed box is in view."""
    spot = page.evaluate(BOX_ON_SCREEN)
    if spot is not None and spot.get("moved"):
        page.wait_for_function(IDLE, polling="raf")
        page.evaluate(TWO_FRAMES)
        spot = page.evaluate(BOX_ON_SCREEN)
    if spot is None or spot.get("moved"):
        return None
    page.evaluate(WATCH_OPEN)
    page.mouse.click(spot["x"], spot["y"])
    ms = page.evaluate("() => window.__gvOpened")
    # close it again through its title bar's model: select the frame row
    page.evaluate("""(box) => {
        const f = Bokeh.documents[0].get_model_by_name('gv_scope_frames');
        const i = f.data.box.indexOf(box);
        if (i >= 0) f.selected.indices = [i];
    }""", spot["id"])
    page.wait_for_function("(box) => Bokeh.documents[0].get_model_by_name('gv_scope_frames')"
                           ".data.box.indexOf(box) < 0", arg=spot["id"], timeout=30_000)
    page.wait_for_function(IDLE, polling="raf")
    time.sleep(0.1)
    return {"painted": ms}


def find_browser() -> str:
    from gradviz.testing import BrowserNotFound, find_browser as finder

    try:
        return finder().path
    except BrowserNotFound as e:
        sys.exit(str(e))


def table(rows) -> str:
    out = ["| graph | nodes | first render (s) | HTML answered (s) | document arrived (s) "
           "| server: build Explorer (s) | step → counter (ms) | step → repainted (ms) "
           "| step → first reply message (ms) | server: step callback (ms) "
           "| reply size (kB) | goals |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        goals = []
        if 400 <= r["nodes"] < 1000:
            goals.append(f"step < 100 ms: {'met' if r['step_painted_ms'] < 100 else 'MISSED'}")
        if r["nodes"] >= 4000:
            goals.append(f"render < 3 s: {'met' if r['render_s'] < 3 else 'MISSED'}")
        out.append(f"| {r['label']} | {r['nodes']} | {r['render_s']:.2f} | {r['render_html_s']:.2f} "
                   f"| {r['render_doc_arrived_s']:.2f} | {r['build_s']:.2f} "
                   f"| {r['step_counter_ms']:.0f} | {r['step_painted_ms']:.0f} "
                   f"| {r['step_ws_first_ms']:.0f} | {r['step_server_ms']:.1f} "
                   f"| {r['step_ws_bytes'] / 1e3:.1f} | {'; '.join(goals)} |")
    return "\n".join(out)


def where_the_time_goes(rows) -> str:
    """The measured split, in words: server vs. transport vs. browser."""
    lines = ["### Where the time goes", ""]
    for r in rows:
        lines.append(
            f"- {r['nodes']} nodes, step: the Python callback takes {r['step_server_ms']:.0f} ms "
            f"and the first reply message is in the page {r['step_ws_first_ms']:.0f} ms after "
            f"the click; the reply is {r['step_ws_count']:.0f} messages, "
            f"{r['step_ws_bytes'] / 1e3:.1f} kB in all, the last handled at "
            f"{r['step_ws_last_ms']:.0f} ms (the page's main thread is busy redrawing between "
            f"them); counter at {r['step_counter_ms']:.0f} ms, canvas repainted at "
            f"{r['step_painted_ms']:.0f} ms. So the browser takes "
            f"{r['step_painted_ms'] - r['step_ws_first_ms']:.0f} ms of it.")
        lines.append(
            f"- {r['nodes']} nodes, first render: HTML answered at {r['render_html_s']:.2f} s "
            f"(the server builds the session's Explorer while answering: "
            f"{r['build_s']:.2f} s), the document ({r['render_doc_bytes'] / 1e6:.1f} MB of JSON) "
            f"arrived at {r['render_doc_arrived_s']:.2f} s, picture drawn at "
            f"{r['render_painted_s']:.2f} s: the browser spends "
            f"{r['render_painted_s'] - r['render_doc_arrived_s']:.2f} s building and drawing it.")
    return "\n".join(lines)


def write_section(text: str, section: str = SECTION) -> None:
    """Replace this script's section of RESULTS.md (others own the rest of the file)."""
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = existing.find(section)
    if start == -1:
        new = existing.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        nxt = existing.find("\n## ", start + len(section))
        new = existing[:start] + text.rstrip("\n") + "\n" + (existing[nxt:] if nxt != -1 else "")
    RESULTS.write_text(new)


# --- model-shaped graphs with scopes (issue 11) ---------------------------------------------
SCOPES_SECTION = "## Big graphs with scopes in the browser (issue 11)"
MODELS = {
    # name: (label, builder in benchmarks/graphs.py, explorer kwargs, served with a loading page)
    "gpt": ("GPT-like, 12 layers (first view)", "gpt_like", {}, False),
    "gpt-open": ("GPT-like, 12 layers, every scope open", "gpt_like", {"scopes": "all"}, False),
    "cnn": ("CNN-like (4 stages x 2 residual blocks)", "cnn_like", {}, False),
    "rnn": ("RNN cell module, 60 steps", "rnn_like", {}, False),
    "big": ("GPT-like, 134 layers (~50,000 nodes)", "big_model", {}, True),
}
GOALS = {"gpt": {"render": 2.0, "open": 300, "step": 100}, "gpt-open": {"render": 3.0, "step": 100},
         "big": {"render": 5.0}}


def model_graph(builder: str):
    sys.path.insert(0, str(HERE))
    import graphs

    import gradviz
    loss, names = getattr(graphs, builder)()
    return loss, names, gradviz.to_networkx(loss, names).number_of_nodes()


def models_table(rows) -> str:
    out = ["| graph | nodes | first render (s) | server: build (s) | step → repainted (ms) "
           "| open a box → painted (ms) | goals |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        g = GOALS.get(r["key"], {})
        goals = []
        if "render" in g:
            goals.append(f"render ≤ {g['render']:g} s: {'met' if r['render_s'] <= g['render'] else 'MISSED'}")
        if "open" in g and r["open_ms"] is not None:
            goals.append(f"open ≤ {g['open']} ms: {'met' if r['open_ms'] <= g['open'] else 'MISSED'}")
        if "step" in g:
            goals.append(f"step ≤ {g['step']} ms: {'met' if r['step_painted_ms'] <= g['step'] else 'MISSED'}")
        opened = f"{r['open_ms']:.0f}" if r["open_ms"] is not None else "–"
        out.append(f"| {r['label']} | {r['nodes']} | {r['render_s']:.2f} | {r['build_s']:.2f} "
                   f"| {r['step_painted_ms']:.0f} | {opened} | {'; '.join(goals)} |")
    return "\n".join(out)


def run_models(keys, args, browser_path) -> int:
    rows = []
    for key in keys:
        label, builder, kwargs, loading = MODELS[key]
        root, names, n = model_graph(builder)
        row = measure(label, root, names, n, browser_path, args.steps,
                      opens=args.opens if "scopes" not in kwargs else 0, loading=loading, **kwargs)
        row["key"] = key
        rows.append(row)
        print(row, flush=True)
        if args.write:  # after each graph: a slow one later does not lose the others
            write_models(rows, keys, args)
    print(models_table(rows))
    return 0


def write_models(rows, keys, args) -> None:
    """Write the scopes section of RESULTS.md with the rows measured so far."""
    import bokeh
    import panel
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    write_section(f"""{SCOPES_SECTION}

Model-shaped graphs from `benchmarks/graphs.py`, recorded through gradviz.nn modules, so their
ops carry scopes and the explorer opens on closed scope boxes (at most ~80 items; "every scope
open" starts with all of them open). First render: `page.goto` to canvas + counter + Bokeh idle +
two frames (median of the 2nd and 3rd page load; the 50,000-node page answers at once with a
progress note and builds its explorer once loaded, and its time is to the explorer painted).
Step: `Step` click to the repainted canvas, median of {args.steps}. Open a box: a real mouse
click on a closed box in view to the opened box painted (in-page clock from the pointerdown),
median of {args.opens}. Headless Chromium, viewport 1400×900, served in-process.

{models_table(rows)}

- command (from the repository root): `python benchmarks/bench_explorer.py --models {",".join(keys)} --write`
- {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average
  {load:.1f} when measured; Python {platform.python_version()}, panel {panel.__version__},
  bokeh {bokeh.__version__}
""", SCOPES_SECTION)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--sizes", default="10,500,5000")
    ap.add_argument("--models", default="", help=f"model graphs instead of sizes: {','.join(MODELS)}")
    ap.add_argument("--opens", type=int, default=5, help="box clicks timed per model graph")
    ap.add_argument("--write", action="store_true", help=f"write '{SECTION}' in RESULTS.md")
    ap.add_argument("--backend", default="", choices=["", "canvas", "webgl"],
                    help="the graph plot's Bokeh output backend (default: the explorer's, canvas)")
    args = ap.parse_args(argv)
    if args.backend:
        OUTPUT_BACKEND[:] = [args.backend]
    browser_path = find_browser()
    if args.models:
        return run_models(args.models.split(","), args, browser_path)
    rows = []
    for size in map(int, args.sizes.split(",")):
        if size <= 20:
            root, names, n = small_graph()
            label = "seed tutorial"
        else:
            root, names, n = chain_graph(size)
            label = f"RNN unroll ({(n - 7) // 6} steps)"
        row = measure(label, root, names, n, browser_path, args.steps)
        rows.append(row)
        print(row, flush=True)
    print(table(rows))
    if args.write:
        import bokeh
        import panel
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = float("nan")
        write_section(f"""{SECTION}

Time from a `Step` click to the updated counter ("step k of n") and to the repainted canvas
(counter updated, Bokeh idle, two animation frames), median of {args.steps} clicks; first render
from `page.goto` to canvas + counter + Bokeh idle + two frames (median of the 2nd and 3rd page
load; the 1st warms up). "server" columns are the Python side alone: building the Explorer
(export, layout, figure) and the `Explorer.step` callback. Headless Chromium (Debian 156),
viewport 1400×900, served in-process with `pn.serve`.

{table(rows)}

{where_the_time_goes(rows)}

- command (from the repository root): `python benchmarks/bench_explorer.py --write`
- {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average
  {load:.1f} when measured; Python {platform.python_version()}, panel {panel.__version__},
  bokeh {bokeh.__version__}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
