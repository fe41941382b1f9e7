"""In-place changes to tensors that take part in a graph, as PyTorch records them.

An in-place op on a tensor is run on a snapshot of the old value and the tensor takes over the
op's grad_fn. An in-place op on a *view* (``x[0].add_(v)``, ``x[0] = v``, ``x.t()[1] = 0``)
changes its base too, so the base's grad_fn becomes ``CopySlices``: it wraps the op's node,
sends the gradient of the written region through it and the rest of the gradient unchanged to
the base's old grad_fn. Every view of that base then sees a new version of the data and gets
``AsStridedBackward0`` (a gradient placed back where the view's elements live in the base).

All views share one version counter with their base, so a saved tensor changed through any of
them is detected at backward with PyTorch's error.
"""
from __future__ import annotations

import numbers
import weakref

import numpy as np

from .. import dtypes as _dt
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..autograd.node import Node, SavedTensor
from .base import INPLACE_RECIPE, as_tensor, record

LEAF_INPLACE_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
NO_GRAD_VIEW_MESSAGE = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. "
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your "
    "code by moving both the view and the inplace either both inside the no_grad block (if you "
    "don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")
OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation.")


# --- where a view's elements live in its base ------------------------------------------------
def _byte_offsets(arr: np.ndarray) -> np.ndarray:
    """The byte offset (from the array's data pointer) of every element, in C order."""
    off = np.zeros(arr.shape, dtype=np.int64)
    for d, (n, st) in enumerate(zip(arr.shape, arr.strides)):
        shape = [1] * arr.ndim
        shape[d] = n
        off = off + (np.arange(n, dtype=np.int64) * st).reshape(shape)
    return off


def view_positions(view: np.ndarray, base: np.ndarray) -> np.ndarray:
    """For each element of ``view`` (an array sharing ``base``'s memory), its flat C-order index
    in ``base``. This is PyTorch's (size, stride, storage_offset) of an as_strided view, in a
    form that works whatever the base's own strides are."""
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if base.flags.c_contiguous and view.itemsize == base.itemsize:
        # The usual case: a byte offset is the flat index times the item size.
        return (_byte_offsets(view) + start) // base.itemsize
    boff = _byte_offsets(base).ravel()
    order = np.argsort(boff, kind="stable")
    sorted_off = boff[order]
    voff = (_byte_offsets(view) + start).ravel()
    idx = np.searchsorted(sorted_off, voff)
    if idx.size and (idx.max() >= sorted_off.size or not np.array_equal(sorted_off[idx], voff)):
        raise RuntimeError("gradviz cannot locate this view's elements in its base tensor")
    return order[idx].reshape(view.shape)


class AsStridedBackward0(Node):
    """The grad_fn of a view whose base was changed in place: the view's gradient is put back
    at the view's elements of the base (summed where a base element appears twice)."""

    __slots__ = ("positions", "base_shape")
    rule = ("a view of a tensor changed in place: its gradient goes back to the places of the "
            "base it shows, zeros elsewhere")

    def backward(self, g):
        out = np.zeros(int(np.prod(self.base_shape)), dtype=g.dtype)
        np.add.at(out, self.positions.ravel(), np.asarray(g).ravel())
        return (out.reshape(self.base_shape),)


class CopySlices(Node):
    """The grad_fn of a base tensor after an in-place op on one of its views.

    ``fn`` is the op's own node (``AddBackward0``, ``CopyBackwards``, ``FillBackward3``, ...);
    ``positions`` say which elements of the base the view covers."""

    __slots__ = ("fn", "positions")

    @classmethod
    def name(cls) -> str:
        return "torch::autograd::CopySlices"  # what PyTorch's grad_fn.name() says

    @property
    def rule(self) -> str:
        name = self.fn.name()
        inner = f" ({self.fn.rule})" if self.fn.rule else ""
        return (f"{name} wrote in place into part of this tensor: that part's gradient goes "
                f"through {name}{inner}, the rest passes unchanged to the tensor before the write")

    def backward(self, g):
        from ..autograd.engine import _reduce

        result = np.array(g, copy=True)
        flat = result.reshape(-1)
        pos = self.positions
        grad_slice = flat[pos]
        res = _reduce(self.fn, self.fn.backward(grad_slice))
        flat[pos] = 0 if res[0] is None else res[0]
        return (result,) + tuple(res[1:])

    # The wrapped node's saved tensors are this node's: freed and restored with it.
    def release_saved(self):
        released = self.fn.release_saved()
        self._saved, self._freed = self.fn._saved, self.fn._freed
        return released

    def restore_saved(self, released) -> None:
        self.fn.restore_saved(released)
        self._saved, self._freed = self.fn._saved, self.fn._freed


