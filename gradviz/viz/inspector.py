"""The inspector: everything about the node the user clicked.

Tensors: value and gradient in full (text), and a heatmap of each when there are more than a
few numbers. Functions: the local derivative rule and what they saved for backward. Built once;
selecting another node rewrites the HTML and the heatmaps' data in place.
"""
from __future__ import annotations

from html import escape

import numpy as np
import panel as pn
import param

from . import fonts, style

from .graph_view import saved_text, summarize_array

HEATMAP_MIN = 7        # arrays with at least this many numbers also get a heatmap
HEATMAP_MAX_CELLS = 4096
TEXT_LIMIT = 400       # numbers printed in full in the inspector


def heatmap_columns(a) -> dict:
    """Rect-grid column data for a 0-, 1- or 2-D array (higher ranks are flattened to 2-D;
    more than ``HEATMAP_MAX_CELLS`` numbers are strided down). Each cell's ``fill`` is the
    graph's own gradient colour for its number (``style.cell_fills``)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(1, -1)
    elif a.ndim > 2:
        a = a.reshape(-1, a.shape[-1])
    rs = max(1, int(np.ceil(a.shape[0] / 64)))
    cs = max(1, int(np.ceil(a.shape[1] / 64)))
    a = a[::rs, ::cs]
    rows, cols = np.indices(a.shape)
    return {"col": cols.ravel().astype(float), "row": (-rows).ravel().astype(float),
            "v": a.ravel(), "fill": style.cell_fills(a), "text": [f"{v:.4g}" for v in a.ravel()]}


def _value_text(a) -> str:
    if a is None:  # an intermediate of a PyTorch graph: PyTorch keeps no link to it
        return ("not kept: PyTorch's graph does not link a node to the tensor it made (a tensor "
                "you name, or a module output under gradviz.trace(model), shows its value)")
    return array_text(a)


def array_text(a) -> str:
    if a is None:
        return "None (no gradient yet)"
    a = np.asarray(a)
    if a.size > TEXT_LIMIT:
        return summarize_array(a) + "\n(too many numbers to print; see the heatmap)"
    return np.array2string(a, precision=4, suppress_small=True, separator=", ", max_line_width=72,
                           threshold=TEXT_LIMIT + 1)


class Heatmap:
    """A small Bokeh rect grid in the graph's gradient colours (the same signed log scale,
    blue negative, red positive) with their colour bar, updated in place.

    The figure is built the first time it is needed (an array big enough to show, or
    ``figure``/``source``/``colour_bar`` asked for): until a node is clicked the inspector shows
    none, and two hidden figures were a fifth of the models of a big graph's first page (built,
    sent and laid out for nothing)."""

    def __init__(self, title: str):
        self.title = title
        self._figure = None
        # The visibility lives on a wrapping Column: hiding the Bokeh pane itself left an
        # empty plot frame on the page. It holds the figure once built.
        self.pane = pn.Column(visible=False, sizing_mode="stretch_width")

    @property
    def built(self) -> bool:
        """Whether the figure exists yet (it is made on first use)."""
        return self._figure is not None

    @property
    def figure(self):
        self._build()
        return self._figure

    @property
    def source(self):
        self._build()
        return self._source

    @property
    def mapper(self):
        self._build()
        return self._mapper

    @property
    def colour_bar(self):
        self._build()
        return self._colour_bar

    def _build(self) -> None:
        if self._figure is not None:
            return
        from bokeh.models import ColorBar, ColumnDataSource, FixedTicker, LinearColorMapper
        from bokeh.plotting import figure

        self._source = ColumnDataSource(heatmap_columns(np.zeros((1, 1))))
        # The mapper only draws the colour bar: the cells carry their colour (``fill``),
        # computed exactly as the graph computes a node's.
        self._mapper = LinearColorMapper(palette=list(style.GRADIENT_RAMP), low=-1, high=1,
                                         nan_color=style.NAN_FILL)
        title = self.title
        fig = figure(height=190, sizing_mode="stretch_width", tools="hover", toolbar_location=None,
                     title=title, match_aspect=False, x_axis_location=None, y_axis_location=None,
                     min_border=4, outline_line_color=None)
        fig.grid.visible = False
        # Grey cell borders: an all-zero array is pale cells, which must still read as a grid.
        fig.rect("col", "row", 1, 1, source=self._source, line_color="#d5dae1", line_width=0.5,
                 fill_color="fill")
        ticks = sorted(style.RAMP_TICKS)
        self._colour_bar = ColorBar(
            color_mapper=self._mapper, orientation="horizontal", location=(0, 0), height=8,
            ticker=FixedTicker(ticks=ticks), padding=4, title="sign · log |v|",
            title_text_font_size="10px", major_label_text_font_size="10px",
            major_label_overrides={t: style.RAMP_TICKS[t] for t in ticks},
            name=f"gv_heatmap_colour_bar_{title}")
        fig.add_layout(self._colour_bar, "below")
        fig.hover.tooltips = [("", "@text")]
        fig.title.text_font_size = "12px"
        fonts.use_bundled(fig)  # title and colour bar labels: not the machine's Helvetica
        self._figure = fig
        self.pane.objects = [pn.pane.Bokeh(fig, sizing_mode="stretch_width")]

    def show(self, a) -> None:
        if a is None or np.asarray(a).size < HEATMAP_MIN:
            self.pane.visible = False
            return
        data = heatmap_columns(a)
        finite = np.asarray(data["v"])[np.isfinite(data["v"])]
        m = float(np.abs(finite).max()) if finite.size else 1.0
        self.figure.title.text = self.title + (" (all zero)" if finite.size and m == 0 else "")
        self.source.data = data
        self.pane.visible = True


class Inspector(pn.viewable.Viewer):
    """Shows the node whose id is ``node``; call ``refresh(G, grads)`` when values change."""

    node = param.String(default="", doc="The node id shown ('' for none).")

    def __init__(self, **params):
        super().__init__(**params)
        self.body = style.html(_EMPTY, sizing_mode="stretch_width", margin=(0, 5))
        self.value_map = Heatmap("value")
        self.grad_map = Heatmap("grad")
        self._layout = pn.Column(self.body, self.value_map.pane, self.grad_map.pane,
                                 sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout

    def show(self, G, node: str, grads: dict) -> None:
        self.node = node or ""
        self.refresh(G, grads)

    def refresh(self, G, grads: dict) -> None:
        if not self.node or self.node not in G:
            # Nothing selected: show every leaf's .grad, so that accumulation over repeated
            # backward passes and Zero grads are visible without a click.
            self.body.object = _EMPTY + leaf_grads_html(G, grads)
            self.value_map.show(None)
            self.grad_map.show(None)
            return
        attrs = G.nodes[self.node]
        if attrs["kind"] == "tensor":
            grad = grads.get(self.node)
            shape = "×".join(map(str, attrs["shape"])) or "scalar"
            kind = {"leaf": "leaf, requires grad", "constant": "constant (no grad)",
                    "root": "root", "intermediate": "intermediate"}[attrs["role"]]
            grad_title = ".grad" if attrs["role"] == "leaf" else "gradient reaching it"
            self.body.object = (
                f'<div class="gv-title">{escape(attrs["label"])}</div>'
                f'<div class="gv-muted">{shape} · {attrs["dtype"]} · {kind}</div>'
                f'<div class="gv-muted" style="margin-top:6px">value</div>'
                f'<div class="gv-array" data-field="value">{escape(_value_text(attrs["value"]))}</div>'
                f'<div class="gv-muted" style="margin-top:6px">{grad_title}</div>'
                f'<div class="gv-array" data-field="grad">{escape(array_text(grad))}</div>')
            self.value_map.show(attrs["value"])
            self.grad_map.show(grad)
        else:
            self.body.object = (
                f'<div class="gv-title">{escape(attrs["label"])}</div>'
                f'<div class="gv-muted" style="margin-top:6px">local derivative rule</div>'
                f'<div class="gv-rule">{escape(attrs.get("rule") or "(no rule text)")}</div>'
                f'<div class="gv-muted" style="margin-top:6px">saved for backward</div>'
                f'<div class="gv-mono">{escape(saved_text(attrs.get("saved")))}</div>')
            self.value_map.show(None)
            self.grad_map.show(None)


# The same verbs as the tutorial's text: hover shows a summary, click inspects.
_EMPTY = ('<div class="gv-muted">Click a node to inspect it here (hovering one shows a summary); '
          'click empty canvas to come back to this overview.</div>')
MAX_LEAVES_LISTED = 12


def _leaf_text(a) -> str:
    if a is None:
        return "None"
    a = np.asarray(a)
    return summarize_array(a) if a.size > 30 else array_text(a)


def leaf_grads_html(G, grads: dict) -> str:
    """The .grad of each leaf that requires grad (the first few of a big graph)."""
    leaves = [n for n, d in G.nodes(data=True)
              if d["kind"] == "tensor" and d["role"] == "leaf" and d["requires_grad"]]
    if not leaves:
        return ""
    parts = ['<div class="gv-muted" style="margin-top:10px">leaf gradients (.grad)</div>']
    for n in leaves[:MAX_LEAVES_LISTED]:
        label = escape(G.nodes[n]["label"])
        parts.append(f'<div class="gv-leaf-grad" data-leaf="{label}"><b>{label}.grad</b>'
                     f'<div class="gv-array">{escape(_leaf_text(grads.get(n)))}</div></div>')
    if len(leaves) > MAX_LEAVES_LISTED:
        parts.append(f'<div class="gv-muted">... and {len(leaves) - MAX_LEAVES_LISTED} more leaves: '
                     'click one to see its gradient</div>')
    return "".join(parts)
