"""Finite-difference checks of every op's backward, in float64.

For an op ``f`` with inputs ``x_i``, the engine's vector-Jacobian product with a random upstream
gradient ``u`` must equal the central difference of ``<f(x), u>`` with respect to each element
of each input. Inputs avoid kinks (abs/relu at 0, clamp at its bounds, max ties) and the
domains where an op is undefined (log/sqrt of non-positive numbers).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradviz as gv
import gradviz.nn.functional as F

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-7
HYP = settings(max_examples=20, deadline=None, derandomize=True)


# --- the checker -----------------------------------------------------------------------------
def _values(rng, shape, domain):
    return np.array(_draw(rng, shape, domain), dtype=np.float64)


def _draw(rng, shape, domain):
    if domain == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "away0":
        # |x| in [0.2, 1.5], random sign: far from the kink at 0.
        return rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if domain == "prob":
        return rng.uniform(0.1, 0.9, shape)
    if domain == "distinct":
        # Distinct values, well separated, so max/min have no ties within eps.
        n = int(np.prod(shape)) if shape else 1
        vals = rng.permutation(n).astype(np.float64) * 0.37 + rng.uniform(-0.05, 0.05, n)
        return vals.reshape(shape) - n * 0.18
    return rng.standard_normal(shape)


def make_inputs(rng, specs):
    return [_values(rng, shape, dom) for shape, dom in specs]


def vjp_check(fn, arrays, rng, *, use_backward=False, rtol=RTOL, atol=ATOL):
    """Compare the engine's VJP of ``fn`` at ``arrays`` with central differences."""
    leaves = [gv.tensor(a.copy(), dtype=gv.float64, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    assert out.dtype == gv.float64, out.dtype
    u = rng.standard_normal(out.shape)
    if use_backward:
        out.backward(gv.tensor(u))
        analytic = [leaf.grad.numpy() if leaf.grad is not None else np.zeros_like(a)
                    for leaf, a in zip(leaves, arrays)]
    else:
        grads = gv.autograd.grad(out, leaves, gv.tensor(u), allow_unused=True)
        analytic = [g.numpy() if g is not None else np.zeros_like(a) for g, a in zip(grads, arrays)]

    def scalar(arrs):
        with gv.no_grad():
            o = fn(*[gv.tensor(a, dtype=gv.float64) for a in arrs])
        return float(np.sum(o.numpy() * u))

    for k, a in enumerate(arrays):
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k][idx] += EPS
            minus[k][idx] -= EPS
            numeric[idx] = (scalar(plus) - scalar(minus)) / (2 * EPS)
        assert analytic[k].shape == a.shape, (k, analytic[k].shape, a.shape)
        np.testing.assert_allclose(analytic[k], numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {k}")


def run_case(fn, specs, seed=0, **kw):
    rng = np.random.default_rng(seed)
    vjp_check(fn, make_inputs(rng, specs), rng, **kw)


# --- elementwise binary ops over broadcasting shapes -------------------------------------------
BINARY = {
    "add": (lambda a, b: a + b, "any", "any"),
    "sub": (lambda a, b: a - b, "any", "any"),
    "mul": (lambda a, b: a * b, "any", "any"),
    "div": (lambda a, b: a / b, "any", "away0"),
    "pow": (lambda a, b: a ** b, "pos", "any"),
    "add_alpha": (lambda a, b: gv.add(a, b, alpha=2.5), "any", "any"),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=-0.5), "any", "any"),
    "where": (lambda a, b: gv.where(a > b, a, b), "any", "any"),
    "maximum": (lambda a, b: gv.maximum(a, b), "any", "any"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@HYP
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_binary_broadcast(name, shapes, seed):
    fn, da, db = BINARY[name]
    sa, sb = shapes.input_shapes
    rng = np.random.default_rng(seed)
    a, b = _values(rng, sa, da), _values(rng, sb, db)
    if name in ("where", "maximum"):
        # Keep a and b apart so the selection does not flip within eps.
        assume(np.all(np.abs(a - b) > 1e-3))
    vjp_check(fn, [a, b], rng)


SCALAR_FORMS = {
    "add_scalar": (lambda a: a + 1.5, "any"),
    "radd_scalar": (lambda a: 1.5 + a, "any"),
    "sub_scalar": (lambda a: a - 2.0, "any"),
    "rsub_scalar": (lambda a: 2.0 - a, "any"),
    "mul_scalar": (lambda a: a * -3.0, "any"),
    "rmul_scalar": (lambda a: -3.0 * a, "any"),
    "div_scalar": (lambda a: a / 4.0, "any"),
    "rdiv_scalar": (lambda a: 4.0 / a, "away0"),
    "pow_scalar": (lambda a: a ** 3, "any"),
    "pow_scalar_float": (lambda a: a ** 2.5, "pos"),
    "pow_scalar_neg": (lambda a: a ** -1.5, "pos"),
    "pow_scalar_zero": (lambda a: a ** 0, "any"),
    "pow_method": (lambda a: a.pow(2), "any"),
    "rpow_scalar": (lambda a: 2.0 ** a, "any"),
    "gv_pow_number_base": (lambda a: gv.pow(3.0, a), "any"),
    "neg": (lambda a: -a, "any"),
    "neg_fn": (lambda a: gv.neg(a), "any"),
    "exp": (lambda a: a.exp(), "any"),
    "log": (lambda a: gv.log(a), "pos"),
    "sqrt": (lambda a: a.sqrt(), "pos"),
    "abs": (lambda a: a.abs(), "away0"),
    "abs_builtin": (lambda a: abs(a), "away0"),
    "reciprocal": (lambda a: a.reciprocal(), "away0"),
    "relu": (lambda a: a.relu(), "away0"),
    "relu_fn": (lambda a: F.relu(a), "away0"),
    "sigmoid": (lambda a: a.sigmoid(), "any"),
    "tanh": (lambda a: gv.tanh(a), "any"),
    "clamp_both": (lambda a: a.clamp(-0.5, 0.5), "clampsafe"),
    "clamp_min": (lambda a: gv.clamp(a, min=-0.5), "clampsafe"),
    "clamp_max": (lambda a: gv.clamp(a, max=0.5), "clampsafe"),
    "clip": (lambda a: gv.clip(a, -0.5, 0.5), "clampsafe"),
    "mul_self": (lambda a: a * a, "any"),
    "div_self_chain": (lambda a: (a + 3.0) / (a * a + 1.0), "any"),
}


@pytest.mark.parametrize("name", sorted(SCALAR_FORMS))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_unary_and_scalar_forms(name, shape):
    fn, dom = SCALAR_FORMS[name]
    rng = np.random.default_rng(abs(hash((name, shape))) % 2**32)
    if dom == "clampsafe":
        a = np.array(rng.standard_normal(shape))
        a = np.where(np.abs(np.abs(a) - 0.5) < 0.05, a + 0.2, a)
    else:
        a = _values(rng, shape, dom)
    vjp_check(fn, [a], rng)


def test_pow_tensor_tensor_broadcast_both_grads():
    run_case(lambda a, b: gv.pow(a, b), [((2, 3), "pos"), ((3,), "any")])


def test_pow_zero_dim_tensor_exponent():
    run_case(lambda a, b: a ** b, [((3,), "pos"), ((), "any")])


# --- clamp with tensor bounds ---------------------------------------------------------------
def _clamp_tensor_inputs(rng, shape):
    a = rng.standard_normal(shape)
    lo = rng.uniform(-1.0, -0.2, shape[-1:])
    hi = rng.uniform(0.2, 1.0, shape)
    for bound in (lo, hi):
        a = np.where(np.abs(a - bound) < 0.05, a + 0.11, a)
    return a, lo, hi


def test_clamp_tensor_bounds():
    rng = np.random.default_rng(1)
    a, lo, hi = _clamp_tensor_inputs(rng, (3, 4))
    vjp_check(lambda x, l, h: gv.clamp(x, l, h), [a, lo, hi], rng)


def test_clamp_tensor_min_only_and_max_only():
    rng = np.random.default_rng(2)
    a, lo, hi = _clamp_tensor_inputs(rng, (3, 4))
    vjp_check(lambda x, l: gv.clamp(x, min=l), [a, lo], rng)
    vjp_check(lambda x, h: gv.clamp(x, max=h), [a, hi], rng)


def test_clamp_tensor_bounds_crossed():
    # lo > hi: PyTorch gives hi everywhere, and the gradient goes to hi.
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5,))
    lo = np.full(5, 0.8)
    hi = np.full(5, -0.8)
    vjp_check(lambda x, l, h: gv.clamp(x, l, h), [a, lo, hi], rng)


