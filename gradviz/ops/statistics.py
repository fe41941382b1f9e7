"""Reductions beyond sum, mean and max: vector norms, variance and standard deviation,
products, logsumexp, cumulative sums, the positions of extrema (argmax/argmin) and the logical
reductions all/any.

Like PyTorch, every reduction here also accepts numpy's spellings ``axis=`` and ``keepdims=``
for ``dim=`` and ``keepdim=`` (see ``numpy_names``).
"""
from __future__ import annotations

import builtins
import functools
import math
import warnings

import numpy as np

from ..autograd.node import Node
from ..dtypes import scalar_type_name, to_numpy_dtype
from .base import OUTPUT, normalize_dim, normalize_dims, record
from .elementwise import _float
from .pointwise import tensor_argument


def numpy_names(fn):
    """Let ``fn`` take numpy's ``axis``/``keepdims`` for ``dim``/``keepdim``, as PyTorch's
    argument parser does for every function with those parameters."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    return op


def _reduced_dims(dim, ndim: int) -> tuple:
    """Dims to reduce, normalised, with PyTorch's error for a dim named twice; ``None`` (and an
    empty list) means all of them."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    dims = normalize_dims(dim, ndim)
    for i in range(1, len(dims)):
        if dims[i] == dims[i - 1]:
            raise RuntimeError(f"dim {dims[i]} appears multiple times in the list of dims")
    # A 0-d tensor reduced over dim 0 (or -1) is its one element: numpy's axis=() reduces
    # nothing, which is exactly that.
    return dims if ndim else ()


def _unsqueeze(arr: np.ndarray, dims: tuple, keepdim: bool) -> np.ndarray:
    """A reduced result (or its gradient) with the reduced dims back as size 1, so it
    broadcasts against the input."""
    if keepdim or not dims:
        return arr
    return np.expand_dims(arr, dims)


def _count(shape: tuple, dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


# --- vector norm -------------------------------------------------------------------------------
class LinalgVectorNormBackward0(Node):
    __slots__ = ()
    rule = "d‖a‖ₚ/da = sign(a)·|a|^(p-1) / ‖a‖ₚ^(p-1)   (for p = 2: a/‖a‖)"

    def backward(self, g):
        a, norm = self.saved("self"), self.saved("result")
        p, dims, keepdim = self.saved("ord"), self.saved("dim"), self.saved("keepdim")
        g = _unsqueeze(g, dims, keepdim)
        norm = _unsqueeze(norm, dims, keepdim)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 0:
                return (np.zeros(a.shape, dtype=g.dtype),)
            if p == 1:
                return (np.sign(a) * g,)
            if p == 2:
                return (g * np.where(norm == 0, 0, a / norm),)
            if math.isinf(p):
                # The gradient is shared among the elements whose |a| is the extremum.
                mask = np.abs(a) == norm
                count = mask.sum(axis=dims, keepdims=True)
                return (np.sign(a) * ((g / count) * mask),)
            scaled = g / norm ** (p - 1)
            if p < 1:
                return (np.where(norm == 0, 0, np.sign(a) * np.abs(a) ** (p - 1) * scaled),)
            scaled = np.where(norm == 0, 0, scaled)
            if p < 2:
                return (np.sign(a) * np.abs(a) ** (p - 1) * scaled,)
            return (a * np.abs(a) ** (p - 2) * scaled,)


def _vector_norm(arr: np.ndarray, p, dims: tuple, keepdim: bool) -> np.ndarray:
    x = np.abs(arr)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 2:
            out = np.sqrt(np.sum(x * x, axis=dims, keepdims=keepdim))
        elif p == 1:
            out = np.sum(x, axis=dims, keepdims=keepdim)
        elif p == 0:
            out = np.sum(x != 0, axis=dims, keepdims=keepdim)
        elif p == math.inf:
            out = np.max(x, axis=dims, keepdims=keepdim)
        elif p == -math.inf:
            out = np.min(x, axis=dims, keepdims=keepdim)
        else:
            out = np.sum(x ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)
    return np.asarray(out).astype(arr.dtype, copy=False)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of ``input`` (over ``dim``, or all of it), as ``torch.norm`` computes it
    for p = 'fro', 2, 1, inf, -inf, 0 and any other number (recorded as
    LinalgVectorNormBackward0). Unlike the reductions, and like PyTorch's (a Python function
    there), it takes no ``axis``/``keepdims``."""
    tensor_argument(input, "norm")
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        p = 2
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


@numpy_names
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.vector_norm``."""
    tensor_argument(x, "linalg_vector_norm")
    arr = x._array
    if arr.dtype.kind not in "fc":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {scalar_type_name(arr.dtype)}")
    if dtype is not None:
        target = to_numpy_dtype(dtype)
        if np.promote_types(arr.dtype, target) != target:
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({scalar_type_name(arr.dtype)}) "
                f"should be convertible without narrowing to the specified dtype "
                f"({scalar_type_name(target)})")
        arr = arr.astype(target)
    p = builtins.float(ord)
    dims = _reduced_dims(dim, arr.ndim)
    if arr.size == 0 and (p < 0 or math.isinf(p)):
        shown = str(p) if math.isinf(p) else f"{p:g}"
        if dim is None:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {shown} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if arr.shape[d] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {shown} norm on the dimension {d}"
                    "because this dimension is empty and the operation does not have an identity")
    out = _vector_norm(arr, p, dims, keepdim)
    return record(LinalgVectorNormBackward0, out, (x,), self=x, result=OUTPUT,
                  ord=p, dim=dims, keepdim=keepdim)


