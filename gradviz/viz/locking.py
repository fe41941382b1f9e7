"""Running a widget's callback where it may change Bokeh models itself.

A served page's clicks and edits reach Python through Panel, which runs a widget's callback in
the document's lock, except when the event arrives while a change the page sent just before is
still being processed (type in the search field and click Find at once): Panel then runs the
callback a moment later, outside the lock. The explorer's callbacks change Bokeh models
themselves (its sources, ranges, the counter's text); outside the lock Bokeh raises on the first
change and the view is left half redrawn, so the next Steps fail too.

:func:`locked` wraps such a callback: it runs at once where the lock is held, or where there is
no server session (a notebook, a script, a test); otherwise on the document's next tick, which
Bokeh runs in the lock.
"""
from __future__ import annotations

import functools

__all__ = ["locked", "holds_lock"]


def holds_lock(doc) -> bool:
    """Whether Bokeh models of ``doc`` can be changed now: no server session, or its lock is
    held (Bokeh's server session keeps a list of pending writes exactly while it is)."""
    session = getattr(getattr(doc, "session_context", None), "_session", None)
    if session is None:
        return True
    return getattr(session, "_pending_writes", None) is not None


def locked(callback):
    """``callback``, run in the document's lock (see the module docstring). A call put off to
    the next tick returns None."""
    @functools.wraps(callback)
    def run(*args, **kwargs):
        import panel as pn

        doc = pn.state.curdoc
        if doc is None or holds_lock(doc):
            return callback(*args, **kwargs)
        doc.add_next_tick_callback(functools.partial(callback, *args, **kwargs))
        return None
    return run
