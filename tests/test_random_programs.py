"""Random programs run on gradviz and on PyTorch from the same values, in float64.

A program is a list of instructions drawn from a small vocabulary (elementwise, scalar,
reductions with keepdim, softmax, matmul with a fresh weight, view round trips, where, clamp,
in-place on a clone; trigonometric, hyperbolic, logarithmic and rounding math, erf, rsqrt,
sign; norms, var/std, prod, logsumexp, cumsum; maximum/minimum; list indexing, masked_fill and
writes into graph tensors: x[..., 0] = ..., x[mask] = 0, in-place ops on views), over operands of shapes that broadcast, picked from a growing pool so
that subexpressions are shared and leaves are used several times. Some intermediates retain
their grad, some tensors get hooks (which record the gradient they see, and sometimes scale
it). Both libraries must agree on the output, every leaf grad, every retained grad, every hook
call (in order), and the grad_fn name of every intermediate.
"""
from __future__ import annotations

import numpy as np
import pytest

import gradviz

pytestmark = pytest.mark.torch

N_PROGRAMS = 400
CHUNK = 20

FULL_SHAPES = [(3,), (2, 3), (2, 3, 4), (4, 1, 3), (1,)]


def sub_shape(rng, full):
    """A shape that broadcasts to ``full``: a suffix of it with some dims set to 1."""
    k = int(rng.integers(0, len(full) + 1))
    shape = list(full[len(full) - k:])
    for i in range(len(shape)):
        if rng.random() < 0.3:
            shape[i] = 1
    return tuple(shape)


UNARY = ["tanh", "sigmoid", "exp_small", "neg", "relu", "abs", "square", "sqrt1", "log1",
         "scalar_mul", "scalar_rsub", "scalar_div", "rdiv", "rpow", "pow3", "clamp",
         "sum_keep", "mean_keep", "amax_keep", "softmax", "log_softmax", "view_roundtrip",
         "transpose_roundtrip", "unsqueeze_squeeze", "clone_inplace", "matmul_weight",
         # the math and reductions of gradviz.ops.pointwise / gradviz.ops.statistics
         "sin", "cos", "tan_small", "sinh_cosh", "atan", "erf", "log1p_abs", "expm1_small",
         "log10_log2", "rsqrt1", "square_fn", "sign_mul", "floor_mix", "round_mix",
         "clone_inplace_math", "norm_keep", "norm_p1_keep", "var_keep", "std_keep",
         "logsumexp_keep", "prod_keep", "cumsum", "norm_all", "cumprod_small", "sort_values",
         "clamp_min_max", "std_mean_keep", "flip_mul", "roll_mul",
         # indexing, and writes into a tensor of the graph (CopySlices, IndexPutBackward0)
         "index_reverse", "masked_fill", "setitem_select", "view_inplace", "mask_assign",
         "select_iadd",
         # nn.functional: activations, layer_norm, elementwise losses, padding, dropout (eval)
         "gelu_mix", "silu_softplus", "elu_leaky", "layer_norm_last", "smooth_l1_huber",
         "pad_crop", "dropout_eval"]
BINARY = ["add", "sub", "mul", "div_safe", "where", "add_alpha", "maximum", "minimum"]

# Unary ops that reduce one dim (kept as size 1), and so draw that dim as ``extra``.
DIM_KEEP = ("sum_keep", "mean_keep", "amax_keep", "norm_keep", "norm_p1_keep", "var_keep",
            "std_keep", "logsumexp_keep", "prod_keep", "std_mean_keep")
# Indexing ops that need at least one dim.
INDEXING = ("index_reverse", "setitem_select", "view_inplace", "mask_assign", "select_iadd",
            "layer_norm_last", "pad_crop")
# Unary ops that draw a dim but keep the shape.
DIM_SAME = ("softmax", "log_softmax", "cumsum", "cumprod_small", "sort_values", "flip_mul",
            "roll_mul")


