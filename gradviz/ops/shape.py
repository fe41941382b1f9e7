"""Shape ops: views (reshape, transpose, permute, squeeze, expand, basic indexing) and the ops
that build new tensors from several (cat, stack) or copy (clone, dtype conversion).

Views share memory and the version counter with their base, as in PyTorch, so an in-place
change through one is seen (and checked) through the other.
"""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import as_tensor, normalize_dim, record
from .inplace import register_view
from ..autograd.grad_mode import is_grad_enabled


def _view_of(out, base):
    out._version_counter = base._version_counter
    root = out._base = base._base if base._base is not None else base
    if out.grad_fn is not None:
        if root.grad_fn is not None:
            # An in-place change of root (through any view) gives this view a new grad_fn later.
            register_view(out, root)
    elif not is_grad_enabled() or getattr(base, "_no_grad_view", False):
        # PyTorch forbids changing it in place with grad mode on (see inplace.check_leaf).
        out._no_grad_view = True
    return out


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


# --- reshape and view ------------------------------------------------------------------------
class ViewBackward0(Node):
    __slots__ = ()
    rule = "a view changes only the shape: the gradient is reshaped back"

    def backward(self, g):
        return (g.reshape(self.saved("self_sym_sizes")),)


class UnsafeViewBackward0(ViewBackward0):
    __slots__ = ()


class AliasBackward0(ViewBackward0):
    """x[...]: a new tensor over the same data, the gradient passes through."""

    __slots__ = ()


class CloneBackward0(Node):
    __slots__ = ()
    rule = "a copy: the gradient passes through unchanged"

    def backward(self, g):
        return (g,)


def _reshape_no_copy(arr: np.ndarray, shape: tuple):
    """``arr`` reshaped as a view, or None when the strides make a copy necessary (PyTorch's
    computeStride test)."""
    try:
        return np.reshape(arr, shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # numpy < 2.1 has no copy=
        import warnings

        v = arr.view()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                v.shape = shape
        except AttributeError:
            return None
        return v


class ReshapeAliasBackward0(ViewBackward0):
    """reshape of a non-contiguous tensor whose strides still allow a view."""

    __slots__ = ()


def view(a, *shape):
    shape = _infer_shape(_shape_arg(shape), a._array.size)
    arr = a._array
    out = arr.reshape(shape) if arr.flags.c_contiguous else _reshape_no_copy(arr, shape)
    if out is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return _view_of(record(ViewBackward0, out, (a,), self_sym_sizes=arr.shape), a)


def reshape(a, *shape):
    shape = _infer_shape(_shape_arg(shape), a._array.size)
    arr = a._array
    if arr.flags.c_contiguous:
        return view(a, shape)
    out = _reshape_no_copy(arr, shape)
    if out is not None:
        # Like PyTorch: a strided input that can still be viewed gives a _reshape_alias.
        return _view_of(record(ReshapeAliasBackward0, out, (a,), self_sym_sizes=arr.shape), a)
    # Like PyTorch: otherwise the input is copied first, then viewed.
    c = clone(a)
    c._array = np.ascontiguousarray(c._array)
    if c.grad_fn is not None:
        c.grad_fn._out_array = c._array
    return record(UnsafeViewBackward0, c._array.reshape(shape), (c,),
                  self_sym_sizes=arr.shape)


def flatten(a, start_dim=0, end_dim=-1):
    shape = a._array.shape
    if not shape:
        return reshape(a, (1,))
    s, e = normalize_dim(start_dim, len(shape)), normalize_dim(end_dim, len(shape))
    if s == e:
        return a
    new = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
    return reshape(a, new)


def clone(a, order: str = "K"):
    """A copy. Like PyTorch's preserve_format, a transposed tensor stays transposed (order "K");
    ``contiguous()`` asks for order "C"."""
    arr = a._array
    if order == "K" and not _dense(arr):
        order = "C"  # expanded or strided with gaps: PyTorch's clone gives a contiguous copy
    return record(CloneBackward0, np.array(arr, order=order, copy=True), (a,))


def _dense(arr: np.ndarray) -> bool:
    """Non-overlapping and dense: some permutation of the dims is C-contiguous."""
    dims = sorted((st, sz) for st, sz in zip(arr.strides, arr.shape) if sz != 1)
    expected = arr.itemsize
    for st, sz in dims:
        if st != expected:
            return False
        expected *= sz
    return True


# --- transposes ------------------------------------------------------------------------------
class TransposeBackward0(Node):
    __slots__ = ()
    rule = "transpose: the gradient is transposed back"

    def backward(self, g):
        d0, d1 = self.saved("dim0"), self.saved("dim1")
        return (np.swapaxes(g, d0, d1),)


class TBackward0(Node):
    __slots__ = ()
    rule = "transpose: the gradient is transposed back"

    def backward(self, g):
        return (g.T,)


class PermuteBackward0(Node):
    __slots__ = ()
    rule = "permute: the gradient is permuted back by the inverse permutation"

    def backward(self, g):
        return (np.transpose(g, np.argsort(self.saved("dims"))),)


def transpose(a, dim0, dim1):
    n = a._array.ndim
    d0, d1 = normalize_dim(dim0, n), normalize_dim(dim1, n)
    out = np.swapaxes(a._array, d0, d1) if n else a._array
    return _view_of(record(TransposeBackward0, out, (a,), dim0=d0, dim1=d1), a)


def t(a):
    if a._array.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a._array.ndim}D")
    return _view_of(record(TBackward0, a._array.T, (a,)), a)