# --- nodes of the in-place ops that overwrite values -------------------------------------------
class ZeroBackward0(Node):
    __slots__ = ()
    rule = "zero_ overwrote every element: no gradient reaches the old values"

    def backward(self, g):
        return (np.zeros_like(g),)


class FillBackward2(ZeroBackward0):
    """fill_(number)."""

    __slots__ = ()
    rule = "fill_ overwrote every element with a number: no gradient reaches the old values"


class NormalBackward0(ZeroBackward0):
    __slots__ = ()
    rule = "normal_ overwrote every element with random numbers: no gradient reaches the old values"


class UniformBackward0(ZeroBackward0):
    __slots__ = ()
    rule = "uniform_ overwrote every element with random numbers: no gradient reaches the old values"


class FillBackward3(Node):
    """fill_(0-d tensor): every element is that one value."""

    __slots__ = ()
    rule = "fill_ copied one value everywhere: its gradient is the sum of the incoming gradient"

    def backward(self, g):
        return (np.zeros_like(g), np.asarray(g.sum()))


class CopyBackwards(Node):
    __slots__ = ()
    rule = "copy_ overwrote the values: the gradient goes to the source, none to the old values"

    def backward(self, g):
        return (np.zeros_like(g), g)  # the engine sums a broadcast source back to its shape


class IndexPutBackward0(Node):
    __slots__ = ()
    rule = ("index_put_ wrote values at some positions: the gradient there goes to the values, "
            "the rest to the old tensor")

    def backward(self, g):
        key = self.saved("indices")
        g_self = None
        if self.needs(0):
            g_self = np.array(g, copy=True)
            if not self.saved("accumulate"):
                g_self[key] = 0
        g_values = np.asarray(g[key]) if self.needs(1) else None
        return (g_self, g_values)


class MaskedFillBackward0(Node):
    __slots__ = ()
    rule = "masked_fill: the gradient passes where the mask is False, zero where it was filled"

    def backward(self, g):
        return (np.where(self.saved("mask"), 0, g).astype(g.dtype, copy=False),)


class MaskedFillBackward1(Node):
    """masked_fill with a 0-d tensor value: that value gets the gradient of every filled place."""

    __slots__ = ()
    rule = ("masked_fill: the gradient passes where the mask is False; the fill value gets the "
            "sum of the gradient where it was filled")

    def backward(self, g):
        mask = self.saved("mask")
        return (np.where(mask, 0, g).astype(g.dtype, copy=False),
                np.where(mask, g, 0).sum().astype(g.dtype))


# --- the one way an in-place change is applied ---------------------------------------------------
def _edge(t):
    if not t._requires_grad:
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, 0)
    return (t._accumulator(), 0)


def _requires(x) -> bool:
    return getattr(x, "_requires_grad", False)


def _live_views(root) -> list:
    refs = getattr(root, "_views", None)
    if not refs:
        return []
    alive = [v for v in (r() for r in refs) if v is not None]
    root._views = [weakref.ref(v) for v in alive]
    return alive


def register_view(out, root) -> None:
    """Remember a recorded view of ``root`` so that an in-place change of ``root`` (through any
    view) can give it its new grad_fn, as PyTorch regenerates a view's grad_fn."""
    views = getattr(root, "_views", None)
    if views is None:
        root._views = views = []
    views.append(weakref.ref(out))
    n = len(views)
    if n >= 32 and not n & (n - 1):  # prune dead views now and then: amortised O(1)
        root._views = [r for r in views if r() is not None]


