"""Serving a class: a session's explorer is freed once its page is gone. 100 sessions are
opened (``bokeh.client.pull_session``: the server builds the page as for a browser) and
closed against a server that discards unused sessions quickly; then no ``Explorer`` may be
left alive (weak references, after garbage collection)."""
from __future__ import annotations

import gc
import time
import weakref

import pytest

pytest.importorskip("panel")

SESSIONS = 100


def test_closed_sessions_leave_no_explorer_alive():
    import panel as pn
    from bokeh.client import pull_session

    from gradviz import examples
    from gradviz.testing.serve import free_port
    from gradviz.viz.explorer import Explorer

    made: list = []

    def app():
        ex = examples.build("seed")
        view = Explorer(ex.root, names=ex.names, **ex.kwargs)
        made.append(weakref.ref(view))
        return view

    port = free_port()
    server = pn.serve({"app": app}, port=port, address="127.0.0.1",
                      websocket_origin=[f"127.0.0.1:{port}"], threaded=True, show=False,
                      unused_session_lifetime=300, check_unused_sessions=200)
    try:
        deadline = time.time() + 30
        while True:  # the server is up when a session opens
            try:
                pull_session(url=f"http://127.0.0.1:{port}/app").close()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        for _ in range(SESSIONS - 1):
            pull_session(url=f"http://127.0.0.1:{port}/app").close()
        assert len(made) == SESSIONS
        deadline = time.time() + 60
        while True:
            gc.collect()
            alive = sum(r() is not None for r in made)
            if alive == 0 or time.time() > deadline:
                break
            time.sleep(0.5)
        assert alive == 0, f"{alive} of {SESSIONS} explorers still alive a minute after their sessions closed"
    finally:
        server.stop()
