"""``gradviz.nn.functional``: losses, activations and ``linear``, as in ``torch.nn.functional``."""
from __future__ import annotations

from ..ops.activation import log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401
from ..ops.linalg import addmm, matmul
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                        cross_entropy, mse_loss, nll_loss)
from ..ops.shape import reshape, t


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, recorded as PyTorch records it (AddmmBackward0 for a batch
    of rows with a bias, with views around it for other ranks)."""
    wt = t(weight)
    if bias is None:
        return matmul(input, wt)
    shape = input._array.shape
    if len(shape) == 2:
        return addmm(bias, input, wt)
    flat = reshape(input, (-1, shape[-1]))
    out = addmm(bias, flat, wt)
    return reshape(out, shape[:-1] + (weight._array.shape[0],))
