"""The dtypes gradviz knows, named as PyTorch names them, each backed by a numpy dtype."""
from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type. Compare with ``==``; ``repr`` reads ``gradviz.float32``."""

    __slots__ = ("name", "numpy", "is_floating_point", "itemsize", "_category")

    def __init__(self, name: str, numpy_dtype, category: int):
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.is_floating_point = category == 2
        self.itemsize = self.numpy.itemsize
        # bool < integer < floating point: the order PyTorch promotes across categories.
        self._category = category

    def __repr__(self) -> str:
        return f"gradviz.{self.name}"

    def __reduce__(self):
        return (from_name, (self.name,))


float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool_ = dtype("bool", np.bool_, 0)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_BY_NUMPY = {d.numpy: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}

_default_float = float32


def from_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy(np_dtype) -> dtype:
    """The gradviz dtype of a numpy dtype; raises TypeError for types a tensor cannot hold."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def to_numpy_dtype(d) -> np.dtype:
    """Accept a gradviz dtype, a numpy dtype or a Python type (float, int, bool)."""
    if isinstance(d, dtype):
        return d.numpy
    if d is builtins_float:
        return _default_float.numpy
    if d is builtins_int:
        return np.dtype(np.int64)
    if d is builtins_bool:
        return np.dtype(np.bool_)
    return from_numpy(d).numpy


import builtins as _builtins  # noqa: E402  (the names float/int/bool are rebound above)

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool


def result_type(*operands) -> np.dtype:
    """PyTorch's type promotion: dimensioned tensors outrank zero-dim tensors, which outrank
    Python scalars, unless a lower tier brings a higher category (bool < int < float), in which
    case a Python scalar contributes the default dtype of its category."""
    from .tensor import Tensor

    tiers = ([], [], [])  # tensors with dims, zero-dim tensors, python scalars
    for op in operands:
        if isinstance(op, Tensor):
            tiers[0 if op._array.ndim else 1].append(op._array.dtype)
        elif isinstance(op, _builtins.bool):
            tiers[2].append(np.dtype(np.bool_))
        elif isinstance(op, _builtins.int):
            tiers[2].append(np.dtype(np.int64))
        elif isinstance(op, _builtins.float):
            tiers[2].append(_default_float.numpy)
        elif isinstance(op, np.ndarray):
            tiers[0 if op.ndim else 1].append(op.dtype)
        else:
            tiers[2].append(np.asarray(op).dtype)
    result = None
    for tier in tiers:
        if not tier:
            continue
        best = tier[0]
        for d in tier[1:]:
            best = _promote(best, d)
        if result is None:
            result = best
        elif _category(best) > _category(result):
            result = best if tier is not tiers[2] else _default_of(_category(best), best)
    return result


_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                 "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}


def scalar_type_name(np_dtype) -> str:
    """PyTorch's ScalarType name of a dtype, as its error messages print it (Float, Long)."""
    return _SCALAR_NAMES.get(np.dtype(np_dtype).name, np.dtype(np_dtype).name)


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """Two dtypes of the same tier: the higher category wins outright (int64 + float32 is
    float32 in PyTorch, not numpy's float64); within a category, numpy's promotion agrees."""
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _category(d: np.dtype) -> int:
    if d.kind == "b":
        return 0
    if d.kind in "iu":
        return 1
    return 2


def _default_of(category: int, d: np.dtype) -> np.dtype:
    if category == 2:
        return _default_float.numpy
    if category == 1:
        return np.dtype(np.int64)
    return d
