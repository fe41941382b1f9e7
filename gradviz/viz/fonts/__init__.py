"""The fonts gradviz ships, so that a page draws the same pixels on every machine.

Which font ``sans-serif``, ``monospace``, Helvetica or Arial resolve to depends on the fonts a
machine happens to have (install Ghostscript's or ImageMagick's font packages and they change),
and a line of text that grows by a pixel moves everything below it. So every gradviz page
carries its own faces: "gradviz Sans" (Liberation Sans 2) and "gradviz Mono" (DejaVu Sans
Mono, which also draws the few maths signs Liberation Sans lacks: the sans stack names it
second), subset to the characters gradviz draws by ``build.py`` and embedded as ``data:`` URLs,
so they work offline, in a notebook and in a saved HTML file alike. Licences:
``LICENSE-Liberation.txt``, ``LICENSE-DejaVu.txt``.

A page declares the faces it draws: Sans regular and bold and Mono regular everywhere, Mono
bold where highlighted code may be shown (``document_css(apps=True)``: the apps' pages, a live
explorer); a saved page without such code leaves Mono bold out. A character outside the subsets
(a label in Cyrillic, say) would be drawn in the machine's font: :func:`uncovered` names such
characters, and :func:`install` warns (:class:`FontCoverageWarning`) when a graph's labels use
them, since a screenshot of that view then depends on the machine.

- :data:`SANS_STACK`, :data:`MONO_STACK`: CSS ``font-family`` values that start with them;
- :func:`document_css`: the ``@font-face`` rules and the page-wide font variables (for the
  document's ``<head>``: browsers ignore ``@font-face`` inside a shadow root), among them
  ``--gv-sans`` and ``--gv-mono``, the two stacks, which gradviz's own CSS refers to;
- :func:`host_css`: the same variables for a component's shadow root, where Panel's Bootstrap
  design defines its own;
- :func:`global_stylesheet`: :func:`document_css` as a Bokeh model that installs itself in the
  ``<head>`` of whatever page shows it (server, notebook, saved file).

Bokeh draws canvas text only once a face has loaded (it loads the face and repaints), and
gradviz's snapshots wait for every gradviz face before capturing (:data:`FONTS_LOADED_JS`).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).parent

SANS = "gradviz Sans"
MONO = "gradviz Mono"
#: ``font-family`` for text: the bundled face first, then the bundled mono face for the maths
#: signs the sans face lacks; the rest only if a page lost its CSS.
SANS_STACK = f"'{SANS}','{MONO}',Arial,sans-serif"  # (no spaces: written many times a page)
#: ``font-family`` for code and arrays.
MONO_STACK = f"'{MONO}','DejaVu Sans Mono',Menlo,Consolas,monospace"
#: The font Bokeh gives text that sets none (``text_font`` defaults to it): :func:`use_bundled`
#: replaces it, since "helvetica" is whatever fontconfig maps it to on the machine.
BOKEH_DEFAULT_FONT = "helvetica"

#: An async JavaScript function (for ``page.evaluate``) that resolves once every gradviz face
#: the page declares has loaded, and returns how many there are.
FONTS_LOADED_JS = """async () => {
    if (!document.fonts) return 0;
    const ours = new Set(['gradviz sans', 'gradviz mono']);
    const faces = [...document.fonts].filter(f => ours.has(f.family.replace(/["']/g, '').toLowerCase()));
    await Promise.all(faces.map(f => f.load().catch(() => null)));
    await document.fonts.ready;
    return faces.length;
}"""


@functools.lru_cache(maxsize=None)
def faces(apps: bool = True) -> tuple[dict, ...]:
    """The shipped faces: ``file``, ``family``, ``weight``, ``source``, ``pages`` ("all", or
    "apps" for a face only the apps' pages declare) and ``covers`` (the code points it has, as
    ``[first, last]`` runs). ``apps=False``: only the faces every page declares."""
    every = json.loads((HERE / "faces.json").read_text())
    return tuple(f for f in every if apps or f.get("pages", "all") == "all")


def _covers(face) -> frozenset:
    return frozenset(c for lo, hi in face["covers"] for c in range(lo, hi + 1))


@functools.lru_cache(maxsize=None)
def coverage(family: str, weight: int = 400) -> frozenset:
    """The characters a page draws with bundled faces in ``family`` ("gradviz Sans" or
    "gradviz Mono") at ``weight``: the family's face (of that weight if shipped, else the
    browser emboldens the regular one), and for Sans the Mono face its stack names next."""
    chain = [SANS, MONO] if family == SANS else [family]
    out: set = set()
    for fam in chain:
        mine = [f for f in faces(apps=False) if f["family"] == fam]
        exact = [f for f in mine if f["weight"] == weight] or \
            [f for f in mine if f["weight"] == 400]
        for f in exact:
            out |= _covers(f)
    return frozenset(out)


def uncovered(text: str, family: str = SANS, weight: int = 400) -> str:
    """The characters of ``text`` (in order, each once; spaces and controls aside) that no
    bundled face draws in ``family`` at ``weight``: the browser takes them from the machine's
    fonts, so their pixels depend on the machine."""
    have = coverage(family, weight)
    seen: dict = {}
    for c in text:
        if ord(c) not in have and c.isprintable() and not c.isspace():
            seen.setdefault(c, None)
    return "".join(seen)


class FontCoverageWarning(UserWarning):
    """Text on a gradviz page uses characters the bundled fonts do not have."""


def _face_rules(chosen) -> str:
    rules = []
    for face in chosen:
        data = base64.b64encode((HERE / face["file"]).read_bytes()).decode("ascii")
        rules.append(f"@font-face {{ font-family: '{face['family']}'; font-style: normal; "
                     f"font-weight: {face['weight']}; font-display: block; "
                     f"src: url(data:font/woff2;base64,{data}) format('woff2'); }}")
    return "\n".join(rules)


@functools.lru_cache(maxsize=None)
def font_face_css(apps: bool = False) -> str:
    """``@font-face`` rules for the shipped faces a page declares (``apps``: the apps' pages,
    which also draw Mono bold), each with its font as a ``data:`` URL."""
    return _face_rules(faces(apps))


# Panel's and Bokeh's own components take their fonts from these variables (Bootstrap's,
# Bokeh's, and Panel's design); pointing them at the bundled faces covers buttons, tabs,
# inputs, Markdown and the page template.
_VARIABLES = {
    "--bokeh-base-font": SANS_STACK,
    "--bokeh-mono-font": MONO_STACK,
    "--bs-font-sans-serif": SANS_STACK,
    "--bs-body-font-family": SANS_STACK,
    "--bs-font-monospace": MONO_STACK,
    "--base-font": SANS_STACK,
    "--mono-font": MONO_STACK,
    "--jp-ui-font-family": SANS_STACK,
    "--jp-content-font-family": SANS_STACK,
    "--jp-code-font-family": MONO_STACK,
}


def _declarations(by_reference: bool = False) -> str:
    """The font variables; ``by_reference``: as ``var(--gv-sans)``/``var(--gv-mono)``, which
    the page's ``:root`` defines once (each stack is written once a page, not ten times)."""
    if not by_reference:
        return " ".join(f"{k}: {v};" for k, v in _VARIABLES.items())
    ref = {SANS_STACK: "var(--gv-sans)", MONO_STACK: "var(--gv-mono)"}
    return (f"--gv-sans: {SANS_STACK}; --gv-mono: {MONO_STACK}; " +
            " ".join(f"{k}: {ref[v]};" for k, v in _VARIABLES.items()))


def host_css() -> str:
    """CSS for a component's shadow root: the font variables, for its ``:host``."""
    return f":host {{ {_declarations()} font-family: {SANS_STACK}; }}"


@functools.lru_cache(maxsize=None)
def document_css(apps: bool = False) -> str:
    """CSS for the page's ``<head>``: the faces, and the font variables and body font.
    ``apps``: for the apps' pages (which also draw Mono bold)."""
    return (font_face_css(apps) + f"\n:root {{ {_declarations(by_reference=True)} }}\n"
            "body { font-family: var(--gv-sans); }\n"
            "code, kbd, pre, samp { font-family: var(--gv-mono); }\n")


def global_stylesheet(apps: bool = True):
    """A Bokeh ``GlobalInlineStyleSheet`` of :func:`document_css` (by default with every face:
    an explorer may be shown beside highlighted code, whose keywords are Mono bold; a saved
    page without such code drops that face, gradviz.viz.offline.drop_unused_faces): add it
    to the ``stylesheets`` of a component and the page that shows it gets the fonts. (A new
    model each call: a Bokeh model belongs to one document.)"""
    from bokeh.models import GlobalInlineStyleSheet

    return GlobalInlineStyleSheet(css=document_css(apps))


@functools.lru_cache(maxsize=None)
def fingerprint() -> str:
    """A short hash of the shipped font files: equal fingerprints draw equal glyphs."""
    digest = hashlib.sha256()
    for face in faces(apps=True):
        digest.update((HERE / face["file"]).read_bytes())
    return digest.hexdigest()[:12]


# Once the faces have loaded, measure the plot's text again and repaint it. Bokeh repaints by
# itself when a face arrives, but it sizes text boxes (what centres a label) when their
# visuals are set, which may be before: then a label drawn in the bundled face would sit
# where the machine's fallback font put it.
_REMEASURE_JS = """
if (state.armed) return;
state.armed = true;
window.gradvizFontsPending = (window.gradvizFontsPending || 0) + 1;
const ours = new Set(['gradviz sans', 'gradviz mono']);
const faces = [...document.fonts].filter(f => ours.has(f.family.replace(/["']/g, '').toLowerCase()));
Promise.all(faces.map(f => f.load().catch(() => null))).then(async () => {
  try {
    const view = window.Bokeh && Bokeh.index ? Bokeh.index.find_one(fig) : null;
    if (view == null) return;
    const views = view.renderer_views instanceof Map ? view.renderer_views.values() : view.renderer_views;
    for (const rv of views) {
      const glyph = rv.model.glyph;
      if (glyph != null && glyph.properties != null && glyph.properties.text_font != null
          && rv.set_visuals != null) {
        await rv.set_visuals();
        rv.request_paint();
      }
    }
  } finally {
    window.gradvizFontsPending -= 1;
  }
});
"""

#: True once no plot is waiting to measure its text again with the bundled faces.
FONTS_APPLIED_JS = "() => !window.gradvizFontsPending"


def use_bundled(model, references=None) -> int:
    """Give every text property of Bokeh ``model`` and the models it references that Bokeh
    left at its default font ("helvetica": titles, axis and colour bar labels) the bundled
    sans face. Returns how many it set. ``references``: ``model.references()`` when the caller
    has them already (collecting them walks every property of every model: a tenth of a
    second for a big graph's figure)."""
    from bokeh.models import Axis, Plot

    placed = None  # a plot's axes are drawn only where it places them
    if isinstance(model, Plot):
        placed = {id(m) for m in (*model.above, *model.below, *model.left, *model.right)}
    n = 0
    for m in (model.references() if references is None else references):
        # Hidden or unplaced axes are never drawn, and a setting would be written into saved
        # pages for nothing.
        if getattr(m, "visible", True) is False or \
                (isinstance(m, Axis) and placed is not None and id(m) not in placed):
            continue
        for name in m.properties():
            if name.endswith("text_font") and getattr(m, name) == BOKEH_DEFAULT_FONT:
                setattr(m, name, SANS_STACK)
                n += 1
    return n


def warn_uncovered(fig, references=None) -> str:
    """Warn (:class:`FontCoverageWarning`) when the text columns of Bokeh ``fig``'s sources
    hold characters no bundled face draws; returns them. ``references``: as for
    :func:`use_bundled`."""
    import warnings

    from bokeh.models import ColumnDataSource

    chars = set()
    for m in (fig.references() if references is None else references):
        if isinstance(m, ColumnDataSource):
            for values in m.data.values():
                if len(values) and isinstance(values[0], str):
                    chars.update(*map(set, values))
    missing = uncovered("".join(sorted(chars)), SANS, 700)
    if missing:
        warnings.warn(f"the graph's labels use characters the fonts gradviz bundles lack "
                      f"({missing}): browsers draw them with the machine's fonts, so pictures "
                      f"of this view may differ between machines", FontCoverageWarning,
                      stacklevel=3)
    return missing


def install(fig) -> None:
    """Make the page that shows Bokeh figure ``fig`` load the bundled fonts and draw its text
    with them: adds :func:`global_stylesheet` to its ``stylesheets`` (Bokeh installs it in the
    document's ``<head>``, in a server page, a notebook and a saved file alike), gives its
    text that sets no font the bundled one (:func:`use_bundled`), warns about label characters
    the faces lack (:func:`warn_uncovered`), and adds a callback that measures its text again
    once the faces have loaded."""
    from bokeh.models import CustomJS, GlobalInlineStyleSheet

    sheets = list(fig.stylesheets)
    if any(isinstance(s, GlobalInlineStyleSheet) and s.css in (document_css(), document_css(True))
           for s in sheets):
        return
    references = fig.references()  # once for both
    use_bundled(fig, references)
    warn_uncovered(fig, references)
    fig.stylesheets = [*sheets, global_stylesheet()]
    fig.js_on_change("inner_width", CustomJS(args=dict(fig=fig, state={"armed": False}),
                                             code=_REMEASURE_JS))
