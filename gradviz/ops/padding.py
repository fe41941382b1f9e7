"""``pad``: constant padding (ConstantPadNdBackward0, negative amounts crop) and the
reflect/replicate modes (ReflectionPad{1,2,3}DBackward0, ReplicationPad{1,2,3}DBackward0)."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import record


class ConstantPadNdBackward0(Node):
    __slots__ = ()
    rule = "d pad(a)/da: the gradient of the padded region is dropped (cropped back to a's shape)"

    def backward(self, g):
        pads = self.saved("pad")
        index = [slice(None)] * g.ndim
        grad_in = np.zeros(self.saved("self_sizes"), dtype=g.dtype)
        src, dst = list(index), list(index)
        for i in range(len(pads) // 2):
            dim = g.ndim - 1 - i
            before = pads[2 * i]
            n_in = grad_in.shape[dim]
            # Output position j holds input position j - before.
            lo, hi = max(0, -before), min(n_in, g.shape[dim] - before)
            dst[dim] = slice(lo, max(lo, hi))
            src[dim] = slice(lo + before, max(lo, hi) + before)
        grad_in[tuple(dst)] = g[tuple(src)]
        return (grad_in,)


class _IndexPadBackward(Node):
    """Reflect and replicate padding gather input positions; backward scatters them back."""

    __slots__ = ()
    rule = "each padded element copies an input element; its gradient is added back there"

    def backward(self, g):
        grad_in = g
        for dim, idx, n in self.saved("maps"):
            moved = np.moveaxis(grad_in, dim, 0)
            acc = np.zeros((n,) + moved.shape[1:], dtype=g.dtype)
            np.add.at(acc, idx, moved)
            grad_in = np.moveaxis(acc, 0, dim)
        return (grad_in,)


def _named(prefix: str, k: int):
    return type(f"{prefix}{k}DBackward0", (_IndexPadBackward,), {"__slots__": ()})


_REFLECT = {k: _named("ReflectionPad", k) for k in (1, 2, 3)}
_REPLICATE = {k: _named("ReplicationPad", k) for k in (1, 2, 3)}


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (before, after) amounts from the last
    dim backwards, as ``torch.nn.functional.pad``."""
    x = input._array
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but got "
            f"padding length {len(pad)} and input of dimension {x.ndim}")
    if mode == "constant":
        fill = 0 if value is None else value
        shape = list(x.shape)
        for i in range(len(pad) // 2):
            dim = x.ndim - 1 - i
            shape[dim] += pad[2 * i] + pad[2 * i + 1]
            if shape[dim] < 0:
                raise RuntimeError(
                    f"The input size {x.shape[dim]}, plus negative padding {pad[2 * i]} and "
                    f"{pad[2 * i + 1]} resulted in a negative output size, which is invalid. "
                    f"Check dimension {dim} of your input.")
        out = np.full(shape, fill, dtype=x.dtype)
        src, dst = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for i in range(len(pad) // 2):
            dim = x.ndim - 1 - i
            before = pad[2 * i]
            lo, hi = max(0, -before), min(x.shape[dim], shape[dim] - before)
            src[dim] = slice(lo, max(lo, hi))
            dst[dim] = slice(lo + before, max(lo, hi) + before)
        out[tuple(dst)] = x[tuple(src)]
        return record(ConstantPadNdBackward0, out, (input,), pad=pad, self_sizes=x.shape)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    k = len(pad) // 2
    if mode not in ("reflect", "replicate") or k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        if mode in ("reflect", "replicate", "circular"):
            raise NotImplementedError(
                f"gradviz pads with mode '{mode}' only {k + 1}D or {k + 2}D inputs for a "
                f"{len(pad)}-element pad (circular padding is not supported)")
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    maps = []
    out = x
    for i in range(k):
        dim = x.ndim - 1 - i
        n, before, after = x.shape[dim], pad[2 * i], pad[2 * i + 1]
        positions = np.arange(-before, n + after)
        if mode == "reflect":
            if before >= n or after >= n:
                raise RuntimeError(
                    f"Argument #4: Padding size should be less than the corresponding input "
                    f"dimension, but got: padding ({before}, {after}) at dimension {dim} of input "
                    f"[{', '.join(map(str, x.shape))}]")
            idx = np.abs(positions)
            idx = np.where(idx > n - 1, 2 * (n - 1) - idx, idx)
        else:
            idx = np.clip(positions, 0, n - 1)
        out = np.take(out, idx, axis=dim)
        maps.append((dim, idx, n))
    cls = (_REFLECT if mode == "reflect" else _REPLICATE)[k]
    return record(cls, np.ascontiguousarray(out), (input,), maps=tuple(reversed(maps)))
