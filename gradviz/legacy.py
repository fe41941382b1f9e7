"""The legacy tensor types of old tutorials: ``gradviz.FloatTensor([1, 2])``,
``gradviz.LongTensor(3)``, ``x.type(gradviz.LongTensor)`` and ``isinstance(x,
gradviz.FloatTensor)``. Each is a constructor of tensors of one dtype, as in PyTorch."""
from __future__ import annotations

import numbers

import numpy as np

from . import dtypes as _dt


class _LegacyType(type):
    def __instancecheck__(cls, obj) -> bool:
        from .tensor import Tensor

        return isinstance(obj, Tensor) and obj._array.dtype == cls.dtype.numpy

    def __call__(cls, *data):
        """``T(sequence)`` copies data; ``T(n, m, ...)`` makes that shape (zeros: gradviz never
        hands out uninitialised memory); ``T()`` is empty."""
        from .tensor import Tensor, tensor

        if not data:
            return Tensor._make(np.zeros((0,), dtype=cls.dtype.numpy))
        if len(data) == 1 and not isinstance(data[0], numbers.Integral):
            src = data[0]
            return tensor(src._array if isinstance(src, Tensor) else src, dtype=cls.dtype)
        return Tensor._make(np.zeros(tuple(int(d) for d in data), dtype=cls.dtype.numpy))

    def __repr__(cls) -> str:
        return f"<class 'gradviz.{cls.__name__}'>"


def _legacy(name: str, d) -> type:
    return _LegacyType(name, (), {"dtype": d, "__doc__": f"Tensors of dtype {d}."})


FloatTensor = _legacy("FloatTensor", _dt.float32)
DoubleTensor = _legacy("DoubleTensor", _dt.float64)
HalfTensor = _legacy("HalfTensor", _dt.float16)
LongTensor = _legacy("LongTensor", _dt.int64)
IntTensor = _legacy("IntTensor", _dt.int32)
ShortTensor = _legacy("ShortTensor", _dt.int16)
CharTensor = _legacy("CharTensor", _dt.int8)
ByteTensor = _legacy("ByteTensor", _dt.uint8)
BoolTensor = _legacy("BoolTensor", _dt.bool_)

BY_NAME = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                                   ShortTensor, CharTensor, ByteTensor, BoolTensor)}


def dtype_of(t):
    """The dtype a ``.type(...)`` argument names: a legacy type, its name as a string
    (``'torch.LongTensor'``), or a dtype itself."""
    if isinstance(t, _LegacyType):
        return t.dtype
    if isinstance(t, str):
        name = t.rsplit(".", 1)[-1]
        if name not in BY_NAME:
            raise ValueError(f"invalid type: '{t}'")
        return BY_NAME[name].dtype
    return t
