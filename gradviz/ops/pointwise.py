"""Unary math beyond exp/log/sqrt: trigonometric and hyperbolic functions, other logarithms,
``rsqrt``, ``square``, ``sign``, rounding and ``erf``.

Dtype rules are PyTorch's: functions that produce fractions (sin, log10, rsqrt, erf, ...) turn
integer and bool inputs into the default float dtype; ``square``, ``sign`` and the rounding
functions keep an integer input's dtype (rounding a bool is an error, as it is in PyTorch).
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.node import Node
from .base import OUTPUT, record
from .elementwise import _float

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def tensor_argument(a, name: str, position: int = 1, arg: str = "input"):
    """``a`` if it is a Tensor; otherwise PyTorch's TypeError for a non-tensor argument."""
    from ..tensor import Tensor

    if not isinstance(a, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type(a).__name__}")
    return a


def _float_result(fn, a) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(fn(_float(a._array)))


# --- trigonometric and hyperbolic ------------------------------------------------------------
class SinBackward0(Node):
    __slots__ = ()
    rule = "d(sin a)/da = cos a"

    def backward(self, g):
        return (g * np.cos(self.saved("self")),)


class CosBackward0(Node):
    __slots__ = ()
    rule = "d(cos a)/da = -sin a"

    def backward(self, g):
        return (g * -np.sin(self.saved("self")),)


class TanBackward0(Node):
    __slots__ = ()
    rule = "d(tan a)/da = 1 + tan² a"

    def backward(self, g):
        r = self.saved("result")
        return (g * (1 + r * r),)


class SinhBackward0(Node):
    __slots__ = ()
    rule = "d(sinh a)/da = cosh a"

    def backward(self, g):
        with np.errstate(over="ignore"):
            return (g * np.cosh(self.saved("self")),)


class CoshBackward0(Node):
    __slots__ = ()
    rule = "d(cosh a)/da = sinh a"

    def backward(self, g):
        with np.errstate(over="ignore"):
            return (g * np.sinh(self.saved("self")),)


class AsinBackward0(Node):
    __slots__ = ()
    rule = "d(asin a)/da = 1/√(1 - a²)"

    def backward(self, g):
        a = self.saved("self")
        with np.errstate(all="ignore"):
            return (g / np.sqrt(1 - a * a),)


class AcosBackward0(Node):
    __slots__ = ()
    rule = "d(acos a)/da = -1/√(1 - a²)"

    def backward(self, g):
        a = self.saved("self")
        with np.errstate(all="ignore"):
            return (-g / np.sqrt(1 - a * a),)


class AtanBackward0(Node):
    __slots__ = ()
    rule = "d(atan a)/da = 1/(1 + a²)"

    def backward(self, g):
        a = self.saved("self")
        return (g / (1 + a * a),)


def sin(a):
    tensor_argument(a, "sin")
    return record(SinBackward0, _float_result(np.sin, a), (a,), self=a)


def cos(a):
    tensor_argument(a, "cos")
    return record(CosBackward0, _float_result(np.cos, a), (a,), self=a)


def tan(a):
    tensor_argument(a, "tan")
    return record(TanBackward0, _float_result(np.tan, a), (a,), result=OUTPUT)


def sinh(a):
    tensor_argument(a, "sinh")
    return record(SinhBackward0, _float_result(np.sinh, a), (a,), self=a)


def cosh(a):
    tensor_argument(a, "cosh")
    return record(CoshBackward0, _float_result(np.cosh, a), (a,), self=a)


def asin(a):
    tensor_argument(a, "asin")
    return record(AsinBackward0, _float_result(np.arcsin, a), (a,), self=a)


def acos(a):
    tensor_argument(a, "acos")
    return record(AcosBackward0, _float_result(np.arccos, a), (a,), self=a)


def atan(a):
    tensor_argument(a, "atan")
    return record(AtanBackward0, _float_result(np.arctan, a), (a,), self=a)


# --- logarithms and exponentials -------------------------------------------------------------
class Log10Backward0(Node):
    __slots__ = ()
    rule = "d(log₁₀ a)/da = 1/(a·ln 10)"

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (self.saved("self") * _LN10),)


