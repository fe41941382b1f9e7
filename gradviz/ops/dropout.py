"""``dropout``: in training, zero each element with probability p and scale the rest by
1/(1 − p); recorded as PyTorch records it, a product with a constant mask (MulBackward0)."""
from __future__ import annotations

import numpy as np


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False, *, generator=None):
    from ..random import default_generator
    from ..tensor import Tensor
    from .elementwise import mul

    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = input._array
    if not training or p == 0 or x.size == 0:
        # PyTorch returns the input itself here: no node, no copy.
        return input
    if p == 1:
        mask = np.zeros((), dtype=x.dtype)
    else:
        g = generator or default_generator
        keep = g.uniform(x.shape, np.float64) >= p
        mask = (keep / (1 - p)).astype(x.dtype)
    if inplace:
        return input.mul_(Tensor._make(mask))
    return mul(input, Tensor._make(mask))
