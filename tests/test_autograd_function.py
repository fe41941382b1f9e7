"""``autograd.Function``: custom ops with a hand-written backward, against PyTorch.

Each program defines Functions and uses them; it runs once with ``torch`` bound to PyTorch and
once to gradviz, and the two must agree on values, gradients, grad_fn chain names, ctx flags and
errors. Gradients of the example Functions are also checked against central differences, and the
explorer's export must show the Function's node with the user's backward as its rule.
"""
from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pytest

import gradviz

torch_mark = pytest.mark.torch

FUNCTIONS = '''
Function = torch.autograd.Function
once_differentiable = torch.autograd.function.once_differentiable


class LegendrePolynomial3(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class MulConstant(Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


class LinearFunction(Function):
    @staticmethod
    def forward(input, weight, bias):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class ExpSaveOutput(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class SplitTwo(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(x)
        return x * 2, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        x, = ctx.saved_tensors
        out = torch.zeros_like(x)
        if g1 is not None:
            out = out + 2 * g1
        if g2 is not None:
            out = out + 2 * x * g2
        return out


class Materialized(Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone(), x.clone()

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 + 3 * g2


class ArgmaxToo(Function):
    @staticmethod
    def forward(ctx, x):
        idx = x.argmax()
        values = x * 1
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        return g


class Double_(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


class Identity(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g


class Flags(Function):
    @staticmethod
    def forward(ctx, a, k, b):
        ctx.flags = ctx.needs_input_grad
        return a * k + b

    @staticmethod
    def backward(ctx, g):
        return g * 2, None, g
'''

PROGRAMS = {
    "legendre": "y = LegendrePolynomial3.apply(a * 0.5); out = (y * y).sum(); out.backward(); r = [y, a.grad]",
    "mul_constant": "y = MulConstant.apply(a, 3.0); y.backward(torch.ones_like(y)); r = [y, a.grad]",
    "linear_setup_context": ("y = LinearFunction.apply(w, w2, b); (y * y).sum().backward(); "
                             "r = [y, w.grad, w2.grad, b.grad]"),
    "linear_no_bias": "y = LinearFunction.apply(w, w2, None); y.sum().backward(); r = [y, w.grad, w2.grad]",
    "linear_input_constant": ("y = LinearFunction.apply(w.detach(), w2, b); y.sum().backward(); "
                              "r = [y, w.grad, w2.grad, b.grad]"),
    "save_output_once_differentiable": "y = ExpSaveOutput.apply(a); (y * 3).sum().backward(); r = [y, a.grad]",
    "two_outputs_both_used": "p, q = SplitTwo.apply(a); (p * 3 + q).sum().backward(); r = [p, q, a.grad]",
    "two_outputs_one_used": "p, q = SplitTwo.apply(a); q.sum().backward(); r = [q, a.grad]",
    "materialized_zeros": "p, q = Materialized.apply(a); p.sum().backward(); r = [p, a.grad]",
    "non_differentiable_output": ("v, i = ArgmaxToo.apply(a); (v * 2).sum().backward(); "
                                  "r = [v, i, i.requires_grad, v.requires_grad, a.grad]"),
    "mark_dirty": ("h = a * 1; z = Double_.apply(h); (z * z).sum().backward(); "
                   "r = [z is h, h._version, z, a.grad]"),
    "identity_returns_new_tensor": "z = Identity.apply(a); (z * 2).sum().backward(); r = [z is a, z, a.grad]",
    "needs_input_grad": ("y = Flags.apply(a, 2.0, a.detach()); y.sum().backward(); "
                         "r = [y.grad_fn.flags, a.grad]"),
    "no_grad_mode": "with torch.no_grad():\n    y = LegendrePolynomial3.apply(a)\nr = [y, y.grad_fn is None, y.requires_grad]",
    "no_input_requires_grad": "y = LegendrePolynomial3.apply(a.detach()); r = [y, y.grad_fn is None]",
    "ctx_attributes_on_grad_fn": "y = MulConstant.apply(a, 3.0); r = [y.grad_fn.constant, y.grad_fn.needs_input_grad]",
    "saved_tensors_on_grad_fn": "y = LegendrePolynomial3.apply(a); r = [y.grad_fn.saved_tensors[0] is a]",
    "chain_with_builtin_ops": ("y = MulConstant.apply(LegendrePolynomial3.apply(a).exp(), 0.5) + a; "
                               "y.sum().backward(); r = [y, a.grad]"),
    "retain_graph_twice": ("y = LegendrePolynomial3.apply(a).sum(); y.backward(retain_graph=True); "
                           "y.backward(); r = [a.grad]"),
    "autograd_grad": "y = LegendrePolynomial3.apply(a).sum(); r = list(torch.autograd.grad(y, a))",
}

