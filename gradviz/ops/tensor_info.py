"""Small Tensor conveniences tutorials use: the casts ``byte()``/``char()``/``short()``, the
queries ``is_complex()``/``nbytes``/``itemsize``, and ``true_divide`` (PyTorch's older name
for ``div``)."""
from __future__ import annotations

import numpy as np

from . import shape as _S
from .elementwise import div


def byte(self):
    """``self.to(torch.uint8)``."""
    return _S.to_dtype(self, np.dtype(np.uint8))


def char(self):
    """``self.to(torch.int8)``."""
    return _S.to_dtype(self, np.dtype(np.int8))


def short(self):
    """``self.to(torch.int16)``."""
    return _S.to_dtype(self, np.dtype(np.int16))


def is_complex(self) -> bool:
    """Always False: gradviz has no complex dtypes."""
    return bool(np.iscomplexobj(self._array))


def true_divide(input, other):
    """``div(input, other)``: true division, whatever the dtypes."""
    return div(input, other)


def install_methods(tensor_cls) -> None:
    for fn in (byte, char, short, is_complex, true_divide):
        setattr(tensor_cls, fn.__name__, fn)
    tensor_cls.nbytes = property(lambda self: int(self._array.nbytes),
                                 doc="Bytes the elements take (numel * itemsize).")
    tensor_cls.itemsize = property(lambda self: int(self._array.itemsize),
                                   doc="Bytes one element takes.")
