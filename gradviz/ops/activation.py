"""Activations and normalised exponentials: relu, sigmoid, tanh, gelu, softmax, log_softmax."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.node import Node
from .base import OUTPUT, normalize_dim, record
from .elementwise import _float


class ReluBackward0(Node):
    __slots__ = ()
    rule = "d relu(a)/da = 1 where the output is > 0, else 0"

    def backward(self, g):
        result = self.saved("result")
        bits = _SAME_SIZE_INT.get(g.dtype) if g.size >= 256 else None
        if bits is None or result.shape != g.shape:
            return (np.where(result > 0, g, np.zeros((), dtype=g.dtype)),)
        # The same select without branches: np.where mispredicts on a random mask (~80 us for
        # 64x256, ~10 us this way). g's bits AND all-ones where the output is > 0, else all
        # zeros (+0.0), so NaN and inf pass or vanish exactly as with the select.
        mask = np.greater(result, 0).astype(bits)
        np.negative(mask, out=mask)
        np.bitwise_and(g.view(bits), mask, out=mask)
        return (mask.view(g.dtype),)


_SAME_SIZE_INT = {np.dtype(np.float16): np.dtype(np.int16), np.dtype(np.float32): np.dtype(np.int32),
                  np.dtype(np.float64): np.dtype(np.int64)}


class SigmoidBackward0(Node):
    __slots__ = ()
    rule = "d σ(a)/da = σ(a)·(1 − σ(a))"

    def backward(self, g):
        s = self.saved("result")
        return (g * s * (1 - s),)


class TanhBackward0(Node):
    __slots__ = ()
    rule = "d tanh(a)/da = 1 − tanh²(a)"

    def backward(self, g):
        t = self.saved("result")
        return (g * (1 - t * t),)


class SoftmaxBackward0(Node):
    __slots__ = ()
    rule = "d softmax: s·(g − Σ g·s) along dim"

    def backward(self, g):
        s, d = self.saved("result"), self.saved("dim")
        return (s * (g - (g * s).sum(axis=d, keepdims=True)),)


class LogSoftmaxBackward0(Node):
    __slots__ = ()
    rule = "d log_softmax: g − softmax·Σ g along dim"

    def backward(self, g):
        out, d = self.saved("result"), self.saved("dim")
        return (g - np.exp(out) * g.sum(axis=d, keepdims=True),)


def relu(a):
    arr = a._array
    return record(ReluBackward0, np.maximum(arr, np.zeros((), dtype=arr.dtype)), (a,),
                  result=OUTPUT)


def sigmoid(a):
    x = _float(a._array)
    # Stable in both directions: exp of a non-positive number never overflows.
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    return record(SigmoidBackward0, out, (a,), result=OUTPUT)


def tanh(a):
    return record(TanhBackward0, np.tanh(_float(a._array)), (a,), result=OUTPUT)


def _softmax_dim(dim, ndim, name):
    if dim is None:
        # PyTorch's legacy implicit choice, with its warning.
        import warnings

        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    return normalize_dim(dim, ndim)


def softmax(a, dim=None, dtype=None):
    x = _float(a._array) if dtype is None else a._array.astype(_np_dtype(dtype))
    d = _softmax_dim(dim, x.ndim, "softmax")
    if x.ndim == 0:
        return record(SoftmaxBackward0, np.ones_like(x), (a,), result=OUTPUT, dim=None)
    e = np.exp(x - x.max(axis=d, keepdims=True))
    out = e / e.sum(axis=d, keepdims=True)
    return record(SoftmaxBackward0, out, (a,), result=OUTPUT, dim=d)


def log_softmax(a, dim=None, dtype=None):
    x = _float(a._array) if dtype is None else a._array.astype(_np_dtype(dtype))
    d = _softmax_dim(dim, x.ndim, "log_softmax")
    if x.ndim == 0:
        return record(LogSoftmaxBackward0, np.zeros_like(x), (a,), result=OUTPUT, dim=None)
    shifted = x - x.max(axis=d, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=d, keepdims=True))
    return record(LogSoftmaxBackward0, out, (a,), result=OUTPUT, dim=d)


def _np_dtype(d):
    from ..dtypes import to_numpy_dtype

    return to_numpy_dtype(d)


# --- GELU ----------------------------------------------------------------------------------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# math.erf is correctly rounded in double precision; numpy has no erf of its own.
_erf = np.vectorize(math.erf, otypes=[np.float64])


class GeluBackward0(Node):
    __slots__ = ()
    rule = "d gelu(a)/da = Φ(a) + a·φ(a)  (tanh form: ½(1 + t) + ½a(1 − t²)·√(2/π)(1 + 3·0.044715a²))"

    def backward(self, g):
        x = self.saved("self")
        x64 = x.astype(np.float64)
        if self.saved("approximate") == "tanh":
            inner = _SQRT_2_OVER_PI * (x64 + 0.044715 * x64 ** 3)
            t = np.tanh(inner)
            d = 0.5 * (1 + t) + 0.5 * x64 * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x64 * x64)
        else:
            cdf = 0.5 * (1 + _erf(x64 * _INV_SQRT_2)) if x64.size else x64
            d = cdf + x64 * _INV_SQRT_2PI * np.exp(-0.5 * x64 * x64)
        return ((g * d).astype(g.dtype, copy=False),)


def gelu(a, approximate: str = "none"):
    """``x·Φ(x)`` with Φ the standard normal CDF; ``approximate='tanh'`` uses
    ``½x(1 + tanh(√(2/π)(x + 0.044715x³)))``. Computed in float64 and rounded to the input's
    dtype."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = _float(a._array)
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        out = 0.5 * x64 * (1 + np.tanh(_SQRT_2_OVER_PI * (x64 + 0.044715 * x64 ** 3)))
    else:
        out = 0.5 * x64 * (1 + _erf(x64 * _INV_SQRT_2)) if x64.size else x64
    return record(GeluBackward0, out.astype(x.dtype, copy=False), (a,), self=a,
                  approximate=approximate)


