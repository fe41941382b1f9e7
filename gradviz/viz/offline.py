"""Saved pages that ask the internet for nothing: Panel's stylesheets inlined.

``save(..., resources=INLINE)`` inlines Bokeh's and Panel's JavaScript, but in Panel 1.9 the
components of a saved page still import some of Panel's own stylesheets from its CDN
(``https://cdn.holoviz.org/panel/<version>/dist/...``; holoviz/panel#6759): offline the page
loses part of its styling, and online it reports to a third party whenever it is opened.
Panel ships every one of those files in its package, so a saved page can carry them itself:
:func:`inline_panel_resources` rewrites each such URL into a ``data:`` URL of the local file.

A saved page also writes every model's stylesheets out in full, once per model: Panel gives
each of its models the same loading-spinner CSS as a string, gradviz's panes their shared CSS,
and two explorers on a page each their own copy of the fonts. :func:`slim_document` makes
each distinct stylesheet one model that every user of it references, which the page draws
exactly as before (BokehJS makes each view its own ``<style>`` from an ``InlineStyleSheet``
model, as from a string, in the same order), and leaves out glyph copies nothing draws.
"""
from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
from pathlib import Path

_CDN = re.compile(r"https://cdn\.holoviz\.org/panel/[^/\"'\s]+/dist/([^\"'\s?#)]+)"
                  r"(?:\?[^\"'\s#)]*)?")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|https?:|/|#)([^'\")]+)\1\s*\)")


def _dist_dir() -> Path:
    import panel

    return Path(panel.__file__).parent / "dist"


def _data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    data = path.read_bytes()
    if mime == "text/css":
        data = _inline_css_urls(data.decode("utf-8"), path.parent).encode("utf-8")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _inline_css_urls(css: str, folder: Path) -> str:
    """A stylesheet's relative ``url(...)`` references (fonts, images) as ``data:`` URLs, since
    relative to a ``data:`` stylesheet they would resolve nowhere."""
    def replace(match):
        target = (folder / match.group(2).split("?")[0].split("#")[0]).resolve()
        if target.is_file():
            return f"url({_data_url(target)})"
        return match.group(0)

    return _CSS_URL.sub(replace, css)


def inline_panel_resources(html: str) -> str:
    """``html`` with every URL of Panel's CDN that names a file Panel ships replaced by a
    ``data:`` URL of that file. URLs of files Panel does not ship are left alone."""
    dist = _dist_dir()
    cache: dict[str, str] = {}

    def replace(match):
        rel = match.group(1)
        if rel not in cache:
            path = dist / rel
            cache[rel] = _data_url(path) if path.is_file() else match.group(0)
        return cache[rel]

    return _CDN.sub(replace, html)


def share_stylesheets(doc, keep=frozenset()) -> int:
    """Make every stylesheet written more than once in Bokeh document ``doc`` one shared model:
    each CSS string in the ``stylesheets`` of several models becomes one ``InlineStyleSheet``
    they all reference, and ``GlobalInlineStyleSheet`` models with the same CSS (the fonts of
    each explorer on a page) become one. Call it on a document about to be saved (a live
    document's Panel models send their own lists again). Returns how many entries now refer
    to a shared model instead of carrying their own copy."""
    from collections import Counter

    from bokeh.models import GlobalInlineStyleSheet, InlineStyleSheet

    users = [m for m in doc.models if "stylesheets" in m.properties() and m.stylesheets]
    counts = Counter(s for m in users for s in m.stylesheets if isinstance(s, str))
    shared: dict = {}
    global_by_css: dict = {}
    replaced = 0
    for m in users:
        new = []
        for s in m.stylesheets:
            if isinstance(s, str) and counts[s] > 1:
                if s not in shared:
                    shared[s] = InlineStyleSheet(css=s)
                s = shared[s]
                replaced += 1
            elif isinstance(s, GlobalInlineStyleSheet):
                first = global_by_css.setdefault(s.css, s)
                if first is not s and s.id not in keep:  # (a patch may name it)
                    s = first
                    replaced += 1
            new.append(s)
        if any(a is not b for a, b in zip(new, m.stylesheets)):
            m.stylesheets = new
    return replaced


