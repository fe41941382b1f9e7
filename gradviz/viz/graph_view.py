"""The graph drawn with Bokeh: one figure, a few ColumnDataSources, patched in place.

The pure functions at the top turn an exported graph (``gradviz.to_networkx``) and its layout
into plain column dicts; they need no browser and are unit-tested. ``GraphView`` owns the
figure and its sources and only ever *patches* them: a backward step changes the rows of the
few nodes and edges the event touched, an input edit rewrites the value columns; the figure,
the glyphs and the positions are built once.

Glyphs: one ``rect`` renderer per kind of node (tensors: rounded boxes; functions: pills), one
``multi_line`` for every edge, one vectorised ``Arrow`` for the heads, and ``text`` glyphs for
labels, shapes, badges and edge gradients. Label font sizes follow the zoom (a small CustomJS),
so text stays inside its box and disappears when zoomed too far out to read. Every text, box
and edge renderer holds only the rows near the view (``level_of_detail``): BokehJS would
otherwise measure and draw all of them at each repaint.
"""
from __future__ import annotations

import math

import numpy as np

from . import style
from .lazy_hover import hover_key
from .level_of_detail import LevelOfDetail

FULL_LIMIT = 12  # arrays up to this many numbers are shown in full in hovers and edge labels
HEAD_SETBACK = 4.0  # data units from an edge's end to its arrow head's centre
HEAD_SIZE = 9       # px

# The initial view. The plot's size is only known in the browser; the server plans for a
# typical one and a small CustomJS (_VIEW_JS) makes the same decision for the real size.
PLOT_WIDTH_GUESS = 1000  # px: a 1400 px window minus the side panel
TOOLBAR_PX = 0           # the Bokeh toolbar floats inside the plot: it takes no height
LEGEND_PX = 30           # the legend line above the plot
MIN_LABEL_PX = 9.0       # no node text is drawn smaller than this on a fitted first view
TEXT_ZOOM = 1.15         # _FONT_JS draws text at base * scale * 1.15 (sans is narrower than the layout's estimate)
SMALLEST_TEXT_PX = 12    # base size of the smallest node text (function names, shape lines)
READABLE_SCALE = MIN_LABEL_PX / (SMALLEST_TEXT_PX * TEXT_ZOOM)  # px per data unit: ~0.65
BIG_GRAPH_SCALE = 1.0    # px per data unit of a view zoomed in on part of a big graph
MAX_SCALE = 1.25         # a tiny graph is not blown up beyond this
VIEW_PAD = 24.0          # data units of margin around a fitted graph: room for an edge label

# Numeric columns travel as numpy arrays: Bokeh sends those as binary buffers (one websocket
# frame each), where a list of floats is encoded (and decoded in the browser) one at a time.
NUMERIC_COLUMNS = frozenset({"x", "y", "w", "h", "label_y", "sub_y", "lw", "badge_alpha",
                             "badge_x", "badge_y", "x_start", "y_start", "x_end", "y_end",
                             "head_x", "head_y", "head_angle", "label_x", "width"})


# --- pure helpers ----------------------------------------------------------------------------
def format_array(a, limit: int = FULL_LIMIT, precision: int = 4) -> str:
    """An array as text: in full when it has at most ``limit`` numbers, else a summary."""
    if a is None:
        return "None"
    a = np.asarray(a)
    if a.size <= limit:
        if a.ndim == 0:
            return np.format_float_positional(float(a), precision=precision, trim="-") \
                if a.dtype.kind == "f" else str(a.item())
        # Written by hand: np.array2string costs ~0.25 ms a call, which is most of building
        # the columns of a 5,000-node graph.
        return _nested(a.tolist(), a.dtype.kind == "f", precision, 0)
    return summarize_array(a)


def _nested(x, floating: bool, precision: int, depth: int) -> str:
    if not isinstance(x, list):
        return f"{x:.{precision}g}" if floating else str(x)
    sep = ", " if not x or not isinstance(x[0], list) else ",\n" + " " * (depth + 1)
    return "[" + sep.join(_nested(v, floating, precision, depth + 1) for v in x) + "]"


def summarize_array(a) -> str:
    a = np.asarray(a)
    shape = "×".join(map(str, a.shape)) or "scalar"
    if a.size == 0:
        return f"{shape} (empty)"
    if a.dtype.kind not in "biuf":
        return f"{shape} {a.dtype}"
    with np.errstate(invalid="ignore"):
        finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
        bad = a.size - finite.size
        if finite.size == 0:
            return f"{shape}: all NaN/inf"
        text = (f"{shape}: min {finite.min():.4g}, max {finite.max():.4g}, "
                f"mean {finite.mean():.4g}")
    return text + (f", {bad} NaN/inf" if bad else "")


def short_gradient(g) -> str:
    """What an edge says once a gradient has crossed it (a few characters)."""
    if g is None:
        return ""
    a = np.asarray(g)
    if a.size == 1:
        return f"{a.reshape(()).item():.3g}"
    if a.size <= 3:
        return "[" + " ".join(f"{v:.2g}" for v in a.ravel()) + "]"
    with np.errstate(invalid="ignore"):
        return f"max|g| {float(np.abs(a).max()):.2g}"


def node_role(attrs: dict) -> str:
    return "function" if attrs["kind"] == "function" else attrs.get("role", "intermediate")


def node_look(role: str, grad, health, mode: str, current: bool) -> tuple[str, str, float, str]:
    """(fill, outline colour, outline width, badge) of one node.

    ``mode`` is "role" (colour says what the node is) or "gradient" (colour says its gradient).
    The current step is gold in role mode and a thick gold outline in gradient mode; health
    problems always get a coloured outline and a badge."""
    if mode == "gradient" and role != "function":
        fill = style.gradient_fill(grad)
        line, width = "#52606d", 1.2
    else:
        fill, line, width = style.ROLE_FILL[role], style.ROLE_LINE[role], 1.5
    if current:
        if mode == "gradient" and role != "function":
            line, width = style.CURRENT_LINE, 4.0
        else:
            fill, line, width = style.CURRENT_FILL, style.CURRENT_LINE, 2.5
    badge = ""
    if health in style.HEALTH_LINE:
        line, width = style.HEALTH_LINE[health], 3.5
        badge = style.HEALTH_BADGE[health]
    return fill, line, width, badge


def tensor_hover(attrs: dict, grad) -> dict:
    """A tensor's tooltip text that a step may change, by column."""
    return {
        "shape_text": str(tuple(attrs["shape"])) + f" {attrs['dtype']}",
        "value_text": format_array(attrs["value"]) if attrs["value"] is not None else "not kept by PyTorch",
        "grad_text": format_array(grad) if grad is not None else "none yet",
    }


def tensor_hover_all(attrs: dict, grad) -> dict:
    """All of a tensor's tooltip text, by column (``tensor_hover`` and what never changes)."""
    return {"role": style.ROLE_NAMES[node_role(attrs)],
            "requires_grad": "yes" if attrs["requires_grad"] else "no", **tensor_hover(attrs, grad)}


def function_hover(attrs: dict) -> dict:
    """A function's tooltip text, by column."""
    return {"name": attrs["label"], "rule": attrs.get("rule") or "",
            "saved_text": saved_text(attrs.get("saved"))}


def edge_hover(grad) -> dict:
    """An edge's tooltip text that a step may change, by column."""
    return {"grad_text": format_array(grad) if grad is not None else "not crossed yet"}


