"""Render a Panel view in headless Chromium and capture it as PNG bytes.

A :class:`SnapshotSession` owns one browser for many snapshots (starting Chromium is the slow
part). Every snapshot serves the view in-process on a free loopback port, opens it in a fresh
browser context with a fixed viewport, waits until Bokeh has rendered and gone idle, parks the
mouse, captures, and stops the server.

All Playwright calls of a session run on one worker thread that the session owns: Playwright's
sync API is bound to the thread that started it and refuses to run inside an asyncio loop, so
this keeps ``snapshot()`` usable from any thread and from a Jupyter kernel.
"""
from __future__ import annotations

import atexit
import concurrent.futures
import queue
import threading
import time
from typing import Any, Callable

from .browser import LAUNCH_ARGS, BrowserInfo, find_browser
from .serve import ServedApp

DEFAULT_WIDTH = 1200
DEFAULT_HEIGHT = 800

# True once every Bokeh document on the page exists and has no pending work.
_DOCS_IDLE_JS = """() => !!(window.Bokeh && Bokeh.documents && Bokeh.documents.length > 0
    && Bokeh.documents.every(d => d.is_idle))"""

# True when a document holds a Plot, i.e. a <canvas> is coming.
_HAS_PLOT_JS = """() => Bokeh.documents.some(d => [...d.all_models].some(m => {
    for (let c = m.constructor; c; c = Object.getPrototypeOf(c)) {
        if (c.__name__ === 'Plot') return true;
    }
    return false;
}))"""

# What the page's Bokeh plots draw, independent of how a browser rasterises it: for every
# visible glyph renderer, its glyph type and the values of every property that reads a column
# (positions, sizes, colours, texts), numbers rounded to 2 decimals.
_STRUCTURE_JS = """() => {
    const round = v => typeof v === 'number' ? Math.round(v * 100) / 100 : v;
    const plain = v => ArrayBuffer.isView(v) ? Array.from(v, round)
        : Array.isArray(v) ? v.map(x => Array.isArray(x) || ArrayBuffer.isView(x) ? plain(x) : round(x))
        : round(v);
    const out = [];
    for (const doc of Bokeh.documents) {
        for (const m of doc.all_models) {
            if (m.constructor.__name__ !== 'GlyphRenderer' || !m.visible) continue;
            const glyph = m.glyph, data = m.data_source && m.data_source.data;
            if (glyph == null || data == null) continue;
            const fields = {};
            for (const prop of glyph) {
                const spec = prop.get_value ? prop.get_value() : null;
                if (spec != null && typeof spec === 'object' && 'field' in spec) {
                    const column = data instanceof Map ? data.get(spec.field) : data[spec.field];
                    if (column != null) fields[prop.attr] = plain(column);
                } else if (spec != null && typeof spec === 'object' && 'value' in spec) {
                    fields[prop.attr] = round(spec.value);
                }
            }
            out.push({renderer: m.name || '', glyph: glyph.constructor.__name__, fields});
        }
    }
    out.sort((a, b) => (a.renderer + a.glyph).localeCompare(b.renderer + b.glyph));
    return out;
}"""

