"""The tutorial and playground apps in headless Chromium: they load without JavaScript errors,
every tutorial section and every playground example shows its graph, sessions are separate,
and the server logs no tracebacks.

Skips without a browser, fails instead under GRADVIZ_REQUIRE_BROWSER=1. The fixtures live
here rather than in tests/ui/conftest.py, which belongs to the explorer's own UI tests.
"""
from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import time

import pytest

pytestmark = pytest.mark.browser

COUNTER = re.compile(r"step (\d+) of (\d+)")


# --- the browser: gradviz.testing's discovery (skips, or fails under GRADVIZ_REQUIRE_BROWSER=1)
@pytest.fixture(scope="module")
def browser():
    from gradviz.testing import LAUNCH_ARGS, require_browser

    path = require_browser().path
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=list(LAUNCH_ARGS))
        yield b
        b.close()


# --- serving an app, with its log captured -------------------------------------------------
class _LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def tracebacks(self) -> list[str]:
        bad = []
        for r in self.records:
            text = r.getMessage()
            if r.exc_info or "Traceback" in text or r.levelno >= logging.ERROR:
                bad.append(f"{r.name}: {text}" + (f" ({r.exc_info[1]!r})" if r.exc_info else ""))
        return bad


@contextlib.contextmanager
def serve(factory):
    """Serve ``factory`` (called once per page load) on a free port; yield (url, log)."""
    from gradviz.testing.serve import ServedApp

    log = _LogCapture()
    loggers = [logging.getLogger(n) for n in ("tornado", "bokeh", "panel", "gradviz")]
    for logger in loggers:
        logger.addHandler(log)
    try:
        with ServedApp(factory) as app:
            yield app.url, log
    finally:
        for logger in loggers:
            logger.removeHandler(log)
    assert not log.tracebacks(), "server logged errors:\n" + "\n".join(log.tracebacks())


class Page:
    """A browser page that records console errors and uncaught exceptions."""

    def __init__(self, browser, url: str, *, width: int = 1400, height: int = 900):
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           device_scale_factor=1)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.wait_idle()

    def wait_idle(self, timeout: float = 30_000) -> None:
        self.page.wait_for_selector("canvas", state="attached", timeout=timeout)
        self.page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0"
            " && Bokeh.documents.every(d => d.is_idle)", timeout=timeout)

    def text(self) -> str:
        """All text on the page, shadow roots included."""
        return self.page.evaluate("""() => {
            const parts = [];
            const walk = (node) => {
                if (node.shadowRoot) walk(node.shadowRoot);
                for (const child of node.childNodes) {
                    if (child.nodeType === Node.TEXT_NODE) parts.push(child.textContent);
                    else if (!['STYLE', 'SCRIPT'].includes(child.tagName)) walk(child);
                }
            };
            walk(document.body);
            return parts.join('');
        }""")

    def wait_for_text(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} did not appear on the page; it shows: "
                                     f"{' '.join(text.split())[:1500]}")
            time.sleep(0.1)

    def counter(self) -> tuple[int, int]:
        found = COUNTER.findall(self.text())
        assert found, "no 'step k of n' counter on the page"
        return tuple(map(int, found[0]))

    def visible_canvases(self) -> int:
        return self.page.evaluate("""() => {
            let n = 0;
            const walk = (root) => {
                for (const el of root.querySelectorAll('*')) {
                    if (el.tagName === 'CANVAS') {
                        const r = el.getBoundingClientRect();
                        if (r.width > 50 && r.height > 50) n++;
                    }
                    if (el.shadowRoot) walk(el.shadowRoot);
                }
            };
            walk(document);
            return n;
        }""")

    def close(self) -> None:
        self.context.close()


@contextlib.contextmanager
def open_page(browser, url):
    page = Page(browser, url)
    try:
        yield page
    finally:
        page.close()
    assert not page.errors, "JavaScript errors:\n" + "\n".join(page.errors)


# --- the tutorial ---------------------------------------------------------------------------
# What each section's code prints, from the seed README and notebook (independent of gradviz).
TUTORIAL_CHECKS = {
    "forward": "loss:0.4487186372280121",
    "grad_fn": "Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0 object at 0x",
    "backward": "[0.1503, 0.0698, 0.1336]",
    "no_grad": "True False",
    "detach": "False",
    "jacobian": "[8., 4., 4., 4., 4.]",
}