def test_where_with_scalar_branches():
    rng = np.random.default_rng(4)
    a = _values(rng, (3, 4), "away0")
    vjp_check(lambda x: gv.where(x > 0, x, 0.5), [a], rng)
    vjp_check(lambda x: gv.where(x > 0, -2.0, x * 3), [a], rng)


# --- reductions -------------------------------------------------------------------------------
REDUCTIONS = {
    "sum": lambda a: a.sum(),
    "sum_dim0": lambda a: a.sum(0),
    "sum_dim_neg": lambda a: a.sum(-1),
    "sum_keepdim": lambda a: a.sum(1, keepdim=True),
    "sum_tuple": lambda a: a.sum((0, 2)),
    "sum_tuple_keepdim": lambda a: gv.sum(a, (0, -1), keepdim=True),
    "mean": lambda a: a.mean(),
    "mean_dim": lambda a: a.mean(1),
    "mean_keepdim": lambda a: a.mean(-1, keepdim=True),
    "mean_tuple": lambda a: gv.mean(a, (1, 2)),
    "mean_tuple_keepdim": lambda a: a.mean((0, 1), keepdim=True),
    "max_full": lambda a: a.max(),
    "min_full": lambda a: gv.min(a),
    "max_dim": lambda a: a.max(1).values,
    "max_dim_keepdim": lambda a: a.max(-1, keepdim=True)[0],
    "min_dim": lambda a: gv.min(a, 0).values,
    "min_dim_keepdim": lambda a: a.min(2, keepdim=True).values,
    "amax_full": lambda a: a.amax(),
    "amax_dim": lambda a: a.amax(1),
    "amax_tuple": lambda a: gv.amax(a, (0, 2)),
    "amin_keepdim": lambda a: a.amin(-1, keepdim=True),
    "amin_tuple": lambda a: gv.amin(a, (1, 2), keepdim=False),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction(name):
    run_case(REDUCTIONS[name], [((2, 3, 4), "distinct")], seed=len(name))


def test_max_full_tie_evenly_distributed():
    # Hand computed: a full max with k tied maxima sends g/k to each (PyTorch's rule).
    x = gv.tensor([1.0, 3.0, 3.0, 2.0], dtype=gv.float64, requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5, 0])
    y = gv.tensor([[1.0, 3.0], [3.0, 0.0]], dtype=gv.float64, requires_grad=True)
    y.amax(1).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0, 1], [1, 0]])
    z = gv.tensor([2.0, 2.0, 1.0], dtype=gv.float64, requires_grad=True)
    z.amin(0).backward()
    np.testing.assert_allclose(z.grad.numpy(), [0, 0, 1])
    z2 = gv.tensor([2.0, 2.0, 5.0], dtype=gv.float64, requires_grad=True)
    z2.amin(0).backward()
    np.testing.assert_allclose(z2.grad.numpy(), [0.5, 0.5, 0])