# The tooltips' text columns, and the field each is asked for by when sent lazily
# (``gradviz.viz.lazy_hover``): ``@value_text`` reads ``@id{t.value}`` there.
TENSOR_HOVER = {"shape_text": "shape", "value_text": "value", "grad_text": "grad", "role": "role",
                "requires_grad": "requires_grad"}
FUNCTION_HOVER = {"name": "name", "rule": "rule", "saved_text": "saved"}
EDGE_HOVER = {"grad_text": "grad", "u_label": "from", "v_label": "to"}


def node_columns(G, layout, grads: dict | None = None, mode: str = "role",
                 current: str | None = None, hover: bool = True) -> tuple[dict, dict]:
    """Column data for the tensor boxes and the function pills: ``(tensors, functions)``.

    ``grads``: node id -> the gradient to show (a leaf's ``.grad``, the gradient that reached
    an intermediate); missing means none yet. Rows follow node id order, so the same graph
    gives the same rows. ``hover=False``: without the tooltips' text columns (``TENSOR_HOVER``,
    ``FUNCTION_HOVER``), which a big graph's page asks for when hovered (``lazy_hover``)."""
    grads = {} if grads is None else grads  # (a Grads mapping's truth walks every node)
    tensors = {k: [] for k in ("id", "x", "y", "w", "h", "label", "sub", "label_y", "sub_y",
                               "fill", "text_color", "sub_color", "line", "lw", "badge", "badge_color", "badge_alpha", "badge_x", "badge_y", "role",
                               "shape_text", "value_text", "grad_text", "requires_grad")
               if hover or k not in TENSOR_HOVER}
    functions = {k: [] for k in ("id", "x", "y", "w", "h", "label", "fill", "line", "lw",
                                 "name", "rule", "saved_text") if hover or k not in FUNCTION_HOVER}
    for nid in sorted(G.nodes, key=_id_key):
        attrs = G.nodes[nid]
        x, y = layout.positions[nid]
        w, h = layout.sizes[nid]
        role = node_role(attrs)
        if attrs["kind"] == "tensor":
            g = grads.get(nid)
            health, value_badge = tensor_health(attrs, g)
            fill, line, lw, badge = node_look(role, g, health, mode, nid == current)
            badge = value_badge or badge
            cols = tensors
            cols["label_y"].append(y + h * 0.18)
            cols["sub_y"].append(y - h * 0.24)
            cols["sub"].append(sub_text(attrs))
            cols["badge"].append(badge)
            tc, sc = style.text_on(fill)
            cols["text_color"].append(tc)
            cols["sub_color"].append(sc)
            cols["badge_color"].append(style.HEALTH_LINE.get(health, "#ffffff"))
            cols["badge_alpha"].append(1.0 if badge else 0.0)
            cols["badge_x"].append(x + w / 2)
            cols["badge_y"].append(y + h / 2)
            if hover:
                for k, v in tensor_hover_all(attrs, g).items():
                    cols[k].append(v)
        else:
            fill, line, lw, _ = node_look(role, None, None, mode, nid == current)
            cols = functions
            if hover:
                for k, v in function_hover(attrs).items():
                    cols[k].append(v)
        cols["id"].append(nid)
        cols["x"].append(x)
        cols["y"].append(y)
        cols["w"].append(w)
        cols["h"].append(h)
        cols["label"].append(display_label(attrs))
        cols["fill"].append(fill)
        cols["line"].append(line)
        cols["lw"].append(lw)
    return tensors, functions


def style_health(g):
    from ..health import gradient_health
    return gradient_health(g)


def value_health(value) -> tuple[str | None, str]:
    """("nan" or "inf", the badge) when a tensor's *value* holds NaN or infinity, else
    (None, ""): a NaN loss or a log(0) = -inf is as much a problem as a NaN gradient."""
    if value is None:
        return None, ""
    a = np.asarray(value)
    if a.dtype.kind not in "fc" or a.size == 0:
        return None, ""
    if np.isnan(a).any():
        return "nan", "NaN"
    inf = np.isinf(a)
    if inf.any():
        signs = np.sign(a.real[inf] if a.dtype.kind == "c" else a[inf])
        return "inf", "-inf" if np.all(signs < 0) else "inf"
    return None, ""


def tensor_health(attrs: dict, g) -> tuple[str | None, str]:
    """The health a tensor node shows and, when it comes from the value, the badge to draw:
    a NaN or infinite gradient wins, then a NaN or infinite value, then a vanishing or
    exploding gradient."""
    grad = style_health(g)
    if grad in ("nan", "inf"):
        return grad, ""
    value, badge = value_health(attrs.get("value"))
    if value is not None:
        return value, badge
    return grad, ""


def saved_text(saved) -> str:
    if not saved:
        return "nothing saved"
    parts = []
    for s in saved:
        # (A PyTorch graph freed before it was exported may not tell a saved tensor's shape.)
        shape = ("×".join(map(str, s["shape"])) or "scalar") if s["shape"] is not None else "shape unknown"
        parts.append(f"{s['name']} ({shape}{', freed' if s['freed'] else ''})")
    return ", ".join(parts)


def edge_columns(G, layout, edge_grads: dict | None = None, fresh=(), hover: bool = True) -> dict:
    """Column data for the edges: polyline, arrow head segment, gradient label and colour.

    ``edge_grads``: (u, v) -> the gradient that crossed the edge backwards (missing: not yet).
    Only the ``fresh`` edges (crossed by the current step) carry a text label: labels on every
    edge would cover the nodes; the others say their gradient on hover (``hover=False``: no
    hover text column, see ``node_columns``)."""
    edge_grads = edge_grads or {}
    fresh = set(fresh)
    cols = {k: [] for k in ("u", "v", "u_label", "v_label", "xs", "ys", "x_start", "y_start", "x_end", "y_end",
                            "head_x", "head_y", "head_angle",
                            "label_x", "label_y", "grad_label", "grad_text", "color", "width")
            if hover or k not in EDGE_HOVER}
    for u, v in sorted(G.edges, key=lambda e: (_id_key(e[0]), _id_key(e[1]))):
        route = layout.routes.get((u, v)) or [layout.positions[u], layout.positions[v]]
        xs = [float(p[0]) for p in route]
        ys = [float(p[1]) for p in route]
        g = edge_grads.get((u, v))
        mid = len(route) // 2
        if len(route) % 2 == 0:
            lx = (xs[mid - 1] + xs[mid]) / 2
            ly = (ys[mid - 1] + ys[mid]) / 2
        else:
            lx, ly = xs[mid], ys[mid]
        cols["u"].append(u)
        cols["v"].append(v)
        if hover:
            cols["u_label"].append(G.nodes[u]["label"])
            cols["v_label"].append(G.nodes[v]["label"])
        cols["xs"].append(xs)
        cols["ys"].append(ys)
        cols["x_start"].append(xs[-2])
        cols["y_start"].append(ys[-2])
        cols["x_end"].append(xs[-1])
        cols["y_end"].append(ys[-1])
        # The head is a triangle marker (pointing up at angle 0) turned along the last segment
        # and set back so that its tip touches the target's box.
        angle = math.atan2(ys[-1] - ys[-2], xs[-1] - xs[-2])
        cols["head_x"].append(xs[-1] - HEAD_SETBACK * math.cos(angle))
        cols["head_y"].append(ys[-1] - HEAD_SETBACK * math.sin(angle))
        cols["head_angle"].append(angle - math.pi / 2)
        cols["label_x"].append(lx)
        cols["label_y"].append(ly)
        cols["grad_label"].append(short_gradient(g) if (u, v) in fresh else "")
        if hover:
            cols["grad_text"].append(edge_hover(g)["grad_text"])
        cols["color"].append(style.edge_colour(g))
        cols["width"].append(style.edge_width(g))
    return cols


