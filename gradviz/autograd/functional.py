"""``gradviz.autograd.functional``: Jacobians and vector-Jacobian products of a function.

Built on backward passes (one per output element for ``jacobian``), as PyTorch's reverse-mode
strategy is. Higher-order helpers (``hessian``, ``hvp``, ``vhp``) need second-order gradients,
which gradviz does not have; they raise NotImplementedError.
"""
from __future__ import annotations

import numpy as np

__all__ = ["jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"]


def _tuple(x, what: str, fn: str):
    from ..tensor import Tensor

    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            if is_tuple:
                raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                                f"Tensors but the value at index {i} has type {type(t)}.")
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors "
                            f"but the given {what} has type {type(t)}.")
    return is_tuple, items


def _grad_inputs(inputs):
    # Fresh leaves over the same values: the caller's tensors and graph stay untouched.
    from ..tensor import Tensor

    return tuple(Tensor._make(t._array.copy(), t._array.dtype.kind in "fc") for t in inputs)


def _run(func, inputs, fn_name):
    from .grad_mode import enable_grad

    with enable_grad():
        out = func(*inputs)
    return _tuple(out, "outputs of the user-provided function", fn_name)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for each output and input, a tensor of shape
    ``output.shape + input.shape``, nested in tuples as the outputs and inputs are."""
    from ..tensor import Tensor
    from . import grad

    if create_graph:
        raise NotImplementedError("jacobian(create_graph=True) needs higher-order gradients, which "
                                  "gradviz does not support")
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                         'function has more outputs than inputs, "forward-mode" tends to be more '
                         'performant. Otherwise, prefer to use "reverse-mode".')
    in_tuple, ins = _tuple(inputs, "inputs", "jacobian")
    ins = _grad_inputs(ins)
    out_tuple, outs = _run(func, ins, "jacobian")
    result = []
    for i, o in enumerate(outs):
        per_input = [np.zeros(o._array.shape + t._array.shape, dtype=t._array.dtype) for t in ins]
        if o._requires_grad:
            flat_views = [p.reshape((o._array.size,) + t._array.shape) for p, t in zip(per_input, ins)]
            for k in range(o._array.size):
                seed = np.zeros(o._array.size, dtype=o._array.dtype)
                seed[k] = 1
                gs = grad(o, ins, grad_outputs=Tensor._make(seed.reshape(o._array.shape)),
                          retain_graph=True, allow_unused=True)
                for fv, g in zip(flat_views, gs):
                    if g is not None:
                        fv[k] = g._array
        elif strict:
            raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. "
                               "The outputs must be computed in a differentiable manner from the input "
                               "when running in strict mode.")
        row = tuple(Tensor._make(p) for p in per_input)
        result.append(row if in_tuple else row[0])
    return tuple(result) if out_tuple else result[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), vᵀ·J)``: the output (detached) and the vector-Jacobian product, one
    tensor per input."""
    from ..tensor import Tensor
    from . import grad

    if create_graph:
        raise NotImplementedError("vjp(create_graph=True) needs higher-order gradients, which gradviz "
                                  "does not support")
    in_tuple, ins = _tuple(inputs, "inputs", "vjp")
    ins = _grad_inputs(ins)
    out_tuple, outs = _run(func, ins, "vjp")
    if v is None:
        if len(outs) != 1 or outs[0]._array.size != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a "
                               "single Tensor with a single element.")
        vs = (Tensor._make(np.ones(outs[0]._array.shape, dtype=outs[0]._array.dtype)),)
    else:
        _, vs = _tuple(v, "v", "vjp")
        if len(vs) != len(outs):
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(outs)} but got {len(vs)}.")
        for o, vi in zip(outs, vs):
            if tuple(vi.shape) != tuple(o.shape):
                raise RuntimeError(f"Entry 0 in v has invalid size: should be {o.shape} but got {vi.shape}.")
    diff = [(o, vi) for o, vi in zip(outs, vs) if o._requires_grad]
    if diff:
        gs = grad([o for o, _ in diff], ins, grad_outputs=[vi for _, vi in diff], allow_unused=True)
    else:
        gs = (None,) * len(ins)
    res = tuple(g if g is not None else Tensor._make(np.zeros(t._array.shape, dtype=t._array.dtype))
                for g, t in zip(gs, ins))
    out = tuple(o.detach() for o in outs)
    return (out if out_tuple else out[0]), (res if in_tuple else res[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J·v)``, from the full Jacobian (fine for the small sizes gradviz is for)."""
    from ..tensor import Tensor

    in_tuple, ins = _tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(ins) != 1 or ins[0]._array.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        vs = (Tensor._make(np.ones(ins[0]._array.shape, dtype=ins[0]._array.dtype)),)
    else:
        _, vs = _tuple(v, "v", "jvp")
    jac = jacobian(func, tuple(ins))
    out_tuple, outs = _run(func, _grad_inputs(ins), "jvp")
    rows = jac if out_tuple else (jac,)
    res = []
    for o, row in zip(outs, rows):
        acc = np.zeros(o._array.shape, dtype=o._array.dtype)
        for J, vi in zip(row, vs):
            acc = acc + np.tensordot(J._array, vi._array, axes=vi._array.ndim)
        res.append(Tensor._make(acc.astype(o._array.dtype)))
    out = tuple(o.detach() for o in outs)
    return (out if out_tuple else out[0]), (tuple(res) if out_tuple else res[0])


def _second_order(name):
    def fn(*args, **kwargs):
        raise NotImplementedError(
            f"{name} needs second-order gradients (create_graph=True), which gradviz does not "
            "support: its backward functions compute with numpy arrays, not recorded tensors")

    fn.__name__ = name
    return fn


hessian = _second_order("hessian")
hvp = _second_order("hvp")
vhp = _second_order("vhp")
