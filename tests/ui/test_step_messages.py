"""What a Step sends to the page: only what changed.

A new ``stylesheets`` list on a pane makes BokehJS lay out the whole page again and repaint the
graph's canvas synchronously, so a Step that re-sent the counter's and the sentence's
stylesheets painted the graph twice (most of a Step's time in the page on a big graph).

Skips without a browser; fails instead under GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import pytest

pytest.importorskip("panel")

from tests.graph_programs import seed_graph  # noqa: E402


def seed_app():
    from gradviz.viz import Explorer

    v = seed_graph()
    return Explorer(v["loss"], names=v)


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"seed": seed_app})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


RECORD = """() => {
  const doc = Bokeh.documents[0];
  window.__gvEvents = [];
  const apply = doc.apply_json_patch.bind(doc);
  doc.apply_json_patch = (patch, ...rest) => {
    for (const e of patch.events) {
      const m = e.model ? doc.get_model_by_id(e.model.id) : null;
      window.__gvEvents.push([e.kind, e.attr || '', m ? m.type : '']);
    }
    return apply(patch, ...rest);
  };
}"""


def test_a_step_sends_changed_text_and_data_but_no_stylesheets(server, open_page):
    p = open_page(server.url("seed"))
    p.page.evaluate(RECORD)
    for k in (1, 2, 3, 4):
        p.click("Step")
        p.wait_contains(f"step {k} of")
    p.page.wait_for_function("Bokeh.documents.every(d => d.is_idle)")
    events = p.page.evaluate("() => window.__gvEvents")
    changed = {(kind, attr) for kind, attr, _ in events}
    # the step's own changes arrived (the counter's and sentence's text, patched columns) ...
    assert ("ModelChanged", "text") in changed
    assert ("ColumnsPatched", "data") in changed
    # ... and nothing that makes the page lay itself out again
    layout = {"stylesheets", "css_classes", "width", "height", "min_width", "min_height",
              "sizing_mode", "margin", "visible"}
    assert not [e for e in events if e[1] in layout], events
    assert not p.errors