# --- edge-label placement ---------------------------------------------------------------------
EDGE_LABEL_CHAR = 0.6  # a character's width as a fraction of the font size (digits: 0.556)
LABEL_GAP = 3.0        # data units kept free between a label and anything else


def edge_label_size(text: str) -> tuple[float, float]:
    """(width, height) in data units of an edge label: its text scales with the zoom like the
    boxes do (``SMALLEST_TEXT_PX`` at 1 px per unit, times ``TEXT_ZOOM``), plus its padding."""
    font = SMALLEST_TEXT_PX * TEXT_ZOOM
    # Padding 2 px and a 1 px border on each side; a line of text is ~1.2 em tall.
    return len(text) * EDGE_LABEL_CHAR * font + 8.0, 1.2 * font + 8.0


def _label_candidates(route, w: float, h: float):
    """Centres to try for a label of an edge, nearest first: on the line near its middle, then
    moved along it, above or below it (up to a few label heights: in a layered drawing the
    free space is usually above or below a layer's column of nodes), or beside it.

    A candidate's score is its offset's length plus 4 per rank of its base point, so no
    candidate of a base of rank r scores below 4 r: the bases are taken a band at a time and
    only what scores below the next band's start is yielded, in the order a sort of every
    candidate would give. Most labels find their spot among the first few; a long edge (a
    weight shared by every step of an unrolled net runs the whole graph) no longer sorts
    thousands of candidates per label at every step."""
    pts = [(float(x), float(y)) for x, y in route]
    middle = (len(pts) - 2) / 2
    segments = sorted(range(len(pts) - 1), key=lambda i: abs(i - middle))
    step = h / 2 + LABEL_GAP
    offsets = [(0.0, 0.0)]
    for k in range(1, 7):
        for dx in (0.0, -w / 2, w / 2):
            offsets += [(dx, k * step), (dx, -k * step)]
    offsets += [(w / 2 + LABEL_GAP, 0.0), (-w / 2 - LABEL_GAP, 0.0)]
    ts = (0.5, 0.35, 0.65, 0.2, 0.8)
    bases = 5 * len(segments)
    rank, pending = 0, []
    while rank < bases or pending:
        upto = min(bases, max(rank + 10, 2 * rank))
        while rank < upto:
            (x0, y0), (x1, y1) = pts[segments[rank // 5]], pts[segments[rank // 5] + 1]
            t = ts[rank % 5]
            bx, by = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            pending += [(math.hypot(dx, dy) + 4.0 * rank, bx + dx, by + dy) for dx, dy in offsets]
            rank += 1
        pending.sort()
        limit = 4.0 * rank if rank < bases else math.inf
        cut = 0
        while cut < len(pending) and pending[cut][0] < limit:
            cut += 1
        for _, x, y in pending[:cut]:
            yield x, y
        pending = pending[cut:]


def place_edge_labels(requests, boxes, within=None) -> list:
    """Where to draw edge labels so that none covers a node or another label.

    ``requests``: ``[(route, width, height), ...]``, the most important first; ``route`` is the
    edge's polyline. ``boxes``: the node rectangles as rows ``(x0, y0, x1, y1)``. ``within``:
    an optional ``(x0, y0, x1, y1)`` every label must stay inside (the fitted view). Returns one
    entry per request: the label's centre ``(x, y)``, or None when no free spot lies near its
    edge (that label is dropped; the edge still says its gradient on hover)."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    placed: list = []
    out = []
    for route, w, h in requests:
        xs = [p[0] for p in route]
        ys = [p[1] for p in route]
        reach = w + 8 * h + LABEL_GAP  # as far as _label_candidates looks
        near = boxes[(boxes[:, 2] >= min(xs) - reach) & (boxes[:, 0] <= max(xs) + reach) &
                     (boxes[:, 3] >= min(ys) - reach) & (boxes[:, 1] <= max(ys) + reach)]
        spot = None
        for cx, cy in _label_candidates(route, w, h):
            r = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if within is not None and not (within[0] <= r[0] and r[2] <= within[2] and
                                           within[1] <= r[1] and r[3] <= within[3]):
                continue
            if _overlaps_any(r, near) or any(_overlaps(r, q) for q in placed):
                continue
            spot = (cx, cy)
            placed.append(r)
            break
        out.append(spot)
    return out


def _overlaps(a, b, gap: float = LABEL_GAP) -> bool:
    return (a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap)


def _overlaps_any(r, boxes: np.ndarray, gap: float = LABEL_GAP) -> bool:
    if not len(boxes):
        return False
    return bool(np.any((r[0] < boxes[:, 2] + gap) & (boxes[:, 0] < r[2] + gap) &
                       (r[1] < boxes[:, 3] + gap) & (boxes[:, 1] < r[3] + gap)))


def label_weights(edges, edge_grads: dict) -> dict:
    """How much each labelled edge's label matters: the size of its gradient (NaN and inf
    first: those are what a person most needs to see)."""
    out = {}
    for e in edges:
        g = edge_grads.get(e)
        if g is None:
            continue
        a = np.asarray(g, dtype=float)
        with np.errstate(invalid="ignore"):
            out[e] = float(np.abs(a).max()) if a.size and np.all(np.isfinite(a)) else (
                math.inf if a.size else 0.0)
    return out


def node_boxes(*column_dicts) -> np.ndarray:
    """The node rectangles ``(x0, y0, x1, y1)`` of node columns (``x``, ``y``, ``w``, ``h``)."""
    parts = []
    for c in column_dicts:
        x, y = np.asarray(c["x"], dtype=float), np.asarray(c["y"], dtype=float)
        w, h = np.asarray(c["w"], dtype=float), np.asarray(c["h"], dtype=float)
        parts.append(np.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], axis=1))
    return np.concatenate(parts) if parts else np.zeros((0, 4))


def _id_key(nid: str):
    """Sort "t10" after "t9" (ids are a letter prefix and a counter)."""
    head = nid.rstrip("0123456789")
    tail = nid[len(head):]
    return (head, int(tail) if tail else -1)


def display_label(attrs: dict) -> str:
    """The text drawn in a node. Long grad_fn names break before "Backward" onto a second
    line (LogSoftmax / Backward0): the width of a layer is set by its widest name, and one
    line per name made the MLP's graph too wide to read whole on a laptop."""
    label = str(attrs["label"])
    if attrs["kind"] == "function" and len(label) > LONG_NAME:
        i = label.rfind("Backward")
        if i > 0:
            return label[:i] + "\n" + label[i:]
    return label


LONG_NAME = 12  # characters: longer grad_fn names take two lines


def sub_text(attrs) -> str:
    """A tensor box's second line: its shape, or its dtype when the name line already is the
    shape (an unnamed tensor is labelled by its shape)."""
    shape = "(" + ", ".join(map(str, attrs["shape"])) + ")" if attrs["shape"] else "scalar"
    return attrs["dtype"] if attrs["label"] == shape else shape


def node_size(node, attrs) -> tuple[float, float]:
    """Box size for the layout: fits ``display_label`` (and a tensor's shape line)."""
    from ..layout.model import CHAR_WIDTH, LINE_HEIGHT, PADDING

    lines = display_label(attrs).split("\n")
    if attrs.get("kind") == "tensor":
        lines.append(sub_text(attrs))
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * PADDING
    return max(width, 48.0), len(lines) * LINE_HEIGHT + PADDING


def compute_layout(G):
    """The layered left-to-right layout of ``G`` (``gradviz.layout.layered_layout``)."""
    from ..layout import layered_layout
    return layered_layout(G, direction="LR", node_size=node_size, node_sep=18.0, rank_sep=26.0)


def fitting_height(layout, width_px: float = PLOT_WIDTH_GUESS, lo: int = 360,
                   hi: int = 640) -> int:
    """A plot height (px) that suits the graph's aspect at a typical width: a flat graph (the
    seed tutorial's) should not sit in a tall empty box, a tall graph gets room; a graph too
    big to read whole gets a roomy view, zoomed in (see ``plan_view``)."""
    xmin, ymin, xmax, ymax = layout.bounds
    gw = max(xmax - xmin, 1.0) + 2 * VIEW_PAD
    gh = max(ymax - ymin, 1.0) + 2 * VIEW_PAD
    scale = min(width_px / gw, MAX_SCALE)
    if scale < READABLE_SCALE:
        return int(min(max(gh * BIG_GRAPH_SCALE, lo), 560))
    return int(min(max(gh * scale, lo), hi))


def plan_view(bounds, root_pos, width_px: float, height_px: float) -> dict:
    """What a plot of ``width_px`` x ``height_px`` (inner size) shows first.

    The whole graph, centred, when it fits at a scale where node text is at least
    ``MIN_LABEL_PX`` tall ("fit"); else a readable window (``BIG_GRAPH_SCALE``) at the root's
    end, where backward begins ("right"). Returns ``mode``, ``scale`` (px per data unit) and the
    ``x_range`` / ``y_range`` to show; ``_VIEW_JS`` makes the same decision in the browser."""
    xmin, ymin, xmax, ymax = bounds
    width_px, height_px = max(width_px, 50.0), max(height_px, 50.0)
    x0, x1 = xmin - VIEW_PAD, xmax + VIEW_PAD
    y0, y1 = ymin - VIEW_PAD, ymax + VIEW_PAD
    fit = min(width_px / max(x1 - x0, 1.0), height_px / max(y1 - y0, 1.0), MAX_SCALE)
    if fit >= READABLE_SCALE:
        mode, s = "fit", fit
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    else:
        mode, s = "right", BIG_GRAPH_SCALE
        ry = root_pos[1] if root_pos is not None else (y0 + y1) / 2
        half_h = height_px / s / 2
        # Centre on the root, but show no empty space past the graph's top or bottom.
        cy = min(max(ry, y0 + half_h), y1 - half_h) if y1 - y0 > 2 * half_h else (y0 + y1) / 2
        cx = x1 - width_px / s / 2
    return dict(mode=mode, scale=s,
                x_range=(cx - width_px / s / 2, cx + width_px / s / 2),
                y_range=(cy - height_px / s / 2, cy + height_px / s / 2))


def initial_view(layout, root_pos, height_px: int, width_px: float = PLOT_WIDTH_GUESS) -> dict:
    """``plan_view`` for a guessed plot size, plus what ``_VIEW_JS`` needs to redo the plan
    for the real one: the padded bounds, the root's height and the scales."""
    view = plan_view(layout.bounds, root_pos, width_px, height_px)
    xmin, ymin, xmax, ymax = layout.bounds
    ry = root_pos[1] if root_pos is not None else (ymin + ymax) / 2
    view.update(x0=xmin - VIEW_PAD, x1=xmax + VIEW_PAD, y0=ymin - VIEW_PAD, y1=ymax + VIEW_PAD,
                ry=ry, readable=READABLE_SCALE, max_scale=MAX_SCALE, big_scale=BIG_GRAPH_SCALE)
    return view


def text_pad(layout) -> float:
    """How far (data units) a node's text may reach from its anchor: half the widest box."""
    widths = [w for w, _ in layout.sizes.values()]
    return max(widths, default=100.0) / 2 + VIEW_PAD


def _padded(bounds) -> tuple:
    """``bounds`` with the fitted view's margin: what a first view shows."""
    x0, y0, x1, y1 = bounds
    return x0 - VIEW_PAD, y0 - VIEW_PAD, x1 + VIEW_PAD, y1 + VIEW_PAD


def _js_view(view: dict) -> dict:
    """The part of ``initial_view`` that _VIEW_JS reads."""
    return {k: v for k, v in view.items() if k not in ("x_range", "y_range")}


def _root_position(G, layout):
    roots = G.graph.get("roots") or []
    return layout.positions.get(roots[0]) if roots else None


def panned_range(start: float, end: float, lo: float, hi: float, at: float = 0.7):
    """The range ``(start, end)`` moved, keeping its span, so that ``[lo, hi]`` (a node's box)
    is inside it; unchanged when it already is. A box that had to be brought in sits at ``at``
    of the span (0.7: right of centre, as backward walks from right to left)."""
    if lo >= start and hi <= end:
        return start, end
    span = end - start
    centre = (lo + hi) / 2
    new_start = centre - at * span
    return new_start, new_start + span


def _known(model, prop: str) -> float:
    """A browser-set property (``inner_width``), or 0 before a browser has set it."""
    try:
        return getattr(model, prop) or 0
    except Exception:  # noqa: BLE001 - bokeh raises UnsetValueError for readonly props
        return 0


def source_data(cols: dict) -> dict:
    """Column dicts as the Bokeh sources hold them (numeric columns as numpy arrays)."""
    out = {}
    for k, v in cols.items():
        if k in NUMERIC_COLUMNS:
            out[k] = np.asarray(v, dtype=float)
        elif k in ("xs", "ys"):
            # Plain lists, not arrays: each array would travel as a websocket frame of its
            # own (13,000 frames for a 5,000-node graph took the browser seconds to take in).
            # A tenth of a data unit is far below a pixel at any readable zoom.
            out[k] = [np.round(np.asarray(r, dtype=float), 1).tolist() for r in v]
        else:
            out[k] = list(v)
    return out


def sync_source(source, data: dict) -> None:
    """Make ``source.data`` equal ``data``, sending as little as possible: with the same rows,
    a patch of the changed cells (or the changed columns, when most of one changed); with
    other rows, the whole data."""
    old = source.data
    n = len(next(iter(data.values()), []))
    if set(old) != set(data) or any(len(v) != n for v in old.values()) or (
            "id" in data and not _same_column(old["id"], data["id"])) or (
            "u" in data and not (_same_column(old["u"], data["u"]) and
                                 _same_column(old["v"], data["v"]))):
        source.data = data
        return
    patch = {}
    for k, v in data.items():
        cur = old[k]
        if k in ("xs", "ys"):
            if not _same_column(cur, v):
                source.data[k] = v
            continue
        if isinstance(cur, np.ndarray) or isinstance(v, np.ndarray):
            a, b = np.asarray(cur), np.asarray(v)
            rows = np.flatnonzero(a != b) if a.dtype.kind not in "fc" else \
                np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))
        else:
            rows = [i for i, (x, y) in enumerate(zip(cur, v)) if x != y]
        if len(rows) == 0:
            continue
        if len(rows) > n // 2:
            source.data[k] = v
        else:
            patch[k] = [(int(i), v[i].item() if isinstance(v[i], np.generic) else v[i])
                        for i in rows]
    if patch:
        source.patch(patch)


