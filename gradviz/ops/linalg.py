"""Matrix products. ``matmul`` is decomposed the way PyTorch decomposes it (unsqueeze -> mm ->
squeeze for a vector times a matrix, view -> mm -> view for a batch times a matrix, expand ->
view -> bmm -> view for batches), so that ``grad_fn.next_functions`` shows the same nodes."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import record
from .shape import SqueezeBackward4, expand, reshape, squeeze, unsqueeze, view

_C_NAMES = {"float32": "float", "float64": "double", "int64": "long", "int32": "int",
            "float16": "c10::Half", "bool": "bool", "int16": "short", "int8": "signed char",
            "uint8": "unsigned char"}


def _same_dtype(a, b, m1="m1", m2="m2"):
    da, db = a._array.dtype, b._array.dtype
    if da != db:
        raise RuntimeError(f"expected {m1} and {m2} to have the same dtype, but got: "
                           f"{_C_NAMES.get(da.name, da.name)} != {_C_NAMES.get(db.name, db.name)}")


class MmBackward0(Node):
    __slots__ = ()
    rule = "d(A@B)/dA = G@Bᵀ, d(A@B)/dB = Aᵀ@G"

    def backward(self, g):
        ga = g @ self.saved("mat2").T if self.needs(0) else None
        gb = self.saved("self").T @ g if self.needs(1) else None
        return ga, gb


class MvBackward0(Node):
    __slots__ = ()
    rule = "d(A@v)/dA = g⊗v, d(A@v)/dv = Aᵀ@g"

    def backward(self, g):
        ga = np.outer(g, self.saved("vec")) if self.needs(0) else None
        gb = self.saved("self").T @ g if self.needs(1) else None
        return ga, gb


class DotBackward0(Node):
    __slots__ = ()
    rule = "d(u·v)/du = g·v, d(u·v)/dv = g·u"

    def backward(self, g):
        ga = g * self.saved("tensor") if self.needs(0) else None
        gb = g * self.saved("self") if self.needs(1) else None
        return ga, gb


class BmmBackward0(Node):
    __slots__ = ()
    rule = "per batch: d(A@B)/dA = G@Bᵀ, d(A@B)/dB = Aᵀ@G"

    def backward(self, g):
        ga = g @ np.swapaxes(self.saved("mat2"), 1, 2) if self.needs(0) else None
        gb = np.swapaxes(self.saved("self"), 1, 2) @ g if self.needs(1) else None
        return ga, gb


class AddmmBackward0(Node):
    __slots__ = ()
    rule = "d(b + A@B)/db = g (summed over rows), d/dA = G@Bᵀ, d/dB = Aᵀ@G"

    def backward(self, g):
        gs = g if self.needs(0) else None
        ga = g @ self.saved("mat2").T if self.needs(1) else None
        gb = self.saved("mat1").T @ g if self.needs(2) else None
        return gs, ga, gb


def _need(t) -> bool:
    return t._requires_grad


def mm(a, b):
    if a._array.ndim != 2 or b._array.ndim != 2:
        bad = a if a._array.ndim != 2 else b
        raise RuntimeError(f"{'self' if bad is a else 'mat2'} must be a matrix")
    _same_dtype(a, b)
    (n, k), (k2, m) = a._array.shape, b._array.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    out = a._array @ b._array
    return record(MmBackward0, out, (a, b), self=a if _need(b) else None,
                  mat2=b if _need(a) else None)


def mv(a, v):
    _same_dtype(a, v, "mat", "vec")
    if a._array.shape[1] != v._array.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a._array.shape[0]}), mat "
                           f"({a._array.shape[0]}x{a._array.shape[1]}), vec ({v._array.shape[0]})")
    out = a._array @ v._array
    return record(MvBackward0, out, (a, v), self=a if _need(v) else None,
                  vec=v if _need(a) else None)


def dot(a, b):
    _same_dtype(a, b, "self", "tensor")
    na, nb = a._array.shape[0], b._array.shape[0]
    if na != nb:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{na}] and src [{nb}] to have the same "
            f"number of elements, but got {na} and {nb} elements respectively")
    out = np.asarray(a._array @ b._array)
    return record(DotBackward0, out, (a, b), self=a if _need(b) else None,
                  tensor=b if _need(a) else None)


def bmm(a, b):
    _same_dtype(a, b, "self", "mat2")
    sa, sb = a._array.shape, b._array.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
            f"but got: [{sb[0]}, {sb[1]}].")
    out = a._array @ b._array
    return record(BmmBackward0, out, (a, b), self=a if _need(b) else None,
                  mat2=b if _need(a) else None)


def addmm(bias, a, b):
    _same_dtype(a, b, "mat1", "mat2")
    (n, k), (k2, m) = a._array.shape, b._array.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    out = a._array @ b._array
    out += bias._array
    return record(AddmmBackward0, out, (bias, a, b), mat1=a if _need(b) else None,
                  mat2=b if _need(a) else None)




def _unsafe_view(t, shape):
    from .shape import UnsafeViewBackward0

    return record(UnsafeViewBackward0, t._array.reshape(shape), (t,),
                  self_sym_sizes=t._array.shape)


def matmul(a, b):
    from .base import as_tensor

    a, b = as_tensor(a), as_tensor(b)
    da, db = a._array.ndim, b._array.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da == 1 and db == 2:
        return squeeze(mm(unsqueeze(a, 0), b), 0, _cls=SqueezeBackward4)
    if da == 2 and db == 2:
        return mm(a, b)
    if da >= 3 and db <= 2:
        # Fold the batch into the rows: view -> mm (or mv) -> view.
        sa = a._array.shape
        folded = view(a, (-1, sa[-1])) if a._array.flags.c_contiguous else reshape(a, (-1, sa[-1]))
        if db == 1:
            out = mv(folded, b)
            return _unsafe_view(out, sa[:-1])
        out = mm(folded, b)
        return _unsafe_view(out, sa[:-1] + (b._array.shape[-1],))
    # Batched on both sides (or a vector/matrix against a batch): broadcast the batch dims.
    a2 = unsqueeze(a, 0) if da == 1 else a
    b2 = unsqueeze(b, -1) if db == 1 else b
    sa, sb = a2._array.shape, b2._array.shape
    if sa[-1] != sb[-2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{int(np.prod(sa[:-2])) if len(sa) > 2 else 1}, {sa[-1]}] but got: "
            f"[{int(np.prod(sb[:-2])) if len(sb) > 2 else 1}, {sb[-2]}].")
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    ea = expand(a2, batch + sa[-2:])
    eb = expand(b2, batch + sb[-2:])
    nb = int(np.prod(batch)) if batch else 1
    va = reshape(ea, (nb,) + sa[-2:])
    vb = reshape(eb, (nb,) + sb[-2:])
    out = bmm(va, vb)
    shape = batch + (sa[-2], sb[-1])
    out = _unsafe_view(out, shape)
    if da == 1:
        out = squeeze(out, -2, _cls=SqueezeBackward4)
    if db == 1:
        out = squeeze(out, -1, _cls=SqueezeBackward4)
    return out
