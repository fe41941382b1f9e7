"""gradviz: see backpropagation happen.

A numpy autograd engine that speaks PyTorch (``import gradviz as torch`` runs PyTorch's
autograd tutorial unchanged), and a browser explorer that draws its graphs and steps through
backward one node at a time (``gradviz.explore(loss)``).
"""
from __future__ import annotations

from . import autograd, nn, optim, utils  # noqa: F401
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from . import accelerator, backends, cuda, linalg  # noqa: F401
from . import profiler  # noqa: F401,E402
from .autograd.anomaly_mode import (is_anomaly_check_nan_enabled,  # noqa: F401,E402
                                 is_anomaly_enabled)
from .ops.inplace import masked_fill  # noqa: F401,E402
from .ops.gather import (gather, index_add, index_select, masked_select,  # noqa: F401,E402
                          scatter, scatter_add, take_along_dim)
from .creation import (arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy,  # noqa: F401
                       full, full_like, linspace, logspace, multinomial, normal, ones, ones_like,
                       rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                       zeros, zeros_like)
from .devices import device, get_default_device, set_default_device  # noqa: F401
from .dtypes import (bool_ as bool, double, dtype, float, float16, float32, float64,  # noqa: F401
                     get_default_dtype, half, int8, int16, int32, int64, long,
                     set_default_dtype, uint8)
from .dtypes import int as int  # noqa: F401,PLC0414
from .ops.activation import log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401
from .ops.elementwise import (abs, add, clamp, div, exp, log, maximum, minimum, mul,  # noqa: F401
                              neg, pow, reciprocal, sqrt, sub, where)
from .ops.linalg import addmm, bmm, dot, matmul, mm, mv  # noqa: F401
from .ops.reduction import amax, amin, max, mean, min, sum  # noqa: F401
from .ops.pointwise import (acos, asin, atan, ceil, cos, cosh, erf, exp2, expm1,  # noqa: F401
                            floor, frac, log1p, log2, log10, round, rsqrt, sgn, sign, sin, sinh,
                            square, tan, trunc, clamp_min, clamp_max, lerp, nan_to_num)
from .legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,  # noqa: F401
                     HalfTensor, IntTensor, LongTensor, ShortTensor)
from .typeinfo import finfo, iinfo  # noqa: F401
from .formatting import get_printoptions, set_printoptions  # noqa: F401
from .ops.statistics import (all, any, argmax, argmin, cumprod, cumsum, logsumexp,  # noqa: F401
                             norm, prod, std, std_mean, var, var_mean)
from .ops.selection import argsort, sort, topk  # noqa: F401
from .ops.rearrange import (atleast_1d, atleast_2d, atleast_3d, column_stack, diag,  # noqa: F401
                            diag_embed, diagonal, dstack, flip, fliplr, flipud, ger, hstack,
                            meshgrid, outer, repeat_interleave, roll, row_stack, tile,
                            vstack)
from .ops.comparison import (argwhere, bincount, count_nonzero, eq, ge, greater,  # noqa: F401
                             greater_equal, gt, is_floating_point, isclose, isfinite, isinf,
                             isnan, le, less, less_equal, logical_and, logical_not, logical_or,
                             logical_xor, lt, ne, nonzero, not_equal, unique)
from .ops.shape import (cat, clone, flatten, permute, reshape, squeeze, stack,  # noqa: F401
                        t, transpose, unsqueeze)
from .ops.split import chunk, split, tril, triu  # noqa: F401
from .ops.bitwise import bitwise_and, bitwise_not, bitwise_or, bitwise_xor  # noqa: F401
from .ops.views import movedim, narrow, swapaxes, unbind  # noqa: F401
from .ops.cross_svd import cross, svd  # noqa: F401
from .serialization import load, save  # noqa: F401
from .random import (Generator, get_rng_state, initial_seed, manual_seed, seed,  # noqa: F401
                     set_rng_state)
from .tensor import Size, Tensor, tensor  # noqa: F401
from .autograd.stepper import Stepper  # noqa: F401,E402
from .autograd.scope import current_scope, scope  # noqa: F401,E402
from .graph import replay, to_networkx as _to_networkx  # noqa: F401,E402
from .health import gradient_health  # noqa: F401,E402
from .out_argument import accepts_out as _accepts_out  # noqa: E402
from .ops import bitwise as _bitwise, cross_svd as _cross_svd, views as _views  # noqa: E402
from .ops import tensor_info as _tensor_info  # noqa: E402
from .ops.tensor_info import true_divide  # noqa: E402,F401

_bitwise.install_methods(Tensor)
_views.install_methods(Tensor)
_cross_svd.install_methods(Tensor)
_tensor_info.install_methods(Tensor)


def _inplace_function(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}(x, ...)``: the in-place method ``x.{name}(...)``."
    return fn


# PyTorch's module-level forms of in-place methods (``torch.sin_(x)`` changes x).
for _name in ("sin_", "cos_", "tan_", "exp_", "log_", "sqrt_", "rsqrt_", "abs_", "neg_",
              "tanh_", "sigmoid_", "relu_", "clamp_", "zero_", "fill_", "floor_", "ceil_",
              "round_", "trunc_", "reciprocal_"):
    if hasattr(Tensor, _name):
        globals()[_name] = _inplace_function(_name)
