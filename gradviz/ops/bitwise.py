"""Bitwise ops on integer and boolean tensors: ``bitwise_and``/``or``/``xor``/``not``.

They have no gradient (PyTorch defines them for integers and bools only), so they record no
node; a floating point operand raises PyTorch's error.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import result_type
from .base import as_tensor

_TORCH_DTYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double"}


def _check_integral(name: str, arrays) -> None:
    for a in arrays:
        if a.dtype.kind == "f":
            raise NotImplementedError(
                f'"{name}_cpu" not implemented for \'{_TORCH_DTYPE_NAMES[a.dtype.name]}\'')


def _binary(name: str, np_fn, input, other):
    from ..tensor import Tensor

    dtype = result_type(input, other)
    a = input._array if isinstance(input, Tensor) else np.asarray(input)
    b = other._array if isinstance(other, Tensor) else np.asarray(other)
    _check_integral(name, (a, b, np.empty(0, dtype=dtype)))
    return Tensor._make(np_fn(a.astype(dtype, copy=False), b.astype(dtype, copy=False)))


def bitwise_and(input, other):
    """Elementwise AND of the bits (logical AND for bools)."""
    return _binary("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input, other):
    """Elementwise OR of the bits (logical OR for bools)."""
    return _binary("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input, other):
    """Elementwise XOR of the bits (logical XOR for bools)."""
    return _binary("bitwise_xor", np.bitwise_xor, input, other)


def bitwise_not(input):
    """Every bit flipped (logical NOT for bools)."""
    from ..tensor import Tensor

    a = as_tensor(input)._array
    _check_integral("bitwise_not", (a,))
    return Tensor._make(np.invert(a))


def install_methods(tensor_cls) -> None:
    """The method forms: ``x.bitwise_xor(y)`` etc."""
    for fn in (bitwise_and, bitwise_or, bitwise_xor, bitwise_not):
        setattr(tensor_cls, fn.__name__, fn)
