"""The exported graph (gradviz.to_networkx) checked against the tutorial's picture, against
hand-built expectations, and for ids that are the same in every process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import gradviz as gv
from gradviz.graph import to_networkx
from tests.graph_programs import seed_graph


def labels_of(G, kind):
    return sorted(d["label"] for _, d in G.nodes(data=True) if d["kind"] == kind)


def node_by_label(G, label):
    (n,) = [n for n, d in G.nodes(data=True) if d["label"] == label]
    return n


def test_seed_graph_has_the_tutorial_tensors_and_pytorchs_functions():
    v = seed_graph()
    G = to_networkx(v["loss"], names=v)
    # Tensors named by the user; matmul's internal (1, 3) result and its squeezed (3) result
    # are unnamed intermediates, labelled by their shape.
    assert labels_of(G, "tensor") == sorted(["x", "y", "w", "b", "z", "loss", "(1, 3)", "(3)"])
    # PyTorch 2.13 records exactly these nodes for this program (see the seed README).
    assert labels_of(G, "function") == sorted([
        "BinaryCrossEntropyWithLogitsBackward0", "AddBackward0", "SqueezeBackward4", "MmBackward0"])
    roles = {G.nodes[n]["label"]: G.nodes[n]["role"] for n in G if G.nodes[n]["kind"] == "tensor"}
    assert roles["loss"] == "root"
    assert roles["w"] == roles["b"] == "leaf"
    assert roles["x"] == roles["y"] == "constant"
    assert roles["z"] == "intermediate"


def test_edges_point_forward_with_input_numbers():
    v = seed_graph()
    G = to_networkx(v["loss"], names=v)
    n = {label: node_by_label(G, label) for label in
         ["x", "y", "w", "b", "z", "loss", "AddBackward0", "MmBackward0",
          "BinaryCrossEntropyWithLogitsBackward0"]}
    bce, add, mm = n["BinaryCrossEntropyWithLogitsBackward0"], n["AddBackward0"], n["MmBackward0"]
    assert G.edges[n["z"], bce]["input_nr"] == 0
    assert G.edges[n["y"], bce]["input_nr"] == 1
    assert G.has_edge(bce, n["loss"]) and G.has_edge(add, n["z"])
    assert G.edges[n["b"], add]["input_nr"] == 1
    assert G.edges[n["x"], mm]["input_nr"] == 0
    assert G.edges[n["w"], mm]["input_nr"] == 1
    # Every edge joins a tensor and a function (the graph is bipartite), and it is a DAG.
    for u, w in G.edges():
        assert {G.nodes[u]["kind"], G.nodes[w]["kind"]} == {"tensor", "function"}
    import networkx as nx
    assert nx.is_directed_acyclic_graph(G)


def test_default_names_come_from_the_callers_variables():
    x = gv.ones(2)
    w = gv.tensor([1.0, 2.0], requires_grad=True)
    prod = x * w
    total = prod.sum()
    G = gv.to_networkx(total)
    assert {"x", "w", "prod", "total"} <= set(labels_of(G, "tensor"))


def test_explicit_names_win_and_bad_names_are_rejected():
    w = gv.tensor([1.0, 2.0], requires_grad=True)
    out = (w * 3).sum()
    G = to_networkx(out, names={"weights": w})
    assert "weights" in labels_of(G, "tensor")
    with pytest.raises(TypeError):
        to_networkx(out, names={"w": 3})


def test_values_and_grads_are_the_tensors_own():
    v = seed_graph()
    v["loss"].backward()
    G = to_networkx(v["loss"], names=v)
    w = G.nodes[node_by_label(G, "w")]
    np.testing.assert_array_equal(w["value"], v["w"].detach().numpy())
    # The seed README: every row of w.grad is [0.1503, 0.0698, 0.1336].
    np.testing.assert_allclose(w["grad"], np.tile([0.1503, 0.0698, 0.1336], (5, 1)), atol=1e-4)
    assert w["grad_health"] == "ok"
    assert G.nodes[node_by_label(G, "z")]["grad"] is None


def test_saved_tensors_are_listed_and_marked_freed_after_backward():
    v = seed_graph()
    G = to_networkx(v["loss"], names=v)
    bce = G.nodes[node_by_label(G, "BinaryCrossEntropyWithLogitsBackward0")]
    assert [(s["name"], s["shape"], s["freed"]) for s in bce["saved"]] == [
        ("self", (3,), False), ("target", (3,), False)]
    v["loss"].backward()
    G = to_networkx(v["loss"], names=v)
    bce = G.nodes[node_by_label(G, "BinaryCrossEntropyWithLogitsBackward0")]
    assert bce["saved"] and all(s["freed"] for s in bce["saved"])


def test_a_tensor_used_twice_by_one_function_keeps_both_input_numbers():
    a = gv.tensor([1.0, 2.0], requires_grad=True)
    sq = a * a
    G = to_networkx(sq, names={"a": a, "sq": sq})
    mul = node_by_label(G, "MulBackward0")
    assert G.edges[node_by_label(G, "a"), mul]["input_nrs"] == [0, 1]


_EXPORT_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {root!r})
    from tests.graph_programs import seed_graph, random_program
    import gradviz as gv
    v = seed_graph()
    G1 = gv.graph.to_networkx(v["loss"], names=v)
    root, leaves = random_program(7)
    G2 = gv.graph.to_networkx(root, names={{"a": leaves[0]}})
    out = [[(n, d["label"]) for n, d in G.nodes(data=True)] + sorted(G.edges()) for G in (G1, G2)]
    print(json.dumps(out))
""")


def test_ids_are_the_same_in_every_process():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = _EXPORT_SCRIPT.format(root=root)
    outputs = []
    for hashseed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             env=env, check=True)
        outputs.append(json.loads(res.stdout))
    assert outputs[0] == outputs[1]


def test_a_tensor_without_a_graph_exports_as_one_node():
    w = gv.tensor([1.0], requires_grad=True)
    with gv.no_grad():
        z = w * 2
    G = to_networkx(z, names={"z": z})
    assert G.number_of_nodes() == 1
    (d,) = [d for _, d in G.nodes(data=True)]
    assert d["label"] == "z" and d["requires_grad"] is False