def _same_column(a, b) -> bool:
    if len(a) != len(b):
        return False
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if a and isinstance(a[0], np.ndarray):
        return all(np.array_equal(x, y) for x, y in zip(a, b))
    return list(a) == list(b)


# --- the plot on the page ----------------------------------------------------------------------
def drop_unused_models(fig) -> int:
    """Take out of Bokeh figure ``fig`` the models it holds but never draws, so that a page
    builds, sends and lays out fewer (a 12-layer GPT's first view: 26 of the graph's 150):
    the muted copy of each glyph that ``figure.rect()`` and the like attach (gradviz never
    mutes a renderer; BokehJS makes one if asked, ``muted_glyph="auto"``), and the hidden axes
    and grids with their tickers, formatters and label policies (BokehJS neither draws them nor
    gives them room). What is drawn stays pixel for pixel the same (saved pages did this
    first: ``gradviz.viz.offline``). Returns how many it took out."""
    from bokeh.models import Axis, Glyph, GlyphRenderer, Grid

    n = 0
    for r in fig.renderers:
        if isinstance(r, GlyphRenderer) and not r.muted and isinstance(r.muted_glyph, Glyph):
            r.muted_glyph = "auto"
            n += 1
    followed = {id(g.axis) for g in fig.center if isinstance(g, Grid) and g.visible}
    center = [g for g in fig.center if not (isinstance(g, Grid) and not g.visible)]
    if len(center) != len(fig.center):
        n += len(fig.center) - len(center)
        fig.center = center
    for side in ("above", "below", "left", "right"):
        items = getattr(fig, side)
        kept = [a for a in items
                if not (isinstance(a, Axis) and not a.visible and id(a) not in followed)]
        if len(kept) != len(items):
            n += len(items) - len(kept)
            setattr(fig, side, kept)
    return n


