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


def has_graph(tensor) -> bool:
    return tensor.grad_fn is not None or tensor.requires_grad


def cut_card(tensor, name: str, why: str) -> pn.pane.HTML:
    """A lone tensor drawn as a single grey node with its facts: no ``grad_fn``, no edges."""
    value = html.escape(repr(tensor))
    return pn.pane.HTML(f"""
<div style="font-family:{style.FONT};color:{style.TEXT};padding:8px 4px">
  <div style="display:inline-block;border:2px dashed {style.ROLE_LINE['constant']};
       background:{style.ROLE_FILL['constant']};border-radius:8px;padding:10px 16px;
       font-family:{style.MONO};font-size:14px;font-weight:600">{html.escape(name)}</div>
  <div style="margin-top:10px;font-family:{style.MONO};font-size:13px;white-space:pre">{value}</div>
  <table style="margin-top:8px;font-size:13px;border-collapse:collapse">
    <tr><td style="padding:2px 12px 2px 0;color:{style.MUTED}">requires_grad</td>
        <td style="font-family:{style.MONO}">{tensor.requires_grad}</td></tr>
    <tr><td style="padding:2px 12px 2px 0;color:{style.MUTED}">grad_fn</td>
        <td style="font-family:{style.MONO}">{html.escape(repr(tensor.grad_fn))}</td></tr>
    <tr><td style="padding:2px 12px 2px 0;color:{style.MUTED}">is_leaf</td>
        <td style="font-family:{style.MONO}">{tensor.is_leaf}</td></tr>
  </table>
  <p style="margin-top:10px;max-width:420px">{html.escape(why)}</p>
</div>""", sizing_mode="stretch_width", min_height=220)
