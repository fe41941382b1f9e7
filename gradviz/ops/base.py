"""How an op records itself: the one place where forward results become graph nodes.

Every op follows the same shape: compute the result on numpy arrays, then ``record`` it with
its backward node class, its inputs (None for an operand that is a plain number) and what the
backward needs saved. Recording happens only when grad mode is on and an input requires grad.
"""
from __future__ import annotations

import weakref

import numpy as np

from ..autograd import scope as _scopes
from ..autograd.grad_mode import _state, is_grad_enabled
from ..autograd.node import Node, SavedTensor, _sequence
from ..dtypes import result_type

# Marks "save the op's own result" in ``record(..., name=OUTPUT)``.
OUTPUT = object()


def record(node_cls, out_array: np.ndarray, inputs: tuple, **saved):
    """Wrap ``out_array`` in a Tensor and, when needed, attach a ``node_cls`` grad_fn."""
    Tensor = _Tensor or _load_tensor()
    # Tensor._make and Node.__init__ inlined (they must stay in step with those two): this
    # runs for every op, and the two calls cost as much as the attribute stores themselves.
    out = _new_object(Tensor)
    out._array = out_array
    out._requires_grad = False
    out._grad = None
    out.grad_fn = None
    out._version_counter = [0]
    out._hooks = None
    out._acc = None
    out._base = None
    out._retains_grad = False
    out._recipe = None
    if not _state.enabled:
        return out
    for t in inputs:
        if t is not None and t._requires_grad:
            break
    else:
        return out
    node = _new_object(node_cls)
    node._seq = next(_sequence)
    node._saved = None
    node._freed = False
    node._pre_hooks = None
    node._retains = None
    node._scope = _scopes.current
    # Edges and input metadata in one plain loop: this runs for every recorded op (a loop of
    # appends beats two list comprehensions on Python 3.11 for one to three inputs).
    edges = []
    meta = []
    for t in inputs:
        if t is None:
            edges.append(_NO_EDGE)
            meta.append(None)
            continue
        if not t._requires_grad:
            edges.append(_NO_EDGE)
        elif t.grad_fn is not None:
            edges.append((t.grad_fn, 0))
        else:
            edges.append((t._accumulator(), 0))
        a = t._array
        meta.append((a.shape, a.dtype))
    node.next_functions = tuple(edges)
    # The input tensors themselves, so a graph export can show constant inputs (which have no
    # edge in next_functions) and so that the graph keeps its inputs alive.
    node._inputs = inputs
    node._input_meta = tuple(meta)
    store = {}
    for name, value in saved.items():
        if value is OUTPUT:
            store[name] = SavedTensor(out)
        elif isinstance(value, Tensor):
            store[name] = SavedTensor(value)
        elif value is not None:
            store[name] = value
    node._saved = store
    node._out_ref = weakref.ref(out)
    node._out_array = out_array
    out._requires_grad = True
    out.grad_fn = node
    return out


_Tensor = None


def _load_tensor():
    # gradviz.tensor imports this module, so Tensor is looked up once, on first use (an import
    # statement inside record() costs as much as the rest of it).
    global _Tensor
    from ..tensor import Tensor

    _Tensor = Tensor
    return Tensor


_grad_enabled = is_grad_enabled
_new_object = object.__new__

_NO_EDGE = (None, 0)


def _edge(t):
    if t is None or not t._requires_grad:
        return _NO_EDGE
    fn = t.grad_fn
    if fn is not None:
        return (fn, 0)
    return (t._accumulator(), 0)


def as_tensor(x):
    """Tensors pass through; numbers and arrays become constant tensors."""
    if isinstance(x, _Tensor or _load_tensor()):
        return x
    from ..tensor import tensor

    return tensor(x)


def binary_operands(a, b):
    """Two operands as arrays of their common (PyTorch-promoted) dtype, and each as a Tensor,
    or None where it was a plain Python number (so it gets no edge in the graph)."""
    from ..tensor import Tensor

    a_is_t, b_is_t = isinstance(a, Tensor), isinstance(b, Tensor)
    if a_is_t and b_is_t:
        aa, ba = a._array, b._array
        if aa.dtype == ba.dtype:
            return a, b, aa, ba
        dt = result_type(a, b)
        return a, b, aa.astype(dt, copy=False), ba.astype(dt, copy=False)
    dt = result_type(a, b)
    if a_is_t:
        ta, tb = a, (None if _is_number(b) else as_tensor(b))
    else:
        ta, tb = (None if _is_number(a) else as_tensor(a)), b
    aa = a._array if ta is not None and a_is_t else np.asarray(a if ta is None else ta._array)
    ba = b._array if tb is not None and b_is_t else np.asarray(b if tb is None else tb._array)
    return ta, tb, aa.astype(dt, copy=False), ba.astype(dt, copy=False)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, bool, np.number, np.bool_))


def check_broadcast(a: np.ndarray, b: np.ndarray) -> None:
    """PyTorch's wording for shapes that do not broadcast."""
    sa, sb = a.shape, b.shape
    n = max(len(sa), len(sb))
    for i in range(1, n + 1):
        da = sa[-i] if i <= len(sa) else 1
        db = sb[-i] if i <= len(sb) else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                f"non-singleton dimension {n - i}")


def normalize_dim(dim: int, ndim: int) -> int:
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not lo <= dim <= hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % max(ndim, 1)


def normalize_dims(dim, ndim: int) -> tuple:
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        return tuple(sorted(normalize_dim(d, ndim) for d in dim))
    return (normalize_dim(dim, ndim),)


# --- recipes: how each tensor was computed, so a graph can be run forward again -------------
class _InplaceRecipe:
    def __repr__(self) -> str:
        return "<in-place>"


INPLACE_RECIPE = _InplaceRecipe()


def replayable(fn):
    """Wrap a public op so that each tensor it returns remembers ``(op, args, kwargs,
    grad_enabled, index)``. ``gradviz.graph.replay`` re-runs these recipes with new input values.

    Composite ops (matmul, linear, ...) call other wrapped ops; the innermost call that produced a
    tensor wins, because its recipe is set first."""
    from ..tensor import Tensor

    def op(*args, **kwargs):
        out = fn(*args, **kwargs)
        if type(out) is Tensor:
            # (_is_arg inlined: this wrapper runs around every public op call)
            if out._recipe is None:
                for a in args:
                    if a is out:
                        break
                else:
                    out._recipe = (op, args, kwargs, _grad_enabled(), None)
        elif isinstance(out, Tensor):
            if out._recipe is None and not _is_arg(out, args):
                out._recipe = (op, args, kwargs, _grad_enabled(), None)
        elif isinstance(out, tuple):
            for i, item in enumerate(out):
                if isinstance(item, Tensor) and item._recipe is None and not _is_arg(item, args):
                    item._recipe = (op, args, kwargs, _grad_enabled(), i)
        return out

    op.__name__ = fn.__name__
    op.__qualname__ = fn.__qualname__
    op.__doc__ = fn.__doc__
    op.__wrapped__ = fn
    return op


def _is_arg(out, args) -> bool:
    for a in args:
        if a is out:
            return True
    return False
