"""What a layout returns, and how big a node is drawn by default."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable

Point = tuple[float, float]

# A monospace-ish label font: about 7.2 data units per character at 12px,
# plus padding so the text does not touch the box outline.
CHAR_WIDTH = 7.2
LINE_HEIGHT = 16.0
PADDING = 12.0


@dataclass(frozen=True)
class Layout:
    """Where every node and edge of a layered drawing goes.

    Coordinates are data coordinates with y pointing up (as in Bokeh), so the
    explorer can draw them as they are.

    positions: node -> (x, y) of the centre of its box.
    sizes:     node -> (width, height) of its box, labels included.
    routes:    (u, v) -> polyline [(x, y), ...]: the first point on u's box
               boundary, the last on v's, bending through the layers the edge
               crosses; segments never cut through another node's box.
    layers:    node -> layer index (0 = inputs side, the root in the last).
    order:     node -> index of the node within its layer (0 = top in "LR",
               left in "TB").
    bounds:    (xmin, ymin, xmax, ymax) enclosing every box and route.
    direction: "LR", "RL", "TB" or "BT": where the inputs are and the root is.
    crossings: edge crossings of the chosen ordering, counted between layers
               (None when counting was skipped for a huge graph).
    """

    positions: dict[Hashable, Point]
    sizes: dict[Hashable, Point]
    routes: dict[tuple[Hashable, Hashable], list[Point]]
    layers: dict[Hashable, int]
    order: dict[Hashable, int]
    bounds: tuple[float, float, float, float]
    direction: str = "LR"
    crossings: int | None = None
    stats: dict[str, Any] = field(default_factory=dict, compare=False)


def default_node_size(node: Hashable, attrs: dict[str, Any]) -> Point:
    """(width, height) that fits the node's label in a monospace font.

    Tensors show their shape under the label, so they get a second line;
    explicit ``width``/``height`` node attributes win.
    """
    chars = len(str(attrs.get("label", node)))
    lines = 1
    shape = attrs.get("shape")
    if shape is not None and attrs.get("kind") == "tensor":
        chars = max(chars, len(str(tuple(shape))))
        lines = 2
    if "width" in attrs or "height" in attrs:
        return (
            float(attrs.get("width", chars * CHAR_WIDTH + 2 * PADDING)),
            float(attrs.get("height", lines * LINE_HEIGHT + PADDING)),
        )
    return chars * CHAR_WIDTH + 2 * PADDING, lines * LINE_HEIGHT + PADDING
