"""``gradviz.autograd`` helpers against PyTorch: Variable, gradcheck, functional.jacobian /
vjp / jvp, and the profiler (op counts from programs whose calls are known, PyTorch's table)."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import gradviz

torch_mark = pytest.mark.torch


def norm(s: str) -> str:
    return s.replace("torch.", "gradviz.")


def _result(mod, src, **env):
    ns = {"torch": mod, "np": np, **env}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(src, ns)
    except Exception as exc:  # noqa: BLE001
        return ("error", type(exc).__name__, norm(str(exc)))
    return ns["r"]


def _same(g, t):
    if isinstance(t, tuple) and t and t[0] == "error":
        assert g == t
        return
    if isinstance(t, (list, tuple)):
        assert isinstance(g, (list, tuple)) and len(g) == len(t), (g, t)
        for gi, ti in zip(g, t):
            _same(gi, ti)
        return
    if hasattr(t, "detach"):
        assert norm(str(t.dtype)) == str(g.dtype)
        np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert g.requires_grad == t.requires_grad
        return
    assert g == t


# --- Variable ----------------------------------------------------------------------------------------
VARIABLE_CASES = {
    "requires_grad": "x = torch.ones(2); v = torch.autograd.Variable(x, requires_grad=True); "
                     "r = [v is x, v.requires_grad, x.requires_grad, v.is_leaf, isinstance(x, torch.autograd.Variable)]",
    "shares_data": "x = torch.ones(2); v = torch.autograd.Variable(x); v.add_(1); r = [x, v.requires_grad]",
    "detaches": "y = torch.ones(2, requires_grad=True) * 2; v = torch.autograd.Variable(y); r = [v.grad_fn is None, v is y]",
    "int_requires_grad": "r = torch.autograd.Variable(torch.tensor([1, 2]), requires_grad=True)",
    "not_a_tensor": "r = torch.autograd.Variable([1.0])",
    "trains": ("w = torch.autograd.Variable(torch.tensor([1.0, -2.0]), requires_grad=True); "
               "(w * w).sum().backward(); r = [w.grad]"),
}


@torch_mark
@pytest.mark.parametrize("name", sorted(VARIABLE_CASES))
def test_variable_parity(torch, name):
    _same(_result(gradviz, VARIABLE_CASES[name]), _result(torch, VARIABLE_CASES[name]))


# --- gradcheck ---------------------------------------------------------------------------------------
FUNCS = '''
class Good(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return (x * w).tanh()

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        d = 1 - (x * w).tanh() ** 2
        return g * d * w, g * d * x


class Wrong(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3
'''

GRADCHECK_CASES = {
    "good_function": FUNCS + "r = torch.autograd.gradcheck(Good.apply, (X, W))",
    "builtin_ops": "r = torch.autograd.gradcheck(lambda a, b: (a @ b).exp().sum(0), (X.reshape(2, 2), W.reshape(2, 2)))",
    "indexing_and_setitem": ("def f(a):\n    h = a * 1\n    h[1:3] = h[1:3] * a[0]\n    return h[[0, 2, 3]] ** 2\n"
                             "r = torch.autograd.gradcheck(f, (X,))"),
    "eps_atol_keywords": FUNCS + "r = torch.autograd.gradcheck(Good.apply, (X, W), eps=1e-6, atol=1e-4)",
    "wrong_function_raises": FUNCS + "r = torch.autograd.gradcheck(Wrong.apply, (X,))",
    "wrong_function_false": FUNCS + "r = torch.autograd.gradcheck(Wrong.apply, (X,), raise_exception=False)",
    "error_is_runtime_error": FUNCS + ("try:\n    torch.autograd.gradcheck(Wrong.apply, (X,))\n"
                                       "except RuntimeError as e:\n    r = type(e).__name__"),
    "no_input_requires_grad": "r = torch.autograd.gradcheck(lambda a: a * 2, (X.detach(),))",
    "non_tensor_argument": FUNCS + ("class Scale(torch.autograd.Function):\n    @staticmethod\n"
                                    "    def forward(ctx, x, k):\n        ctx.k = k\n        return x * k\n"
                                    "    @staticmethod\n    def backward(ctx, g):\n        return g * ctx.k, None\n"
                                    "r = torch.autograd.gradcheck(Scale.apply, (X, 2.5))"),
}


def _gradcheck_env(mod):
    rng = np.random.default_rng(0)
    return {"X": mod.tensor(rng.standard_normal(4), dtype=mod.float64, requires_grad=True),
            "W": mod.tensor(rng.standard_normal(4), dtype=mod.float64, requires_grad=True)}


@torch_mark
@pytest.mark.parametrize("name", sorted(GRADCHECK_CASES))
def test_gradcheck_parity(torch, name):
    src = GRADCHECK_CASES[name]
    _same(_result(gradviz, src, **_gradcheck_env(gradviz)), _result(torch, src, **_gradcheck_env(torch)))


@torch_mark
def test_gradcheck_warns_for_float32_as_pytorch(torch):
    msgs = []
    for mod in (torch, gradviz):
        x = mod.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mod.autograd.gradcheck(lambda a: a * 2, (x,), raise_exception=False, atol=1e-2, rtol=1e-2)
        msgs.append([str(m.message) for m in w if issubclass(m.category, UserWarning)])
    assert msgs[1] == msgs[0]


def test_gradcheck_numerical_jacobian_is_central_differences():
    from gradviz.autograd.gradcheck import analytical_jacobian, numerical_jacobian

    x = gradviz.tensor([0.3, -1.2, 2.0], dtype=gradviz.float64, requires_grad=True)
    (num,), = numerical_jacobian(lambda a: a ** 3, (x,))
    (ana,), = analytical_jacobian(lambda a: a ** 3, (x,))
    np.testing.assert_allclose(num, np.diag(3 * x.detach().numpy() ** 2), rtol=1e-8)
    np.testing.assert_allclose(ana, np.diag(3 * x.detach().numpy() ** 2), rtol=1e-12)
    assert x.grad is None  # gradcheck never touches .grad


def test_gradgradcheck_is_refused_clearly():
    x = gradviz.tensor([1.0], dtype=gradviz.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="second-order"):
        gradviz.autograd.gradgradcheck(lambda a: a * a, (x,))


# --- functional ------------------------------------------------------------------------------------
FUNCTIONAL_CASES = {
    "jacobian_exp_reducer": "r = torch.autograd.functional.jacobian(lambda x: x.exp().sum(dim=1), A)",
    "jacobian_tuple_inputs": "r = torch.autograd.functional.jacobian(lambda x, y: 2 * x.exp() + 3 * y, (B, B * 2))",
    "jacobian_tuple_outputs": "r = torch.autograd.functional.jacobian(lambda x, y: (x * y, x + y), (B, B + 1))",
    "jacobian_scalar_output": "r = torch.autograd.functional.jacobian(lambda x: (x ** 3).sum(), B)",
    "jacobian_unused_input": "r = torch.autograd.functional.jacobian(lambda x, y: x * 2, (B, B))",
    "jacobian_strict_unused": ("r = torch.autograd.functional.jacobian(lambda x: torch.ones(2, dtype=torch.float64), "
                               "B, strict=True)"),
    "jacobian_custom_function": ("class Sq(torch.autograd.Function):\n    @staticmethod\n"
                                 "    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x * x\n"
                                 "    @staticmethod\n    def backward(ctx, g):\n        x, = ctx.saved_tensors\n"
                                 "        return 2 * x * g\n"
                                 "r = torch.autograd.functional.jacobian(Sq.apply, B)"),
    "jacobian_inputs_untouched": ("x = B.clone().requires_grad_(); j = torch.autograd.functional.jacobian(lambda t: t * t, x); "
                                  "r = [j, x.grad is None]"),
    "vjp_exp_reducer": "r = torch.autograd.functional.vjp(lambda x: x.exp().sum(dim=1), A, torch.ones(2, dtype=torch.float64))",
    "vjp_adder": "r = torch.autograd.functional.vjp(lambda x, y: 2 * x + 3 * y, (B, B), torch.ones(3, dtype=torch.float64))",
    "vjp_scalar_no_v": "r = torch.autograd.functional.vjp(lambda x: (x * x).sum(), B)",
    "vjp_needs_v": "r = torch.autograd.functional.vjp(lambda x: x * x, B)",
    "jvp_exp_reducer": "r = torch.autograd.functional.jvp(lambda x: x.exp().sum(dim=1), A, torch.ones(2, 2, dtype=torch.float64))",
    "jvp_tuple": "r = torch.autograd.functional.jvp(lambda x, y: x * y, (B, B + 1), (torch.ones(3, dtype=torch.float64), B))",
    "jacobian_not_tensor": "r = torch.autograd.functional.jacobian(lambda x: x, [1.0])",
}


def _functional_env(mod):
    rng = np.random.default_rng(2)
    return {"A": mod.tensor(rng.uniform(0, 1, (2, 2)), dtype=mod.float64),
            "B": mod.tensor(rng.standard_normal(3), dtype=mod.float64)}


@torch_mark
@pytest.mark.parametrize("name", sorted(FUNCTIONAL_CASES))
def test_functional_parity(torch, name):
    src = FUNCTIONAL_CASES[name]
    t = _result(torch, src, **_functional_env(torch))
    g = _result(gradviz, src, **_functional_env(gradviz))
    if isinstance(t, tuple) and t and t[0] == "error":
        assert g[:2] == t[:2]
        if name != "jacobian_not_tensor":  # PyTorch prints the type as <class 'list'> too
            assert g == t
        return
    _same(g, t)


def test_jacobian_matches_finite_differences():
    def f(x):
        return gradviz.stack([x[0] * x[1], x[1].exp(), x[2] / (1 + x[0] ** 2)])

    x0 = np.array([0.4, -0.7, 1.3])
    jac = gradviz.autograd.functional.jacobian(f, gradviz.tensor(x0)).numpy()
    eps = 1e-6
    num = np.zeros((3, 3))
    for k in range(3):
        p, m = x0.copy(), x0.copy()
        p[k] += eps
        m[k] -= eps
        num[:, k] = (f(gradviz.tensor(p)).numpy() - f(gradviz.tensor(m)).numpy()) / (2 * eps)
    np.testing.assert_allclose(jac, num, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ["hessian", "hvp", "vhp"])
def test_second_order_functional_refused(name):
    with pytest.raises(NotImplementedError, match="second-order"):
        getattr(gradviz.autograd.functional, name)(lambda x: (x * x).sum(), gradviz.ones(2))


# --- profiler ----------------------------------------------------------------------------------------
def test_profiler_counts_every_op_call_and_backward_node():
    w = gradviz.tensor(np.ones((3, 3)), requires_grad=True)
    x = gradviz.ones(3, 3)
    with gradviz.autograd.profiler.profile() as prof:
        for _ in range(4):
            y = (w * x + w).relu()   # mul, add, relu: 4 times each
        with gradviz.autograd.profiler.record_function("loss"):
            loss = gradviz.sum(y)    # the functional form is timed as well
        loss.backward()
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts["aten::mul"] == 4 and counts["aten::add"] == 4 and counts["aten::relu"] == 4
    assert counts["aten::sum"] == 1 and counts["loss"] == 1
    for node in ("SumBackward0", "ReluBackward0", "AddBackward0", "MulBackward0"):
        assert counts[f"autograd::engine::evaluate_function: {node}"] == 1
    assert counts["autograd::engine::evaluate_function: torch::autograd::AccumulateGrad"] == 1
    events = {e.key: e for e in prof.key_averages()}
    # record_function's block contains the sum: its total covers the sum's.
    assert events["loss"].cpu_time_total >= events["aten::sum"].cpu_time_total
    assert all(e.self_cpu_time_total >= 0 for e in prof.key_averages())
    total = prof.key_averages().total_average()
    assert total.self_cpu_time_total == pytest.approx(sum(e.self_cpu_time_total for e in prof.events()))


def test_profiler_costs_nothing_outside_and_restores_ops():
    before = (gradviz.matmul, gradviz.ops.elementwise.mul, gradviz.autograd.run_backward)
    with gradviz.autograd.profiler.profile():
        assert gradviz.ops.elementwise.mul is not before[1]
        (gradviz.ones(2, requires_grad=True) * 2).sum().backward()
    assert (gradviz.matmul, gradviz.ops.elementwise.mul, gradviz.autograd.run_backward) == before
    with gradviz.autograd.profiler.profile() as prof:
        pass
    assert list(prof.key_averages()) == []


def test_profiler_restores_ops_after_an_error():
    before = gradviz.ops.elementwise.add
    with pytest.raises(RuntimeError), gradviz.autograd.profiler.profile():
        gradviz.ones(2) + gradviz.ones(3)
    assert gradviz.ops.elementwise.add is before


@torch_mark
def test_profiler_table_is_shaped_like_pytorchs(torch):
    tables = []
    for mod in (torch, gradviz):
        x = mod.ones(20, 20, requires_grad=True)
        with mod.autograd.profiler.profile() as prof:
            with mod.autograd.profiler.record_function("block"):
                (x * 2).sum()
        tables.append(prof.key_averages().table(sort_by="cpu_time_total", row_limit=3))
    shapes = []
    for table in tables:
        lines = table.rstrip("\n").split("\n")
        header = lines[1]
        shapes.append((len(lines), lines[0].count("-" * 12), header.split(),
                       re.sub(r"[\d.]+(us|ms|s)$", "TIME", lines[-1]),
                       [bool(re.search(r"\d+\.\d\d%\s+\d+\.\d{3}(us|ms|s)", row)) for row in lines[3:-2]]))
    assert shapes[1] == shapes[0]


@torch_mark
def test_new_profiler_api(torch):
    rows = []
    for mod in (torch, gradviz):
        import importlib

        profiler = importlib.import_module(mod.__name__ + ".profiler")
        x = mod.ones(4, 4)
        with profiler.profile(activities=[profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
            with profiler.record_function("model_inference"):
                (x @ x).sum()
        keys = {e.key: e.count for e in prof.key_averages()}
        rows.append((keys.get("model_inference"), keys.get("aten::matmul"), keys.get("aten::sum")))
    assert rows[1] == rows[0]


# --- anomaly detection -------------------------------------------------------------------------------
ANOMALY_CASES = {
    "detect_anomaly_block": ("x = torch.tensor([0.0, 1.0], requires_grad=True)\n"
                             "with torch.autograd.detect_anomaly():\n    (x.sqrt() * 0).sum().backward()"),
    "set_detect_anomaly_global": ("x = torch.tensor([0.0, 1.0], requires_grad=True)\n"
                                  "torch.autograd.set_detect_anomaly(True)\n"
                                  "try:\n    (x / 0 * 0).sum().backward()\n"
                                  "finally:\n    torch.autograd.set_detect_anomaly(False)"),
    "flags": ("a = torch.is_anomaly_enabled()\n"
              "with torch.autograd.set_detect_anomaly(True, check_nan=False):\n"
              "    b = (torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())\n"
              "r = [a, b, torch.is_anomaly_enabled()]"),
    "check_nan_off_lets_nan_through": ("x = torch.tensor([0.0, 1.0], requires_grad=True)\n"
                                       "with torch.autograd.set_detect_anomaly(True, check_nan=False):\n"
                                       "    (x.sqrt() * 0).sum().backward()\n"
                                       "r = [np.isnan(x.grad.numpy()).tolist()]"),
    "no_nan_no_error": ("x = torch.tensor([1.0, 4.0], requires_grad=True)\n"
                        "with torch.autograd.detect_anomaly():\n    x.sqrt().sum().backward()\nr = [x.grad]"),
    "autograd_grad_checked": ("x = torch.tensor([0.0, 1.0], requires_grad=True)\n"
                              "with torch.autograd.detect_anomaly():\n    torch.autograd.grad((x.sqrt() * 0).sum(), x)"),
}


@torch_mark
@pytest.mark.parametrize("name", sorted(ANOMALY_CASES))
def test_anomaly_detection_parity(torch, name):
    _same(_result(gradviz, ANOMALY_CASES[name]), _result(torch, ANOMALY_CASES[name]))
    assert not gradviz.is_anomaly_enabled()


def test_anomaly_mode_off_restores_the_plain_pass():
    before = gradviz.autograd.run_backward
    with gradviz.autograd.set_detect_anomaly(True):
        assert gradviz.autograd.run_backward is not before
    assert gradviz.autograd.run_backward is before
