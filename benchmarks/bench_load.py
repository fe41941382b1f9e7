"""Saved pages: how much a page that steps without Python weighs, and how fast it opens.

    python benchmarks/bench_load.py [--sizes 5000] [--opens 3] [--write]
    python benchmarks/bench_load.py --breakdown 40   # the seed page's bytes, part by part

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


def _docs_json(html: str):
    """The document JSON of a saved page, and the span of its text in ``html``."""
    import html as html_lib
    import json

    m = re.search(r'<script type="application/json" id="[^"]+">\s*(.*?)\s*</script>', html, re.S)
    return json.loads(html_lib.unescape(m.group(1))), m.span(1)


def _text_len(value) -> int:
    """Bytes ``value`` takes in a saved page: Bokeh writes the document as compact ASCII JSON,
    HTML-escaped (so a ``<`` in a string costs four bytes)."""
    import html as html_lib
    import json

    return len(html_lib.escape(json.dumps(value, separators=(",", ":")), quote=False))


def _font_names() -> dict:
    """base64 of each shipped font file -> its file name (to name the fonts a page carries)."""
    import base64

    from gradviz.viz import fonts

    return {base64.b64encode(path.read_bytes()).decode("ascii"): path.name
            for path in sorted(fonts.HERE.glob("*.woff2"))}


def breakdown(html: str) -> dict:
    """Every byte of a saved page, by what it is: ``{(part, detail): [bytes, count]}``. Parts:
    "page" (the HTML around the document: Bokeh's and Panel's code), "fonts" (each face's
    ``data:`` URL, by file; "css" the rest of the font stylesheet), "stylesheets" (CSS
    carried by models: inline strings, shared ``InlineStyleSheet`` models, Panel's design
    files as ``ImportedStyleSheet``), "states" (the recorded passes), "code" (``CustomJS`` and
    ``CustomJSFilter`` code, by first line), "models" (everything else, by model type: their
    properties, data and JSON punctuation). The sizes add up to the file's size exactly."""
    import base64
    import hashlib

    docs, (start, end) = _docs_json(html)
    out: dict = {}
    font_names = _font_names()

    def add(part, detail, n, count=1):
        row = out.setdefault((part, detail), [0, 0])
        row[0] += n
        row[1] += count

    add("page", "HTML, Bokeh and Panel code, Panel CSS links", len(html.encode("utf-8")) -
        len(html[start:end].encode("utf-8")))

    def walk(o, owner_type):
        """Bytes of ``o`` not in nested model definitions, attributed as they are found;
        nested definitions are walked as models of their own."""
        if isinstance(o, dict) and o.get("type") == "object" and "attributes" in o and \
                o is not owner_type[1]:
            model(o)
            return 0
        return _text_len(o)

    def model(o):
        name = o["name"]
        attrs = o.get("attributes", {})
        nested = 0  # bytes of the nested definitions inside this model's text
        special = 0  # bytes attributed to a part other than "models"

        def definitions(v):
            total = 0
            if isinstance(v, dict):
                if v.get("type") == "object" and "attributes" in v:
                    model(v)
                    return _text_len(v)
                for x in v.values():
                    total += definitions(x)
            elif isinstance(v, list):
                for x in v:
                    total += definitions(x)
            return total

        for key, v in attrs.items():
            if key == "stylesheets" and isinstance(v, list):
                for sheet in v:
                    if isinstance(sheet, str):
                        digest = hashlib.sha1(sheet.encode()).hexdigest()[:8]
                        add("stylesheets", f"inline string {digest} ({sheet.strip()[:40]!r})",
                            _text_len(sheet))
                        special += _text_len(sheet)
            elif name == "GlobalInlineStyleSheet" and key == "css":
                rest = v
                for m in re.finditer(r"data:font/woff2;base64,([A-Za-z0-9+/=]+)", v):
                    add("fonts", font_names.get(m.group(1), "a font gradviz does not ship"),
                        len(m.group(1)) + len("data:font/woff2;base64,"))
                    rest = rest.replace(m.group(0), "", 1)
                add("fonts", "css (@font-face rules, font variables)", _text_len(rest))
                special += _text_len(v)
            elif name == "InlineStyleSheet" and key == "css":
                digest = hashlib.sha1(v.encode()).hexdigest()[:8]
                add("stylesheets", f"shared InlineStyleSheet {digest} ({v.strip()[:40]!r})",
                    _text_len(v))
                special += _text_len(v)
            elif name == "ImportedStyleSheet" and key == "url":
                css = base64.b64decode(v.split(",", 1)[1]).decode("utf-8", "replace") \
                    if v.startswith("data:") else v
                add("stylesheets", f"Panel design file ({css.strip()[:40]!r})", _text_len(v))
                special += _text_len(v)
            elif name in ("CustomJS", "CustomJSFilter") and key == "code":
                add("code", f"{name}: {v.strip().splitlines()[0][:50]!r}", _text_len(v))
                special += _text_len(v)
            elif name == "CustomJS" and key == "args" and isinstance(v, dict):
                for k, x in v.get("entries", []):
                    if isinstance(x, str) and x.startswith("H4sI"):  # gzip, base64
                        add("states", f"recorded {k!r} (gzip, base64)", _text_len(x))
                        special += _text_len(x)
            nested += definitions(v)
        add("models", name, _text_len(o) - nested - special)

    total = _text_len(docs)
    inner = 0
    for doc in docs.values():
        for root in doc["roots"]:
            model(root)
            inner += _text_len(root)
    add("models", "document (roots list, title, version, ...)", total - inner)
    check = sum(n for n, _ in out.values())
    assert check == len(html.encode("utf-8")), (check, len(html.encode("utf-8")))
    return out


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
    parts = breakdown(html)
    empty_parts = breakdown(empty.read_text(encoding="utf-8"))
    return {"page": page.stat().st_size, "empty": empty.stat().st_size,
            "states": sum(n for (p, _), (n, _) in parts.items() if p == "states"),
            "fonts": sum(n for (p, _), (n, _) in parts.items() if p == "fonts"),
            "parts": parts, "empty_parts": empty_parts}


