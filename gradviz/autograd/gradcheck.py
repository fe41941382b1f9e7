"""``gradcheck``: compare the gradients gradviz computes with finite differences.

As PyTorch's: the numerical Jacobian comes from central differences (``eps``), the analytical
one from backward passes with one-hot output gradients, and they must agree within
``atol + rtol * |numerical|``. Both Jacobians have one row per input element and one column per
output element, as PyTorch prints them.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytical and numerical gradients differ."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _outputs(func, inputs):
    from ..tensor import Tensor

    out = func(*inputs)
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor))


def numerical_jacobian(func, inputs, eps: float = 1e-6) -> list:
    """``J[out][inp]``: arrays of shape (inp.numel(), out.numel()) from central differences."""
    from ..tensor import Tensor
    from .grad_mode import no_grad

    with no_grad():
        outs = _outputs(func, inputs)
        jac = [[None] * len(inputs) for _ in outs]
        for j, t in enumerate(inputs):
            if not (isinstance(t, Tensor) and t._requires_grad):
                continue
            flat = t._array.reshape(-1)
            if not np.shares_memory(flat, t._array):
                raise RuntimeError("gradcheck needs contiguous inputs")
            cols = [np.zeros((flat.size, o._array.size), dtype=np.result_type(o._array.dtype, t._array.dtype))
                    for o in outs]
            for k in range(flat.size):
                orig = flat[k].copy()
                flat[k] = orig + eps
                plus = [o._array.astype(np.float64).ravel().copy() for o in _outputs(func, inputs)]
                flat[k] = orig - eps
                minus = [o._array.astype(np.float64).ravel().copy() for o in _outputs(func, inputs)]
                flat[k] = orig
                for i, (p, m) in enumerate(zip(plus, minus)):
                    cols[i][k] = (p - m) / (2 * eps)
            for i in range(len(outs)):
                jac[i][j] = cols[i]
    return jac


def analytical_jacobian(func, inputs) -> list:
    """``J[out][inp]`` from backward passes, one per output element."""
    from ..tensor import Tensor
    from . import grad as autograd_grad

    outs = _outputs(func, inputs)
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]
    jac = [[None] * len(inputs) for _ in outs]
    for i, o in enumerate(outs):
        for j, t in enumerate(inputs):
            if isinstance(t, Tensor) and t._requires_grad:
                jac[i][j] = np.zeros((t._array.size, o._array.size),
                                     dtype=np.result_type(o._array.dtype, t._array.dtype))
        if not o._requires_grad:
            continue
        for k in range(o._array.size):
            seed = np.zeros(o._array.size, dtype=o._array.dtype)
            seed[k] = 1
            grads = autograd_grad(o, diff_inputs, grad_outputs=Tensor._make(seed.reshape(o._array.shape)),
                                  retain_graph=True, allow_unused=True)
            it = iter(grads)
            for j, t in enumerate(inputs):
                if isinstance(t, Tensor) and t._requires_grad:
                    g = next(it)
                    if g is not None:
                        jac[i][j][:, k] = g._array.reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked=None) -> bool:
    """True when the gradients of ``func`` at ``inputs`` match finite differences; otherwise
    raises ``GradcheckError`` (or returns False with ``raise_exception=False``). Use float64
    inputs: in float32 the finite differences are too coarse."""
    from ..tensor import Tensor

    inputs = _as_tuple(inputs)
    if not any(isinstance(t, Tensor) and t._requires_grad for t in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none "
                         "of them have requires_grad=True.")
    for idx, t in enumerate(inputs):
        if isinstance(t, Tensor) and t._requires_grad and t._array.dtype != np.float64:
            warnings.warn(
                f"Input #{idx} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double precision "
                "floating point or complex. ", UserWarning, stacklevel=2)
    numerical = numerical_jacobian(func, inputs, eps)
    analytical = analytical_jacobian(func, inputs)
    for i, (nrow, arow) in enumerate(zip(numerical, analytical)):
        for j, (n, a) in enumerate(zip(nrow, arow)):
            if n is None or a is None:
                continue
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                dtype = inputs[j]._array.dtype
                num = Tensor._make(n.astype(dtype))
                ana = Tensor._make(a.astype(dtype))
                raise GradcheckError(
                    f"Jacobian mismatch for output {i} with respect to input {j},\n"
                    f"numerical:{num!r}\nanalytical:{ana!r}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, **kwargs) -> bool:
    raise NotImplementedError(
        "gradgradcheck needs second-order gradients (create_graph=True), which gradviz does not "
        "support: its backward functions compute with numpy arrays, not recorded tensors")
