"""The math functions and reductions of ``gradviz.ops.pointwise`` and ``gradviz.ops.statistics``
(sin ... erf, rounding; norm, var/std, prod, logsumexp, cumsum, argmax/argmin, all/any):

- finite differences in float64 for every differentiable one;
- PyTorch parity: values, dtypes, gradients and grad_fn chains of the same source run on both,
  the dtypes of integer and bool inputs, the method, functional and in-place forms, numpy's
  ``axis``/``keepdims`` spellings, warnings and error texts.
"""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import gradviz as gv
from test_gradcheck import vjp_check
from test_parity_torch import chain, norm, run, to_np, up_to_hint


# --- finite differences ----------------------------------------------------------------------
def _draw(rng, shape, domain):
    return np.array(_draw_values(rng, shape, domain), dtype=np.float64)


def _draw_values(rng, shape, domain):
    if domain == "any":
        return rng.standard_normal(shape)
    if domain == "pos":
        return rng.uniform(0.3, 2.5, shape)
    if domain == "unit":  # inside (-1, 1), away from the ends where asin/acos blow up
        return rng.uniform(-0.85, 0.85, shape)
    if domain == "tan":  # away from the poles at ±π/2
        return rng.uniform(-1.2, 1.2, shape)
    if domain == "log1p":
        return rng.uniform(-0.7, 2.0, shape)
    if domain == "off_integers":  # piecewise-constant functions: away from their jumps
        return np.floor(rng.uniform(-4, 4, shape)) + rng.uniform(0.1, 0.4, shape) * rng.choice(
            [1.0, 2.0], shape)
    if domain == "distinct":  # no ties for the inf-norms (|x| distinct, away from 0)
        n = int(np.prod(shape)) if shape else 1
        mags = (rng.permutation(n) + 1.0) * 0.37
        return (mags * rng.choice([-1.0, 1.0], n)).reshape(shape)
    raise AssertionError(domain)


UNARY_FD = {
    "sin": (gv.sin, "any"), "cos": (gv.cos, "any"), "tan": (gv.tan, "tan"),
    "sinh": (gv.sinh, "any"), "cosh": (gv.cosh, "any"), "asin": (gv.asin, "unit"),
    "acos": (gv.acos, "unit"), "atan": (gv.atan, "any"), "log10": (gv.log10, "pos"),
    "log2": (gv.log2, "pos"), "log1p": (gv.log1p, "log1p"), "expm1": (gv.expm1, "any"),
    "exp2": (gv.exp2, "any"), "rsqrt": (gv.rsqrt, "pos"), "erf": (gv.erf, "any"),
    "square": (gv.square, "any"), "sign": (gv.sign, "off_integers"),
    "sgn": (gv.sgn, "off_integers"), "floor": (gv.floor, "off_integers"),
    "ceil": (gv.ceil, "off_integers"), "round": (gv.round, "off_integers"),
    "round_decimals": (lambda x: gv.round(x, decimals=1), "off_integers"),
    "trunc": (gv.trunc, "off_integers"), "frac": (gv.frac, "off_integers"),
    "method_sin": (lambda x: x.sin(), "any"), "method_rsqrt": (lambda x: x.rsqrt(), "pos"),
    "reciprocal": (gv.reciprocal, "pos"),
}


@pytest.mark.parametrize("name", sorted(UNARY_FD))
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_unary_finite_differences(name, shape):
    fn, domain = UNARY_FD[name]
    rng = np.random.default_rng(abs(hash((name, shape))) % 2**32)
    x = _draw(rng, shape, domain)
    if name == "round_decimals":
        # round(x, 1) jumps every 0.05: keep x at the middle of a tenth.
        x = np.array(np.round(x, 1) + 0.02)
    vjp_check(fn, [x], rng)


