"""The shell every gradviz app sits in, and the small panes they all use (code, output, notes).

One place for the look: the template, the accent colour (the explorer's root colour, so the
page and the graph belong together) and the styling of code and printed output.
"""
from __future__ import annotations

import html

import panel as pn
from panel.theme import Bootstrap
from panel.theme.base import Inherit
from panel.viewable import Viewable

from ..viz import fonts, style

ACCENT = style.ROLE_LINE["root"]
SITE = "gradviz"

# Panel renders every pane in its own shadow root, so page-wide CSS does not reach inside:
# each pane gets its stylesheet. Code lines never wrap (wrapped Python reads as wrong Python);
# long lines scroll instead.
_BLOCK_CSS = f"""
pre {{
  font-family: {style.MONO}; font-size: 12.5px; line-height: 1.45; white-space: pre;
  border-radius: 6px; padding: 10px 12px; margin: 0; overflow-x: auto;
}}
"""
_CODE_CSS = _BLOCK_CSS + """
.codehilite { border-radius: 6px; }
"""
_OUTPUT_CSS = _BLOCK_CSS + f"""
pre {{ background: #1f2933; color: #e4e7eb; }}
"""
_LABEL_CSS = f"""
.gv-label {{ font-size: 12px; font-weight: 600; text-transform: uppercase;
  letter-spacing: .05em; color: {style.MUTED}; margin: 4px 0 0 0; }}
"""


class Design(Bootstrap):
    """Panel's Bootstrap design with gradviz's bundled fonts: Bootstrap names its fonts inside
    every component's shadow root, where the page's own CSS does not reach."""

    modifiers = {Viewable: {"stylesheets": [Inherit, fonts.host_css()]}}


# Prose (titles, explanations): every size and colour set here. Left to the template, a
# Markdown pane rendered with the first page took the template's look (18 px titles, blue
# inline code) and one added later Bootstrap's (32 px titles, pink inline code), so the
# tutorial's typography changed with the section that happened to load first.
_PROSE_CSS = f"""
:host, .markdown {{ font-family: {style.FONT}; color: {style.TEXT}; font-size: 15px;
  line-height: 1.55; }}
h1, h2, h3 {{ font-family: {style.FONT} !important; color: {style.TEXT} !important;
  font-weight: 650 !important; line-height: 1.25 !important; margin: 0.2em 0 0.4em 0 !important; }}
h1 {{ font-size: 26px !important; }}
h2 {{ font-size: 22px !important; }}
h3 {{ font-size: 17px !important; }}
p {{ margin: 0 0 0.7em 0; }}
:not(pre) > code {{ font-family: {style.MONO} !important; font-size: 0.9em !important;
  color: #3e4c59 !important; background: #eef1f5 !important; padding: 1px 4px !important;
  border-radius: 3px !important; }}
"""


def prose(markdown: str, **kwargs) -> pn.pane.Markdown:
    """Markdown text in the apps' own typography (the same wherever and whenever it renders)."""
    kwargs.setdefault("sizing_mode", "stretch_width")
    return pn.pane.Markdown(markdown, stylesheets=[_PROSE_CSS], **kwargs)


def template(title: str, *, sidebar=(), main=()) -> pn.template.BootstrapTemplate:
    """A branded page: ``gradviz`` and ``title`` in the header, a sidebar and a main area.

    Bootstrap rather than FastListTemplate: the Fast templates fetch Google Fonts (an error
    offline) and, in Panel 1.9, the explorer's graph first renders there at a wrong size.
    The page carries gradviz's fonts (``@font-face`` in its head), so it draws the same on
    every machine.

    No busy indicator (``busy_indicator=None``): Panel's follows ``pn.state.busy``, which is
    one flag for the whole server process, so every open page's spinner would turn on and off
    (a property change, two patches sent to each page) whenever any one page runs a callback:
    a Step click on one page cost server CPU in proportion to the pages open, and every
    student's spinner spun for the others' clicks."""
    page = pn.template.BootstrapTemplate(
        site=SITE, title=title, sidebar=list(sidebar), main=list(main),
        header_background=ACCENT, sidebar_width=330, design=Design, busy_indicator=None,
        meta_description="gradviz: see backpropagation happen")
    page.config.raw_css.append(fonts.document_css(apps=True))  # with Mono bold (code)
    return page


def label(text: str) -> pn.pane.HTML:
    """A small caps caption above a block (``CODE``, ``OUTPUT``)."""
    return pn.pane.HTML(f'<div class="gv-label">{html.escape(text)}</div>', margin=(8, 10, 0, 10),
                        stylesheets=[_LABEL_CSS])


def code_block(code: str, **kwargs) -> pn.pane.Markdown:
    """Python, syntax-highlighted (Markdown's fenced code goes through Pygments)."""
    return pn.pane.Markdown(f"```python\n{code.rstrip()}\n```", css_classes=["gv-code"],
                            sizing_mode="stretch_width", stylesheets=[_CODE_CSS], **kwargs)


def output_block(text: str, **kwargs) -> pn.pane.HTML:
    """What the code printed, as a terminal would show it (escaped: reprs contain ``<``)."""
    return pn.pane.HTML(f"<pre>{html.escape(text.rstrip())}</pre>", css_classes=["gv-output"],
                        sizing_mode="stretch_width", stylesheets=[_OUTPUT_CSS], **kwargs)


def note(markdown: str, kind: str = "info", **kwargs) -> pn.pane.Alert:
    """A highlighted remark next to a figure."""
    return pn.pane.Alert(markdown, alert_type=kind, sizing_mode="stretch_width", **kwargs)


def query_value(name: str, allowed) -> str | None:
    """``?name=value`` from the page's URL when the session was created, if it is one of
    ``allowed``: read before building, so a shared link opens on the right view at once
    (``location.sync`` alone would build the default view first, then switch)."""
    args = getattr(pn.state, "session_args", None) or {}
    values = args.get(name) or []
    value = values[0].decode() if values and isinstance(values[0], bytes) else None
    return value if value in allowed else None