def check_leaf(t) -> None:
    """PyTorch's errors for an in-place change of a leaf that requires grad (or a view of one)
    while grad mode is on."""
    if not is_grad_enabled():
        return
    if t._base is None:
        if t._requires_grad and t.grad_fn is None:
            raise RuntimeError(LEAF_INPLACE_MESSAGE)
    elif t._base._requires_grad and t._base.grad_fn is None:
        raise RuntimeError("a view of " + LEAF_INPLACE_MESSAGE)


def apply(self, op, args=()):
    """Change ``self`` in place to ``op(self, *args)`` and record it as PyTorch does. Nothing
    changes when the op raises."""
    from ..tensor import Tensor

    base = self._base
    root = base if base is not None else self
    tracking = is_grad_enabled() and (self._requires_grad or root._requires_grad
                                      or any(_requires(a) for a in args))
    if tracking and base is not None and getattr(self, "_no_grad_view", False):
        raise RuntimeError(NO_GRAD_VIEW_MESSAGE)
    check_leaf(self)
    arr = self._array
    if base is not None and arr.size > 1 and any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape)):
        raise RuntimeError(OVERLAP_MESSAGE)
    if tracking:
        old = Tensor._make(arr.copy(), self._requires_grad)
        old.grad_fn = self.grad_fn
        old._acc = self._acc
        result = op(old, *args)
    else:
        with no_grad():
            result = op(self, *args)
    r = result._array
    if r.dtype != arr.dtype and not np.can_cast(r.dtype, arr.dtype, "same_kind"):
        raise RuntimeError(
            f"result type {_dt.scalar_type_name(r.dtype)} can't be cast to the "
            f"desired output type {_dt.scalar_type_name(arr.dtype)}")
    if r.shape != arr.shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, arr.shape))}] doesn't match the "
            f"broadcast shape [{', '.join(map(str, r.shape))}]")

    views = []
    if tracking:
        # The graph export shows the values each replaced grad_fn produced: keep them before
        # the write overwrites them.
        if self.grad_fn is not None:
            self.grad_fn._out_array = old._array
        views = [v for v in _live_views(root) if v is not self]
        for v in views:
            if v.grad_fn is not None:
                v.grad_fn._out_array = v._array.copy()
        if base is not None:
            base_edge = _edge(root)
            base_before = Tensor._make(root._array.copy(), root._requires_grad)
            base_before.grad_fn = root.grad_fn
            if root.grad_fn is not None:
                root.grad_fn._out_array = base_before._array
            positions = view_positions(arr, root._array)

    if not arr.flags.writeable:
        # Read-only arrays, and numpy scalars (numpy ufuncs give those for 0-d inputs).
        self._array = arr = np.array(arr)
    np.copyto(arr, r, casting="unsafe")
    self._version_counter[0] += 1
    if not tracking:
        return self

    fn = result.grad_fn
    fn._out_ref = weakref.ref(self)
    fn._out_array = arr
    _resave_output(fn, result, self)
    if base is None:
        _take_over(self, fn)
    else:
        cs = CopySlices.__new__(CopySlices)
        Node.__init__(cs)
        cs.fn = fn
        cs.positions = positions
        cs.next_functions = (base_edge,) + tuple(fn.next_functions[1:])
        cs._input_meta = ((root._array.shape, root._array.dtype),) + tuple(fn._input_meta[1:])
        cs._inputs = (base_before,) + tuple(fn._inputs[1:])
        cs._saved = fn._saved
        cs._out_ref = weakref.ref(root)
        cs._out_array = root._array
        _take_over(root, cs)
        _regenerate(self, root, positions)
    for v in views:
        _regenerate(v, root)
    return self


def _take_over(t, node) -> None:
    """``t`` is now the output of ``node``; retain_grad follows it, as in PyTorch."""
    if t._retains_grad and t.grad_fn is not None:
        t.grad_fn._retains = None
        node._retains = weakref.ref(t)
    t.grad_fn = node
    t._requires_grad = True
    node._out_ref = weakref.ref(t)
    node._out_array = t._array
    # Replay cannot re-run an in-place change: mark it so replay says so clearly.
    t._recipe = INPLACE_RECIPE