ERRORS = {
    "wrong_count": ("class Bad(Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2\n"
                    "    @staticmethod\n    def backward(ctx, g): return g, g\n"
                    "Bad.apply(a).sum().backward()"),
    "wrong_shape": ("class Bad(Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2\n"
                    "    @staticmethod\n    def backward(ctx, g): return g[:2]\n"
                    "Bad.apply(a).sum().backward()"),
    "scalar_grad_for_vector": ("class Bad(Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2\n"
                               "    @staticmethod\n    def backward(ctx, g): return g.sum()\n"
                               "Bad.apply(a).sum().backward()"),
    "grad_for_non_tensor": ("class Bad(Function):\n    @staticmethod\n    def forward(ctx, x, k): return x * k\n"
                            "    @staticmethod\n    def backward(ctx, g): return g, g\n"
                            "Bad.apply(a, 2.0).sum().backward()"),
    "no_backward": ("class NoBack(Function):\n    @staticmethod\n    def forward(ctx, x): return x * 2\n"
                    "NoBack.apply(a).sum().backward()"),
    "dirty_leaf": "Double_.apply(a)",
    "saved_tensors_after_backward": "y = LegendrePolynomial3.apply(a); y.sum().backward(); y.grad_fn.saved_tensors",
    "backward_twice": "y = LegendrePolynomial3.apply(a).sum(); y.backward(); y.backward()",
    "saved_input_modified": "h = a * 1; y = LegendrePolynomial3.apply(h); h.add_(1); y.sum().backward()",
    "saved_output_modified": "y = ExpSaveOutput.apply(a * 1); y.mul_(2); y.sum().backward()",
    "save_non_tensor": ("class Bad(Function):\n    @staticmethod\n    def forward(ctx, x):\n"
                        "        ctx.save_for_backward(x, 3)\n        return x * 2\n"
                        "    @staticmethod\n    def backward(ctx, g): return g\n"
                        "Bad.apply(a)"),
}


def chain(fn, depth=0):
    if fn is None:
        return None
    if depth > 30:
        return "..."
    return (type(fn).__name__, tuple(chain(f, depth + 1) for f, _ in fn.next_functions))


def norm(s: str) -> str:
    return s.replace("torch.", "gradviz.")


def _env(mod):
    rng = np.random.default_rng(0)
    ns = {"torch": mod, "np": np}
    exec(FUNCTIONS, ns)
    ns["a"] = mod.tensor(rng.standard_normal(4), requires_grad=True)
    ns["b"] = mod.tensor(rng.standard_normal(3), requires_grad=True)
    ns["w"] = mod.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    ns["w2"] = mod.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    return ns


def _comparable(v):
    if hasattr(v, "detach"):
        return ("tensor", v.detach().numpy().copy(), norm(str(v.dtype)), chain(v.grad_fn))
    return ("value", v)


@torch_mark
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_function_program_parity(torch, name):
    res = []
    for mod in (torch, gradviz):
        ns = _env(mod)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(PROGRAMS[name], ns)
        res.append([_comparable(v) for v in ns["r"]])
    t, g = res
    assert len(g) == len(t)
    for gv, tv in zip(g, t):
        assert gv[0] == tv[0]
        if tv[0] == "tensor":
            np.testing.assert_allclose(gv[1], tv[1], rtol=1e-12, atol=1e-12)
            assert gv[2:] == tv[2:]
        else:
            assert gv == tv


@torch_mark
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_function_error_parity(torch, name):
    res = []
    for mod in (torch, gradviz):
        ns = _env(mod)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(ERRORS[name], ns)
            res.append(None)
        except Exception as exc:  # noqa: BLE001
            res.append((type(exc).__name__, norm(str(exc)).split(" Hint:")[0]))
    assert res[0] is not None, "the case must raise in torch"
    assert res[1] == res[0]


@torch_mark
def test_node_names_and_next_functions(torch):
    """``<Name>Backward``, its edges only to tensor arguments, as in PyTorch."""
    out = []
    for mod in (torch, gradviz):
        ns = _env(mod)
        y = ns["MulConstant"].apply(ns["a"], 2.0)
        z = ns["LinearFunction"].apply(ns["w"], ns["w2"], ns["b"])
        out.append((y.grad_fn.name(), type(y.grad_fn).__name__, len(y.grad_fn.next_functions),
                    z.grad_fn.name(), len(z.grad_fn.next_functions)))
    assert out[1] == out[0]


