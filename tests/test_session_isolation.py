"""Serving a class: a click on one page is that page's business only.

On one ``gradviz serve``, a Step click must cost the same however many other pages are open.
It did not: the apps' template carried Panel's busy indicator, which follows ``pn.state.busy``
(one flag for the whole process), so every click turned every open page's spinner on and off,
each a property change sent to each page, and a click's server CPU grew with the pages open
(benchmarks/RESULTS.md, "Serving a class"). Here the tutorial is served in this process, a few
pages open as a browser opens them (``HeadlessPage``), one of them clicks Step, and the others,
idle, must receive nothing at all.
"""
from __future__ import annotations

import asyncio
import re
import time

import pytest

pytest.importorskip("panel")

from tests.test_sessions import served  # noqa: E402 - after the importorskip

IDLE_PAGES = 3
CLICKS = 3
COUNTER = re.compile(r"step (\d+) of (\d+)")


def test_a_click_on_one_page_sends_nothing_to_the_other_pages():
    from gradviz.apps.tutorial import create_app
    from gradviz.testing.session_client import HeadlessPage

    async def go(url):
        idle = [await HeadlessPage(url).open() for _ in range(IDLE_PAGES)]
        page = await HeadlessPage(url).open()
        try:
            counter = next(i for i, t in page.texts.items() if COUNTER.fullmatch(t))
            step = page.find(label="Step")[0]
            for q in idle + [page]:
                await q.idle()
            started = time.perf_counter()
            for k in range(1, CLICKS + 1):
                await page.click(step)
                await page.wait(lambda: COUNTER.fullmatch(page.text(counter))
                                and int(COUNTER.fullmatch(page.text(counter))[1]) == k)
            await asyncio.sleep(1.0)  # anything sent to the idle pages has arrived by now
            # The clicking page did get its answers (so the check below can tell)...
            assert page._last_received > started
            # ...and no idle page got a single message since the clicks began.
            heard = [q._last_received > started for q in idle]
            assert not any(heard), (
                f"{sum(heard)} of {IDLE_PAGES} idle pages received messages when another "
                "page clicked Step")
            assert not [e for q in idle + [page] for e in q.errors]
        finally:
            for q in idle + [page]:
                await q.close()

    with served(create_app) as (url, records):
        asyncio.run(go(url))
    errors = [r.getMessage() for r in records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, errors
