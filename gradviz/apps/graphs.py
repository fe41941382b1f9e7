"""How the apps put a graph on the page: the explorer for a tensor with a graph, and a card
for a tensor that has none (computed under ``no_grad``, or ``detach()``-ed), which is exactly
what the tutorial wants to show: there is nothing left to draw.
"""
from __future__ import annotations

import html

import panel as pn

from ..viz import style


def explorer(root, names=None, **kwargs):
    """A fresh ``Explorer`` of ``root``'s graph (one per call: never share it across sessions)."""
    from ..viz.explorer import Explorer

    return Explorer(root, names=names or {}, **kwargs)


#: Plot height of the explorers embedded in the tutorial: its graphs are small and flat, and
#: the graph must be on screen when a section opens (1400 x 1000), under its explanation.
TUTORIAL_HEIGHT = 360


def has_graph(tensor) -> bool:
    return tensor.grad_fn is not None or tensor.requires_grad


def tensor_card(tensor, name: str, why: str) -> pn.pane.HTML:
    """A tensor's facts as a small card: its node (dashed and grey when it has no graph), its
    value, ``requires_grad``, ``grad_fn`` and ``is_leaf``, and a sentence on why."""
    value = html.escape(repr(tensor))
    recorded = tensor.grad_fn is not None
    role = "intermediate" if recorded else "constant"
    border = "solid" if recorded else "dashed"
    rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:{style.MUTED}">{k}</td>'
        f'<td style="font-family:{style.MONO}">{html.escape(repr(v))}</td></tr>'
        for k, v in (("requires_grad", tensor.requires_grad), ("grad_fn", tensor.grad_fn),
                     ("is_leaf", tensor.is_leaf)))
    return pn.pane.HTML(f"""
<div style="font-family:{style.FONT};color:{style.TEXT};padding:10px 14px;border:1px solid #e4e7eb;
     border-radius:8px;background:#fff">
  <span style="display:inline-block;border:2px {border} {style.ROLE_LINE[role]};
       background:{style.ROLE_FILL[role]};border-radius:8px;padding:6px 14px;
       font-family:{style.MONO};font-size:14px;font-weight:600">{html.escape(name)}</span>
  <span style="margin-left:12px;font-family:{style.MONO};font-size:13px">{value}</span>
  <table style="margin-top:8px;font-size:13px;border-collapse:collapse">{rows}</table>
  <p style="margin:8px 0 0 0;font-size:14px">{html.escape(why)}</p>
</div>""", sizing_mode="stretch_width")
