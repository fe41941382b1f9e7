"""Indexing and assignment into tensors, against PyTorch and finite differences.

Reading: ranges, lists, masks, index tensors (0-d ones select), Python bools, mixed with ints,
slices, None and ... . Writing: ``x[i] = v``, ``x[i] += v``, ``x[mask] = 0``, in-place ops on
views of tensors in a graph (CopySlices / IndexPutBackward0 / AsStridedBackward0), with shared
version counters and PyTorch's errors. Each case is source text run once with ``torch`` bound to
PyTorch and once to gradviz; gradients are also checked against central differences in float64.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradviz

torch_mark = pytest.mark.torch


def chain(fn, depth=0):
    """The grad_fn graph below ``fn`` as nested (name, children) tuples."""
    if fn is None:
        return None
    if depth > 40:
        return "..."
    return (type(fn).__name__, tuple(chain(f, depth + 1) for f, _ in fn.next_functions))


def norm(s: str) -> str:
    return s.replace("torch.", "gradviz.")


def _leaves(mod):
    rng = np.random.default_rng(0)
    a = mod.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    v = mod.tensor(rng.standard_normal(3), requires_grad=True)
    return a, v


def _outcome(mod, src):
    """Run ``src`` (which sets ``x``), then backward with a fixed random gradient: the chain of
    grad_fn names, x's version, its value and the leaves' gradients; or the error."""
    a, v = _leaves(mod)
    ns = {"torch": mod, "a": a, "v": v, "np": np}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(src, ns)
            x = ns["x"]
            c, ver = chain(x.grad_fn), x._version
            u = mod.tensor(np.random.default_rng(1).standard_normal(tuple(x.shape)))
            x.backward(u)
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return ("error", type(exc).__name__, norm(str(exc)).split(" Hint:")[0])
    grad = lambda t: None if t.grad is None else t.grad.numpy().tolist()  # noqa: E731
    return (c, ver, np.round(x.detach().numpy(), 10).tolist(), grad(a), grad(v))


# --- reading ---------------------------------------------------------------------------------------
GET_CASES = [
    "x[range(2)]", "x[range(0, 3, 2), 1]", "x[[True, False, True]]", "x[torch.tensor([0, 2])]",
    "x[torch.tensor(1)]", "x[torch.tensor(1), :]", "x[torch.tensor(1), [0, 1]]", "x[..., [0, 1]]",
    "x[None, [0, 1]]", "x[[0, 1], None]", "x[x > 3]", "x[1:, torch.tensor([True, False, True])]",
    "x[(0, 1),]", "x[[[0, 1], [1, 2]]]", "x[[0, [1, 2]]]", "x[[range(2), 1]]", "x[np.array([0, 1])]",
    "x[True]", "x[False]", "x[True, 0]", "x[torch.tensor(True)]", "x[[0, 1], [1, 2]]",
    "x[torch.tensor([1, 2], dtype=torch.int32)]", "x[torch.tensor([1, 0, 1], dtype=torch.uint8)]",
    "x[slice(None), range(1, 3)]", "x[[]]", "x[torch.tensor([], dtype=torch.long)]", "x[[0] * 40]",
    "x[[1, 2], [0.5, 1]]", "x[-1, ::2]", "x[None]", "x[..., None, 1]",
    # errors
    "x[range(5)]", "x[1, 1, 1]", "x[1.5]", "x[torch.tensor([0.5])]", "x[-4]", "x[[-4]]", "x[:, 3]",
    "x[[True]]", "x[torch.tensor([True, False])]",
]


@torch_mark
@pytest.mark.parametrize("expr", GET_CASES)
def test_getitem_parity(torch, expr):
    res = []
    for mod in (torch, gradviz):
        x = mod.tensor(np.arange(9.0).reshape(3, 3) - 4, requires_grad=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = eval(expr, {"x": x, "torch": mod, "np": np})  # noqa: S307
            y.backward(mod.tensor(np.arange(float(y.numel())).reshape(tuple(y.shape))))
            res.append((tuple(y.shape), chain(y.grad_fn), y.detach().numpy().tolist(), x.grad.numpy().tolist()))
        except Exception as exc:  # noqa: BLE001
            res.append(("error", type(exc).__name__, norm(str(exc))))
    assert res[1] == res[0]


@torch_mark
@pytest.mark.parametrize("expr", ["x[[[0, 1], [1, 2]]]", "x[torch.tensor([1, 0, 1], dtype=torch.uint8)]",
                                  "x[[0, 1]]"])
def test_getitem_warnings_parity(torch, expr):
    """PyTorch's deprecation warnings (non-tuple sequence index, uint8 mask), and none otherwise."""
    msgs = []
    for mod in (torch, gradviz):
        x = mod.ones(3, 3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            eval(expr, {"x": x, "torch": mod})  # noqa: S307
        # torch appends where in its C++ source the warning fired; that part is not the message.
        msgs.append([(m.category, str(m.message).split(" (Triggered internally")[0]) for m in w])
    assert msgs[1] == msgs[0]


# --- writing ---------------------------------------------------------------------------------------
SET_CASES = {
    "select_assign_tensor": "x = a * 2; x[0] = v",
    "select_iadd": "x = a * 2; x[0] += v",
    "mask_assign_zero": "x = a * 2; x[x > 0] = 0",
    "select_assign_number": "x = a * 2; x[0] = 5.0",
    "column_assign": "x = a * 2; x[:, 1] = v",
    "list_assign_number": "x = a * 2; x[[0, 2]] = 1.0",
    "list_assign_tensor": "x = a * 2; x[[0, 2]] = v.reshape(1, 3) * 3",
    "list_iadd": "x = a * 2; x[[0, 2]] += 1",
    "constant_base_gets_grad": "x = torch.zeros(3, 3, dtype=torch.float64); x[0] = v",
    "constant_base_broadcast": "x = torch.zeros(3, 3, dtype=torch.float64); x[1:] = v * 2",
    "view_mul_": "x = a * 2; x[0].mul_(2)",
    "view_mul_tensor": "x = a * 2; x[1:].mul_(v)",
    "flat_view_then_base": "x = a * 2; y = x.view(9); y.mul_(3); x = x + y.sum()",
    "view_zero_": "x = a * 2; x[0].zero_()",
    "view_fill_": "x = a * 2; x[0].fill_(3)",
    "view_copy_": "x = a * 2; x[0].copy_(v)",
    "chained_select_assign": "x = a * 2; x[0][1] = 3.",
    "mask_assign_tensor": "x = a * 2; x[x > 0] = v.sum() * torch.ones(int((x > 0).sum()), dtype=torch.float64)",
    "ellipsis_assign": "x = a * 2; x[...] = v",
    "transposed_view_assign": "x = a * 2; x.t()[0] = v",
    "scalar_tensor_assign": "x = a * 2; x[0, 1] = v[0]",
    "mask_imul": "x = a * 2; x[x > 0] *= 2",
    "index_tensor_assign": "x = a * 2; x[torch.tensor([0, 1])] = v",
    "full_slice_then_list": "x = a * 2; x[:, [0, 1]] = 0",
    "slice_then_list": "x = a * 2; x[1:, [0, 1]] = 0.",
    "int_then_list": "x = a * 2; x[0, [0, 1]] = v[1:]",
    "none_then_list": "x = a * 2; x[None, [0]] = 0.",
    "list_assign_leading_one": "x = a * 2; x[[0]] = v[None]",
    "select_assign_leading_one": "x = a * 2; x[0] = v[None]",
    "full_slice_fill": "x = a * 2; x[:] = 1.",
    "explicit_full_slice_copy": "x = a * 2; x[0:3] = v",
    "fill_number": "x = a * 2; x.fill_(3.)",
    "fill_tensor": "x = a * 2; x.fill_(v[0])",
    "zero_": "x = a * 2; x.zero_()",
    "copy_broadcast": "x = a * 2; x.copy_(v)",
    "index_put_": "x = a * 2; x.index_put_((torch.tensor([0, 1]),), v)",
    "index_put_accumulate": "x = a * 2; x.index_put_((torch.tensor([0, 0]),), v, accumulate=True)",
    "zero_d_index_assign": "x = a * 2; x[torch.tensor(0)] = v",
    "old_view_after_base_inplace": "x = a * 2; y = x[0]; x.mul_(2); x = y",
    "old_view_after_other_view": "x = a * 2; y = x[0]; x[1] = v; x = y * 3",
    "view_of_view": "x = a * 2; y = x[0]; z = y[1:]; z.mul_(v[1:]); x = y",
    "view_of_view_itself": "x = a * 2; y = x[0]; z = y[1:]; z.mul_(2); x = z",
    "transposed_view_kept": "x = a * 2; y = x.t(); y[0] = v; x = y",
    "view_exp_": "x = a * 2; y = x[0]; y.exp_()",
    "view_exp_view": "x = a * 2; y = x[0]; y.exp_(); x = y",
    "saved_result_then_write": "x = a * 2; y = x.sigmoid(); x[0] = v; x = x * y",
    "loop_fill": "x = torch.zeros(3, dtype=torch.float64)\nfor i in range(3):\n    x[i] = (a[i] * v).sum()",
    "written_then_read": "x = torch.zeros(3, dtype=torch.float64); x[0] = a.sum(); x[1] = x[0] * 2",
    "masked_fill": "x = a.masked_fill(a > 0.5, 0.0) + a.masked_fill(a < 0, v[0])",
    "masked_fill_": "x = a * 1; x.masked_fill_(x > 0.5, -1.0)",
    "assign_other_leaf_element": "x = a * 2; x[0] = a[1]",
    "relu_neg_on_views": "x = a - 0.5; x[1].relu_(); x[2:].neg_()",
    "noncontiguous_base": "x = (a * 2).t(); x[0, 1:] = v[:2]",
    "strided_clone_base": "x = (a * 2).t().clone(); x[0] = v",
    # errors
    "leaf_select_assign": "x = a; x[0] = 1",
    "leaf_list_assign": "x = a; x[[0]] = 1",
    "leaf_mask_assign": "x = a; x[a > 0] = 1",
    "leaf_ellipsis_assign": "x = a; x[...] = 1",
    "leaf_view_inplace": "x = a.view(9); x.add_(1)",
    "assign_list_value": "x = a * 2; x[0] = [1, 2, 3]",
    "assign_array_value": "x = a * 2; x[0] = np.ones(3)",
    "assign_bad_shape": "x = a * 2; x[0] = v[:2]",
    "assign_bad_shape_advanced": "x = a * 2; x[[0, 1]] = torch.ones(3, 2, dtype=torch.float64)",
    "inplace_on_expanded": "x = (a * 2)[0].expand(2, 3); x.add_(1)",
    "no_grad_view_of_leaf": "with torch.no_grad():\n    y = a[0:2]\ny.add_(1); x = a",
    "no_grad_view_of_nonleaf": "x = a * 2\nwith torch.no_grad():\n    y = x[0:2]\ny.add_(1)",
    "no_grad_view_of_constant_tracked": ("x = torch.zeros(3, dtype=torch.float64)\nwith torch.no_grad():\n"
                                         "    y = x[0:2]\ny.add_(v[:2])"),
    "no_grad_view_written_in_no_grad": ("x = a * 2\nwith torch.no_grad():\n    y = x[0:2]\n"
                                        "    y.add_(1)\nx = x * 1"),
    "no_grad_view_of_constant_untracked": ("x = torch.zeros(3, dtype=torch.float64)\nwith torch.no_grad():\n"
                                           "    y = x[0:2]\ny.add_(1.0); x = x * v"),
    "saved_base_modified_through_view": "h = a.exp(); h[0] = 0; x = h",
    "saved_view_modified": "h = a.exp(); y = h[1:]; y.mul_(2); x = h",
    "saved_twice_modified": "h = a.exp(); h.mul_(2); h.mul_(3); x = h",
    "inplace_result_saved_then_modified": "h = a * 1; h.exp_(); h.mul_(3); x = h",
    "view_result_saved_then_modified": "h = a * 1; y = h[1:]; y.exp_(); y.mul_(3); x = h",
}


@torch_mark
@pytest.mark.parametrize("name", sorted(SET_CASES))
def test_setitem_and_view_inplace_parity(torch, name):
    """grad_fn chain names (CopySlices, IndexPutBackward0, AsStridedBackward0, ...), version,
    values and gradients, or the same error type and text."""
    t, g = _outcome(torch, SET_CASES[name]), _outcome(gradviz, SET_CASES[name])
    assert_same_outcome(g, t)


def assert_same_outcome(g, t):
    """Errors and grad_fn chains exactly; values and gradients to rounding."""
    if t[0] == "error" or g[0] == "error":
        assert g == t
        return
    assert g[:2] == t[:2]
    for gv, tv in zip(g[2:], t[2:]):
        assert (gv is None) == (tv is None), (gv, tv)
        if tv is not None:
            np.testing.assert_allclose(np.array(gv), np.array(tv), rtol=1e-12, atol=1e-12)


def _finite_difference_grads(src, eps=1e-6):
    """d(sum(x * u))/d(a, v) by central differences, running ``src`` without any graph."""
    a0, v0 = (t.detach().numpy().copy() for t in _leaves(gradviz))
    u = None

    def f(a_arr, v_arr):
        nonlocal u
        ns = {"torch": gradviz, "a": gradviz.tensor(a_arr), "v": gradviz.tensor(v_arr), "np": np}
        exec(src, ns)
        x = ns["x"].detach().numpy()
        if u is None:
            u = np.random.default_rng(1).standard_normal(x.shape)
        return float((x * u).sum())

    grads = []
    for which in (0, 1):
        base = (a0, v0)[which]
        g = np.zeros_like(base)
        for k in range(base.size):
            plus, minus = [arr.copy() for arr in (a0, v0)], [arr.copy() for arr in (a0, v0)]
            plus[which].reshape(-1)[k] += eps
            minus[which].reshape(-1)[k] -= eps
            g.reshape(-1)[k] = (f(*plus) - f(*minus)) / (2 * eps)
        grads.append(g)
    return grads


# Every case that runs, except those with a mask or kink that depends on the values (finite
# differences would step across it; the parity test covers them).
DIFFERENTIABLE = [n for n, src in sorted(SET_CASES.items())
                  if not n.startswith(("leaf_", "assign_", "inplace_on", "saved_", "inplace_result",
                                       "view_result", "no_grad_view_of_leaf", "no_grad_view_of_nonleaf",
                                       "no_grad_view_of_constant_tracked"))
                  and not any(k in src for k in ("x > 0", "a > 0.5", "a < 0", "relu"))]


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_setitem_gradients_match_finite_differences(name):
    src = SET_CASES[name]
    out = _outcome(gradviz, src)
    assert out[0] != "error", out
    num_a, num_v = _finite_difference_grads(src)
    got_a = np.zeros_like(num_a) if out[3] is None else np.array(out[3])
    got_v = np.zeros_like(num_v) if out[4] is None else np.array(out[4])
    np.testing.assert_allclose(got_a, num_a, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_v, num_v, rtol=1e-6, atol=1e-6)


def test_views_share_data_and_version():
    x = gradviz.zeros(3, 3)
    row = x[1]
    elem = x[2, 2]
    x[1] = gradviz.tensor([1.0, 2.0, 3.0])
    x[2, 2] = 7.0
    assert row.tolist() == [1.0, 2.0, 3.0]  # a view sees the write
    assert elem.item() == 7.0  # even a 0-d one
    assert x._version == row._version == elem._version == 2


def test_setitem_no_grad_leaves_graph_alone():
    w = gradviz.ones(3, requires_grad=True)
    with gradviz.no_grad():
        w[0] = 5.0
        w[[1, 2]] += 1
    assert w.is_leaf and w.grad_fn is None and w.tolist() == [5.0, 2.0, 2.0]


def test_failed_assignment_changes_nothing():
    x = gradviz.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1
    fn, version = x.grad_fn, x._version
    with pytest.raises(RuntimeError, match="expanded size"):
        x[0] = gradviz.ones(3)
    assert x.grad_fn is fn and x._version == version and x.tolist() == [[1.0, 2.0], [3.0, 4.0]]


# --- the explorer's export and replay --------------------------------------------------------------
def test_export_draws_copyslices_with_its_inputs():
    import networkx as nx

    a = gradviz.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = gradviz.tensor([5.0, 6.0], requires_grad=True)
    h = a * 2
    h[1:] = v * 3
    loss = h.exp().sum()
    G = gradviz.to_networkx(loss, names={"a": a, "v": v, "h": h, "loss": loss})
    assert nx.is_directed_acyclic_graph(G)
    fns = {d["label"]: n for n, d in G.nodes(data=True) if d["kind"] == "function"}
    assert {"CopySlices", "MulBackward0", "ExpBackward0", "SumBackward0"} <= set(fns)
    cs = fns["CopySlices"]
    assert "CopyBackwards" in G.nodes[cs]["rule"]
    # CopySlices makes h; it takes h's earlier version (a * 2) and the written value (v * 3).
    (out,) = G.successors(cs)
    assert G.nodes[out]["name"] == "h"
    ins = sorted(G.predecessors(cs), key=lambda n: G.edges[n, cs]["input_nr"])
    np.testing.assert_array_equal(G.nodes[ins[0]]["value"], [2.0, 4.0, 6.0])  # before the write
    np.testing.assert_array_equal(G.nodes[ins[1]]["value"], [15.0, 18.0])
    assert G.nodes[out]["value"].tolist() == [2.0, 15.0, 18.0]


def test_replay_refuses_graphs_changed_in_place():
    from gradviz.graph import ReplayError, replay

    a = gradviz.tensor([1.0, 2.0], requires_grad=True)
    h = a * 2
    h[0] = 0.0
    with pytest.raises(ReplayError, match="changed in place"):
        replay(h.sum())


@torch_mark
def test_grad_fn_name_parity(torch):
    """``grad_fn.name()`` as PyTorch prints it (``torch::autograd::CopySlices`` included); the
    explorer's label is the short name."""
    names = []
    for mod in (torch, gradviz):
        a, v = _leaves(mod)
        x = a * 2
        y = x[0]
        x[1] = v
        z = a * 3
        z[z > 0] = 0.0
        names.append([x.grad_fn.name(), y.grad_fn.name(), z.grad_fn.name()])
    assert names[1] == names[0]
    G = gradviz.to_networkx(x.sum(), names={})
    labels = {d["label"] for _, d in G.nodes(data=True) if d["kind"] == "function"}
    assert "CopySlices" in labels


def test_explorer_draws_and_steps_a_graph_with_assignments():
    pytest.importorskip("panel")
    from gradviz.viz.explorer import Explorer

    a = gradviz.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = gradviz.tensor([5.0, 6.0], requires_grad=True)
    h = a * 2
    h[1:] = v * 3
    h[h > 10] = 0.0
    loss = h.exp().sum()
    ex = Explorer(loss, names={"a": a, "v": v, "h": h, "loss": loss})
    assert "cannot be edited" in ex.editors_column.objects[0].object
    labels = {d["label"] for _, d in ex.G.nodes(data=True) if d["kind"] == "function"}
    assert {"CopySlices", "IndexPutBackward0"} <= labels
    while ex.step():
        pass
    # By hand: h = [2, 15, 18] -> [2, 0, 0]; only h[0] = 2·a[0] reaches the loss.
    np.testing.assert_allclose(a.grad.numpy(), [2 * np.exp(2.0), 0.0, 0.0])
    np.testing.assert_allclose(v.grad.numpy(), [0.0, 0.0])


# --- gather, scatter and friends -------------------------------------------------------------------
GATHER_CASES = [
    "x.gather(1, i)", "torch.gather(x, 1, i)", "x.gather(-1, i)",
    "x.gather(0, torch.tensor([[0, 1, 2, 0], [2, 2, 2, 2], [0, 0, 0, 0], [1, 1, 1, 1]]))",
    "x.index_select(0, torch.tensor([2, 0, 2]))", "x.index_select(1, torch.tensor(2))",
    "torch.index_select(x, 1, torch.tensor([3, 3]))",
    "x.masked_select(x > 5)", "x.masked_select(torch.tensor([True, False, True, True]))",
    "torch.masked_select(x, x < 3)",
    "torch.take_along_dim(x, i, dim=1)", "torch.take_along_dim(x, torch.tensor([[0], [1], [2]]))",
    "x.take_along_dim(torch.tensor([[1, 0]]), 1)",
    "x.scatter(1, i, src)", "x.scatter(1, i, 2.5)", "torch.scatter(x, 1, i, src)",
    "x.scatter_add(1, i, src)", "torch.scatter_add(x, 0, torch.tensor([[0, 1], [0, 1]]), src)",
    "x.index_add(0, torch.tensor([0, 0]), src2)", "torch.index_add(x, 0, torch.tensor([2, 1]), src2, alpha=2)",
    "(x * 1).scatter_(1, i, src)", "(x * 1).scatter_add_(1, i, src)",
    "(x * 1).index_add_(0, torch.tensor([0, 0]), src2)", "(x * 1).scatter_(1, i, 1.5)",
    "(x * 1)[1:].scatter_(1, i[:2], src[:2])", "(x * 1)[1:].scatter_add_(0, i[:2], src[:2])",
    # errors
    "x.gather(1, torch.tensor([[5]]))", "x.gather(1, torch.tensor([[0.5]]))", "x.gather(1, torch.tensor([0]))",
    "x.gather(1, torch.tensor([[-1, 0]]))", "x.gather(1, torch.zeros(4, 1, dtype=torch.long))",
    "x.index_select(0, torch.tensor([[0]]))", "x.index_select(0, torch.tensor([4]))",
    "x.index_add(0, torch.tensor([0, 0]), torch.ones(2, 6, dtype=torch.float64))",
    "x.scatter(1, i, src[:1, :1])", "x.masked_select(torch.tensor([1, 0, 1, 1]))",
    "x.scatter_(1, i, src)",
]


def _gather_env(mod):
    return {"x": mod.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True),
            "src": mod.tensor(np.arange(1.0, 7.0).reshape(3, 2), requires_grad=True),
            "src2": mod.tensor(np.arange(8.0).reshape(2, 4), requires_grad=True),
            "i": mod.tensor([[0, 1], [2, 3], [1, 1]]), "torch": mod, "np": np}


