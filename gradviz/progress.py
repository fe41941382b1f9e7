"""Progress of a long build (export, scope tree, layout), told to whoever listens on this thread.

Building the explorer of a 50,000-node graph takes seconds; a page that builds it wants to say
what is happening ("Laying out boxes: 12 of 80"). The graph and layout code stays pure and
knows nothing of pages: it calls ``report(stage, done, total)`` at a few points, which does
nothing unless the current thread listens (``with reporting(callback): ...``). A listener on
one thread never hears another thread's build, so two pages building at once keep their own.

    with progress.reporting(lambda stage, done, total: print(stage, done, total)):
        gradviz.explore(loss)
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Optional

__all__ = ["listener", "report", "reporting"]

_listening = threading.local()


@contextmanager
def reporting(callback: Callable[[str, Optional[int], Optional[int]], None]):
    """Within the block, ``report(stage, done, total)`` on this thread calls ``callback``
    (``done``/``total`` are None for a stage without a count). Blocks nest: the inner
    listener hears while it is open, the outer one again after."""
    previous = getattr(_listening, "callback", None)
    _listening.callback = callback
    try:
        yield
    finally:
        _listening.callback = previous


def listener() -> Optional[Callable[[str, Optional[int], Optional[int]], None]]:
    """The callback listening on this thread (None when nobody listens): an inner
    ``reporting`` block can pass what it hears on to it."""
    return getattr(_listening, "callback", None)


def report(stage: str, done: Optional[int] = None, total: Optional[int] = None) -> None:
    """Say that ``stage`` is under way (``done`` of ``total`` when it can be counted).
    Cheap when nobody listens: call it per phase or per box, not per node."""
    callback = getattr(_listening, "callback", None)
    if callback is not None:
        callback(stage, done, total)