# --- variance and standard deviation -----------------------------------------------------------
class VarBackward0(Node):
    __slots__ = ()
    rule = "d var(a)/da = 2(a - mean a)/(N - correction)"

    def backward(self, g):
        a, dims, keepdim = self.saved("self"), self.saved("dim"), self.saved("keepdim")
        dof = self.saved("dof")
        g = _unsqueeze(g, dims, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.divide(2.0, dof) * g * (a - a.mean(axis=dims, keepdims=True)),)


class StdBackward0(Node):
    __slots__ = ()
    rule = "d std(a)/da = (a - mean a)/((N - correction)·std a)"

    def backward(self, g):
        a, dims, keepdim = self.saved("self"), self.saved("dim"), self.saved("keepdim")
        dof, std = self.saved("dof"), self.saved("result")
        g = _unsqueeze(g, dims, keepdim)
        std = _unsqueeze(std, dims, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(std == 0, 0, g / (2 * std))
            return (np.divide(2.0, dof) * g * (a - a.mean(axis=dims, keepdims=True)),)


def _var_arguments(name, dim, unbiased, keepdim, correction):
    """PyTorch's three signatures in one: (dim, unbiased, keepdim), (unbiased) and
    (dim, *, correction, keepdim). Returns (dim, correction, keepdim)."""
    if isinstance(dim, bool):
        # var(False): the only positional argument is ``unbiased``.
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        "(correction=..., unbiased=...), but expected one of: (tuple of ints "
                        "dim, bool unbiased = True, bool keepdim = False), (tuple of ints dim = "
                        "None, *, Number correction = None, bool keepdim = False), (bool "
                        "unbiased = True)")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction, keepdim


