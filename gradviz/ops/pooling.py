"""Pooling over windows: ``max_pool2d`` (MaxPool2DWithIndicesBackward0: the gradient goes to
each window's maximum, the first one on ties) and ``avg_pool2d`` (AvgPool2DBackward0); the 1-d
forms run the 2-d op between an unsqueeze and a squeeze, as PyTorch does."""
from __future__ import annotations

import itertools

import numpy as np

from ..autograd.node import Node
from .base import record
from .convolution import _tuple, _windows


def _args(kernel_size, stride, padding, dilation=1):
    k = _tuple(kernel_size, 2, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _tuple(stride, 2, "stride")
    return k, s, _tuple(padding, 2, "padding"), _tuple(dilation, 2, "dilation")


def _check(x, k, p, d, ceil_mode, name):
    if ceil_mode:
        raise NotImplementedError(f"{name} with ceil_mode=True is not supported by gradviz")
    if x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")


class MaxPool2DWithIndicesBackward0(Node):
    __slots__ = ()
    rule = "each window passes its gradient to the position of its maximum; other positions get 0"

    def backward(self, g):
        flat_idx, shape = self.saved("flat_indices"), self.saved("self_sizes")
        out = np.zeros(shape, dtype=g.dtype)
        lead = shape[:-2]
        out2 = out.reshape((-1, shape[-2] * shape[-1]))
        g2 = g.reshape((out2.shape[0], -1))
        idx2 = flat_idx.reshape((out2.shape[0], -1))
        rows = np.repeat(np.arange(out2.shape[0]), idx2.shape[1])
        np.add.at(out2, (rows, idx2.reshape(-1)), g2.reshape(-1))
        return (out.reshape(lead + shape[-2:]),)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    x = input._array
    k, s, p, d = _args(kernel_size, stride, padding, dilation)
    _check(x, k, p, d, ceil_mode, "max_pool2d")
    batched = x if x.ndim == 4 else x[None]
    xp = np.pad(batched, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf) \
        if any(p) else batched
    win = _windows(xp, k, s, d)  # (N, C, oh, ow, kh, kw)
    flat = win.reshape(win.shape[:4] + (-1,))
    arg = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0].astype(x.dtype)
    # Where each maximum sits in the (unpadded) input, as a flat index into its H x W plane.
    ki, kj = np.unravel_index(arg, k)
    oh, ow = np.meshgrid(np.arange(out.shape[2]), np.arange(out.shape[3]), indexing="ij")
    rows = oh * s[0] + ki * d[0] - p[0]
    cols = ow * s[1] + kj * d[1] - p[1]
    flat_indices = (rows * x.shape[-1] + cols).astype(np.int64)
    if x.ndim == 3:
        out, flat_indices = out[0], flat_indices[0]
    out = np.ascontiguousarray(out)
    result = record(MaxPool2DWithIndicesBackward0, out, (input,), flat_indices=flat_indices,
                    self_sizes=x.shape)
    if return_indices:
        from ..tensor import Tensor

        return result, Tensor._make(flat_indices)
    return result


class AvgPool2DBackward0(Node):
    __slots__ = ()
    rule = "each window spreads its gradient evenly over its positions (divided by the window size)"

    def backward(self, g):
        shape, k, s, p = self.saved("self_sizes"), self.saved("k"), self.saved("s"), self.saved("p")
        divisor = self.saved("divisor")
        batched = g if g.ndim == 4 else g[None]
        full = (batched.shape[0], batched.shape[1], shape[-2] + 2 * p[0], shape[-1] + 2 * p[1])
        gp = np.zeros(full, dtype=g.dtype)
        share = batched / divisor
        oh, ow = batched.shape[2], batched.shape[3]
        for i, j in itertools.product(range(k[0]), range(k[1])):
            gp[:, :, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]] += share
        gx = gp[:, :, p[0]:p[0] + shape[-2], p[1]:p[1] + shape[-1]]
        return (gx if g.ndim == 4 else gx[0],)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    x = input._array
    k, s, p, _ = _args(kernel_size, stride, padding)
    _check(x, k, p, (1, 1), ceil_mode, "avg_pool2d")
    if not count_include_pad and any(p):
        raise NotImplementedError("avg_pool2d with count_include_pad=False and padding is not supported")
    batched = x if x.ndim == 4 else x[None]
    xp = np.pad(batched, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1]))) if any(p) else batched
    win = _windows(xp, k, s, (1, 1))
    divisor = divisor_override or k[0] * k[1]
    out = (win.sum(axis=(-2, -1)) / x.dtype.type(divisor)).astype(x.dtype)
    if x.ndim == 3:
        out = out[0]
    return record(AvgPool2DBackward0, np.ascontiguousarray(out), (input,), self_sizes=x.shape,
                  k=k, s=s, p=p, divisor=x.dtype.type(divisor))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    from .shape import squeeze, unsqueeze

    if return_indices:
        raise NotImplementedError("max_pool1d with return_indices=True is not supported by gradviz")
    one = lambda v: (1, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
    out = max_pool2d(unsqueeze(input, -2), one(kernel_size),
                     None if stride is None else one(stride), (0, padding if isinstance(padding, int) else padding[0]),
                     one(dilation), ceil_mode)
    return squeeze(out, -2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    from .shape import squeeze, unsqueeze

    one = lambda v: (1, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
    out = avg_pool2d(unsqueeze(input, -2), one(kernel_size), None if stride is None else one(stride),
                     (0, padding if isinstance(padding, int) else padding[0]), ceil_mode,
                     count_include_pad)
    return squeeze(out, -2)
