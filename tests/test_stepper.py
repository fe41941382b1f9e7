"""The Stepper against independent truths: backward() on a twin graph, hand-built graphs whose
events are known, and PyTorch's errors; and undo that restores every gradient bit for bit."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradviz as gv
from gradviz.autograd.describe import describe
from gradviz.graph import to_networkx
from tests.graph_programs import leaf_grads, random_program, seed_graph

FREED = "Trying to backward through the graph a second time"


def test_events_of_a_hand_built_graph():
    # loss = (a * b).sum(): PyTorch runs SumBackward0, then MulBackward0, then the two leaves
    # (b's AccumulateGrad was created last, and ready nodes run latest-created first).
    a = gv.tensor([1.0, 2.0], requires_grad=True)
    b = gv.tensor([3.0, 4.0], requires_grad=True)
    loss = (a * b).sum()
    s = gv.Stepper(loss)
    assert s.total == 6  # seed, Sum, Mul, accumulate x2, done -- known before any step
    kinds = []
    while (e := s.step()) is not None:
        kinds.append((e.kind, e.node.name() if e.kind in ("call", "accumulate", "seed") else None))
    assert kinds == [("seed", "SumBackward0"), ("call", "SumBackward0"), ("call", "MulBackward0"),
                     ("accumulate", "AccumulateGrad"), ("accumulate", "AccumulateGrad"),
                     ("done", None)]
    mul = s.events[2]
    # d(a*b)/da = b, d(a*b)/db = a, times the incoming ones.
    np.testing.assert_array_equal(mul.grads_out[0], [3.0, 4.0])
    np.testing.assert_array_equal(mul.grads_out[1], [1.0, 2.0])
    assert s.position == s.total and s.done


def test_running_to_the_end_equals_backward_on_the_seed():
    v, twin = seed_graph(), seed_graph()
    twin["loss"].backward()
    s = gv.Stepper(v["loss"])
    s.run()
    for name in ("w", "b"):
        np.testing.assert_array_equal(v[name].grad.numpy(), twin[name].grad.numpy())
    np.testing.assert_allclose(v["b"].grad.numpy(), [0.1503, 0.0698, 0.1336], atol=1e-4)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 60))
def test_random_programs_step_to_backward_and_back_to_the_start(seed, cut):
    root, leaves = random_program(seed)
    twin_root, twin_leaves = random_program(seed)
    # Give some leaves a gradient already, so accumulation (not just assignment) is checked.
    for t, tw in zip(leaves[:2], twin_leaves[:2]):
        g = np.full(t.shape, 0.5)
        t.grad, tw.grad = gv.tensor(g), gv.tensor(g.copy())
    start = leaf_grads(leaves)
    twin_root.backward()

    s = gv.Stepper(root)
    total = s.total
    stop = min(cut, total)
    for _ in range(stop):
        s.step()
    s.back() if stop else None
    s.run()
    assert s.position == total == len(s.events)
    for got, want in zip(leaf_grads(leaves), leaf_grads(twin_leaves)):
        np.testing.assert_array_equal(got, want)

    s.reset()
    for got, want in zip(leaf_grads(leaves), start):
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, want)
    # Everything the pass freed is back: a real backward() now works and matches the twin.
    root.backward()
    for got, want in zip(leaf_grads(leaves), leaf_grads(twin_leaves)):
        np.testing.assert_array_equal(got, want)


def test_back_restores_freed_saved_tensors_and_step_frees_them_again():
    v = seed_graph()
    s = gv.Stepper(v["loss"])
    s.run()
    bce = v["loss"].grad_fn
    with pytest.raises(RuntimeError, match=FREED):
        bce._saved_self
    s.reset()
    np.testing.assert_array_equal(bce._saved_self.numpy(force=True), v["z"].numpy(force=True))
    s.run()
    with pytest.raises(RuntimeError, match=FREED):
        bce._saved_self


def test_a_second_pass_on_a_retained_graph_accumulates():
    # The tutorial's In [6]: 4 on the diagonal / 2 elsewhere, then 8 / 4.
    inp = gv.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    expected = 2 * (np.eye(4, 5) + 1)
    gv.Stepper(out, gradient=gv.ones_like(out), retain_graph=True).run()
    np.testing.assert_array_equal(inp.grad.numpy(), expected)
    second = gv.Stepper(out, gradient=gv.ones_like(out), retain_graph=True)
    second.run()
    np.testing.assert_array_equal(inp.grad.numpy(), 2 * expected)
    second.reset()
    np.testing.assert_array_equal(inp.grad.numpy(), expected)


def test_a_pass_on_a_freed_graph_raises_pytorchs_error_and_changes_nothing():
    v = seed_graph()
    v["loss"].backward()
    before = v["w"].grad.numpy().copy()
    s = gv.Stepper(v["loss"])
    with pytest.raises(RuntimeError, match=FREED):
        s.step()
    assert s.position == 0
    np.testing.assert_array_equal(v["w"].grad.numpy(), before)


def test_implicit_gradient_of_a_non_scalar_is_refused_up_front():
    a = gv.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        gv.Stepper(a * 2)


def test_undo_keeps_only_what_each_event_changed():
    # Memory grows with what events change: a call event holds the gradients it sent, an
    # accumulate event the leaf's grad before and after -- no copies of unrelated gradients.
    v = seed_graph()
    s = gv.Stepper(v["loss"])
    s.run()
    for e in s.events:
        if e.kind == "accumulate":
            assert e.before is None and e.after.shape == e.tensor.shape
        if e.kind == "call":
            assert len(e.grads_out) == len(e.node.next_functions)


def test_every_event_has_a_sentence_naming_the_tensors():
    v = seed_graph()
    G = to_networkx(v["loss"], names=v)
    s = gv.Stepper(v["loss"])
    sentences = []
    while (e := s.step()) is not None:
        sentences.append(describe(e, G))
    text = "\n".join(sentences)
    assert sentences[0] == "Backward starts at loss: dloss/dloss = 1."
    assert "AddBackward0 passes dloss/dz" in text and "unchanged to both inputs" in text
    assert "in b.grad (it was None)" in text and "in w.grad (it was None)" in text
    assert "y needs no gradient" in text and "x needs no gradient" in text
    # b.grad's values from the seed README appear in the sentence of its accumulation.
    assert "[0.1503, 0.06981, 0.1336]" in text or "[0.1503, 0.0698, 0.1336]" in text


def test_stepper_matches_torch_on_random_programs(torch):
    for seed in range(5):
        root, leaves = random_program(seed)
        gv.Stepper(root).run()
        # The same program in torch, from the same leaf values.
        t_root, t_leaves = random_program(seed, lib=torch)
        np.testing.assert_array_equal(leaves[0].detach().numpy(), t_leaves[0].detach().numpy())
        t_root.backward()
        for got, want in zip(leaves, t_leaves):
            if want.grad is None:
                assert got.grad is None
            else:
                np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-10, atol=1e-12)