def test_tutorial_every_section_is_reachable_and_shows_its_graph(browser):
    from gradviz.apps.tutorial import SECTIONS, _nav_label, create_app

    assert [s.key for s in SECTIONS] == list(TUTORIAL_CHECKS)
    with serve(create_app) as (url, _), open_page(browser, url) as page:
        page.wait_for_text("gradviz")
        for i, section in enumerate(SECTIONS):
            page.page.get_by_role("button", name=_nav_label(i, section), exact=True).click()
            text = page.wait_for_text(section.title)
            page.wait_idle()
            flat = " ".join(text.split())
            assert TUTORIAL_CHECKS[section.key] in flat, section.key
            assert page.visible_canvases() >= 1, f"section {section.key} shows no graph"
        # The Next button walks the same way back to the start's neighbour.
        page.page.get_by_role("button", name="← Previous").click()
        page.wait_for_text(SECTIONS[-2].title)


def test_tutorial_section_from_url(browser):
    from gradviz.apps.tutorial import create_app

    with serve(create_app) as (url, _), open_page(browser, url + "?section=jacobian") as page:
        page.wait_for_text("Non-scalar outputs")
        assert page.counter()[0] == 0


# --- the playground -------------------------------------------------------------------------
# A line of each example's code (as the examples module defines them) to recognise it by.
PLAYGROUND_MARKERS = {
    "seed": "binary_cross_entropy_with_logits(z, y)",
    "eye": "torch.eye(4, 5, requires_grad=True)",
    "mlp": "nn.Linear(4, 3)",
    "broadcast": "s = a + b",
    "nan": "torch.log(p)",
    "custom": "LegendreP3.apply(c + d * x)",
    "torch": "TransformerEncoderLayer(d_model=4",
}


def test_playground_switches_between_all_examples(browser):
    from gradviz.apps.playground import create_app
    from gradviz.examples import EXAMPLES, TITLES

    assert list(EXAMPLES) == list(PLAYGROUND_MARKERS)
    with serve(create_app) as (url, _), open_page(browser, url) as page:
        page.wait_for_text(PLAYGROUND_MARKERS["seed"])
        for name in ["eye", "mlp", "broadcast", "nan", "custom", "torch", "seed"]:
            page.page.locator("select").first.select_option(label=TITLES[name])
            if name == "torch" and importlib.util.find_spec("torch") is None:
                # Without PyTorch (the README's test command installs none) the example says
                # how to install it instead of drawing a graph.
                page.wait_for_text("which is not installed here")
                page.wait_for_text("pip install torch")
                continue
            page.wait_for_text(PLAYGROUND_MARKERS[name])
            page.wait_idle()
            assert page.visible_canvases() >= 1, f"example {name} shows no graph"
            assert page.counter()[0] == 0


def test_playground_example_from_url(browser):
    from gradviz.apps.playground import create_app

    with serve(create_app) as (url, _), open_page(browser, url + "?example=nan") as page:
        text = page.wait_for_text(PLAYGROUND_MARKERS["nan"])
        assert PLAYGROUND_MARKERS["seed"] not in text  # opened on the example, not switched to it


def test_two_sessions_stay_separate(browser):
    from gradviz.apps.playground import create_app

    with serve(create_app) as (url, _), \
            open_page(browser, url) as first, open_page(browser, url) as second:
        k, n = first.counter()
        assert k == 0 and second.counter() == (0, n) and n > 2
        first.page.get_by_role("button", name="Step", exact=True).first.click()
        first.wait_for_text(f"step 1 of {n}")
        first.page.get_by_role("button", name="Step", exact=True).first.click()
        first.wait_for_text(f"step 2 of {n}")
        time.sleep(0.3)
        assert second.counter() == (0, n)
        second.page.get_by_role("button", name="Step", exact=True).first.click()
        second.wait_for_text(f"step 1 of {n}")
        assert first.counter() == (2, n)


# --- the command line's snapshot ------------------------------------------------------------
def test_cli_snapshot_writes_a_png(browser, tmp_path):
    import struct
    import subprocess
    import sys

    out = tmp_path / "eye.png"
    cmd = [sys.executable, "-m", "gradviz.cli", "snapshot", "eye", "--step", "2",
           "--out", str(out), "--width", "900", "--height", "600"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (900, 600)  # the IHDR width and height
