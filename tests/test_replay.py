"""Replay: the recorded graph run forward with new inputs equals the program run again on
those inputs, keeps its structure and ids, and refuses what the ops cannot take without
touching the old graph."""
from __future__ import annotations

import numpy as np
import pytest

import gradviz as gv
from gradviz.graph import ReplayError, replay, same_structure, sources, to_networkx
from tests.graph_programs import SEED_B, SEED_W, seed_graph


def seed_with(x_values):
    """The tutorial's program run again from scratch with another x: the independent truth."""
    x = gv.tensor(x_values)
    w = gv.tensor(SEED_W, requires_grad=True)
    b = gv.tensor(SEED_B, requires_grad=True)
    z = gv.matmul(x, w) + b
    return gv.nn.functional.binary_cross_entropy_with_logits(z, gv.zeros(3)), w, b


def test_replay_with_a_new_constant_equals_running_the_program_again():
    v = seed_graph()
    new_x = [0.5, -1.0, 2.0, 0.0, 1.5]
    r = replay(v["loss"], {v["x"]: new_x})
    want, w2, b2 = seed_with(new_x)
    assert r.root.item() == pytest.approx(want.item(), rel=1e-6)
    r.root.backward()
    want.backward()
    np.testing.assert_allclose(r.tensors[v["w"]].grad.numpy(), w2.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(r.tensors[v["b"]].grad.numpy(), b2.grad.numpy(), rtol=1e-6)


def test_replay_keeps_structure_and_ids_and_leaves_the_old_graph_alone():
    v = seed_graph()
    old_loss = v["loss"].item()
    G = to_networkx(v["loss"], names=v)
    r = replay(v["loss"], {v["w"]: np.zeros((5, 3))})
    names = r.names({id(t): k for k, t in v.items()})
    G2 = to_networkx(r.root, names=names)
    assert same_structure(G, G2)
    assert [G.nodes[n]["label"] for n in G] == [G2.nodes[n]["label"] for n in G2]
    # z = b when w is zero.
    np.testing.assert_allclose(r.tensors[v["z"]].detach().numpy(), SEED_B, rtol=1e-6)
    assert v["loss"].item() == old_loss
    assert v["w"].grad is None and r.tensors[v["w"]].requires_grad


def test_a_shape_the_ops_cannot_take_gives_a_clear_error():
    v = seed_graph()
    with pytest.raises(ReplayError, match="matmul") as info:
        replay(v["loss"], {v["x"]: np.ones(4)})
    assert "cannot be multiplied" in str(info.value) or "size mismatch" in str(info.value)
    np.testing.assert_array_equal(v["x"].numpy(), np.ones(5))


def test_only_leaves_and_constants_take_values():
    v = seed_graph()
    with pytest.raises(ReplayError, match="only leaves and constants"):
        replay(v["loss"], {v["z"]: np.zeros(3)})
    other = gv.ones(2)
    with pytest.raises(ReplayError, match="not part of this graph"):
        replay(v["loss"], {other: np.zeros(2)})


def test_values_are_converted_to_the_old_dtype():
    v = seed_graph()
    r = replay(v["loss"], {v["x"]: np.arange(5)})  # int64 in, float32 tensor out
    assert r.tensors[v["x"]].dtype == gv.float32
    with pytest.raises(ReplayError, match="expected numbers"):
        replay(v["loss"], {v["x"]: np.array(["a"] * 5)})


def test_sources_are_the_leaves_and_constants():
    v = seed_graph()
    found = sources(v["loss"])
    assert {id(t) for t in found} == {id(v["x"]), id(v["w"]), id(v["b"]), id(v["y"])}


def test_no_grad_parts_stay_unrecorded_on_replay():
    w = gv.tensor([1.0, 2.0], requires_grad=True)
    with gv.no_grad():
        scale = w * 3
    out = (w * scale).sum()
    r = replay(out, {w: [2.0, 2.0]})
    # d/dw sum(w * scale) = scale (a constant): 6, 6 for the new w.
    r.root.backward()
    np.testing.assert_allclose(r.tensors[w].grad.numpy(), [6.0, 6.0])


def test_replay_of_a_deep_chain_does_not_recurse():
    t = gv.tensor(1.0, requires_grad=True)
    out = t
    for _ in range(5000):
        out = out * 1.0001
    r = replay(out, {t: 2.0})
    assert r.root.item() == pytest.approx(2.0 * 1.0001 ** 5000, rel=1e-3)


def test_in_place_changes_cannot_be_replayed():
    w = gv.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    h.add_(1)
    with pytest.raises(ReplayError, match="in place"):
        replay(h.sum(), {w: [0.0, 0.0]})
