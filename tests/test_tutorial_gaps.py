"""What public PyTorch tutorials call that gradviz lacked (see ``benchmarks/run_public_programs.py``):
``out=``, the bitwise ops, ``narrow``/``unbind``/``movedim``/``swapaxes``, the in-place shape
changes, ``cross``, ``svd``, ``torch.sin_``-style functions and ``import torch.functional``.
Each against real PyTorch (values, dtypes, grad_fn names, gradients, errors and warnings) and,
for what is differentiable, against central finite differences in float64."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradviz

pytestmark = pytest.mark.torch


def both(torch, src: str, **env) -> tuple[dict, dict]:
    """``src`` run once with ``torch`` bound to PyTorch, once to gradviz."""
    out = []
    for mod in (torch, gradviz):
        ns = {"torch": mod, "np": np, **env}
        exec(compile(src, "<case>", "exec"), ns)
        out.append(ns)
    return out[0], out[1]


def arr(t):
    return np.asarray(t.detach().numpy())


def error_of(mod, src: str, **env):
    try:
        exec(compile(src, "<case>", "exec"), {"torch": mod, "np": np, **env})
    except Exception as exc:  # noqa: BLE001 - the type and text are what is compared
        return type(exc).__name__, str(exc)
    return None


def assert_same_error(torch, src: str, **env):
    expected = error_of(torch, src, **env)
    assert expected is not None, "PyTorch raised nothing"
    actual = error_of(gradviz, src, **env)
    # gradviz's errors subclass PyTorch's builtin types; compare the type name and text.
    assert actual == expected


def finite_difference_grads(f, arrays, eps=1e-6):
    """d sum(f(*arrays) * weights)/d array for each array, by central differences (numpy)."""
    rng = np.random.default_rng(1)
    weights = rng.normal(size=np.shape(f(*arrays)))
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = ((f(*plus) * weights).sum() - (f(*minus) * weights).sum()) / (2 * eps)
        grads.append(g)
    return weights, grads


RNG = np.random.default_rng(0)
A = RNG.normal(size=(4, 3))
B = RNG.normal(size=(4, 3))


# --- out= -------------------------------------------------------------------------------------
def test_out_receives_matmul_and_mul_and_is_returned(torch):
    src = """
a = torch.tensor(A, dtype=torch.float32)
c = torch.zeros(3, 3)
d = torch.matmul(a.T, a, out=c)
same = d is c
e = torch.zeros(4, 3)
f = torch.mul(a, 2.0, out=e)
same_mul = f is e
"""
    t, g = both(torch, src, A=A)
    assert g["same"] and g["same_mul"] and t["same"] and t["same_mul"]
    np.testing.assert_allclose(arr(g["c"]), arr(t["c"]), rtol=1e-6)
    np.testing.assert_allclose(arr(g["e"]), arr(t["e"]), rtol=1e-6)


def test_out_of_creation_functions_is_filled_in_its_dtype(torch):
    t, g = both(torch, """
