"""How the apps put a graph on the page: the explorer for a tensor with a graph, and a card
for a tensor that has none (computed under ``no_grad``, or ``detach()``-ed), which is exactly
what the tutorial wants to show: there is nothing left to draw.
"""
from __future__ import annotations

import html

import panel as pn

from ..viz import style


#: Plot width (px) the apps plan an example's first view for: a 1024 px window, where the side
#: panel wraps below the plot. Wider windows show the same graph, larger.
NARROW_PLOT_PX = 990


def explorer(root, names=None, **kwargs):
    """A fresh ``Explorer`` of ``root``'s graph (one per call: never share it across sessions).

    Unless ``scopes`` is given, the module scopes open as deep as the graph can still be read
    whole on a laptop (``readable_depth``): the MLP opens with its two Linear layers as boxes
    (click one to open it) rather than open and too wide to read."""
    from ..viz.explorer import Explorer

    if "scopes" not in kwargs:
        depth = readable_depth(root, names or {})
        if depth is not None:
            kwargs["scopes"] = depth
    return Explorer(root, names=names or {}, **kwargs)


def readable_depth(root, names, width_px: float = NARROW_PLOT_PX, height_px: float = 400):
    """The deepest level of scopes that, opened, leaves the graph readable whole in a plot of
    ``width_px`` x ``height_px`` (``graph_view.plan_view`` says "fit"); None when the graph has
    no scopes, or when even all of them closed does not fit (the explorer's own choice then)."""
    try:
        from .. import graph as gv_graph, sources
        from ..layout import collapse
        from ..viz.graph_view import plan_view
        from ..viz.scope_view import shared_layout

        G = sources.to_networkx(root, gv_graph._names_by_id(names))
        tree = collapse.scope_tree(G)
        if not tree.scopes:
            return None
        layout = shared_layout(G, tree)
        for depth in range(tree.max_depth, -1, -1):
            open_set = collapse.open_to_depth(tree, depth)
            drawing = layout.drawing(open_set, collapse.visible_graph(G, tree, open_set))
            if plan_view(drawing.bounds, None, width_px, height_px)["mode"] == "fit":
                return depth
    except Exception:  # noqa: BLE001 - only a choice of first view: the explorer's default stands
        return None
    return None


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