def _variance(name, input, dim, correction, keepdim):
    tensor_argument(input, name)
    arr = input._array
    if arr.dtype.kind not in "fc":
        what = "std and var" if name in ("std", "var") else name
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    dims = _reduced_dims(dim, arr.ndim)
    n = _count(arr.shape, dims)
    dof = builtins.max(n - correction, 0)
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    centred = arr - arr.mean(axis=dims, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.sum(centred * centred, axis=dims, keepdims=keepdim) / dof
    return np.asarray(var).astype(arr.dtype, copy=False), dims, dof


@numpy_names
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The variance over ``dim`` (all dims by default) with Bessel's correction unless
    ``unbiased=False`` or ``correction=`` says otherwise."""
    dim, correction, keepdim = _var_arguments("var", dim, unbiased, keepdim, correction)
    out, dims, dof = _variance("var", input, dim, correction, keepdim)
    return record(VarBackward0, out, (input,), self=input, dim=dims, keepdim=keepdim,
                  correction=correction, dof=dof)


@numpy_names
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The standard deviation: the square root of ``var`` with the same arguments."""
    dim, correction, keepdim = _var_arguments("std", dim, unbiased, keepdim, correction)
    v, dims, dof = _variance("std", input, dim, correction, keepdim)
    return record(StdBackward0, np.sqrt(v), (input,), self=input, result=OUTPUT, dim=dims,
                  keepdim=keepdim, correction=correction, dof=dof)


# --- product -----------------------------------------------------------------------------------
def _exclusive_product(a: np.ndarray, axis: int) -> np.ndarray:
    """For each element, the product of the others along ``axis``: exact with zeros, where
    ``result / a`` would divide by zero."""
    n = a.shape[axis]
    ones = np.ones_like(np.take(a, [0], axis=axis)) if n else a
    before = np.cumprod(np.concatenate([ones, np.take(a, range(n - 1), axis=axis)], axis=axis),
                        axis=axis)
    flipped = np.flip(a, axis=axis)
    after = np.flip(np.cumprod(np.concatenate(
        [ones, np.take(flipped, range(n - 1), axis=axis)], axis=axis), axis=axis), axis=axis)
    return before * after


class ProdBackward0(Node):
    __slots__ = ()
    rule = "d(Πa)/daᵢ = the product of all the other elements"

    def backward(self, g):
        # Computed in the gradient's dtype, as PyTorch does when prod(dtype=...) widened it.
        a, r = self.saved("self").astype(g.dtype, copy=False), self.saved("result")
        if a.size == 0:
            return (np.zeros(a.shape, dtype=g.dtype),)
        if np.all(a != 0):
            return (g * (r / a),)
        return (g * _exclusive_product(a.reshape(-1), 0).reshape(a.shape),)


class ProdBackward1(Node):
    __slots__ = ()
    rule = "d(Π along dim)/daᵢ = the product of the other elements along dim"

    def backward(self, g):
        a, r = self.saved("self").astype(g.dtype, copy=False), self.saved("result")
        dim, keepdim = self.saved("dim"), self.saved("keepdim")
        if a.ndim == 0:
            return (g,)
        g = _unsqueeze(g, (dim,), keepdim)
        if np.all(a != 0):
            return (g * (_unsqueeze(r, (dim,), keepdim) / a),)
        return (g * _exclusive_product(a, dim),)


def _reduction_dtype(arr: np.ndarray, dtype) -> np.ndarray:
    """Integer and bool inputs of sum-like reductions accumulate in int64, as in PyTorch."""
    if dtype is not None:
        return arr.astype(to_numpy_dtype(dtype), copy=False)
    if arr.dtype.kind in "biu":
        return arr.astype(np.int64)
    return arr


@numpy_names
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """The product of all elements, or along one ``dim``."""
    tensor_argument(input, "prod")
    arr = _reduction_dtype(input._array, dtype)
    if dim is None:
        return record(ProdBackward0, np.asarray(np.prod(arr)), (input,), self=input,
                      result=OUTPUT)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"prod() received an invalid combination of arguments - got "
                        f"({type(dim).__name__}), but expected one of:\n"
                        " * (*, gradviz.dtype dtype = None)\n"
                        " * (int dim, bool keepdim = False, *, gradviz.dtype dtype = None)")
    d = normalize_dim(dim, arr.ndim)
    if arr.ndim == 0:
        out = arr.copy()
    else:
        out = np.asarray(np.prod(arr, axis=d, keepdims=keepdim))
    return record(ProdBackward1, out, (input,), self=input, result=OUTPUT, dim=d,
                  keepdim=keepdim)


# --- logsumexp ---------------------------------------------------------------------------------
class LogsumexpBackward0(Node):
    __slots__ = ()
    rule = "d logΣeᵃ/da = eᵃ / Σeᵃ = softmax(a)"

    def backward(self, g):
        a, r = self.saved("self"), self.saved("result")
        dims, keepdim = self.saved("dim"), self.saved("keepdim")
        g = _unsqueeze(g, dims, keepdim)
        r = _unsqueeze(r, dims, keepdim)
        with np.errstate(invalid="ignore", over="ignore"):
            return (g * np.exp(a - r),)


_REQUIRED = object()


def _missing_dim(name):
    return TypeError(f'{name}() missing 1 required positional arguments: "dim"')


