"""The minimap's blocks raster: pixels checked against hand-computed coordinates (one data unit
per pixel, so a block's box says which pixels it must colour)."""
import numpy as np
import pytest

from gradviz.viz import minimap
from gradviz.viz.minimap import BOX_FILL, FRAME_FILL, NODE_FILL, blocks_image


def rgba(image):
    """(rows, columns, 4) bytes R, G, B, A of a uint32 image, as the browser reads it."""
    return image.view(np.uint8).reshape(image.shape + (4,))


def hex_rgb(colour):
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def cols(*blocks):
    out = {"x": [], "y": [], "w": [], "h": [], "fill": []}
    for x, y, w, h, fill in blocks:
        for k, v in zip(("x", "y", "w", "h", "fill"), (x, y, w, h, fill)):
            out[k].append(v)
    return out


def test_a_block_colours_exactly_the_pixels_of_its_box():
    # 26 x 13 pixels over [0, 26] x [0, 13]: pixel (row r, column c) is the unit square
    # [c, c + 1] x [r, r + 1]. The block [4, 7] x [3, 5] covers columns 4..6 of rows 3..4.
    img = rgba(blocks_image(cols((5.5, 4.0, 3.0, 2.0, NODE_FILL)), (0, 26), (0, 13),
                            width=26, height=13))
    assert img.shape == (13, 26, 4)
    inside = np.zeros((13, 26), dtype=bool)
    inside[3:5, 4:7] = True
    assert (img[inside][:, :3] == hex_rgb(NODE_FILL)).all()
    assert (img[inside][:, 3] == 255).all()
    assert (img[~inside][:, 3] == 0).all()  # elsewhere the figure's background shows


def test_row_zero_is_the_bottom_and_ranges_are_offset():
    # ranges [100, 126] x [-13, 0]: the block [101, 102] x [-13, -12] is column 1 of row 0
    img = rgba(blocks_image(cols((101.5, -12.5, 1.0, 1.0, BOX_FILL)), (100, 126), (-13, 0),
                            width=26, height=13))
    assert list(zip(*np.nonzero(img[..., 3]))) == [(0, 1)]
    assert list(img[0, 1]) == hex_rgb(BOX_FILL) + [255]


def test_later_blocks_cover_earlier_ones_and_partial_pixels_are_translucent():
    img = rgba(blocks_image(cols((5.0, 5.0, 10.0, 10.0, FRAME_FILL),   # [0, 10] x [0, 10]
                                 (2.5, 2.5, 1.0, 1.0, NODE_FILL),       # pixel (2, 2)
                                 (20.25, 8.5, 0.5, 1.0, BOX_FILL)),     # left half of (8, 20)
                            (0, 26), (0, 13), width=26, height=13, supersample=4))
    assert list(img[2, 2]) == hex_rgb(NODE_FILL) + [255]
    assert list(img[7, 7]) == hex_rgb(FRAME_FILL) + [255]
    assert img[10, 5, 3] == 0  # above the frame
    # half of pixel (8, 20) is covered: half opaque, the block's own colour
    assert list(img[8, 20]) == hex_rgb(BOX_FILL) + [128]
    assert img[8, 21, 3] == 0


def test_blocks_outside_the_ranges_are_clipped():
    img = rgba(blocks_image(cols((-5.0, 6.5, 12.0, 1.0, NODE_FILL)), (0, 26), (0, 13),
                            width=26, height=13))  # [-11, 1] x [6, 7]: only pixel (6, 0)
    assert list(zip(*np.nonzero(img[..., 3]))) == [(6, 0)]


def test_the_minimap_image_follows_the_drawing():
    pytest.importorskip("bokeh")
    from bokeh.plotting import figure

    class Drawing:
        def __init__(self, positions, sizes, bounds):
            self.positions, self.sizes, self.bounds, self.frames = positions, sizes, bounds, {}

    main = figure(x_range=(0, 10), y_range=(0, 10))
    first = Drawing({"a": (0.0, 0.0)}, {"a": (2.0, 2.0)}, (-1.0, -1.0, 1.0, 1.0))
    m = minimap.Minimap(main, first)
    (xa, xb), (ya, yb) = minimap.fitted_ranges(first.bounds)
    assert (m.blocks.data["x"][0], m.blocks.data["dw"][0]) == (xa, xb - xa)
    img = rgba(m.blocks.data["image"][0])
    assert img.shape == (minimap.HEIGHT, minimap.WIDTH, 4)
    # the one node is the 2 x 2 box around the centre: the centre pixel is painted, a corner not
    assert img[minimap.HEIGHT // 2, minimap.WIDTH // 2, 3] == 255
    assert img[0, 0, 3] == 0
    # a new drawing: the node moved to the left end of wider bounds
    second = Drawing({"a": (0.0, 0.0), "s1": (20.0, 0.0)}, {"a": (2.0, 2.0), "s1": (2.0, 2.0)},
                     (-1.0, -1.0, 21.0, 1.0))
    m.redraw(second)
    img = rgba(m.blocks.data["image"][0])
    assert img[minimap.HEIGHT // 2, minimap.WIDTH // 2, 3] == 0  # nothing at x = 10
    (xa, xb), _ = minimap.fitted_ranges(second.bounds)
    col = int((20.0 - xa) / (xb - xa) * minimap.WIDTH)  # the scope box s1
    assert list(img[minimap.HEIGHT // 2, col]) == hex_rgb(BOX_FILL) + [255]