def _regenerate(view, root, positions=None) -> None:
    """A view of ``root`` after ``root`` changed: its gradient flows to root's new grad_fn."""
    if root.grad_fn is None:
        return
    if positions is None:
        positions = view_positions(view._array, root._array)
    node = AsStridedBackward0.__new__(AsStridedBackward0)
    Node.__init__(node)
    node.positions = positions
    node.base_shape = root._array.shape
    node.next_functions = ((root.grad_fn, 0),)
    node._input_meta = ((root._array.shape, root._array.dtype),)
    node._inputs = (root,)
    item = root._array.itemsize
    start = view._array.__array_interface__["data"][0] - root._array.__array_interface__["data"][0]
    node._saved = {"size": tuple(view._array.shape),
                   "stride": tuple(s // item for s in view._array.strides),
                   "storage_offset": start // item}
    _take_over(view, node)


def _resave_output(fn, result, t) -> None:
    """An op that saved its own result (exp_, sigmoid_, ...) saved the tensor that now holds it,
    at its new version, so a later in-place change is caught as PyTorch catches it."""
    if not fn._saved:
        return
    for value in fn._saved.values():
        if isinstance(value, SavedTensor) and value.tensor is result:
            value.tensor = t
            value.version = t._version_counter[0]
            value.grad_fn = fn
            value.is_output = True


# --- ops built on apply ----------------------------------------------------------------------
def _value_tensor(dst, value, what: str = "assign"):
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        return value
    if isinstance(value, (numbers.Number, np.number, np.bool_)) and not isinstance(value, complex):
        return Tensor._make(np.asarray(value, dtype=dst._array.dtype))
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise TypeError(f"can't {what} a {name} to a {dst._type_name()}")


def _write_untracked(dst, values, *args) -> bool:
    """The fast path of fill_/zero_/copy_ outside any graph (``grad.zero_()`` in every training
    loop): write and count the version, nothing to record. False when it does not apply."""
    if dst._base is not None or (is_grad_enabled() and (dst._requires_grad or any(_requires(a) for a in args))):
        return False
    arr = dst._array
    if not arr.flags.writeable:
        dst._array = arr = np.array(arr)
    np.copyto(arr, values, casting="unsafe")
    dst._version_counter[0] += 1
    return True


def fill_(dst, value):
    """``dst.fill_(value)``: a number (FillBackward2) or a 0-d tensor (FillBackward3)."""
    from ..tensor import Tensor

    if not isinstance(value, Tensor) and _write_untracked(dst, value):
        return dst
    shape, dtype = dst._array.shape, dst._array.dtype
    if isinstance(value, Tensor):
        if value._array.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._array.ndim} dimensions.")
        return apply(dst, lambda old, v: record(
            FillBackward3, np.full(shape, v._array, dtype=dtype), (old, v)), (value,))
    return apply(dst, lambda old: record(FillBackward2, np.full(shape, value, dtype=dtype), (old,)))


def zero_(dst):
    if _write_untracked(dst, 0):
        return dst
    shape, dtype = dst._array.shape, dst._array.dtype
    return apply(dst, lambda old: record(ZeroBackward0, np.zeros(shape, dtype=dtype), (old,)))


def fill_values_(dst, values: np.ndarray, node_cls):
    """Overwrite with values that do not depend on any tensor (random fills)."""
    arr = np.array(np.broadcast_to(values, dst._array.shape), dtype=dst._array.dtype)
    return apply(dst, lambda old: record(node_cls, arr, (old,)))


def copy_(dst, src):
    src = as_tensor(src)
    shape, dtype = dst._array.shape, dst._array.dtype
    from .base import check_broadcast

    check_broadcast(np.empty(shape, dtype=np.bool_), src._array)
    if np.broadcast_shapes(shape, src._array.shape) != shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, shape))}] doesn't match the broadcast shape "
            f"[{', '.join(map(str, np.broadcast_shapes(shape, src._array.shape)))}]")

    def op(old, s):
        out = np.empty(shape, dtype=dtype)
        np.copyto(out, np.broadcast_to(s._array, shape), casting="unsafe")
        return record(CopyBackwards, out, (old, s))

    return apply(dst, op, (src,))


