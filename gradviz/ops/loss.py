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
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
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
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
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
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
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
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
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
    """log_softmax over the class dim, then the negative log-likelihood of class indices, or
    with class-probability targets (a float tensor of the input's shape) −Σ p·log q.
    ``label_smoothing`` ε mixes the target with the uniform distribution."""
    from .activation import log_softmax

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x, t = as_tensor(input), as_tensor(target)
    class_dim = 1 if x._array.ndim >= 2 else 0
    n_classes = x._array.shape[class_dim]
    logp = log_softmax(x, class_dim)
    if t._array.dtype.kind == "f":
        # Class probabilities as targets: -(p · log q) summed over classes.
        from .elementwise import neg
        from .reduction import sum as sum_

        if t._array.shape != x._array.shape:
            raise RuntimeError(
                f"Expected target size {_list(x._array.shape)}, got {_list(t._array.shape)}")
        if label_smoothing > 0:
            ta = t._array
            t = type(t)._make((ta * ta.dtype.type(1 - label_smoothing)
                               + ta.dtype.type(label_smoothing / n_classes)).astype(ta.dtype))
        # Recorded as PyTorch records it: -(logp * t).sum(...), the mean dividing by a number.
        if weight is not None:
            from .shape import reshape

            w = as_tensor(weight)
            shape = [1] * x._array.ndim
            shape[class_dim] = n_classes
            prod = logp * t * reshape(w, tuple(shape))
        else:
            prod = logp * t
        if reduction == "none":
            return neg(sum_(prod, class_dim))
        total = neg(sum_(prod))
        if reduction == "sum":
            return total
        from .elementwise import div_scalar

        return div_scalar(total, x._array.size / n_classes)
    if label_smoothing > 0:
        return _cross_entropy_smoothed(logp, t, class_dim, n_classes, weight, ignore_index,
                                       reduction, label_smoothing)
    return nll_loss(logp, t, weight=weight, ignore_index=ignore_index, reduction=reduction)