def permute(a, *dims):
    dims = _shape_arg(dims)
    n = a._array.ndim
    if len(dims) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, n) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _view_of(record(PermuteBackward0, np.transpose(a._array, dims), (a,), dims=dims), a)


# --- squeeze, unsqueeze, expand --------------------------------------------------------------
class UnsqueezeBackward0(Node):
    __slots__ = ()
    rule = "unsqueeze adds a size-1 dim: the gradient drops it again"

    def backward(self, g):
        return (np.squeeze(g, axis=self.saved("dim")),)


class SqueezeBackward0(Node):
    __slots__ = ()
    rule = "squeeze drops size-1 dims: the gradient gets them back"

    def backward(self, g):
        return (g.reshape(self.saved("self_sym_sizes")),)


class SqueezeBackward1(SqueezeBackward0):
    __slots__ = ()


class SqueezeBackward2(SqueezeBackward0):
    __slots__ = ()


class SqueezeBackward4(SqueezeBackward0):
    """The squeeze that matmul records for a 1-D left operand (PyTorch's name for it)."""

    __slots__ = ()


def unsqueeze(a, dim):
    d = normalize_dim(dim, a._array.ndim + 1)
    return _view_of(record(UnsqueezeBackward0, np.expand_dims(a._array, d), (a,), dim=d), a)


def squeeze(a, dim=None, _cls=None):
    arr = a._array
    if dim is None:
        out = np.squeeze(arr)
        cls = _cls or SqueezeBackward0
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = tuple(normalize_dim(d, arr.ndim) for d in dims) if arr.ndim else ()
        keep = tuple(d for d in dims if arr.shape[d] == 1)
        out = np.squeeze(arr, axis=keep) if keep else arr
        cls = _cls or (SqueezeBackward2 if isinstance(dim, (tuple, list)) else SqueezeBackward1)
    return _view_of(record(cls, out, (a,), self_sym_sizes=arr.shape), a)


class ExpandBackward0(Node):
    __slots__ = ()
    rule = "expand repeats the input: the gradient is summed over the repeats"

    def backward(self, g):
        return (g,)  # the engine sums broadcast dims back to the input's shape


