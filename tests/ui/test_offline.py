"""No gradviz page asks another host for anything: a served app and a saved explorer open with
every request to a host other than this machine blocked and recorded, and none is made (the
fonts, Panel's and Bokeh's code and styles all come with the page)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LOCAL = ("http://127.0.0.1", "http://localhost", "data:", "file:", "blob:", "about:")


def _open_offline(browser, url: str, wait_canvas: bool = True):
    """Open ``url`` with every non-local request refused; returns (page, context, asked)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    asked: list[str] = []

    def route(r):
        if r.request.url.startswith(LOCAL):
            return r.continue_()
        asked.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(url)
    if wait_canvas:
        page.wait_for_selector("canvas", timeout=60_000)
        page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0 && "
                               "Bokeh.documents.every(d => d.is_idle)", timeout=60_000)
    return page, context, asked


def _faces(page):
    from gradviz.viz.fonts import FONTS_LOADED_JS

    page.evaluate(FONTS_LOADED_JS)
    return page.evaluate("""[...document.fonts]
        .filter(f => f.family.replace(/["']/g, '').startsWith('gradviz'))
        .map(f => f.status)""")


def _seed_explorer():
    from gradviz import examples
    from gradviz.apps.graphs import explorer

    ex = examples.build("seed")
    return explorer(ex.root, ex.names, **ex.kwargs)


def test_a_saved_explorer_asks_no_other_host(ui_browser, tmp_path):
    from bokeh.resources import INLINE

    view = _seed_explorer()
    saved = tmp_path / "graph.html"
    view.save(str(saved))
    page, context, asked = _open_offline(ui_browser, saved.as_uri())
    try:
        faces = _faces(page)
    finally:
        context.close()
    assert asked == []
    assert faces and set(faces) == {"loaded"}, faces

    # The control: what Panel itself writes still links its CDN (so the check above can fail).
    plain = tmp_path / "plain.html"
    _seed_explorer().__panel__().save(str(plain), resources=INLINE)
    page, context, asked = _open_offline(ui_browser, plain.as_uri())
    context.close()
    assert any("cdn.holoviz.org" in url for url in asked)


@pytest.mark.parametrize("app", ["tutorial", "playground"])
def test_served_apps_ask_no_other_host_with_several_sessions(ui_browser, app):
    from gradviz.apps import factory
    from gradviz.testing import ServedApp

    with ServedApp(factory(app)) as served:
        opened = [_open_offline(ui_browser, served.url) for _ in range(3)]
        try:
            faces = [_faces(page) for page, _, _ in opened]
        finally:
            for _, context, _ in opened:
                context.close()
    assert [asked for _, _, asked in opened] == [[], [], []]
    assert all(f and set(f) == {"loaded"} for f in faces), faces