def _list(shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


# --- legacy size_average / reduce ----------------------------------------------------------
def legacy_reduction(size_average, reduce, emit_warning: bool = True) -> str:
    """The ``reduction`` that PyTorch's deprecated ``size_average``/``reduce`` pair means
    (each None counting as True), with PyTorch's deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        import warnings

        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' "
                      "instead.", UserWarning, stacklevel=3)
    return ret


def _broadcast_pair(input, target, name):
    """Both operands at their common shape (PyTorch's broadcast_tensors, with its warning for
    losses whose target has another size)."""
    from .base import check_broadcast
    from .shape import expand

    a, b = as_tensor(input), as_tensor(target)
    if a._array.shape != b._array.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({_size(b)}) that is different to the input size ({_size(a)}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure they "
            "have the same size.", UserWarning, stacklevel=3)
        check_broadcast(a._array, b._array)
        shape = np.broadcast_shapes(a._array.shape, b._array.shape)
        if a._array.shape != shape:
            a = expand(a, *shape)
        if b._array.shape != shape:
            b = expand(b, *shape)
    return a, b


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean (or sum) of |input − target|, recorded as PyTorch records it: SubBackward0,
    AbsBackward0, then MeanBackward0/SumBackward0."""
    from .elementwise import abs as abs_, sub
    from .reduction import mean, sum as sum_

    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    if weight is not None:
        raise NotImplementedError("l1_loss with weight is not supported")
    a, b = _broadcast_pair(input, target, "l1_loss")
    loss = abs_(sub(a, b))
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum_(loss)
    return loss


class SmoothL1LossBackward0(Node):
    __slots__ = ()
    rule = "d/da = (a − b)/β where |a − b| < β, else sign(a − b); d/db = −d/da; scaled by the reduction"

    def backward(self, g):
        d = self.saved("self") - self.saved("target")
        beta = self.saved("beta")
        gs = _grad_scale(g, d.shape, self.saved("reduction"))
        local = np.where(d < -beta, -1, np.where(d > beta, 1, d / beta)).astype(d.dtype)
        ga = gs * local
        return (ga if self.needs(0) else None), (-ga if self.needs(1) else None)


class HuberLossBackward0(Node):
    __slots__ = ()
    rule = "d/da = a − b clipped to [−δ, δ]; d/db = −d/da; scaled by the reduction"

    def backward(self, g):
        d = self.saved("self") - self.saved("target")
        delta = self.saved("delta")
        gs = _grad_scale(g, d.shape, self.saved("reduction"))
        ga = gs * np.clip(d, -delta, delta)
        return (ga if self.needs(0) else None), (-ga if self.needs(1) else None)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta: float = 1.0):
    """½(a − b)²/β where |a − b| < β, else |a − b| − ½β; with β = 0 it is the L1 loss."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    a, b = _broadcast_pair(input, target, "smooth_l1_loss")
    d = a._array - b._array
    ad = np.abs(d)
    loss = np.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta).astype(d.dtype, copy=False)
    return record(SmoothL1LossBackward0, _reduce(loss, reduction), (a, b), self=a, target=b,
                  beta=beta, reduction=reduction)


def huber_loss(input, target, reduction="mean", delta: float = 1.0, weight=None):
    """½(a − b)² where |a − b| < δ, else δ(|a − b| − ½δ)."""
    _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        raise NotImplementedError("huber_loss with weight is not supported")
    a, b = _broadcast_pair(input, target, "huber_loss")
    d = a._array - b._array
    ad = np.abs(d)
    loss = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta)).astype(d.dtype, copy=False)
    return record(HuberLossBackward0, _reduce(loss, reduction), (a, b), self=a, target=b,
                  delta=delta, reduction=reduction)


# --- cross entropy with label smoothing over class indices ------------------------------------
class MaskedFillBackward0(Node):
    __slots__ = ()
    rule = "d/da = g where the mask is False, 0 where it is True"

    def backward(self, g):
        return (np.where(self.saved("mask"), np.zeros((), dtype=g.dtype), g),)


class MulBackward1(Node):
    __slots__ = ()
    rule = "d(a·c)/da = c (c a number)"

    def backward(self, g):
        return (g * self.saved("other"),)


def _scale(t, c: float):
    """``t * c`` for a Python number c, recorded as ATen's mul(Tensor, Scalar)."""
    a = t._array
    return record(MulBackward1, (a * a.dtype.type(c)).astype(a.dtype, copy=False), (t,),
                  other=a.dtype.type(c))


def _masked_fill_zero(t, mask):
    """``t.masked_fill(mask, 0.0)``, recorded as ATen's masked_fill."""
    a = t._array
    return record(MaskedFillBackward0, np.where(mask, np.zeros((), a.dtype), a), (t,), mask=mask)


def _cross_entropy_smoothed(logp, target, class_dim, n_classes, weight, ignore_index,
                            reduction, label_smoothing):
    """PyTorch's cross_entropy_loss_label_smoothing: (1 − ε)·nll + ε/C · (the smooth loss)."""
    from ..tensor import Tensor
    from .elementwise import add, div, mul, neg
    from .reduction import sum as sum_

    nll = nll_loss(logp, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    ta = target._array
    ignore = ta == ignore_index
    if weight is not None:
        w = as_tensor(weight)
        shape = [1] * logp._array.ndim
        shape[class_dim] = w._array.shape[0]
        from .shape import reshape

        smooth = neg(sum_(mul(logp, reshape(w, tuple(shape))), class_dim))
    else:
        smooth = neg(sum_(logp, class_dim))
    smooth = _masked_fill_zero(smooth, ignore)
    if reduction == "mean":
        if weight is not None:
            wa = as_tensor(weight)._array
            denom = Tensor._make(np.asarray(wa[ta[~ignore]].sum(dtype=wa.dtype)))
        else:
            denom = Tensor._make(np.asarray((~ignore).sum(), dtype=np.int64))
        ret = div(sum_(smooth), denom)
    elif reduction == "sum":
        ret = sum_(smooth)
    else:
        ret = smooth
    return add(_scale(nll, 1 - label_smoothing), _scale(ret, label_smoothing / n_classes))
