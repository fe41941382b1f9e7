"""Matrix products. ``matmul`` is decomposed the way PyTorch decomposes it (unsqueeze -> mm ->
squeeze for a vector times a matrix, view -> mm -> view for a batch times a matrix, expand ->
view -> bmm -> view for batches), so that ``grad_fn.next_functions`` shows the same nodes."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import record
from .shape import SqueezeBackward4, expand, reshape, squeeze, t, unsqueeze, view

_C_NAMES = {"float32": "float", "float64": "double", "int64": "long", "int32": "int",
            "float16": "c10::Half", "bool": "bool", "int16": "short", "int8": "signed char",
            "uint8": "unsigned char"}


def _same_dtype(a, b, m1="m1", m2="m2"):
    da, db = a._array.dtype, b._array.dtype
    if da != db:
        raise RuntimeError(f"expected {m1} and {m2} to have the same dtype, but got: "
                           f"{_C_NAMES.get(da.name, da.name)} != {_C_NAMES.get(db.name, db.name)}")


def _strides(arr: np.ndarray) -> tuple:
    """Strides in elements, as PyTorch's ``_saved_mat2_sym_strides`` gives them."""
    n = arr.itemsize
    st = arr.strides
    if len(st) == 2:  # mm/addmm's matrices, once per op: no generator
        return (st[0] // n, st[1] // n)
    return tuple(s // n for s in st)


def _mat2_grad(mat1: np.ndarray, g: np.ndarray, strides, shape) -> np.ndarray:
    """Aᵀ@G, laid out like mat2. For a column-major mat2 (``weight.t()`` in ``linear``) PyTorch
    computes (Gᵀ@A)ᵀ, so the gradient that TBackward0 hands to the weight is row-major like the
    weight and the leaf keeps it without a copy; here the product is written straight into a
    fresh column-major array (one the engine knows it owns)."""
    if strides is not None and strides[0] == 1 and strides[1] == shape[0] and shape[1] > 1:
        out = np.empty(shape, dtype=np.result_type(mat1.dtype, g.dtype), order="F")
        np.matmul(g.T, mat1, out=out.T)
        return out
    return mat1.T @ g


def _mat1_grad(g: np.ndarray, mat2: np.ndarray) -> np.ndarray:
    """G@Bᵀ. With one output column (a 1-unit last layer) it is an outer product: each entry
    is one product, so broadcasting computes the same numbers ~2.5x faster than matmul's k=1
    path (64x1 by 1x256: ~11 vs ~27 us)."""
    if g.shape[1] == 1 and mat2.shape[1] == 1:
        return g * mat2.T
    return g @ mat2.T


class MmBackward0(Node):
    __slots__ = ()
    rule = "d(A@B)/dA = G@Bᵀ, d(A@B)/dB = Aᵀ@G"

    def backward(self, g):
        ga = _mat1_grad(g, self.saved("mat2")) if self.needs(0) else None
        gb = None
        if self.needs(1):
            gb = _mat2_grad(self.saved("self"), g, self._saved.get("mat2_sym_strides"),
                            self._input_meta[1][0])
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
        ga = _mat1_grad(g, self.saved("mat2")) if self.needs(1) else None
        gb = None
        if self.needs(2):
            gb = _mat2_grad(self.saved("mat1"), g, self._saved.get("mat2_sym_strides"),
                            self._input_meta[2][0])
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
                  mat2=b if _need(a) else None,
                  mat2_sym_strides=_strides(b._array) if _need(b) else None)


def mv(a, v):
    _same_dtype(a, v, "mat", "vec")
    if a._array.shape[1] != v._array.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a._array.shape[0]}), mat "
                           f"({a._array.shape[0]}x{a._array.shape[1]}), vec ({v._array.shape[0]})")
    out = a._array @ v._array
    return record(MvBackward0, out, (a, v), self=a if _need(v) else None,
                  vec=v if _need(a) else None)


