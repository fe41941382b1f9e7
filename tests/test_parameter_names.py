"""A gradviz.nn model's parameters are named by their paths in the graph (``0.weight``,
``blocks.3.attn.query.weight``), as PyTorch's ``named_parameters()`` names them: from a
module among the caller's variables, or from ``names={"model": model}``. Tensors named
explicitly keep their names."""
from __future__ import annotations

import pytest

import gradviz
from gradviz import nn


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _leaf_names(G) -> set:
    return {a.get("name") for a in G.nodes.values()
            if a["kind"] == "tensor" and a.get("role") == "leaf"}


# PyTorch's names for this Sequential's parameters (torch.nn.Sequential(Linear, Tanh, Linear)).
SEQUENTIAL_PATHS = {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_a_model_among_the_callers_variables_names_its_parameters():
    model = _model()
    x = gradviz.ones(3)
    loss = model(x).sum()
    G = gradviz.to_networkx(loss)
    assert _leaf_names(G) == SEQUENTIAL_PATHS
    assert {a.get("name") for a in G.nodes.values()} >= {"x", "loss"}


def test_paths_win_over_a_plain_variable_holding_a_parameter():
    model = _model()
    first_weight = model[0].weight  # noqa: F841 - a caller variable the export sees
    loss = model(gradviz.ones(3)).sum()
    assert "0.weight" in _leaf_names(gradviz.to_networkx(loss))


def test_names_given_as_model_and_tensors():
    model = _model()
    x = gradviz.ones(3)
    loss = model(x).sum()
    G = gradviz.to_networkx(loss, names={"model": model, "W": model[2].weight, "x": x})
    assert _leaf_names(G) == {"0.weight", "0.bias", "W", "2.bias"}


def test_nested_modules_give_qualified_paths():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.Linear(2, 2, bias=False)

        def forward(self, x):
            return self.attn(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([Block(), Block()])

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    net = Net()
    block = net.blocks[1]  # noqa: F841 - the whole model names first, not its part
    loss = net(gradviz.ones(2)).sum()
    assert _leaf_names(gradviz.to_networkx(loss)) == {"blocks.0.attn.weight",
                                                      "blocks.1.attn.weight"}


@pytest.mark.torch
def test_paths_are_pytorchs():
    torch = pytest.importorskip("torch")
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = _model()
    loss = model(gradviz.ones(3)).sum()
    assert _leaf_names(gradviz.to_networkx(loss)) == {n for n, _ in reference.named_parameters()}


def test_a_name_for_something_else_is_refused():
    loss = gradviz.ones(2, requires_grad=True).sum()
    with pytest.raises(TypeError, match="names must map names to tensors or gradviz.nn modules"):
        gradviz.to_networkx(loss, names={"model": "not a module"})


# --- without any variable naming them: the module calls that used them do ---------------------
def _loss_of_a_model_made_elsewhere():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.query = nn.Linear(2, 2, bias=False)
            self.scale = nn.Parameter(gradviz.ones(2))

        def forward(self, x):
            return self.query(x) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([Block(), Block()])
            self.head = nn.Linear(2, 1)

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            # The head's weight used directly, not by calling the head.
            return nn.functional.linear(x, self.head.weight, self.head.bias)

    return Net()(gradviz.ones(2)).sum()


def test_parameters_are_named_by_the_module_calls_that_used_them():
    loss = _loss_of_a_model_made_elsewhere()
    G = gradviz.to_networkx(loss, names={})
    # named_parameters() of Net, written out by hand
    assert _leaf_names(G) == {"blocks.0.query.weight", "blocks.0.scale",
                              "blocks.1.query.weight", "blocks.1.scale",
                              "head.weight", "head.bias"}


def test_a_name_given_wins_over_the_modules_path():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, x):
            return self.fc(x)

    net = Net()
    loss = net(gradviz.ones(2)).sum()
    G = gradviz.to_networkx(loss, names={"W": net.fc.weight})
    assert _leaf_names(G) == {"W", "fc.bias"}


def test_a_plain_tensor_used_inside_a_module_keeps_its_shape_label():
    extra = gradviz.ones(2, requires_grad=True)

    class Net(nn.Module):
        def forward(self, x):
            return x * extra

    loss = Net()(gradviz.ones(2)).sum()
    G = gradviz.to_networkx(loss, names={})
    labels = {a["label"] for a in G.nodes.values() if a.get("role") == "leaf"}
    assert labels == {"(2)"}
