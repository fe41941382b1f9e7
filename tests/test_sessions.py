"""Serving a class: a session's explorer is freed once its page is gone.

Pages are opened as a browser opens them (``gradviz.testing.session_client.HeadlessPage``:
GET the page, which makes the server build the app, then the websocket and the document), ten
at a time, against a server that discards closed sessions quickly. Afterwards no ``Explorer``
may be left alive (weak references, after garbage collection), and a page closed while Play
is running must stop its timer and log no error.
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import time
import urllib.request
import weakref

import pytest

pytest.importorskip("panel")

SESSIONS = 100
# Pages opening at the same time. The server builds one page at a time, so more would not be
# faster; they would only leave a page's session unconnected longer (see LINGER_MS).
AT_ONCE = 2
# A session with no page connected is destroyed after this long: after its page closed, and
# also between the page's GET (which creates it) and its websocket. Shorter, and a busy server
# destroys sessions before their websocket arrives, then builds those pages a second time.
LINGER_MS = 4000
# Growth allowed between the first and the second 50 pages: under half of one page's ~22,000
# objects (a leak of a few small objects per page would pass; of an explorer, or a page's
# models, not).
OBJECTS_PER_PAGE = 10_000
COUNTER = re.compile(r"step (\d+) of (\d+)")


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def served(app):
    """``app`` on a threaded Panel server that destroys a session ``LINGER_MS`` after its
    page closed; yields the page's URL and the warnings and errors logged meanwhile (Panel's
    and Bokeh's loggers do not propagate to the root logger, so each gets the handler)."""
    import panel as pn

    from gradviz.testing.serve import free_port

    records = _Records()
    loggers = [logging.getLogger(n) for n in ("", "panel", "bokeh")]
    for lg in loggers:
        lg.addHandler(records)
    port = free_port()
    server = pn.serve({"app": app}, port=port, address="127.0.0.1",
                      websocket_origin=[f"127.0.0.1:{port}"], threaded=True, show=False,
                      # Bokeh's names (Panel passes them on): the shorter
                      # unused_session_lifetime=... was silently ignored, leaving the
                      # defaults of 15 s and 17 s.
                      unused_session_lifetime_milliseconds=LINGER_MS,
                      check_unused_sessions_milliseconds=200)
    try:
        deadline = time.time() + 30
        while True:  # up when it serves a static file (no session is made for that)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/static/extensions/panel/css/"
                                       "loading.css", timeout=5).read()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/app", records.records
    finally:
        server.stop()
        for lg in loggers:
            lg.removeHandler(records)


def seed_app(made: list):
    """A factory of the seed graph's explorer that keeps a weak reference to each one."""
    from gradviz import examples
    from gradviz.viz.explorer import Explorer

    def app():
        ex = examples.build("seed")
        view = Explorer(ex.root, names=ex.names, **ex.kwargs)
        made.append(weakref.ref(view))
        return view
    return app


def counter_of(page) -> str:
    return next(i for i, t in page.texts.items() if COUNTER.fullmatch(t))


def wait_until_dead(made, seconds: float = 60) -> int:
    deadline = time.time() + seconds
    while True:
        gc.collect()
        alive = sum(r() is not None for r in made)
        if alive == 0 or time.time() > deadline:
            return alive
        time.sleep(0.2)


async def open_and_close(url: str, n: int, at_once: int) -> list[str]:
    """Open ``n`` pages, ``at_once`` at a time; each shows its counter, then closes."""
    from gradviz.testing.session_client import HeadlessPage

    gate = asyncio.Semaphore(at_once)
    problems: list[str] = []

    rebuilt = 0

    async def one():
        nonlocal rebuilt
        async with gate:
            page = HeadlessPage(url, timeout=120)
            await page.open()
            rebuilt += page.rebuilt
            if page.texts.get(counter_of(page)) != "step 0 of 8":
                problems.append(f"a page opened at {page.texts.get(counter_of(page))!r}")
            # Once the page is up, Panel sends what it held back until then; a tab closed in
            # the middle of that makes Bokeh log a warning (a person reads the page first).
            await page.idle(quiet=0.3)
            await page.close()
            problems.extend(page.errors)

    await asyncio.gather(*(one() for _ in range(n)))
    return problems, rebuilt


def test_closed_sessions_leave_no_explorer_alive():
    """100 pages in two halves: after each, every explorer is gone, and the second half
    leaves no more Python objects behind than the first did (a page makes ~22,000)."""
    made: list = []
    counts = []
    with served(seed_app(made)) as (url, logged):
        built = 0
        for half in (1, 2):
            problems, rebuilt = asyncio.run(open_and_close(url, SESSIONS // 2, AT_ONCE))
            assert problems == []
            # One explorer per page, and one more for a page whose websocket came after its
            # first session was gone (a very busy machine): every one must be freed.
            built += SESSIONS // 2 + rebuilt
            assert len(made) == built
            alive = wait_until_dead(made)
            assert alive == 0, (f"{alive} of {len(made)} explorers still alive a minute "
                                "after their pages closed")
            counts.append(len(gc.get_objects()))
        assert [r.getMessage() for r in logged] == []
    print(f"objects after 50 pages: {counts[0]}, after 100: {counts[1]}; explorers built "
          f"for {SESSIONS} pages: {built}")
    assert counts[1] - counts[0] < OBJECTS_PER_PAGE, (
        f"{counts[1] - counts[0]} more objects after the second 50 pages than after the first")


def test_closing_a_page_while_play_runs_stops_it():
    """Play steps on a timer in the server; closing the page mid-pass must stop the timer
    (the explorer is closed, its counter stops where it was), log nothing, and free it."""
    from gradviz.testing.session_client import HeadlessPage

    made: list = []

    async def play_then_close(url):
        page = await HeadlessPage(url, timeout=120).open()
        counter = counter_of(page)
        # The slowest Play, 0.5 steps/s: the pass takes 16 s, the page closes in it.
        await page.set(page.find(title="steps / s")[0], "value", 0.5)
        await page.click(page.find(label="Play")[0])
        await page.wait(lambda: page.text(counter) != "step 0 of 8", timeout=60)
        shown = page.text(counter)
        await page.close()
        return shown, page.errors

    with served(seed_app(made)) as (url, logged):
        shown, errors = asyncio.run(play_then_close(url))
        assert errors == []
        assert shown != "step 8 of 8", "Play ended before the page closed: the test needs a slower Play"
        view = made[-1]()  # the page's explorer (made[0] too, unless its session was rebuilt)
        deadline = time.time() + 30
        while not view.closed and time.time() < deadline:
            time.sleep(0.05)
        assert view.closed, "the explorer was not closed when its page's session ended"
        assert not view.controls.playing
        stopped_at = view.counter
        time.sleep(4.5)  # two ticks of Play, had it kept running
        assert view.counter == stopped_at
        assert COUNTER.fullmatch(stopped_at) and stopped_at != "step 8 of 8", stopped_at
        del view
        assert wait_until_dead(made) == 0
        assert [r.getMessage() for r in logged] == []