REDUCTION_FD = {
    "norm": (lambda x: x.norm(), "any"),
    "norm_p1_dim": (lambda x: x.norm(1, dim=-1), "distinct"),
    "norm_p3_keepdim": (lambda x: gv.norm(x, p=3, dim=0, keepdim=True), "any"),
    "norm_p0.5": (lambda x: x.norm(0.5), "distinct"),
    "norm_p1.5": (lambda x: x.norm(1.5, dim=0), "distinct"),
    "norm_inf": (lambda x: x.norm(float("inf")), "distinct"),
    "norm_-inf_dim": (lambda x: x.norm(float("-inf"), dim=-1), "distinct"),
    "norm_fro_dims": (lambda x: x.norm("fro", dim=(0, x.ndim - 1) if x.ndim > 1 else 0), "any"),
    "linalg_vector_norm": (lambda x: gv.linalg.vector_norm(x, 2.5, dim=-1), "any"),
    "var": (lambda x: x.var(), "any"),
    "var_dim_biased": (lambda x: x.var(0, unbiased=False), "any"),
    "var_correction_keepdim": (lambda x: gv.var(x, dim=-1, correction=0, keepdim=True), "any"),
    "std": (lambda x: x.std(), "any"),
    "std_dim": (lambda x: gv.std(x, -1, True, True), "any"),
    "prod": (lambda x: x.prod(), "any"),
    "prod_dim": (lambda x: x.prod(-1), "any"),
    "prod_dim_keepdim": (lambda x: gv.prod(x, 0, keepdim=True), "any"),
    "logsumexp": (lambda x: x.logsumexp(-1), "any"),
    "logsumexp_dims_keep": (lambda x: gv.logsumexp(x, (0, x.ndim - 1) if x.ndim > 1 else 0,
                                                   keepdim=True), "any"),
    "cumsum": (lambda x: x.cumsum(0), "any"),
    "cumsum_last": (lambda x: gv.cumsum(x, dim=-1), "any"),
    "cumprod": (lambda x: x.cumprod(0), "any"),
    "cumprod_last": (lambda x: gv.cumprod(x, dim=-1), "any"),
    "sort_values": (lambda x: x.sort(dim=0).values, "distinct"),
    "sort_descending": (lambda x: gv.sort(x, descending=True)[0], "distinct"),
    "topk_values": (lambda x: x.topk(2, dim=-1).values, "distinct"),
    "topk_smallest": (lambda x: gv.topk(x, 1, dim=0, largest=False)[0], "distinct"),
    "clamp_min": (lambda x: x.clamp_min(0.1), "distinct"),
    "clamp_max": (lambda x: gv.clamp_max(x, 0.1), "distinct"),
    "nan_to_num": (lambda x: gv.nan_to_num(x * 2.0), "any"),
    "flip": (lambda x: x.flip(0) * x, "any"),
    "roll": (lambda x: gv.roll(x, 2) * x, "any"),
    "roll_dim": (lambda x: x.roll(-1, 0) * x, "any"),
    "repeat": (lambda x: x.repeat(2, *([1] * x.dim())) * 1.5, "any"),
    "tile": (lambda x: gv.tile(x, (3,)), "any"),
    "outer": (lambda x: gv.outer(x.reshape(-1), x.reshape(-1).sin()), "any"),
    "hstack_vstack": (lambda x: gv.hstack([x, x * 2]).sum() + gv.vstack([x, x.exp()]), "any"),
    "meshgrid": (lambda x: sum(gv.meshgrid(x.reshape(-1), x.reshape(-1)[:2] * 3, indexing="xy")), "any"),
    "lerp_scalar": (lambda x: gv.lerp(x, x * x, 0.3), "any"),
    "std_mean": (lambda x: sum(gv.std_mean(x, -1)), "any"),
    "var_mean": (lambda x: gv.var_mean(x, 0, keepdim=True)[0] * 2 + gv.var_mean(x)[1], "any"),
}


@pytest.mark.parametrize("name", sorted(REDUCTION_FD))
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_reduction_finite_differences(name, shape):
    fn, domain = REDUCTION_FD[name]
    rng = np.random.default_rng(abs(hash((name, shape))) % 2**32)
    vjp_check(fn, [_draw(rng, shape, domain)], rng)


def test_two_input_clamps_finite_differences():
    rng = np.random.default_rng(4)
    a, b = _draw(rng, (3, 4), "distinct"), _draw(rng, (4,), "distinct") * 0.9 + 0.05
    vjp_check(lambda x, y: gv.clamp_min(x, y), [a, b], rng)
    vjp_check(lambda x, y: x.clamp_max(y), [a, b], rng)


def test_diagonals_finite_differences():
    rng = np.random.default_rng(8)
    m, v = rng.standard_normal((3, 4)), rng.standard_normal(3)
    vjp_check(lambda a: gv.diag(a), [m], rng)
    vjp_check(lambda a: a.diag(1), [m], rng)
    vjp_check(lambda a: gv.diagonal(a, -1), [m], rng)
    vjp_check(lambda a: a.diagonal(0, 1, 2), [rng.standard_normal((2, 3, 3))], rng)
    vjp_check(lambda a: gv.diag(a) * 2, [v], rng)
    vjp_check(lambda a: a.diag_embed(1), [rng.standard_normal((2, 3))], rng)
    vjp_check(lambda a: gv.trace(a) * a.trace(), [m], rng)


def test_lerp_with_tensor_weight_finite_differences():
    rng = np.random.default_rng(6)
    vjp_check(lambda a, b, w: a.lerp(b, w), [rng.standard_normal((2, 3)),
                                             rng.standard_normal((3,)),
                                             rng.uniform(0, 1, (2, 3))], rng)


