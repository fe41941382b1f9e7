"""Elementwise arithmetic and math, with broadcasting.

Backward functions return gradients at the broadcast shape; the engine sums them back to each
input's shape, so no op has to think about broadcasting twice.
"""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import OUTPUT, as_tensor, binary_operands, check_broadcast, record


def _binary(fn, a, b):
    ta, tb, aa, ba = binary_operands(a, b)
    try:
        out = fn(aa, ba)
    except ValueError:
        check_broadcast(aa, ba)
        raise
    return ta, tb, aa, ba, out


# --- + - * / -------------------------------------------------------------------------------
class AddBackward0(Node):
    __slots__ = ()
    rule = "d(a + αb)/da = 1, d/db = α: the gradient passes through unchanged"

    def backward(self, g):
        alpha = self._saved.get("alpha", 1)
        return g, (g if alpha == 1 else g * alpha)


class SubBackward0(Node):
    __slots__ = ()
    rule = "d(a - αb)/da = 1, d/db = -α"

    def backward(self, g):
        alpha = self._saved.get("alpha", 1)
        return g, (-g if alpha == 1 else -g * alpha)


class RsubBackward1(Node):
    __slots__ = ()
    rule = "d(c - a)/da = -1"

    def backward(self, g):
        return (-g,)


class MulBackward0(Node):
    __slots__ = ()
    rule = "d(a·b)/da = b, d(a·b)/db = a"

    def backward(self, g):
        ga = g * self.saved("other") if self.needs(0) else None
        gb = g * self.saved("self") if self.needs(1) else None
        return ga, gb


class DivBackward0(Node):
    __slots__ = ()
    rule = "d(a/b)/da = 1/b, d(a/b)/db = -a/b²"

    def backward(self, g):
        b = self.saved("other")
        ga = g / b if self.needs(0) else None
        gb = -g * self.saved("self") / (b * b) if self.needs(1) else None
        return ga, gb


def add(a, b, *, alpha=1):
    ta, tb, aa, ba, out = _binary(np.add, a, b) if alpha == 1 else _binary(
        lambda x, y: x + alpha * y, a, b)
    return record(AddBackward0, out, (ta, tb), alpha=None if alpha == 1 else alpha)


_BOOL_SUB = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _bool_sub_error(a, b) -> RuntimeError:
    if _is_bool(a) and _is_bool(b):
        return RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                            "supported. Use the `^` or `logical_xor()` operator instead.")
    return RuntimeError(_BOOL_SUB)


def _is_bool(x) -> bool:
    arr = getattr(x, "_array", None)
    return arr.dtype == np.bool_ if arr is not None else isinstance(x, (bool, np.bool_))


def sub(a, b, *, alpha=1):
    if _is_bool(a) or _is_bool(b):
        raise _bool_sub_error(a, b)
    ta, tb, aa, ba, out = _binary(np.subtract, a, b) if alpha == 1 else _binary(
        lambda x, y: x - alpha * y, a, b)
    return record(SubBackward0, out, (ta, tb), alpha=None if alpha == 1 else alpha)


def rsub(a, b):
    """``b - a`` where ``b`` is a plain number (Python's reflected subtraction)."""
    if _is_bool(a) or _is_bool(b):
        raise _bool_sub_error(a, b)
    ta, tb, aa, ba, out = _binary(np.subtract, b, a)
    if ta is None or tb is None:
        return record(RsubBackward1, out, (tb,))
    return record(SubBackward0, out, (ta, tb))


def mul(a, b):
    from ..tensor import Tensor

    ta, tb, aa, ba, out = _binary(np.multiply, a, b)
    need_a = ta is not None and ta._requires_grad
    need_b = tb is not None and tb._requires_grad
    # A number operand is saved as a tensor too (PyTorch wraps it), so a second backward
    # through x * 2 fails the way PyTorch's does once the graph is freed.
    return record(MulBackward0, out, (ta, tb),
                  other=(tb if tb is not None else Tensor._make(ba)) if need_a else None,
                  self=(ta if ta is not None else Tensor._make(aa)) if need_b else None)


def div(a, b):
    from ..tensor import Tensor

    ta, tb, aa, ba, out = _binary(_true_divide, a, b)
    need_b = tb is not None and tb._requires_grad
    other = tb if tb is not None else Tensor._make(ba)
    return record(DivBackward0, out, (ta, tb), other=other, self=ta if need_b else None)


class DivBackward1(Node):
    """Division by a number inside a composite op (PyTorch's div(Tensor, Scalar))."""

    __slots__ = ()
    rule = "d(a/c)/da = 1/c"

    def backward(self, g):
        return (g / self._saved["other"],)


def div_scalar(a, c):
    return record(DivBackward1, np.asarray(a._array / c, dtype=a._array.dtype), (a,), other=c)


