"""Helpers shared by the nn, loss and optim parity tests: run one piece of source on PyTorch
and on gradviz with the same numpy inputs, compare values, gradients and grad_fn chains, and
check gradviz's gradients against central finite differences in float64."""
from __future__ import annotations

import warnings

import numpy as np

import gradviz


def chain(fn, depth=0):
    """The grad_fn graph below ``fn`` as nested (name, ((child, input_nr), ...)) tuples."""
    if fn is None:
        return None
    if depth > 40:
        return "..."
    name = type(fn).__name__
    return (name, tuple((chain(f, depth + 1), i) for f, i in fn.next_functions))


def namespace(lib, inputs: dict, grad: tuple):
    ns = {"torch": lib, "F": lib.nn.functional, "nn": lib.nn, "np": np}
    for name, arr in inputs.items():
        arr = np.asarray(arr)
        ns[name] = lib.tensor(arr.copy(), requires_grad=name in grad) if arr.dtype.kind == "f" \
            else lib.tensor(arr.copy())
    return ns


def run(lib, src: str, inputs: dict, grad: tuple, seed: int = 0):
    """Run ``src`` (which sets ``out``), backpropagate a fixed random upstream gradient, and
    return (out, {name: grad}, chain, namespace)."""
    ns = namespace(lib, inputs, grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src, "<case>", "exec"), ns)
    out = ns["out"]
    grads = {}
    if grad and out.requires_grad:
        u = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(
            str(out.dtype).split(".")[-1])
        out.backward(lib.tensor(u))
        for name in grad:
            g = ns[name].grad
            grads[name] = None if g is None else g.numpy().copy()
    return out.detach().numpy().copy(), grads, chain(out.grad_fn), ns


def assert_parity(torch, src, inputs, grad=(), rtol=1e-7, atol=1e-9):
    """Values, dtypes, gradients and grad_fn chains of ``src`` equal PyTorch's."""
    v1, g1, c1, _ = run(gradviz, src, inputs, grad)
    v2, g2, c2, _ = run(torch, src, inputs, grad)
    assert v1.dtype == v2.dtype, (v1.dtype, v2.dtype)
    np.testing.assert_allclose(v1, v2, rtol=rtol, atol=atol, err_msg="values")
    assert c1 == c2, f"grad_fn chains differ:\n{c1}\n{c2}"
    for name in grad:
        if g2[name] is None:
            assert g1[name] is None, name
            continue
        assert g1[name] is not None, f"no gradient for {name}"
        np.testing.assert_allclose(g1[name], g2[name], rtol=rtol, atol=atol, err_msg=f"grad of {name}")


def assert_finite_differences(src, inputs, grad, eps=1e-6, rtol=1e-5, atol=1e-7):
    """gradviz's gradients of ``sum(out * u)`` equal central differences (inputs in float64)."""
    inputs = {k: (np.asarray(v, np.float64) if np.asarray(v).dtype.kind == "f" else np.asarray(v))
              for k, v in inputs.items()}
    _, analytic, _, _ = run(gradviz, src, inputs, grad)
    out0, _, _, _ = run(gradviz, src, inputs, ())
    u = np.random.default_rng(0).standard_normal(out0.shape)

    def value(arrs):
        _, _, _, ns = run(gradviz, src, arrs, ())
        return float(np.sum(ns["out"].detach().numpy() * u))

    for name in grad:
        a = inputs[name]
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus, minus = dict(inputs), dict(inputs)
            plus[name], minus[name] = a.copy(), a.copy()
            plus[name][idx] += eps
            minus[name][idx] -= eps
            numeric[idx] = (value(plus) - value(minus)) / (2 * eps)
        got = analytic[name] if analytic[name] is not None else np.zeros_like(a)
        np.testing.assert_allclose(got, numeric, rtol=rtol, atol=atol, err_msg=f"grad of {name}")


def error_of(lib, src, inputs=None):
    """(type name, message with the library's name normalised) of the error ``src`` raises."""
    ns = namespace(lib, inputs or {}, ())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(src, "<case>", "exec"), ns)
    except Exception as exc:  # noqa: BLE001 - any error is what is compared
        return type(exc).__name__, str(exc).replace("gradviz.", "torch.")
    return None


def warnings_of(lib, src, inputs=None):
    """The texts of the warnings ``src`` emits."""
    ns = namespace(lib, inputs or {}, ())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(src, "<case>", "exec"), ns)
    return [str(w.message).replace("gradviz.", "torch.") for w in caught]