class Log2Backward0(Node):
    __slots__ = ()
    rule = "d(log₂ a)/da = 1/(a·ln 2)"

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (self.saved("self") * _LN2),)


class Log1PBackward0(Node):
    __slots__ = ()
    rule = "d(ln(1 + a))/da = 1/(1 + a)"

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (self.saved("self") + 1),)


class Expm1Backward0(Node):
    __slots__ = ()
    rule = "d(eᵃ - 1)/da = eᵃ = result + 1"

    def backward(self, g):
        return (g * (self.saved("result") + 1),)


class Exp2Backward0(Node):
    __slots__ = ()
    rule = "d(2ᵃ)/da = 2ᵃ·ln 2"

    def backward(self, g):
        return (g * (self.saved("result") * _LN2),)


class RsqrtBackward0(Node):
    __slots__ = ()
    rule = "d(1/√a)/da = -½·a^(-3/2) = -½·result³"

    def backward(self, g):
        r = self.saved("result")
        return (-0.5 * g * r * r * r,)


def log10(a):
    tensor_argument(a, "log10")
    return record(Log10Backward0, _float_result(np.log10, a), (a,), self=a)


def log2(a):
    tensor_argument(a, "log2")
    return record(Log2Backward0, _float_result(np.log2, a), (a,), self=a)


def log1p(a):
    tensor_argument(a, "log1p")
    return record(Log1PBackward0, _float_result(np.log1p, a), (a,), self=a)


def expm1(a):
    tensor_argument(a, "expm1")
    return record(Expm1Backward0, _float_result(np.expm1, a), (a,), result=OUTPUT)


def exp2(a):
    tensor_argument(a, "exp2")
    return record(Exp2Backward0, _float_result(np.exp2, a), (a,), result=OUTPUT)


def rsqrt(a):
    tensor_argument(a, "rsqrt")
    return record(RsqrtBackward0, _float_result(lambda x: 1 / np.sqrt(x), a), (a,),
                  result=OUTPUT)


# --- erf -------------------------------------------------------------------------------------
class ErfBackward0(Node):
    __slots__ = ()
    rule = "d(erf a)/da = 2/√π · e^(-a²)"

    def backward(self, g):
        a = self.saved("self")
        return (g * (_TWO_OVER_SQRT_PI * np.exp(-a * a)),)


# math.erf is correctly rounded in double precision; numpy has no erf of its own.
_erf64 = np.vectorize(math.erf, otypes=[np.float64])


def erf(a):
    tensor_argument(a, "erf")
    x = _float(a._array)
    out = np.asarray(_erf64(x) if x.size else np.empty(x.shape)).astype(x.dtype, copy=False)
    return record(ErfBackward0, out, (a,), self=a)


# --- square and sign -------------------------------------------------------------------------
def square(a):
    """``a * a``, recorded as PyTorch records it: ``pow(a, 2)`` (PowBackward0). A bool input
    gives int64."""
    from .elementwise import pow

    tensor_argument(a, "square")
    if a._array.dtype == np.bool_:
        from .shape import to_dtype

        a = to_dtype(a, np.dtype(np.int64))
    return pow(a, 2)


class SignBackward0(Node):
    __slots__ = ()
    rule = "d(sign a)/da = 0 almost everywhere: no gradient flows back"

    def backward(self, g):
        return (np.zeros_like(g),)


class SgnBackward0(SignBackward0):
    __slots__ = ()