c = torch.full((2,), 7)
d = torch.zeros(2, 3, out=c)
e = torch.empty(0, dtype=torch.float64)
torch.ones(3, out=e)
r = torch.zeros(2, 2)
torch.rand(2, 2, out=r)
""")
    for name in ("c", "d", "e"):
        assert str(g[name].dtype).split(".")[-1] == str(t[name].dtype).split(".")[-1]
        np.testing.assert_array_equal(arr(g[name]), arr(t[name]))
    assert g["d"] is g["c"]
    r = arr(g["r"])  # rand wrote into r: values in [0, 1), not the zeros r held
    assert r.shape == (2, 2) and (r > 0).any() and (r < 1).all()


def test_out_errors_and_resize_warning_match_pytorch(torch):
    assert_same_error(torch, "torch.matmul(torch.ones(2, 2, requires_grad=True), torch.ones(2, 2), "
                             "out=torch.zeros(2, 2))")
    assert_same_error(torch, "torch.mul(torch.ones(2), torch.ones(2), "
                             "out=torch.zeros(2, dtype=torch.long))")
    messages = []
    for mod in (torch, gradviz):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c = mod.zeros(3)
            mod.matmul(mod.ones(2, 2), mod.ones(2, 2), out=c)
        messages.append([str(w.message).split(" (Triggered internally")[0] for w in caught])
        assert tuple(c.shape) == (2, 2)
    assert messages[0] == messages[1] and len(messages[0]) == 1


# --- bitwise ----------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "torch.bitwise_xor(torch.tensor([1, 5, 11]), torch.tensor([2, 7, 10]))",
    "torch.bitwise_and(torch.tensor([1, 5, 11]), 3)",
    "torch.tensor([1, 5, 11], dtype=torch.int32).bitwise_or(torch.tensor([2, 7, 10], dtype=torch.int16))",
    "torch.bitwise_not(torch.tensor([0, 1, -6]))",
    "torch.bitwise_xor(torch.tensor([True, False, True]), torch.tensor([True, True, False]))",
    "torch.tensor([True, False]).bitwise_not()",
])
def test_bitwise_values_and_dtypes(torch, expr):
    t, g = eval(expr, {"torch": torch}), eval(expr, {"torch": gradviz})
    assert str(g.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(arr(g), arr(t))


@pytest.mark.parametrize("src", [
    "torch.bitwise_xor(torch.tensor([1.]), torch.tensor([2.]))",
    "torch.bitwise_not(torch.tensor([1.], dtype=torch.float64))",
    "torch.bitwise_and(torch.tensor([1]), torch.tensor([2.]))",
])
def test_bitwise_refuses_floats_as_pytorch_does(torch, src):
    assert_same_error(torch, src)


# --- views: narrow, unbind, movedim, swapaxes -------------------------------------------------
VIEW_CASES = {
    "narrow": ("y = x.narrow(1, 1, 2)", lambda a: a[:, 1:3]),
    "narrow_fn_negative_start": ("y = torch.narrow(x, 0, -3, 2)", lambda a: a[1:3]),
    "unbind_0": ("y = torch.stack([p * (i + 1) for i, p in enumerate(x.unbind())], 0)",
                 lambda a: a * np.arange(1, 5)[:, None]),
    "unbind_1": ("y = torch.stack([p * (i + 1) for i, p in enumerate(torch.unbind(x, dim=1))], 1)",
                 lambda a: a * np.arange(1, 4)[None, :]),
    "movedim": ("y = x.reshape(2, 2, 3).movedim(0, 2)",
                lambda a: np.moveaxis(a.reshape(2, 2, 3), 0, 2)),
    "movedim_lists": ("y = torch.movedim(x.reshape(2, 2, 3), (0, 1), (2, 0))",
                      lambda a: np.moveaxis(a.reshape(2, 2, 3), (0, 1), (2, 0))),
    "swapaxes": ("y = x.swapaxes(0, 1)", lambda a: a.T),
    "swapdims": ("y = x.swapdims(1, 0)", lambda a: a.T),
}


def grad_chain(fn):
    if fn is None:
        return None
    return (type(fn).__name__, tuple(grad_chain(f) for f, _ in fn.next_functions))


@pytest.mark.parametrize("name", list(VIEW_CASES))
def test_views_values_grad_fns_and_gradients(torch, name):
    line, numpy_fn = VIEW_CASES[name]
    src = f"""
x = torch.tensor(A, requires_grad=True)
{line}
y.backward(torch.tensor(W))
"""
    weights, (fd,) = finite_difference_grads(numpy_fn, [A.copy()])
    t, g = both(torch, src, A=A, W=weights)
    np.testing.assert_allclose(arr(g["y"]), arr(t["y"]))
    np.testing.assert_allclose(arr(g["y"]), numpy_fn(A))
    assert grad_chain(g["y"].grad_fn) == grad_chain(t["y"].grad_fn)
    np.testing.assert_allclose(arr(g["x"].grad), arr(t["x"].grad), rtol=1e-12)
    np.testing.assert_allclose(arr(g["x"].grad), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("src", [
    "torch.ones(3).narrow(0, 2, 2)",
    "torch.ones(3).narrow(0, 4, 0)",
    "torch.ones(3).narrow(1, 0, 1)",
    "torch.ones(3).unbind(5)",
    "torch.ones(3).movedim(0, 3)",
    "torch.ones(2, 3).movedim((0, 1), (1,))",
    "torch.ones(2, 3).movedim((0, 0), (0, 1))",
    "torch.ones(2, 3).swapaxes(0, 2)",
])
def test_view_errors_match_pytorch(torch, src):
    assert_same_error(torch, src)


def test_unbind_pieces_are_views(torch):
    t, g = both(torch, """
x = torch.zeros(2, 3)
first, second = x.unbind()
second[1] = 5.0
""")
    np.testing.assert_array_equal(arr(g["x"]), arr(t["x"]))


# --- in-place shape changes -------------------------------------------------------------------
def test_inplace_shape_changes_match_pytorch(torch):
    src = """