# --- leaky_relu, elu, silu, softplus -------------------------------------------------------
class LeakyReluBackward0(Node):
    __slots__ = ()
    rule = "d leaky_relu(a)/da = 1 where a > 0, else negative_slope"

    def backward(self, g):
        x, slope = self.saved("self"), self.saved("negative_slope")
        return (np.where(x > 0, g, g * x.dtype.type(slope)),)


def leaky_relu(a, negative_slope: float = 0.01, inplace: bool = False):
    x = _float(a._array)
    out = np.where(x > 0, x, x * x.dtype.type(negative_slope))
    return record(LeakyReluBackward0, out, (a,), self=a, negative_slope=negative_slope)


class EluBackward0(Node):
    __slots__ = ()
    rule = "d elu(a)/da = 1 where a > 0, else elu(a) + α"

    def backward(self, g):
        x, alpha = self.saved("self"), self.saved("alpha")
        return (np.where(x > 0, g, g * alpha * np.exp(np.minimum(x, 0))).astype(g.dtype, copy=False),)


def elu(a, alpha: float = 1.0, inplace: bool = False):
    x = _float(a._array)
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)
    return record(EluBackward0, out, (a,), self=a, alpha=alpha)


class SiluBackward0(Node):
    __slots__ = ()
    rule = "d silu(a)/da = σ(a)·(1 + a·(1 − σ(a)))"

    def backward(self, g):
        x = self.saved("self")
        s = 1 / (1 + np.exp(-x))
        return ((g * s * (1 + x * (1 - s))).astype(g.dtype, copy=False),)


def silu(a, inplace: bool = False):
    x = _float(a._array)
    with np.errstate(over="ignore"):
        out = (x / (1 + np.exp(-x))).astype(x.dtype, copy=False)
    return record(SiluBackward0, out, (a,), self=a)


class SoftplusBackward0(Node):
    __slots__ = ()
    rule = "d softplus(a)/da = σ(β·a) (1 above the threshold)"

    def backward(self, g):
        x, beta, threshold = self.saved("self"), self.saved("beta"), self.saved("threshold")
        z = x * beta
        with np.errstate(over="ignore"):
            d = np.where(z > threshold, 1.0, 1 / (1 + np.exp(-z)))
        return ((g * d).astype(g.dtype, copy=False),)


def softplus(a, beta: float = 1.0, threshold: float = 20.0):
    x = _float(a._array)
    z = x * beta
    with np.errstate(over="ignore"):
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    out = np.where(z > threshold, x, soft).astype(x.dtype, copy=False)
    return record(SoftplusBackward0, out, (a,), self=a, beta=beta, threshold=threshold)