def expand(a, *sizes):
    sizes = _shape_arg(sizes)
    arr = a._array
    lead = len(sizes) - arr.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand({a._type_name()}{{[{', '.join(map(str, arr.shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
            f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({arr.ndim})")
    target = tuple(arr.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
    try:
        out = np.broadcast_to(arr, target)
    except ValueError:
        # PyTorch names the first dimension (from the left) that cannot be expanded.
        bad = next(i for i in range(len(target)) if i >= lead and arr.shape[i - lead] != 1
                   and arr.shape[i - lead] != target[i])
        raise RuntimeError(
            f"The expanded size of the tensor ({target[bad]}) must match the existing size "
            f"({arr.shape[bad - lead]}) at non-singleton dimension {bad}.  "
            f"Target sizes: [{', '.join(map(str, sizes))}].  Tensor sizes: [{', '.join(map(str, arr.shape))}]"
        ) from None
    return _view_of(record(ExpandBackward0, out, (a,), self_sym_sizes=arr.shape), a)


# --- indexing --------------------------------------------------------------------------------
class SelectBackward0(Node):
    __slots__ = ()
    rule = "select picks one slice: its gradient is placed back there, zeros elsewhere"

    def backward(self, g):
        out = np.zeros(self.saved("self_sym_sizes"), dtype=g.dtype)
        idx = [slice(None)] * out.ndim
        idx[self.saved("dim")] = self.saved("index")
        out[tuple(idx)] = g
        return (out,)


class SliceBackward0(Node):
    __slots__ = ()
    rule = "slice picks a range: its gradient is placed back there, zeros elsewhere"

    def backward(self, g):
        out = np.zeros(self.saved("self_sym_sizes"), dtype=g.dtype)
        idx = [slice(None)] * out.ndim
        idx[self.saved("dim")] = slice(self.saved("start"), self.saved("end"), self.saved("step"))
        out[tuple(idx)] = g
        return (out,)


class IndexBackward0(Node):
    __slots__ = ()
    rule = "indexing gathers elements: the gradient is scattered back (summed where repeated)"

    def backward(self, g):
        out = np.zeros(self.saved("self_sym_sizes"), dtype=g.dtype)
        np.add.at(out, self.saved("indices"), g)
        return (out,)


def select(a, dim, index):
    arr = a._array
    d = normalize_dim(dim, arr.ndim)
    size = arr.shape[d]
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {size}")
    index = index % size
    idx = [slice(None)] * arr.ndim
    idx[d] = index
    # The trailing ... keeps a 0-d result a view of arr (all ints would give a numpy scalar copy).
    idx.append(Ellipsis)
    return _view_of(record(SelectBackward0, arr[tuple(idx)], (a,), self_sym_sizes=arr.shape,
                           dim=d, index=index), a)


def narrow_slice(a, dim, s: slice, force: bool = False):
    arr = a._array
    start, stop, step = s.indices(arr.shape[dim])
    if step <= 0:
        raise ValueError("step must be greater than zero")
    # PyTorch skips a slice that obviously keeps everything, judged on the values as written
    # (x[-3:] on a size-3 dim is still recorded).
    raw_start = 0 if s.start is None else s.start
    raw_stop = arr.shape[dim] if s.stop is None else s.stop
    raw_step = 1 if s.step is None else s.step
    if raw_start == 0 and raw_stop >= arr.shape[dim] and raw_step == 1 and not force:
        return a
    idx = [slice(None)] * arr.ndim
    idx[dim] = slice(start, stop, step)
    return _view_of(record(SliceBackward0, arr[tuple(idx)], (a,), self_sym_sizes=arr.shape,
                           dim=dim, start=start, end=stop, step=step), a)


_NON_TUPLE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
    "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
    "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or a "
    "different result")
_UINT8_WARNING = "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead."


def _treat_as_tuple(key) -> bool:
    """NumPy's old rule, which PyTorch keeps: a short list holding a sequence, slice, tensor,
    None or ... is a tuple of indices, not one index."""
    from ..tensor import Tensor

    if isinstance(key, tuple):
        return True
    if not isinstance(key, (list, range)) or len(key) >= 32:
        return False
    for item in key:
        if isinstance(item, (Tensor, list, tuple, range, slice, np.ndarray)) or item is None or item is Ellipsis:
            return True
    return False


def _index_array(value) -> np.ndarray:
    """A list, range, array or tensor used as an index: int64 positions or a bool mask."""
    from ..tensor import Tensor, _unwrap

    if isinstance(value, Tensor):
        arr = value._array
        if arr.dtype == np.uint8:
            import warnings

            warnings.warn(_UINT8_WARNING, UserWarning, stacklevel=4)
            return arr.astype(np.bool_)
        if arr.dtype.kind not in "biu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr if arr.dtype.kind == "b" else arr.astype(np.int64, copy=False)
    arr = np.asarray(_unwrap(list(value)) if isinstance(value, (range, tuple)) else _unwrap(value))
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iuf":
        if arr.size == 0:
            return arr.astype(np.int64)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    # PyTorch turns index data into a long tensor (floats are truncated).
    return arr.astype(np.int64)


class _BoolScalar:
    """x[True] adds a dim of size 1 and keeps it; x[False] adds it empty (an index item)."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value


def index_items(key) -> list:
    """An index as PyTorch reads it: a list of ints, slices, None, Ellipsis, bool masks and
    int64 position arrays (0-d integer tensors count as ints, Python bools as masks)."""
    from ..tensor import Tensor

    if _treat_as_tuple(key):
        if isinstance(key, (list, range)):
            import warnings

            warnings.warn(_NON_TUPLE_WARNING, UserWarning, stacklevel=3)
        raw = tuple(key)
    else:
        raw = (key,)
    items = []
    for item in raw:
        if item is None or item is Ellipsis or isinstance(item, slice):
            items.append(item)
        elif isinstance(item, (bool, np.bool_)):
            items.append(_BoolScalar(bool(item)))
        elif isinstance(item, (int, np.integer)):
            items.append(int(item))
        elif isinstance(item, Tensor):
            arr = item._array
            if arr.ndim == 0 and arr.dtype.kind in "iu":
                items.append(int(arr))
            elif arr.ndim == 0 and arr.dtype == np.bool_:
                items.append(_BoolScalar(bool(arr)))
            else:
                items.append(_index_array(item))
        elif isinstance(item, (list, tuple, range, np.ndarray)):
            items.append(_index_array(item))
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                f"valid indices (got {type(item).__name__})")
    return items


def apply_basic(a, items, *, for_write: bool = False):
    """Apply the ints, slices and None of an index one at a time (PyTorch's chain of views),
    keeping the place of each advanced item. Returns the view and, when the index has
    advanced items, the numpy key to apply to it (None otherwise).

    ``for_write``: as PyTorch's assignment does, a slice that keeps a whole dim is skipped."""
    ndim = a._array.ndim
    n_real = 0
    for i in items:
        if isinstance(i, np.ndarray):
            n_real += i.ndim if i.dtype == np.bool_ else 1
        elif i is not None and i is not Ellipsis and not isinstance(i, _BoolScalar):
            n_real += 1
    if n_real > ndim:
        if ndim == 0 and any(isinstance(i, slice) for i in items):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    out, dim, np_key, advanced, seen_ellipsis = a, 0, [], False, False
    for i in items:
        if i is Ellipsis:
            if seen_ellipsis:
                continue  # PyTorch lets a second ... stand for nothing
            seen_ellipsis = True
            for _ in range(ndim - n_real):
                np_key.append(slice(None))
                dim += 1
        elif i is None:
            out = unsqueeze(out, dim)
            np_key.append(slice(None))
            dim += 1
        elif isinstance(i, _BoolScalar):
            out = unsqueeze(out, dim)
            np_key.append(np.array([i.value]))
            advanced = True
            dim += 1
        elif isinstance(i, slice):
            out = narrow_slice(out, dim, i)
            np_key.append(slice(None))
            dim += 1
        elif isinstance(i, np.ndarray):
            if i.dtype == np.bool_:
                _check_masks(out._array.shape, [slice(None)] * dim + [i])
            np_key.append(i)
            advanced = True
            dim += i.ndim if i.dtype == np.bool_ else 1
        else:
            out = select(out, dim, i)
    return out, (tuple(np_key) if advanced else None)


def getitem(a, key):
    if isinstance(key, slice):
        # PyTorch's x[a:b] always records a slice, even of the whole dim (x[:] is SliceBackward0).
        if a._array.ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        return narrow_slice(a, 0, key, force=True)
    # Advanced items (lists, ranges, integer or boolean tensors): PyTorch first applies the basic
    # items (ints select, slices narrow, None unsqueezes), then one IndexBackward0 with the
    # advanced ones; ints therefore never join the advanced group as they do in numpy.
    out, key_t = apply_basic(a, index_items(key))
    if key_t is None:
        if out is a:
            # x[...] and x[:, :] give a new view of the same data, which PyTorch records as an alias.
            out = _view_of(record(AliasBackward0, a._array.view(), (a,), self_sym_sizes=a._array.shape), a)
        return out
    try:
        result = out._array[key_t]
    except IndexError as e:
        raise IndexError(str(e).replace(" for axis ", " for dimension ")) from None
    return record(IndexBackward0, np.ascontiguousarray(result), (out,),
                  self_sym_sizes=out._array.shape, indices=key_t)


def _check_masks(shape, items):
    """PyTorch's wording for a boolean mask whose shape does not fit the indexed dims."""
    dim = 0
    for i in items:
        arr = getattr(i, "_array", i if isinstance(i, np.ndarray) else None)
        if arr is not None and arr.dtype == np.bool_:
            have = shape[dim:dim + arr.ndim]
            if tuple(arr.shape) != tuple(have):
                for k in range(arr.ndim):
                    if k >= len(have) or arr.shape[k] != have[k]:
                        raise IndexError(
                            f"The shape of the mask [{', '.join(map(str, arr.shape))}] at index {k} "
                            f"does not match the shape of the indexed tensor "
                            f"[{', '.join(map(str, shape))}] at index {dim + k}")
            dim += arr.ndim
        elif i is not None:
            dim += 1


# --- cat and stack ---------------------------------------------------------------------------
class CatBackward0(Node):
    __slots__ = ()
    rule = "cat joins inputs: each input gets back its own slice of the gradient"

    def backward(self, g):
        d, sizes = self.saved("dim"), self.saved("sizes")
        splits = np.cumsum(sizes)[:-1]
        return tuple(np.split(g, splits, axis=d))


class StackBackward0(Node):
    __slots__ = ()
    rule = "stack joins inputs along a new dim: each gets back its own slice of the gradient"

    def backward(self, g):
        d = self.saved("dim")
        return tuple(np.take(g, i, axis=d) for i in range(g.shape[d]))


def cat(tensors, dim=0):
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    from ..dtypes import result_type

    dt = result_type(*ts)
    d = normalize_dim(dim, ts[0]._array.ndim)
    try:
        out = np.concatenate([t._array.astype(dt, copy=False) for t in ts], axis=d)
    except ValueError:
        ref = ts[0]._array.shape
        for i, t in enumerate(ts):
            s = t._array.shape
            if len(s) != len(ref):
                raise RuntimeError(
                    f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}") from None
            for k in range(len(ref)):
                if k != d and s[k] != ref[k]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {d}. Expected size "
                        f"{ref[k]} but got size {s[k]} for tensor number {i} in the list.") from None
        raise
    return record(CatBackward0, out, tuple(ts), dim=d, sizes=[t._array.shape[d] for t in ts])


def stack(tensors, dim=0):
    ts = [as_tensor(t) for t in tensors]
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    from ..dtypes import result_type

    dt = result_type(*ts)
    d = normalize_dim(dim, ts[0]._array.ndim + 1)
    for i, t in enumerate(ts[1:], 1):
        if t._array.shape != ts[0]._array.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got [{', '.join(map(str, ts[0]._array.shape))}] "
                f"at entry 0 and [{', '.join(map(str, t._array.shape))}] at entry {i}")
    out = np.stack([t._array.astype(dt, copy=False) for t in ts], axis=d)
    return record(StackBackward0, out, tuple(ts), dim=d)


# --- dtype conversion ------------------------------------------------------------------------
class ToCopyBackward0(Node):
    __slots__ = ()
    rule = "a dtype conversion: the gradient is converted back"

    def backward(self, g):
        return (g,)  # the engine casts to the input's dtype


def to_dtype(a, np_dtype):
    if a._array.dtype == np_dtype:
        return a
    if a._requires_grad and np.dtype(np_dtype).kind not in "fc":
        out = a._array.astype(np_dtype)
        from ..tensor import Tensor

        return Tensor._make(out)
    return record(ToCopyBackward0, a._array.astype(np_dtype), (a,))
