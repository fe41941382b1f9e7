"""Colours, fonts and the legend: one place, so every part of the explorer agrees.

Role colours tell what a node is (a leaf you train, a constant input, the root, an
intermediate result, a function); gradient colours tell how big and which sign its gradient
is, on a log scale: ``sign(g) * log10|g|`` through a diverging palette (blue negative, red
positive, pale near ``VANISHING_LOG``). Health problems (NaN, inf, exploding, vanishing) get an
outline and a badge of their own in either mode, so they are never hidden by the colouring.
"""
from __future__ import annotations

import math

import numpy as np

from . import fonts

# The faces gradviz ships (gradviz/viz/fonts), so text looks the same on every machine.
FONT_FAMILY = fonts.SANS_STACK  # canvas text (Bokeh text_font)
FONT = fonts.SANS_STACK
MONO = fonts.MONO_STACK
LABEL_FONT_PX = 12  # node labels at the default zoom (layout sizes assume 12px text)

# --- role colours (fill, outline) ----------------------------------------------------------
ROLE_FILL = {
    "leaf": "#fdd9a8",          # requires grad: what training changes
    "constant": "#e4e7eb",      # inputs that need no gradient (x, y)
    "root": "#d9c8f5",          # the loss
    "intermediate": "#d6e8fb",  # results computed on the way
    "function": "#cdeedd",      # the backward functions (grad_fn)
}
ROLE_LINE = {
    "leaf": "#d9822b",
    "constant": "#8a94a3",
    "root": "#7b4fd0",
    "intermediate": "#5b8fd0",
    "function": "#3a9a6a",
}
CURRENT_FILL = "#ffe066"   # the node the current step acts on
CURRENT_LINE = "#e6a700"
TEXT = "#1f2933"
MUTED = "#616e7c"

ROLE_NAMES = {
    "leaf": "leaf (requires grad)",
    "constant": "constant",
    "root": "root",
    "intermediate": "intermediate",
    "function": "function (grad_fn)",
}

# --- edges ---------------------------------------------------------------------------------
EDGE_IDLE = "#aab4c0"
EDGE_IDLE_WIDTH = 1.5

