"""Normalisation ops: ``layer_norm`` (NativeLayerNormBackward0) and ``batch_norm``
(NativeBatchNormBackward0), each one fused node with edges to input, weight and bias."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import record


def _size(shape) -> str:
    return f"torch.Size([{', '.join(map(str, shape))}])"


def _normalized_backward(g_hat, xhat, rstd, axes):
    """dL/dx of ``xhat = (x − mean)·rstd`` with mean and (biased) variance over ``axes``,
    given dL/dxhat: rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))."""
    return rstd * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                   - xhat * (g_hat * xhat).mean(axis=axes, keepdims=True))


class NativeLayerNormBackward0(Node):
    __slots__ = ()
    rule = ("x̂ = (x − mean)/√(var + eps) over the normalized dims; dx = (1/σ)(ĝ − mean ĝ − "
            "x̂·mean(ĝ·x̂)) with ĝ = g·weight; dweight = Σ g·x̂, dbias = Σ g over the other dims")

    def backward(self, g):
        xhat, rstd, k = self.saved("xhat"), self.saved("rstd"), self.saved("k")
        w = self._saved.get("weight_array")
        norm_axes = tuple(range(g.ndim - k, g.ndim))
        batch_axes = tuple(range(g.ndim - k))
        gx = gw = gb = None
        if self.needs(0):
            g_hat = g * w if w is not None else g
            gx = _normalized_backward(g_hat, xhat, rstd, norm_axes)
        if self.needs(1):
            gw = (g * xhat).sum(axis=batch_axes)
        if self.needs(2):
            gb = g.sum(axis=batch_axes)
        return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance), then scale by
    ``weight`` and shift by ``bias``."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    x = input._array
    k = len(normalized_shape)
    if k == 0 or x.shape[x.ndim - k:] != normalized_shape or x.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape=[{', '.join(map(str, normalized_shape))}], expected input with "
            f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of size"
            f"[{', '.join(map(str, x.shape))}]")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._array.shape != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"[{', '.join(map(str, t._array.shape))}] and normalized_shape = "
                f"[{', '.join(map(str, normalized_shape))}]")
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(var + x.dtype.type(eps))
    xhat = centered * rstd
    out = xhat
    wa = weight._array if weight is not None else None
    if wa is not None:
        out = out * wa
    if bias is not None:
        out = out + bias._array
    return record(NativeLayerNormBackward0, out.astype(x.dtype, copy=False), (input, weight, bias),
                  xhat=xhat, rstd=rstd, k=k, weight_array=wa)


class NativeBatchNormBackward0(Node):
    __slots__ = ()
    rule = ("training: x̂ = (x − batch mean)/√(batch var + eps) per channel, dx = (1/σ)(ĝ − "
            "mean ĝ − x̂·mean(ĝ·x̂)); eval: dx = ĝ/√(running var + eps); dweight = Σ g·x̂, "
            "dbias = Σ g")

    def backward(self, g):
        xhat, rstd, training = self.saved("xhat"), self.saved("rstd"), self.saved("training")
        w = self._saved.get("weight_array")
        axes = tuple(i for i in range(g.ndim) if i != 1)
        shape = [1] * g.ndim
        shape[1] = g.shape[1]
        gx = gw = gb = None
        if self.needs(0):
            g_hat = g * w if w is not None else g
            gx = _normalized_backward(g_hat, xhat, rstd, axes) if training else g_hat * rstd
        if self.needs(1):
            gw = (g * xhat).sum(axis=axes)
        if self.needs(2):
            gb = g.sum(axis=axes)
        return gx, gw, gb


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5):
    """Normalise each channel (dim 1) over every other dim. In training, the batch's mean and
    biased variance normalise, and the running statistics (when given) move towards the
    batch's mean and unbiased variance by ``momentum``; in eval the running statistics
    normalise."""
    x = input._array
    if x.ndim < 2:
        raise ValueError(f"Expected 2D or more input (got {x.ndim}D input)")
    axes = tuple(i for i in range(x.ndim) if i != 1)
    count = x.size // x.shape[1] if x.shape[1] else 0
    if training and count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {_size(x.shape)}")
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    if training:
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        if running_mean is not None:
            m = x.dtype.type(momentum)
            rm = running_mean._array
            rm[...] = (1 - m) * rm + m * mean.reshape(rm.shape)
            running_mean._version_counter[0] += 1
        if running_var is not None:
            m = x.dtype.type(momentum)
            rv = running_var._array
            unbiased = var.reshape(rv.shape) * x.dtype.type(count / (count - 1))
            rv[...] = (1 - m) * rv + m * unbiased
            running_var._version_counter[0] += 1
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean = running_mean._array.reshape(shape).astype(x.dtype, copy=False)
        var = running_var._array.reshape(shape).astype(x.dtype, copy=False)
        centered = x - mean
    rstd = 1.0 / np.sqrt(var + x.dtype.type(eps))
    xhat = centered * rstd
    out = xhat
    wa = weight._array if weight is not None else None
    if wa is not None:
        out = out * wa.reshape(shape)
    if bias is not None:
        out = out + bias._array.reshape(shape)
    return record(NativeBatchNormBackward0, out.astype(x.dtype, copy=False), (input, weight, bias),
                  xhat=xhat, rstd=rstd, training=bool(training),
                  weight_array=wa.reshape(shape) if wa is not None else None)
