"""An overview of the whole drawing: every item as a small block, the main view's window as a
rectangle, the current step as a dot. Click or drag in it to move the main view there.

Moving is done in the browser (a CustomJS on the minimap's tap and pan events sets the main
figure's ranges), so it costs no round trip to Python; the window rectangle follows the main
ranges the same way. Python only redraws the blocks when the drawing changes (a box opened or
closed) and moves the dot at each step.

The blocks are one raster image (``blocks_image``), painted in numpy at the minimap's own pixel
size, not thousands of rect glyphs: the browser repaints the whole minimap canvas whenever the
dot or the window moves, i.e. at every step, and a rect glyph with one fill colour per block
re-parses every colour and fills every block on each repaint (about 14 ms a step with the 4,500
blocks of a 12-layer GPT-like model, every scope open). An image is drawn with one call.
"""
from __future__ import annotations

import numpy as np

from . import style

WIDTH = 260
HEIGHT = 130

# Centre the main view on the clicked / dragged-to point, keeping its zoom.
_MOVE_JS = """
const x = cb_obj.x, y = cb_obj.y;
if (x == null || y == null) return;
const w = xr.end - xr.start, h = yr.end - yr.start;
xr.setv({start: x - w / 2, end: x + w / 2});
yr.setv({start: y - h / 2, end: y + h / 2});
"""

# The window rectangle follows the main view's ranges.
_WINDOW_JS = """
win.data = {x: [(xr.start + xr.end) / 2], y: [(yr.start + yr.end) / 2],
            w: [xr.end - xr.start], h: [yr.end - yr.start]};
"""


# Block colours, as the rect glyphs had them: open frames, closed scope boxes, nodes.
FRAME_FILL = "#f0f2f5"
BOX_FILL = "#9fb3c8"
NODE_FILL = "#cbd2d9"
# Each minimap pixel is painted as SUPERSAMPLE x SUPERSAMPLE sub-pixels and averaged, so a block
# narrower than a pixel comes out as a lighter pixel, as the canvas's antialiasing drew it.
SUPERSAMPLE = 4


def item_columns(drawing) -> dict:
    """Blocks for every drawn item and open frame of a ``ScopedDrawing`` (or ``Layout``)."""
    cols = {"x": [], "y": [], "w": [], "h": [], "fill": []}
    for (x0, y0, x1, y1) in getattr(drawing, "frames", {}).values():
        cols["x"].append((x0 + x1) / 2)
        cols["y"].append((y0 + y1) / 2)
        cols["w"].append(x1 - x0)
        cols["h"].append(y1 - y0)
        cols["fill"].append(FRAME_FILL)
    for n, (x, y) in drawing.positions.items():
        w, h = drawing.sizes[n]
        cols["x"].append(x)
        cols["y"].append(y)
        cols["w"].append(w)
        cols["h"].append(h)
        cols["fill"].append(BOX_FILL if str(n).startswith("s") else NODE_FILL)
    return cols


def fitted_ranges(bounds, width=WIDTH, height=HEIGHT, pad=0.03) -> tuple:
    """Ranges showing all of ``bounds`` at one scale across and up (the drawing's aspect)."""
    x0, y0, x1, y1 = bounds
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    s = min(width / w, height / h) / (1 + 2 * pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - width / s / 2, cx + width / s / 2), (cy - height / s / 2, cy + height / s / 2)


def _rgb(colour: str) -> tuple:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def blocks_image(cols: dict, x_range, y_range, width=WIDTH, height=HEIGHT,
                 supersample=SUPERSAMPLE) -> np.ndarray:
    """The blocks of ``item_columns`` painted, in order, into a
    ``height x width`` RGBA image (``uint32``, as Bokeh's ``image_rgba`` takes it) covering
    ``x_range`` x ``y_range``: row 0 is the bottom row (the lowest y), column 0 the leftmost.

    Each pixel is ``supersample`` x ``supersample`` sub-pixels, each painted with the last
    block that covers its centre, or left empty."""
    (xa, xb), (ya, yb) = x_range, y_range
    W, H = width * supersample, height * supersample
    sx, sy = W / (xb - xa), H / (yb - ya)
    palette = ["#000000"] + list(dict.fromkeys(cols["fill"]))  # index 0: nothing
    index = {c: i for i, c in enumerate(palette)}
    canvas = np.zeros((H, W), dtype=np.uint8)
    x = np.asarray(cols["x"], dtype=float)
    y = np.asarray(cols["y"], dtype=float)
    hw = np.asarray(cols["w"], dtype=float) / 2
    hh = np.asarray(cols["h"], dtype=float) / 2
    # Sub-pixel k covers [k, k + 1) on its axis: a block covers the sub-pixels whose centres
    # (k + 0.5) lie inside it.
    c0 = np.clip(np.ceil((x - hw - xa) * sx - 0.5), 0, W).astype(int)
    c1 = np.clip(np.ceil((x + hw - xa) * sx - 0.5), 0, W).astype(int)
    r0 = np.clip(np.ceil((y - hh - ya) * sy - 0.5), 0, H).astype(int)
    r1 = np.clip(np.ceil((y + hh - ya) * sy - 0.5), 0, H).astype(int)
    for i, fill in enumerate(cols["fill"]):
        if c1[i] > c0[i] and r1[i] > r0[i]:
            canvas[r0[i]:r1[i], c0[i]:c1[i]] = index[fill]
    # Background sub-pixels are transparent (the figure's own background and outline show
    # through); a pixel's alpha is the share of it that blocks cover, its colour their mean, so
    # over the white background it shows the mean of all its sub-pixels.
    rgb = np.array([_rgb(c) for c in palette], dtype=float)[canvas]  # H x W x 3
    covered = (canvas > 0).reshape(height, supersample, width, supersample).sum(axis=(1, 3))
    total = rgb.reshape(height, supersample, width, supersample, 3).sum(axis=(1, 3))
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    some = covered > 0
    rgba[some, :3] = np.round(total[some] / covered[some, None]).astype(np.uint8)
    rgba[..., 3] = np.round(255 * covered / supersample ** 2).astype(np.uint8)
    return rgba.view(np.uint32).reshape(height, width)


