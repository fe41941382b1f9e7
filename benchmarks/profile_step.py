"""Where a Step's time goes in the browser: a Chrome CPU profile (the DevTools Profiler, through
Playwright's CDP session) of Step clicks on a model-shaped graph, summed by function.

    python benchmarks/profile_step.py [--model gpt-open] [--clicks 10] [--stacks set_visuals]

Prints the painted time of each click, then per click: self time by function (BokehJS is
minified: the file's line tells functions of one name apart), inclusive time by function name
(a name's time is counted once per sample even when it recurses), and with ``--stacks NAME``
the call chains through NAME. ``(program)`` is the browser's own work outside JavaScript
(style, layout, rasterising the canvases); ``(idle)`` includes the server's time.
"""
from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_explorer as B  # noqa: E402


def profile(model: str, clicks: int) -> tuple[list, dict]:
    from playwright.sync_api import sync_playwright

    from gradviz.testing.serve import ServedApp

    _, builder, kwargs, _ = B.MODELS[model]
    root, names, _ = B.model_graph(builder)
    server = ServedApp(B.timed_factory(root, names, **kwargs), timeout=120).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=B.find_browser(), args=list(B.LAUNCH_ARGS))
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(B.WS_LOG)
            page = context.new_page()
            B.first_render(page, server.url)
            B.step_times(page, 2)  # warm the step path before profiling
            cdp = context.new_cdp_session(page)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 200})
            cdp.send("Profiler.start")
            times = B.step_times(page, clicks)
            prof = cdp.send("Profiler.stop")["profile"]
            browser.close()
    finally:
        server.stop()
    return times, prof


def report(prof: dict, clicks: int, stacks_through: str | None, top: int = 30) -> None:
    nodes = {nd["id"]: nd for nd in prof["nodes"]}
    parent = {c: nd["id"] for nd in prof["nodes"] for c in nd.get("children", [])}
    spent = collections.Counter()
    for sid, us in zip(prof["samples"], prof["timeDeltas"]):
        spent[sid] += us

    def chain(sid):
        while sid is not None:
            yield nodes[sid]["callFrame"]
            sid = parent.get(sid)

    own, incl, through = collections.Counter(), collections.Counter(), collections.Counter()
    for sid, us in spent.items():
        frames = list(chain(sid))
        cf = frames[0]
        own[(cf["functionName"] or "(anonymous)", cf["url"].split("/")[-1].split("?")[0],
             cf["lineNumber"])] += us
        for name in {f["functionName"] for f in frames}:
            incl[name] += us
        names = [f["functionName"] for f in frames]
        if stacks_through in names:
            i = names.index(stacks_through)
            through[" < ".join(f'{f["functionName"] or "?"}:{f["lineNumber"]}'
                               for f in frames[i:i + 9])] += us
    per = lambda us: us / 1e3 / clicks  # noqa: E731
    print(f"profiled: {per(sum(spent.values())):.1f} ms per click")
    print("--- self time (ms per click)")
    for key, us in own.most_common(top):
        print(f"{per(us):7.2f}  {key}")
    print("--- inclusive time (ms per click)")
    for key, us in incl.most_common(top):
        print(f"{per(us):7.2f}  {key}")
    if stacks_through:
        print(f"--- call chains through {stacks_through} (ms per click)")
        for key, us in through.most_common(10):
            print(f"{per(us):7.2f}  {key}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="gpt-open", choices=sorted(B.MODELS))
    ap.add_argument("--clicks", type=int, default=10)
    ap.add_argument("--stacks", default=None, help="print the call chains through this function")
    args = ap.parse_args(argv)
    times, prof = profile(args.model, args.clicks)
    print("step -> painted (ms):", sorted(round(t["painted"]) for t in times))
    report(prof, args.clicks, args.stacks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