def test_cumprod_gradient_with_zeros_is_exact():
    # d(cumprod)/dx by hand for x = [2, 0, 3]: outputs [2, 0, 0]; the sum's gradient is
    # [1 + 0 + 0, 2 + 2·3, 0] = [1, 8, 0].
    x = gv.tensor([2.0, 0.0, 3.0], dtype=gv.float64, requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad.tolist() == [1.0, 8.0, 0.0]


def test_prod_gradient_with_zeros_is_exact():
    # One zero: only the zero's position gets a gradient (the product of the others); two
    # zeros: none at all. Checked by hand, since result / x would divide by zero.
    x = gv.tensor([2.0, 0.0, 3.0, 4.0], dtype=gv.float64, requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 24.0, 0.0, 0.0]
    y = gv.tensor([[0.0, 5.0, 0.0], [1.0, 2.0, 3.0]], dtype=gv.float64, requires_grad=True)
    y.prod(1).sum().backward()
    assert y.grad.tolist() == [[0.0, 0.0, 0.0], [6.0, 3.0, 2.0]]


# --- PyTorch parity: values, dtypes, gradients, grad_fn chains ---------------------------------
# Each program reads float64 leaves a (3,), b (3, 4), p (positive, (3, 4)), u (inside (-1, 1)),
# s (0-d) and sets ``out``.
PROGRAMS = {
    "trig": "out = a.sin() + torch.cos(a) * torch.tan(a * 0.5) + b.sin().sum(1)",
    "hyperbolic": "out = torch.sinh(b) - b.cosh() + torch.atan(b) + u.asin() + torch.acos(u)",
    "logs": "out = p.log10() + torch.log2(p) + torch.log1p(p) * b.expm1() + torch.exp2(b)",
    "rsqrt_reciprocal_square": "out = p.rsqrt() + torch.reciprocal(p) + torch.square(b) + a.square().sum()",
    "erf": "out = torch.erf(b) * b.erf()",
    "sign_rounding": "out = b * b.sign() + torch.floor(b * 3) + b.ceil() + torch.round(b * 5) "
                     "+ b.trunc() + torch.sgn(b) + b.frac() + torch.round(b, decimals=1)",
    "maximum_minimum": "out = torch.maximum(b, p - 1) + b.minimum(a.unsqueeze(1))",
    "norms": "out = b.norm() + b.norm(1) + torch.norm(b, p=3, dim=1).sum() + b.norm(dim=0, keepdim=True) "
             "+ b.norm(float('inf')) + b.norm(float('-inf'), 1).sum() + b.norm(0) + b.norm('fro', dim=(0, 1))",
    "linalg_norms": "out = torch.linalg.vector_norm(b, 2.5, dim=-1).sum() + torch.linalg.norm(b) + torch.linalg.norm(a, 1)",
    "var_std": "out = b.var() + b.var(1) .sum() + b.var(0, False).sum() + torch.var(b, dim=1, correction=0, keepdim=True) "
               "+ b.std() + torch.std(b, 0, True, True) + b.std(unbiased=False) + b.var(False)",
    "var_std_axis_keepdims": "out = b.var(axis=1, keepdims=True) + b.std(axis=0, keepdims=True)",
    "prod": "out = b.prod() + b.prod(1, keepdim=True) + torch.prod(a, 0)",
    "prod_dtype": "out = a.prod(dtype=torch.float32) + b.float().prod(0, dtype=torch.float64).sum()",
    "logsumexp": "out = b.logsumexp(1) + torch.logsumexp(b, (0, 1)) + b.logsumexp(0, keepdim=True).sum()",
    "cumsum": "out = b.cumsum(1) + torch.cumsum(b, dim=0) + a.cumsum(0, dtype=torch.float32).sum()",
    "zero_dim": "out = s.var(0, correction=0) + s.std(0, correction=0) + s.logsumexp(0) + s.norm(dim=0) "
                "+ s.sum(0) + s.mean(-1, keepdim=True) + s.amax(0) + s.prod(0) + s.cumsum(0) + s.norm(p=3) "
                "+ s.square() + s.sin() + s.norm(float('inf'), dim=-1)",
    "keepdims_everywhere": "out = b.sum(1, keepdims=True) + b.mean(axis=1, keepdims=True) + b.amax(1, keepdims=True) "
                           "+ b.max(1, keepdims=True)[0] + b.min(axis=1, keepdims=True).values + b.amin(1, keepdims=True) "
                           "+ torch.sum(b, axis=1, keepdims=True) + b.logsumexp(1, keepdims=True) + b.prod(1, keepdims=True)",
    # In place: ops whose backward reads their input (sin_, log_, ...) can be chained; those
    # whose backward reads their result (exp_, sqrt_, tanh_, ...) must be the last change.
    "cumprod_sort_topk": "out = b.cumprod(1) + torch.cumprod(b, dim=0) + b.sort(1).values + torch.sort(b, 0, True)[0] "
                         "+ b.topk(4, dim=1).values + torch.topk(b, 3, dim=0, largest=False).values.sum(0)",
    "clamp_min_max": "out = b.clamp_min(0.1) + torch.clamp_max(b, -0.2) + b.clamp_min(a.unsqueeze(1)) "
                     "+ torch.clamp_max(b, p) + b.clone().clamp_min_(0.0) + b.clone().clamp_max_(0.3)",
    "lerp_nan_to_num": "out = torch.lerp(b, p, 0.25) + b.lerp(p, u.abs()) + torch.lerp(a.unsqueeze(1), b, p * 0.3) "
                       "+ torch.nan_to_num(b.log()) + b.log().nan_to_num(nan=1.0, neginf=-2.0) "
                       "+ b.clone().lerp_(p, 0.5) + b.log().nan_to_num_(nan=0.5)",
    "rearrange": "out = b.flip(0) + torch.flip(b, [0, 1]) + b.roll(1) + torch.roll(b, (1, -2), (0, 1)) "
                 "+ b.repeat(1, 1) + torch.tile(a.unsqueeze(1), (1, 4)) + torch.outer(a, c4) "
                 "+ torch.diag(torch.diag(b)).sum() + b.diagonal(1).sum() + torch.diag_embed(a).sum() "
                 "+ torch.trace(b) + b.trace() + torch.hstack([a, a]).sum() + torch.vstack([c4, c4]).sum(0) "
                 "+ torch.column_stack([a, a]).sum(1, keepdim=True) + torch.dstack([b, b]).sum(-1) "
                 "+ sum(torch.meshgrid(a, c4, indexing='ij')) + torch.fliplr(b) + torch.flipud(b) "
                 "+ b.repeat(2, 1)[:3] + c4.outer(a).T + b.repeat_interleave(2, dim=0)[::2] "
                 "+ torch.repeat_interleave(b, 2)[::2].reshape(3, 4) "
                 "+ b.repeat_interleave(torch.tensor([2, 1, 1]), dim=0)[1:]",
    "inplace_math": "h = b * 1.0; h.sin_(); h.add_(2.0); h.log_(); h.mul_(3.0); h.floor_(); h.add_(b); "
                    "h.abs_(); h.add_(0.5); h.sqrt_(); "
                    "k = p * 1.0; k.log1p_(); k.erf_(); k.square_(); k.cos_(); k.round_(decimals=2); "
                    "k.add_(p); k.abs_(); k.reciprocal_(); m = p * 1.0; m.rsqrt_(); out = h + k + m",
    "inplace_math_2": "h = u * 1.0; h.sinh_(); h.cosh_(); h.log2_(); h.log10_(); h.sign_(); h.add_(u); "
                      "h.trunc_(); h.add_(u); h.ceil_(); h.add_(u); t1 = u * 1.0; t1.tan_(); "
                      "t2 = u * 1.0; t2.expm1_(); t3 = u * 1.0; t3.tanh_(); t4 = u * 1.0; t4.sigmoid_(); "
                      "out = h + t1 + t2 + t3 + t4 + u.clone().exp_()",
}


def _leaves(mod, seed=3):
    rng = np.random.default_rng(seed)
    vals = {"a": rng.standard_normal(3), "b": rng.standard_normal((3, 4)),
            "p": rng.uniform(0.3, 2.0, (3, 4)), "u": rng.uniform(-0.8, 0.8, (3, 4)),
            "s": np.array(rng.uniform(0.5, 1.5)), "c4": rng.standard_normal(4)}
    return {k: mod.tensor(v, dtype=mod.float64, requires_grad=True) for k, v in vals.items()}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_parity(torch, name):
    results = {}
    for mod in (torch, gv):
        leaves = _leaves(mod)
        out = run(PROGRAMS[name], mod, **leaves)["out"]
        u = np.random.default_rng(1).standard_normal(tuple(out.shape))
        out.backward(mod.tensor(u, dtype=mod.float64))
        results[mod.__name__] = (to_np(out), norm(str(out.dtype)), chain(out.grad_fn),
                                 {k: to_np(v.grad) for k, v in leaves.items()})
    t, g = results["torch"], results["gradviz"]
    np.testing.assert_allclose(g[0], t[0], rtol=1e-10, atol=1e-12)
    assert g[1] == t[1]
    assert g[2] == t[2]
    for k in t[3]:
        if t[3][k] is None:
            assert g[3][k] is None, k
        else:
            np.testing.assert_allclose(g[3][k], t[3][k], rtol=1e-9, atol=1e-12, err_msg=k)


def _names(fn):
    """The grad_fn graph as node names only (no output numbers)."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple(_names(f) for f, _ in fn.next_functions))


@pytest.mark.torch
def test_std_mean_and_var_mean_parity(torch):
    # PyTorch records one node with two outputs; gradviz one node per output with the same
    # name, so the chains agree in names, not in output numbers.
    src = ("s1, m1 = torch.std_mean(b, 1); v2, m2 = torch.var_mean(b, dim=0, keepdim=True, "
           "correction=0); s3, m3 = torch.std_mean(b); "
           "out = s1.unsqueeze(1) * m1.unsqueeze(1) + v2 + m2 + s3 * m3")
    results = []
    for mod in (torch, gv):
        leaves = _leaves(mod)
        out = run(src, mod, **leaves)["out"]
        out.backward(mod.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape))))
        results.append((to_np(out), _names(out.grad_fn), to_np(leaves["b"].grad)))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-10)
    assert results[1][1] == results[0][1]
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-9, atol=1e-12)


# Values and dtypes for integer, bool, float32 and special inputs (no grad involved).
VALUE_CASES = [
    f"torch.{fn}({arg})"
    for fn in ["sin", "cos", "tan", "sinh", "cosh", "log10", "log2", "log1p", "expm1", "exp2",
               "rsqrt", "reciprocal", "erf", "square", "sign", "sgn", "floor", "ceil", "round",
               "trunc", "atan"]
    for arg in ["torch.tensor([1, 2, -3])", "torch.tensor([1, 2, 3], dtype=torch.int32)",
                "torch.tensor([0.5, -1.25, 2.5, 3.5, -0.5])",
                "torch.tensor([float('nan'), float('inf'), -float('inf'), 0.0, -0.0])",
                "torch.tensor(2.5, dtype=torch.float64)"]
] + [
    "torch.square(torch.tensor([True, False]))", "torch.sign(torch.tensor([True, False]))",
    "torch.sin(torch.tensor([True, False]))", "torch.reciprocal(torch.tensor([True, False]))",
    "torch.round(torch.tensor([0.125, 1250.0, -2.5]), decimals=-2)",
    "torch.round(torch.tensor([0.125, 1.2345, -2.55]), decimals=2)",
    "torch.maximum(torch.tensor([1, 2]), torch.tensor([1.5, 0.0]))",
    "torch.minimum(torch.tensor([1, 5], dtype=torch.int32), torch.tensor([3]))",
    "torch.erf(torch.linspace(-4, 4, 33))", "torch.erf(torch.linspace(-4, 4, 33, dtype=torch.float64))",
    "torch.tensor([1, 2, 3], dtype=torch.int32).cumsum(0)", "torch.tensor([True, True]).cumsum(0)",
    "torch.tensor(2.0).cumsum(0)", "torch.tensor([1, 2, 3], dtype=torch.int32).prod()",
    "torch.tensor([True, True]).prod()", "torch.tensor([1, 2], dtype=torch.int32).prod(0)",
    "torch.tensor([1, 2, 3]).logsumexp(0)", "torch.tensor([float('inf'), 1.0]).logsumexp(0)",
    "torch.tensor([-float('inf'), -float('inf')]).logsumexp(0)",
    "torch.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]]).argmax()",
    "torch.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]]).argmax(1)",
    "torch.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]]).argmin(0, keepdim=True)",
    "torch.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]]).argmin(keepdim=True)",
    "torch.argmax(torch.tensor([[1.0, 5.0], [7.0, 0.0]]), dim=1, keepdims=True)",
    "torch.tensor([1.0, float('nan'), 3.0]).argmax()", "torch.tensor(3.0).argmax(0)",
    "torch.tensor([[1, 0], [1, 1]]).all()", "torch.tensor([[1, 0], [1, 1]]).all(1)",
    "torch.tensor([[1, 0], [0, 0]]).any(0, keepdim=True)", "torch.any(torch.tensor([0.0, 0.5]))",
    "torch.tensor([1, 0], dtype=torch.uint8).any()", "torch.all(torch.tensor([[True, False]]), dim=(0, 1))",
    "torch.tensor([[True, False]]).all(axis=1, keepdims=True)",
    "torch.ones(2, 2).norm(dim=[0, 1])", "torch.tensor(-3.0).norm()",
    "torch.zeros(0, 2).norm(float('inf'), dim=1)", "torch.tensor([3.0, 4.0]).norm(p=2, dtype=torch.float64)",
    "torch.tensor(2.0).var(0)", "torch.tensor(2.0).std()", "torch.tensor(3.0).all(0)",
    "torch.tensor(0.0).any(-1, keepdim=True)",
    "torch.tensor([1.0, 2.0, 4.0]).var(dim=0, unbiased=False)", "torch.ones(2, 2).var((0, 1))",
    "torch.ones(2, 3).var(None, correction=2)", "torch.tensor([1.0, 2.0]).std(0, correction=0)",
    # ordering, comparisons and questions about values
    "torch.tensor([3.0, 1.0, 2.0, 1.0]).sort()", "torch.tensor([3.0, 1.0, 2.0, 1.0]).sort(descending=True)",
    "torch.tensor([1.0, float('nan'), 3.0, 3.0]).sort(descending=True)",
    "torch.tensor([[3, 1], [0, 2]]).sort(dim=0)", "torch.argsort(torch.tensor([3.0, 1.0, 2.0, 1.0]))",
    "torch.tensor([3.0, 1.0, 2.0, 1.0]).argsort(descending=True)", "torch.tensor([5, 1, 4, 2]).topk(2)",
    "torch.topk(torch.tensor([[5.0, 1.0], [4.0, 7.0]]), 1, dim=0)", "torch.tensor(2.0).topk(1)",
    "torch.tensor([2, 0, 3]).cumprod(0)", "torch.tensor([True, False]).cumprod(0)",
    "torch.clamp_min(torch.tensor([1, 2]), 1.5)", "torch.tensor([1, 5]).clamp_max(3)",
    "torch.std_mean(torch.tensor([1.0, 2.0, 4.0]))", "torch.var_mean(torch.tensor([[1.0, 2.0], [4.0, 8.0]]), 1)",
    "torch.isclose(torch.tensor([1.0, 2.0, float('nan'), float('inf')]), torch.tensor([1.0 + 1e-9, 2.1, float('nan'), float('inf')]))",
    "torch.isclose(torch.tensor([float('nan')]), torch.tensor([float('nan')]), equal_nan=True)",
    "torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3]))", "torch.isclose(torch.tensor([1.0]), torch.tensor([1.1]), rtol=0.2)",
    "torch.eq(torch.tensor([1, 2]), 2)", "torch.ne(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0]))",
    "torch.gt(torch.tensor([1, 2]), 1.5)", "torch.ge(torch.tensor([[1], [2]]), torch.tensor([1, 2]))",
    "torch.lt(torch.tensor([1.0]), torch.tensor(2.0))", "torch.le(torch.tensor([1, 2]), 1)",
    "torch.logical_and(torch.tensor([1.0, 0.0, 2.0]), torch.tensor([True, True, False]))",
    "torch.logical_or(torch.tensor([0, 0]), torch.tensor([0, 3]))", "torch.logical_xor(torch.tensor([True]), torch.tensor([True]))",
    "torch.logical_not(torch.tensor([1.0, 0.0]))", "torch.tensor([0, 5]).logical_not()",
    "torch.isnan(torch.tensor([1.0, float('nan')]))", "torch.isinf(torch.tensor([1.0, -float('inf')]))",
    "torch.isfinite(torch.tensor([1.0, float('nan'), float('inf')]))", "torch.isnan(torch.tensor([1]))",
    "torch.count_nonzero(torch.tensor([[1, 0], [0, 1]]), dim=0)", "torch.count_nonzero(torch.tensor([0.0, 2.0]))",
    "torch.nonzero(torch.tensor([[1, 0], [0, 1]]))", "torch.nonzero(torch.tensor(3.0))",
    "torch.argwhere(torch.tensor([0.0, 1.0, 2.0]))", "torch.tensor([0, 1, 2]).nonzero()",
    "torch.unique(torch.tensor([3, 1, 3, 2]))", "torch.unique(torch.tensor([[1, 2], [1, 2]]), dim=0)",
    "torch.tensor([3.0, 1.0, 3.0]).unique()",
    "torch.bincount(torch.tensor([0, 2, 2]))", "torch.bincount(torch.tensor([0, 2, 2]), minlength=5)",
    "torch.bincount(torch.tensor([0, 2, 2]), weights=torch.tensor([1.0, 2.0, 3.0]))",
    "torch.bincount(torch.tensor([0, 2, 2]), weights=torch.tensor([1, 2, 3]))",
    "torch.tensor([1.0, 2.0]).new_zeros(2, 3)", "torch.tensor([1.0, 2.0]).new_ones((2,))",
    "torch.tensor([1.0, 2.0], dtype=torch.float64).new_tensor([1, 2])", "torch.tensor([1, 2]).new_tensor([1.5])",
    "torch.tensor([1.0, 2.0]).new_full((2,), 3)", "torch.tensor([1.0]).new_zeros(2, dtype=torch.int64)",
    "torch.tensor([1.0, 2.0]).new_empty(2).shape",
    "torch.is_floating_point(torch.tensor([1.0]))", "torch.tensor([1.0, 2.0]).allclose(torch.tensor([1.0, 2.0 + 1e-7]))",
    "torch.tensor([1, 2]).equal(torch.tensor([1, 2]))",
    "torch.nan_to_num(torch.tensor([1.0, float('nan'), float('inf'), -float('inf')]))",
    "torch.nan_to_num(torch.tensor([float('nan'), float('inf')], dtype=torch.float64), nan=2.0, posinf=1.0)",
    "torch.nan_to_num(torch.tensor([1, 2]))", "torch.lerp(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 6.0]), 0.75)",
    "torch.where(torch.tensor([[1.0, -1.0], [0.0, 2.0]]) > 0)", "torch.where(torch.tensor([0, 3, 1]))",
    "torch.ones(2, 3).ndimension()", "torch.ones(2, dtype=torch.int16).element_size()",
    "torch.ones(2, dtype=torch.float64).element_size()",
]


def _comparable(v):
    if isinstance(v, tuple):  # (values, indices) and the like
        parts = [_comparable(x) for x in v]
        return (np.concatenate([p[0].astype(np.float64).ravel() for p in parts]),
                "|".join(p[1] for p in parts), tuple(p[2] for p in parts))
    if hasattr(v, "dtype"):
        return to_np(v), norm(str(v.dtype)), tuple(v.shape)
    return np.asarray(v), type(v).__name__, ()


@pytest.mark.torch
@pytest.mark.parametrize("expr", VALUE_CASES)
def test_value_and_dtype_parity(torch, expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = run(f"out = {expr}", torch)["out"]
        g = run(f"out = {expr}", gv)["out"]
    tv, td, ts = _comparable(t)
    gv_, gd, gs = _comparable(g)
    assert (gd, gs) == (td, ts), expr
    np.testing.assert_allclose(gv_.astype(np.float64), tv.astype(np.float64), rtol=2e-7,
                               atol=1e-7, equal_nan=True, err_msg=expr)


@pytest.mark.torch
def test_grad_fn_names_of_every_form(torch):
    # The functional, method and in-place forms all record the node PyTorch records.
    forms = ["torch.{f}(x)", "x.{f}()", "x.clone().{f}_()"]
    fns = ["sin", "cos", "tan", "sinh", "cosh", "log10", "log2", "log1p", "expm1", "rsqrt",
           "reciprocal", "square", "sign", "floor", "ceil", "round", "trunc", "erf", "sqrt",
           "log", "abs", "tanh", "sigmoid", "exp", "neg"]
    for fn in fns:
        for form in forms:
            src = "x = torch.tensor([0.5, 1.5], requires_grad=True); out = " + form.format(f=fn)
            names = [chain(run(src, mod)["out"].grad_fn) for mod in (torch, gv)]
            assert names[1] == names[0], (fn, form, names)


# --- errors and warnings -------------------------------------------------------------------------
ERROR_CASES = {
    "sin_of_number": "torch.sin(1.0)",
    "sin_of_list": "torch.sin([1.0])",
    "maximum_of_number": "torch.maximum(torch.ones(1), 1.0)",
    "maximum_broadcast": "torch.maximum(torch.ones(2), torch.ones(3))",
    "floor_bool": "torch.floor(torch.tensor([True]))",
    "ceil_bool": "torch.tensor([True]).ceil()",
    "round_bool": "torch.round(torch.tensor([True]))",
    "trunc_bool": "torch.trunc(torch.tensor([True]))",
    "round_decimals_int": "torch.round(torch.tensor([15, 24]), decimals=-1)",
    "frac_int": "torch.frac(torch.tensor([1]))",
    "inplace_float_result_on_int": "torch.tensor([1, 2]).sin_()",
    "inplace_on_leaf": "torch.ones(2, requires_grad=True).sin_()",
    "var_int": "torch.tensor([1, 2, 3]).var()",
    "std_int": "torch.tensor([1, 2]).std()",
    "var_dim_out_of_range": "torch.ones(2).var(1)",
    "var_dim_twice": "torch.ones(2, 2).var((0, 0))",
    "norm_int": "torch.tensor([1, 2, 3]).norm()",
    "norm_bad_order": "torch.ones(2).norm('bad')",
    "norm_narrowing_dtype": "torch.ones(2, dtype=torch.float64).norm(dtype=torch.float32)",
    "norm_inf_empty": "torch.zeros(0).norm(float('inf'))",
    "norm_neg_empty_dim": "torch.zeros(0, 2).norm(-1, dim=0)",
    "logsumexp_no_dim": "torch.ones(2).logsumexp()",
    "cumsum_no_dim": "torch.ones(2).cumsum()",
    "cumsum_dim_out_of_range": "torch.ones(2).cumsum(1)",
    "prod_dim_tuple": "torch.ones(2, 2).prod((0, 1))",
    "argmax_empty": "torch.tensor([]).argmax()",
    "argmax_dim_out_of_range": "torch.ones(2).argmax(1)",
    "argmax_bool": "torch.tensor([False, True]).argmax()",
    "argmin_dim_tuple": "torch.ones(2, 3).argmin((0,))",
    "all_dim_out_of_range": "torch.ones(2).all(2)",
    "cumprod_no_dim": "torch.ones(2).cumprod()",
    "topk_too_many": "torch.ones(3).topk(4)",
    "topk_negative": "torch.ones(3).topk(-1)",
    "sort_dim_out_of_range": "torch.ones(3).sort(1)",
    "isclose_dtypes": "torch.isclose(torch.tensor([1, 2]), torch.tensor([1.0, 3.0]))",
    "isclose_float_double": "torch.isclose(torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64))",
    "bincount_negative": "torch.bincount(torch.tensor([-1]))",
    "bincount_2d": "torch.bincount(torch.tensor([[1]]))",
    "bincount_float": "torch.bincount(torch.tensor([1.0]))",
    "logical_and_number": "torch.logical_and(torch.tensor([1.0, 0.0]), 1)",
    "eq_broadcast": "torch.eq(torch.tensor([1, 2]), torch.tensor([1, 2, 3]))",
    "clamp_min_broadcast": "torch.clamp_min(torch.ones(2), torch.ones(3))",
    "std_mean_int": "torch.std_mean(torch.tensor([1, 2]))",
    "lerp_dtypes": "torch.lerp(torch.ones(2), torch.ones(2, dtype=torch.float64), 0.5)",
    "lerp_number_end": "torch.lerp(torch.ones(2), 2.0, 0.5)",
    "repeat_too_few_dims": "torch.ones(2, 3).repeat(2)",
    "roll_shifts_dims": "torch.ones(2, 3).roll((1, 2), 0)",
    "roll_no_dims_two_shifts": "torch.ones(2, 3).roll((1, 2))",
    "diag_3d": "torch.diag(torch.ones(2, 2, 2))",
    "trace_vector": "torch.trace(torch.ones(3))",
    "outer_matrix": "torch.outer(torch.ones(2, 2), torch.ones(2))",
    "outer_matrix_vec2": "torch.ones(2).outer(torch.ones(2, 2))",
    "flip_dim_out_of_range": "torch.ones(2).flip(1)",
    "meshgrid_bad_indexing": "torch.meshgrid(torch.ones(2), torch.ones(3), indexing='yx')",
}


def _error(src, mod):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run(src, mod)
    except Exception as exc:  # noqa: BLE001 - the exception is what is compared
        return type(exc).__name__, up_to_hint(str(exc))
    return None, None


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_error_parity(torch, name):
    t = _error(ERROR_CASES[name], torch)
    g = _error(ERROR_CASES[name], gv)
    assert t[0] is not None, "the case must raise in torch"
    assert g == t


@pytest.mark.torch
def test_var_std_argument_forms_error_like_torch(torch):
    # unbiased and correction together: both raise TypeError (PyTorch's long signature list is
    # shortened in gradviz; the first line is the same).
    for mod in (torch, gv):
        with pytest.raises(TypeError, match=r"var\(\) received an invalid combination of arguments"):
            mod.ones(3).var(unbiased=False, correction=0)


@pytest.mark.torch
@pytest.mark.parametrize("expr", ["torch.tensor([1.0]).var()", "torch.tensor([1.0]).std()",
                                  "torch.ones(2, 1).std(1)", "torch.ones(3).var(correction=3)"])
def test_degrees_of_freedom_warning(torch, expr):
    got = []
    for mod in (torch, gv):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = run(f"out = {expr}", mod)["out"]
        msgs = [re.sub(r" \(Triggered internally at .*\)$", "", str(m.message)) for m in w
                if issubclass(m.category, UserWarning)]
        got.append((msgs, to_np(out).tolist()))
    assert got[1][0] == got[0][0]
    np.testing.assert_equal(got[1][1], got[0][1])


def test_math_names_are_exported_as_pytorch_has_them():
    for name in ["sin", "cos", "tan", "sinh", "cosh", "log10", "log2", "log1p", "expm1", "rsqrt",
                 "reciprocal", "square", "sign", "floor", "ceil", "round", "trunc", "erf",
                 "maximum", "minimum", "norm", "var", "std", "prod", "logsumexp", "argmax",
                 "argmin", "all", "any", "cumsum", "cumprod", "sort", "argsort", "topk",
                 "clamp_min", "clamp_max", "isclose", "logical_and", "logical_not", "isnan",
                 "nonzero", "unique", "bincount", "count_nonzero"]:
        assert callable(getattr(gv, name)), name
        assert callable(getattr(gv.Tensor, name)), name
    assert math.isclose(gv.tensor(0.5).erf().item(), math.erf(0.5), rel_tol=1e-6)


NUMPY_SPELLINGS = [
    "x.norm(dim=1, keepdims=True)", "torch.norm(x, dim=1, keepdims=True)", "x.norm(axis=1)",
    "torch.linalg.vector_norm(x, dim=1, keepdims=True)", "x.cumsum(axis=0)", "x.sort(axis=0)",
    "x.var(axis=0, keepdims=True)", "torch.std_mean(x, axis=0, keepdims=True)",
    "x.argsort(axis=0)", "x.topk(1, axis=0)", "x.count_nonzero(axis=0)", "x.cumprod(axis=1)",
    "x.prod(axis=1, keepdims=True)", "x.all(axis=1, keepdims=True)", "x.logsumexp(axis=1)",
    "x.sum(axis=(0, 1), keepdims=True)", "torch.mean(x, axis=0)", "x.amin(axis=1, keepdims=True)",
    "x.argmax(axis=1, keepdims=True)", "torch.any(x > 0, axis=0, keepdims=True)",
    "torch.max(x, axis=1, keepdims=True)", "x.min(axis=0)", "x.std(axis=(0, 1))",
]


@pytest.mark.torch
@pytest.mark.parametrize("expr", NUMPY_SPELLINGS)
def test_numpy_spellings_accepted_where_pytorch_accepts_them(torch, expr):
    got = []
    for mod in (torch, gv):
        x = mod.tensor(np.arange(1.0, 7.0).reshape(2, 3))
        try:
            out = run(f"out = {expr}", mod, x=x)["out"]
        except TypeError:
            got.append("TypeError")
            continue
        got.append(_comparable(out))
    if got[0] == "TypeError" or got[1] == "TypeError":
        assert got[1] == got[0]
    else:
        np.testing.assert_allclose(got[1][0].astype(float), got[0][0].astype(float), rtol=1e-6)
        assert got[1][1:] == got[0][1:]