def _true_divide(x, y):
    # Integer division gives the default float, as in PyTorch.
    if x.dtype.kind in "iub" and y.dtype.kind in "iub":
        from ..dtypes import get_default_dtype

        dt = get_default_dtype().numpy
        return np.true_divide(x, y).astype(dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(x, y)


class ReciprocalBackward0(Node):
    __slots__ = ()
    rule = "d(1/a)/da = -1/a²"

    def backward(self, g):
        r = self.saved("result")
        return (-g * r * r,)


def reciprocal(a):
    a = as_tensor(a)
    with np.errstate(divide="ignore"):
        out = np.reciprocal(_float(a._array))
    return record(ReciprocalBackward0, out, (a,), result=OUTPUT)


def rdiv(a, b):
    """``b / a`` where ``b`` is a plain number: PyTorch computes it as ``a.reciprocal() * b``."""
    return mul(reciprocal(a), b)


class NegBackward0(Node):
    __slots__ = ()
    rule = "d(-a)/da = -1"

    def backward(self, g):
        return (-g,)


def neg(a):
    if a._array.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead.")
    return record(NegBackward0, np.negative(a._array), (a,))


# --- powers ----------------------------------------------------------------------------------
class PowBackward0(Node):
    __slots__ = ()
    rule = "d(aⁿ)/da = n·aⁿ⁻¹"

    def backward(self, g):
        e = self.saved("exponent")
        a = self.saved("self")
        if e == 0:
            return (np.zeros_like(g),)
        return (g * (e * np.power(a, e - 1)),)


class PowBackward1(Node):
    __slots__ = ()
    rule = "d(aᵇ)/da = b·aᵇ⁻¹, d(aᵇ)/db = aᵇ·ln a"

    def backward(self, g):
        a, b = self.saved("self"), self.saved("exponent")
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs(0):
                ga = g * np.where(b == 0, 0.0, b * np.power(a, b - 1))
            if self.needs(1):
                out = self.saved("result")
                # PyTorch masks the base-0 case to 0 (for exponents >= 0) instead of 0·(-inf).
                gb = g * np.where((a == 0) & (b >= 0), 0.0, out * np.log(a))
        return ga, gb


class PowBackward2(Node):
    __slots__ = ()
    rule = "d(cᵃ)/da = cᵃ·ln c"

    def backward(self, g):
        c = self.saved("self")
        e = self.saved("exponent") if "exponent" in self._saved else None
        with np.errstate(divide="ignore", invalid="ignore"):
            d = self.saved("result") * np.log(c)
        if e is not None and np.any(np.asarray(c) == 0):
            # PyTorch masks base 0 with a non-negative exponent to 0 instead of 0·(-inf).
            d = np.where((np.asarray(c) == 0) & (e >= 0), 0.0, d)
        return (g * d,)


def pow(a, exponent):
    from ..tensor import Tensor

    if not isinstance(a, Tensor):
        # number ** tensor
        from ..dtypes import result_type

        base = a.item() if isinstance(a, np.generic) else a
        e = exponent
        # PyTorch's promotion: 2 ** int_tensor stays integer, 2.0 ** int_tensor is float.
        dt = result_type(base, e)
        out = _power(np.asarray(base, dtype=dt), e._array.astype(dt, copy=False))
        return record(PowBackward2, out, (e,), self=base, result=OUTPUT, exponent=e)
    if isinstance(exponent, Tensor):
        ta, tb, aa, ba, out = _binary(_power, a, exponent)
        return record(PowBackward1, out, (ta, tb), self=ta, exponent=tb, result=OUTPUT)
    if isinstance(exponent, np.generic):
        # A numpy scalar exponent counts as a Python number, as in PyTorch.
        exponent = exponent.item()
    aa = a._array
    if aa.dtype.kind in "iub" and isinstance(exponent, float):
        from ..dtypes import get_default_dtype

        aa = aa.astype(get_default_dtype().numpy)
    out = _power(aa, np.asarray(exponent, dtype=aa.dtype) if aa.dtype.kind == "f" else exponent)
    return record(PowBackward0, out, (a,), self=a, exponent=exponent)


def _power(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        if x.dtype.kind in "iu" and np.any(np.asarray(y) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return np.power(x, y)


def rpow(a, base):
    return pow(base, a)


# --- unary math ------------------------------------------------------------------------------
def _float(x: np.ndarray) -> np.ndarray:
    """Integer inputs to float math give the default float dtype, as in PyTorch."""
    if x.dtype.kind == "f":
        return x
    from ..dtypes import get_default_dtype

    return x.astype(get_default_dtype().numpy)


class ExpBackward0(Node):
    __slots__ = ()
    rule = "d(eᵃ)/da = eᵃ"

    def backward(self, g):
        return (g * self.saved("result"),)


class LogBackward0(Node):
    __slots__ = ()
    rule = "d(ln a)/da = 1/a"

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / self.saved("self"),)


class SqrtBackward0(Node):
    __slots__ = ()
    rule = "d(√a)/da = 1/(2√a)"

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / (2 * self.saved("result")),)


class AbsBackward0(Node):
    __slots__ = ()
    rule = "d|a|/da = sign(a)"

    def backward(self, g):
        return (g * np.sign(self.saved("self")),)


def exp(a):
    with np.errstate(over="ignore"):
        out = np.exp(_float(a._array))
    return record(ExpBackward0, out, (a,), result=OUTPUT)


def log(a):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(_float(a._array))
    return record(LogBackward0, out, (a,), self=a)


def sqrt(a):
    with np.errstate(invalid="ignore"):
        out = np.sqrt(_float(a._array))
    return record(SqrtBackward0, out, (a,), result=OUTPUT)


def abs(a):
    return record(AbsBackward0, np.abs(a._array), (a,), self=a)


# --- clamp and where -------------------------------------------------------------------------
class ClampBackward1(Node):
    __slots__ = ()
    rule = "d clamp(a, lo, hi)/da = 1 where lo ≤ a ≤ hi, else 0"

    def backward(self, g):
        a = self.saved("self")
        lo, hi = self._saved.get("min"), self._saved.get("max")
        mask = np.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        return (np.where(mask, g, 0).astype(g.dtype, copy=False),)


class ClampBackward0(Node):
    __slots__ = ()
    rule = "the gradient goes to whichever of a, lo, hi was selected"

    def backward(self, g):
        # PyTorch's clamp_backward_min_max, case by case, so ties resolve the same way.
        a = self.saved("self")
        lo = self.saved("min") if "min" in self._saved else None
        hi = self.saved("max") if "max" in self._saved else None
        zero = np.zeros((), dtype=g.dtype)
        if lo is not None and hi is not None:
            return (np.where((a >= lo) & (a <= hi), g, zero),
                    np.where((a < lo) & (lo < hi), g, zero),
                    np.where((a > hi) | (hi < lo), g, zero))
        if lo is not None:
            return np.where(a >= lo, g, zero), np.where(a < lo, g, zero), None
        return np.where(a <= hi, g, zero), None, np.where(a > hi, g, zero)


def clamp(a, min=None, max=None):
    from ..tensor import Tensor

    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = as_tensor(min) if min is not None else None
        hi = as_tensor(max) if max is not None else None
        out = a._array
        for bound in (lo, hi):
            if bound is not None:
                check_broadcast(out, bound._array)
        if lo is not None:
            out = np.maximum(out, lo._array)
        if hi is not None:
            out = np.minimum(out, hi._array)
        return record(ClampBackward0, out.astype(a._array.dtype, copy=False), (a, lo, hi),
                      self=a, min=lo, max=hi)
    out = np.clip(a._array, min, max)
    return record(ClampBackward1, out.astype(a._array.dtype, copy=False), (a,),
                  self=a, min=min, max=max)


class WhereBackward0(Node):
    __slots__ = ()
    rule = "the gradient goes to a where the condition holds, to b elsewhere"

    def backward(self, g):
        c = self.saved("condition")
        zero = np.zeros((), dtype=g.dtype)
        return (np.where(c, g, zero) if self.needs(0) else None,
                np.where(c, zero, g) if self.needs(1) else None)


def where(condition, a=None, b=None):
    if a is None and b is None:
        # where(condition) alone: the positions where it holds, one tensor per dim.
        from .comparison import nonzero

        return nonzero(as_tensor(condition), as_tuple=True)
    c = as_tensor(condition)._array
    if c.dtype != np.bool_:
        from ..dtypes import scalar_type_name

        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {scalar_type_name(c.dtype)}")
    ta, tb, aa, ba = binary_operands(a, b)
    try:
        out = np.where(c, aa, ba)
    except ValueError:
        check_broadcast(c, aa)
        check_broadcast(np.empty(np.broadcast_shapes(c.shape, aa.shape)), ba)
        raise
    return record(WhereBackward0, out, (ta, tb), condition=c)


# --- maximum / minimum -----------------------------------------------------------------------
class MaximumBackward0(Node):
    __slots__ = ()
    rule = "d max(a, b)/da = 1 where a > b, ½ where a = b, 0 elsewhere (and the same for b)"

    def backward(self, g):
        a, b = self.saved("self"), self.saved("other")
        wa = np.where(a == b, 0.5, (a > b).astype(g.dtype))
        if type(self) is MinimumBackward0:
            wa = np.where(a == b, 0.5, (a < b).astype(g.dtype))
        return (g * wa if self.needs(0) else None), (g * (1 - wa) if self.needs(1) else None)


class MinimumBackward0(MaximumBackward0):
    __slots__ = ()
    rule = "d min(a, b)/da = 1 where a < b, ½ where a = b, 0 elsewhere (and the same for b)"


def _extremum(cls, fn, a, b):
    from ..tensor import Tensor

    if not isinstance(b, Tensor):
        raise TypeError(f"{'maximum' if cls is MaximumBackward0 else 'minimum'}(): argument "
                        f"'other' (position 2) must be Tensor, not {type(b).__name__}")
    ta, tb, aa, ba, out = _binary(fn, a, b)
    return record(cls, out, (ta, tb), self=ta, other=tb)


def maximum(a, b):
    return _extremum(MaximumBackward0, np.maximum, a, b)


def minimum(a, b):
    return _extremum(MinimumBackward0, np.minimum, a, b)