def make_program(seed: int):
    rng = np.random.default_rng(seed)
    full = FULL_SHAPES[int(rng.integers(len(FULL_SHAPES)))]
    n_leaves = int(rng.integers(1, 4))
    leaves = [rng.standard_normal(sub_shape(rng, full)) for _ in range(n_leaves)]
    consts = [rng.standard_normal(sub_shape(rng, full)) for _ in range(int(rng.integers(0, 2)))]
    shapes = [l.shape for l in leaves] + [c.shape for c in consts]
    instrs = []
    n_steps = int(rng.integers(3, 10))
    for _ in range(n_steps):
        pool = len(shapes)
        if rng.random() < 0.55:
            op = UNARY[int(rng.integers(len(UNARY)))]
            i = int(rng.integers(pool))
            shape = shapes[i]
            extra = None
            if op in DIM_KEEP or op in DIM_SAME:
                if not shape:
                    op = "tanh"
                else:
                    extra = int(rng.integers(-len(shape), len(shape)))
            if op == "transpose_roundtrip" and len(shape) < 2:
                op = "neg"
            if op in INDEXING and not shape:
                op = "abs"
            if op == "matmul_weight":
                if not shape:
                    op = "sigmoid"
                else:
                    extra = rng.standard_normal((shape[-1], shape[-1])) * 0.5
            out_shape = shape
            if op == "norm_all":
                out_shape = ()
            if op in DIM_KEEP:
                out_shape = tuple(1 if d == extra % len(shape) else s for d, s in enumerate(shape))
            instrs.append(("u", op, (i,), extra))
        else:
            op = BINARY[int(rng.integers(len(BINARY)))]
            i, j = (int(v) for v in rng.integers(pool, size=2))
            instrs.append(("b", op, (i, j), None))
            out_shape = np.broadcast_shapes(shapes[i], shapes[j])
        shapes.append(tuple(out_shape))
        k = len(shapes) - 1
        r = rng.random()
        if r < 0.15:
            instrs.append(("retain", None, (k,), None))
        elif r < 0.30:
            instrs.append(("hook", None, (k,), float(rng.choice([1.0, 2.0, -0.5]))))
    # leaf hooks too
    if rng.random() < 0.3:
        instrs.append(("hook", None, (0,), 1.0))
    # combine the last two results (multiple uses of the same value are allowed)
    last = len(shapes) - 1
    other = int(rng.integers(len(shapes)))
    final = ("sum" if rng.random() < 0.4 else "mean" if rng.random() < 0.5 else "vector", last, other)
    out_shape = np.broadcast_shapes(shapes[last], shapes[other])
    upstream = rng.standard_normal(out_shape)
    return {"leaves": leaves, "consts": consts, "instrs": instrs, "final": final,
            "upstream": upstream, "twice": bool(rng.random() < 0.25)}


