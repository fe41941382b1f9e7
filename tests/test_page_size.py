"""How much a saved page weighs beyond Bokeh and Panel, and that slimming it changes nothing
that is drawn.

Issue 13's goal: for the seed graph, ``view.save("graph.html")`` (inline resources) carries at
most 150 kB beyond an empty Panel page saved the same way (what benchmarks/bench_load.py
measures, part by part). The slimming that helps get there (gradviz.viz.offline.slim_document:
shared stylesheets and filter code, small columns as lists, no glyph copies nothing draws) must
leave the page pixel for pixel as it was: the same page saved without it is the reference.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

GOAL_BYTES = 150_000  # issue 13: "the data beyond Bokeh and Panel themselves <= 150 kB"


def _seed_view():
    from gradviz import examples
    from gradviz.viz.explorer import Explorer

    ex = examples.build("seed")
    return Explorer(ex.root, names=ex.names, **ex.kwargs)


def _empty_panel_page(path) -> int:
    import panel as pn

    from gradviz.viz.offline import inline_saved_file

    pn.Column(pn.pane.Markdown("empty")).save(str(path), resources="inline")
    inline_saved_file(path)  # as gradviz's own save does: Panel's CDN CSS as data: URLs
    return path.stat().st_size


def test_the_saved_seed_page_carries_at_most_150_kB_beyond_an_empty_panel_page(tmp_path):
    # In a fresh process, as a user saves: Bokeh numbers its models per process ("p1234"), and
    # after the thousands of models earlier tests made every id, and so every reference in the
    # page, would be a character or two longer.
    import subprocess
    import sys

    page, empty = tmp_path / "graph.html", tmp_path / "empty.html"
    script = f"""
import pathlib, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_page_size import _seed_view, _empty_panel_page
_seed_view().save({str(page)!r})
_empty_panel_page(pathlib.Path({str(empty)!r}))
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    beyond = page.stat().st_size - empty.stat().st_size
    assert beyond > 20_000  # the graph, its states and fonts are really in the page
    assert beyond <= GOAL_BYTES, (
        f"the seed page is {page.stat().st_size:,} B, an empty Panel page "
        f"{empty.stat().st_size:,} B: {beyond:,} B beyond (goal {GOAL_BYTES:,}); "
        f"`python benchmarks/bench_load.py --breakdown 40` breaks it down part by part")


def test_the_saved_page_declares_each_face_once_and_no_alias(tmp_path):
    import base64

    from gradviz.viz import fonts

    page = tmp_path / "graph.html"
    _seed_view().save(str(page))
    html = page.read_text(encoding="utf-8")
    for face in fonts.faces(apps=True):
        data = base64.b64encode((fonts.HERE / face["file"]).read_bytes()).decode("ascii")
        # Mono bold is the apps' (code); the explorer draws Sans regular and bold, Mono regular.
        assert html.count(data) == (0 if face["pages"] == "apps" else 1), face["file"]


def test_slimming_shares_stylesheets_without_changing_any_models_list():
    """Every model's stylesheets, read as the CSS they apply, are the same before and after."""
    from bokeh.models import ImportedStyleSheet, InlineStyleSheet

    from gradviz.viz import fonts, offline, static_page

    doc, _, _ = static_page.build_document(_seed_view())
    # (The fonts stylesheet also loses the Mono bold face, which this page never draws.)
    same_fonts = {fonts.document_css(apps=True): fonts.document_css()}

    def applied():
        out = {}
        for m in doc.models:
            if "stylesheets" in m.properties():
                out[m.id] = [s if isinstance(s, str) else s.url if isinstance(
                    s, ImportedStyleSheet) else same_fonts.get(s.css, s.css) if isinstance(
                    s, InlineStyleSheet) else s for s in m.stylesheets]
        return out

    before = applied()
    strings = sum(isinstance(s, str) for m in doc.models if "stylesheets" in m.properties()
                  for s in m.stylesheets)
    done = offline.slim_document(doc)
    after = applied()
    assert after == {k: v for k, v in before.items() if k in after}  # (hidden axes left)
    assert len(after) > 50  # the explorer's models, each with its list
    assert done["shared stylesheets"] > 0
    left = sum(isinstance(s, str) for m in doc.models if "stylesheets" in m.properties()
               for s in m.stylesheets)
    assert left < strings / 10  # nearly every repeated string became a shared model


def test_slimming_keeps_every_model_a_recorded_patch_names():
    from gradviz.viz import offline, static_page

    doc, _, _ = static_page.build_document(_seed_view())
    named = offline._recorded_ids(doc)
    assert named  # the recorded passes do name models (sources, panes)
    offline.slim_document(doc)
    present = {m.id for m in doc.models}
    assert named <= present


