"""gradviz against real PyTorch 2.13: values, gradients, grad_fn chains, dtypes, reprs and
error messages. Each case is source text run twice, once with ``torch`` bound to PyTorch and
once to gradviz, so both sides run literally the same program."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import gradviz

pytestmark = pytest.mark.torch


def run(src: str, mod, **env):
    """Execute ``src`` with ``torch`` bound to ``mod``; return the namespace."""
    ns = {"torch": mod, "F": mod.nn.functional, "np": np, **env}
    exec(compile(src, "<case>", "exec"), ns)
    return ns


def ev(expr: str, mod, **env):
    ns = {"torch": mod, "F": mod.nn.functional, "np": np, **env}
    return eval(compile(expr, "<case>", "eval"), ns)


def to_np(t):
    return np.asarray(t.detach().numpy()) if t is not None else None


def chain(fn, depth=0):
    """The grad_fn graph below ``fn`` as nested (name, [(child, input_nr), ...]) tuples."""
    if fn is None:
        return None
    if depth > 60:
        return "..."
    return (type(fn).__name__ if type(fn).__name__ != "AccumulateGrad" else "AccumulateGrad",
            tuple((chain(f, depth + 1), i) for f, i in fn.next_functions))


def name_of(fn):
    return None if fn is None else fn.name() if hasattr(fn, "name") else type(fn).__name__


def norm(s: str) -> str:
    return s.replace("torch.", "gradviz.")


# --- programs: values, grads, grad_fn chains ----------------------------------------------------
# Each program reads leaves a, b, c (float64, requires_grad) and sets ``out``.
PROGRAMS = {
    "seed_matmul_add_bce": "z = torch.matmul(torch.ones(3, dtype=torch.float64), b) + c; "
                           "out = F.binary_cross_entropy_with_logits(z, torch.zeros(3, dtype=torch.float64))",
    "add_mul_sub_div": "out = (a * b - c) / (b + 2.0)",
    "reflected": "out = 2.0 - a * 3.0 + 1.5 / (b * b + 1.0) + 2.0 ** a",
    "rmul_radd": "out = 3.0 * a + 1.0",
    "pow_forms": "out = a ** 2 + b.abs() ** a.sigmoid() + torch.pow(a, 3)",
    "neg_exp_log_sqrt": "out = -(a.exp() + (b * b + 1).log() + (c * c + 1).sqrt())",
    "reciprocal_abs": "out = (b * b + 1).reciprocal() + a.abs()",
    "clamp_scalar": "out = a.clamp(-0.5, 0.5) + torch.clamp(b, min=0.1) + b.clamp(max=0.2)",
    "clamp_tensor": "out = torch.clamp(a, min=b, max=b + 1.0)",
    "where": "out = torch.where(a > b, a * 2, b)",
    "sum_mean": "out = a.sum() + b.sum(0) + b.mean(1, keepdim=True) + c.mean()",
    "sum_tuple": "out = a.sum((0,)) + b.sum((0, 1)) + b.mean((0, 1), keepdim=True) + b.sum((-1, 0), keepdim=True)",
    "max_min": "out = a.max() + b.max(1).values.sum() + b.min(0, keepdim=True)[0].sum() + a.min()",
    "amax_amin": "out = b.amax(1) + b.amin(0).sum() + b.amax((0, 1))",
    "activations": "out = a.relu() + b.sigmoid() + c.tanh().sum()",
    "softmax": "out = b.softmax(1) * b.log_softmax(0)",
    "softmax_dim0_fn": "out = F.softmax(b, dim=0) + F.log_softmax(b, dim=-1)",
    "matmul_2d": "out = b @ b.t()",
    "matmul_1d_2d": "out = torch.matmul(c, b.T)",
    "matmul_2d_1d": "out = b @ c",
    "matmul_1d_1d": "out = c @ c",
    "matmul_batched": "out = torch.matmul(b.reshape(1, 3, 3).expand(2, 3, 3), b)",
    "matmul_3d_2d": "out = b.unsqueeze(0).expand(2, 3, 3).contiguous() @ b",
    "matmul_3d_1d": "out = torch.stack([b, b * 2]) @ c",
    "matmul_1d_3d": "out = c @ torch.stack([b, b * 2])",
    "matmul_2d_3d": "out = b @ torch.stack([b, b * 2])",
    "matmul_3d_noncontig_const": "out = torch.stack([b, b * 2]).transpose(0, 1) @ torch.ones(3, 2, dtype=torch.float64)",
    "matmul_3d_noncontig_const_vec": "out = torch.stack([b, b * 2]).transpose(0, 1) @ torch.ones(3, dtype=torch.float64)",
    "matmul_const_vec_3d": "out = torch.ones(3, dtype=torch.float64) @ torch.stack([b, b * 2])",
    "matmul_const_mat_3d": "out = torch.ones(2, 3, dtype=torch.float64) @ torch.stack([b, b * 2])",
    "matmul_4d_3d_broadcast": "out = torch.stack([b, b]).unsqueeze(1) @ torch.stack([b, b + 1, b * 3])",
    "matmul_4d_1d": "out = torch.stack([b, b]).unsqueeze(0) @ c",
    "mm_mv_dot_bmm": "out = torch.mm(b, b) + torch.mv(b, c) + torch.dot(c, c) + "
                     "torch.bmm(b.unsqueeze(0), b.unsqueeze(0)).squeeze(0)",
    "addmm": "out = torch.addmm(c, b, b.t())",
    "reshape_view": "out = b.reshape(9).view(3, 3) + b.view(-1).reshape(3, -1)",
    "transpose_permute": "out = b.transpose(0, 1) + b.permute(1, 0) + b.t() + b.T",
    "unsqueeze_squeeze": "out = b.unsqueeze(0).squeeze() + b.unsqueeze(2).squeeze(2) + "
                         "b[:1].squeeze(0)",
    "squeeze_multi": "out = b.unsqueeze(0).unsqueeze(2).squeeze((0, 2))",
    "expand": "out = c.unsqueeze(1).expand(3, 4) * 2",
    "index_int_slice": "out = b[1] + b[:, 2] + b[0:2, 1:].sum() + b[-1, -1]",
    "index_none_ellipsis": "out = b[None, ..., 1] + b[..., None][0, 1]",
    "index_list_mask": "out = b[[0, 2, 0]].sum(0) + b[b > 0].sum() + b[:, [1, 1]].sum()",
    "index_step": "out = b[::2, 1::2]",
    "cat_stack": "out = torch.cat([b, b * 2], 1).sum(0) + torch.stack([b[0], c], 1).sum()",
    "clone": "out = b.clone() * a",
    "linear_1d": "out = F.linear(c, b, c)",
    "linear_2d": "out = F.linear(b, b, c)",
    "linear_3d": "out = F.linear(torch.stack([b, b + 1]), b, c)",
    "linear_nobias": "out = F.linear(b, b) + F.linear(c, b)",
    "linear_3d_nobias": "out = F.linear(torch.stack([b, b + 1]), b)",
    "mse": "out = F.mse_loss(b, b.detach() * 0.5 + 1) + F.mse_loss(c, c.detach() + 1, reduction='sum')",
    "mse_none": "out = F.mse_loss(b, b * b, reduction='none')",
    "bce": "out = F.binary_cross_entropy(b.sigmoid(), torch.full((3, 3), 0.3, dtype=torch.float64))",
    "bce_logits_weight": "out = F.binary_cross_entropy_with_logits(b, c.sigmoid().expand(3, 3), "
                         "weight=torch.tensor([1., 2., .5], dtype=torch.float64), "
                         "pos_weight=torch.tensor([3., 1., 2.], dtype=torch.float64), reduction='sum')",
    "cross_entropy": "out = F.cross_entropy(b, torch.tensor([2, 0, 1]))",
    "cross_entropy_weight_ignore": "out = F.cross_entropy(b, torch.tensor([2, -100, 1]), "
                                   "weight=torch.tensor([1., 2., .5], dtype=torch.float64))",
    "nll": "out = F.nll_loss(b.log_softmax(1), torch.tensor([2, 0, 1]), reduction='none')",
    "nll_ignore_sum": "out = F.nll_loss(b, torch.tensor([2, 0, 1]), ignore_index=0, reduction='sum')",
    "shared_subexpr": "h = a * b; out = (h + h.exp() * h).sum(1) + h[0]",
    "detach_cut": "out = a * b.detach() + (b * 2).detach()",
    "no_grad_cut": "with torch.no_grad():\n    k = b * 2\nout = a * k",
    "inplace_on_nonleaf": "h = a * 2; h.add_(c); h.mul_(3); out = h.exp() + b.sum()",
    "inplace_relu_neg": "h = b + 0; h.relu_(); h2 = a - 1; h2.neg_(); out = h.sum() + h2",
}

SHAPES = {"a": (3,), "b": (3, 3), "c": (3,)}


def _leaves(mod, seed):
    rng = np.random.default_rng(seed)
    vals = {k: rng.standard_normal(s) for k, s in SHAPES.items()}
    vals["a"] = rng.uniform(0.3, 1.5, 3)  # positive: a is used as a base of pow
    return {k: mod.tensor(v.copy(), dtype=mod.float64, requires_grad=True) for k, v in vals.items()}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_parity(torch, name):
    src = PROGRAMS[name]
    results = {}
    for mod in (torch, gradviz):
        leaves = _leaves(mod, 7)
        ns = run(src, mod, **leaves)
        out = ns["out"]
        u = np.random.default_rng(1).standard_normal(tuple(out.shape))
        out.backward(mod.tensor(u, dtype=mod.float64))
        results[mod.__name__] = (to_np(out), norm(str(out.dtype)), chain(out.grad_fn),
                                 {k: to_np(v.grad) for k, v in leaves.items()})
    t, g = results["torch"], results["gradviz"]
    np.testing.assert_allclose(g[0], t[0], rtol=1e-10, atol=1e-12)
    assert g[1] == t[1]
    assert g[2] == t[2]
    for k in SHAPES:
        if t[3][k] is None:
            assert g[3][k] is None, k
        else:
            np.testing.assert_allclose(g[3][k], t[3][k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_float32_program_parity(torch):
    # The same seed-style program in the default float32, tolerance for float32 rounding.
    src = ("w = torch.tensor(W, requires_grad=True); b = torch.tensor(B, requires_grad=True)\n"
           "z = torch.matmul(torch.ones(5), w) + b\n"
           "loss = F.binary_cross_entropy_with_logits(z, torch.zeros(3)); loss.backward()")
    rng = np.random.default_rng(3)
    env = {"W": rng.standard_normal((5, 3)).tolist(), "B": rng.standard_normal(3).tolist()}
    t, g = run(src, torch, **env), run(src, gradviz, **env)
    assert str(g["loss"].dtype) == "gradviz.float32" and str(t["loss"].dtype) == "torch.float32"
    np.testing.assert_allclose(g["loss"].item(), t["loss"].item(), rtol=1e-6)
    np.testing.assert_allclose(g["w"].grad.numpy(), t["w"].grad.numpy(), rtol=1e-5, atol=1e-7)
    assert g["w"].grad.dtype == gradviz.float32


# --- dtypes and type promotion -------------------------------------------------------------------
DTYPE_CASES = [
    "torch.tensor([1.0, 2.0])",
    "torch.tensor([1, 2])",
    "torch.tensor([True, False])",
    "torch.tensor(3.5)",
    "torch.tensor(3)",
    "torch.tensor(np.float64(1.5))",
    "torch.tensor(np.float32(1.5))",
    "torch.tensor(np.array([1.0, 2.0]))",
    "torch.tensor(np.array([1, 2], dtype=np.int32))",
    "torch.from_numpy(np.array([1.0, 2.0]))",
    "torch.tensor([1.0, 2.0]) + 1.5",
    "torch.tensor([1.0, 2.0]) * 2",
    "torch.tensor([1, 2]) + 1.5",
    "torch.tensor([1, 2]) * 2",
    "torch.tensor([1, 2]) / 2",
    "torch.tensor([1, 2]) / torch.tensor([2, 4])",
    "torch.tensor([1, 2]) + True",
    "torch.tensor([True, False]) + 1",
    "torch.tensor([True, False]) + 1.5",
    "torch.tensor([1, 2], dtype=torch.int32) + 5",
    "torch.tensor([1, 2], dtype=torch.int32) + torch.tensor(5)",
    "torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([5])",
    "torch.tensor([1, 2]) + torch.tensor(2.5)",
    "torch.tensor([1.0, 2.0]) + torch.tensor(2.5, dtype=torch.float64)",
    "torch.tensor([1.0, 2.0]) + torch.tensor([2.5], dtype=torch.float64)",
    "torch.tensor([1.0, 2.0], dtype=torch.float64) + 1.5",
    "torch.tensor([1.0, 2.0]) + np.float64(1.5)",
    "torch.tensor(1.0) + torch.tensor([1, 2])",
    "torch.tensor(1, dtype=torch.int32) + torch.tensor(2)",
    "torch.tensor([1, 2], dtype=torch.uint8) + torch.tensor([1, 2], dtype=torch.int8)",
    "torch.tensor([1.0, 2.0], dtype=torch.float16) + torch.tensor([1.0])",
    "torch.tensor([1.0, 2.0], dtype=torch.float16) * 2.0",
    "torch.tensor([1, 2]) ** 2",
    "torch.tensor([1, 2]) ** 2.0",
    "2.0 ** torch.tensor([1, 2])",
    "torch.tensor([1, 2]).sum()",
    "torch.tensor([True, True]).sum()",
    "torch.tensor([1, 2], dtype=torch.int32).sum()",
    "torch.tensor([1, 2]).float()",
    "torch.tensor([1.5, 2.5]).long()",
    "torch.tensor([1.5, 2.5]).double() * torch.tensor([1.0])",
    "torch.tensor([1, 2]).exp()",
    "torch.tensor([1, 2]).sqrt()",
    "torch.tensor([1, 2]).sigmoid()",
    "torch.tensor([1, 2]) > 1",
    "torch.arange(5)",
    "torch.arange(0.0, 1.0, 0.25)",
    "torch.ones(2, 3).sum(0)",
    "torch.zeros(2, dtype=torch.float64).mean()",
    "torch.eye(3)",
    "torch.full((2,), 3)",
    "torch.full((2,), 3.0)",
    "torch.full((2,), True)",
    "torch.ones_like(torch.tensor([1, 2]))",
    "torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 2.5)",
    "torch.where(torch.tensor([True, False]), torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([1.0, 2.0]))",
    "torch.cat([torch.tensor([1, 2]), torch.tensor([1.5])])",
    "torch.stack([torch.tensor([1, 2]), torch.tensor([1, 2], dtype=torch.int32)])",
    "torch.tensor([1.0]) + torch.tensor([1], dtype=torch.int64)",
    "torch.tensor([[1, 2]]) @ torch.tensor([[1], [2]])",
    "torch.tensor([1.0, 2.0]).max()",
    "torch.tensor([3, 1]).max(0).indices",
    "torch.tensor([3, 1]).argmax()",
    "torch.tensor([np.float64(1.5)])",
    "torch.tensor([np.float64(1.5), 2.0])",
    "torch.tensor([np.int32(1)])",
    "torch.tensor([np.int32(1), 2])",
    "torch.tensor(np.int32(3))",
    "torch.tensor([np.uint8(1), np.int8(1)])",
    "torch.tensor([np.float16(1), 1])",
    "torch.tensor([True, 2])",
    "torch.tensor([np.bool_(True), 1.5])",
    "torch.tensor([torch.tensor(1., dtype=torch.float64), 2])",
    "torch.tensor([[]])",
    "torch.tensor([2**40, 1.0])",
]


@pytest.mark.parametrize("expr", DTYPE_CASES)
def test_dtype_parity(torch, expr):
    t, g = ev(expr, torch), ev(expr, gradviz)
    assert norm(repr(t.dtype)) == repr(g.dtype)
    assert tuple(t.shape) == tuple(g.shape)
    np.testing.assert_allclose(g.numpy().astype(np.float64), t.numpy().astype(np.float64), rtol=1e-3)


def test_explicit_dtype_keeps_every_digit(torch):
    for expr in ["torch.tensor([0.1, 1.0 + 1e-12], dtype=torch.float64)",
                 "torch.tensor(0.1, dtype=torch.float64)",
                 "torch.tensor([[1e-300, 3.141592653589793]], dtype=torch.float64)",
                 "torch.tensor([16777217], dtype=torch.float64)",
                 "torch.tensor([0.1], dtype=torch.float16)"]:
        t, g = ev(expr, torch), ev(expr, gradviz)
        assert g.dtype == getattr(gradviz, str(t.dtype).split(".")[1])
        np.testing.assert_array_equal(g.numpy(), t.numpy())


PROMO_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
PROMO_OPERANDS = ([("t", d, nd) for d in PROMO_DTYPES for nd in (0, 1)]
                  + [("py", k, 0) for k in ("int", "float", "bool")]
                  + [("np", k, 0) for k in ("f64", "f32", "i64")])


def _operand(mod, spec):
    kind, d, nd = spec
    if kind == "py":
        return {"int": 3, "float": 2.5, "bool": True}[d]
    if kind == "np":
        return {"f64": np.float64(1.5), "f32": np.float32(1.5), "i64": np.int64(2)}[d]
    return mod.tensor([1, 2] if nd else 1, dtype=getattr(mod, d))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_type_promotion_matrix(torch, op):
    """Every pair of (tensor dtype x {0-d, 1-d}, Python scalar, numpy scalar): same result
    dtype and values, or the same error."""
    import itertools

    f = eval(f"lambda a, b: a {op} b")  # noqa: S307
    mismatches = []
    for sa, sb in itertools.product(PROMO_OPERANDS, PROMO_OPERANDS):
        if sa[0] != "t" and sb[0] != "t":
            continue
        if op == "**" and "bool" in (sa[1], sb[1]):
            continue  # bool powers: PyTorch's rules are irregular; gradviz does not copy them
        res = []
        for mod in (torch, gradviz):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r = f(_operand(mod, sa), _operand(mod, sb))
                res.append((str(r.dtype).split(".")[1], np.asarray(r.tolist(), dtype=float)))
            except Exception as exc:  # noqa: BLE001
                res.append((type(exc).__name__, norm(str(exc))))
        (td, tv), (gd, gv_) = res
        ok = td == gd and (np.allclose(tv, gv_, rtol=1e-3, equal_nan=True) if isinstance(tv, np.ndarray)
                           else tv == gv_)
        if not ok:
            mismatches.append((sa, sb, res))
    assert not mismatches, mismatches[:5]


# --- reprs ----------------------------------------------------------------------------------------
REPR_CASES = [
    "torch.tensor([1.0, 2.0, 3.0])",
    "torch.tensor([1.5, -2.25, 3.0])",
    "torch.tensor(0.5)",
    "torch.tensor(3.0)",
    "torch.tensor(-0.0)",
    "torch.tensor([])",
    "torch.zeros(0, 3)",
    "torch.tensor([1e-5, 1.0])",
    "torch.tensor([1e10, 1.0])",
    "torch.tensor([1e10, 2e10])",
    "torch.tensor([12345678.0, 1.0])",
    "torch.tensor([0.0001, 0.5])",
    "torch.tensor([1.0, 1000.5])",
    "torch.tensor([1.0, 1001.0])",
    "torch.tensor([0.001, 2.0])",
    "torch.tensor([123456.789])",
    "torch.tensor([float('nan'), 1.0, float('inf'), -float('inf')])",
    "torch.tensor([float('nan'), 1.5])",
    "torch.tensor([float('inf'), 1e-8])",
    "torch.tensor([float('nan')])",
    "torch.tensor([-1.0, 0.0, 1.0])",
    "torch.arange(30.0) / 7",
    "torch.arange(40.0)",
    "torch.arange(100)",
    "torch.arange(1200.0)",
    "torch.arange(2000).reshape(40, 50)",
    "(torch.arange(2000.0) / 3).reshape(10, 10, 20)",
    "torch.arange(24.0).reshape(2, 3, 4) - 11.5",
    "torch.arange(12).reshape(3, 4)",
    "torch.tensor([[True, False], [False, True]])",
    "torch.tensor([1, -200, 3])",
    "torch.eye(4, 5)",
    "torch.tensor([1.0, 2.0], dtype=torch.float64)",
    "torch.tensor([1, 2], dtype=torch.int32)",
    "torch.tensor([1.0, 2.0], dtype=torch.float16)",
    "torch.tensor(2.5, dtype=torch.float64)",
    "torch.tensor([1.0, 2.0], requires_grad=True)",
    "torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)",
    "torch.tensor([1.0, 2.0], requires_grad=True) * 2",
    "torch.tensor([1.0, 2.0], requires_grad=True).sum()",
    "torch.tensor([1.0, 2.0], requires_grad=True).mean()",
    "torch.tensor([[1.0, 2.0]], requires_grad=True).t()",
    "torch.tensor([1.0, 2.0], requires_grad=True)[0]",
    "torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True).exp()",
    "torch.ones(3, requires_grad=True).detach()",
    "torch.tensor([0.1, 0.2]) + torch.tensor([0.2, 0.1])",
    "torch.tensor([3.14159265, 2.71828182, 1.41421356, 1.73205080, 2.23606797, 2.44948974, 2.64575131, 2.82842712, 3.0, 3.16227766, 3.31662479, 3.46410161, 3.60555127])",
    "torch.tensor([[1e-3, 1e3], [5.0, 6.0]])",
    "torch.tensor([1e-4, 1.0])",
    "torch.tensor([9.9999e-5, 1.0])",
    "torch.tensor([1e8, 1.0])",
    "torch.tensor([1e8 + 1, 1.0])",
    "torch.tensor([100000000.0])",
    "torch.tensor([1000000000.0])",
    "torch.tensor([-1e-5])",
    "torch.tensor([[[1.0]]])",
    "torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) @ torch.ones(2, 2)",
    "torch.tensor([], dtype=torch.int64)",
    "torch.zeros(2, 0, dtype=torch.float64)",
    "torch.zeros(0, dtype=torch.bool)",
    "torch.tensor([781456.836, 1800954.0086, -197338.7898, -2911966.3909, -627778.0694, -3069568.2166], dtype=torch.float64, requires_grad=True)",
    "torch.tensor([-152., -19., 70., 113., -7., 21., 55.], dtype=torch.float16)",
    "torch.tensor([[23576199., -8254597.], [16918926., 20411694.]], dtype=torch.float64)",
    "torch.tensor([0.0, -0.0])",
    "torch.tensor([1e-9, 1e-9], dtype=torch.float16)",
    "torch.tensor([[float('inf'), -float('inf')], [float('nan'), 0.0]])",
]


@pytest.mark.parametrize("expr", REPR_CASES)
def test_repr_parity(torch, expr):
    t, g = ev(expr, torch), ev(expr, gradviz)
    assert repr(g) == norm(repr(t))
    assert str(g) == norm(str(t))


def _random_array(rng):
    nd = int(rng.integers(0, 4))
    shape = tuple(int(v) for v in rng.integers(0 if rng.random() < 0.05 else 1, 14 if nd < 2 else 6, nd))
    if rng.random() < 0.04:
        shape = (int(rng.integers(990, 1300)),)
    kind = rng.choice(["f32", "f64", "int", "bool", "f16"])
    a = rng.standard_normal(shape) * 10.0 ** int(rng.integers(-9, 11))
    if rng.random() < 0.3:
        a = np.round(a)
    if rng.random() < 0.15 and a.size:
        a.flat[int(rng.integers(a.size))] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0])
    with np.errstate(all="ignore"):
        if kind == "int":
            a = np.nan_to_num(np.round(np.clip(a, -1e12, 1e12))).astype(np.int64)
        elif kind == "bool":
            a = a > 0
        else:
            a = a.astype({"f32": np.float32, "f64": np.float64, "f16": np.float16}[kind])
    return a, kind


def test_repr_fuzz(torch):
    """Random shapes, magnitudes, dtypes, non-finite values and autograd suffixes."""
    rng = np.random.default_rng(2024)
    for _ in range(400):
        a, kind = _random_array(rng)
        rg = kind[0] == "f" and bool(rng.random() < 0.3)
        t, g = torch.tensor(a, requires_grad=rg), gradviz.tensor(a, requires_grad=rg)
        if rg and rng.random() < 0.5:
            t, g = t * 1, g * 1
        assert repr(g) == norm(repr(t)), (a.dtype, a.shape)


def test_size_and_dtype_reprs(torch):
    for expr in ["torch.ones(2, 3).shape", "torch.ones(2, 3).size()", "torch.ones(()).shape",
                 "torch.float32", "torch.int64", "torch.bool", "torch.float64"]:
        assert repr(ev(expr, gradviz)) == norm(repr(ev(expr, torch)))


def test_grad_fn_names_of_ops(torch):
    """The grad_fn name of every op, one by one."""
    exprs = [
        "a + b", "a - b", "a * b", "a / b", "a + 1", "1 + a", "a - 1", "1 - a", "a * 2", "2 * a",
        "a / 2", "2 / a", "a ** 2", "a ** b", "2 ** a", "-a", "a.exp()", "a.log()", "a.sqrt()",
        "a.abs()", "a.reciprocal()", "a.clamp(0, 1)", "a.clamp(min=b)", "torch.where(a > 0, a, b)",
        "a.sum()", "a.sum(0)", "a.mean()", "a.mean(0)", "a.max()", "a.min()", "a.max(0)[0]",
        "a.min(0)[0]", "a.amax(0)", "a.amin()", "a.relu()", "a.sigmoid()", "a.tanh()",
        "a.softmax(0)", "a.log_softmax(0)", "a.reshape(3, 1)", "a.view(3, 1)", "a.unsqueeze(0)",
        "m.squeeze()", "m.squeeze(0)", "m.squeeze((0, 1))", "m.t()", "m.T", "m.transpose(0, 1)",
        "m.permute(1, 0)", "a.expand(2, 3)", "a[0]", "a[1:]", "a[[0, 1]]", "a[a > 0]", "a.clone()",
        "torch.cat([a, b])", "torch.stack([a, b])", "a @ b", "m2 @ m2", "m.reshape(1)", "torch.mv(m2.t(), a[:2])",
        "a[:2] @ m2.t()", "F.mse_loss(a, b)", "F.binary_cross_entropy(a.sigmoid(), b.sigmoid())",
        "F.binary_cross_entropy_with_logits(a, b)", "F.nll_loss(m2, torch.tensor([1, 0]))",
        "F.cross_entropy(m2, torch.tensor([1, 0]))", "F.linear(m2, m2, a[:2])", "a.double()",
        "a[None]", "a[...]", "a[:]", "m[:, :]", "m[..., :]", "a[0:3:1]", "m2[None, ...]", "torch.addmm(a[:2], m2, m2)", "torch.bmm(m2[None], m2[None])",
    ]
    for e in exprs:
        names = []
        for mod in (torch, gradviz):
            env = {"a": mod.tensor([0.5, -1.0, 2.0], requires_grad=True),
                   "b": mod.tensor([1.5, 0.3, -0.7], requires_grad=True),
                   "m": mod.ones(1, 1, requires_grad=True),
                   "m2": mod.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)}
            out = ev(e, mod, **env)
            names.append(chain(out.grad_fn))
        assert names[1] == names[0], e


# --- error messages -------------------------------------------------------------------------------
def error_of(src, mod, **env):
    try:
        run(src, mod, **env)
    except Exception as exc:  # noqa: BLE001 - we compare the exception itself
        return type(exc), str(exc)
    return None, None


def up_to_hint(msg: str) -> str:
    return norm(msg).split(" Hint:")[0].strip()


ERROR_CASES = {
    "backward_twice": "x = torch.ones(3, requires_grad=True); y = (x * x).sum(); y.backward(); y.backward()",
    "backward_twice_seed": "w = torch.ones(5, 3, requires_grad=True); b = torch.ones(3, requires_grad=True)\n"
                           "z = torch.matmul(torch.ones(5), w) + b\n"
                           "loss = F.binary_cross_entropy_with_logits(z, torch.zeros(3)); loss.backward(); loss.backward()",
    "saved_access_after_free": "x = torch.ones(3, requires_grad=True); y = x.exp(); y.sum().backward(); y.grad_fn._saved_result",
    "implicit_non_scalar": "x = torch.ones(3, requires_grad=True); (x * 2).backward()",
    "no_grad_root": "x = torch.ones(3); x.sum().backward()",
    "no_grad_root_in_no_grad": "x = torch.ones(3, requires_grad=True)\nwith torch.no_grad():\n    y = (x * 2).sum()\ny.backward()",
    "grad_shape_mismatch": "x = torch.ones(3, requires_grad=True); (x * 2).backward(torch.ones(2))",
    "grad_shape_mismatch_2d": "x = torch.ones(2, 3, requires_grad=True); (x * 2).backward(torch.ones(3, 2))",
    "leaf_inplace": "x = torch.ones(3, requires_grad=True); x.add_(1)",
    "leaf_inplace_mul": "x = torch.ones(3, requires_grad=True); x *= 2",
    "leaf_setitem": "x = torch.ones(3, requires_grad=True); x[0] = 5.0",
    "version_counter_leaf": "a = torch.ones(3, requires_grad=True); x = torch.ones(3); y = a * x; x.add_(1); y.sum().backward()",
    "version_counter_nonleaf": "a = torch.ones(3, requires_grad=True); h = a * 2; y = h.exp(); y.add_(1); y.sum().backward()",
    "version_counter_sigmoid": "a = torch.ones(2, 2, requires_grad=True); h = a.sigmoid(); h.mul_(2); h.sum().backward()",
    "matmul_mismatch": "torch.ones(2, 3) @ torch.ones(2, 3)",
    "mm_mismatch": "torch.mm(torch.ones(2, 3), torch.ones(4, 2))",
    "matmul_1d_mismatch": "torch.ones(3) @ torch.ones(4)",
    "matmul_2d_1d_mismatch": "torch.ones(2, 3) @ torch.ones(4)",
    "matmul_0d": "torch.matmul(torch.tensor(1.0), torch.ones(3))",
    "broadcast_mismatch": "torch.ones(2, 3) + torch.ones(4)",
    "broadcast_mismatch_3d": "torch.ones(2, 3, 4) * torch.ones(5, 1)",
    "view_bad_size": "torch.ones(2, 3).view(4)",
    "view_bad_infer": "torch.ones(2, 3).view(-1, 4)",
    "view_two_infer": "torch.ones(2, 3).view(-1, -1)",
    "view_noncontig": "torch.ones(2, 3).t().view(6)",
    "reshape_bad": "torch.ones(2, 3).reshape(5)",
    "dim_out_of_range": "torch.ones(2, 3).sum(2)",
    "dim_out_of_range_neg": "torch.ones(2, 3).softmax(-3)",
    "index_out_of_range": "torch.ones(2, 3)[2]",
    "too_many_indices": "torch.ones(2)[0, 0]",
    "item_many": "torch.ones(2).item()",
    "numpy_requires_grad": "torch.ones(2, requires_grad=True).numpy()",
    "int_requires_grad": "torch.tensor([1, 2], requires_grad=True)",
    "int_requires_grad_setter": "x = torch.tensor([1, 2]); x.requires_grad = True",
    "nonleaf_requires_grad": "x = torch.ones(2, requires_grad=True); (x * 2).requires_grad = False",
    "retain_grad_no_grad": "torch.ones(2).retain_grad()",
    "hook_no_grad": "torch.ones(2).register_hook(lambda g: g)",
    "grad_unused": "a = torch.ones(2, requires_grad=True); b = torch.ones(2, requires_grad=True); torch.autograd.grad((a * 2).sum(), [a, b])",
    "grad_input_no_grad": "a = torch.ones(2, requires_grad=True); torch.autograd.grad((a * 2).sum(), [torch.ones(2)])",
    "bool_ambiguous": "bool(torch.ones(2))",
    "cat_mismatch": "torch.cat([torch.ones(2, 3), torch.ones(2, 4)])",
    "cat_ndim": "torch.cat([torch.ones(2, 3), torch.ones(3)])",
    "stack_mismatch": "torch.stack([torch.ones(2), torch.ones(3)])",
    "expand_bad": "torch.ones(3).expand(2, 4)",
    "mm_dtype": "torch.mm(torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64))",
    "bce_size": "F.binary_cross_entropy_with_logits(torch.ones(3), torch.ones(2))",
    "nll_target_oob": "F.nll_loss(torch.ones(2, 3), torch.tensor([0, 5]))",
    "nll_float_target": "F.nll_loss(torch.ones(2, 3), torch.tensor([0.0, 1.0]))",
    "mean_int": "torch.tensor([1, 2]).mean()",
    "clamp_none": "torch.clamp(torch.ones(2))",
    "len_0d": "len(torch.tensor(1.0))",
    "iter_0d": "iter(torch.tensor(1.0))",
    "t_3d": "torch.ones(2, 2, 2).t()",
    "permute_len": "torch.ones(2, 3).permute(0)",
    "inplace_broadcast": "x = torch.ones(3); x.add_(torch.ones(2, 3))",
    "inplace_dtype": "x = torch.tensor([1, 2]); x.add_(1.5)",
    "grad_assign_shape": "x = torch.ones(3, requires_grad=True); x.grad = torch.ones(2)",
    "int_neg_pow": "torch.tensor([1, 2]) ** -1",
    "max_empty": "torch.ones(0).max()",
    "bce_range": "F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))",
    "reduction_bad": "F.mse_loss(torch.ones(2), torch.ones(2), reduction='avg')",
    "backward_twice_scalar_mul": "x = torch.ones(2, requires_grad=True); y = x * 2; y.backward(torch.ones(2)); y.backward(torch.ones(2))",
    "backward_twice_rmul": "x = torch.ones(2, requires_grad=True); y = (3.0 * x).sum(); y.backward(); y.backward()",
    "backward_twice_div": "x = torch.ones(2, requires_grad=True); y = (x / 2).sum(); y.backward(); y.backward()",
    "sum_duplicate_dims": "torch.ones(2, 3).sum((1, -1))",
    "amax_duplicate_dims": "torch.ones(2, 3).amax((0, 0))",
    "permute_duplicate": "torch.ones(2, 3).permute(1, 1)",
    "expand_first_bad_dim": "torch.ones(2, 3, 4).expand(5, 3, 4)",
    "expand_too_few_sizes": "torch.ones(2, 3).expand(3)",
    "cat_empty": "torch.cat([])",
    "dot_2d": "torch.ones(3).dot(torch.ones(3, 1))",
    "mse_broadcast_mismatch": "F.mse_loss(torch.ones(2), torch.ones(3))",
    "where_non_bool": "torch.where(torch.tensor([1, 0]), torch.ones(2), torch.zeros(2))",
    "where_broadcast": "torch.where(torch.tensor([True]), torch.ones(2), torch.zeros(3))",
    "clamp_tensor_broadcast": "torch.clamp(torch.ones(2), min=torch.ones(3))",
    "grad_assign_dtype": "x = torch.ones(2, requires_grad=True); x.grad = torch.ones(2, dtype=torch.float64)",
    "float_of_many": "float(torch.ones(2))",
    "int_of_many": "int(torch.ones(2))",
    "mT_1d": "torch.ones(3).mT",
    "inplace_view_of_leaf": "a = torch.ones(2, requires_grad=True); b = a[0]; b.add_(1)",
    "index_list_oob": "torch.ones(2, 3)[[0, 5]]",
    "index_mask_shape": "torch.ones(2, 3)[torch.tensor([True, False, True])]",
    "index_mask_shape_dim1": "torch.ones(2, 3)[:, torch.tensor([True, False])]",
    "sub_bool": "torch.tensor([True]) - torch.tensor([True])",
    "neg_bool": "-torch.tensor([True])",
    "matmul_batch_mismatch": "torch.ones(2, 3, 4) @ torch.ones(3, 4, 6)",
    "matmul_batched_inner": "torch.ones(2, 3, 4) @ torch.ones(2, 5, 6)",
    "matmul_fold_inner": "torch.ones(2, 3, 4) @ torch.ones(5)",
    "matmul_1d_3d_inner": "torch.ones(3) @ torch.ones(2, 4, 5)",
    "bmm_batch": "torch.bmm(torch.ones(2, 3, 4), torch.ones(3, 4, 5))",
    "detach_shares_version": "x = torch.tensor([1., 2.], requires_grad=True); y = x.sigmoid(); d = y.detach(); d.zero_(); y.sum().backward()",
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_error_parity(torch, name):
    src = ERROR_CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_type, t_msg = error_of(src, torch)
        g_type, g_msg = error_of(src, gradviz)
    assert t_type is not None, "the case must raise in torch"
    assert g_type is not None, f"gradviz raised nothing; torch: {t_type.__name__}: {t_msg}"
    assert g_type.__name__ == t_type.__name__, (g_type, g_msg, t_type, t_msg)
    assert up_to_hint(g_msg) == up_to_hint(t_msg)


def test_nonleaf_grad_warning(torch):
    msgs = []
    for mod in (torch, gradviz):
        x = mod.ones(2, requires_grad=True)
        y = x * 2
        y.sum().backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert y.grad is None
        assert len(w) == 1 and issubclass(w[0].category, UserWarning)
        # torch appends where in its C++ source the warning fired; that part is not the message.
        msgs.append(re.sub(r" \(Triggered internally at .*\)$", "", norm(str(w[0].message))))
        # no warning for a leaf, or a non-leaf that retains its grad
        with warnings.catch_warnings(record=True) as w2:
            warnings.simplefilter("always")
            _ = x.grad
            z = x * 3
            z.retain_grad()
            _ = z.grad
        assert not w2
    assert msgs[1] == msgs[0]


def test_create_graph_is_refused():
    x = gradviz.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError):
        (x * x).sum().backward(create_graph=True)


# --- losses: random configurations --------------------------------------------------------------
def _loss_case(rng):
    fn = str(rng.choice(["cross_entropy", "nll_loss", "binary_cross_entropy_with_logits",
                         "binary_cross_entropy", "mse_loss"]))
    kw = {"reduction": str(rng.choice(["mean", "sum", "none"]))}
    if fn in ("cross_entropy", "nll_loss"):
        n, c = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        spatial = tuple(int(v) for v in rng.integers(1, 3, int(rng.integers(0, 3))))
        unbatched = rng.random() < 0.15
        x = rng.standard_normal((c,) if unbatched else (n, c) + spatial)
        t = rng.integers(0, c, () if unbatched else (n,) + spatial)
        if rng.random() < 0.4:
            kw["weight"] = rng.uniform(0.5, 2, c)
        if rng.random() < 0.4:
            kw["ignore_index"] = int(rng.integers(0, c))
        args, grads = [x, t], [0]
        if fn == "cross_entropy" and rng.random() < 0.25 and not spatial and not unbatched:
            p = rng.uniform(0, 1, (n, c))
            args, grads = [x, p / p.sum(1, keepdims=True)], [0, 1]
            kw.pop("weight", None)
            kw.pop("ignore_index", None)
    elif fn == "binary_cross_entropy_with_logits":
        shape = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(1, 4))))
        args, grads = [rng.standard_normal(shape) * 3, rng.uniform(0, 1, shape)], [0, 1]
        if rng.random() < 0.5:
            kw["weight"] = rng.uniform(0.5, 2, shape[-1:])
        if rng.random() < 0.5:
            kw["pos_weight"] = rng.uniform(0.5, 3, shape[-1:])
    elif fn == "binary_cross_entropy":
        shape = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(1, 3))))
        args, grads = [rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)], [0, 1]
        if rng.random() < 0.5:
            kw["weight"] = rng.uniform(0.5, 2, shape)
    else:
        shape = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(0, 3))))
        args, grads = [rng.standard_normal(shape), rng.standard_normal(shape)], [0, 1]
    return fn, args, kw, grads


def _run_loss(mod, fn, args, kw, grads):
    ts = [mod.tensor(a, requires_grad=i in grads) for i, a in enumerate(args)]
    kws = {k: mod.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    out = getattr(mod.nn.functional, fn)(*ts, **kws)
    out.backward(mod.ones_like(out))
    return to_np(out), [to_np(ts[i].grad) for i in grads], chain(out.grad_fn)


def test_loss_parity_random(torch):
    """Values, input and target gradients and grad_fn chains of the losses over random
    shapes (spatial dims, unbatched, probability targets), weights, ignore_index, reductions."""
    rng = np.random.default_rng(11)
    for _ in range(200):
        fn, args, kw, grads = _loss_case(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = _run_loss(torch, fn, args, kw, grads)
            g = _run_loss(gradviz, fn, args, kw, grads)
        ctx = (fn, kw, [np.shape(a) for a in args])
        np.testing.assert_allclose(g[0], t[0], rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=str(ctx))
        for gg, tg in zip(g[1], t[1]):
            np.testing.assert_allclose(gg, tg, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=str(ctx))
        assert g[2] == t[2], ctx


# --- edge cases: kinks, ties, nan/inf, indexing, in-place interplay -------------------------------
# Each sets ``r``, a list of tensors (compared by dtype, shape and value, NaN-aware) or other
# values (compared as text).
EDGE_CASES = {
"retain_then_inplace": "x = torch.tensor([1., 2.], requires_grad=True); h = x * 3; h.retain_grad(); h.mul_(2); (h * h).sum().backward(); r = [h.grad, x.grad]",
"hook_then_inplace": "x = torch.tensor([1., 2.], requires_grad=True); h = x * 3; L = []; h.register_hook(lambda g: L.append(g.clone())); h.mul_(2); (h * h).sum().backward(); r = [x.grad] + L",
"leaf_hook_twice": "x = torch.tensor([1., 2.], requires_grad=True); x.register_hook(lambda g: g * 2); x.register_hook(lambda g: g + 1); (x * x).sum().backward(); r = [x.grad]",
"retain_leaf_nonleaf_multi": "x = torch.tensor([1., 2.], requires_grad=True); h = x.exp(); h.retain_grad(); y = h * h + h; y.sum().backward(retain_graph=True); y.sum().backward(); r = [h.grad, x.grad]",
"grad_nonleaf_input": "x = torch.tensor([1., 2.], requires_grad=True); h = x * 2; y = (h ** 2).sum(); r = list(torch.autograd.grad(y, [h, x]))",
"grad_outputs_list": "x = torch.tensor([1., 2.], requires_grad=True); a = x * 2; b = x * 3; r = list(torch.autograd.grad([a, b], [x], [torch.ones(2), torch.tensor([1., -1.])]))",
"backward_list": "x = torch.tensor([1., 2.], requires_grad=True); a = (x * 2).sum(); b = (x ** 3).sum(); torch.autograd.backward([a, b]); r = [x.grad]",
"expand_inplace_grad": "x = torch.tensor([1., 2.], requires_grad=True); y = x.expand(3, 2); r0 = (y * torch.arange(6.).reshape(3, 2)).sum(); r0.backward(); r = [x.grad]",
"where_scalar": "x = torch.tensor([1., -2.], requires_grad=True); y = torch.where(x > 0, x, 0.0); y.sum().backward(); r = [x.grad, y]",
"max_dim_ties": "x = torch.tensor([[1., 3., 3.], [2., 2., 0.]], requires_grad=True); v, i = x.max(1); v.sum().backward(); r = [x.grad, i]",
"min_dim_ties": "x = torch.tensor([[1., 1., 3.], [2., 0., 0.]], requires_grad=True); v, i = x.min(1); v.sum().backward(); r = [x.grad, i]",
"max_nan": "x = torch.tensor([1., float('nan'), 3.], requires_grad=True); v = x.max(); v.backward(); r = [v, x.grad]",
"relu_at_zero": "x = torch.tensor([0., 1., -1.], requires_grad=True); x.relu().sum().backward(); r = [x.grad]",
"abs_at_zero": "x = torch.tensor([0., 1., -1.], requires_grad=True); x.abs().sum().backward(); r = [x.grad]",
"clamp_at_bounds": "x = torch.tensor([0., 1., -1., 0.5], requires_grad=True); x.clamp(-1, 1).sum().backward(); r = [x.grad]",
"sqrt_at_zero": "x = torch.tensor([0., 4.], requires_grad=True); x.sqrt().sum().backward(); r = [x.grad]",
"pow_at_zero": "x = torch.tensor([0., 2.], requires_grad=True); (x ** 0.5).sum().backward(); r = [x.grad]",
"pow_zero_exp_tensor": "x = torch.tensor([0., 2.], requires_grad=True); e = torch.tensor([0., 2.], requires_grad=True); (x ** e).sum().backward(); r = [x.grad, e.grad]",
"pow_neg_base_tensor_exp": "x = torch.tensor([-2., 2.], requires_grad=True); e = torch.tensor([2., 3.], requires_grad=True); (x ** e).sum().backward(); r = [x.grad, e.grad]",
"rpow_zero_base": "e = torch.tensor([1., 2.], requires_grad=True); (0.0 ** e).sum().backward(); r = [e.grad]",
"log_zero": "x = torch.tensor([0., 1.], requires_grad=True); x.log().sum().backward(); r = [x.grad]",
"div_zero": "x = torch.tensor([1., 0.], requires_grad=True); y = torch.tensor([0., 0.], requires_grad=True); (x / y).sum().backward(); r = [x.grad, y.grad]",
"amax_nan": "x = torch.tensor([[1., float('nan')], [2., 3.]], requires_grad=True); v = x.amax(1); v.sum().backward(); r = [v, x.grad]",
"softmax_inf": "x = torch.tensor([[1., float('-inf')], [2., 3.]], requires_grad=True); v = x.softmax(1); v[:, 0].sum().backward(); r = [v, x.grad]",
"sum_int_dtype": "r = [torch.tensor([1, 2], dtype=torch.int32).sum(0), torch.tensor([[True]]).sum((0, 1))]",
"mean_keepdim_tuple_neg": "x = torch.ones(2, 3, 4, requires_grad=True); x.mean((-1, 0), keepdim=True).sum().backward(); r = [x.grad]",
"index_repeat_grad": "x = torch.tensor([1., 2., 3.], requires_grad=True); x[[0, 0, 2, 0]].sum().backward(); r = [x.grad]",
"index_tensor_2d": "x = torch.arange(6.).reshape(2, 3).requires_grad_(); i = torch.tensor([[0, 1], [1, 1]]); y = x[i]; y.sum().backward(); r = [y, x.grad]",
"index_mixed": "x = torch.arange(24.).reshape(2, 3, 4).requires_grad_(); y = x[1, [0, 2], 1:3]; y.sum().backward(); r = [y, x.grad]",
"index_adv_sep": "x = torch.arange(24.).reshape(2, 3, 4).requires_grad_(); y = x[[0, 1], :, [1, 2]]; y.sum().backward(); r = [y, x.grad]",
"index_neg_step_slice": "x = torch.arange(5.).requires_grad_(); y = x[-3:]; y.sum().backward(); r = [y, x.grad]",
"setitem_nograd": "x = torch.zeros(3); x[1:] = torch.tensor([1., 2.]); x[x > 1] = 5.; r = [x]",
"unsqueeze_neg": "x = torch.ones(2, 3); r = [x.unsqueeze(-1).shape, x.unsqueeze(-3).shape, x[None, :, None].shape]",
"squeeze_tuple_nonone": "x = torch.ones(1, 2, 1); r = [x.squeeze((0, 1)).shape, x.squeeze(1).shape, x.squeeze(-1).shape]",
"flatten_grad": "x = torch.ones(2, 3, 4, requires_grad=True); y = x.flatten(1); y.sum().backward(); r = [y.shape, x.grad]",
"flatten_0d": "r = [torch.tensor(3.).flatten()]",
"cat_neg_dim": "a = torch.ones(2, 2, requires_grad=True); y = torch.cat([a, a * 2], -1); y.sum().backward(); r = [y, a.grad]",
"stack_neg_dim": "a = torch.ones(2, 2, requires_grad=True); y = torch.stack([a, a * 2], -1); y.sum().backward(); r = [y, a.grad]",
"addmm_1d_bias": "b = torch.ones(3, requires_grad=True); y = torch.addmm(b, torch.ones(2, 4), torch.ones(4, 3)); y.sum().backward(); r = [y, b.grad]",
"numel_empty_sum": "x = torch.ones(0, 3, requires_grad=True); y = x.sum(0); y.sum().backward(); r = [y, x.grad]",
"empty_mean": "x = torch.ones(0, requires_grad=True); y = x.mean(); r = [y]",
"softmax_implicit": "x = torch.ones(2, 3); r = [F.softmax(x)]",
"linear_3d_nobias_fn": "x = torch.ones(2, 3, 4, requires_grad=True); w = torch.ones(5, 4, requires_grad=True); y = F.linear(x, w); y.sum().backward(); r = [y.shape, x.grad, w.grad]",
"linear_1d_bias_fn": "x = torch.ones(4, requires_grad=True); w = torch.ones(5, 4, requires_grad=True); b = torch.ones(5, requires_grad=True); y = F.linear(x, w, b); y.sum().backward(); r = [y, x.grad, b.grad]",
"to_dtype_grad": "x = torch.ones(2, requires_grad=True); y = x.double() * 2; y.sum().backward(); r = [x.grad, y.dtype]",
"type_as": "x = torch.ones(2); r = [x.type_as(torch.tensor([1])), x.to(torch.float64).dtype, x.to(torch.tensor([1.], dtype=torch.float16)).dtype]",
}

# nn, optim, creation, formatting and autograd-attribute behaviour
EDGE_CASES.update({
"leaf_root": "x = torch.ones(2, requires_grad=True); x.backward(torch.ones(2)); r = [x.grad]",
"param_repr": "p = torch.nn.Parameter(torch.tensor([[1., 2.]])); r = [repr(p), p.is_leaf, p.requires_grad, repr(p * 1)]",
"param_nograd": "p = torch.nn.Parameter(torch.tensor([1.]), requires_grad=False); r = [repr(p), p.requires_grad]",
"seq_repr": "m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1, bias=False)); r = [repr(m)]",
"linear_shapes": "m = torch.nn.Linear(4, 3); r = [tuple(m.weight.shape), tuple(m.bias.shape), m(torch.ones(2, 4)).grad_fn.name(), m(torch.ones(4)).grad_fn.name(), m(torch.ones(5, 2, 4)).grad_fn.name()]",
"zero_grad_none": "m = torch.nn.Linear(2, 1); m(torch.ones(2)).sum().backward(); m.zero_grad(); r = [m.weight.grad is None]",
"sgd_zero_grad": "w = torch.ones(2, requires_grad=True); o = torch.optim.SGD([w], lr=0.1); (w * w).sum().backward(); o.step(); o.zero_grad(); r = [w, w.grad is None, w.is_leaf]",
"mse_module": "l = torch.nn.MSELoss(); r = [l(torch.ones(2), torch.zeros(2))]",
"ce_module": "l = torch.nn.CrossEntropyLoss(); r = [l(torch.ones(2, 3), torch.tensor([0, 1]))]",
"bce_module": "l = torch.nn.BCEWithLogitsLoss(reduction='sum'); r = [l(torch.ones(2), torch.zeros(2))]",
"size_ops": "s = torch.ones(2, 3).shape; r = [s[0], s[-1], len(s), s.numel(), repr(s[1:]) if False else tuple(s[1:]), s == (2, 3)]",
"format_0d": "x = torch.tensor(0.123456789); r = [f'{x}', f'{x:.3f}', str(x.item())]",
"format_0d_int": "x = torch.tensor(7); r = [f'{x}', f'{x:4d}']",
"format_1d": "x = torch.tensor([1.5, 2.]); r = [f'{x}']",
"grad_after_none": "x = torch.ones(2, requires_grad=True); (x * 2).sum().backward(); x.grad = None; (x * 3).sum().backward(); r = [x.grad]",
"requires_grad_copy": "x = torch.ones(2, requires_grad=True); y = torch.tensor(x.detach()); r = [y.requires_grad, y]",
"ones_like_rg": "x = torch.ones(2, dtype=torch.float64); y = torch.ones_like(x, requires_grad=True); r = [y]",
"randn_shape": "r = [tuple(torch.randn(2, 3).shape), torch.randn(2, dtype=torch.float64).dtype, torch.rand(3).dtype, torch.randint(0, 5, (2,)).dtype]",
"arange_float": "r = [torch.arange(0, 1, 0.1), torch.arange(5, dtype=torch.float32), torch.linspace(0, 1, 5)]",
"full_like": "r = [torch.full_like(torch.ones(2, dtype=torch.int64), 2.7), torch.zeros_like(torch.ones(2), dtype=torch.int64)]",
"eye_rect": "r = [torch.eye(2, 3), torch.eye(3, dtype=torch.int64)]",
"bool_ops": "a = torch.tensor([True, False]); r = [a & torch.tensor([True, True]), a | False, ~a]",
"compare_dtype": "r = [torch.tensor([1, 2]) == 1.5, torch.tensor([1., 2.]) < torch.tensor([2])]",
"floordiv_mod": "r = [torch.tensor([5, -5]) // 2, torch.tensor([5., -5.]) % 3, torch.tensor([5, -5]) % 3]",
"argmax_keepdim": "x = torch.tensor([[1., 3.], [4., 2.]]); r = [x.argmax(), x.argmax(1), x.argmax(1, keepdim=True), x.argmin(0)]",
"item_types": "r = [type(torch.tensor(1.5, dtype=torch.float64).item()).__name__, type(torch.tensor([1], dtype=torch.int32).item()).__name__]",
"tolist_0d": "r = [torch.tensor(2.5).tolist(), torch.tensor([[1, 2]]).tolist()]",
"numel_dim": "x = torch.ones(2, 3); r = [x.numel(), x.dim(), x.nelement(), torch.numel(x)]",
"contig": "x = torch.ones(2, 3); r = [x.is_contiguous(), x.t().is_contiguous(), x.t().contiguous().is_contiguous()]",
"view_as_reshape_as": "x = torch.arange(6.).requires_grad_(); y = x.view_as(torch.ones(2, 3)); z = x.reshape_as(torch.ones(3, 2)); r = [y, z]",
"expand_as": "x = torch.tensor([[1.], [2.]], requires_grad=True); y = x.expand_as(torch.ones(2, 3)); y.sum().backward(); r = [y, x.grad]",
"allclose_equal": "r = [torch.allclose(torch.ones(2), torch.ones(2) + 1e-9), torch.equal(torch.ones(2), torch.ones(2)), torch.equal(torch.ones(2), torch.ones(3))]",
"maximum_fn": "a = torch.tensor([1., 5.], requires_grad=True); b = torch.tensor([3., 2.], requires_grad=True); y = torch.maximum(a, b) + torch.minimum(a, b) * 2; y.sum().backward(); r = [y, a.grad, b.grad]",
"sum_dtype_arg": "x = torch.tensor([1, 2]); r = [x.sum(dtype=torch.float64), torch.ones(2).mean(dtype=torch.float64)]",
"detach_": "x = torch.ones(2, requires_grad=True); y = x * 2; y.detach_(); r = [y.requires_grad, y.is_leaf, y]",
"data_attr": "x = torch.ones(2, requires_grad=True); d = x.data; d.add_(1); r = [x, d.requires_grad]",
"grad_fn_metadata": "x = torch.ones(2, requires_grad=True); y = (x * 2); r = [y.grad_fn.name(), y.grad_fn.next_functions[0][0].variable is x]",
"saved_tensors_attr": "x = torch.tensor([1., 2.], requires_grad=True); y = x.exp(); r = [y.grad_fn._saved_result]",
"saved_self": "x = torch.tensor([1., 2.], requires_grad=True); y = x.pow(2); r = [y.grad_fn._saved_self, y.grad_fn._saved_exponent]",
})


def _as_comparable(v):
    if hasattr(v, "detach"):
        return np.asarray(v.detach().numpy()), str(v.dtype).split(".")[-1]
    return norm(str(v))


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_parity(torch, name):
    res = []
    for mod in (torch, gradviz):
        ns = {"torch": mod, "F": mod.nn.functional}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(EDGE_CASES[name], ns)
        res.append([_as_comparable(v) for v in ns["r"]])
    t, g = res
    assert len(t) == len(g)
    for a, b in zip(t, g):
        if isinstance(a, tuple):
            assert isinstance(b, tuple) and b[1] == a[1] and b[0].shape == a[0].shape, (a, b)
            np.testing.assert_allclose(b[0].astype(float), a[0].astype(float), rtol=1e-6, equal_nan=True)
        else:
            assert b == a


# --- indexing: random keys ------------------------------------------------------------------------
def _random_key_item(rng, size, allow_adv):
    r = rng.random()
    if r < 0.25:
        return int(rng.integers(-size, size))
    if r < 0.55:
        a, b = int(rng.integers(-size - 1, size + 1)), int(rng.integers(-size - 1, size + 2))
        return slice(None if rng.random() < 0.3 else a, None if rng.random() < 0.3 else b,
                     None if rng.random() < 0.5 else int(rng.integers(1, 3)))
    if r < 0.65:
        return None
    if r < 0.72:
        return Ellipsis
    if allow_adv and r < 0.86:
        return [int(v) for v in rng.integers(-size, size, int(rng.integers(1, 4)))]
    if allow_adv:
        return ("mask", rng.random(size) < 0.5)
    return slice(None)


def test_indexing_parity_random(torch):
    """Random mixes of ints, slices (negative, stepped, out of range), None, Ellipsis, lists and
    bool masks: same values, shape, gradient, grad_fn chain, or the same error type."""
    rng = np.random.default_rng(5)
    for _ in range(600):
        shape = tuple(int(v) for v in rng.integers(1, 4, int(rng.integers(1, 4))))
        items, dim, seen_ellipsis, n_adv = [], 0, False, 0
        for _ in range(int(rng.integers(1, len(shape) + 2))):
            item = _random_key_item(rng, shape[min(dim, len(shape) - 1)], n_adv == 0 and rng.random() < 0.4)
            if item is Ellipsis:
                item = slice(None) if seen_ellipsis else item
                seen_ellipsis = True
            n_adv += isinstance(item, (list, tuple))
            items.append(item)
            dim += item is not None and item is not Ellipsis
        single = len(items) == 1 and rng.random() < 0.5
        res = []
        for mod in (torch, gradviz):
            x = mod.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
            key = [mod.tensor(i[1]) if isinstance(i, tuple) else i for i in items]
            key = key[0] if single else tuple(key)
            try:
                y = x[key]
                y.sum().backward()
                res.append((tuple(y.shape), y.detach().numpy().tolist(), chain(y.grad_fn),
                            x.grad.numpy().tolist()))
            except (IndexError, RuntimeError, ValueError) as exc:
                res.append(("error", type(exc).__name__))
        assert res[1] == res[0], (shape, items)


# --- view/shape chains --------------------------------------------------------------------------
def _shape_step(rng, shape):
    nd = len(shape)
    ops = ["reshape", "view", "flatten", "unsqueeze", "contiguous", "clone", "mul"]
    if nd >= 1: ops += ["squeeze_all", "squeeze_dim", "expand"]
    if nd >= 2: ops += ["transpose", "permute", "t" if nd == 2 else "mT", "T"]
    op = ops[int(rng.integers(len(ops)))]
    if op in ("reshape", "view"):
        n = int(np.prod(shape)); dims = []
        rest = n
        for f in (2, 3, 1):
            if rest % f == 0 and rng.random() < 0.5: dims.append(f); rest //= f
        dims.append(rest)
        if rng.random() < 0.3: dims[int(rng.integers(len(dims)))] = -1
        return op, tuple(dims)
    if op == "flatten": return op, (int(rng.integers(0, max(nd, 1))),)
    if op == "unsqueeze": return op, (int(rng.integers(-nd - 1, nd + 1)),)
    if op == "squeeze_dim": return op, (int(rng.integers(-nd, nd)),)
    if op == "expand":
        return op, tuple([2] + [s if s != 1 or rng.random() < 0.5 else 3 for s in shape])
    if op == "transpose": return op, tuple(int(v) for v in rng.choice(nd, 2, replace=False))
    if op == "permute": return op, tuple(int(v) for v in rng.permutation(nd))
    return op, ()
def _shape_apply(mod, x, op, args):
    if op == "reshape": return x.reshape(*args)
    if op == "view": return x.view(*args)
    if op == "flatten": return x.flatten(*args)
    if op == "unsqueeze": return x.unsqueeze(*args)
    if op == "squeeze_all": return x.squeeze()
    if op == "squeeze_dim": return x.squeeze(*args)
    if op == "expand": return x.expand(*args)
    if op == "transpose": return x.transpose(*args)
    if op == "permute": return x.permute(*args)
    if op == "t": return x.t()
    if op == "mT": return x.mT
    if op == "T": return x.T
    if op == "contiguous": return x.contiguous()
    if op == "clone": return x.clone()
    if op == "mul": return x * 2

@pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")
def test_shape_chain_parity_random(torch):
    """Chains of reshape/view/flatten/(un)squeeze/expand/transpose/permute/t/mT/T/contiguous/
    clone: values, gradients, grad_fn chains, contiguity (which decides view vs copy later)."""
    for it in range(600):
        shape = tuple(int(v) for v in np.random.default_rng(10_000 + it).integers(1, 4, 3)[:1 + it % 3])
        res = []
        for mod in (torch, gradviz):
            x = mod.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
            y = x
            r2 = np.random.default_rng(it)
            try:
                for _ in range(int(r2.integers(1, 5))):
                    op, args = _shape_step(r2, tuple(y.shape))
                    y = _shape_apply(mod, y, op, args)
                u = np.arange(float(np.prod(tuple(y.shape)))).reshape(tuple(y.shape))
                y.backward(mod.tensor(u))
                res.append((tuple(y.shape), y.detach().numpy().tolist(), chain(y.grad_fn),
                            x.grad.numpy().tolist(), y.is_contiguous()))
            except RuntimeError as exc:
                res.append(("error", norm(str(exc))))
        assert res[1] == res[0], (shape, it)