SIDE_WIDTH = 340       # px: the inspector / inputs panel beside the plot
PLOT_MIN_WIDTH = 720   # px: below this the side panel wraps under the plot instead


def plot_and_side(legend, plot_pane, side, plot_height: int):
    """The legend and the plot beside the side panel, all of one height, so that neither has
    blank space next to the other: the plot (``stretch_both``) takes whatever the legend leaves.
    In a window too narrow for both, the side panel wraps below and the plot gets the width.

    Returns the Panel layout; ``side``'s size and margins are set here."""
    import panel as pn

    height = int(plot_height) + LEGEND_PX
    plot_pane.sizing_mode = "stretch_both"
    column = pn.Column(legend, plot_pane, sizing_mode="stretch_width", height=height,
                       margin=0, styles={"flex": f"100 1 {PLOT_MIN_WIDTH}px", "min-width": "0"},
                       css_classes=["gv-plot-column"])
    side.param.update(height=height, width=None, sizing_mode="stretch_width", margin=(0, 0, 0, 10),
                      styles={"flex": f"1 1 {SIDE_WIDTH}px", "max-width": "100%"})
    return pn.FlexBox(column, side, flex_wrap="wrap", sizing_mode="stretch_width",
                      css_classes=["gv-body"])


# --- the Bokeh view --------------------------------------------------------------------------
_FONT_JS = """
let w = 0;
try { w = fig.inner_width; } catch (e) { return; }  // not laid out yet: the next change runs us
const span = xr.end - xr.start;
if (!(w > 0) || !(span > 0)) return;
const scale = w / span;
for (const [r, base] of pairs) {
  // 1.15: the layout sizes boxes for a monospace estimate; our sans-serif text is narrower.
  const px = Math.min(base * scale * 1.15, base * 2.5);
  r.glyph.text_font_size = px.toFixed(1) + 'px';
  r.visible = px >= 6 && shown.active !== false;
}
"""


# The browser half of plan_view: the same decision for the plot's real size, once it is laid
# out, keeping one data unit the same number of pixels across and up; Reset returns to this
# view. A page reports its size more than once while it settles, so the view is planned again
# on every resize until the user (or the server, following the step) moves it; after that a
# resize keeps the x range and re-matches y.
_VIEW_JS = """
const iw = fig.inner_width, ih = fig.inner_height;
if (!(iw > 0 && ih > 0)) return;
const same = (r, a) => a != null && Math.abs(r.start - a[0]) < 1e-6 && Math.abs(r.end - a[1]) < 1e-6;
if (!state.done || (same(xr, state.x) && same(yr, state.y))) {
  const fit = Math.min(iw / (view.x1 - view.x0), ih / (view.y1 - view.y0), view.max_scale);
  let s, cx, cy;
  if (fit >= view.readable) {
    s = fit;
    cx = (view.x0 + view.x1) / 2;
    cy = (view.y0 + view.y1) / 2;
  } else if (!state.done && view.mode !== 'fit') {
    // Anchored where the server put the view: the root's end, or the current step when the
    // page was opened in the middle of a pass (the server followed it).
    s = view.big_scale;
    cx = xr.end - iw / s / 2;
    cy = (yr.start + yr.end) / 2;
  } else {
    s = view.big_scale;
    const half = ih / s / 2;
    cx = view.x1 - iw / s / 2;
    cy = view.y1 - view.y0 > 2 * half ? Math.min(Math.max(view.ry, view.y0 + half), view.y1 - half)
                                      : (view.y0 + view.y1) / 2;
  }
  const x0 = cx - iw / s / 2, x1 = cx + iw / s / 2, y0 = cy - ih / s / 2, y1 = cy + ih / s / 2;
  xr.setv({start: x0, end: x1, reset_start: x0, reset_end: x1});
  yr.setv({start: y0, end: y1, reset_start: y0, reset_end: y1});
  state.x = [x0, x1];
  state.y = [y0, y1];
  state.done = true;
} else {
  const s = iw / (xr.end - xr.start), cy = (yr.start + yr.end) / 2;
  yr.setv({start: cy - ih / s / 2, end: cy + ih / s / 2});
}
"""


