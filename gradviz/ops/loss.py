"""Loss functions with PyTorch's fused backward nodes and ``reduction=`` semantics."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import as_tensor, record

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        n = loss.size
        if n:
            # What ndarray.mean computes (the same float32 sum, then one division), without
            # its Python-level wrapper, which costs more than the sum on a small batch.
            return np.asarray(np.add.reduce(loss, axis=None, dtype=loss.dtype) / n)
        return np.asarray(loss.mean(dtype=loss.dtype))
    if reduction == "sum":
        return np.asarray(loss.sum(dtype=loss.dtype))
    return loss


def _grad_scale(g: np.ndarray, shape: tuple, reduction: str) -> np.ndarray:
    """The incoming gradient of a reduced loss, spread back over the elementwise losses.

    For a reduced loss ``g`` is a scalar: it is returned as one (divided by the count for the
    mean) and the callers' products broadcast it, which is cheaper than materialising it."""
    if reduction == "mean":
        n = 1
        for s in shape:
            n *= s
        return g / max(n, 1)
    return g


def _check_same_size(x, t, name="input"):
    if x._array.shape != t._array.shape:
        raise ValueError(
            f"Target size ({_size(t)}) must be the same as {name} size ({_size(x)})")


def _size(t):
    return f"torch.Size([{', '.join(map(str, t._array.shape))}])"


def _softplus_neg(x):
    """log(1 + exp(-x)), stable for large |x|."""
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x):
    # 1/(1+e) for x >= 0 and e/(1+e) below, e = exp(-|x|), without a select: the numerator
    # exp(min(x, 0)) is 1 or e exactly, so the result is bit-identical to the two-branch form.
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


class BinaryCrossEntropyWithLogitsBackward0(Node):
    __slots__ = ()
    rule = "d/dx = (σ(x) − y)·w (with pos_weight p: ((p·y + 1 − y)·σ(x) − p·y)·w), scaled by the reduction"

    def backward(self, g):
        x, y = self.saved("self"), self.saved("target")
        w = self.saved("weight") if "weight" in self._saved else None
        pw = self.saved("pos_weight") if "pos_weight" in self._saved else None
        shape = x.shape if x.shape == y.shape else np.broadcast_shapes(x.shape, y.shape)
        gs = _grad_scale(g, shape, self.saved("reduction"))
        gx = gt = None
        if self.needs(0):
            s = _sigmoid(x)
            d = (s - y) if pw is None else ((pw * y + 1 - y) * s - pw * y)
            gx = gs * d if w is None else gs * d * w
        if self.needs(1):
            d = -x if pw is None else (pw - 1) * _softplus_neg(x) - x
            gt = gs * d if w is None else gs * d * w
        return gx, gt


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    _check_reduction(reduction)
    x, t = as_tensor(input), as_tensor(target)
    _check_same_size(x, t)
    xa, ta = x._array, t._array.astype(x._array.dtype, copy=False)
    w = as_tensor(weight) if weight is not None else None
    pw = as_tensor(pos_weight) if pos_weight is not None else None
    if pw is None:
        loss = (1 - ta) * xa + _softplus_neg(xa)
    else:
        loss = (1 - ta) * xa + (1 + (pw._array - 1) * ta) * _softplus_neg(xa)
    if w is not None:
        loss = loss * w._array
    out = _reduce(loss.astype(xa.dtype, copy=False), reduction)
    return record(BinaryCrossEntropyWithLogitsBackward0, out, (x, t), self=x, target=t,
                  weight=w, pos_weight=pw, reduction=reduction)


