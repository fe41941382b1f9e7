"""The named example graphs: each builds, its code is what ran, and its gradients match numbers
worked out by hand (or, for "seed", the numbers in shared/seed/README.md)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import gradviz
from gradviz import examples


def _backward(ex):
    with np.errstate(all="ignore"):
        ex.root.backward(**ex.kwargs)


def test_registry_lists_the_examples():
    assert list(examples.EXAMPLES) == ["seed", "eye", "mlp", "broadcast", "nan", "custom", "torch"]
    assert set(examples.TITLES) == set(examples.EXAMPLES)
    with pytest.raises(KeyError, match="seed"):
        examples.build("nope")


@pytest.mark.parametrize("name", [n for n in examples.EXAMPLES if n != "torch"])  # torch: test_torch_explorer
def test_each_example_unpacks_and_its_code_reruns(name):
    root, names, kwargs, description, code = examples.build(name)
    assert description and code.startswith("import gradviz as torch")
    assert any(t is root for t in names.values())
    # The code shown is runnable on its own and defines the same tensor values.
    ns = examples.run_code(code.split("# the explorer steps through:")[0])
    for label, tensor in names.items():
        if "." not in label:
            np.testing.assert_array_equal(ns[label].detach().numpy(), tensor.detach().numpy())


def test_every_build_is_a_fresh_graph():
    a, b = examples.build("seed"), examples.build("seed")
    assert a.root is not b.root and a.names["w"] is not b.names["w"]


def test_seed_matches_the_readme():
    ex = examples.build("seed")
    w = [[-0.5307, -0.7968, -0.2264], [0.1109, -0.1617, 0.1858], [-0.8023, -0.0873, -0.1678],
         [0.7206, -1.1387, -0.4571], [1.4859, 1.2503, 0.4301]]
    np.testing.assert_allclose(ex.names["w"].detach().numpy(), w, rtol=0, atol=1e-7)
    np.testing.assert_allclose(ex.names["b"].detach().numpy(), [-1.1817, -0.3948, -0.1673], atol=1e-7)
    np.testing.assert_allclose(ex.names["z"].detach().numpy(), [-0.1973, -1.3290, -0.4027], atol=1e-4)
    assert float(ex.root.item()) == pytest.approx(0.4487186372280121, abs=1e-6)
    assert type(ex.root.grad_fn).__name__ == "BinaryCrossEntropyWithLogitsBackward0"
    assert ex.kwargs == {}
    _backward(ex)
    np.testing.assert_allclose(ex.names["w"].grad.numpy(), [[0.1503, 0.0698, 0.1336]] * 5, atol=1e-4)
    np.testing.assert_allclose(ex.names["b"].grad.numpy(), [0.1503, 0.0698, 0.1336], atol=1e-4)
    assert ex.names["x"].grad is None


def test_eye_is_a_jacobian_vector_product_that_accumulates():
    ex = examples.build("eye")
    assert ex.kwargs["retain_graph"] is True
    assert tuple(ex.kwargs["gradient"].shape) == (5, 4)
    np.testing.assert_array_equal(ex.kwargs["gradient"].numpy(), np.ones((5, 4)))
    inp = ex.names["inp"]
    # d/dx (x + 1)^2 = 2 (x + 1): 4 on the diagonal of eye(4, 5), 2 elsewhere (README, In [6]).
    first = np.full((4, 5), 2.0)
    np.fill_diagonal(first, 4.0)
    _backward(ex)
    np.testing.assert_array_equal(inp.grad.numpy(), first)
    _backward(ex)
    np.testing.assert_array_equal(inp.grad.numpy(), 2 * first)


def test_mlp_is_a_small_deterministic_classifier():
    a, b = examples.build("mlp"), examples.build("mlp")
    np.testing.assert_array_equal(a.root.detach().numpy(), b.root.detach().numpy())
    assert tuple(a.names["X"].shape) == (4, 2)
    assert tuple(a.names["fc1.weight"].shape) == (4, 2)
    assert tuple(a.names["fc2.weight"].shape) == (3, 4)
    # Cross-entropy of 3 classes, recomputed with plain numpy from the logits.
    logits = a.names["logits"].detach().numpy().astype(np.float64)
    target = np.array([0, 2, 1, 2])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert float(a.root.item()) == pytest.approx(-logp[np.arange(4), target].mean(), rel=1e-5)
    _backward(a)
    # dL/dlogits = (softmax - onehot) / 4, so dL/dbias2 is its column sum.
    p = np.exp(logp)
    p[np.arange(4), target] -= 1
    np.testing.assert_allclose(a.names["fc2.bias"].grad.numpy(), p.sum(0) / 4, atol=1e-6)


def test_broadcast_sums_over_broadcast_axes_and_shared_uses():
    ex = examples.build("broadcast")
    # loss = sum(s^2 + s), s_ij = a_i + b_j  =>  dL/ds = 2 s + 1
    # a.grad_i = sum_j (2 a_i + 2 b_j + 1) = 8 a_i + 2*1.0 + 4 ; b.grad_j = 2*6 + 6 b_j + 3
    assert float(ex.root.item()) == pytest.approx(95.9, abs=1e-4)
    _backward(ex)
    np.testing.assert_allclose(ex.names["a"].grad.numpy(), [[14.0], [22.0], [30.0]], atol=1e-5)
    np.testing.assert_allclose(ex.names["b"].grad.numpy(), [[15.6, 16.2, 16.8, 17.4]], atol=1e-5)


def test_nan_example_produces_nan_loss_and_gradient():
    ex = examples.build("nan")
    assert np.isnan(float(ex.root.item()))
    assert np.isneginf(ex.names["logp"].detach().numpy()[0])
    _backward(ex)
    g = ex.names["p"].grad.numpy()
    # d/dp [-(p log p)] = -(log p + 1); at p = 0 it is not finite.
    assert not np.isfinite(g[0])
    np.testing.assert_allclose(g[1:], [-(np.log(0.25) + 1), -(np.log(0.75) + 1)], rtol=1e-5)


def test_examples_do_not_import_panel():
    code = "import sys, gradviz.examples; sys.exit('panel' in sys.modules or 'bokeh' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_custom_function_example_shows_the_users_backward():
    ex = examples.build("custom")
    G = gradviz.to_networkx(ex.root, names=ex.names)
    (node,) = [d for _, d in G.nodes(data=True) if d.get("label") == "LegendreP3Backward"]
    assert node["rule"] == "LegendreP3.backward: dP3/dx = 1.5 · (5x² − 1), times the incoming gradient"
    ex.root.backward()
    names = ex.names
    x = names["c"].detach().numpy() + names["d"].detach().numpy() * names["x"].numpy()
    # dloss/dc by hand: 2 (y_pred - y) · b · P3'(c + d x), summed over the 3 points.
    y_pred = names["a"].item() + names["b"].item() * 0.5 * (5 * x ** 3 - 3 * x)
    expected = (2 * (y_pred - names["y"].numpy()) * names["b"].item() * 1.5 * (5 * x ** 2 - 1)).sum()
    assert names["c"].grad.item() == pytest.approx(expected, rel=1e-5)
