"""Handles returned by ``register_hook``: ``handle.remove()`` takes the hook away again."""
from __future__ import annotations

import itertools

_ids = itertools.count()


class RemovableHandle:
    __slots__ = ("_hooks", "id")

    def __init__(self, hooks: dict, hook):
        self.id = next(_ids)
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