a = torch.arange(12.).reshape(3, 4)
a.unsqueeze_(0)
s1 = tuple(a.shape)
a.squeeze_()
s2 = tuple(a.shape)
a.t_()
s3 = tuple(a.shape)
b = torch.arange(24.).reshape(2, 3, 4)
r = b.transpose_(0, 2)
s4 = tuple(b.shape)
same = r is b
c = torch.ones(1, 2, 1)
c.squeeze_(0)
s5 = tuple(c.shape)
"""
    t, g = both(torch, src)
    for k in ("s1", "s2", "s3", "s4", "s5", "same"):
        assert g[k] == t[k], k
    np.testing.assert_array_equal(arr(g["a"]), arr(t["a"]))
    np.testing.assert_array_equal(arr(g["b"]), arr(t["b"]))


def test_inplace_shape_change_of_a_leaf_that_requires_grad_is_refused(torch):
    assert_same_error(torch, "torch.ones(2, requires_grad=True).unsqueeze_(0)")
    assert_same_error(torch, "torch.ones(2, 3, 4).t_()")


def test_inplace_shape_change_inside_a_graph_says_what_to_do():
    y = gradviz.ones(2, requires_grad=True) * 2
    with pytest.raises(NotImplementedError, match=r"x = x.unsqueeze\(...\)"):
        y.unsqueeze_(0)
    assert tuple(y.shape) == (2,)  # nothing half-changed


# --- cross ------------------------------------------------------------------------------------
CROSS_CASES = {
    "dim_1": ("y = torch.cross(a, b, dim=1)", lambda p, q: np.cross(p, q, axis=1)),
    "linalg": ("y = torch.linalg.cross(a, b)", lambda p, q: np.cross(p, q, axis=-1)),
    "method": ("y = a.cross(b, dim=-1)", lambda p, q: np.cross(p, q, axis=-1)),
    "dim_0": ("y = torch.cross(a.T, b.T, dim=0)", lambda p, q: np.cross(p.T, q.T, axis=0)),
    # broadcast: b's gradient is summed over the rows
    "broadcast": ("y = torch.linalg.cross(a, b[:1])", lambda p, q: np.cross(p, q[:1], axis=-1)),
}


@pytest.mark.parametrize("name", list(CROSS_CASES))
def test_cross_values_grad_fns_and_gradients(torch, name):
    line, numpy_fn = CROSS_CASES[name]
    a0, b0 = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    src = f"""