# Resolves after two animation frames have been painted.
_FRAMES_JS = """async () => {
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def _is_tensor(obj: Any) -> bool:
    try:
        from ..tensor import Tensor
    except Exception:  # pragma: no cover - the core always imports
        return False
    return isinstance(obj, Tensor)


def _caller_tensor_names(view_or_root: Any, names: Any, depth: int) -> Any:
    """For a Tensor, the caller's variable names (as ``gradviz.explore`` would take them had
    the caller called it directly); ``depth`` counts frames above our caller."""
    if names is not None or not _is_tensor(view_or_root):
        return names
    try:
        from ..graph import caller_names
    except ImportError:  # pragma: no cover - older core
        return None
    return caller_names(depth + 1)


def _explore_factory(root: Any, names: Any = None) -> Callable[[], Any]:
    import gradviz

    explore = getattr(gradviz, "explore", None)
    if explore is None:
        try:
            from gradviz.viz import explore  # type: ignore[no-redef]
        except ImportError as exc:
            raise NotImplementedError(
                "snapshot() of a Tensor needs gradviz.explore(), which is not available in "
                "this version of gradviz; pass a Panel view or a function that builds one"
            ) from exc
    if names is None:
        return lambda: explore(root)
    return lambda: explore(root, names=names)


def as_factory(view_or_root: Any, names: Any = None) -> Callable[[], Any]:
    """A function that builds a fresh view for each page load.

    Accepts a gradviz ``Tensor`` (built with ``gradviz.explore``), a callable returning a
    view (used as is: the preferred form), or a Panel viewable / Bokeh model instance
    (returned each time; fine for one page at a time, which is how snapshots use it).
    """
    if _is_tensor(view_or_root):
        return _explore_factory(view_or_root, names)
    if _is_viewable(view_or_root):
        return lambda: view_or_root
    if callable(view_or_root):
        return view_or_root
    return lambda: view_or_root


def _is_viewable(obj: Any) -> bool:
    """True for Panel viewables and Bokeh models, which are callable-free views."""
    mod = type(obj).__module__ or ""
    if mod.startswith(("panel.", "bokeh.")):
        return True
    try:
        from panel.viewable import Viewable, Viewer
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, (Viewable, Viewer))


def _force_canvas(view: Any) -> None:
    """Switch every Bokeh plot inside a plain Panel viewable to the canvas backend.

    WebGL output depends on the GPU/driver; canvas output is what baselines can pin down.
    Best effort: objects that do not expose their plots are left alone.
    """
    try:
        from bokeh.model import Model
        from bokeh.models import Plot
        from panel.pane import Bokeh as BokehPane
        from panel.viewable import Viewable
    except ImportError:  # pragma: no cover
        return
    models = []
    if isinstance(view, Model):
        models.append(view)
    elif isinstance(view, Viewable):
        try:
            models.extend(p.object for p in view.select(BokehPane) if p.object is not None)
        except Exception:
            return
    for model in models:
        for plot in model.select({"type": Plot}):
            if getattr(plot, "output_backend", "canvas") != "canvas":
                plot.output_backend = "canvas"


class _BuiltView:
    """Builds the view on the server thread and remembers what went wrong there."""

    def __init__(self, factory, step, actions, canvas):
        self.factory, self.step, self.actions, self.canvas = factory, step, actions, canvas
        self.error: BaseException | None = None
        self.calls = 0

    def __call__(self):
        self.calls += 1
        try:
            view = self.factory()
            if self.actions is not None:
                result = self.actions(view)
                if result is not None:
                    view = result
            if self.step:
                stepper = getattr(view, "stepper", None)
                if stepper is None or not callable(getattr(stepper, "step", None)):
                    raise ValueError(
                        f"step={self.step} needs a view with a `stepper` that has a step() "
                        f"method (as gradviz.explore() returns); got {type(view).__name__}")
                # The explorer's own view.step() steps *and* redraws; a bare stepper is
                # stepped directly, followed by view.refresh() where the view has one.
                view_step = getattr(view, "step", None)
                for _ in range(self.step):
                    view_step() if callable(view_step) else stepper.step()
                refresh = getattr(view, "refresh", None)
                if not callable(view_step) and callable(refresh):
                    refresh()
            if self.canvas:
                _force_canvas(view)
            return view
        except BaseException as exc:
            self.error = exc
            raise


class SnapshotSession:
    """One headless Chromium that takes many snapshots; a context manager.

    Example::

        with SnapshotSession() as session:
            png1 = session.snapshot(make_view)
            png2 = session.snapshot(make_view, step=3)

    Args:
        browser: path of the Chromium executable; found with
            :func:`gradviz.testing.find_browser` when omitted.
        width, height: default viewport size in CSS pixels (device scale factor 1).
        launch_args: extra Chromium flags added to the stable-rendering defaults.
        env: environment variables to set for the browser process (on top of this
            process's), e.g. ``{"FONTCONFIG_FILE": ...}`` to give it other fonts.

    Attributes:
        launches: how many times this session has started a browser (1 after first use).
        last_url: the URL the last snapshot was served at (its server is stopped by now).
        browser_info: the :class:`BrowserInfo` used.
    """

    def __init__(self, browser: str | None = None, *, width: int = DEFAULT_WIDTH,
                 height: int = DEFAULT_HEIGHT, launch_args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None):
        self.browser_info = BrowserInfo(browser, "explicit") if browser else None
        self.width, self.height = width, height
        self.launch_args = tuple(launch_args)
        self.env = dict(env) if env else None
        self.launches = 0
        self.last_url: str | None = None
        self._worker: threading.Thread | None = None
        self._jobs: queue.Queue | None = None
        self._playwright = None
        self._browser = None
        self._lock = threading.Lock()
        self._environment: dict | None = None
        #: What the last snapshot's Bokeh plots drew (see :func:`gradviz.testing.compare_structure`).
        self.last_structure: list | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def _run(self, fn, *args, **kwargs):
        # A plain daemon thread rather than a ThreadPoolExecutor: executors refuse work once
        # interpreter shutdown has begun, and the shared session is closed from atexit.
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._jobs = queue.Queue()
                self._worker = threading.Thread(target=self._work, args=(self._jobs,),
                                                name="gradviz-snapshot", daemon=True)
                self._worker.start()
            jobs = self._jobs
        future: concurrent.futures.Future = concurrent.futures.Future()
        jobs.put((future, fn, args, kwargs))
        return future.result()

    @staticmethod
    def _work(jobs: "queue.Queue") -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            future, fn, args, kwargs = job
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

    def start(self) -> "SnapshotSession":
        """Start the browser now (otherwise the first snapshot starts it).

        Raises:
            BrowserNotFound: no browser was given and none could be found.
        """
        if self.browser_info is None:
            self.browser_info = find_browser()
        self._run(self._ensure_browser)
        return self

    def _ensure_browser(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        from playwright.sync_api import sync_playwright

        if self._playwright is None:
            self._playwright = sync_playwright().start()
        import os

        self._browser = self._playwright.chromium.launch(
            executable_path=self.browser_info.path, headless=True,
            args=[*LAUNCH_ARGS, *self.launch_args],
            env={**os.environ, **self.env} if self.env else None)
        self.launches += 1
        return self._browser

    def environment(self) -> dict:
        """What decides the pixels of this session's snapshots, for the record kept beside a
        baseline: the browser's name and version, the fonts (gradviz's bundled faces, and
        what the machine's generic families resolve to), and the gradviz, Panel and Bokeh
        versions. Starts the browser if it is not running."""
        if self._environment is None:
            if self.browser_info is None:
                self.browser_info = find_browser()
            version = self._run(lambda: self._ensure_browser().version)
            self._environment = environment(f"Chromium {version}")
        return dict(self._environment)

    @property
    def is_running(self) -> bool:
        """True while the session's browser is up."""
        return self._browser is not None

    def close(self) -> None:
        """Close the browser and stop Playwright. The session can be started again."""
        if self._worker is None:
            return

        def _close():
            try:
                if self._browser is not None:
                    self._browser.close()
            finally:
                self._browser = None
                if self._playwright is not None:
                    self._playwright.stop()
                    self._playwright = None

        try:
            self._run(_close)
        finally:
            with self._lock:
                worker, self._worker = self._worker, None
                jobs = self._jobs
            if worker is not None and worker.is_alive():
                jobs.put(None)
                worker.join(timeout=10)

    def __enter__(self) -> "SnapshotSession":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- snapshots ---------------------------------------------------------------------------
    def snapshot(self, view_or_root: Any, *, width: int | None = None,
                 height: int | None = None, step: int | None = None,
                 actions: Callable[[Any], Any] | None = None, selector: str | None = None,
                 canvas: bool = True, settle: float = 0.3, timeout: float = 30.0,
                 names: Any = None) -> bytes:
        """Render a view and return a PNG of it.

        Args:
            view_or_root: a function that builds a Panel view (preferred: each page gets
                fresh objects), a Panel viewable or Bokeh model, or a gradviz ``Tensor``
                (the root of a graph, shown with ``gradviz.explore``).
            width, height: viewport size in CSS pixels; the session's default otherwise.
            step: take this many backward steps on the server before capturing. The view
                must have a ``stepper`` (``ValueError`` otherwise); ``view.step()`` is used
                when the view has one (the explorer's, which also redraws), else
                ``view.stepper.step()`` followed by ``view.refresh()`` if present.
            actions: called with the freshly built view before it is served (and before
                ``step``), to put it in the state to capture. If it returns something other
                than ``None``, that is served instead.
            selector: capture only the first element matching this CSS selector (e.g.
                ``".bk-Figure"``) instead of the whole viewport.
            canvas: switch Bokeh plots found in the view to the canvas backend (WebGL
                output is not reproducible across machines).
            settle: seconds to wait after Bokeh reports idle, for the last frame to paint.
            timeout: seconds allowed for loading and rendering the page.
            names: for a Tensor, the ``names=`` given to ``gradviz.explore``; by default
                the caller's variable names, as ``gradviz.explore`` itself takes them.

        Returns:
            PNG bytes.
        """
        names = _caller_tensor_names(view_or_root, names, 1)
        if step is not None and (not isinstance(step, int) or step < 0):
            raise ValueError(f"step must be a non-negative int, not {step!r}")
        builder = _BuiltView(as_factory(view_or_root, names), step, actions, canvas)
        if self.browser_info is None:
            self.browser_info = find_browser()
        with ServedApp(builder, timeout=timeout) as app:
            self.last_url = app.url
            return self._run(self._capture, app.url, builder, width or self.width,
                             height or self.height, selector, settle, timeout)

    def _capture(self, url, builder, width, height, selector, settle, timeout) -> bytes:
        browser = self._ensure_browser()
        context = browser.new_context(viewport={"width": width, "height": height},
                                      device_scale_factor=1, color_scheme="light",
                                      reduced_motion="reduce")
        try:
            page = context.new_page()
            page.set_default_timeout(timeout * 1000)
            response = page.goto(url, wait_until="load")
            if builder.error is not None:
                raise builder.error
            if response is not None and response.status >= 400:
                raise RuntimeError(f"serving the view failed: HTTP {response.status} for {url}")
            self._wait_rendered(page, builder, timeout)
            page.mouse.move(0, 0)  # no hover state in the picture
            # gradviz's bundled faces: Bokeh draws canvas text once a face has loaded and
            # repaints then; wait for every face, for that repaint, and for two frames.
            from ..viz.fonts import FONTS_APPLIED_JS, FONTS_LOADED_JS  # (imports Panel)

            page.evaluate(FONTS_LOADED_JS)
            page.wait_for_function(FONTS_APPLIED_JS)
            page.wait_for_function(_DOCS_IDLE_JS)
            page.evaluate(_FRAMES_JS)
            if settle:
                page.wait_for_timeout(settle * 1000)
            if self._wait_not_busy(timeout):
                # The page's busy indicator (a template's spinner) was on: let it turn off.
                page.wait_for_function(_DOCS_IDLE_JS)
                page.evaluate(_FRAMES_JS)
                page.wait_for_timeout(100)
            if builder.error is not None:
                raise builder.error
            self.last_structure = page.evaluate(_STRUCTURE_JS)
            if selector:
                return page.locator(selector).first.screenshot(animations="disabled",
                                                               caret="hide")
            return page.screenshot(animations="disabled", caret="hide", full_page=False)
        finally:
            context.close()

    @staticmethod
    def _wait_not_busy(timeout: float) -> bool:
        """Wait while the (in-process) Panel server is running a callback, whose busy state
        a page's spinner shows; True if it was busy at all."""
        from panel.io.state import state

        deadline = time.monotonic() + min(timeout, 10.0)
        was_busy = False
        while state.busy and time.monotonic() < deadline:
            was_busy = True
            time.sleep(0.02)
        return was_busy

    @staticmethod
    def _wait_rendered(page, builder, timeout):
        deadline = time.monotonic() + timeout
        while True:
            # Poll in short slices so that an error raised while building the view on the
            # server surfaces at once instead of as a timeout.
            try:
                page.wait_for_function(_DOCS_IDLE_JS, timeout=500)
                break
            except Exception as exc:  # playwright TimeoutError
                if builder.error is not None:
                    raise builder.error from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the view did not finish rendering within {timeout} s "
                                       f"({exc.__class__.__name__})") from None
        if page.evaluate(_HAS_PLOT_JS):
            page.wait_for_selector("canvas", state="attached",
                                   timeout=max(1.0, deadline - time.monotonic()) * 1000)
            # A document becomes idle before its plots finish their first paint.
            page.wait_for_function(_DOCS_IDLE_JS)