del _name
# ``out=``: the functional forms tutorials call with it; creation functions took it but ignored it.
(matmul, mm, bmm, mul, add, sub, div, cat, stack, sin, cos, exp, log, sqrt, abs, neg,
 bitwise_and, bitwise_or, bitwise_xor, bitwise_not) = (
    _accepts_out(f) for f in (matmul, mm, bmm, mul, add, sub, div, cat, stack, sin, cos, exp, log,
                              sqrt, abs, neg, bitwise_and, bitwise_or, bitwise_xor, bitwise_not))
(zeros, ones, empty, full, eye, arange, linspace, logspace, rand, randn, randint) = (
    _accepts_out(f, creation=True)
    for f in (zeros, ones, empty, full, eye, arange, linspace, logspace, rand, randn, randint))

clip = clamp
concat = concatenate = cat
divide, multiply, subtract, negative = div, mul, sub, neg
arcsin, arccos, arctan = asin, acos, atan
fix = trunc
# (``float`` is gradviz.float32 here, so the numbers come from math.)
from math import e, inf, nan, pi  # noqa: E402,F401

newaxis = None


def to_networkx(roots, names=None, **kwargs):
    """Export the graph behind ``roots`` as a networkx.DiGraph (see ``gradviz.graph``).
    Without ``names``, the caller's variables name the tensors. A ``torch.Tensor`` is exported
    from PyTorch's own graph (``gradviz.torch_graph.to_networkx``, which also takes ``model=``)."""
    from .sources import is_torch_tensor

    first = roots[0] if isinstance(roots, (list, tuple)) and roots else roots
    if is_torch_tensor(first):
        from .torch_graph import to_networkx as _torch_to_networkx

        return _torch_to_networkx(roots, names, _depth=1, **kwargs)
    return _to_networkx(roots, names, _depth=1, **kwargs)


def trace(model):
    """``with gradviz.trace(model): loss = loss_fn(model(x), y)`` records which of a PyTorch
    model's modules was running when each autograd node was made (the ``scope`` of the exported
    graph's function nodes). gradviz's own modules record their scopes by themselves, so for
    them this block does nothing.

    Given a matrix (a gradviz Tensor), it is PyTorch's ``torch.trace``: the sum of the
    diagonal (TraceBackward0)."""
    import contextlib
    import sys as _sys

    if isinstance(model, Tensor):
        from .ops.rearrange import matrix_trace

        return matrix_trace(model)

    torch = _sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        from .torch_graph import trace as _trace

        return _trace(model)
    if isinstance(model, nn.Module):
        return contextlib.nullcontext(model)
    raise TypeError(f"trace expects a torch.nn.Module or a gradviz.nn.Module, got {type(model).__name__}")


def explore(root, names=None, **kwargs):
    """The explorer of ``root``'s graph: a Panel component to display in a notebook, serve
    with ``.servable()``, open with ``.show()`` or write with ``.save("graph.html")``.
    Without ``names``, the caller's variables name the tensors.

    ``root`` is a gradviz tensor or a ``torch.Tensor`` (then the pass shown is PyTorch's own,
    recorded from its engine, and a ``torch.nn.Module`` among the caller's variables names the
    parameters by their paths). Or a function with its inputs by name,
    ``gradviz.explore(fn, x=x, w=w)``: ``fn(x=x, w=w)`` gives the root, and editing an input in
    the explorer calls ``fn`` again (for PyTorch graphs the only way to edit inputs)."""
    from .graph import caller_names
    from .sources import is_torch_tensor
    from .viz.explorer import Explorer

    form = None
    if callable(root) and not isinstance(root, Tensor) and not is_torch_tensor(root):
        from .function_form import FunctionForm
        from .function_form import is_tensor as _is_any_tensor

        inputs = {k: v for k, v in kwargs.items() if _is_any_tensor(v)}
        kwargs = {k: v for k, v in kwargs.items() if k not in inputs}
        form = FunctionForm(root, inputs)
        root = form.root
        kwargs["function"] = form
    if names is None:
        if is_torch_tensor(root):
            from .torch_graph import caller_names as torch_caller_names

            names = torch_caller_names(1)  # tensors and modules (parameters by their paths)
        else:
            names = caller_names(1)
    if form is not None:
        form.names = names  # what names the graph after each edit too
        names = form.all_names()
    from .viz.offline import notebook_extension

    notebook_extension()  # in a notebook, Panel's code must be loaded before a view shows
    return Explorer(root, names=names, **kwargs)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> builtins_bool:
    import numpy as _np

    return builtins_bool(_np.allclose(a._array, b._array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b) -> builtins_bool:
    return a._array.shape == b._array.shape and builtins_bool((a._array == b._array).all())


def __getattr__(name):
    # ``torch.testing.assert_close`` in programs: gradviz.testing (screenshots, assert_close)
    # costs more to import than the core, so it is imported on first use.
    if name == "testing":
        import importlib

        return importlib.import_module(".testing", __name__)
    raise AttributeError(f"module 'gradviz' has no attribute '{name}'")


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool
__version__ = "0.1.0"