class GraphView:
    """The figure and its sources. Build once with the first (G, layout); then call
    ``update_nodes`` / ``update_edges`` with only the rows that changed, or ``set_values`` after
    an input edit (positions kept)."""

    def __init__(self, G, layout, grads=None, edge_grads=None, mode="role", current=None,
                 height=None, on_tap=None, lazy_hover=None):
        from bokeh.models import ColumnDataSource, CustomJS, HoverTool, Range1d, TapTool
        from bokeh.core.properties import value
        from bokeh.plotting import figure

        from .lazy_hover import LAZY_NODES

        self.G = G
        self.layout = layout
        # Tooltip text: in the sources (small graphs, saved pages), or sent when a row is
        # hovered (``lazy_hover``; by default for graphs of over LAZY_NODES nodes, counted on
        # the whole graph when only part of it is drawn, as ScopeView draws it).
        whole = getattr(self, "full", G)
        self.lazy_hover = (len(whole.nodes) > LAZY_NODES if lazy_hover is None
                           else bool(lazy_hover))
        self._hover_grads = {} if grads is None else grads
        self._hover_edge_grads = dict(edge_grads or {})
        tensors, functions = node_columns(G, layout, grads, mode, current,
                                          hover=not self.lazy_hover)
        self.tensor_source = ColumnDataSource(source_data(tensors), name="gv_tensors")
        self.function_source = ColumnDataSource(source_data(functions), name="gv_functions")
        self.edge_source = ColumnDataSource(source_data(edge_columns(
            G, layout, edge_grads, hover=not self.lazy_hover)), name="gv_edges")
        self._reindex()

        height = height or fitting_height(layout)
        self.view = initial_view(layout, _root_position(G, layout), height)
        x_range = Range1d(*self.view["x_range"], name="gv_x_range")
        y_range = Range1d(*self.view["y_range"], name="gv_y_range")
        # The figure fills whatever its pane is given (``height`` is the size the explorer
        # plans for); the view is fitted to the real size in the browser (_VIEW_JS).
        fig = figure(
            x_range=x_range, y_range=y_range, sizing_mode="stretch_both", height=height,
            tools="pan,wheel_zoom,zoom_in,zoom_out,reset,save", active_scroll="wheel_zoom",
            toolbar_location="above", output_backend="canvas", name="gv_graph",
            background_fill_color="#ffffff", border_fill_color="#ffffff",
            outline_line_color=None, min_border=0)
        # The toolbar floats over the plot's top edge instead of taking a row of its own.
        fig.toolbar_inner = True
        # Bokeh draws hover tooltips at 95 % opacity, as elements of the page itself (outside
        # every shadow root): edges and labels behind them showed through the numbers. A rule
        # in the page's <head> makes them opaque (installed once, by the first layout).
        fig.js_on_change("inner_width", CustomJS(args=dict(css=TOOLTIP_CSS), code=_PAGE_CSS_JS))
        fig.axis.visible = False
        fig.grid.visible = False
        fig.toolbar.logo = None

        edges = fig.multi_line("xs", "ys", source=self.edge_source, line_color="color",
                               line_width="width", line_alpha=0.9, hover_line_alpha=1.0,
                               hover_line_color="#1f2933", name="gv_edge_lines")
        # Heads as one scatter glyph, not an Arrow annotation: glyphs outside the view are
        # culled, an annotation draws all of its (thousands of) heads on every repaint.
        self.arrows = fig.scatter("head_x", "head_y", source=self.edge_source, marker="triangle",
                                  size=HEAD_SIZE, angle="head_angle", fill_color="color",
                                  line_color="color", name="gv_edge_heads")
        self.arrows.nonselection_glyph = None
        self.arrows.selection_glyph = None
        common = dict(fill_color="fill", line_color="line", line_width="lw",
                      selection_fill_color="fill", selection_line_color="#1f2933",
                      selection_line_width=3.0, nonselection_fill_alpha=1.0,
                      nonselection_line_alpha=1.0, nonselection_fill_color="fill",
                      nonselection_line_color="line")
        self.tensor_renderer = fig.rect("x", "y", "w", "h", source=self.tensor_source,
                                        border_radius=7, name="gv_tensor_boxes", **common)
        self.function_renderer = fig.rect("x", "y", "w", "h", source=self.function_source,
                                          border_radius=40, name="gv_function_pills", **common)
        text = dict(text_align="center", text_baseline="middle", text_color=style.TEXT,
                    text_font=value(style.FONT_FAMILY))
        label_px = style.LABEL_FONT_PX
        # The text reads from sources of its own, which a step rarely touches: BokehJS lays out
        # every row of a text glyph again whenever its source changes, and the big sources
        # change at every step. Badges and edge labels hold only the rows that show one.
        self.tensor_text = ColumnDataSource(name="gv_tensor_text")
        self.function_text = ColumnDataSource(name="gv_function_text")
        self.badge_source = ColumnDataSource(name="gv_badges")
        self.edge_label_source = ColumnDataSource(name="gv_edge_labels")
        self._sync_text_sources()
        t_label = fig.text("x", "label_y", text="label", source=self.tensor_text,
                           text_font_style="bold", text_font_size=f"{label_px + 1}px",
                           **dict(text, text_color="text_color"))
        t_sub = fig.text("x", "sub_y", text="sub", source=self.tensor_text,
                         text_font_size=f"{label_px}px", **dict(text, text_color="sub_color"))
        f_label = fig.text("x", "y", text="label", source=self.function_text,
                           text_font_size=f"{label_px}px", **text)
        badges = fig.text("x", "y", text="badge", source=self.badge_source,
                          text_font_size=f"{label_px}px", text_color="#ffffff", text_font_style="bold",
                          text_align="center", text_baseline="middle",
                          background_fill_color="color", padding=2, border_radius=3)
        e_label = fig.text("x", "y", text="text", source=self.edge_label_source,
                           text_font_size=f"{label_px}px", text_color="#1f2933", text_align="center",
                           text_baseline="middle", background_fill_color="#ffffff",
                           background_fill_alpha=0.85, padding=2, border_radius=3,
                           border_line_color="#cbd2d9", border_line_width=1)
        for r in (t_label, t_sub, f_label, badges, e_label):
            r.nonselection_glyph = None
            r.selection_glyph = None
        self.label_renderers = [t_label, t_sub, f_label, e_label]
        self.badge_renderer = badges
        # Only the text that can be seen and read is handed to the browser (level_of_detail):
        # BokehJS measures and draws every row of a text glyph, in view or not.
        self.lod = LevelOfDetail(fig)
        pad = text_pad(layout)
        self.lod.cull(t_label, base_px=label_px + 1, pad=pad)
        self.lod.cull(t_sub, base_px=label_px, pad=pad)
        self.lod.cull(f_label, base_px=label_px, pad=pad)
        self.lod.cull(badges, base_px=label_px, pad=pad)
        self.lod.cull(e_label, base_px=label_px, pad=pad)
        # Boxes and edges too: BokehJS draws every rect and polyline at each repaint.
        self.lod.cull(self.tensor_renderer, w="w", h="h")
        self.lod.cull(self.function_renderer, w="w", h="h")
        self.lod.cull(edges, lines=True)
        # Text scales with the zoom like the boxes do (base size at ~1 px per data unit).
        font_cb = CustomJS(args=dict(fig=fig, xr=fig.x_range, shown={"active": True},
                                     pairs=[[t_label, label_px + 1], [t_sub, label_px],
                                            [f_label, label_px], [badges, label_px],
                                            [e_label, label_px]]), code=_FONT_JS)
        self._font_cb = font_cb
        fig.x_range.js_on_change("start", font_cb)
        fig.x_range.js_on_change("end", font_cb)
        fig.js_on_change("inner_width", font_cb)
        view_cb = CustomJS(args=dict(fig=fig, xr=x_range, yr=y_range,
                                     state={"done": False, "x": None, "y": None},
                                     view=_js_view(self.view)),
                           code=_VIEW_JS)
        self._view_cb = view_cb
        fig.js_on_change("inner_width", view_cb)
        fig.js_on_change("inner_height", view_cb)

        node_hover = HoverTool(renderers=[self.tensor_renderer], tooltips=_TENSOR_TOOLTIP,
                               name="gv_node_hover", attachment="right")
        fn_hover = HoverTool(renderers=[self.function_renderer], tooltips=_FUNCTION_TOOLTIP,
                             name="gv_function_hover", attachment="right")
        edge_tool = HoverTool(renderers=[edges], tooltips=_EDGE_TOOLTIP, line_policy="interp",
                              name="gv_edge_hover")
        self.hover_tools = (node_hover, fn_hover, edge_tool)
        self.hover = None  # the LazyHover answering the page, when the text is sent lazily
        self.after_hover_answer = None  # called after answering (a notebook pushes the change)
        if self.lazy_hover:
            self._make_lazy()
        fig.add_tools(node_hover, fn_hover, edge_tool,
                      TapTool(renderers=[self.tensor_renderer, self.function_renderer]))
        self.edge_renderer = edges
        self.figure = fig
        self._on_tap = on_tap
        self.tensor_source.selected.on_change("indices", self._tapped_tensor)
        self.function_source.selected.on_change("indices", self._tapped_function)

    # --- hover text ------------------------------------------------------------------------
    def _make_lazy(self) -> None:
        """The tools' tooltips read their text from a cache that the page fills by asking
        (``gradviz.viz.lazy_hover``)."""
        from .lazy_hover import LazyHover, lazy_template

        self.hover = LazyHover(self.hover_text, after_answer=self._hover_answered)
        node_hover, fn_hover, edge_tool = self.hover_tools
        for tool, source, kind, template, fields, key in (
                (node_hover, self.tensor_source, "t", _TENSOR_TOOLTIP, TENSOR_HOVER, "id"),
                (fn_hover, self.function_source, "f", _FUNCTION_TOOLTIP, FUNCTION_HOVER, "id"),
                (edge_tool, self.edge_source, "e", _EDGE_TOOLTIP, EDGE_HOVER, "u")):
            tool.tooltips = lazy_template(template, fields, key, kind)
            tool.formatters = {"@" + key: self.hover.formatter(source, kind)}

    def _hover_answered(self) -> None:
        if self.after_hover_answer is not None:
            self.after_hover_answer()

    def hover_text(self, kind: str, ident, fields=None):
        """The tooltip text of a drawn row, by lazy field (``TENSOR_HOVER``' values...):
        ``kind`` "t" (tensor id), "f" (function id) or "e" (edge ``(u, v)``); None when no
        such row is drawn. What the eager columns would hold now."""
        if kind == "e":
            if ident not in self.edge_row:
                return None
            cols, names = self._edge_hover_all(ident), EDGE_HOVER
        else:
            rows = self.tensor_row if kind == "t" else self.function_row
            if ident not in rows:
                return None
            attrs = self.G.nodes[ident]
            if kind == "t":
                cols, names = tensor_hover_all(attrs, self._hover_grads.get(ident)), TENSOR_HOVER
            else:
                cols, names = function_hover(attrs), FUNCTION_HOVER
        return {names[c]: text for c, text in cols.items()}

    def _edge_hover_all(self, edge) -> dict:
        u, v = edge
        return {"u_label": self.G.nodes[u]["label"], "v_label": self.G.nodes[v]["label"],
                **edge_hover(self._hover_edge_grads.get(edge))}

    def make_eager(self) -> None:
        """Put the hover text into the sources and the plain tooltips back on the tools: for
        a page without Python to answer (a saved page, a notebook output's recording). Call
        before recording; nothing to do when the text is there already."""
        if not self.lazy_hover:
            return
        self.lazy_hover = False
        self.hover = None
        for tool, template in zip(self.hover_tools, (_TENSOR_TOOLTIP, _FUNCTION_TOOLTIP,
                                                     _EDGE_TOOLTIP)):
            tool.update(tooltips=template, formatters={})
        t, f, e = self.tensor_source, self.function_source, self.edge_source
        for source, texts in (
                (t, [tensor_hover_all(self.G.nodes[n], self._hover_grads.get(n)) for n in t.data["id"]]),
                (f, [function_hover(self.G.nodes[n]) for n in f.data["id"]]),
                (e, [self._edge_hover_all(k) for k in zip(e.data["u"], e.data["v"])])):
            source.data.update({c: [x[c] for x in texts] for c in texts[0]} if texts else {})

    # --- indexing --------------------------------------------------------------------------
    def _reindex(self):
        self.tensor_row = {n: i for i, n in enumerate(self.tensor_source.data["id"])}
        self.function_row = {n: i for i, n in enumerate(self.function_source.data["id"])}
        self.edge_row = {(u, v): i for i, (u, v) in
                         enumerate(zip(self.edge_source.data["u"], self.edge_source.data["v"]))}

    # A tap on a node selects its row; a tap on empty canvas clears every selection, which
    # tells the explorer to go back to its overview (``on_tap(None)``).
    def _tapped_tensor(self, attr, old, new):
        if not self._on_tap:
            return
        if new:
            self._on_tap(self.tensor_source.data["id"][new[0]])
        elif not self.function_source.selected.indices:
            self._on_tap(None)

    def _tapped_function(self, attr, old, new):
        if not self._on_tap:
            return
        if new:
            self._on_tap(self.function_source.data["id"][new[0]])
        elif not self.tensor_source.selected.indices:
            self._on_tap(None)

    # --- updates ---------------------------------------------------------------------------
    def node_patches(self, G, nodes, grads, mode, current) -> tuple[dict, dict]:
        """Patches (``{column: [(row, value), ...]}``) restyling ``nodes`` only."""
        tp: dict = {}
        fp: dict = {}
        for nid in nodes:
            attrs = G.nodes[nid]
            role = node_role(attrs)
            if attrs["kind"] == "tensor":
                row = self.tensor_row[nid]
                g = grads.get(nid)
                health, value_badge = tensor_health(attrs, g)
                fill, line, lw, badge = node_look(role, g, health, mode, nid == current)
                badge = value_badge or badge
                tc, sc = style.text_on(fill)
                values = dict(fill=fill, line=line, lw=lw, badge=badge, text_color=tc, sub_color=sc,
                              badge_color=style.HEALTH_LINE.get(health, "#ffffff"),
                              badge_alpha=1.0 if badge else 0.0)
                if not self.lazy_hover:
                    values.update(tensor_hover(attrs, g))
                target = tp
            else:
                row = self.function_row[nid]
                fill, line, lw, _ = node_look(role, None, None, mode, nid == current)
                values = dict(fill=fill, line=line, lw=lw)
                if not self.lazy_hover:
                    values["saved_text"] = saved_text(attrs.get("saved"))
                target = fp
            for k, v in values.items():
                target.setdefault(k, []).append((row, v))
        return tp, fp

    def update_nodes(self, G, nodes, grads, mode, current) -> None:
        tp, fp = self.node_patches(G, nodes, grads, mode, current)
        if self.hover is not None:
            # A tensor's gradient and a function's saved tensors change with a step.
            self._hover_grads = {} if grads is None else grads
            self.hover.invalidate([hover_key("t", "grad", n) for n in nodes if n in self.tensor_row] +
                                  [hover_key("f", "saved", n) for n in nodes if n in self.function_row])
        if tp:
            self.tensor_source.patch(tp)
        if fp:
            self.function_source.patch(fp)
        self._sync_text_sources()

    def batch(self):
        """``with view.batch(): view.update_nodes(...); view.update_edges(...)``: the text
        sources are brought in line once, at the end, instead of after each update (that sync
        places the edge labels, most of what a Step costs)."""
        view = self

        class _Batch:
            def __enter__(self):
                view._batching = True

            def __exit__(self, *exc):
                view._batching = False
                if view._batch_dirty:
                    view._batch_dirty = False
                    view._sync_text_sources()

        return _Batch()

    _batching = False
    _batch_dirty = False

    def _sync_text_sources(self) -> None:
        """Bring the text sources in line with the main ones, sending only what changed."""
        if self._batching:
            self._batch_dirty = True
            return
        t, f, e = self.tensor_source.data, self.function_source.data, self.edge_source.data
        badged = [i for i, b in enumerate(t["badge"]) if b]
        labelled = [i for i, text in enumerate(e["grad_label"]) if text]
        # Biggest gradients first: when there is no room for every label, the smaller ones go.
        labelled.sort(key=lambda i: -self._edge_label_weight.get((e["u"][i], e["v"][i]), 0.0))
        spots = place_edge_labels(
            [(list(zip(e["xs"][i], e["ys"][i])), *edge_label_size(e["grad_label"][i]))
             for i in labelled], self._node_boxes(), within=_padded(self.layout.bounds))
        shown = [(i, p) for i, p in zip(labelled, spots) if p is not None]
        sync_source(self.tensor_text, {k: t[k] for k in ("x", "label_y", "sub_y", "label", "sub",
                                                         "text_color", "sub_color")})
        sync_source(self.function_text, {k: f[k] for k in ("x", "y", "label")})
        sync_source(self.badge_source, {
            "x": np.asarray(t["badge_x"])[badged], "y": np.asarray(t["badge_y"])[badged],
            "badge": [t["badge"][i] for i in badged],
            "color": [t["badge_color"][i] for i in badged]})
        sync_source(self.edge_label_source, {
            "x": np.asarray([p[0] for _, p in shown], dtype=float),
            "y": np.asarray([p[1] for _, p in shown], dtype=float),
            "text": [e["grad_label"][i] for i, _ in shown]})

    _edge_label_weight: dict = {}

    def _node_boxes(self) -> np.ndarray:
        """Every drawn box a label must keep off: nodes, and a subclass's own boxes (the closed
        scopes of ``ScopeView``, in its ``box_source``)."""
        sources = [self.tensor_source, self.function_source]
        extra = getattr(self, "box_source", None)
        if extra is not None and all(k in extra.data for k in ("x", "y", "w", "h")):
            sources.append(extra)
        return node_boxes(*(src.data for src in sources))

    def update_edges(self, edges, edge_grads, fresh=()) -> None:
        """Restyle ``edges``; label the ``fresh`` ones and unlabel those labelled before."""
        fresh = set(fresh)
        patch: dict = {}
        stale: list = []
        # In row order, not set order: the same pass gives the same patches in every process
        # (a saved page's size and bytes do not depend on the hash seed).
        rows = sorted((row, e) for e in set(edges) | self.fresh_edges | fresh
                      if (row := self.edge_row.get(e)) is not None)
        for row, e in rows:
            g = edge_grads.get(e)
            values = [("grad_label", short_gradient(g) if e in fresh else "")]
            if self.hover is None:
                values += edge_hover(g).items()
            else:
                self._hover_edge_grads[e] = g
                stale.append(hover_key("e", "grad", e))
            # (in this order: a saved page's recorded patches compress as before)
            values += [("color", style.edge_colour(g)), ("width", style.edge_width(g))]
            for k, v in values:
                patch.setdefault(k, []).append((row, v))
        if stale:
            self.hover.invalidate(stale)
        self.fresh_edges = fresh
        self._edge_label_weight = label_weights(fresh, edge_grads)
        if patch:
            self.edge_source.patch(patch)
        self._sync_text_sources()

    fresh_edges: set = frozenset()

    def redraw_all(self, G, grads, edge_grads, mode, current, layout=None, fresh=()) -> None:
        """Rewrite every column (an input edit, a colour-mode switch, a new pass): still the
        same figure and sources; positions come from ``layout`` (the old one by default)."""
        if layout is not None:
            self.layout = layout
        self.G = G
        eager = not self.lazy_hover
        tensors, functions = node_columns(G, self.layout, grads, mode, current, hover=eager)
        for source, data in ((self.tensor_source, tensors), (self.function_source, functions),
                             (self.edge_source, edge_columns(G, self.layout, edge_grads, fresh,
                                                             hover=eager))):
            sync_source(source, source_data(data))
        if self.hover is not None:
            self._hover_grads = {} if grads is None else grads
            self._hover_edge_grads = dict(edge_grads or {})
            self.hover.reset()
        self.fresh_edges = set(fresh)
        self._edge_label_weight = label_weights(fresh, edge_grads or {})
        self._reindex()
        self._sync_text_sources()
        if layout is not None:
            self.refit()

    def refit(self) -> None:
        """Show the whole graph again, or its root's end when it is too big (a new layout)."""
        fig = self.figure
        width, height = _known(fig, "inner_width"), _known(fig, "inner_height")
        width = width if width > 0 else PLOT_WIDTH_GUESS
        height = height if height > 0 else fig.height
        self.view = initial_view(self.layout, _root_position(self.G, self.layout), height, width)
        (x0, x1), (y0, y1) = self.view["x_range"], self.view["y_range"]
        # Bokeh's Reset returns to the new view, and the browser plans with the new bounds.
        fig.x_range.update(start=x0, end=x1, reset_start=x0, reset_end=x1)
        fig.y_range.update(start=y0, end=y1, reset_start=y0, reset_end=y1)
        self._view_cb.args = dict(self._view_cb.args, view=_js_view(self.view),
                                  state={"done": True, "x": [x0, x1], "y": [y0, y1]})

    def follow(self, nid) -> None:
        """Pan (never zoom) so that node ``nid`` is in view, when it is not."""
        if nid is None or nid not in self.layout.positions:
            return
        (x, y), (w, h) = self.layout.positions[nid], self.layout.sizes[nid]
        xr, yr = self.figure.x_range, self.figure.y_range
        if None in (xr.start, xr.end, yr.start, yr.end):
            return
        xs = panned_range(xr.start, xr.end, x - w / 2, x + w / 2)
        ys = panned_range(yr.start, yr.end, y - h / 2, y + h / 2, at=0.5)
        if xs != (xr.start, xr.end):
            xr.update(start=xs[0], end=xs[1])
        if ys != (yr.start, yr.end):
            yr.update(start=ys[0], end=ys[1])


