"""The explorer without a browser: column builders, patching, input parsing, and the
Explorer's actions driven from Python (the numbers a person would see)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("panel")
pytest.importorskip("bokeh")

import gradviz as torch  # noqa: E402
import gradviz.nn.functional as F  # noqa: E402
from gradviz.viz import Explorer  # noqa: E402
from tests.graph_programs import SEED_B, SEED_W  # noqa: E402
from tests.graph_programs import seed_graph as seed_tensors  # noqa: E402
from gradviz.viz import style  # noqa: E402
from gradviz.viz.editors import InputError, literal_of, parse_index, parse_literal  # noqa: E402
from gradviz.viz.graph_view import (compute_layout, edge_columns, format_array,  # noqa: E402
                                    node_columns, short_gradient)

W, B = SEED_W, SEED_B
SEED_GRAD = np.array([0.1503, 0.0698, 0.1336])


def seed_graph():
    v = seed_tensors()
    return v["loss"], v


def eye_graph():
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    return out, {"inp": inp, "out": out}


def eye_expected(times: int) -> np.ndarray:
    return (np.eye(4, 5) * 2 + 2) * times


# --- parsing -------------------------------------------------------------------------------
def record_patches(monkeypatch) -> list:
    """Every ColumnDataSource.patch from now on, as (source name, patch) pairs."""
    from bokeh.models import ColumnDataSource

    patches = []
    original = ColumnDataSource.patch

    def recording_patch(self, p, *args, **kwargs):
        patches.append((self.name, p))
        return original(self, p, *args, **kwargs)

    monkeypatch.setattr(ColumnDataSource, "patch", recording_patch)
    return patches


def test_parse_literal_accepts_numbers_and_nested_lists():
    np.testing.assert_array_equal(parse_literal("[[1, 2], [3, 4]]"), [[1, 2], [3, 4]])
    assert parse_literal(" 0.5 ").shape == ()
    np.testing.assert_array_equal(parse_literal("tensor([1., 2.])"), [1, 2])
    np.testing.assert_array_equal(parse_literal("(1, 2,\n 3)"), [1, 2, 3])


@pytest.mark.parametrize("text, words", [
    ("", "Type a number"),
    ("abc", "Not a number"),
    ("__import__('os').system('true')", "Not a number"),
    ("[1, 'a']", "is not a number"),
    ("[[1, 2], [3]]", "different lengths"),
    ("[1, nan]", "NaN and infinity"),
    ("[True, 1]", "True/False"),
    ("[" + "1, " * 10_001 + "]", "Too many numbers"),
    ("1e999", "NaN and infinity"),
])
def test_parse_literal_rejects_with_a_clear_message(text, words):
    with pytest.raises(InputError, match=words):
        parse_literal(text)


def test_huge_paste_is_refused_before_parsing():
    with pytest.raises(InputError, match="too large"):
        parse_literal("[" + "1.0, " * 200_000 + "]")


def test_parse_index_and_literal_round_trip():
    assert parse_index("1, 2", (3, 4)) == (1, 2)
    assert parse_index("", ()) == ()
    with pytest.raises(InputError, match="out of range"):
        parse_index("3, 0", (3, 4))
    with pytest.raises(InputError, match="2 index"):
        parse_index("1", (3, 4))
    a = np.array([[1.5, -2.0], [0.25, 3.0]])
    np.testing.assert_array_equal(parse_literal(literal_of(a)), a)


# --- formatting and colours ------------------------------------------------------------------
def test_format_array_small_in_full_large_as_summary():
    assert format_array(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert format_array(np.array([[1.0, -0.5], [0.25, 3.0]])) == "[[1, -0.5],\n [0.25, 3]]"
    assert format_array(np.float32(0.5)) == "0.5"
    big = format_array(np.arange(100.0).reshape(10, 10))
    assert big.startswith("10×10: min 0, max 99")
    assert short_gradient(np.array(2.0)) == "2"
    assert short_gradient(None) == ""


def test_gradient_colours_show_sign_and_size():
    assert style.gradient_fill(None) == style.NO_GRAD_FILL
    assert style.gradient_fill(np.zeros(3)) == style.ZERO_FILL
    assert style.gradient_fill(np.array(1.0)) in style.POSITIVE
    assert style.gradient_fill(np.array(-1.0)) in style.NEGATIVE
    strong, weak = style.gradient_fill(np.array(500.0)), style.gradient_fill(np.array(1e-5))
    assert style.POSITIVE.index(strong) > style.POSITIVE.index(weak)
    assert style.signed_log(np.array([0.1, -100.0])) == pytest.approx(-2.0)
    assert np.isnan(style.signed_log(np.array([np.nan])))
    assert style.edge_width(np.array([1e2])) > style.edge_width(np.array([1e-4]))


# --- column builders -------------------------------------------------------------------------
def test_node_and_edge_columns_cover_the_graph_in_id_order():
    loss, names = seed_graph()
    G = torch.to_networkx(loss, names)
    layout = compute_layout(G)
    tensors, functions = node_columns(G, layout)
    assert tensors["id"] == ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"]
    assert functions["id"] == ["fn0", "fn1", "fn2", "fn3"]
    row = tensors["id"].index(G.graph["ids"][id(names["w"])])
    assert tensors["label"][row] == "w" and tensors["sub"][row] == "(5, 3)"
    assert tensors["fill"][row] == style.ROLE_FILL["leaf"]
    assert tensors["grad_text"][row] == "none yet"
    assert (tensors["x"][row], tensors["y"][row]) == layout.positions["t7"]
    # Long grad_fn names wrap before "Backward"
    assert "BinaryCrossEntropyWithLogits\nBackward0" in functions["label"]
    edges = edge_columns(G, layout)
    assert len(edges["u"]) == G.number_of_edges()
    assert set(edges["grad_label"]) == {""} and set(edges["color"]) == {style.EDGE_IDLE}
    lens = {len(c) for c in list(tensors.values())}
    assert lens == {8}


def test_current_node_and_health_marks():
    loss, names = seed_graph()
    G = torch.to_networkx(loss, names)
    layout = compute_layout(G)
    grads = {"t7": np.full((5, 3), np.nan), "t4": np.full(3, 1e-9)}
    tensors, functions = node_columns(G, layout, grads, mode="gradient", current="fn1")
    r7, r4 = tensors["id"].index("t7"), tensors["id"].index("t4")
    assert tensors["badge"][r7] == "NaN" and tensors["line"][r7] == style.HEALTH_LINE["nan"]
    assert tensors["badge"][r4] == "tiny"
    assert functions["fill"][functions["id"].index("fn1")] == style.CURRENT_FILL


# --- the Explorer, driven from Python ---------------------------------------------------------
def test_step_patches_only_what_the_event_touched(monkeypatch):
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    patches = record_patches(monkeypatch)
    assigned = []
    monkeypatch.setattr(type(view.graph_view), "redraw_all",
                        lambda *a, **k: assigned.append(a))
    figure = view.graph_view.figure
    view.step()  # seed: the root and the edge into it
    view.step()  # BCE backward: fn0, loss (no longer current), z, the edges around fn0
    assert view.graph_view.figure is figure
    assert not assigned  # no full redraw for a step
    last = [(name, p) for name, p in patches][-3:]
    rows = {name: {r for col in p.values() for r, _ in col} for name, p in last}
    assert rows.get("gv_tensors", set()) <= {0, 1}  # loss and z only
    assert len(rows.get("gv_edges", set())) <= 3
    assert view.counter == "step 2 of 8"


def test_seed_graph_backward_matches_the_readme():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    assert view.counter == "step 0 of 8"
    assert view.step() and view.counter == "step 1 of 8"
    assert "loss" in view.sentence
    view.back()
    assert view.counter == "step 0 of 8"
    view.run()
    assert view.counter == "step 8 of 8"
    grads = view.leaf_grads()
    np.testing.assert_allclose(grads["b"], SEED_GRAD, atol=2e-4)
    np.testing.assert_allclose(grads["w"], np.tile(SEED_GRAD, (5, 1)), atol=2e-4)
    # Back restores: b.grad is None again before its AccumulateGrad step
    view.reset()
    assert view.leaf_grads()["b"] is None
    rows = view.graph_view.edge_source.data
    assert set(rows["color"]) == {style.EDGE_IDLE}


def test_backward_again_without_retain_graph_shows_pytorchs_error_and_changes_nothing():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    view.run()
    before = view.leaf_grads()["b"].copy()
    stepper = view.stepper
    assert view.backward_again() is False
    assert "Trying to backward through the graph a second time" in view.message
    assert view.stepper is stepper and view.counter == "step 8 of 8"
    np.testing.assert_array_equal(view.leaf_grads()["b"], before)


def test_backward_again_accumulates_and_zero_grads_resets():
    out, names = eye_graph()
    view = Explorer(out, names=names, gradient=torch.ones_like(out), retain_graph=True)
    view.run()
    np.testing.assert_array_equal(view.leaf_grads()["inp"], eye_expected(1))
    assert view.backward_again()
    np.testing.assert_array_equal(view.leaf_grads()["inp"], eye_expected(2))
    assert view.zero_grads() == ["inp"]
    np.testing.assert_array_equal(view.leaf_grads()["inp"], np.zeros((4, 5)))
    assert view.backward_again()
    np.testing.assert_array_equal(view.leaf_grads()["inp"], eye_expected(1))
    # The user's own tensor was driven too (the explorer shows the real .grad)
    np.testing.assert_array_equal(names["inp"].grad.numpy(), eye_expected(1))


def test_retain_graph_toggle_before_the_first_step_rebuilds_the_pass():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    view.retain_graph = True
    assert view.stepper.retain_graph is True
    view.run()
    assert view.backward_again()
    np.testing.assert_allclose(view.leaf_grads()["b"], 2 * SEED_GRAD, atol=3e-4)


def test_editing_an_input_replays_without_moving_the_layout():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    positions = dict(view.layout.positions)
    xs = list(view.graph_view.tensor_source.data["x"])
    view.run()
    assert view.set_input("x", [2, 2, 2, 2, 2]) is None
    assert view.counter == "step 0 of 8" and view.leaf_grads()["b"] is None
    assert view.layout.positions == positions
    assert list(view.graph_view.tensor_source.data["x"]) == xs
    expected_z = 2 * np.array(W).sum(0) + np.array(B)
    z_value = next(a["value"] for _, a in view.G.nodes(data=True) if a["label"] == "z")
    np.testing.assert_allclose(z_value, expected_z, atol=1e-4)
    assert names["x"].numpy().tolist() == [1.0] * 5  # the user's tensor is untouched
    view.run()
    np.testing.assert_allclose(view.leaf_grads()["b"],
                               1 / 3 / (1 + np.exp(-expected_z)), atol=2e-4)


@pytest.mark.parametrize("value, words", [
    ([[1, 2]], "cannot take the new inputs"),
    ([1.0, float("nan"), 1, 1, 1], "NaN"),
    (np.ones(10_001), "Too many numbers"),
])
def test_bad_input_gets_a_message_and_changes_nothing(value, words):
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    view.step()
    root, G, stepper = view.root, view.G, view.stepper
    message = view.set_input("x", value)
    assert words in message
    assert (view.root, view.G, view.stepper) == (root, G, stepper)
    assert view.counter == "step 1 of 8"


def test_toggling_requires_grad_changes_the_graph():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    assert view.set_requires_grad("x", True) is None
    assert "x" in view.leaf_grads()
    view.run()
    np.testing.assert_allclose(view.leaf_grads()["x"], np.array(W) @ SEED_GRAD, atol=3e-4)
    assert names["x"].requires_grad is False


def test_a_root_without_a_graph_shows_one_node_and_a_note():
    x = torch.ones(5, requires_grad=True)
    with torch.no_grad():
        z = x * 2
    view = Explorer(z, names={"z": z})
    assert view.G.number_of_nodes() == 1
    assert "No graph was recorded" in view.note.object
    assert view.stepper.total == 0 and view.stepper.step() is None
    assert view.step() is False and view.counter == "step 0 of 0"
    view2 = Explorer(x.detach(), names={})
    assert "No graph was recorded" in view2.note.object


def test_inspector_shows_value_grad_and_rule():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    view.run()
    wid = view.G.graph["ids"][id(names["w"])]
    view.select(wid)
    assert "0.1503" in view.inspector.body.object and "-0.5307" in view.inspector.body.object
    assert view.inspector.value_map.pane.visible  # 15 numbers: a heatmap too
    fid = view.G.graph["ids"][id(loss.grad_fn.next_functions[0][0])]
    view.select(fid)
    assert "AddBackward0" in view.inspector.body.object


def test_non_scalar_root_starts_from_ones_with_a_note():
    out, names = eye_graph()
    view = Explorer(out, names=names, retain_graph=True)
    assert "gradient=ones" in view.note.object
    view.run()
    np.testing.assert_array_equal(view.leaf_grads()["inp"], eye_expected(1))


def test_stepping_the_stepper_directly_then_refresh():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    view.stepper.step()
    view.stepper.step()
    view.refresh()
    assert view.counter == "step 2 of 8"
    assert view.graph_view.edge_source.data["color"].count(style.EDGE_IDLE) < len(
        view.graph_view.edge_source.data["color"])


def test_save_writes_a_static_file(tmp_path):
    loss, names = seed_graph()
    path = tmp_path / "graph.html"
    Explorer(loss, names=names).save(str(path))
    text = path.read_text()
    assert "gv_tensors" in text and "BinaryCrossEntropyWithLogits" in text


# --- big graphs: what is sent, and what is shown first --------------------------------------
def chain(steps: int):
    """An unrolled RNN (``h = tanh(h * w + b)``): 6 nodes a step, shared w and b."""
    torch.manual_seed(0)
    x, w, b = torch.randn(4), torch.randn(4, requires_grad=True), torch.randn(4, requires_grad=True)
    h = x
    for _ in range(steps):
        h = torch.tanh(h * w + b)
    loss = h.mean()
    return loss, {"x": x, "w": w, "b": b, "loss": loss}


def test_seed_graph_is_shown_whole_at_a_readable_scale_in_a_fitting_height():
    loss, names = seed_graph()
    view = Explorer(loss, names=names)
    gv = view.graph_view
    assert gv.view["mode"] == "fit"
    xmin, ymin, xmax, ymax = view.layout.bounds
    x0, x1 = gv.figure.x_range.start, gv.figure.x_range.end
    assert x0 <= xmin and x1 >= xmax
    assert gv.figure.height <= 400  # a flat graph: no tall empty box
    assert 1000 / (x1 - x0) >= 0.75  # px per data unit: 12 px labels stay above ~10 px


def test_a_big_graph_starts_zoomed_in_on_its_root_and_the_view_follows_the_step():
    loss, names = chain(90)  # ~550 nodes
    view = Explorer(loss, names=names)
    gv, fig = view.graph_view, view.graph_view.figure
    assert gv.view["mode"] == "right"
    rx, ry = view.layout.positions[view.G.graph["roots"][0]]
    assert fig.x_range.start < rx < fig.x_range.end and fig.y_range.start < ry < fig.y_range.end
    xmin, _, xmax, _ = view.layout.bounds
    assert fig.x_range.end - fig.x_range.start < (xmax - xmin) / 10  # readable, not all of it
    span = fig.x_range.end - fig.x_range.start
    for _ in range(120):  # walk left past the first screenful
        view.step()
    cx, cy = view.layout.positions[view._current_node()]
    assert fig.x_range.start <= cx <= fig.x_range.end and fig.y_range.start <= cy <= fig.y_range.end
    assert fig.x_range.end - fig.x_range.start == pytest.approx(span)  # panned, not zoomed


def test_big_graph_sends_bounded_columns_and_steps_patch_only_touched_rows(monkeypatch):
    import json

    loss, names = chain(90)
    # (with its hover text in the sources, as a saved page has it; the live page's is sent
    # when hovered: tests/test_lazy_hover.py)
    view = Explorer(loss, names=names, lazy_hover=False)
    gv = view.graph_view
    n_nodes = view.G.number_of_nodes()
    # Per-node hover text is a few lines whatever the tensor's size: bounded bytes per node.
    text = sum(len(json.dumps(list(gv.tensor_source.data[k])))
               for k in ("value_text", "grad_text", "shape_text"))
    assert text / n_nodes < 200
    patches = record_patches(monkeypatch)
    sources = (gv.tensor_source, gv.function_source, gv.edge_source, gv.tensor_text,
               gv.function_text)
    columns = {(s.name, k): id(v) for s in sources for k, v in s.data.items()}
    for _ in range(5):
        view.step()
    # No column was replaced (a patch changes cells in place).
    assert {(s.name, k): id(v) for s in sources for k, v in s.data.items()} == columns
    rows = {}
    for name, p in patches:
        rows.setdefault(name, set()).update(r for col in p.values() for r, _ in col)
    # Five events touch a handful of rows of the ~300 tensors, ~270 functions, ~350 edges.
    assert len(rows.get("gv_tensors", ())) <= 10 and len(rows.get("gv_functions", ())) <= 10
    assert len(rows.get("gv_edges", ())) <= 20
    assert "gv_tensor_text" not in rows and "gv_function_text" not in rows  # text untouched


def test_unnamed_root_is_L_in_the_sentence():
    from gradviz.autograd.describe import describe

    x, w = torch.ones(4), torch.ones(4, requires_grad=True)
    out = (x * w).sum()
    view = Explorer(out, names={"w": w})
    view.step()
    assert view.sentence == "Backward starts at L: dL/dL = 1."
    view.step()
    assert "dL/dL" in view.sentence and "scalar" not in view.sentence
    view.step()
    assert "dL/d(the output of MulBackward0)" in view.sentence and "(4)" not in view.sentence
    assert describe  # named roots keep their name: tests/test_stepper.py