def drop_muted_glyphs(doc, keep=frozenset()) -> int:
    """Let BokehJS make the muted look of each glyph renderer of ``doc`` that is not muted
    (``muted_glyph="auto"``) instead of writing out the copy of its glyph that
    ``figure.rect()`` and the like attach: gradviz never mutes a renderer (no legend to click),
    so the copy is never drawn, and it cost a saved page one glyph model per renderer. Returns
    how many it dropped."""
    from bokeh.models import Glyph, GlyphRenderer

    n = 0
    for m in list(doc.models):
        if isinstance(m, GlyphRenderer) and not m.muted and isinstance(m.muted_glyph, Glyph) \
                and m.id not in keep and m.muted_glyph.id not in keep:
            m.muted_glyph = "auto"
            n += 1
    return n


def drop_unselectable_glyphs(doc, keep=frozenset()) -> int:
    """Let BokehJS make the selected and unselected looks (``"auto"``) of each glyph renderer
    of ``doc`` whose rows nothing can select: no selection tool of its plot targets it and its
    source has no selection. Those looks are drawn only while a selection exists, so the copies
    ``figure.rect()`` and the like attach are never drawn there. Returns how many it dropped."""
    from bokeh.models import Glyph, GlyphRenderer, Plot
    from bokeh.models.tools import SelectTool, TapTool

    selectable = set()
    for plot in doc.models:
        if not isinstance(plot, Plot):
            continue
        for tool in plot.toolbar.tools:
            if isinstance(tool, (SelectTool, TapTool)):
                targets = tool.renderers
                if targets == "auto":
                    targets = [r for r in plot.renderers if isinstance(r, GlyphRenderer)]
                selectable.update(id(r.data_source) for r in targets)
    n = 0
    for m in list(doc.models):
        if not isinstance(m, GlyphRenderer) or id(m.data_source) in selectable or m.id in keep:
            continue
        selected = getattr(m.data_source, "selected", None)
        if selected is not None and (selected.indices or selected.line_indices):
            continue
        for attr in ("selection_glyph", "nonselection_glyph"):
            glyph = getattr(m, attr)
            if isinstance(glyph, Glyph) and glyph.id not in keep:
                setattr(m, attr, "auto")
                n += 1
    return n


def drop_hidden_axes(doc, keep=frozenset()) -> int:
    """Take out of each plot of ``doc`` the axes and grids it hides (``visible=False``; the
    graph and the minimap hide theirs): BokehJS neither draws them nor gives them room, and
    each came with a ticker, a formatter and a label policy. An axis a visible grid still
    follows stays. Returns how many it took out."""
    from bokeh.models import Axis, Grid, Plot

    n = 0
    for plot in [m for m in doc.models if isinstance(m, Plot)]:
        followed = {id(g.axis) for g in plot.center if isinstance(g, Grid) and g.visible
                    and g.axis is not None}
        center = [g for g in plot.center
                  if not (isinstance(g, Grid) and not g.visible and g.id not in keep)]
        n += len(plot.center) - len(center)
        if len(center) != len(plot.center):
            plot.center = center
        for side in ("above", "below", "left", "right"):
            items = getattr(plot, side)
            kept = [a for a in items if not (isinstance(a, Axis) and not a.visible
                                             and a.id not in keep and id(a) not in followed)]
            if len(kept) != len(items):
                n += len(items) - len(kept)
                setattr(plot, side, kept)
    return n


def _draws_bold_mono(doc) -> bool:
    """Whether ``doc`` shows text in the bold mono face: highlighted code (Pygments makes its
    keywords bold) or markup that sets bold on the mono stack (the apps' tensor cards)."""
    from .fonts import MONO

    for m in doc.models:
        for name in ("text", "object"):
            text = getattr(m, name, None) if name in m.properties() else None
            if isinstance(text, str) and ("codehilite" in text or (
                    MONO in text and ("font-weight:600" in text or "font-weight: 600" in text))):
                return True
    return False