TOOLTIP_CSS = ".bk-Tooltip { opacity: 1 !important; background-color: #ffffff; }"
_PAGE_CSS_JS = """
if (document.getElementById('gv-page-css') === null) {
  const el = document.createElement('style');
  el.id = 'gv-page-css';
  el.textContent = css;
  document.head.appendChild(el);
}
"""

_TENSOR_TOOLTIP = """
<div style="font-family:sans-serif;font-size:12px;max-width:420px">
  <div><b>@label</b> <span style="color:#616e7c">@shape_text · @role · requires_grad @requires_grad</span></div>
  <div style="margin-top:4px;color:#616e7c">value</div>
  <div style="font-family:monospace;white-space:pre">@value_text</div>
  <div style="margin-top:4px;color:#616e7c">grad</div>
  <div style="font-family:monospace;white-space:pre">@grad_text</div>
</div>
"""
_FUNCTION_TOOLTIP = """
<div style="font-family:sans-serif;font-size:12px;max-width:420px">
  <div><b>@name</b></div>
  <div style="font-family:monospace;white-space:pre-wrap;margin-top:4px">@rule</div>
  <div style="margin-top:4px;color:#616e7c">saved: @saved_text</div>
</div>
"""
_EDGE_TOOLTIP = """
<div style="font-family:sans-serif;font-size:12px">
  <div style="color:#616e7c">gradient on @u_label → @v_label</div>
  <div style="font-family:monospace;white-space:pre">@grad_text</div>
</div>
"""
