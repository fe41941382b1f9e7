"""The ops, one module per family. Each op computes its result with numpy and records a
backward node named as PyTorch names it (``AddBackward0``, ``MmBackward0``, ...).

Every public op is wrapped here with ``replayable``, so the tensors it returns remember how
they were computed and a recorded graph can be run forward again with new inputs."""
from . import (activation, comparison, elementwise, embedding, inplace, linalg, loss,
               normalization, padding, pointwise, reduction, selection, shape, split, statistics)
from . import convolution, pooling
from . import rearrange
from . import gather
from .base import replayable

PUBLIC_OPS = {
    elementwise: ["add", "sub", "rsub", "mul", "div", "reciprocal", "rdiv", "neg", "pow", "rpow",
                  "exp", "log", "sqrt", "abs", "clamp", "where", "maximum", "minimum"],
    reduction: ["sum", "mean", "max", "min", "amax", "amin"],
    activation: ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu", "leaky_relu", "elu",
                 "silu", "softplus"],
    convolution: ["conv1d", "conv2d", "conv3d"],
    pooling: ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d"],
    linalg: ["mm", "mv", "dot", "bmm", "addmm", "matmul"],
    shape: ["view", "reshape", "flatten", "clone", "transpose", "t", "permute", "unsqueeze",
            "squeeze", "expand", "select", "narrow_slice", "getitem", "cat", "stack", "to_dtype"],
    # (_scale and _masked_fill_zero: the steps of cross_entropy with label smoothing.)
    loss: ["binary_cross_entropy_with_logits", "binary_cross_entropy", "mse_loss", "nll_loss",
           "cross_entropy", "l1_loss", "smooth_l1_loss", "huber_loss", "_scale",
           "_masked_fill_zero"],
    # batch_norm is left out: replaying it in training mode would move the running statistics.
    normalization: ["layer_norm"],
    embedding: ["embedding", "one_hot"],
    padding: ["pad"],
    split: ["split", "chunk", "tril", "triu"],
    pointwise: ["sin", "cos", "tan", "sinh", "cosh", "asin", "acos", "atan", "log10", "log2",
                "log1p", "expm1", "exp2", "rsqrt", "erf", "square", "sign", "sgn", "floor",
                "ceil", "trunc", "round", "frac", "clamp_min", "clamp_max", "lerp", "nan_to_num"],
    statistics: ["norm", "vector_norm", "var", "std", "prod", "logsumexp", "cumsum", "argmax",
                 "argmin", "all", "any", "cumprod", "std_mean", "var_mean"],
    selection: ["sort", "argsort", "topk"],
    rearrange: ["flip", "roll", "repeat", "tile", "diagonal", "diag_embed", "diag", "matrix_trace",
                "outer", "hstack", "vstack", "column_stack", "dstack", "meshgrid",
                "repeat_interleave"],
    comparison: ["eq", "ne", "lt", "le", "gt", "ge", "isclose", "logical_and", "logical_or",
                 "logical_xor", "logical_not", "isnan", "isinf", "isfinite", "count_nonzero",
                 "nonzero", "argwhere", "unique", "bincount"],
    inplace: ["masked_fill"],
    gather: ["gather", "take_along_dim", "index_select", "masked_select", "scatter", "scatter_add",
             "index_add"],
}

# PyTorch accepts numpy's ``axis=``/``keepdims=`` for every ``dim``/``keepdim``; the newer
# reductions take them by themselves (statistics.numpy_names), these learn them here.
for _name in ["sum", "mean", "max", "min", "amax", "amin"]:
    setattr(reduction, _name, statistics.numpy_names(getattr(reduction, _name)))

for _module, _names in PUBLIC_OPS.items():
    for _name in _names:
        setattr(_module, _name, replayable(getattr(_module, _name)))
del _module, _names, _name