def drop_unused_faces(doc, keep=frozenset()) -> int:
    """Declare in a saved page only the font faces it draws: the explorer's fonts stylesheet
    carries Mono bold for the highlighted code an app shows beside it; a page without such
    code (:func:`_draws_bold_mono`) gets the stylesheet without that face (saving ~15 kB).
    Returns how many stylesheets it changed."""
    from bokeh.models import GlobalInlineStyleSheet

    from .fonts import document_css

    if _draws_bold_mono(doc):
        return 0
    n = 0
    for m in doc.models:
        if isinstance(m, GlobalInlineStyleSheet) and m.css == document_css(apps=True) \
                and m.id not in keep:
            m.css = document_css()
            n += 1
    return n


def _strip_comment_lines(code: str) -> str:
    """JavaScript without its whole-line ``//`` comments, blank lines and indentation (a
    comment inside a line stays; lines keep their order and breaks, so semicolon insertion
    reads the code as before)."""
    return "\n".join(line.strip() for line in code.splitlines()
                     if line.strip() and not line.lstrip().startswith("//"))


def strip_js_comments(doc, keep=frozenset()) -> int:
    """Drop the whole-line comments and the indentation of the ``CustomJS``/``CustomJSFilter``
    code in ``doc`` (they explain the code in gradviz's sources; the page does not need them).
    Returns the characters saved. (Code with a backtick is left alone: inside a template
    literal a line's spaces, or a line starting with ``//``, are text.)"""
    from bokeh.models import CustomJS, CustomJSFilter

    saved = 0
    for m in doc.models:
        if isinstance(m, (CustomJS, CustomJSFilter)) and isinstance(m.code, str) \
                and "`" not in m.code and m.id not in keep:
            slim = _strip_comment_lines(m.code)
            if slim != m.code:
                saved += len(m.code) - len(slim)
                m.code = slim
    return saved


def share_filter_code(doc, keep=frozenset(), min_chars: int = 400) -> int:
    """Write the code of ``CustomJSFilter`` models that run the same code (gradviz's
    level-of-detail filters, one per text renderer) once: it moves into one inert
    ``CustomJS`` model that each filter references as ``gv_code``, and each filter's own code
    becomes a one-line call of that function, compiled once per page (as BokehJS compiles a
    filter: ``new Function(<arg names>, "source", "use strict" + code)``, called with the same
    arguments and ``this``). Returns the characters saved."""
    from collections import defaultdict

    from bokeh.models import CustomJS, CustomJSFilter

    groups: dict = defaultdict(list)
    for m in doc.models:
        if isinstance(m, CustomJSFilter) and len(m.code) >= min_chars and \
                "gv_code" not in m.args and m.id not in keep:
            groups[(m.code, tuple(m.args))].append(m)
    saved = 0
    for (code, names), members in groups.items():
        if len(members) < 2:
            continue
        # The function's parameter names ride in the holder's tags; ``arguments`` is what
        # BokehJS called the filter with: its args' values in order (the filter's own, then
        # gv_code), then the source.
        holder = CustomJS(code=code, name="gv_shared_filter_code",
                          tags=[*names, "gv_code", "source"])
        stub = ('const c=gv_code;return(c._f||(c._f=new Function(...c.tags,'
                '\'"use strict";\\n\'+c.code))).apply(this,arguments);')
        for m in members:
            m.args = {**m.args, "gv_code": holder}
            m.code = stub
        saved += (len(members) - 1) * len(code) - len(members) * len(stub)
    return saved


