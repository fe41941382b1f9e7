"""The fonts gradviz ships, so that a page draws the same pixels on every machine.

Which font ``sans-serif``, ``monospace``, Helvetica or Arial resolve to depends on the fonts a
machine happens to have (install Ghostscript's or ImageMagick's font packages and they change),
and a line of text that grows by a pixel moves everything below it. So every gradviz page
carries its own faces: "gradviz Sans" (Liberation Sans 2, with DejaVu Sans for the math
characters it lacks) and "gradviz Mono" (DejaVu Sans Mono), subset to the characters gradviz
draws by ``build.py`` and embedded as ``data:`` URLs, so they work offline, in a notebook and
in a saved HTML file alike. Licences: ``LICENSE-Liberation.txt``, ``LICENSE-DejaVu.txt``.

- :data:`SANS_STACK`, :data:`MONO_STACK`: CSS ``font-family`` values that start with them;
- :func:`document_css`: the ``@font-face`` rules and the page-wide font variables (for the
  document's ``<head>``: browsers ignore ``@font-face`` inside a shadow root);
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
#: ``font-family`` for text: the bundled face first; the rest only if a page lost its CSS.
SANS_STACK = f"'{SANS}', 'Liberation Sans', Arial, sans-serif"
#: ``font-family`` for code and arrays.
MONO_STACK = f"'{MONO}', 'DejaVu Sans Mono', Menlo, Consolas, monospace"
#: The font Bokeh gives text that sets none (``text_font`` defaults to it).
BOKEH_DEFAULT_FONT = "helvetica"

#: An async JavaScript function (for ``page.evaluate``) that resolves once every gradviz face
#: the page declares has loaded, and returns how many there are.
FONTS_LOADED_JS = """async () => {
    if (!document.fonts) return 0;
    const ours = new Set(['gradviz sans', 'gradviz mono', 'helvetica']);
    const faces = [...document.fonts].filter(f => ours.has(f.family.replace(/["']/g, '').toLowerCase()));
    await Promise.all(faces.map(f => f.load().catch(() => null)));
    await document.fonts.ready;
    return faces.length;
}"""


@functools.lru_cache(maxsize=None)
def faces() -> tuple[dict, ...]:
    """The shipped faces: ``file``, ``family``, ``weight``, ``source`` and, for a face that only
    fills in characters its family's main face lacks, ``codepoints``."""
    return tuple(json.loads((HERE / "faces.json").read_text()))


def _unicode_range(codepoints) -> str:
    spans, start, prev = [], None, None
    for c in sorted(codepoints):
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            spans.append((start, prev))
            start = prev = c
    if start is not None:
        spans.append((start, prev))
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


@functools.lru_cache(maxsize=None)
def font_face_css() -> str:
    """``@font-face`` rules for every shipped face, each with its font as a ``data:`` URL."""
    rules = []
    for face in faces():
        data = base64.b64encode((HERE / face["file"]).read_bytes()).decode("ascii")
        extra = (f" unicode-range: {_unicode_range(face['codepoints'])};"
                 if face.get("codepoints") else "")
        families = [face["family"]]
        if face["family"] == SANS and not face.get("codepoints"):
            # Bokeh draws any text whose font nobody set (titles, tick labels) in "helvetica";
            # on this page that is the bundled face too, as fontconfig maps it on Linux.
            families.append(BOKEH_DEFAULT_FONT)
        for family in families:
            rules.append(f"@font-face {{ font-family: '{family}'; font-style: normal; "
                         f"font-weight: {face['weight']}; font-display: block;{extra} "
                         f"src: url(data:font/woff2;base64,{data}) format('woff2'); }}")
    return "\n".join(rules)


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


def _declarations() -> str:
    return " ".join(f"{k}: {v};" for k, v in _VARIABLES.items())


def host_css() -> str:
    """CSS for a component's shadow root: the font variables, for its ``:host``."""
    return f":host {{ {_declarations()} font-family: {SANS_STACK}; }}"


@functools.lru_cache(maxsize=None)
def document_css() -> str:
    """CSS for the page's ``<head>``: the faces, and the font variables and body font."""
    return (font_face_css() + f"\n:root {{ {_declarations()} }}\n"
            f"body {{ font-family: {SANS_STACK}; }}\n"
            f"code, kbd, pre, samp {{ font-family: {MONO_STACK}; }}\n")


def global_stylesheet():
    """A Bokeh ``GlobalInlineStyleSheet`` of :func:`document_css`: add it to the
    ``stylesheets`` of a component and the page that shows it gets the fonts. (A new model
    each call: a Bokeh model belongs to one document.)"""
    from bokeh.models import GlobalInlineStyleSheet

    return GlobalInlineStyleSheet(css=document_css())


@functools.lru_cache(maxsize=None)
def fingerprint() -> str:
    """A short hash of the shipped font files: equal fingerprints draw equal glyphs."""
    digest = hashlib.sha256()
    for face in faces():
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
const ours = new Set(['gradviz sans', 'gradviz mono', 'helvetica']);
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


def install(fig) -> None:
    """Make the page that shows Bokeh figure ``fig`` load the bundled fonts and draw its text
    with them: adds :func:`global_stylesheet` to its ``stylesheets`` (Bokeh installs it in the
    document's ``<head>``, in a server page, a notebook and a saved file alike), and a
    callback that measures its text again once the faces have loaded."""
    from bokeh.models import CustomJS, GlobalInlineStyleSheet

    sheets = list(fig.stylesheets)
    if any(isinstance(s, GlobalInlineStyleSheet) and s.css == document_css() for s in sheets):
        return
    fig.stylesheets = [*sheets, global_stylesheet()]
    fig.js_on_change("inner_width", CustomJS(args=dict(fig=fig, state={"armed": False}),
                                             code=_REMEASURE_JS))
