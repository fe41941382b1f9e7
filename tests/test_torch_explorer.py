"""The explorer on PyTorch's own graphs (gradviz.explore(torch_tensor)) and on the function form
(gradviz.explore(fn, x=x, ...)), driven from Python. The truth is PyTorch run on an identical
twin: plain backward() calls, .grad.zero_(), and the function called directly."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import gradviz

pytestmark = pytest.mark.torch


def layer_and_loss(torch):
    torch.manual_seed(0)
    model = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    x = torch.randn(2, 3, 8)
    return model, x


def grads(model):
    return {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}


def equal(torch, a, b):
    return a.keys() == b.keys() and all(
        (a[k] is None and b[k] is None) or (a[k] is not None and b[k] is not None and torch.equal(a[k], b[k]))
        for k in a)


def test_explorer_steps_pytorchs_pass_and_its_actions_match_pytorch(torch):
    model, x = layer_and_loss(torch)
    twin = copy.deepcopy(model)
    with gradviz.trace(model):
        loss = model(x).pow(2).mean()
    twin_loss = twin(x).pow(2).mean()
    view = gradviz.explore(loss)
    assert "Recorded from PyTorch's engine" in view.note.object
    leaves = {d["label"] for _, d in view.G.nodes(data=True) if d.get("role") == "leaf"}
    assert leaves == {n for n, _ in model.named_parameters()}
    assert "gradviz.explore(" in view.editors_column.objects[0].object  # the function form

    start = grads(model)
    for _ in range(5):
        view.step()
    view.back()
    view.reset()
    assert equal(torch, grads(model), start)
    view.run()
    twin_loss.backward(retain_graph=True)
    after_one = grads(twin)
    assert equal(torch, grads(model), after_one)

    # retain_graph ticked at the end re-plans this pass keeping the graph: Backward again runs.
    view.retain_graph = True
    assert view.backward_again()
    view.run()
    twin_loss.backward(retain_graph=True)
    assert equal(torch, grads(model), grads(twin))

    # Unticked: this pass frees the graph, and Backward again shows PyTorch's error.
    view.retain_graph = False
    before = grads(model)
    counter = view.counter
    assert not view.backward_again()
    assert "backward through the graph a second time" in view.message
    assert equal(torch, grads(model), before) and view.counter == counter

    # Zero grads zeroes the real .grad; Back restores it exactly.
    view.zero_grads()
    assert all(torch.equal(p.grad, torch.zeros_like(p)) for p in model.parameters())
    view.back()
    assert equal(torch, grads(model), before)


def test_function_form_calls_the_function_again_on_an_edit(torch):
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)

    def loss_of(x, y):
        return torch.nn.functional.mse_loss(lin(x), y)

    x, y = torch.randn(4, 3), torch.randn(4, 2)
    view = gradviz.explore(loss_of, x=x, y=y)
    assert {e.name_label for e in view.editors.values()} == {"x", "y"}
    assert view.root.item() == loss_of(x, y).item()
    new_x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    assert view.set_input("x", new_x) is None
    assert view.root.item() == loss_of(torch.from_numpy(new_x), y).item()
    assert torch.equal(x, x.clone())  # the user's tensor is untouched
    view.run()
    lin_twin = copy.deepcopy(lin)
    lin_twin.zero_grad(set_to_none=True)
    torch.nn.functional.mse_loss(lin_twin(torch.from_numpy(new_x)), y).backward()
    assert torch.equal(lin.weight.grad, lin_twin.weight.grad)
    # A shape the function cannot take: its own error, nothing changed.
    counter, root = view.counter, view.root
    message = view.set_input("x", np.ones((4, 5)))
    assert "cannot be multiplied" in message
    assert view.counter == counter and view.root is root
    # Back undoes the edit: the first graph again.
    view.reset()
    view.back()
    assert view.root.item() == loss_of(x, y).item()


def test_function_form_works_for_gradviz_graphs_too():
    w = gradviz.tensor([1.0, -2.0], requires_grad=True)
    x = gradviz.tensor([3.0, 4.0])

    def f(x, w):
        return (x * w).sum()

    view = gradviz.explore(f, x=x, w=w)
    assert view.set_input("x", [0.5, 0.25]) is None
    assert float(view.root.item()) == 0.5 * 1.0 + 0.25 * -2.0
    view.run()
    new_w = view.timeline.scene.extra["function"].inputs["w"]
    np.testing.assert_array_equal(new_w.grad.numpy(), [0.5, 0.25])
    assert w.grad is None  # the user's own w is never touched by an edit


def test_playground_offers_the_pytorch_example_and_says_how_to_get_torch(torch, monkeypatch):
    import importlib.util

    from gradviz.apps.playground import PlaygroundApp

    app = PlaygroundApp(example="torch")
    assert isinstance(app.explorer.root, torch.Tensor)
    assert "Recorded from PyTorch's engine" in app.explorer.note.object
    leaves = {d["label"] for _, d in app.explorer.G.nodes(data=True) if d.get("role") == "leaf"}
    layer = app._example.names["layer"]
    assert leaves == {n for n, _ in layer.named_parameters()}
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else find_spec(name, *a))
    app = PlaygroundApp(example="torch")
    assert "pip install torch" in app.description.object and app.graph.objects == []


def test_values_pytorch_does_not_keep_are_said_so_and_freed_graphs_open(torch):
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return g * 2 + 0 * a

    a = torch.randn(3, requires_grad=True)
    y = (Double.apply(a) * 3).sum()
    y.backward()  # frees the graph before it is shown
    view = gradviz.explore(y)
    unknown = [n for n, d in view.G.nodes(data=True) if d["kind"] == "tensor" and d["value"] is None]
    assert unknown  # Double's output: nothing holds it
    view.select(unknown[0])
    assert "not kept" in view.inspector.body.object
    fn = next(n for n, d in view.G.nodes(data=True) if d.get("name") == "DoubleBackward")
    view.select(fn)
    assert "shape unknown, freed" in view.inspector.body.object
    assert not view.backward_again()  # PyTorch's own error: Double's saved tensor is gone
    assert "second time" in view.message


def test_retained_intermediates_are_stepped_too(torch):
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)
    h = w * 2
    h.retain_grad()
    loss = (h * h).sum()
    view = gradviz.explore(loss)
    assert h.grad is None and w.grad is None  # the recording put both back
    kinds = [e.kind for e in view.stepper.events]
    assert "retain" in kinds
    view.run()
    w2 = w.detach().clone().requires_grad_()
    h2 = w2 * 2
    h2.retain_grad()
    (h2 * h2).sum().backward()
    assert torch.equal(h.grad, h2.grad) and torch.equal(w.grad, w2.grad)
    view.reset()
    assert h.grad is None and w.grad is None


def test_a_node_with_several_outputs_shows_each_outputs_gradient(torch):
    torch.manual_seed(0)
    a = torch.randn(6, requires_grad=True)
    p, q, r = (a * 1).chunk(3)
    loss = (p * 2).sum() + (q * 3).sum() + (r * 5).sum()
    view = gradviz.explore(loss)
    view.run()
    G = view.G
    (split,) = [n for n, d in G.nodes(data=True) if d.get("name") == "SplitBackward0"]
    shown = {G.edges[split, out]["input_nr"]: view.timeline.edge_grads.get((split, out))
             for out in G.successors(split)}
    assert sorted(shown) == [0, 1, 2]
    for k, factor in enumerate((2.0, 3.0, 5.0)):  # d loss / d output k, by hand
        np.testing.assert_array_equal(shown[k], np.full(2, factor, dtype=np.float32))