# --- finite differences --------------------------------------------------------------------------
def _numerical(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for k in range(x.size):
        p, m = x.copy(), x.copy()
        p.reshape(-1)[k] += eps
        m.reshape(-1)[k] -= eps
        g.reshape(-1)[k] = (f(p) - f(m)) / (2 * eps)
    return g


@pytest.mark.parametrize("prog", [
    "LegendrePolynomial3.apply(x).sum()",
    "(MulConstant.apply(x, -1.5) ** 2).sum()",
    "(LinearFunction.apply(x.reshape(2, 2), x.reshape(2, 2) * 0.5, x[:2]) ** 2).sum()",
    "ExpSaveOutput.apply(x).sum()",
    "(SplitTwo.apply(x)[0] * SplitTwo.apply(x)[1]).sum()",
    "Double_.apply(x * 1).pow(3).sum()",
])
def test_function_gradients_match_finite_differences(prog):
    ns = _env(gradviz)
    x0 = np.random.default_rng(3).standard_normal(4)

    def f(arr):
        ns["x"] = gradviz.tensor(arr)
        return eval(prog, ns).item()  # noqa: S307

    ns["x"] = x = gradviz.tensor(x0.copy(), requires_grad=True)
    eval(prog, ns).backward()  # noqa: S307
    np.testing.assert_allclose(x.grad.numpy(), _numerical(f, x0.copy()), rtol=1e-6, atol=1e-7)


# --- the explorer ----------------------------------------------------------------------------------
class Cube(gradviz.autograd.Function):
    """A Function defined in this file, so its source can be read."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        # comments are left out of the rule
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x ** 2


def test_export_shows_the_users_backward_as_the_rule():
    a = gradviz.tensor([1.0, -2.0, 0.5, 3.0], requires_grad=True)
    y = Cube.apply(a)
    loss = y.sum()
    G = gradviz.to_networkx(loss, names={"a": a, "y": y, "loss": loss})
    (fid,) = [n for n, d in G.nodes(data=True) if d.get("label") == "CubeBackward"]
    # No docstring: the rule is the backward's own code.
    assert G.nodes[fid]["rule"] == ("Cube.backward: (x,) = ctx.saved_tensors; "
                                    "return grad_output * 3 * x ** 2")
    assert [G.nodes[p]["name"] for p in G.predecessors(fid)] == ["a"]
    assert G.nodes[fid]["saved"] == [{"name": "saved_tensors[0]", "shape": (4,), "freed": False}]


def test_rule_prefers_the_backward_docstring():
    class Square(gradviz.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            """d(x²)/dx = 2x: the gradient times 2x.

            More words that the explorer does not show."""
            (x,) = ctx.saved_tensors
            return g * 2 * x

    y = Square.apply(gradviz.tensor([1.0, 2.0], requires_grad=True))
    assert y.grad_fn.rule == "Square.backward: d(x²)/dx = 2x: the gradient times 2x."


def test_replay_reruns_a_custom_function():
    from gradviz.graph import replay

    ns = _env(gradviz)
    a = ns["a"]
    loss = ns["MulConstant"].apply(a * 2, 3.0).sum()
    new = replay(loss, {a: np.ones(4)})
    assert new.root.item() == pytest.approx(24.0)
    assert new.root.grad_fn.next_functions[0][0].next_functions[0][0].name() == "MulBackward0"


def test_stepper_steps_through_a_custom_function():
    ns = _env(gradviz)
    a = ns["a"]
    loss = ns["LegendrePolynomial3"].apply(a).sum()
    stepper = gradviz.Stepper(loss)
    names = []
    while not stepper.done:
        event = stepper.step()
        if type(event).__name__ == "CallEvent":
            names.append(event.node.name())
    assert names == ["SumBackward0", "LegendrePolynomial3Backward"]
    x = a.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), 1.5 * (5 * x ** 2 - 1))


def test_source_of_examples_is_plain_text():
    # The rule of a Function defined in a string (no source file) still says what it is.
    ns = {"gradviz": gradviz}
    exec(textwrap.dedent("""
        class Neg(gradviz.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return -x

            @staticmethod
            def backward(ctx, g):
                return -g
    """), ns)
    y = ns["Neg"].apply(gradviz.ones(2, requires_grad=True))
    assert y.grad_fn.rule.startswith("Neg.backward")
