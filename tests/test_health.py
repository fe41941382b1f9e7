"""Gradient health labels, checked on hand-made gradients and on graphs that really produce
NaN, zero and exploding gradients."""
from __future__ import annotations

import numpy as np

import gradviz as gv
from gradviz.graph import to_networkx
from gradviz.health import Thresholds, gradient_health, magnitude


def test_labels_on_hand_made_gradients():
    assert gradient_health(None) is None
    assert gradient_health(np.array([1.0, np.nan])) == "nan"
    assert gradient_health(np.array([1.0, -np.inf])) == "inf"
    assert gradient_health(np.array([0.0, 0.0])) == "zero"
    assert gradient_health(np.array([1e-9, -1e-8])) == "vanishing"
    assert gradient_health(np.array([5e3, 1.0])) == "exploding"
    assert gradient_health(np.array([0.5, -2.0])) == "ok"
    assert gradient_health(np.array([0.5]), Thresholds(vanishing=1.0)) == "vanishing"
    assert magnitude(np.array([-3.0, 2.0])) == 3.0


def test_export_marks_nan_from_log_of_zero():
    x = gv.tensor([0.0, 1.0], requires_grad=True)
    loss = gv.log(x).sum()
    loss.backward()
    G = to_networkx(loss, names={"x": x, "loss": loss})
    (xnode,) = [d for _, d in G.nodes(data=True) if d["label"] == "x"]
    # d/dx log(x) = 1/x: inf at 0.
    assert xnode["grad_health"] == "inf"


def test_export_marks_a_dead_relu_as_zero_and_a_steep_chain_as_exploding():
    a = gv.tensor([-1.0, -2.0], requires_grad=True)
    gv.relu(a).sum().backward()
    b = gv.tensor([1.0], requires_grad=True)
    out = b
    for _ in range(12):
        out = out * 3.0
    out.sum().backward()
    G = to_networkx([gv.relu(a).sum(), out.sum()], names={"a": a, "b": b})
    health = {d["label"]: d["grad_health"] for _, d in G.nodes(data=True) if d["kind"] == "tensor"}
    assert health["a"] == "zero"
    assert health["b"] == "exploding"  # 3**12 = 531441
