"""Hover text sent when it is asked for: a big graph's page holds no tooltip text until a node or
an edge is hovered.

A node's tooltip says its shape, value and gradient; an edge's, the gradient that crossed it.
Written into the graph's sources for every row, that text is a third of a big graph's document
(0.69 of 2.08 MB for a 12-layer GPT with every scope open) and part of every Step's patch. Here
the sources carry none of it. The tooltips read their text through a ``CustomJSHover`` formatter
(``@id{t.value}`` instead of ``@value_text``) from a small cache source, ``gv_hover_text`` (one
row per key: kind, field and node id or edge ends). A field the cache does not hold yet is
shown as ``PLACEHOLDER`` and asked for: the formatter writes the keys into the ``data`` of a
second small source, ``gv_hover_request``, which Python watches (``on_change``); Python appends
the texts to the cache (or patches rows it had sent before).

When the answer arrives, the tooltip shown must change without the pointer moving. BokehJS 3.9
renders a tooltip when the hover tool inspects, and its ``HoverToolView`` inspects again at the
pointer's last position after every repaint of the plot (``plot_view.repainted``); a glyph
renderer repaints when its source's ``selected`` emits ``change``. So a ``CustomJS`` on the
cache's changes emits that signal on the hovered sources: a repaint, the tooltip rendered again
with the text now in the cache. (The cache is no renderer's source, so its own change repaints
nothing.)

The view tells the cache what went stale: ``invalidate`` (a step changed a tensor's gradient,
freed a function's saved tensors, sent a gradient across an edge) sets those rows to null, which
the formatter treats as unknown, so the next hover asks again, and a tooltip shown at that
moment shows the placeholder and asks at once; ``reset`` (the view redrawn whole: scopes
opened, an input edit, a new pass) empties the cache.

Saved pages and recorded notebook outputs have no Python to answer: ``GraphView.make_eager``
puts the text back into the sources and the plain tooltips back on the tools.
"""
from __future__ import annotations

import re

__all__ = ["LazyHover", "lazy_template", "LAZY_NODES", "PLACEHOLDER", "SEP", "hover_key"]

# Graphs of more nodes than this send hover text when asked (smaller ones carry it eagerly:
# their text is a few kB, and a tooltip that needs no round trip is better).
LAZY_NODES = 300

PLACEHOLDER = "…"  # shown for the moment between the hover and Python's answer
SEP = "\x01"  # between the parts of a key (no node id holds it)
MAX_KEYS = 256  # keys answered per request (a page asks for one row's fields at a time)


def hover_key(kind: str, field: str, ident) -> str:
    """The cache key of one tooltip field: ``kind`` "t" (tensor), "f" (function) or "e"
    (edge), the ``field`` ("value", "grad", ...), and the node id or the edge's ``(u, v)``."""
    ident = SEP.join(ident) if isinstance(ident, tuple) else ident
    return f"{kind}{SEP}{field}{SEP}{ident}"


def lazy_template(template: str, fields: dict, key_column: str, kind: str) -> str:
    """``template`` with each ``@column`` of ``fields`` (column -> field) read through the
    formatter of ``key_column`` instead, for rows of ``kind``: ``@value_text`` ->
    ``@id{t.value}``."""
    def repl(m):
        return f"@{key_column}{{{kind}.{fields[m.group(1)]}}}"
    pattern = r"@(" + "|".join(map(re.escape, fields)) + r")\b"
    return re.sub(pattern, repl, template)


# The formatter of the hover tools (one for all: its code travels once). args: cache,
# request, placeholder, and the sources of the rows of each kind (t, f, e); ``format`` is
# "kind.field". A field the cache lacks (or holds as null: stale) is asked for once; the keys
# of one tooltip (a tensor's shape, value and grad) go out together, after the render.
_FORMAT_JS = """
const i = special_vars.index;
const [kind, field] = format.split('.');
const d = (kind === 't' ? t : kind === 'f' ? f : e).data;
if (i == null) return '';
const id = kind === 'e' ? d.u[i] + '\\x01' + d.v[i] : d.id[i];
const key = kind + '\\x01' + field + '\\x01' + id;
const st = cache._gv_hover || (cache._gv_hover =
  {data: null, n: 0, rows: new Map(), asked: new Set(), want: new Set(), count: 0, timer: null});
const data = cache.data;
if (st.data !== data) { st.data = data; st.n = 0; st.rows = new Map(); }
const keys = data.key;
for (; st.n < keys.length; st.n++) st.rows.set(keys[st.n], st.n);
const row = st.rows.get(key);
const text = row == null ? null : data.text[row];
if (text != null) return text;
if (!st.asked.has(key)) {
  st.want.add(key);
  if (st.timer == null) {
    st.timer = setTimeout(() => {
      st.timer = null;
      const ask = [...st.want];
      st.want.clear();
      for (const k of ask) st.asked.add(k);
      st.count += 1;
      request.data = {key: ask, n: ask.map(() => st.count)};
    }, 0);
  }
}
return placeholder;
"""