@torch_mark
@pytest.mark.parametrize("expr", GATHER_CASES)
def test_gather_scatter_parity(torch, expr):
    res = []
    for mod in (torch, gradviz):
        env = _gather_env(mod)
        try:
            y = eval(expr, env)  # noqa: S307
            y.backward(mod.tensor(np.arange(float(y.numel())).reshape(tuple(y.shape))))
            grads = [None if env[k].grad is None else env[k].grad.numpy().tolist() for k in ("x", "src", "src2")]
            res.append((tuple(y.shape), chain(y.grad_fn), y.detach().numpy().tolist(), grads))
        except Exception as exc:  # noqa: BLE001
            res.append(("error", type(exc).__name__, norm(str(exc))))
    assert res[1] == res[0]


@pytest.mark.parametrize("expr", [
    "x.gather(1, i)", "x.index_select(0, torch.tensor([2, 0, 2]))", "x.masked_select(x > 5.5)",
    "torch.take_along_dim(x, i, dim=1)", "x.scatter_add(1, i, src)",
    "x.index_add(0, torch.tensor([0, 0]), src2, alpha=-1.5)",
    # (scatter with distinct positions: where two values land on one place, one of them wins)
    "x.scatter(1, torch.tensor([[0, 1], [2, 3], [3, 1]]), src)",
    "(x * 1).scatter_(1, torch.tensor([[3, 1], [2, 0], [0, 1]]), src)",
])
def test_gather_scatter_match_finite_differences(expr):
    env = _gather_env(gradviz)
    y = eval(expr, env)  # noqa: S307
    u = np.random.default_rng(4).standard_normal(tuple(y.shape))
    y.backward(gradviz.tensor(u))
    for name in ("x", "src", "src2"):
        base = env[name].detach().numpy().copy()
        num = np.zeros_like(base)
        for k in range(base.size):
            vals = []
            for step in (1e-6, -1e-6):
                arr = base.copy()
                arr.reshape(-1)[k] += step
                e2 = dict(env, **{n: gradviz.tensor(env[n].detach().numpy().copy()) for n in ("x", "src", "src2")})
                e2[name] = gradviz.tensor(arr)
                vals.append(float((eval(expr, e2).numpy() * u).sum()))  # noqa: S307
            num.reshape(-1)[k] = (vals[0] - vals[1]) / 2e-6
        got = env[name].grad
        np.testing.assert_allclose(np.zeros_like(base) if got is None else got.numpy(), num, rtol=1e-6, atol=1e-6)