def apply_unary(mod, op, x, extra):
    f64 = mod.float64
    if op == "tanh":
        return x.tanh()
    if op == "sigmoid":
        return mod.sigmoid(x)
    if op == "exp_small":
        return (x * 0.3).exp()
    if op == "neg":
        return -x
    if op == "relu":
        return x.relu()
    if op == "abs":
        return x.abs()
    if op == "square":
        return x * x
    if op == "sqrt1":
        return (x * x + 1.0).sqrt()
    if op == "log1":
        return (x * x + 1.0).log()
    if op == "scalar_mul":
        return 2.5 * x
    if op == "scalar_rsub":
        return 1.5 - x
    if op == "scalar_div":
        return x / 3.0
    if op == "rdiv":
        return 1.0 / (x * x + 0.5)
    if op == "rpow":
        return 1.5 ** x.tanh()
    if op == "pow3":
        return x.pow(3)
    if op == "clamp":
        return x.clamp(-0.7, 0.9)
    if op == "sum_keep":
        return x.sum(extra, keepdim=True)
    if op == "mean_keep":
        return x.mean(dim=extra, keepdim=True)
    if op == "amax_keep":
        return x.amax(extra, keepdim=True)
    if op == "softmax":
        return x.softmax(extra)
    if op == "log_softmax":
        return mod.nn.functional.log_softmax(x, dim=extra)
    if op == "view_roundtrip":
        return x.reshape(-1).view(tuple(x.shape)) * 1.0
    if op == "transpose_roundtrip":
        return x.transpose(-1, -2).transpose(-2, -1)
    if op == "unsqueeze_squeeze":
        return x.unsqueeze(0).squeeze(0)
    if op == "clone_inplace":
        y = x.clone()
        y.mul_(1.5)
        y.add_(0.25)
        return y
    if op == "matmul_weight":
        w = mod.tensor(extra, dtype=f64, requires_grad=True)
        return mod.matmul(x, w), w
    if op == "sin":
        return x.sin()
    if op == "cos":
        return mod.cos(x)
    if op == "tan_small":
        return (x.tanh() * 0.7).tan()
    if op == "sinh_cosh":
        return mod.sinh(x * 0.5) + (x * 0.5).cosh()
    if op == "atan":
        return mod.atan(x)
    if op == "erf":
        return x.erf()
    if op == "log1p_abs":
        return mod.log1p(x.abs())
    if op == "expm1_small":
        return (x * 0.3).expm1()
    if op == "log10_log2":
        return (x * x + 1.0).log10() + mod.log2(x * x + 0.5)
    if op == "rsqrt1":
        return mod.rsqrt(x * x + 1.0)
    if op == "square_fn":
        return mod.square(x)
    if op == "sign_mul":
        return x * x.sign()
    if op == "floor_mix":
        return x + mod.floor(x * 2.0)
    if op == "round_mix":
        return x * 0.5 + mod.round(x * 3.0) + x.ceil() - mod.trunc(x)
    if op == "clone_inplace_math":
        y = x.clone()
        y.sin_()
        y.add_(2.0)
        y.log_()
        return y
    if op == "norm_keep":
        return x.norm(dim=extra, keepdim=True)
    if op == "norm_p1_keep":
        return mod.norm(x, p=1, dim=extra, keepdim=True)
    if op == "var_keep":
        return x.var(extra, keepdim=True, correction=0)
    if op == "std_keep":
        return mod.std(x * x + 0.1, dim=extra, keepdim=True, unbiased=False)
    if op == "logsumexp_keep":
        return x.logsumexp(extra, keepdim=True)
    if op == "prod_keep":
        return x.prod(extra, keepdim=True)
    if op == "cumsum":
        return x.cumsum(extra)
    if op == "norm_all":
        return mod.norm(x)
    if op == "cumprod_small":
        return (x.tanh() * 0.5 + 1.0).cumprod(extra)
    if op == "sort_values":
        # A tiny ramp along the dim keeps equal values (relu's zeros) apart, so the order, and
        # where each gradient goes back to, is the same in both libraries.
        ramp = mod.linspace(0.0, 1e-3, x.shape[extra], dtype=f64).reshape(
            [-1 if d == extra % x.dim() else 1 for d in range(x.dim())])
        return mod.sort(x + ramp, dim=extra, descending=bool(x.dim() % 2)).values
    if op == "flip_mul":
        return x.flip(extra) * x
    if op == "roll_mul":
        return mod.roll(x, 1, extra) * x + x.roll(-2) * 0.5
    if op == "clamp_min_max":
        return x.clamp_min(-0.3) + mod.clamp_max(x, 0.4)
    if op == "std_mean_keep":
        s, m = mod.std_mean(x * x + 0.1, dim=extra, keepdim=True, correction=0)
        return s * m
    F = mod.nn.functional
    if op == "gelu_mix":
        return F.gelu(x) + F.gelu(x, approximate="tanh") * 0.5
    if op == "silu_softplus":
        return F.silu(x) * F.softplus(x, beta=2.0, threshold=1.0)
    if op == "elu_leaky":
        return F.elu(x, 0.7) + F.leaky_relu(x, 0.2)
    if op == "layer_norm_last":
        return F.layer_norm(x, x.shape[-1:]) if x.shape[-1] > 1 else x * 3.0
    if op == "smooth_l1_huber":
        return (F.smooth_l1_loss(x, x.detach() * 0.5, reduction="none", beta=0.5)
                + F.huber_loss(x, x.detach().tanh(), reduction="none", delta=0.3))
    if op == "pad_crop":
        return F.pad(x, (2, 1), value=0.5)[..., 1:-2] * 1.5
    if op == "dropout_eval":
        return F.dropout(x * 2.0, 0.5, training=False)
    if op == "index_reverse":
        return x[..., list(range(x.shape[-1]))[::-1]] * 1.5
    if op == "masked_fill":
        return x.masked_fill(x > 0.5, 0.25)
    if op == "setitem_select":
        y = x * 1.0
        y[..., 0] = y[..., -1] * 2.0
        return y
    if op == "view_inplace":
        y = x - 0.5
        y[..., :1].mul_(3.0)
        return y
    if op == "mask_assign":
        y = x.clone()
        y[y < 0] = 0.0
        return y
    if op == "select_iadd":
        y = x * 2.0
        y[..., 0] += x[..., -1].tanh()
        return y
    raise AssertionError(op)


def apply_binary(mod, op, x, y):
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div_safe":
        return x / (y * y + 1.0)
    if op == "where":
        return mod.where(x > y, x, y * 2.0)
    if op == "add_alpha":
        return mod.add(x, y, alpha=0.5)
    if op == "maximum":
        return mod.maximum(x, y)
    if op == "minimum":
        return mod.minimum(x, y)
    raise AssertionError(op)


