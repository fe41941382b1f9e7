"""Fixtures for the explorer's browser tests: one headless Chromium per session, one Panel
server per module (serving several explorer factories), and pages that collect JavaScript
errors. Without a browser the tests skip, saying how to get one; under
GRADVIZ_REQUIRE_BROWSER=1 they fail instead, so CI can never pass by skipping."""
from __future__ import annotations

import logging
import time
import urllib.request

import pytest


def _browser_path() -> str:
    from gradviz.testing import BrowserNotFound, browser_required, find_browser

    try:
        return find_browser().path
    except BrowserNotFound as e:
        if browser_required():
            pytest.fail(f"GRADVIZ_REQUIRE_BROWSER is set but: {e}")
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def ui_browser():
    path = _browser_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        from gradviz.testing import browser_required
        if browser_required():
            pytest.fail(f"GRADVIZ_REQUIRE_BROWSER is set but Playwright is missing: {e}")
        pytest.skip('Playwright is not installed: pip install "gradviz[test]"')
    from gradviz.testing import LAUNCH_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=list(LAUNCH_ARGS))
        yield browser
        browser.close()


class _LogCollector(logging.Handler):
    """Keeps server log records that carry a traceback (or say "Traceback")."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    # A page closed by the test while the server was still writing to its websocket: Tornado
    # logs the write's cancellation or the closed stream. That is the browser leaving, not an
    # error of the app (a user closing a tab mid-update makes the same line).
    CLOSED_CONNECTION = ("CancelledError", "WebSocketClosedError", "StreamClosedError")

    def emit(self, record):
        if not (record.exc_info or "Traceback" in record.getMessage()):
            return
        text = self.format(record)
        last = text.strip().splitlines()[-1] if text.strip() else ""
        if "write_message" in text and any(name in last for name in self.CLOSED_CONNECTION):
            return
        self.records.append(text)


class ExplorerServer:
    """``pn.serve`` of several factories in a thread; ``url(name)`` of each app."""

    def __init__(self, apps: dict):
        import panel as pn
        from gradviz.testing.serve import free_port

        self.port = free_port()
        self.log = _LogCollector()
        logging.getLogger().addHandler(self.log)
        self.server = pn.serve(apps, port=self.port, address="127.0.0.1",
                               websocket_origin=[f"127.0.0.1:{self.port}"], threaded=True,
                               show=False)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url(next(iter(apps))), timeout=5)
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        self.server.stop()
        self.server.join(timeout=5)
        logging.getLogger().removeHandler(self.log)


class ExplorerPage:
    """A page of an explorer app, with the errors its JavaScript reported."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900},
                                           device_scale_factor=1)
        self.page = self.context.new_page()
        self.errors: list = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector("canvas", timeout=20_000)
        self.page.wait_for_function(
            "window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents.every(d => d.is_idle)",
            timeout=20_000)

    # --- acting and reading --------------------------------------------------------------
    def click(self, label: str):
        self.page.get_by_role("button", name=label, exact=True).click()

    def wait_text(self, text: str, timeout: float = 8_000):
        self.page.get_by_text(text, exact=True).first.wait_for(timeout=timeout)

    def wait_contains(self, text: str, timeout: float = 8_000):
        self.page.get_by_text(text).first.wait_for(timeout=timeout)

    def column(self, source: str, column: str):
        return self.page.evaluate(
            "([s, c]) => Array.from(Bokeh.documents[0].get_model_by_name(s).data[c])",
            [source, column])

    def tensor(self, label: str, column: str):
        labels = self.column("gv_tensors", "label")
        return self.column("gv_tensors", column)[labels.index(label)]

    def select(self, label: str):
        """What a tap does: select the node's row, which the server sees."""
        self.page.evaluate(
            """(label) => { const s = Bokeh.documents[0].get_model_by_name('gv_tensors');
                          s.selected.indices = [Array.from(s.data.label).indexOf(label)]; }""",
            label)

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(ui_browser):
    pages = []

    def opener(url):
        p = ExplorerPage(ui_browser, url)
        pages.append(p)
        return p

    yield opener
    for p in pages:
        p.close()


@pytest.fixture(scope="session")
def explorer_server_class():
    """``ExplorerServer`` (tests/ has no packages, so test modules cannot import it)."""
    return ExplorerServer