# On every change of the cache: what was asked may be asked again (an answer came, or a row
# went stale), and the hovered plot repaints, which renders its tooltip again (see above).
_REFRESH_JS = """
const st = cache._gv_hover;
if (st != null) st.asked.clear();
for (const s of sources) s.selected.change.emit();
"""


class LazyHover:
    """The cache and request sources of one figure's hover tools (see the module docstring).

    ``text_of(kind, ident, fields)`` answers a request: ``{field: text}`` for the node id or edge
    ``(u, v)`` ``ident``, or None when the view does not draw it (any more). ``after_answer``:
    called after the cache changed in answer to the page (a notebook pushes the change)."""

    def __init__(self, text_of, after_answer=None):
        from bokeh.models import ColumnDataSource, CustomJS

        self.text_of = text_of
        self.after_answer = after_answer
        self.cache = ColumnDataSource({"key": [], "text": []}, name="gv_hover_text")
        self.request = ColumnDataSource({"key": [], "n": []}, name="gv_hover_request")
        self.request.on_change("data", self._requested)
        self._rows: dict = {}  # key -> its row in the cache
        self._current: set = set()  # keys whose row holds the current text
        self._sources: dict = {}  # kind -> the source of its rows
        self._formatter = None
        self._refresh = CustomJS(args=dict(cache=self.cache, sources=[]), code=_REFRESH_JS)
        for event in ("data", "patching", "streaming"):
            self.cache.js_on_change(event, self._refresh)
        self.answered = 0  # texts sent so far

    def formatter(self, source, kind: str):
        """The ``CustomJSHover`` for hover tools, knowing that rows of ``kind`` ("t", "f" or
        "e") are ``source``'s; use it as ``formatters={"@id": f}`` (``"@u"`` for edges) with
        a ``lazy_template``."""
        from bokeh.models import CustomJSHover

        self._sources[kind] = source
        self._refresh.args = dict(self._refresh.args, sources=list(self._sources.values()))
        args = dict(cache=self.cache, request=self.request, placeholder=PLACEHOLDER,
                    t=None, f=None, e=None)
        args.update(self._sources)
        if self._formatter is None:
            self._formatter = CustomJSHover(args=args, code=_FORMAT_JS)
        else:
            self._formatter.args = args
        return self._formatter

    # --- Python's side ------------------------------------------------------------------------
    def _requested(self, attr, old, new) -> None:
        keys = list(dict.fromkeys(new.get("key", [])))[:MAX_KEYS]
        self.answer(keys)

    def answer(self, keys) -> None:
        """Send the current text of ``keys`` (appended to the cache, or patched where sent
        before)."""
        wanted: dict = {}  # (kind, ident) -> fields
        for key in keys:
            parts = str(key).split(SEP)
            if len(parts) not in (3, 4) or parts[0] not in ("t", "f", "e"):
                continue  # not a key this page could have made
            kind, field = parts[0], parts[1]
            ident = tuple(parts[2:]) if kind == "e" else parts[2]
            wanted.setdefault((kind, ident), []).append((field, key))
        new_keys, new_texts, patch = [], [], []
        for (kind, ident), fields in wanted.items():
            texts = self.text_of(kind, ident, [f for f, _ in fields])
            if texts is None:
                continue
            for field, key in fields:
                if field not in texts:
                    continue
                row = self._rows.get(key)
                if row is None:
                    self._rows[key] = len(self._rows)
                    new_keys.append(key)
                    new_texts.append(texts[field])
                else:
                    patch.append((row, texts[field]))
                self._current.add(key)
        if not (new_keys or patch):
            return
        # Held, so that a notebook's push (after_answer) finds the changes among the
        # document's held events; on a server, unhold sends them as usual.
        doc = self.cache.document
        hold = doc is not None and doc.callbacks.hold_value is None
        if hold:
            doc.hold("collect")
        try:
            if new_keys:
                self.cache.stream({"key": new_keys, "text": new_texts})
            if patch:
                self.cache.patch({"text": patch})
            self.answered += len(new_keys) + len(patch)
            if self.after_answer is not None:
                self.after_answer()
        finally:
            if hold:
                doc.unhold()

    def invalidate(self, keys) -> None:
        """The text of ``keys`` changed: rows sent before become unknown to the page (null)."""
        stale = [k for k in keys if k in self._current]
        if not stale:
            return
        self._current.difference_update(stale)
        self.cache.patch({"text": [(self._rows[k], None) for k in stale]})

    def reset(self) -> None:
        """Forget everything sent (the view was redrawn whole)."""
        if self._rows:
            self._rows.clear()
            self._current.clear()
            self.cache.data = {"key": [], "text": []}

    @property
    def sent(self) -> set:
        """The keys whose current text the page holds."""
        return set(self._current)