def execute(mod, prog):
    f64 = mod.float64
    leaves = [mod.tensor(a.copy(), dtype=f64, requires_grad=True) for a in prog["leaves"]]
    pool = list(leaves) + [mod.tensor(c.copy(), dtype=f64) for c in prog["consts"]]
    retained, hook_log = [], []
    names = []
    for kind, op, args, extra in prog["instrs"]:
        if kind == "u":
            r = apply_unary(mod, op, pool[args[0]], extra)
            if isinstance(r, tuple):
                r, w = r
                leaves.append(w)
            pool.append(r)
            names.append(r.grad_fn.name() if r.grad_fn is not None else None)
        elif kind == "b":
            r = apply_binary(mod, op, pool[args[0]], pool[args[1]])
            pool.append(r)
            names.append(r.grad_fn.name() if r.grad_fn is not None else None)
        elif kind == "retain":
            t = pool[args[0]]
            if t.requires_grad:
                t.retain_grad()
                retained.append(t)
        elif kind == "hook":
            t = pool[args[0]]
            if t.requires_grad:
                k = args[0]

                def hook(g, k=k, scale=extra):
                    hook_log.append((k, g.detach().numpy().copy()))
                    return g * scale if scale != 1.0 else None

                t.register_hook(hook)
    kind, i, j = prog["final"]
    out = pool[i] + pool[j]
    if kind == "sum":
        out = out.sum()
    elif kind == "mean":
        out = out.mean()
    names.append(out.grad_fn.name() if out.grad_fn is not None else None)
    if not out.requires_grad:
        return out, leaves, retained, hook_log, names, False
    for _ in range(2 if prog["twice"] else 1):
        # A second pass (graph retained) accumulates into leaves and retained grads alike.
        if kind == "vector":
            out.backward(mod.tensor(prog["upstream"], dtype=f64), retain_graph=prog["twice"])
        else:
            out.backward(retain_graph=prog["twice"])
    return out, leaves, retained, hook_log, names, True


def _np(t):
    return None if t is None else t.detach().numpy()


def check_program(torch, seed):
    prog = make_program(seed)
    t_out, t_leaves, t_ret, t_hooks, t_names, t_ran = execute(torch, prog)
    g_out, g_leaves, g_ret, g_hooks, g_names, g_ran = execute(gradviz, prog)
    ctx = f"program seed {seed}: {prog['instrs']} final={prog['final']}"
    assert g_names == t_names, ctx
    assert g_ran == t_ran, ctx
    np.testing.assert_allclose(_np(g_out), _np(t_out), rtol=1e-10, atol=1e-12, err_msg=ctx)
    assert len(g_leaves) == len(t_leaves)
    for k, (gl, tl) in enumerate(zip(g_leaves, t_leaves)):
        if tl.grad is None:
            assert gl.grad is None, f"leaf {k}: {ctx}"
        else:
            assert gl.grad is not None, f"leaf {k}: {ctx}"
            np.testing.assert_allclose(_np(gl.grad), _np(tl.grad), rtol=1e-9, atol=1e-12,
                                       err_msg=f"leaf {k}: {ctx}")
    for k, (gr, tr) in enumerate(zip(g_ret, t_ret)):
        if tr.grad is None:
            assert gr.grad is None, f"retained {k}: {ctx}"
        else:
            np.testing.assert_allclose(_np(gr.grad), _np(tr.grad), rtol=1e-9, atol=1e-12,
                                       err_msg=f"retained {k}: {ctx}")
    assert [k for k, _ in g_hooks] == [k for k, _ in t_hooks], f"hook order: {ctx}"
    for (k, gh), (_, th) in zip(g_hooks, t_hooks):
        np.testing.assert_allclose(gh, th, rtol=1e-9, atol=1e-12, err_msg=f"hook on {k}: {ctx}")


@pytest.mark.parametrize("start", range(0, N_PROGRAMS, CHUNK))
def test_random_programs(torch, start):
    for seed in range(start, start + CHUNK):
        check_program(torch, seed)


def test_generator_covers_the_vocabulary():
    # The generator must actually exercise what it claims to (a guard against a silent no-op).
    seen = set()
    retains = hooks = shared = 0
    for seed in range(N_PROGRAMS):
        prog = make_program(seed)
        uses = {}
        for kind, op, args, _ in prog["instrs"]:
            seen.add(op if kind in "ub" else kind)
            retains += kind == "retain"
            hooks += kind == "hook"
            for a in args:
                uses[a] = uses.get(a, 0) + 1
        shared += any(v > 1 for v in uses.values())
    assert set(UNARY) | set(BINARY) <= seen
    assert retains > 20 and hooks > 20 and shared > 50
