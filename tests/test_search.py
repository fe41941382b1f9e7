"""search(G, text): nodes by name, op, shape or scope, best first."""
import sys
from pathlib import Path

import pytest

import gradviz as torch
from gradviz.search import parse_shape, search

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import graphs  # noqa: E402


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    x = torch.randn(3, 4)
    w = torch.randn(4, 2, requires_grad=True)
    b = torch.randn(2, requires_grad=True)
    with torch.scope("head"):
        z = x @ w + b
    loss = torch.tanh(z).sum()
    return torch.to_networkx(loss, {"x": x, "w": w, "b": b, "z": z, "loss": loss})


@pytest.fixture(scope="module")
def gpt():
    loss, names = graphs.gpt_like(n_layers=4)
    return torch.to_networkx(loss, names)


def _label(G, n):
    return G.nodes[n]["label"]


@pytest.mark.parametrize("text,shape", [("(3, 4)", (3, 4)), ("3x4", (3, 4)), ("3×4", (3, 4)),
                                        ("[3,4]", (3, 4)), ("(7,)", (7,)), ("scalar", ()),
                                        ("w", None), ("12", None), ("blocks.3", None)])
def test_parse_shape(text, shape):
    assert parse_shape(text) == shape


def test_by_name_exact_first(small):
    hits = search(small, "w")
    assert _label(small, hits[0]) == "w"
    assert search(small, "loss")[0] == small.graph["roots"][0]


def test_by_op_name_and_its_short_form(small):
    (mm,) = search(small, "MmBackward0")
    assert small.nodes[mm]["label"] == "MmBackward0"
    assert search(small, "mm")[0] == mm
    assert search(small, "mmbackward0") == [mm]
    assert search(small, "Tanh")[0] == search(small, "TanhBackward0")[0]


def test_by_shape_in_any_spelling(small):
    expected = {n for n, d in small.nodes(data=True) if d["kind"] == "tensor" and d["shape"] == (3, 4)}
    assert expected and set(search(small, "(3, 4)")) == expected
    assert set(search(small, "3x4")) == expected
    scalars = {n for n, d in small.nodes(data=True) if d["kind"] == "tensor" and d["shape"] == ()}
    assert set(search(small, "scalar")) >= scalars


def test_by_scope(small):
    inside = {n for n, d in small.nodes(data=True) if d["scope"] == ("head",)}
    assert set(search(small, "head")) == inside


def test_scope_of_a_big_model_and_words_combined(gpt):
    block3 = {n for n, d in gpt.nodes(data=True) if "blocks.3" in d["scope"]}
    hits = search(gpt, "blocks.3")
    assert set(hits) == block3
    # nodes of blocks.3 first would be wrong for "blocks.3" vs "blocks.30": only exact scopes here
    softmax = search(gpt, "blocks.3 softmax")
    assert softmax and all(gpt.nodes[n]["label"] == "SoftmaxBackward0" for n in softmax)
    assert all("blocks.3" in gpt.nodes[n]["scope"] for n in softmax)
    heads = {d["scope"][4] for n in softmax for d in [gpt.nodes[n]]}
    assert len(softmax) == len(heads) == 12


def test_best_first_and_no_match(small, gpt):
    assert search(small, "") == [] and search(small, "nothing-like-this") == []
    hits = search(gpt, "weight")
    # exact names are none; prefix matches of parameters named '...weight' are parts
    assert hits and all("weight" in str(gpt.nodes[n]["label"]) for n in hits)
    assert search(gpt, "weight", limit=3) == hits[:3]
