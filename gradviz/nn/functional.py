"""``gradviz.nn.functional``: losses, activations, normalisation, embedding, dropout, padding
and ``linear``, as in ``torch.nn.functional``."""
from __future__ import annotations

from ..ops.activation import (elu, gelu, leaky_relu, log_softmax, sigmoid,  # noqa: F401
                              silu, softmax, softplus, tanh)
from ..ops.activation import relu as _relu
from ..ops.convolution import conv1d, conv2d, conv3d  # noqa: F401
from ..ops.dropout import dropout  # noqa: F401
from ..ops.embedding import embedding, one_hot  # noqa: F401
from ..ops.linalg import addmm, matmul
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                        cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from ..ops.normalization import batch_norm, layer_norm  # noqa: F401
from ..ops.padding import pad  # noqa: F401
from ..ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d  # noqa: F401
from ..ops.shape import reshape, t


def relu(input, inplace: bool = False):
    """max(input, 0); with ``inplace`` the input tensor itself is overwritten (``relu_``)."""
    if inplace:
        return input.relu_()
    return _relu(input)


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
