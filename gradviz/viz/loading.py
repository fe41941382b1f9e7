"""Serving a big graph: the page answers at once and says how the build goes, the explorer follows.

Building the explorer of a 50,000-node graph (export, scope tree, first layout, Bokeh models)
takes seconds of Python. Served as a plain factory, the browser would show an empty page for
all of it; ``loading_page(build)`` answers with a small page (a spinner and what is being
built) and, once the page is loaded (``pn.state.onload``), builds the explorer on a thread of
its own, then swaps it in.

On its thread the build reports its stages ("Recording the graph…", "Finding the modules…",
"Laying out boxes: 12 of 80…", "Drawing…": ``gradviz.progress``), and the page shows them as
they come: the thread sets the note's text, and Panel, seeing a change made off the server's
event loop, schedules the update on that loop (Panel's documented way to update a page from a
thread of one's own). The event loop stays free while the build runs, so the page, and every
other session on the server, keeps answering.
"""
from __future__ import annotations

import gc
import threading
import time
from contextlib import contextmanager

import panel as pn

from .. import progress
from . import style

__all__ = ["loading_page", "stage_text"]

# Shown at most this often while one stage counts up (a new stage is shown at once).
REPORT_EVERY = 0.1  # seconds


def stage_text(stage: str, done=None, total=None) -> str:
    """What the page says for a stage: ``Laying out boxes: 12 of 80…``."""
    if total:
        return f"{stage}: {done:,} of {total:,}…"
    return f"{stage}…"


_gc_lock = threading.Lock()
_gc_paused = [0, False]  # builds pausing the collector now, and whether it was enabled before


@contextmanager
def paused_gc():
    """Python's cyclic garbage collector paused while a build runs.

    A build allocates ~10 container objects per graph node (~560,000 for 50,000 nodes) that
    all stay alive with the view; each pass of the collector walks the objects of the
    generations it collects, and a heap growing that fast triggers several full passes: ~40 %
    of the 50,000-node build (benchmarks/bench_build.py). Paused, and the objects made moved
    to the oldest generation at the end (``gc.freeze()`` then ``gc.unfreeze()``: no walk), the
    young collections that follow do not walk them again either (measured 0.3-1.2 s
    otherwise, right after the build, before the page is sent). Cyclic garbage made meanwhile
    is collected by a later full pass. Builds on several threads share one pause."""
    with _gc_lock:
        if _gc_paused[0] == 0:
            _gc_paused[1] = gc.isenabled()
            gc.disable()
        _gc_paused[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused[0] -= 1
            if _gc_paused[0] == 0 and _gc_paused[1]:
                gc.freeze()
                gc.unfreeze()
                gc.enable()


def loading_page(build, what: str = "the graph"):
    """A Panel layout that shows how the build goes, then the view ``build(report)`` returns.

    ``build(report)`` makes the view; besides the stages the graph and layout code report by
    themselves (``gradviz.progress``), it may call ``report(text)`` to show a text of its own.
    Served, it runs on a thread of its own once the page is loaded; in a notebook or a saved
    page, at once."""
    spinner = pn.indicators.LoadingSpinner(value=True, size=28, margin=(10, 10),
                                           css_classes=["gv-loading-spinner"])
    title = f"<b>Building the explorer of {what}…</b>"
    note = style.html(title, margin=(14, 6), css_classes=["gv-loading"])
    page = pn.Column(pn.Row(spinner, note), sizing_mode="stretch_width",
                     css_classes=["gv-loading-page"])
    page.gradviz_stages = []  # (seconds since the build started, text) of each text shown
    shown = {"stage": None, "at": 0.0}
    started = [time.perf_counter()]

    def show(text: str) -> None:
        page.gradviz_stages.append((round(time.perf_counter() - started[0], 3), text))
        note.object = f'{title} <span class="gv-loading-stage">{text}</span>'

    def on_stage(stage, done=None, total=None) -> None:
        now = time.perf_counter()
        if stage == shown["stage"] and now - shown["at"] < REPORT_EVERY and done != total:
            return  # the same stage counting up: not every box needs a message
        shown["stage"], shown["at"] = stage, now
        show(stage_text(stage, done, total))

    def report(text: str) -> None:
        shown["stage"], shown["at"] = text, time.perf_counter()
        show(text)

    def run():
        started[0] = time.perf_counter()
        on_stage("Recording the graph")
        try:
            with progress.reporting(on_stage), paused_gc():
                view = build(report)
        except Exception as e:  # noqa: BLE001 - shown to the person, not swallowed
            spinner.value = False
            note.object = f'<span class="gv-error">Could not build the explorer: {e}</span>'
            raise
        page.gradviz_build_seconds = time.perf_counter() - started[0]
        page.gradviz_explorer = getattr(view, "gradviz_explorer", view)
        on_stage("Sending it to the browser")
        page.objects = [view]

    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        def start():
            def work():
                # The thread knows its document, as Panel's own threads do: changes made here
                # are scheduled on the document's event loop.
                from panel.io.state import set_curdoc

                with set_curdoc(doc):
                    try:
                        run()
                    except Exception:  # noqa: BLE001 - shown on the page; logged by the thread
                        import logging
                        logging.getLogger(__name__).exception("building the explorer failed")

            threading.Thread(target=work, name="gradviz-build", daemon=True).start()

        pn.state.onload(start)
    else:  # a notebook or a saved page: build now
        run()
    return page