def print_breakdown(s: dict, top: int = 25) -> None:
    """The seed page's bytes beyond the empty page, part by part (Markdown table)."""
    keys = set(s["parts"]) | set(s["empty_parts"])
    rows = []
    for key in keys:
        n, c = s["parts"].get(key, [0, 0])
        e, ec = s["empty_parts"].get(key, [0, 0])
        rows.append((n - e, key, n, c, e, ec))
    rows.sort(key=lambda r: -abs(r[0]))
    by_part: dict = {}
    for d, (part, _), *_ in rows:
        by_part[part] = by_part.get(part, 0) + d
    print("\n| part | beyond the empty page (B) |\n|---|---|")
    for part, d in sorted(by_part.items(), key=lambda kv: -kv[1]):
        print(f"| {part} | {d:,} |")
    print(f"| **total** | **{sum(by_part.values()):,}** |")
    print("\n| part | what | seed page B (count) | empty page B (count) | beyond (B) |"
          "\n|---|---|---|---|---|")
    for d, (part, detail), n, c, e, ec in rows[:top]:
        print(f"| {part} | {detail} | {n:,} ({c}) | {e:,} ({ec}) | {d:,} |")
    rest = sum(r[0] for r in rows[top:])
    print(f"| | {len(rows) - top} smaller rows | | | {rest:,} |")


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
    ap.add_argument("--breakdown", type=int, default=0, metavar="ROWS",
                    help="print the seed page's bytes beyond the empty page part by part "
                         "(the largest ROWS rows), then stop")
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
    if args.breakdown:
        print_breakdown(s, args.breakdown)
        return
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