def small_columns_as_lists(doc) -> int:
    """Write the numeric columns of ``doc``'s data sources as JSON lists where that is shorter
    than Bokeh's binary form (base64 of gzipped bytes inside a ~100-character wrapper, which
    a column of a few numbers, as a small graph has, pays several times over). The numbers are
    the same doubles (JSON writes floats exactly); large columns keep the binary form. Columns
    holding NaN or infinities are left alone. Returns the characters saved."""
    import gzip

    import numpy as np
    from bokeh.models import ColumnDataSource

    saved = 0
    for m in doc.models:
        if not isinstance(m, ColumnDataSource):
            continue
        new = {}
        for col, values in m.data.items():
            if isinstance(values, np.ndarray) and values.ndim == 1 and \
                    values.dtype.kind in "fiu" and np.all(np.isfinite(values)):
                binary = len(base64.b64encode(gzip.compress(values.tobytes(), 9))) + 100
                as_list = values.tolist()
                text = len(json.dumps(as_list, separators=(",", ":")))
                if text < binary:
                    new[col] = as_list
                    saved += binary - text
        if new:
            m.data = {**m.data, **new}
    return saved


def _recorded_ids(doc) -> set:
    """Ids of the models that a saved page's recorded states (gzipped, base64 arguments of
    ``CustomJS`` models, as static_page writes them) name: what the slimming must leave as
    it is, or a patch would reach for a model the page no longer has."""
    import gzip

    from bokeh.models import CustomJS

    ids: set = set()
    for m in doc.models:
        if not isinstance(m, CustomJS):
            continue
        for v in m.args.values():
            if isinstance(v, str) and v.startswith("H4sI"):
                try:
                    text = gzip.decompress(base64.b64decode(v)).decode("utf-8")
                except (ValueError, OSError):
                    continue
                ids.update(re.findall(r'"id":\s*"([^"]+)"', text))
    return ids


def slim_document(doc) -> dict:
    """What a saved page can leave out without drawing differently: font faces it does not
    draw (:func:`drop_unused_faces`), each stylesheet written once (:func:`share_stylesheets`),
    the code filters share written once (:func:`share_filter_code`), small numeric columns as
    plain lists (:func:`small_columns_as_lists`), glyph copies nothing draws
    (:func:`drop_muted_glyphs`, :func:`drop_unselectable_glyphs`), hidden axes
    (:func:`drop_hidden_axes`), comment lines and indentation of its JavaScript
    (:func:`strip_js_comments`). Models the recorded states name are left as they are. Call
    it on a document about to be saved, after recording; returns what it did."""
    keep = _recorded_ids(doc)
    # One recount of the document's models at the end, not one per changed property.
    with doc.models.freeze():
        return {"faces left out": drop_unused_faces(doc, keep),
                "shared stylesheets": share_stylesheets(doc, keep),
                "muted glyphs dropped": drop_muted_glyphs(doc, keep),
                "selection glyphs dropped": drop_unselectable_glyphs(doc, keep),
                "hidden axes and grids dropped": drop_hidden_axes(doc, keep),
                "comment characters dropped": strip_js_comments(doc, keep),
                "column characters saved": small_columns_as_lists(doc),
                "filter code characters shared": share_filter_code(doc, keep)}


def inline_saved_file(filename) -> None:
    """Rewrite a saved HTML file in place with :func:`inline_panel_resources` (file names
    only; a file object was written by the caller and is left as it is)."""
    if not isinstance(filename, (str, os.PathLike)):
        return
    path = Path(filename)
    html = path.read_text(encoding="utf-8")
    inlined = inline_panel_resources(html)
    if inlined != html:
        path.write_text(inlined, encoding="utf-8")


def notebook_extension() -> bool:
    """In a Jupyter kernel, load Panel's code into the notebook once, inline (so a notebook
    opened offline, or saved and exported to HTML, carries it), unless the notebook loaded it
    already with ``pn.extension()``. Outside a kernel (a script, a server) does nothing.
    Returns whether it loaded it now."""
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    import panel as pn

    if getattr(pn.extension, "_loaded", False):
        return False
    pn.extension(inline=True)
    return True
