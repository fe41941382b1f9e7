"""Comparisons, logical functions and the questions one asks of values (isclose, isnan,
nonzero, unique, bincount). None of them is differentiable: each returns a constant tensor
(bool, or int64 for positions and counts), as in PyTorch."""
from __future__ import annotations

import numpy as np

from ..dtypes import scalar_type_name
from .base import binary_operands, check_broadcast
from .pointwise import tensor_argument


def _constant(arr):
    from ..tensor import Tensor

    return Tensor._make(np.asarray(arr))


def _compare(name, fn, input, other):
    tensor_argument(input, name)
    _, _, a, b = binary_operands(input, other)
    try:
        return _constant(fn(a, b))
    except ValueError:
        check_broadcast(a, b)
        raise


def eq(input, other):
    return _compare("eq", np.equal, input, other)


def ne(input, other):
    return _compare("ne", np.not_equal, input, other)


def lt(input, other):
    return _compare("lt", np.less, input, other)


def le(input, other):
    return _compare("le", np.less_equal, input, other)


def gt(input, other):
    return _compare("gt", np.greater, input, other)


def ge(input, other):
    return _compare("ge", np.greater_equal, input, other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol·|other|`` (equal infinities are close;
    NaNs only with ``equal_nan``)."""
    tensor_argument(input, "isclose")
    tensor_argument(other, "isclose", 2, "other")
    a, b = input._array, other._array
    if a.dtype != b.dtype:
        raise RuntimeError(f"{scalar_type_name(a.dtype)} did not match {scalar_type_name(b.dtype)}")
    check_broadcast(a, b)
    if a.dtype == np.bool_:
        return _constant(np.equal(a, b))
    with np.errstate(invalid="ignore", over="ignore"):
        return _constant(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _logical(name, fn, input, other=None):
    tensor_argument(input, name)
    a = input._array != 0 if input._array.dtype != np.bool_ else input._array
    if other is None:
        return _constant(fn(a))
    tensor_argument(other, name, 2, "other")
    b = other._array
    b = b != 0 if b.dtype != np.bool_ else b
    check_broadcast(a, b)
    return _constant(fn(a, b))


def logical_and(input, other):
    return _logical("logical_and", np.logical_and, input, other)


def logical_or(input, other):
    return _logical("logical_or", np.logical_or, input, other)


def logical_xor(input, other):
    return _logical("logical_xor", np.logical_xor, input, other)


def logical_not(input):
    return _logical("logical_not", np.logical_not, input)


def isnan(input):
    tensor_argument(input, "isnan")
    return _constant(np.isnan(input._array) if input._array.dtype.kind == "f"
                     else np.zeros(input._array.shape, dtype=bool))


def isinf(input):
    tensor_argument(input, "isinf")
    return _constant(np.isinf(input._array) if input._array.dtype.kind == "f"
                     else np.zeros(input._array.shape, dtype=bool))


def isfinite(input):
    tensor_argument(input, "isfinite")
    return _constant(np.isfinite(input._array) if input._array.dtype.kind == "f"
                     else np.ones(input._array.shape, dtype=bool))


def is_floating_point(input) -> bool:
    tensor_argument(input, "is_floating_point")
    return input._array.dtype.kind == "f"


def count_nonzero(input, dim=None, **numpy_names):
    """How many elements are non-zero (over ``dim``, or in all; ``axis=`` too)."""
    if "axis" in numpy_names:
        dim = numpy_names.pop("axis")
    if numpy_names:
        raise TypeError(f"count_nonzero() got an unexpected keyword argument "
                        f"'{next(iter(numpy_names))}'")
    tensor_argument(input, "count_nonzero")
    axis = tuple(dim) if isinstance(dim, (list, tuple)) else dim
    return _constant(np.asarray(np.count_nonzero(input._array, axis=axis), dtype=np.int64))


def nonzero(input, *, as_tuple=False):
    """The positions of the non-zero elements: an (n, ndim) int64 tensor, or with
    ``as_tuple=True`` one int64 tensor of positions per dim."""
    tensor_argument(input, "nonzero")
    arr = input._array
    positions = np.nonzero(arr if arr.ndim else arr.reshape(1))
    if as_tuple:
        return tuple(_constant(p.astype(np.int64)) for p in positions)
    stacked = np.stack(positions, axis=1) if positions else np.zeros((0, 0))
    if arr.ndim == 0:
        stacked = stacked[:, :0]
    return _constant(stacked.astype(np.int64))


def argwhere(input):
    return nonzero(input)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with where each input element went and how
    often each value occurs."""
    tensor_argument(input, "unique")
    arr = input._array
    if dim is not None:
        values, inverse, counts = np.unique(arr, return_inverse=True, return_counts=True,
                                            axis=dim)
    else:
        values, inverse, counts = np.unique(arr, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(arr.shape)
    result = [_constant(values)]
    if return_inverse:
        result.append(_constant(inverse.astype(np.int64)))
    if return_counts:
        result.append(_constant(counts.astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def bincount(input, weights=None, minlength=0):
    """How often each non-negative integer occurs in a 1-d int tensor (or the sum of its
    ``weights``)."""
    tensor_argument(input, "bincount")
    arr = input._array
    if arr.dtype.kind not in "iub":
        raise NotImplementedError(
            f"\"bincount_cpu\" not implemented for '{scalar_type_name(arr.dtype)}'")
    if arr.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if arr.size and arr.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _constant(np.bincount(arr, minlength=minlength).astype(np.int64))
    w = weights._array
    out = np.bincount(arr, weights=w, minlength=minlength)
    # float32 weights give float32 counts, anything else float64 (as in PyTorch).
    return _constant(out.astype(np.float32 if w.dtype == np.float32 else np.float64))