@numpy_names
def logsumexp(input, dim=_REQUIRED, keepdim=False):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow (the maximum is taken
    out first, as PyTorch does)."""
    tensor_argument(input, "logsumexp")
    if dim is _REQUIRED:
        raise _missing_dim("logsumexp")
    arr = _float(input._array)
    dims = _reduced_dims(dim, arr.ndim)
    if arr.size == 0:
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(arr), axis=dims, keepdims=keepdim))
        return record(LogsumexpBackward0, np.asarray(out), (input,), self=input,
                      result=OUTPUT, dim=dims, keepdim=keepdim)
    m = np.max(arr, axis=dims, keepdims=True)
    # An infinite maximum is not subtracted (inf - inf would give NaN).
    m = np.where(np.isinf(m), 0, m)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        out = np.log(np.sum(np.exp(arr - m), axis=dims, keepdims=True)) + m
    if not keepdim:
        out = np.squeeze(out, axis=dims) if dims else out
    return record(LogsumexpBackward0, np.asarray(out, dtype=arr.dtype), (input,), self=input,
                  result=OUTPUT, dim=dims, keepdim=keepdim)


# --- cumulative sum ----------------------------------------------------------------------------
class CumsumBackward0(Node):
    __slots__ = ()
    rule = "d(cumsum a)ₖ/daᵢ = 1 for k ≥ i: the gradient is summed from the end backwards"

    def backward(self, g):
        dim = self.saved("dim")
        # Summed in the input's dtype (PyTorch converts the gradient first when
        # cumsum(dtype=...) changed it).
        g = g.astype(self._input_meta[0][1], copy=False)
        if g.ndim == 0:
            return (g,)
        return (np.flip(np.cumsum(np.flip(g, dim), axis=dim), dim),)


@numpy_names
def cumsum(input, dim=_REQUIRED, *, dtype=None):
    """Running sums along ``dim``."""
    tensor_argument(input, "cumsum")
    if dim is _REQUIRED:
        raise _missing_dim("cumsum")
    arr = _reduction_dtype(input._array, dtype)
    d = normalize_dim(dim, arr.ndim)
    out = arr.copy() if arr.ndim == 0 else np.cumsum(arr, axis=d)
    return record(CumsumBackward0, out, (input,), dim=d)


# --- cumulative product ------------------------------------------------------------------------
class CumprodBackward0(Node):
    __slots__ = ()
    rule = "d(cumprod a)ₖ/daᵢ = Π of a₀..aₖ without aᵢ, for k ≥ i"

    def backward(self, g):
        a, dim = self.saved("self").astype(g.dtype, copy=False), self.saved("dim")
        if a.ndim == 0:
            return (g,)
        # grad_i = Π(a before i) · (g_i + Σ_{k>i} g_k · Π(a_{i+1..k})): exact with zeros.
        x, gg = np.moveaxis(a, dim, -1), np.moveaxis(g, dim, -1)
        n = x.shape[-1]
        out = np.empty_like(gg)
        before = np.cumprod(np.concatenate([np.ones_like(x[..., :1]), x[..., :-1]], axis=-1),
                            axis=-1)
        for i in range(n):
            after = np.cumprod(x[..., i + 1:], axis=-1)
            out[..., i] = before[..., i] * (gg[..., i] + np.sum(gg[..., i + 1:] * after, axis=-1))
        return (np.moveaxis(out, -1, dim),)


@numpy_names
def cumprod(input, dim=_REQUIRED, *, dtype=None):
    """Running products along ``dim``."""
    tensor_argument(input, "cumprod")
    if dim is _REQUIRED:
        raise _missing_dim("cumprod")
    arr = _reduction_dtype(input._array, dtype)
    d = normalize_dim(dim, arr.ndim)
    out = arr.copy() if arr.ndim == 0 else np.cumprod(arr, axis=d)
    return record(CumprodBackward0, out, (input,), self=input, dim=d)


# --- std_mean / var_mean -------------------------------------------------------------------------
def _mean_backward(node, g):
    shape, dims, keepdim = node.saved("self_sizes"), node.saved("dim"), node.saved("keepdim")
    g = _unsqueeze(g, dims, keepdim)
    return (np.broadcast_to(g / builtins.max(_count(shape, dims), 1), shape),)


class StdMeanBackward0(StdBackward0):
    """std_mean: PyTorch records one node with two outputs; gradviz records one node per
    output, both named StdMeanBackward0 (``output`` says which)."""

    __slots__ = ()
    rule = "std: (a - mean a)/((N - correction)·std a); mean: 1/N along the reduced dims"

    def backward(self, g):
        if self.saved("output") == "mean":
            return _mean_backward(self, g)
        return StdBackward0.backward(self, g)


class VarMeanBackward0(VarBackward0):
    """var_mean, one node per output (see StdMeanBackward0)."""

    __slots__ = ()
    rule = "var: 2(a - mean a)/(N - correction); mean: 1/N along the reduced dims"

    def backward(self, g):
        if self.saved("output") == "mean":
            return _mean_backward(self, g)
        return VarBackward0.backward(self, g)


def _with_mean(name, cls, input, dim, unbiased, keepdim, correction):
    dim, correction, keepdim = _var_arguments(name, dim, unbiased, keepdim, correction)
    v, dims, dof = _variance(name, input, dim, correction, keepdim)
    spread = np.sqrt(v) if cls is StdMeanBackward0 else v
    first = record(cls, spread, (input,), output="spread", self=input, result=OUTPUT, dim=dims,
                   keepdim=keepdim, correction=correction, dof=dof)
    arr = input._array
    mean = np.asarray(arr.mean(axis=dims, keepdims=keepdim)).astype(arr.dtype)
    second = record(cls, mean, (input,), output="mean", self_sizes=arr.shape, dim=dims,
                    keepdim=keepdim)
    return first, second


@numpy_names
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim`` in one call."""
    return _with_mean("std_mean", StdMeanBackward0, input, dim, unbiased, keepdim, correction)


