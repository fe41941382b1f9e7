"""The explorer's pure view functions, without a browser: the first view (fit or root), edge
label placement, the inspector's colours, which buttons can act, and no deprecation warnings
from gradviz's own Panel code."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("panel")
pytest.importorskip("bokeh")

from gradviz.viz import style  # noqa: E402
from gradviz.viz.graph_view import (BIG_GRAPH_SCALE, MIN_LABEL_PX, TEXT_ZOOM,  # noqa: E402
                                    VIEW_PAD, edge_label_size, place_edge_labels, plan_view)


# --- the first view --------------------------------------------------------------------------
SMALLEST_NODE_TEXT = 12  # px at 1 px per data unit: function names and shape lines


def drawn_text_px(scale: float) -> float:
    """The size _FONT_JS draws the smallest node text at, at ``scale`` px per data unit."""
    return SMALLEST_NODE_TEXT * scale * TEXT_ZOOM


@pytest.mark.parametrize("width, height", [(600, 400), (990, 380), (1500, 500), (300, 900)])
def test_a_graph_that_can_be_read_whole_is_shown_whole(width, height):
    bounds = (0.0, -170.0, 1400.0, 0.0)
    plan = plan_view(bounds, (1400.0, -80.0), width, height)
    (x0, x1), (y0, y1) = plan["x_range"], plan["y_range"]
    scale = width / (x1 - x0)
    assert scale == pytest.approx(height / (y1 - y0))  # one data unit is square
    if plan["mode"] == "fit":
        assert x0 <= bounds[0] and x1 >= bounds[2] and y0 <= bounds[1] and y1 >= bounds[3]
        assert drawn_text_px(scale) >= MIN_LABEL_PX - 1e-9
    else:
        # Too big to read whole at this size: not fitted, because fitting would shrink the
        # text below the minimum.
        fit = min(width / (1400 + 2 * VIEW_PAD), height / (170 + 2 * VIEW_PAD))
        assert drawn_text_px(fit) < MIN_LABEL_PX
        assert scale == BIG_GRAPH_SCALE


def test_the_mlp_width_fits_at_a_laptop_plot_width_and_a_huge_graph_starts_at_its_root():
    # The MLP example is ~1,430 data units wide; a 1024 px window leaves ~990 px of plot.
    assert plan_view((0, -174, 1430, 0), None, 990, 400)["mode"] == "fit"
    root = (20000.0, -300.0)
    plan = plan_view((0, -2000, 20000, 0), root, 1000, 500)
    assert plan["mode"] == "right"
    (x0, x1), (y0, y1) = plan["x_range"], plan["y_range"]
    assert x0 < root[0] < x1 and y0 < root[1] < y1
    assert drawn_text_px(1000 / (x1 - x0)) >= MIN_LABEL_PX
    assert y1 <= 0 + VIEW_PAD + 1e-9  # no blank space above the graph's top edge


def test_the_first_examples_fit_at_the_plot_widths_of_common_windows():
    from gradviz import examples, graph
    from gradviz.viz.graph_view import compute_layout

    # Plot widths at 1024 (side panel wrapped below), 1400 and 1920 px windows; the examples
    # a learner met first (bigger ones may start at their root instead).
    for name in ("seed", "eye", "mlp", "broadcast", "nan"):
        ex = examples.build(name)
        G = graph.to_networkx(ex.root, graph._names_by_id(ex.names))
        layout = compute_layout(G)
        for width in (990, 1020, 1540):
            assert plan_view(layout.bounds, None, width, 400)["mode"] == "fit", (name, width)


# --- edge labels -----------------------------------------------------------------------------
def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_rects(requests, spots):
    return [(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            for (route, w, h), s in zip(requests, spots) if s is not None for x, y in [s]]


def random_scene(rng, n_boxes=30, n_labels=8):
    boxes = []
    for _ in range(n_boxes):
        x, y = rng.uniform(0, 800), rng.uniform(-300, 0)
        w, h = rng.uniform(40, 140), rng.uniform(25, 45)
        boxes.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    requests = []
    for _ in range(n_labels):
        pts = [(rng.uniform(0, 800), rng.uniform(-300, 0)) for _ in range(rng.integers(2, 5))]
        w, h = edge_label_size("[" + " ".join(["0.12"] * int(rng.integers(1, 4))) + "]")
        requests.append((pts, w, h))
    return np.array(boxes), requests


@pytest.mark.parametrize("seed", range(40))
def test_no_placed_label_covers_a_node_or_another_label(seed):
    rng = np.random.default_rng(seed)
    boxes, requests = random_scene(rng)
    spots = place_edge_labels(requests, boxes)
    assert len(spots) == len(requests)
    rects = label_rects(requests, spots)
    for r in rects:
        assert not any(overlap(r, b) for b in boxes)
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not overlap(a, b)


def test_a_label_sits_on_its_edge_where_there_is_room():
    boxes = np.array([(-50, -20, 0, 20), (300, -20, 350, 20)])
    route = [(0, 0), (300, 0)]
    w, h = edge_label_size("0.15")
    [(x, y)] = place_edge_labels([(route, w, h)], boxes)
    assert (x, y) == (150, 0)  # the middle of the edge


def test_labels_move_off_a_node_and_off_each_other_and_the_less_important_go():
    # An edge whose middle is covered by a node: its label moves along or beside it.
    boxes = np.array([(120, -30, 180, 30)])
    w, h = edge_label_size("0.15")
    [spot] = place_edge_labels([([(0, 0), (300, 0)], w, h)], boxes)
    assert spot is not None and not overlap(
        (spot[0] - w / 2, spot[1] - h / 2, spot[0] + w / 2, spot[1] + h / 2), boxes[0])
    # Two labels on the same short edge with room for one: the first (most important) stays.
    tight = np.array([(-400, -400, 0, 400), (60, -400, 460, 400), (0, 19, 60, 400),
                      (0, -400, 60, -19)])
    w, h = edge_label_size("0.123")
    assert 2 * w > 60 - 3 > w and 2 * h > 38 - 3 > h  # room for one label, not for two
    first, second = place_edge_labels([([(0, 0), (60, 0)], w, h)] * 2, tight)
    assert first is not None and second is None


# --- the inspector's colours -----------------------------------------------------------------
def test_heatmap_cells_have_the_graphs_gradient_colours_and_a_colour_bar():
    from gradviz.viz.inspector import Heatmap, heatmap_columns

    rng = np.random.default_rng(3)
    a = (10 ** rng.uniform(-8, 4, size=(6, 7))) * rng.choice([-1, 1], size=(6, 7))
    a[0, 0] = 0.0
    cols = heatmap_columns(a)
    for v, fill in zip(cols["v"], cols["fill"]):
        # A one-number gradient of value v is drawn on the graph with gradient_fill.
        assert fill == style.gradient_fill(np.array([v]))
        if v < 0:
            assert fill in style.NEGATIVE  # negative is blue, as on the graph
        elif v > 0:
            assert fill in style.POSITIVE
    hm = Heatmap("grad")
    assert hm.colour_bar.color_mapper.palette == list(style.NEGATIVE + style.POSITIVE)
    assert (hm.colour_bar.color_mapper.low, hm.colour_bar.color_mapper.high) == (-1, 1)


def test_the_colour_bar_puts_each_number_where_the_cells_colour_it():
    # LinearColorMapper: bin i of n covers [low + i*(high-low)/n, ...). Check that the bin of a
    # number's signed strength holds the colour its cell gets.
    ramp = style.NEGATIVE + style.POSITIVE
    for v in (-500.0, -2.0, -0.01, -3e-5, 4e-6, 0.02, 7.0, 900.0):
        t = float(style.signed_strength(np.array([v]))[0])
        i = min(int((t + 1) / 2 * len(ramp)), len(ramp) - 1)
        assert ramp[i] == style.cell_fills([v])[0], v


# --- the buttons -----------------------------------------------------------------------------
def test_only_the_buttons_that_can_act_are_enabled():
    from gradviz.viz.controls import button_states

    assert button_states(0, 8) == {"Reset": False, "Back": False, "Step": True, "Run": True,
                                   "Play": True}
    assert button_states(3, 8) == dict.fromkeys(("Reset", "Back", "Step", "Run", "Play"), True)
    assert button_states(8, 8) == {"Reset": True, "Back": True, "Step": False, "Run": False,
                                   "Play": False}
    assert not any(button_states(0, 0).values())  # no graph: nothing to step


def test_the_shortcuts_tooltip_lists_every_key():
    from gradviz.viz.controls import SHORTCUTS, shortcuts_help

    text = shortcuts_help()
    for key in ("→", "←", "Space", "Home", "End"):
        assert key in text
    assert set(SHORTCUTS.values()) == {"Step", "Back", "Play", "Reset", "Run"}


# --- deprecations ----------------------------------------------------------------------------
def test_building_the_apps_and_an_explorer_raises_no_deprecation_warning():
    code = (
        "import gradviz.apps.tutorial as t, gradviz.apps.playground as p\n"
        "from gradviz import examples\n"
        "from gradviz.viz import Explorer\n"
        "app = t.TutorialApp()\n"
        "for k in t.SECTION_KEYS: app.section = k\n"
        "for k in examples.EXAMPLES: p.PlaygroundApp(example=k)\n"
        "ex = examples.build('seed'); e = Explorer(ex.root, names=ex.names)\n"
        "e.step(); e.run(); e.select('t1'); e.select(None); e.zero_grads()\n")
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning",
                           "-W", "error::PendingDeprecationWarning", "-c", code],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


# --- the playground's code panel -------------------------------------------------------------
def test_the_code_shown_after_an_edit_builds_the_edited_inputs():
    from gradviz import examples
    from gradviz.apps.playground import code_with_inputs

    ex = examples.build("seed")
    w = np.arange(15.0).reshape(5, 3) / 7
    b = np.array([0.5, -0.25, 1.0])
    code = code_with_inputs(ex.code, {"w": w, "b": b})
    ns = examples.run_code(code)  # the text itself, executed
    np.testing.assert_allclose(ns["w"].detach().numpy(), w, atol=1e-4)
    np.testing.assert_allclose(ns["b"].detach().numpy(), b)
    assert ns["w"].requires_grad and ns["b"].requires_grad
    # A name the code does not assign from a literal is listed before the backward call.
    mlp = examples.build("mlp")
    code = code_with_inputs(mlp.code, {"fc1.bias": np.array([1.0, 2.0, 3.0, 4.0])})
    note = "# edited in the explorer: fc1.bias = [1, 2, 3, 4]"
    assert note in code and code.index(note) < code.index("loss.backward()")
    examples.run_code(code)  # still runs


def test_the_playgrounds_code_follows_an_input_edit_and_back():
    from gradviz.apps.playground import PlaygroundApp

    app = PlaygroundApp(example="seed")
    assert "[-1.1817, -0.3948, -0.1673]" in app.code.object
    assert app.explorer.set_input("b", [0.5, -0.25, 1.0]) is None
    assert "b = torch.tensor([0.5, -0.25, 1], requires_grad=True)" in app.code.object
    assert "-1.1817" not in app.code.object
    app.explorer.back()  # Back undoes the edit: the code shows the example's numbers again
    assert "[-1.1817, -0.3948, -0.1673]" in app.code.object
