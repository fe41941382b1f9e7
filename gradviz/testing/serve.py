"""Serve a Panel app in-process on a free loopback port, for as long as a ``with`` block lasts.

The app is always given to Panel as a *factory*: every page load calls it and gets its own
objects, because a Bokeh model can belong to one document only.
"""
from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from typing import Any, Callable

APP_NAME = "app"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True when nothing accepts connections on ``127.0.0.1:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


class ServedApp:
    """A Panel server running in a background thread; a context manager.

    ``url`` is the page to open. ``stop()`` (or leaving the ``with`` block) stops the server,
    joins its thread and releases the port.

    Args:
        factory: a callable with no arguments that returns a Panel viewable (or anything
            ``pn.panel`` accepts). It is called once per page load.
        port: the port to listen on; a free one by default.
        timeout: seconds to wait for the server to answer HTTP.
    """

    def __init__(self, factory: Callable[[], Any], *, port: int | None = None,
                 timeout: float = 20.0):
        if not callable(factory):
            raise TypeError("serve() needs a factory function that builds the view, "
                            f"not {type(factory).__name__}")
        self.factory = factory
        self.port = port
        self.timeout = timeout
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{APP_NAME}"

    def start(self) -> "ServedApp":
        """Start the server (if not running yet) and wait until it answers HTTP."""
        if self._thread is not None:
            return self
        explicit = self.port is not None
        last_error = "unknown"
        for _ in range(5):  # another process may take a "free" port between probe and bind
            port = self.port if explicit else free_port()
            self._launch(port)
            try:
                if self._wait_until_up():
                    return self
            except BaseException:
                self.stop()
                raise
            last_error = f"port {port} could not be bound"
            self.stop()
            if explicit:
                break
        raise RuntimeError(f"could not start a Panel server: {last_error}")

    def _launch(self, port: int) -> None:
        import panel as pn

        self.port = port
        factory = self.factory

        def app():
            # Panel calls only plain functions and methods per page load (other callables,
            # e.g. partials or objects with __call__, would be served as objects).
            return factory()

        self._thread = pn.serve(
            {APP_NAME: app}, port=port, address="127.0.0.1",
            websocket_origin=[f"127.0.0.1:{port}"], threaded=True, show=False,
            start=True, title="gradviz snapshot", verbose=False)

    def _server_registered(self) -> bool:
        # pn.serve(threaded=True) binds inside its thread, so a bind failure only shows as a
        # thread that died. Panel registers the server once it has bound; check that too, so
        # that another process answering on the same port is not mistaken for ours.
        from panel.io.state import state

        server_id = getattr(self._thread, "server_id", None)
        servers = getattr(state, "_servers", None)
        if server_id is None or servers is None:
            return True
        return server_id in servers

    def _wait_until_up(self) -> bool:
        deadline = time.monotonic() + self.timeout
        # Probe a static file, never a page: with a single app Panel serves it at "/" too,
        # and every page fetch would call the factory and build a document.
        probe = urllib.request.Request(f"http://127.0.0.1:{self.port}/static/js/bokeh.min.js",
                                       method="HEAD")
        while True:
            if not self._thread.is_alive():
                return False
            if self._server_registered():
                try:
                    with urllib.request.urlopen(probe, timeout=1):
                        return True
                except urllib.error.HTTPError:
                    return True  # it answered, even if not with 200
                except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"Panel server on port {self.port} did not answer "
                                   f"within {self.timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server and wait for its thread to end. Safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            thread.stop()
        finally:
            thread.join(timeout=10)

    def __enter__(self) -> "ServedApp":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(factory: Callable[[], Any], *, port: int | None = None,
          timeout: float = 20.0) -> ServedApp:
    """Start serving ``factory`` on ``127.0.0.1`` and return the running :class:`ServedApp`.

    Use it as a context manager so the server always stops::

        with serve(lambda: pn.pane.Markdown("hi")) as app:
            page.goto(app.url)
    """
    return ServedApp(factory, port=port, timeout=timeout).start()