def _image_data(drawing, x_range, y_range) -> dict:
    return {"image": [blocks_image(item_columns(drawing), x_range, y_range)],
            "x": [x_range[0]], "y": [y_range[0]],
            "dw": [x_range[1] - x_range[0]], "dh": [y_range[1] - y_range[0]]}


class Minimap:
    """The overview figure of a main figure ``main`` showing ``drawing``."""

    def __init__(self, main, drawing, current_xy=None):
        from bokeh.models import ColumnDataSource, CustomJS, Range1d
        from bokeh import events
        from bokeh.plotting import figure

        self.main = main
        (xa, xb), (ya, yb) = fitted_ranges(drawing.bounds)
        self.x_range = Range1d(xa, xb, name="gv_minimap_x")
        self.y_range = Range1d(ya, yb, name="gv_minimap_y")
        fig = figure(width=WIDTH, height=HEIGHT, x_range=self.x_range, y_range=self.y_range,
                     tools="", toolbar_location=None, name="gv_minimap", min_border=0,
                     background_fill_color="#ffffff", border_fill_color="#ffffff",
                     outline_line_color="#9aa5b1")
        fig.axis.visible = False
        fig.grid.visible = False
        self.blocks = ColumnDataSource(_image_data(drawing, (xa, xb), (ya, yb)),
                                       name="gv_minimap_blocks")
        fig.image_rgba("image", "x", "y", "dw", "dh", source=self.blocks,
                       name="gv_minimap_blocks_image")
        xr, yr = main.x_range, main.y_range
        self.window = ColumnDataSource({"x": [0.0], "y": [0.0], "w": [0.0], "h": [0.0]},
                                       name="gv_minimap_window")
        if None not in (xr.start, xr.end, yr.start, yr.end):
            self.window.data = {"x": [(xr.start + xr.end) / 2], "y": [(yr.start + yr.end) / 2],
                                "w": [xr.end - xr.start], "h": [yr.end - yr.start]}
        fig.rect("x", "y", "w", "h", source=self.window, fill_color=style.CURRENT_FILL,
                 fill_alpha=0.18, line_color="#e6a700", line_width=1.5, name="gv_minimap_window_rect")
        cx, cy = current_xy if current_xy is not None else (float("nan"), float("nan"))
        self.current = ColumnDataSource({"x": [cx], "y": [cy]}, name="gv_minimap_current")
        fig.scatter("x", "y", source=self.current, size=9, marker="circle",
                    fill_color=style.CURRENT_LINE, line_color="#1f2933", name="gv_minimap_current_dot")
        window_cb = CustomJS(args=dict(win=self.window, xr=xr, yr=yr), code=_WINDOW_JS)
        for r in (xr, yr):
            r.js_on_change("start", window_cb)
            r.js_on_change("end", window_cb)
        move = CustomJS(args=dict(xr=xr, yr=yr), code=_MOVE_JS)
        for ev in (events.Tap, events.Pan, events.PanStart):
            fig.js_on_event(ev, move)
        self.figure = fig

    def redraw(self, drawing) -> None:
        """A new drawing (a box opened or closed): new blocks, ranges fitted to it."""
        (xa, xb), (ya, yb) = fitted_ranges(drawing.bounds)
        self.blocks.data = _image_data(drawing, (xa, xb), (ya, yb))
        self.x_range.update(start=xa, end=xb)
        self.y_range.update(start=ya, end=yb)
        self.sync_window()

    def sync_window(self) -> None:
        """The window rectangle from the main ranges (after Python moved them)."""
        xr, yr = self.main.x_range, self.main.y_range
        if None in (xr.start, xr.end, yr.start, yr.end):
            return
        data = {"x": [(xr.start + xr.end) / 2], "y": [(yr.start + yr.end) / 2],
                "w": [xr.end - xr.start], "h": [yr.end - yr.start]}
        if any(list(self.window.data.get(k, ())) != v for k, v in data.items()):
            self.window.data = data  # (only when the view moved: a step rarely moves it)

    def mark(self, xy) -> None:
        """Move the current-step dot (None: hide it)."""
        x, y = xy if xy is not None else (float("nan"), float("nan"))
        if (self.current.data["x"][0], self.current.data["y"][0]) != (x, y):
            self.current.data = {"x": [x], "y": [y]}
