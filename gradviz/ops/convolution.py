"""Convolution (``conv1d``/``conv2d``/``conv3d``, one ConvolutionBackward0 node with edges to
input, weight and bias), with stride, zero padding (numbers or 'valid'/'same'), dilation and
groups, as PyTorch computes cross-correlation.

The forward gathers every receptive field as a strided view of the padded input (no copy),
then contracts it with the weight per group; the backward scatters the input's gradient back
one kernel offset at a time."""
from __future__ import annotations

import itertools

import numpy as np

from ..autograd.node import Node
from .base import record


def _tuple(value, n: int, name: str) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values "
                               f"to match the convolution dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _windows(xp: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """(N, C, *out, *kernel) view of every receptive field of the padded input ``xp``."""
    n = len(kernel)
    extent = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    win = np.lib.stride_tricks.sliding_window_view(xp, extent, axis=tuple(range(2, 2 + n)))
    index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride) \
        + tuple(slice(None, None, d) for d in dilation)
    return win[index]


def _letters(n: int):
    return "".join("pqrs"[:n]), "".join("klmj"[:n])


class ConvolutionBackward0(Node):
    __slots__ = ()
    rule = ("dinput: each output position's gradient, times the kernel, added back over the "
            "receptive field it came from; dweight: Σ gradient × receptive field; dbias: Σ gradient")

    def backward(self, g):
        x_shape, w = self.saved("input_sizes"), self.saved("weight_array")
        stride, padding, dilation = self.saved("stride"), self.saved("padding"), self.saved("dilation")
        groups = self.saved("groups")
        n = len(stride)
        out_l, k_l = _letters(n)
        N, C = x_shape[0], x_shape[1]
        O = w.shape[0]
        G = groups
        gg = g.reshape((N, G, O // G) + g.shape[2:])
        gx = gw = gb = None
        if self.needs(1):
            win = _windows(self.saved("padded_input"), w.shape[2:], stride, dilation)
            win = win.reshape((N, G, C // G) + win.shape[2:])
            gw = np.einsum(f"ngo{out_l},ngc{out_l}{k_l}->goc{k_l}", gg, win, optimize=True)
            gw = gw.reshape(w.shape)
        if self.needs(2):
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        if self.needs(0):
            padded_shape = (N, C) + tuple(s + 2 * p for s, p in zip(x_shape[2:], padding))
            gxp = np.zeros(padded_shape, dtype=g.dtype)
            gxp_g = gxp.reshape((N, G, C // G) + padded_shape[2:])
            wg = w.reshape((G, O // G, C // G) + w.shape[2:])
            out_sizes = g.shape[2:]
            for offset in itertools.product(*(range(k) for k in w.shape[2:])):
                contrib = np.einsum(f"ngo{out_l},goc->ngc{out_l}", gg,
                                    wg[(Ellipsis,) + offset], optimize=True)
                index = (slice(None), slice(None), slice(None)) + tuple(
                    slice(o * d, o * d + s * (m - 1) + 1, s)
                    for o, d, s, m in zip(offset, dilation, stride, out_sizes))
                gxp_g[index] += contrib
            crop = (slice(None), slice(None)) + tuple(
                slice(p, p + s) for p, s in zip(padding, x_shape[2:]))
            gx = gxp[crop]
        return gx, gw, gb


def _conv(input, weight, bias, stride, padding, dilation, groups, n: int):
    x, w = input._array, weight._array
    if x.ndim != n + 2:
        if x.ndim == n + 1:
            # An unbatched input: PyTorch adds the batch dim around the same kernel.
            from .shape import squeeze, unsqueeze

            return squeeze(_conv(unsqueeze(input, 0), weight, bias, stride, padding, dilation,
                                 groups, n), 0)
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to conv{n}d, "
                           f"but got input of size: [{', '.join(map(str, x.shape))}]")
    stride = _tuple(stride, n, "stride")
    dilation = _tuple(dilation, n, "dilation")
    kernel = w.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * n
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            if any(t % 2 for t in total):
                raise NotImplementedError("padding='same' with an odd total padding (an even kernel) "
                                          "is not supported by gradviz")
            padding = tuple(t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _tuple(padding, n, "padding")
    C = x.shape[1]
    if C != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size [{', '.join(map(str, w.shape))}], expected "
            f"input[{', '.join(map(str, x.shape))}] to have {w.shape[1] * groups} channels, but got "
            f"{C} channels instead")
    padded = tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))
    extent = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    if any(e > s for e, s in zip(extent, padded)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
            f"size: ({' x '.join(map(str, extent))}). Kernel size can't be greater than actual input size")
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding)) if any(padding) else x
    win = _windows(xp, kernel, stride, dilation)
    N, O, G = x.shape[0], w.shape[0], groups
    out_l, k_l = _letters(n)
    win_g = win.reshape((N, G, C // G) + win.shape[2:])
    w_g = w.reshape((G, O // G, C // G) + kernel)
    out = np.einsum(f"ngc{out_l}{k_l},goc{k_l}->ngo{out_l}", win_g, w_g, optimize=True)
    out = out.reshape((N, O) + out.shape[3:])
    if bias is not None:
        out = out + bias._array.reshape((1, O) + (1,) * n)
    out = np.ascontiguousarray(out, dtype=np.result_type(x.dtype, w.dtype))
    return record(ConvolutionBackward0, out, (input, weight, bias), input_sizes=x.shape,
                  weight_array=w, padded_input=xp, stride=stride, padding=padding,
                  dilation=dilation, groups=groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)