class BinaryCrossEntropyBackward0(Node):
    __slots__ = ()
    rule = "d/dp = (p − y) / (p·(1 − p)), scaled by the reduction"

    def backward(self, g):
        p, y = self.saved("self"), self.saved("target")
        w = self.saved("weight") if "weight" in self._saved else None
        gs = _grad_scale(g, p.shape, self.saved("reduction"))
        gp = gt = None
        if self.needs(0):
            gp = gs * (p - y) / np.maximum((1 - p) * p, 1e-12)
            if w is not None:
                gp = gp * w
        if self.needs(1):
            gt = gs * (np.maximum(np.log1p(-p), -100) - np.maximum(np.log(p), -100))
            if w is not None:
                gt = gt * w
        return gp, gt


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    _check_reduction(reduction)
    p, t = as_tensor(input), as_tensor(target)
    if p._array.shape != t._array.shape:
        raise ValueError(
            f"Using a target size ({_size(t)}) that is different to the input size ({_size(p)}) "
            "is deprecated. Please ensure they have the same size.")
    pa, ta = p._array, t._array.astype(p._array.dtype, copy=False)
    if np.any((pa < 0) | (pa > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        # PyTorch clamps each log at -100 so that a confident wrong answer stays finite.
        loss = -(ta * np.maximum(np.log(pa), -100) + (1 - ta) * np.maximum(np.log1p(-pa), -100))
    w = as_tensor(weight) if weight is not None else None
    if w is not None:
        loss = loss * w._array
    out = _reduce(loss.astype(pa.dtype, copy=False), reduction)
    return record(BinaryCrossEntropyBackward0, out, (p, t), self=p, target=t, weight=w,
                  reduction=reduction)


class MseLossBackward0(Node):
    __slots__ = ()
    rule = "d/da = 2(a − b), d/db = −2(a − b), scaled by the reduction"

    def backward(self, g):
        a, b = self.saved("self"), self.saved("target")
        diff = a - b
        gs = _grad_scale(g, diff.shape, self.saved("reduction"))
        ga = 2 * gs * diff
        return (ga if self.needs(0) else None), (-ga if self.needs(1) else None)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _check_reduction(reduction)
    a, b = as_tensor(input), as_tensor(target)
    if a._array.shape != b._array.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({_size(b)}) that is different to the input size ({_size(a)}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they "
            "have the same size.", UserWarning, stacklevel=2)
    from .base import check_broadcast

    check_broadcast(a._array, b._array)
    diff = a._array - b._array
    out = _reduce(diff * diff, reduction)
    return record(MseLossBackward0, out, (a, b), self=a, target=b, reduction=reduction)


class NllLossBackward0(Node):
    __slots__ = ()
    rule = "d/dx[n, yₙ] = −w[yₙ] (divided by Σw for the mean), 0 elsewhere"

    def backward(self, g):
        x_shape, target = self.saved("self_sym_sizes"), self.saved("target")
        w, ignore = self._saved.get("weight_array"), self.saved("ignore_index")
        reduction, total = self.saved("reduction"), self.saved("total_weight")
        out = np.zeros(x_shape, dtype=g.dtype)
        batched = len(x_shape) >= 2
        tgt = target if batched else target.reshape(1)
        valid = tgt != ignore
        safe = np.where(valid, tgt, 0)
        wn = (w[safe] if w is not None else np.ones(tgt.shape, dtype=g.dtype)) * valid
        if reduction == "none":
            coef = -g.reshape(tgt.shape) * wn
        else:
            # All targets ignored: the mean is 0/0 = nan, but no element gets a gradient.
            coef = -g * wn / (total if reduction == "mean" and total != 0 else 1)
        view = out if batched else out.reshape((1,) + tuple(x_shape))
        # Put coef at [n, target[n], ...] for every n (and every spatial position).
        np.put_along_axis(view, np.expand_dims(safe, 1), np.expand_dims(coef.astype(g.dtype), 1), axis=1)
        return (out,)


class NllLoss2DBackward0(NllLossBackward0):
    """nll_loss over (N, C, H, W) inputs (the backward is the same, over spatial positions)."""

    __slots__ = ()


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    _check_reduction(reduction)
    x, t = as_tensor(input), as_tensor(target)
    xa, ta = x._array, t._array
    if (xa.ndim == 3 or xa.ndim > 4) and ta.dtype.kind in "iu" and ta.ndim == xa.ndim - 1 \
            and ta.shape[0] == xa.shape[0] and xa.size:
        # PyTorch folds the spatial dims into one and runs the 2-D kernel on views.
        from ..tensor import Tensor
        from .shape import reshape

        n, c = xa.shape[:2]
        out = nll_loss(reshape(x, (n, c, 1, -1)), Tensor._make(ta.reshape(n, 1, -1)), weight,
                       ignore_index=ignore_index, reduction=reduction)
        return reshape(out, ta.shape) if reduction == "none" else out
    if ta.dtype.kind not in "iu":
        from ..dtypes import scalar_type_name

        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {scalar_type_name(ta.dtype)}")
    batched = xa.ndim >= 2
    if batched and ta.shape[0] != xa.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({xa.shape[0]}) to match target batch_size ({ta.shape[0]}).")
    n_classes = xa.shape[1] if batched else xa.shape[0]
    tgt = ta if batched else ta.reshape(1)
    valid = tgt != ignore_index
    if np.any(valid & ((tgt < 0) | (tgt >= n_classes))):
        bad = int(tgt[valid & ((tgt < 0) | (tgt >= n_classes))].flat[0])
        raise IndexError(f"Target {bad} is out of bounds.")
    safe = np.where(valid, tgt, 0)
    xv = xa if batched else xa.reshape((1,) + xa.shape)
    picked = np.squeeze(np.take_along_axis(xv, np.expand_dims(safe, 1), axis=1), 1)
    wa = as_tensor(weight)._array.astype(xa.dtype) if weight is not None else None
    wn = (wa[safe] if wa is not None else np.ones(tgt.shape, dtype=xa.dtype)) * valid
    losses = -picked * wn
    total = wn.sum(dtype=xa.dtype)
    if reduction == "none":
        out = losses if batched else losses.reshape(())
    elif reduction == "sum":
        out = np.asarray(losses.sum(dtype=xa.dtype))
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.asarray(losses.sum(dtype=xa.dtype) / total).astype(xa.dtype)
    return record(NllLoss2DBackward0 if xa.ndim == 4 else NllLossBackward0, out, (x,), self_sym_sizes=xa.shape, target=ta,
                  weight_array=wa, ignore_index=ignore_index, reduction=reduction,
                  total_weight=total)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    from .activation import log_softmax

    x, t = as_tensor(input), as_tensor(target)
    class_dim = 1 if x._array.ndim >= 2 else 0
    logp = log_softmax(x, class_dim)
    if t._array.dtype.kind == "f":
        # Class probabilities as targets: -(p · log q) summed over classes.
        from .elementwise import neg
        from .reduction import sum as sum_

        _check_reduction(reduction)
        if weight is not None:
            raise NotImplementedError("cross_entropy with probability targets and weight")
        # Recorded as PyTorch records it: -(logp * t).sum(...), the mean dividing by a number.
        prod = logp * t
        if reduction == "none":
            return neg(sum_(prod, class_dim))
        total = neg(sum_(prod))
        if reduction == "sum":
            return total
        from .elementwise import div_scalar

        return div_scalar(total, x._array.size / x._array.shape[class_dim])
    if label_smoothing:
        raise NotImplementedError("cross_entropy with label_smoothing is not supported")
    return nll_loss(logp, t, weight=weight, ignore_index=ignore_index, reduction=reduction)
