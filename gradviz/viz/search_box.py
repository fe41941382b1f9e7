"""A search field for big graphs: find nodes by name, op, shape or scope and jump to them.

Typing a query and pressing Enter (or clicking Find) runs ``gradviz.search.search`` on the whole
graph, drawn or not; the best match is shown at once (``on_jump(node_id)`` opens the scopes around
it and brings it into view), and ◀ / ▶ walk through the others.
"""
from __future__ import annotations

import panel as pn
import param

from . import style
from .locking import locked


class SearchBox(pn.viewable.Viewer):
    """``SearchBox(search=fn(text) -> ids, on_jump=fn(node_id), describe=fn(node_id) -> str)``."""

    query = param.String(default="", doc="The text searched for.")
    results = param.List(default=[], doc="Matching node ids, best first.")
    index = param.Integer(default=-1, doc="Which result is shown (-1: none).")
    status = param.String(default="")

    def __init__(self, search, on_jump, describe=None, **params):
        super().__init__(**params)
        self._search = search
        self._on_jump = on_jump
        self._describe = describe or (lambda nid: nid)
        self.input = pn.widgets.TextInput(placeholder="Find: name, op (MmBackward0), shape (3x4), "
                                          "scope (blocks.3)", width=300, margin=(4, 4),
                                          css_classes=["gv-search"])
        self.find_button = pn.widgets.Button(label="Find", width=56, margin=(4, 2))
        self.prev_button = pn.widgets.Button(label="◀", width=36, margin=(4, 2), disabled=True,
                                             description="previous match")
        self.next_button = pn.widgets.Button(label="▶", width=36, margin=(4, 2), disabled=True,
                                             description="next match")
        self.status_pane = style.html("", margin=(10, 6), css_classes=["gv-search-status"])
        # (locked: finding opens scopes and moves the view, Bokeh models)
        self.input.param.watch(locked(self._entered), "enter_pressed")
        self.find_button.on_click(locked(lambda e: self.find(self.input.value_input or self.input.value)))
        self.prev_button.on_click(locked(lambda e: self.move(-1)))
        self.next_button.on_click(locked(lambda e: self.move(1)))
        self._layout = pn.Row(self.input, self.find_button, self.prev_button, self.next_button,
                              self.status_pane, sizing_mode="stretch_width", margin=0)

    def __panel__(self):
        return self._layout

    def _entered(self, event) -> None:
        text = self.input.value_input or self.input.value
        # Enter arrives as an event processed outside the document's lock; the jump changes
        # Bokeh sources, so it runs as a document callback (with the lock) when served.
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(lambda: self.find(text))
        else:
            self.find(text)

    def find(self, text: str) -> list:
        """Search for ``text`` and jump to the best match; returns the matches."""
        self.query = text or ""
        self.results = list(self._search(self.query)) if self.query.strip() else []
        self.index = 0 if self.results else -1
        self._show()
        return self.results

    def move(self, delta: int) -> None:
        if not self.results:
            return
        self.index = (self.index + delta) % len(self.results)
        self._show()

    def _show(self) -> None:
        n = len(self.results)
        self.prev_button.disabled = self.next_button.disabled = n < 2
        if not self.query.strip():
            self.status = ""
        elif n == 0:
            self.status = f"no node matches “{self.query}”"
        else:
            nid = self.results[self.index]
            self.status = f"{self.index + 1} of {n}: {self._describe(nid)}"
            self._on_jump(nid)
        self.status_pane.object = f'<span class="gv-muted">{_escape(self.status)}</span>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
