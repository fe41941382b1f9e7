"""PyTorch's ``out=`` keyword (``torch.matmul(a, b, out=c)``, ``torch.rand(2, 2, out=c)``):
the result is written into ``out``, which is returned.

As in PyTorch, ``out=`` is refused when the result would need a gradient; ``out`` takes the
result's shape (with PyTorch's warning when a non-empty ``out`` has to be resized) and keeps its
dtype, which must be one the result can be cast to.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np


# PyTorch's scalar type names, as its cast errors spell them.
_SCALAR_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}


def _torch_type_name(dtype: np.dtype) -> str:
    return _SCALAR_TYPE.get(dtype.name, dtype.name)


def write_out(name: str, result, out):
    """``result`` written into ``out``; ``out`` returned."""
    from .autograd.grad_mode import is_grad_enabled, no_grad
    from .tensor import Tensor

    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if is_grad_enabled() and (result._requires_grad or out._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    src, dst = result._array, out._array
    if not np.can_cast(src.dtype, dst.dtype, casting="same_kind"):
        raise RuntimeError(f"result type {_torch_type_name(src.dtype)} can't be cast to the "
                           f"desired output type {_torch_type_name(dst.dtype)}")
    if src.shape != dst.shape:
        if dst.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"[{', '.join(map(str, dst.shape))}], which does not match the required output "
                f"shape [{', '.join(map(str, src.shape))}]. This behavior is deprecated, and in a "
                "future PyTorch release outputs will not be resized unless they have zero "
                "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to "
                "zero elements with t.resize_(0).", UserWarning, stacklevel=3)
        out._array = np.empty(src.shape, dtype=dst.dtype)
    with no_grad():
        out.copy_(result)
    return out


def accepts_out(fn, name: str | None = None, creation: bool = False):
    """``fn`` that also takes ``out=``. A ``creation`` function (``zeros``, ``rand``, ...) makes
    its values in ``out``'s dtype unless given ``dtype=``, as PyTorch's do."""
    op_name = name or fn.__name__

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if creation and kwargs.get("dtype") is None and hasattr(out, "dtype"):
            kwargs["dtype"] = out.dtype
        return write_out(op_name, fn(*args, **kwargs), out)

    return with_out
