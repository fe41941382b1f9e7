"""Serving a big graph: the page answers at once with a progress note, the explorer follows.

Building the explorer of a 50,000-node graph (export, scope tree, first layout, Bokeh models)
takes a few seconds of Python. Served as a plain factory, the browser would show an empty page
for all of it; ``loading_page(build)`` answers with a small page (a spinner and what is being
built) and builds the explorer once the page is loaded (``pn.state.onload``), then swaps it in.
The spinner is CSS: the page stays responsive while the server works.
"""
from __future__ import annotations

import time

import panel as pn

from . import style


def loading_page(build, what: str = "the graph"):
    """A Panel layout that shows progress, then the view ``build()`` returns.

    ``build(report)`` makes the view; it may call ``report(text)`` to say what it is doing
    (shown when the page is updated next)."""
    spinner = pn.indicators.LoadingSpinner(value=True, size=28, margin=(10, 10),
                                           name="gv_loading_spinner")
    note = style.html(f"<b>Building the explorer of {what}…</b>", margin=(14, 6),
                      css_classes=["gv-loading"])
    page = pn.Column(pn.Row(spinner, note), sizing_mode="stretch_width",
                     css_classes=["gv-loading-page"])

    def report(text: str) -> None:
        note.object = f"<b>Building the explorer of {what}…</b> {text}"

    def load():
        t = time.perf_counter()
        try:
            view = build(report)
        except Exception as e:  # noqa: BLE001 - shown to the person, not swallowed
            spinner.value = False
            note.object = f'<span class="gv-error">Could not build the explorer: {e}</span>'
            raise
        page.objects = [view]
        page.gradviz_build_seconds = time.perf_counter() - t
        page.gradviz_explorer = getattr(view, "gradviz_explorer", view)

    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.onload(load)
    else:  # a notebook or a saved page: build now
        load()
    return page