def system_fonts() -> str:
    """What the machine's ``sans-serif``, ``monospace`` and Helvetica resolve to (fontconfig),
    e.g. ``"sans-serif=DejaVu Sans, monospace=DejaVu Sans Mono, Helvetica=Liberation Sans"``;
    ``""`` without fontconfig. gradviz's pages use their own fonts, so this only matters for
    other views."""
    import shutil
    import subprocess

    if shutil.which("fc-match") is None:
        return ""
    parts = []
    for family in ("sans-serif", "monospace", "Helvetica"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{family[0]}", family], capture_output=True,
                                 text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        parts.append(f"{family}={out or '?'}")
    return ", ".join(parts)


def environment(browser: str) -> dict:
    """The environment record of a snapshot taken with ``browser`` (see
    :meth:`SnapshotSession.environment`)."""
    import importlib.metadata as md
    import platform

    from .. import __version__

    def version(dist):
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "(not installed)"

    try:
        from ..viz.fonts import fingerprint
        bundled = f"gradviz bundled fonts {fingerprint()}"
    except Exception:  # noqa: BLE001 - a gradviz without the font files
        bundled = "(none bundled)"
    return {"browser": browser, "fonts": bundled, "system fonts": system_fonts(),
            "gradviz": __version__, "panel": version("panel"), "bokeh": version("bokeh"),
            "platform": f"{platform.system()} {platform.machine()}"}


_default_session: SnapshotSession | None = None
_default_lock = threading.Lock()


def default_session() -> SnapshotSession:
    """The module-level session :func:`snapshot` uses; started lazily, closed at exit."""
    global _default_session
    with _default_lock:
        if _default_session is None:
            _default_session = SnapshotSession()
            atexit.register(_close_default_session)
        return _default_session


def _close_default_session() -> None:
    global _default_session
    with _default_lock:
        session, _default_session = _default_session, None
    if session is not None:
        try:
            session.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


def snapshot(view_or_root: Any, path: str | None = None, *, width: int = DEFAULT_WIDTH,
             height: int = DEFAULT_HEIGHT, step: int | None = None,
             actions: Callable[[Any], Any] | None = None, selector: str | None = None,
             session: SnapshotSession | None = None, **kwargs) -> bytes:
    """Render a view in headless Chromium and return PNG bytes (and write them to ``path``).

    The view is served in-process on a free ``127.0.0.1`` port for the duration of the call
    and the server is stopped afterwards. The browser is kept for the next call: a shared
    session starts on first use and closes when Python exits (pass ``session=`` to use your
    own :class:`SnapshotSession`).

    Args:
        view_or_root: a function that builds a Panel view (preferred), a Panel viewable or
            Bokeh model, or a gradviz ``Tensor`` (shown with ``gradviz.explore``).
        path: also write the PNG to this file.
        width, height: viewport size in CSS pixels (default 1200 x 800).
        step: backward steps to take (``view.stepper.step()``) before capturing.
        actions: called with the freshly built view before serving it.
        selector: capture only the first element matching this CSS selector.
        session: the :class:`SnapshotSession` to use instead of the shared one.
        **kwargs: passed on to :meth:`SnapshotSession.snapshot` (``canvas``, ``settle``,
            ``timeout``, ``names``).

    Returns:
        The PNG bytes.

    Raises:
        BrowserNotFound: no Chromium could be found (the message says how to install one).
    """
    kwargs["names"] = _caller_tensor_names(view_or_root, kwargs.get("names"), 1)
    session = session or default_session()
    png = session.snapshot(view_or_root, width=width, height=height, step=step,
                           actions=actions, selector=selector, **kwargs)
    if path is not None:
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(png)
    return png