# --- in a browser: slimmed and unslimmed pages draw the same pixels -------------------------
def _screens(browser_path, url: str, steps: int) -> tuple[list[bytes], list[str]]:
    """Screenshots of a saved page at step 0, after ``steps`` Steps and after Run; and the
    requests it made to anything but the file itself."""
    from playwright.sync_api import sync_playwright

    from gradviz.testing import LAUNCH_ARGS
    from gradviz.viz.fonts import FONTS_LOADED_JS

    shots, asked = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=list(LAUNCH_ARGS))
        context = browser.new_context(viewport={"width": 1400, "height": 900},
                                      device_scale_factor=1)

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                return r.continue_()
            asked.append(r.request.url)
            return r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("canvas", timeout=60_000)
        page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0 && "
                               "Bokeh.documents.every(d => d.is_idle)", timeout=60_000)
        page.evaluate(FONTS_LOADED_JS)

        def shot():
            page.mouse.move(1395, 895)
            time.sleep(0.8)
            shots.append(page.screenshot())

        shot()
        for _ in range(steps):
            page.get_by_role("button", name="Step", exact=True).first.click()
            time.sleep(0.3)
        shot()
        page.get_by_role("button", name="Run", exact=True).first.click()
        time.sleep(0.5)
        shot()
        page.get_by_text("Inspect", exact=True).first.click()
        shot()
        browser.close()
    return shots, asked


@pytest.mark.browser
def test_a_slimmed_page_draws_exactly_what_the_unslimmed_one_draws(tmp_path, monkeypatch):
    from gradviz.testing import compare_images, require_browser
    from gradviz.viz import offline

    browser = require_browser()
    slim = tmp_path / "slim.html"
    _seed_view().save(str(slim))
    full = tmp_path / "full.html"
    monkeypatch.setattr(offline, "slim_document", lambda doc: {})
    _seed_view().save(str(full))
    assert slim.stat().st_size < full.stat().st_size - 50_000  # the slimming did something
    a, asked_a = _screens(browser.path, slim.as_uri(), 4)
    b, asked_b = _screens(browser.path, full.as_uri(), 4)
    assert asked_a == [] and asked_b == []
    for k, (x, y) in enumerate(zip(a, b)):
        result = compare_images(x, y, tolerance=0, max_fraction=0.0)
        if not result.matches:
            out = tmp_path / "mismatch"
            out.mkdir(exist_ok=True)
            (out / f"{k}-slim.png").write_bytes(x)
            (out / f"{k}-full.png").write_bytes(y)
            pytest.fail(f"shot {k}: {result.summary()}; pictures in {out}", pytrace=False)


_FILTER_CODE = """
// Rows whose x is at least lo: the same code for every renderer, one argument apart.
const xs = source.data.x;
const out = [];
for (let i = 0; i < xs.length; i++) {
  if (xs[i] >= lo) out.push(i);
}
return out;
""" + "// padding that makes the code long enough to be worth sharing\n" * 8


def _filtered_plot():
    """Two renderers of one source, each through a filter of the same code: rows 2-9 and 6-9."""
    from bokeh.models import CDSView, ColumnDataSource, CustomJSFilter
    from bokeh.plotting import figure

    fig = figure(width=400, height=300, toolbar_location=None, x_range=(-1, 10),
                 y_range=(0, 4))
    source = ColumnDataSource({"x": list(range(10))})
    for k, lo in enumerate((2, 6)):
        view = CDSView(filter=CustomJSFilter(code=_FILTER_CODE, args={"lo": lo}))
        fig.scatter("x", 1 + 2 * k, source=source, view=view, size=12,
                    color=["#d62728", "#1f77b4"][k])
    return fig, source


@pytest.mark.browser
def test_shared_filter_code_filters_as_each_filter_did(tmp_path):
    from bokeh.document import Document
    from bokeh.embed import file_html
    from bokeh.models import CustomJSFilter
    from bokeh.resources import INLINE

    from gradviz.testing import compare_images, require_browser
    from gradviz.viz import offline

    browser = require_browser()
    pages = {}
    ids = {}
    for slim in (True, False):
        doc = Document()
        fig, source = _filtered_plot()
        doc.add_root(fig)
        ids[slim] = (source.id, [r.view.id for r in fig.renderers])
        if slim:
            assert offline.share_filter_code(doc) > 0
            filters = [m for m in doc.models if isinstance(m, CustomJSFilter)]
            assert all("gv_code" in f.args and len(f.code) < 300 for f in filters)
        path = tmp_path / f"{slim}.html"
        path.write_text(file_html(doc, INLINE, "filters"), encoding="utf-8")
        pages[slim] = path
    from playwright.sync_api import sync_playwright

    from gradviz.testing import LAUNCH_ARGS

    shots, errors = {}, []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser.path, args=list(LAUNCH_ARGS))
        for slim, path in pages.items():
            page = b.new_page(viewport={"width": 420, "height": 320}, device_scale_factor=1)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_selector("canvas", timeout=60_000)
            page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0 && "
                                   "Bokeh.documents.every(d => d.is_idle)", timeout=60_000)
            time.sleep(0.5)
            shots[slim] = page.screenshot()
            # What the filters let through, read from the page: rows 2-9 and 6-9.
            counts = page.evaluate("""([source, views]) => {
                const doc = Bokeh.documents[0];
                const s = doc.get_model_by_id(source);
                return views.map(v => doc.get_model_by_id(v).filter.compute_indices(s).count);
            }""", list(ids[slim]))
            assert sorted(counts) == [4, 8], (slim, counts)
        b.close()
    assert errors == []
    assert compare_images(shots[True], shots[False], tolerance=0, max_fraction=0.0).matches