a = torch.tensor(A0, requires_grad=True)
b = torch.tensor(B0, requires_grad=True)
{line}
y.backward(torch.tensor(W))
"""
    weights, (fd_a, fd_b) = finite_difference_grads(numpy_fn, [a0.copy(), b0.copy()])
    t, g = both(torch, src, A0=a0, B0=b0, W=weights)
    np.testing.assert_allclose(arr(g["y"]), arr(t["y"]), rtol=1e-12)
    assert grad_chain(g["y"].grad_fn) == grad_chain(t["y"].grad_fn)
    for var, fd in (("a", fd_a), ("b", fd_b)):
        np.testing.assert_allclose(arr(g[var].grad), arr(t[var].grad), rtol=1e-12)
        np.testing.assert_allclose(arr(g[var].grad), fd, rtol=1e-6, atol=1e-8)


def test_cross_without_dim_warns_and_picks_the_first_dim_of_size_3(torch):
    results, messages = [], []
    for mod in (torch, gradviz):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(arr(mod.cross(mod.tensor(A.T.copy()), mod.tensor(B.T.copy()))))
        messages.append([str(w.message).split(" (Triggered internally")[0] for w in caught])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)
    assert messages[0] == messages[1] and len(messages[0]) == 1


@pytest.mark.parametrize("src", [
    "torch.cross(torch.ones(2, 2), torch.ones(2, 2))",
    "torch.cross(torch.ones(2, 3), torch.ones(2, 3), dim=0)",
    "torch.linalg.cross(torch.ones(2, 2), torch.ones(2, 2))",
])
def test_cross_errors_match_pytorch(torch, src):
    assert_same_error(torch, src)


# --- svd --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 2), (4, 3), (3, 5), (2, 4, 3)])
def test_svd_matches_pytorch(torch, shape):
    m = RNG.normal(size=shape)
    (tu, ts, tv), (gu, gs, gv) = torch.svd(torch.tensor(m)), gradviz.svd(gradviz.tensor(m))
    assert [tuple(x.shape) for x in (gu, gs, gv)] == [tuple(x.shape) for x in (tu, ts, tv)]
    np.testing.assert_allclose(arr(gs), arr(ts), rtol=1e-10)
    # Singular vectors are unique up to the sign of each pair (u_i, v_i).
    signs = np.sign(np.sum(arr(gu) * arr(tu), axis=-2, keepdims=True))
    np.testing.assert_allclose(arr(gu) * signs, arr(tu), atol=1e-10)
    np.testing.assert_allclose(arr(gv) * signs, arr(tv), atol=1e-10)
    recon = arr(gu) @ (arr(gs)[..., None] * np.swapaxes(arr(gv), -1, -2))
    np.testing.assert_allclose(recon, m, atol=1e-10)
    assert type(gradviz.tensor(m).svd()).__name__ == type(torch.tensor(m).svd()).__name__ == "svd"


def test_svd_of_a_tensor_that_requires_grad_is_refused_not_wrong():
    with pytest.raises(NotImplementedError, match="no gradient for svd"):
        gradviz.svd(gradviz.ones(2, 2, requires_grad=True))
    with gradviz.no_grad():
        assert gradviz.svd(gradviz.ones(2, 2, requires_grad=True)).S.shape == (2,)


# --- torch.sin_(x) and friends, torch.functional ----------------------------------------------
@pytest.mark.parametrize("name", ["sin_", "cos_", "exp_", "sqrt_", "abs_", "neg_", "tanh_",
                                  "sigmoid_", "relu_", "zero_", "floor_", "reciprocal_"])
def test_module_level_inplace_functions_change_their_argument(torch, name):
    values = np.array([0.25, 1.5, 2.0])
    t, g = torch.tensor(values), gradviz.tensor(values)
    rt, rg = getattr(torch, name)(t), getattr(gradviz, name)(g)
    assert rg is g and rt is t
    np.testing.assert_allclose(arr(g), arr(t), rtol=1e-12)


def test_import_torch_functional_gives_the_same_functions():
    import gradviz.functional as functional

    assert functional.split is gradviz.split and functional.norm is gradviz.norm
    assert functional.unique is gradviz.unique and functional.meshgrid is gradviz.meshgrid


# --- byte/char/short, is_complex, nbytes/itemsize, true_divide --------------------------------
def test_small_tensor_conveniences_match_pytorch(torch):
    src = """
x = torch.tensor([[1.7, -2.2, 300.0], [0.0, 5.5, -1.0]], requires_grad=True)
casts = [x.byte(), x.char(), x.short()]
info = (x.is_complex(), x.nbytes, x.itemsize, x.double().nbytes, x.short().itemsize)
q = torch.true_divide(torch.tensor([3, 4]), 2)
y = x.true_divide(2.0)
y.sum().backward()
"""
    t, g = both(torch, src)
    for ct, cg in zip(t["casts"], g["casts"]):
        assert str(cg.dtype).split(".")[-1] == str(ct.dtype).split(".")[-1]
        assert cg.grad_fn is None and ct.grad_fn is None
    np.testing.assert_array_equal(arr(g["casts"][1]), arr(t["casts"][1]))
    np.testing.assert_array_equal(arr(g["casts"][2]), arr(t["casts"][2]))
    assert g["info"] == t["info"]
    np.testing.assert_array_equal(arr(g["q"]), arr(t["q"]))
    assert str(g["q"].dtype).split(".")[-1] == str(t["q"].dtype).split(".")[-1]
    assert grad_chain(g["y"].grad_fn) == grad_chain(t["y"].grad_fn)
    np.testing.assert_allclose(arr(g["x"].grad), np.full((2, 3), 0.5))


@pytest.mark.torch
@pytest.mark.parametrize("op", ["&", "|", "^"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_bitwise_operators_match_pytorch(op, dtype):
    torch = pytest.importorskip("torch")
    a = np.array([5, 3, 0, 12]).astype(dtype)
    b = np.array([3, 6, 7, 10]).astype(dtype)
    expr = f"x {op} y"
    ours = eval(expr, {"x": gradviz.tensor(a), "y": gradviz.tensor(b)})
    theirs = eval(expr, {"x": torch.tensor(a), "y": torch.tensor(b)})
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal((~gradviz.tensor(a)).numpy(), (~torch.tensor(a)).numpy())