# --- gradient colours ----------------------------------------------------------------------
NO_GRAD_FILL = "#f5f7fa"
# Diverging palette from strong negative (blue) through pale to strong positive (red).
NEGATIVE = ["#08306b", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0"]
POSITIVE = ["#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"]
ZERO_FILL = "#f7f7f7"
VANISHING_LOG = -6.0   # |g| at or below 1e-6 draws as pale as zero
EXPLODING_LOG = 3.0    # |g| at or above 1e3 draws at full strength

HEALTH_LINE = {"nan": "#d7263d", "inf": "#d7263d", "exploding": "#f46036", "vanishing": "#8e44ad"}
HEALTH_BADGE = {"nan": "NaN", "inf": "inf", "exploding": "big", "vanishing": "tiny"}


def signed_log(g) -> float | None:
    """``sign(g) * log10|g|`` of a gradient's dominant entry (largest |value|); None without one.

    NaN when the gradient holds NaN or inf: no colour can stand for those."""
    if g is None:
        return None
    a = np.asarray(g, dtype=float)
    if a.size == 0:
        return 0.0
    if not np.all(np.isfinite(a)):
        return float("nan")
    flat = a.ravel()
    i = int(np.argmax(np.abs(flat)))
    v = float(flat[i])
    if v == 0.0:
        return 0.0
    return math.copysign(math.log10(abs(v)), v)


def gradient_fill(g) -> str:
    """The fill colour of a gradient: blue for negative, red for positive, darker when larger
    (log scale between 1e-6 and 1e3); grey-white without one, black-ish for NaN/inf."""
    s = signed_log(g)
    if s is None:
        return NO_GRAD_FILL
    if math.isnan(s):
        return "#3d3d3d"
    a = np.asarray(g, dtype=float)
    if a.size == 0 or not np.any(a):
        return ZERO_FILL
    # s is a signed log: its size is log10|g| (negative below 1), its sign that of g.
    flat = a.ravel()
    dominant = float(flat[int(np.argmax(np.abs(flat)))])
    log_mag = math.log10(abs(dominant))
    strength = (log_mag - VANISHING_LOG) / (EXPLODING_LOG - VANISHING_LOG)
    strength = min(max(strength, 0.0), 1.0)
    palette = POSITIVE if dominant > 0 else NEGATIVE[::-1]
    return palette[min(int(strength * len(palette)), len(palette) - 1)]


# The gradient colours as one ramp, strong negative to strong positive, and where a number
# falls on it: ``signed_strength`` maps |v| on the log scale between 1e-6 and 1e3 to 0..1 and
# gives it v's sign, so a Bokeh LinearColorMapper(GRADIENT_RAMP, low=-1, high=1) colours a
# number exactly as ``gradient_fill`` colours a gradient whose largest entry it is.
GRADIENT_RAMP = NEGATIVE + POSITIVE
RAMP_TICKS = {-1.0: "-1e3", -2 / 3: "-1", -1 / 3: "-1e-3", 0.0: "0", 1 / 3: "1e-3", 2 / 3: "1",
              1.0: "1e3"}
NAN_FILL = "#3d3d3d"


def signed_strength(a) -> np.ndarray:
    """Element-wise ``sign(v) * strength`` in [-1, 1] (NaN for NaN/inf), the position of each
    number on ``GRADIENT_RAMP``."""
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        strength = (np.log10(np.abs(a)) - VANISHING_LOG) / (EXPLODING_LOG - VANISHING_LOG)
    strength = np.clip(np.nan_to_num(strength, nan=0.0, neginf=0.0, posinf=1.0), 0.0, 1.0)
    # A tiny epsilon keeps a number at or below VANISHING on its own side of zero.
    strength = np.maximum(strength, 1e-9)
    out = np.where(a < 0, -strength, strength)
    return np.where(np.isfinite(a), out, np.nan)


def cell_fills(a) -> list:
    """The fill of every number of ``a`` (flattened), in the graph's gradient colours: exact
    zeros as ``ZERO_FILL``, NaN/inf as ``NAN_FILL``."""
    a = np.asarray(a, dtype=float).ravel()
    t = signed_strength(a)
    n = len(NEGATIVE)
    out = []
    for v, x in zip(a.tolist(), t.tolist()):
        if x != x:  # NaN
            out.append(NAN_FILL)
        elif v == 0.0:
            out.append(ZERO_FILL)
        elif x < 0:
            out.append(NEGATIVE[max(n - 1 - int(-x * n), 0)] if -x < 1 else NEGATIVE[0])
        else:
            out.append(POSITIVE[min(int(x * len(POSITIVE)), len(POSITIVE) - 1)])
    return out


def text_on(fill: str) -> tuple[str, str]:
    """(label colour, secondary colour) readable on ``fill``: white on dark fills."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    if 0.299 * r + 0.587 * g + 0.114 * b < 150:
        return "#ffffff", "#f0f0f0"
    return TEXT, MUTED


def edge_width(g) -> float:
    """Thicker edges for larger gradients (log scale), so the flow is visible at a glance."""
    if g is None:
        return EDGE_IDLE_WIDTH
    a = np.asarray(g, dtype=float)
    if a.size == 0 or not np.all(np.isfinite(a)):
        return 4.0
    m = float(np.abs(a).max())
    if m == 0.0:
        return 2.0
    t = (math.log10(m) - VANISHING_LOG) / (EXPLODING_LOG - VANISHING_LOG)
    return 2.0 + 4.0 * min(max(t, 0.0), 1.0)


def edge_colour(g) -> str:
    if g is None:
        return EDGE_IDLE
    fill = gradient_fill(g)
    # The palest entries vanish against the background: draw them as a mid grey instead.
    return "#9aa5b1" if fill in (ZERO_FILL, NEGATIVE[-1], POSITIVE[0]) else fill


def legend_html(mode: str = "role") -> str:
    """A small HTML legend (works in a saved static file too: no callbacks needed)."""
    # Attribute values without quotes where they need none: a pane's HTML is escaped twice in
    # a saved page, and each quote costs ten bytes there.
    def swatch(fill, line, text, shape="4px"):
        return (f'<span class=gv-swatch style=background:{fill};border-color:{line};'
                f'border-radius:{shape}></span><span class=gv-legend-text>{text}</span>')

    items = []
    if mode == "role":
        for role in ("leaf", "constant", "intermediate", "root"):
            items.append(swatch(ROLE_FILL[role], ROLE_LINE[role], ROLE_NAMES[role]))
        items.append(swatch(ROLE_FILL["function"], ROLE_LINE["function"], ROLE_NAMES["function"], "50%"))
    else:
        ramp = "".join(f'<span class=gv-ramp style=background:{c}></span>'
                       for c in NEGATIVE + [ZERO_FILL] + POSITIVE)
        items.append(f'<span class=gv-legend-text>grad &lt; 0</span>{ramp}'
                     f'<span class=gv-legend-text>grad &gt; 0 &nbsp;(log |g|, 1e-6 … 1e3)</span>')
        items.append(swatch(NO_GRAD_FILL, "#9aa5b1", "no grad yet"))
    items.append(swatch(CURRENT_FILL, CURRENT_LINE, "current step"))
    items.append(swatch("#ffffff", HEALTH_LINE["nan"], "NaN / inf"))
    items.append(swatch("#ffffff", HEALTH_LINE["vanishing"], "vanishing / exploding"))
    return '<div class=gv-legend>' + "".join(f'<span class=gv-legend-item>{i}</span>' for i in items) + "</div>"


def _compact(css: str) -> str:
    """CSS without the spaces and line breaks it does not need (it is written into every
    saved page)."""
    import re

    css = re.sub(r"\s+", " ", css).strip()
    return re.sub(r"\s*([{}:;,])\s*", r"\1", css)


# The stacks by reference: the page's fonts stylesheet (gradviz.viz.fonts.document_css, on
# every page that shows an explorer) defines them once on :root.
_FONT = "var(--gv-sans,sans-serif)"
_MONO = "var(--gv-mono,monospace)"

# Shared CSS, kept small: Panel widgets keep their own look; this only spaces our parts.
CSS = _compact(f"""
.gv-legend {{ display:flex; flex-wrap:wrap; gap:4px 16px; font-family:{_FONT}; font-size:12.5px;
             color:{TEXT}; align-items:center; padding:2px 4px; }}
.gv-legend-item {{ display:inline-flex; align-items:center; gap:6px; }}
.gv-swatch {{ display:inline-block; width:16px; height:12px; border:2px solid; }}
.gv-ramp {{ display:inline-block; width:10px; height:12px; }}
.gv-counter {{ font-family:{_FONT}; font-size:14px; font-weight:600; color:{TEXT};
              font-variant-numeric:tabular-nums;
              white-space:nowrap; }}
.gv-sentence {{ font-family:{_FONT}; font-size:14px; color:{TEXT}; line-height:1.45; }}
.gv-note {{ font-family:{_FONT}; font-size:13px; color:#8a4b00; background:#fff4e0;
           border-left:3px solid #f0a030; padding:6px 10px; border-radius:4px; }}
.gv-error {{ font-family:{_FONT}; font-size:13px; color:#a61b29; background:#fdecee;
            border-left:3px solid #d7263d; padding:6px 10px; border-radius:4px;
            white-space:pre-wrap; }}
.gv-ok {{ font-family:{_FONT}; font-size:12.5px; color:#1e7a4a; }}
.gv-title {{ font-family:{_FONT}; font-size:15px; font-weight:600; color:{TEXT}; margin:0; }}
.gv-mono, .gv-array {{ font-family:{_MONO}; font-size:12.5px; color:{TEXT}; white-space:pre;
                       overflow-x:auto; }}
.gv-muted {{ font-family:{_FONT}; font-size:12.5px; color:{MUTED}; }}
.gv-rule {{ font-family:{_MONO}; font-size:12.5px; background:#f5f7fa; padding:6px 8px;
           border-radius:4px; white-space:pre-wrap; }}
""")


def html(obj: str = "", **kwargs):
    """An HTML pane that carries the shared CSS (each pane renders in its own shadow root, so
    a stylesheet on a parent layout would not reach it). Changing its ``object`` sends the
    new text only (see ``_text_pane``)."""
    kwargs.setdefault("stylesheets", [CSS])
    return _text_pane()(obj, **kwargs)


_TEXT_PANE = None


def _text_pane():
    """``pn.pane.HTML`` whose ``object`` changes send only what changed.

    Panel answers a new ``object`` with every property of the pane, its ``stylesheets``
    included, and the page takes a new stylesheets list as a change of layout: BokehJS lays out
    the whole page again and repaints the graph's canvas (all of it, synchronously). The
    counter and the sentence change at every Step, so each Step painted the graph twice; with
    thousands of nodes drawn that was most of a Step's time in the page. The stylesheets of
    these panes never depend on their object, and changes of their own parameters
    (``stylesheets``, ``visible``, sizes) still go through Panel's usual path."""
    global _TEXT_PANE
    if _TEXT_PANE is None:
        import panel as pn

        class TextHTML(pn.pane.HTML):
            def _update(self, ref, model):
                props = self._get_properties(model.document)
                props.pop("stylesheets", None)
                if self.enable_streaming:  # (not used by gradviz: Panel's own path)
                    return super()._update(ref, model)
                model.update(**props)

        _TEXT_PANE = TextHTML
    return _TEXT_PANE
