"""Functions that make new tensors: from data, filled, ranges and random draws."""
from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .random import default_generator
from .tensor import Tensor, tensor


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"expected a sequence of integers, but got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, size))}]")
    return tuple(int(s) for s in size)


def _float_dtype(dtype) -> np.dtype:
    return _dt.to_numpy_dtype(dtype) if dtype is not None else _dt.get_default_dtype().numpy


def _leaf(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def as_tensor(data, dtype=None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray) and dtype is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (changes to one show in the other)."""
    _dt.from_numpy(arr.dtype)
    return Tensor._make(arr)


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    return _leaf(np.zeros(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    return _leaf(np.ones(_shape(size), dtype=_float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = (_dt.bool_ if isinstance(fill_value, bool) else
                 _dt.int64 if isinstance(fill_value, int) else _dt.get_default_dtype())
    return _leaf(np.full(_shape((size,)), fill_value, dtype=_dt.to_numpy_dtype(dtype)), requires_grad)


def _like(t: Tensor, dtype):
    return _dt.to_numpy_dtype(dtype) if dtype is not None else t._array.dtype


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _leaf(np.zeros(t._array.shape, dtype=_like(t, dtype)), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _leaf(np.ones(t._array.shape, dtype=_like(t, dtype)), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _leaf(np.full(t._array.shape, fill_value, dtype=_like(t, dtype)), requires_grad)


def empty_like(t, dtype=None, requires_grad=False) -> Tensor:
    return zeros_like(t, dtype, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    return _leaf(np.eye(n, m if m is not None else n, dtype=_float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    values = (start, end, step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) or (isinstance(v, Tensor) and v.is_floating_point()) for v in values)
        np_dtype = _dt.get_default_dtype().numpy if is_float else np.dtype(np.int64)
    else:
        np_dtype = _dt.to_numpy_dtype(dtype)
    return _leaf(np.arange(start, end, step).astype(np_dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False) -> Tensor:
    return _leaf(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    g = generator or default_generator
    return _leaf(g.normal(_shape(size), _float_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False) -> Tensor:
    g = generator or default_generator
    return _leaf(g.uniform(_shape(size), _float_dtype(dtype)), requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    g = generator or default_generator
    arr = g.integers(low, high, tuple(size))
    if dtype is not None:
        arr = arr.astype(_dt.to_numpy_dtype(dtype))
    return _leaf(arr, requires_grad)


def randperm(n, generator=None) -> Tensor:
    return Tensor._make((generator or default_generator).permutation(n))


def randn_like(t, dtype=None, requires_grad=False) -> Tensor:
    return randn(*t._array.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False) -> Tensor:
    return rand(*t._array.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def normal(mean, std, size, generator=None, requires_grad=False) -> Tensor:
    g = generator or default_generator
    arr = g.normal(_shape((size,)), _dt.get_default_dtype().numpy) * std + mean
    return _leaf(arr.astype(_dt.get_default_dtype().numpy), requires_grad)