@numpy_names
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` in one call."""
    return _with_mean("var_mean", VarMeanBackward0, input, dim, unbiased, keepdim, correction)


# --- argmax / argmin ---------------------------------------------------------------------------
def _arg_extremum(name, fn, input, dim, keepdim):
    from ..tensor import Tensor

    tensor_argument(input, name)
    arr = input._array
    if arr.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is not None and (not isinstance(dim, (int, np.integer)) or isinstance(dim, bool)):
        raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, not "
                        f"{type(dim).__name__}")
    if dim is None:
        if arr.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        out = np.asarray(fn(arr), dtype=np.int64)
        return Tensor._make(out.reshape((1,) * arr.ndim) if keepdim else out)
    d = normalize_dim(dim, arr.ndim)
    if arr.ndim == 0:
        return Tensor._make(np.zeros((), dtype=np.int64))
    if arr.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    # numpy's argmax/argmin return the first NaN, which PyTorch also treats as the extremum.
    return Tensor._make(np.asarray(fn(arr, axis=d, keepdims=keepdim), dtype=np.int64))


@numpy_names
def argmax(input, dim=None, keepdim=False):
    """The index of the largest element (of the flattened tensor, or along ``dim``)."""
    return _arg_extremum("argmax", np.argmax, input, dim, keepdim)


@numpy_names
def argmin(input, dim=None, keepdim=False):
    """The index of the smallest element (of the flattened tensor, or along ``dim``)."""
    return _arg_extremum("argmin", np.argmin, input, dim, keepdim)


# --- all / any ---------------------------------------------------------------------------------
def _logical(name, fn, input, dim, keepdim):
    from ..tensor import Tensor

    tensor_argument(input, name)
    arr = input._array
    dims = _reduced_dims(dim, arr.ndim) if not (isinstance(dim, tuple) and dim == ()) else ()
    out = np.asarray(fn(arr != 0, axis=dims, keepdims=keepdim))
    # A uint8 input gives uint8 (PyTorch keeps this for backward compatibility).
    return Tensor._make(out.astype(np.uint8) if arr.dtype == np.uint8 else out)


@numpy_names
def all(input, dim=None, keepdim=False):
    """Whether every element is non-zero (a bool tensor), over ``dim`` or the whole tensor."""
    return _logical("all", np.all, input, dim, keepdim)


@numpy_names
def any(input, dim=None, keepdim=False):
    """Whether some element is non-zero (a bool tensor), over ``dim`` or the whole tensor."""
    return _logical("any", np.any, input, dim, keepdim)