def test_reductions_on_zero_dim_and_1d():
    run_case(lambda a: a.sum(), [((), "any")])
    run_case(lambda a: a.mean(), [((5,), "any")])
    run_case(lambda a: a.sum(0, keepdim=True), [((5,), "any")])
    run_case(lambda a: a.max(0).values, [((5,), "distinct")])


# --- activations over a dim ---------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax(dim):
    run_case(lambda a: a.softmax(dim), [((3, 4), "any")], seed=dim + 10)
    run_case(lambda a: F.softmax(a, dim=dim), [((2, 3, 2), "any")], seed=dim + 11)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_log_softmax(dim):
    run_case(lambda a: a.log_softmax(dim), [((3, 4), "any")], seed=dim + 20)
    run_case(lambda a: F.log_softmax(a, dim=dim), [((2, 3, 2), "any")], seed=dim + 21)


def test_softmax_1d():
    run_case(lambda a: gv.softmax(a, 0), [((5,), "any")])
    run_case(lambda a: gv.log_softmax(a, 0), [((5,), "any")])


# --- linear algebra -------------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 2)),
    ((3, 4), (4, 2)),
    ((2, 3, 4), (4, 2)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)),
    ((1, 3, 4), (2, 4, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa, sb):
    run_case(lambda a, b: gv.matmul(a, b), [(sa, "any"), (sb, "any")], seed=len(sa) * 7 + len(sb))
    run_case(lambda a, b: a @ b, [(sa, "any"), (sb, "any")], seed=len(sa) * 5 + len(sb))


def test_matmul_one_side_constant():
    rng = np.random.default_rng(5)
    w = gv.tensor(rng.standard_normal((4, 3)))
    vjp_check(lambda a: a @ w, [rng.standard_normal((2, 4))], rng)
    vjp_check(lambda b: gv.ones(4, dtype=gv.float64) @ b, [rng.standard_normal((4, 3))], rng)


def test_mm_mv_dot_bmm_addmm():
    run_case(gv.mm, [((3, 4), "any"), ((4, 2), "any")])
    run_case(gv.mv, [((3, 4), "any"), ((4,), "any")])
    run_case(gv.dot, [((5,), "any"), ((5,), "any")])
    run_case(gv.bmm, [((2, 3, 4), "any"), ((2, 4, 5), "any")])
    run_case(gv.addmm, [((3, 2), "any"), ((3, 4), "any"), ((4, 2), "any")])
    run_case(gv.addmm, [((2,), "any"), ((3, 4), "any"), ((4, 2), "any")])
    run_case(gv.addmm, [((1, 2), "any"), ((3, 4), "any"), ((4, 2), "any")])
    run_case(lambda a, b: a.mm(b), [((1, 4), "any"), ((4, 1), "any")])


@pytest.mark.parametrize("in_shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(in_shape, bias):
    specs = [(in_shape, "any"), ((5, 4), "any")] + ([((5,), "any")] if bias else [])
    run_case(lambda x, w, *b: F.linear(x, w, *b), specs, seed=len(in_shape) + 3 * bias)


# --- shape ops and indexing ----------------------------------------------------------------------
SHAPE_OPS = {
    "reshape": lambda a: a.reshape(4, 6),
    "reshape_infer": lambda a: a.reshape(-1),
    "reshape_tuple": lambda a: gv.reshape(a, (6, -1)),
    "view": lambda a: a.view(2, 12),
    "view_tuple": lambda a: a.view((3, 2, 4)),
    "flatten": lambda a: a.flatten(1),
    "transpose": lambda a: a.transpose(0, 2),
    "transpose_neg": lambda a: gv.transpose(a, -1, -2),
    "permute": lambda a: a.permute(2, 0, 1),
    "permute_tuple": lambda a: gv.permute(a, (1, 2, 0)),
    "T": lambda a: a.T,
    "mT": lambda a: a.mT,
    "t_then": lambda a: a[0].t(),
    "unsqueeze0": lambda a: a.unsqueeze(0),
    "unsqueeze_neg": lambda a: gv.unsqueeze(a, -1),
    "squeeze_all": lambda a: a[:, :1].squeeze(),
    "squeeze_dim": lambda a: a[:, :1].squeeze(1),
    "squeeze_noop_dim": lambda a: a.squeeze(0),
    "squeeze_tuple": lambda a: a[:1, :1].squeeze((0, 1)),
    "expand": lambda a: a[:, :1].expand(2, 3, 4),
    "expand_new_dims": lambda a: a[0, 0].expand(5, 2, 4),
    "expand_minus1": lambda a: a[:1].expand(3, -1, -1),
    "expand_as": lambda a: a[:, :1, :1].expand_as(a),
    "clone": lambda a: a.clone(),
    "gv_clone": lambda a: gv.clone(a),
    "reshape_noncontig": lambda a: a.transpose(0, 1).reshape(3, 8),
    "view_after_permute_contig": lambda a: a.permute(2, 0, 1).contiguous().view(4, 6),
    "getitem_int": lambda a: a[1],
    "getitem_neg_int": lambda a: a[-1, 2],
    "getitem_slice": lambda a: a[:, 1:3],
    "getitem_step": lambda a: a[..., ::2],
    "getitem_none": lambda a: a[None, 0, :, None],
    "getitem_ellipsis": lambda a: a[..., 1],
    "getitem_ellipsis_mid": lambda a: a[0, ..., 1:],
    "getitem_list": lambda a: a[[1, 0, 1]],
    "getitem_list_dim1": lambda a: a[:, [2, 0, 2, 2]],
    "getitem_two_lists": lambda a: a[[0, 1], [2, 2]],
    "getitem_bool_mask": lambda a: a[a > 0],
    "getitem_bool_rows": lambda a: a[gv.tensor([True, False])],
    "getitem_int_tensor": lambda a: a[gv.tensor([1, 1, 0])],
    "getitem_full_slice": lambda a: a[:],
    "getitem_ellipsis_only": lambda a: a[...],
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op(name):
    run_case(SHAPE_OPS[name], [((2, 3, 4), "away0")], seed=len(name))


def test_t_on_vector_and_scalar():
    run_case(lambda a: a.t() * 2, [((4,), "any")])
    run_case(lambda a: a.T * 2, [((4,), "any")])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    shapes = {0: [(2, 3), (1, 3), (3, 3)], 1: [(2, 1), (2, 4), (2, 2)], -1: [(2, 2), (2, 3), (2, 1)]}[dim]
    run_case(lambda *ts: gv.cat(ts, dim), [(s, "any") for s in shapes], seed=dim + 30)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    run_case(lambda *ts: gv.stack(list(ts), dim), [((2, 3), "any")] * 3, seed=dim + 40)


def test_cat_with_constant_and_repeated_input():
    rng = np.random.default_rng(6)
    c = gv.tensor(rng.standard_normal((2, 3)))
    vjp_check(lambda a: gv.cat([a, c, a], 0), [rng.standard_normal((1, 3))], rng)
    vjp_check(lambda a: gv.stack([a, c, a * 2], 1), [rng.standard_normal((2, 3))], rng)


# --- losses -----------------------------------------------------------------------------------------
REDS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDS)
@pytest.mark.parametrize("variant", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits(reduction, variant):
    rng = np.random.default_rng(hash((reduction, variant)) % 2**32)
    x = rng.standard_normal((3, 4)) * 2
    y = rng.uniform(0, 1, (3, 4))
    kw = {}
    if variant in ("weight", "both"):
        kw["weight"] = gv.tensor(rng.uniform(0.5, 2.0, (4,)))
    if variant in ("pos_weight", "both"):
        kw["pos_weight"] = gv.tensor(rng.uniform(0.5, 3.0, (4,)))
    # gradient with respect to both the logits and the (soft) target
    vjp_check(lambda a, t: F.binary_cross_entropy_with_logits(a, t, reduction=reduction, **kw),
              [x, y], rng)


def test_bce_with_logits_weight_and_pos_weight_as_inputs():
    # weight and pos_weight are plain constants for PyTorch's fused node too, but the formula
    # they enter must be right: check through finite differences in x only, at extreme logits.
    rng = np.random.default_rng(7)
    x = np.array([[-30.0, -2.0, 0.5, 25.0]])
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    pw = gv.tensor(np.array([2.0, 0.5, 3.0, 1.5]))
    vjp_check(lambda a: F.binary_cross_entropy_with_logits(a, gv.tensor(y), pos_weight=pw), [x], rng)


@pytest.mark.parametrize("reduction", REDS)
def test_bce(reduction):
    rng = np.random.default_rng(8)
    w = gv.tensor(rng.uniform(0.5, 2.0, (3, 4)))
    vjp_check(lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
              make_inputs(rng, [((3, 4), "prob"), ((3, 4), "prob")]), rng)
    vjp_check(lambda p, t: F.binary_cross_entropy(p, t, weight=w, reduction=reduction),
              make_inputs(rng, [((3, 4), "prob"), ((3, 4), "prob")]), rng)


@pytest.mark.parametrize("reduction", REDS)
def test_mse(reduction):
    run_case(lambda a, b: F.mse_loss(a, b, reduction=reduction), [((3, 4), "any"), ((3, 4), "any")])
    run_case(lambda a, b: F.mse_loss(a, b, reduction=reduction), [((5,), "any"), ((5,), "any")])


TARGETS = np.array([2, 0, 4, 1, 4, 3])


@pytest.mark.parametrize("reduction", REDS)
@pytest.mark.parametrize("variant", ["plain", "weight", "ignore", "weight_ignore"])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_losses(fn, reduction, variant):
    rng = np.random.default_rng(9)
    kw = {"reduction": reduction}
    if "weight" in variant:
        kw["weight"] = gv.tensor(rng.uniform(0.5, 2.0, (5,)))
    tgt = TARGETS.copy()
    if "ignore" in variant:
        tgt[[1, 4]] = 4
        kw["ignore_index"] = 4
    t = gv.tensor(tgt)
    f = getattr(F, fn)
    x = rng.standard_normal((6, 5))
    vjp_check(lambda a: f(a, t, **kw), [x], rng)


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_losses_unbatched_and_spatial(fn):
    rng = np.random.default_rng(10)
    f = getattr(F, fn)
    vjp_check(lambda a: f(a, gv.tensor(3)), [rng.standard_normal((5,))], rng)
    t = gv.tensor(rng.integers(0, 3, (2, 4)))
    for red in REDS:
        vjp_check(lambda a: f(a, t, reduction=red), [rng.standard_normal((2, 3, 4))], rng)


def test_cross_entropy_probability_targets():
    rng = np.random.default_rng(11)
    p = rng.uniform(0, 1, (4, 3))
    p /= p.sum(1, keepdims=True)
    for red in REDS:
        vjp_check(lambda a: F.cross_entropy(a, gv.tensor(p), reduction=red),
                  [rng.standard_normal((4, 3))], rng)


# --- composite programs and the engine's plumbing ---------------------------------------------------
def test_shared_subexpression_and_multiple_uses():
    def fn(a, b):
        h = (a * b).tanh()
        return (h * a + h.exp() / (b * b + 1)).sum(0) + h[0] * a[1]

    run_case(fn, [((3, 4), "any"), ((4,), "any")], use_backward=True)


def test_backward_accumulates_vjp():
    run_case(lambda a: (a.sigmoid() * a).softmax(-1), [((2, 5), "any")], use_backward=True)