def _sign(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.bool_:
        return arr.copy()
    out = np.sign(arr)
    if arr.dtype.kind == "f":
        # PyTorch's sign of NaN is 0.
        out = np.where(np.isnan(arr), 0, out).astype(arr.dtype, copy=False)
    return np.asarray(out)


def sign(a):
    tensor_argument(a, "sign")
    return record(SignBackward0, _sign(a._array), (a,))


def sgn(a):
    tensor_argument(a, "sgn")
    return record(SgnBackward0, _sign(a._array), (a,))


# --- rounding --------------------------------------------------------------------------------
class FloorBackward0(SignBackward0):
    __slots__ = ()
    rule = "d(floor a)/da = 0 almost everywhere: no gradient flows back"


class CeilBackward0(SignBackward0):
    __slots__ = ()
    rule = "d(ceil a)/da = 0 almost everywhere: no gradient flows back"


class RoundBackward0(SignBackward0):
    __slots__ = ()
    rule = "d(round a)/da = 0 almost everywhere: no gradient flows back"


class RoundBackward1(RoundBackward0):
    __slots__ = ()


class TruncBackward0(SignBackward0):
    __slots__ = ()
    rule = "d(trunc a)/da = 0 almost everywhere: no gradient flows back"


class FracBackward0(Node):
    __slots__ = ()
    rule = "d(a - trunc a)/da = 1"

    def backward(self, g):
        return (g,)


def _rounding(cls, fn, kernel, a):
    arr = a._array
    if arr.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    # Integers are already whole: PyTorch returns a copy of the same dtype.
    out = arr.copy() if arr.dtype.kind in "iu" else np.asarray(fn(arr))
    return record(cls, out, (a,))


def floor(a):
    tensor_argument(a, "floor")
    return _rounding(FloorBackward0, np.floor, "floor_vml_cpu", a)


def ceil(a):
    tensor_argument(a, "ceil")
    return _rounding(CeilBackward0, np.ceil, "ceil_vml_cpu", a)


def trunc(a):
    tensor_argument(a, "trunc")
    return _rounding(TruncBackward0, np.trunc, "trunc_vml_cpu", a)



def round(a, *, decimals: int = 0):
    """Round half to even, as PyTorch does; ``decimals`` rounds to that many decimal places."""
    tensor_argument(a, "round")
    if decimals == 0:
        return _rounding(RoundBackward0, np.round, "round_vml_cpu", a)
    arr = a._array
    if arr.dtype.kind != "f":
        from ..dtypes import scalar_type_name

        raise NotImplementedError(f"\"round_cpu\" not implemented for '{scalar_type_name(arr.dtype)}'")
    # PyTorch's formula: nearbyint(x·10^d)/10^d, or nearbyint(x/10^-d)·10^-d for d < 0.
    with np.errstate(all="ignore"):
        if decimals > 0:
            scale = np.asarray(10.0 ** decimals, dtype=arr.dtype)
            out = np.rint(arr * scale) / scale
        else:
            scale = np.asarray(10.0 ** -decimals, dtype=arr.dtype)
            out = np.rint(arr / scale) * scale
    return record(RoundBackward1, np.asarray(out, dtype=arr.dtype), (a,))


def frac(a):
    tensor_argument(a, "frac")
    arr = a._array
    if arr.dtype.kind != "f":
        from ..dtypes import scalar_type_name

        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{scalar_type_name(arr.dtype)}'")
    return record(FracBackward0, np.asarray(arr - np.trunc(arr)), (a,))


# --- clamp_min / clamp_max ---------------------------------------------------------------------
class ClampMinBackward0(Node):
    __slots__ = ()
    rule = "d max(a, lo)/da = 1 where a ≥ lo, else 0"

    def backward(self, g):
        return (np.where(self.saved("self") >= self.saved("min"), g, 0).astype(g.dtype),)


class ClampMaxBackward0(Node):
    __slots__ = ()
    rule = "d min(a, hi)/da = 1 where a ≤ hi, else 0"

    def backward(self, g):
        return (np.where(self.saved("self") <= self.saved("max"), g, 0).astype(g.dtype),)


class ClampMinBackward1(Node):
    __slots__ = ()
    rule = "the gradient goes to a where a ≥ lo, to lo elsewhere"

    def backward(self, g):
        a, lo = self.saved("self"), self.saved("min")
        zero = np.zeros((), dtype=g.dtype)
        return np.where(a >= lo, g, zero), np.where(a < lo, g, zero)


class ClampMaxBackward1(Node):
    __slots__ = ()
    rule = "the gradient goes to a where a ≤ hi, to hi elsewhere"

    def backward(self, g):
        a, hi = self.saved("self"), self.saved("max")
        zero = np.zeros((), dtype=g.dtype)
        return np.where(a <= hi, g, zero), np.where(a > hi, g, zero)


def _clamp_one_side(name, fn, scalar_cls, tensor_cls, key, a, bound):
    from ..tensor import Tensor
    from .base import binary_operands, check_broadcast

    tensor_argument(a, name)
    ta, tb, aa, ba = binary_operands(a, bound)
    check_broadcast(aa, ba)
    out = np.asarray(fn(aa, ba))
    if isinstance(bound, Tensor):
        return record(tensor_cls, out, (ta, tb), self=ta, **{key: tb})
    return record(scalar_cls, out, (a,), self=a, **{key: bound})


def clamp_min(input, min):
    """``max(input, min)`` elementwise (PyTorch's ClampMinBackward0/1)."""
    return _clamp_one_side("clamp_min", np.maximum, ClampMinBackward0, ClampMinBackward1,
                           "min", input, min)


def clamp_max(input, max):
    """``min(input, max)`` elementwise (PyTorch's ClampMaxBackward0/1)."""
    return _clamp_one_side("clamp_max", np.minimum, ClampMaxBackward0, ClampMaxBackward1,
                           "max", input, max)


# --- nan_to_num --------------------------------------------------------------------------------
class NanToNumBackward0(Node):
    __slots__ = ()
    rule = "d nan_to_num(a)/da = 1 where a is finite, 0 where it was NaN or ±inf"

    def backward(self, g):
        return (np.where(np.isfinite(self.saved("self")), g, 0).astype(g.dtype),)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN → ``nan``, +inf → ``posinf`` (the dtype's largest), -inf → ``neginf`` (its
    lowest)."""
    tensor_argument(input, "nan_to_num")
    arr = input._array
    if arr.dtype.kind != "f":
        return record(NanToNumBackward0, arr.copy(), (input,), self=input)
    out = np.nan_to_num(arr, nan=nan, posinf=posinf, neginf=neginf)
    return record(NanToNumBackward0, np.asarray(out, dtype=arr.dtype), (input,), self=input)


# --- lerp --------------------------------------------------------------------------------------
class LerpBackward0(Node):
    __slots__ = ()
    rule = "d(a + w(b - a))/da = 1 - w, d/db = w (w a number)"

    def backward(self, g):
        w = self.saved("weight")
        return g * (1 - w), g * w


class LerpBackward1(Node):
    __slots__ = ()
    rule = "d(a + w(b - a))/da = 1 - w, d/db = w, d/dw = b - a"

    def backward(self, g):
        a, b, w = self.saved("self"), self.saved("end"), self.saved("weight")
        return (g * (1 - w) if self.needs(0) else None, g * w if self.needs(1) else None,
                g * (b - a) if self.needs(2) else None)


def lerp(input, end, weight):
    """``input + weight·(end - input)``, elementwise."""
    from ..tensor import Tensor
    from .base import check_broadcast

    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        got = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__
                        for v in (input, end, weight))
        raise TypeError(f"lerp() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:\n"
                        " * (Tensor input, Tensor end, Tensor weight, *, Tensor out = None)\n"
                        " * (Tensor input, Tensor end, Number weight, *, Tensor out = None)")
    a, b = input._array, end._array
    if a.dtype != b.dtype:
        # PyTorch names C types here (float, double), not scalar types.
        from .linalg import _C_NAMES

        raise RuntimeError(f"expected dtype {_C_NAMES.get(a.dtype.name)} for `end` but got dtype "
                           f"{_C_NAMES.get(b.dtype.name)}")
    check_broadcast(a, b)
    if isinstance(weight, Tensor):
        w = weight._array
        check_broadcast(np.empty(np.broadcast_shapes(a.shape, b.shape)), w)
        out = np.asarray(a + w * (b - a), dtype=a.dtype)
        return record(LerpBackward1, out, (input, end, weight), self=input, end=end,
                      weight=weight)
    out = np.asarray(a + weight * (b - a), dtype=a.dtype)
    return record(LerpBackward0, out, (input, end), weight=weight)