def dot(a, b):
    if a._array.ndim != 1 or b._array.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._array.ndim}D and {b._array.ndim}D tensors")
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
    aa, ba = a._array, b._array
    if n < m and n * k * m >= 65536 and ba.flags.f_contiguous and aa.flags.c_contiguous:
        # input @ weight.t() with fewer rows than outputs: OpenBLAS runs (weight @ input.T).T
        # ~20% faster than the same product asked for the other way round (784x256, batch 64:
        # ~245 vs ~300 us); the bias add then writes the result out row-major, as torch's is.
        prod = (ba.T @ aa.T).T
        out = np.add(prod, bias._array, order="C", dtype=prod.dtype)
    else:
        out = aa @ ba
        out += bias._array
    return record(AddmmBackward0, out, (bias, a, b), mat1=a if _need(b) else None,
                  mat2=b if _need(a) else None,
                  mat2_sym_strides=_strides(b._array) if _need(b) else None)




def _unsafe_view(t, shape):
    from .shape import UnsafeViewBackward0

    return record(UnsafeViewBackward0, t._array.reshape(shape), (t,),
                  self_sym_sizes=t._array.shape)


def _should_fold(a, b) -> bool:
    """PyTorch's ``should_fold``: whether a >=3-D by <=2-D product (either way round) is
    computed by folding the batch into mm/mv rather than by bmm."""
    a_larger = a._array.ndim >= b._array.ndim
    t1 = a._array if a_larger else np.swapaxes(b._array, -1, -2)
    dim_t2 = b._array.ndim if a_larger else a._array.ndim
    if not (t1.ndim >= 3 and dim_t2 <= 2):
        return False
    if (b if a_larger else a)._requires_grad:
        return True
    if a._array.ndim == 2:
        return False
    if t1.size == 0:
        return True
    st, sh = t1.strides, t1.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(t1.ndim - 2))


def matmul(a, b):
    from .base import as_tensor
    from .shape import SqueezeBackward1, transpose

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
    if _should_fold(a, b):
        # Fold the batch of the larger operand into the rows: (view ->) mm/mv -> view; for a
        # batch on the right, compute (b^T @ a^T)^T, as PyTorch does.
        swap = db > da
        t1 = transpose(b, -1, -2) if swap else a
        t2 = (t(a) if da == 2 else a) if swap else b
        s1 = t1._array.shape
        out_shape = s1[:-1]
        folded = reshape(t1, (int(np.prod(out_shape)), s1[-1]))
        if t2._array.ndim == 2:
            out = _unsafe_view(mm(folded, t2), out_shape + (t2._array.shape[1],))
            return transpose(out, -1, -2).contiguous() if swap else out
        return _unsafe_view(mv(folded, t2), out_shape)
    # Batched on both sides: broadcast the batch dims, expand -> reshape -> bmm -> view.
    sa, sb = a._array.shape, b._array.shape
    n = sa[-2] if da > 1 else 1
    m1 = sa[-1]
    m2 = sb[-2] if db > 1 else sb[0]
    p = sb[-1] if db > 1 else 1
    ba, bb = sa[:max(da - 2, 0)], sb[:max(db - 2, 0)]
    try:
        batch = np.broadcast_shapes(ba, bb)
    except ValueError:
        from .base import check_broadcast

        check_broadcast(np.empty(ba), np.empty(bb))
        raise
    nb = int(np.prod(batch)) if batch else 1
    if m1 != m2:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {m1}] but "
            f"got: [{nb}, {m2}].")
    ea = reshape(expand(a, batch + (n, m1)), (nb, n, m1))
    vector_rhs = db == 1
    eb = expand(b, batch + ((m2,) if vector_rhs else (m2, p)))
    if vector_rhs:
        eb = unsqueeze(eb, -1)
    eb = reshape(eb, (nb, m2, p))
    shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    out = bmm(ea, eb)
    if vector_rhs:
        out = squeeze(out, -1, _cls=SqueezeBackward1)
    return _unsafe_view(out, shape)