def _without_leading_ones(shape: tuple) -> tuple:
    """PyTorch views a value with its leading size-1 dims removed before writing it."""
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return shape[k:]


def copy_to(dst, value):
    """How ``dst[...] = value`` writes a basic-indexed region: copy_ of a value of the same
    shape, fill_ of a 0-d value, else copy_ of the value viewed without leading 1s and expanded."""
    from .shape import expand, view

    if value._array.shape == dst._array.shape:
        return copy_(dst, value)
    if value._array.ndim == 0:
        return fill_(dst, value)
    v = view(value, _without_leading_ones(value._array.shape))
    if v._array.shape != dst._array.shape:
        v = expand(v, dst._array.shape)
    return copy_(dst, v)


def index_put_(dst, key: tuple, values, accumulate: bool = False):
    """Write ``values`` at the positions of a numpy advanced-index ``key`` (IndexPutBackward0)."""
    from .shape import view

    values = _value_tensor(dst, values)
    shape_v = values._array.shape
    stripped = _without_leading_ones(shape_v)
    if stripped != shape_v:
        values = view(values, stripped)
    try:
        target_shape = np.empty(dst._array.shape, dtype=np.bool_)[key].shape
    except IndexError as e:
        raise IndexError(str(e).replace(" for axis ", " for dimension ")) from None
    try:
        np.broadcast_to(np.empty(values._array.shape, dtype=np.bool_), target_shape)
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape [{', '.join(map(str, shape_v))}] cannot be "
            f"broadcast to indexing result of shape [{', '.join(map(str, target_shape))}]") from None

    def op(old, v):
        out = np.array(old._array, copy=True)
        vals = v._array.astype(out.dtype, copy=False)
        if accumulate:
            np.add.at(out, key, np.broadcast_to(vals, target_shape))
        else:
            out[key] = vals
        return record(IndexPutBackward0, out, (old, v), indices=key, accumulate=accumulate)

    return apply(dst, op, (values,))


def setitem(self, key, value) -> None:
    """``self[key] = value`` as PyTorch does it: the basic part of the key gives a view, then
    either copy_/fill_ into it or, with advanced items, index_put_ on it. Writing through a
    view of a tensor that is part of a graph gives that tensor a CopySlices grad_fn."""
    from .shape import apply_basic, index_items

    value = _value_tensor(self, value, "assign")
    items = index_items(key)
    target, adv = apply_basic(self, items, for_write=True)
    if adv is None:
        copy_to(target, value)
    else:
        index_put_(target, adv, value)


def masked_fill(a, mask, value):
    """A copy of ``a`` with ``value`` wherever ``mask`` (broadcast to a's shape) is True."""
    from ..tensor import Tensor

    m = mask._array if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_dt.from_numpy(m.dtype)}")
    from .base import check_broadcast

    check_broadcast(a._array, m)
    shape = np.broadcast_shapes(a._array.shape, m.shape)
    if shape != a._array.shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, a._array.shape))}] doesn't match the broadcast "
            f"shape [{', '.join(map(str, shape))}]")
    mb = np.broadcast_to(m, shape)
    if isinstance(value, Tensor):
        if value._array.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._array.ndim} dimension(s).")
        out = np.where(mb, value._array.astype(a._array.dtype), a._array)
        return record(MaskedFillBackward1, out, (a, value), mask=mb)
    out = np.where(mb, np.asarray(value).astype(a._array.dtype), a._array)
    return record(MaskedFillBackward0, out, (a,), mask=mb)


def masked_fill_(a, mask, value):
    return apply(a, lambda old, *v: masked_fill(old, mask, *(v or (value,))),
                 (value,) if _requires(value) else ())
