"""The loading page of a big graph in a real browser: it says what the build is doing, stage
after stage, and the server keeps answering while it builds.

Skips without a browser; fails instead under GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("panel")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import graphs  # noqa: E402

PAGES: list = []  # the loading pages served (server side)


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    # ~50,000 nodes: building its explorer takes a few seconds of Python
    loss, names = graphs.big_model()

    def factory():
        from gradviz.viz import Explorer
        from gradviz.viz.loading import loading_page

        def build(report):
            from gradviz import progress

            for t in names.values():  # a fresh pass per page (the tensors are shared)
                if t.is_leaf:
                    t.grad = None
            # On a fast machine this graph builds in under a second, too quick for a browser
            # to see its stages: each stage the build reports is held 0.3 s (the same stages,
            # in the same order, reported from the same thread).
            page_listener, seen = progress.listener(), []

            def held(stage, done=None, total=None):
                if stage not in seen:
                    seen.append(stage)
                    time.sleep(0.3)
                page_listener(stage, done, total)

            with progress.reporting(held):
                return Explorer(loss, names=names)

        page = loading_page(build, "a model of 50,000 nodes")
        PAGES.append(page)
        return page

    s = explorer_server_class({"big": factory})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


# Every text the stage note shows, with its time, until the graph's canvas appears; found
# afresh each frame through shadow roots (Panel re-creates the element on update).
WATCH_STAGES = """
(() => {
  window.__gvStages = [];
  const find = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains('gv-loading-stage')) return el;
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const hasCanvas = (root) => {
    if (root.querySelector('canvas')) return true;
    for (const el of root.querySelectorAll('*'))
      if (el.shadowRoot && hasCanvas(el.shadowRoot)) return true;
    return false;
  };
  const tick = () => {
    const el = find(document);
    const text = el ? el.textContent.trim() : null;
    const last = window.__gvStages[window.__gvStages.length - 1];
    if (text && (!last || last[1] !== text)) window.__gvStages.push([performance.now(), text]);
    if (hasCanvas(document)) { window.__gvGraphAt = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  document.addEventListener('DOMContentLoaded', () => requestAnimationFrame(tick));
})();
"""


def test_the_page_shows_the_build_stage_by_stage_and_the_server_keeps_answering(server, ui_browser):
    context = ui_browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(WATCH_STAGES)
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(server.url("big"), timeout=60_000)
        html_at = time.perf_counter() - t0
        # While the build runs, the server answers another request (a second page's HTML): its
        # event loop is free. A build on the loop would hold this request until it is done.
        page.wait_for_function("window.__gvStages.length > 0", timeout=30_000)
        t = time.perf_counter()
        urllib.request.urlopen(server.url("big"), timeout=60).read()
        other_page_s = time.perf_counter() - t
        building = page.evaluate("window.__gvGraphAt === undefined")
        page.wait_for_function("window.__gvGraphAt !== undefined", timeout=120_000)
        page.wait_for_function(
            "window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents.every(d => d.is_idle)",
            timeout=60_000)
        stages = page.evaluate("window.__gvStages")
        graph_at = page.evaluate("window.__gvGraphAt")
    finally:
        context.close()
    # the page the browser loaded: the only one whose build ran (the server's start-up check
    # and the request above opened sessions that never loaded)
    (built,) = [p for p in PAGES if hasattr(p, "gradviz_build_seconds")]
    texts = [text for at, text in stages if at < graph_at]
    assert html_at < 10, f"the page took {html_at:.1f} s to answer"
    assert built.gradviz_build_seconds > 1.0, (
        f"the build took {built.gradviz_build_seconds:.2f} s: too quick to test progress with")
    # at least two different stages were on screen before the graph was
    assert len(set(texts)) >= 2, texts
    assert any(t.startswith("Recording the graph") for t in texts), texts
    assert all(t.endswith("…") for t in texts), texts
    # and what the server sent are the stages the build went through, in order
    sent = [text for _, text in built.gradviz_stages]
    assert sent[0] == "Recording the graph…" and sent[-1] == "Sending it to the browser…", sent
    assert "Finding the modules…" in sent and "Drawing…" in sent, sent
    assert [t for t in texts if t in sent] == texts, (texts, sent)
    # the second page was answered while the first was still building, in a fraction of it
    assert building, "the other page was answered only once the build was over"
    assert other_page_s < built.gradviz_build_seconds / 2, (other_page_s, built.gradviz_build_seconds)
    # the explorer arrived: the counter of its pass is on the page
    assert built.gradviz_explorer.counter.startswith("step 0 of ")
