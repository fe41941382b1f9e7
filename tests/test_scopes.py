"""Scopes: every recorded op knows which module calls and gradviz.scope blocks were running."""
import numpy as np
import pytest

import gradviz as torch
from gradviz import nn


class Attn(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(4, 4)
        self.k = nn.Linear(4, 4)

    def forward(self, x):
        return self.q(x) * self.k(x)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = Attn()
        self.mlp = nn.Sequential(nn.Linear(4, 4), nn.ReLU())

    def forward(self, x):
        return x + self.mlp(self.attn(x))


class Net(nn.Module):
    def __init__(self, n=2):
        super().__init__()
        self.blocks = nn.Sequential(*[Block() for _ in range(n)])
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        return self.head(self.blocks(x))


def _fn_scopes(G):
    return {d["scope"] for _, d in G.nodes(data=True) if d["kind"] == "function"}


def test_module_calls_push_qualified_names():
    torch.manual_seed(0)
    net = Net()
    loss = net(torch.randn(3, 4)).sum()
    G = torch.to_networkx(loss, {"loss": loss})
    scopes = _fn_scopes(G)
    # named_modules spells the qualified names; the outermost module is named by its class.
    qualified = {name for name, _ in net.named_modules() if name}
    assert ("Net", "blocks", "blocks.1", "blocks.1.attn", "blocks.1.attn.q") in scopes
    assert ("Net", "blocks", "blocks.0", "blocks.0.mlp", "blocks.0.mlp.1") in scopes  # ReLU
    inner = {s[-1] for s in scopes if len(s) > 1}
    assert inner <= qualified
    # The sum was recorded outside every module.
    root_fn = [n for n, d in G.nodes(data=True) if d["label"] == "SumBackward0"]
    assert G.nodes[root_fn[0]]["scope"] == ()
    assert G.nodes[G.graph["roots"][0]]["scope"] == ()


def test_graph_lists_scopes_with_module_classes():
    torch.manual_seed(0)
    net = Net(1)
    with torch.scope("loss part"):
        loss = net(torch.randn(3, 4)).pow(2).mean()
    G = torch.to_networkx(loss, {})
    scopes = G.graph["scopes"]
    modules = dict(net.named_modules())
    assert scopes[("loss part",)] is None
    assert scopes[("loss part", "Net")] == "Net"
    for path, cls in scopes.items():
        if len(path) > 2:
            assert cls == type(modules[path[-1]]).__name__
    # every scope a node has is listed, with all its prefixes
    for _, d in G.nodes(data=True):
        for i in range(1, len(d["scope"]) + 1):
            assert d["scope"][:i] in scopes
    # in the order the scopes were entered: a parent before its children
    order = list(scopes)
    for path in order:
        if len(path) > 1:
            assert order.index(path[:-1]) < order.index(path)


def test_user_scopes_nest_and_restore():
    x = torch.ones(2, requires_grad=True)
    assert torch.current_scope() == ()
    with torch.scope("outer"):
        a = x * 2
        with torch.scope("inner"):
            assert torch.current_scope() == ("outer", "inner")
            b = a + 1
        c = b.sum()
    assert torch.current_scope() == ()
    d = c * 3
    assert a.grad_fn._scope[0].name == "outer"
    G = torch.to_networkx(d, {"a": a, "b": b, "c": c, "d": d, "x": x})
    by_label = {G.nodes[n]["label"]: G.nodes[n]["scope"] for n in G.nodes}
    assert by_label["a"] == ("outer",)
    assert by_label["b"] == ("outer", "inner")
    assert by_label["c"] == ("outer",)
    assert by_label["d"] == ()
    assert by_label["x"] == ("outer",)  # its only consumer is inside "outer"


def test_scope_rejects_bad_names():
    with pytest.raises(TypeError):
        with torch.scope(""):
            pass
    with pytest.raises(TypeError):
        with torch.scope(3):
            pass
    assert torch.current_scope() == ()


def test_an_exception_in_forward_leaves_no_scope_behind():
    class Bad(nn.Module):
        def forward(self, x):
            with torch.scope("deep"):
                raise ValueError("boom")

    with pytest.raises(ValueError):
        Bad()(torch.ones(1))
    assert torch.current_scope() == ()
    y = torch.ones(1, requires_grad=True) * 2
    assert y.grad_fn._scope == ()


def test_repeated_calls_are_separate_scopes_numbered_in_call_order():
    torch.manual_seed(0)
    cell = nn.Linear(3, 3)
    h = torch.zeros(1, 3)
    for _ in range(3):
        h = torch.tanh(cell(h)) * 1.0
    G = torch.to_networkx(h.sum(), {})
    assert [p for p in G.graph["scopes"]] == [("Linear",), ("Linear#2",), ("Linear#3",)]
    # the shared weight is used by all three calls: it belongs to none of them
    w_id = G.graph["ids"][id(cell.weight)]
    assert G.nodes[w_id]["scope"] == ()
    # each call's own ops are its own
    addmm = sorted((n for n, d in G.nodes(data=True) if d["label"] == "AddmmBackward0"),
                   key=lambda n: G.graph["objects"][n]._seq)
    assert [G.nodes[n]["scope"] for n in addmm] == [("Linear",), ("Linear#2",), ("Linear#3",)]


def test_parameter_of_one_module_sits_in_its_box():
    torch.manual_seed(0)
    net = Net(1)
    loss = net(torch.randn(3, 4)).sum()
    G = torch.to_networkx(loss, {})
    ids = G.graph["ids"]
    for name, p in net.named_parameters():
        owner = name.rsplit(".", 1)[0]
        nid = ids[id(p)]
        assert G.nodes[nid]["scope"][-1] == owner, name


def test_tensor_shares_the_scope_of_the_function_that_made_it():
    torch.manual_seed(0)
    loss = Net(1)(torch.randn(2, 4)).sum()
    G = torch.to_networkx(loss, {})
    for n, d in G.nodes(data=True):
        if d["kind"] == "function":
            (out,) = [v for v in G.successors(n)]
            assert G.nodes[out]["scope"] == d["scope"]


def test_qualified_names_follow_replaced_submodules():
    net = Net(1)
    net(torch.randn(1, 4))  # builds the name table
    net.head = nn.Linear(4, 1)  # a new module the table has not seen
    G = torch.to_networkx(net(torch.randn(1, 4)).sum(), {})
    assert ("Net", "head") in G.graph["scopes"]

    class Holder(nn.Module):  # a module kept in a plain list is not a registered submodule
        def __init__(self):
            super().__init__()
            self.hidden = [nn.Linear(4, 4)]

        def forward(self, x):
            return self.hidden[0](x)

    G = torch.to_networkx(Holder()(torch.randn(1, 4)).sum(), {})
    assert ("Holder", "Linear") in G.graph["scopes"]


def test_replay_keeps_scopes():
    torch.manual_seed(0)
    x = torch.randn(3, 4)
    loss = Net(1)(x).sum()
    G = torch.to_networkx(loss, {})
    new = torch.replay(loss, {x: np.ones((3, 4), dtype=np.float32)})
    G2 = torch.to_networkx(new.root, {})
    assert [d["scope"] for _, d in G.nodes(data=True)] == [d["scope"] for _, d in G2.nodes(data=True)]
    assert G.graph["scopes"] == G2.graph["scopes"]
    assert torch.current_scope() == ()


def test_named_modules_matches_pytorch_spelling():
    net = Net(2)
    names = [n for n, _ in net.named_modules()]
    assert names[0] == ""
    assert "blocks.1.attn.k" in names and "blocks.0.mlp.0" in names
    assert len(names) == len(set(names))
