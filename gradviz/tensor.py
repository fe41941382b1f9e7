"""``Tensor``: a numpy array that can record the operations applied to it.

Everything a PyTorch user reaches for on a tensor is here under PyTorch's name; the math
lives in ``gradviz.ops`` and the backward pass in ``gradviz.autograd``.
"""
from __future__ import annotations

import builtins
import numbers
import warnings
import weakref

import numpy as np

from . import dtypes as _dt
from .autograd.grad_mode import is_grad_enabled, no_grad
from .autograd.hooks import RemovableHandle
from .formatting import tensor_repr
from .ops.base import INPLACE_RECIPE

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
LEAF_INPLACE_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``Size``."""

    def __repr__(self) -> str:
        return f"gradviz.Size([{', '.join(map(str, self))}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class Tensor:
    __slots__ = ("_array", "_requires_grad", "_grad", "grad_fn", "_version_counter", "_hooks",
                 "_acc", "_base", "_retains_grad", "_recipe", "_views", "_no_grad_view",
                 "__weakref__")

    # ndarray <op> Tensor defers to Tensor's reflected operators.
    __array_priority__ = 1000

    def __init__(self, *data):
        # ``gradviz.Tensor([1, 2])`` and ``gradviz.Tensor(2, 3)`` behave like torch.Tensor:
        # the default float dtype, from data or as an uninitialised (here zero) shape.
        if len(data) == 1 and not isinstance(data[0], numbers.Integral):
            arr = np.array(_unwrap(data[0]), dtype=_dt.get_default_dtype().numpy)
        else:
            arr = np.zeros(tuple(int(d) for d in data), dtype=_dt.get_default_dtype().numpy)
        self._init(arr)

    def _init(self, arr: np.ndarray, requires_grad: bool = False) -> None:
        self._array = arr
        self._requires_grad = requires_grad
        self._grad = None
        self.grad_fn = None
        self._version_counter = [0]
        self._hooks = None
        self._acc = None
        self._base = None
        self._retains_grad = False
        self._recipe = None

    @classmethod
    def _make(cls, arr: np.ndarray, requires_grad: bool = False) -> "Tensor":
        t = object.__new__(cls)
        t._array = arr
        t._requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t._version_counter = [0]
        t._hooks = None
        t._acc = None
        t._base = None
        t._retains_grad = False
        t._recipe = None
        return t

    # --- autograd state --------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and self._array.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.grad_fn is None and self._array.dtype.kind not in "fc":
            # PyTorch words this one differently from the setter's.
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's data has seen (PyTorch's ``x._version``)."""
        return self._version_counter[0]

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._array.shape != self._array.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '[{', '.join(map(str, value._array.shape))}]' "
                    f"to a tensor of size '[{', '.join(map(str, self._array.shape))}]'. Please ensure "
                    "that the gradient and the tensor are the same size")
            if value._array.dtype != self._array.dtype:
                from .ops.linalg import _C_NAMES

                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_NAMES.get(value._array.dtype.name)}' "
                    f"to a tensor with grad_dtype '{_dt.scalar_type_name(self._array.dtype)}'. The "
                    "gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You "
                    "can set the tensor's grad_dtype attribute with a specific dtype, or None to allow "
                    "any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match.")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf in ``.grad`` during backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        self.grad_fn._retains = weakref.ref(self)

    def register_hook(self, hook) -> RemovableHandle:
        """``hook(grad)`` is called with this tensor's gradient during backward; returning a
        tensor replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            fn = self.grad_fn
            if fn._pre_hooks is None:
                fn._pre_hooks = {}
            return RemovableHandle(fn._pre_hooks, hook)
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def _accumulator(self):
        """The AccumulateGrad node of this leaf (one per leaf, shared by every use)."""
        acc = self._acc
        if acc is None:
            from .autograd.node import AccumulateGrad

            acc = self._acc = AccumulateGrad(self)
        return acc

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward

        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's memory (and version counter), cut from the graph."""
        t = Tensor._make(self._array)
        t._version_counter = self._version_counter
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> "Tensor":
        """The same storage, detached from the graph (PyTorch's ``.data``)."""
        return self.detach()

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._array = value._array

    # --- shape and dtype --------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._array.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._array.shape)
        from .ops.base import normalize_dim

        return self._array.shape[normalize_dim(dim, self._array.ndim)]

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def dim(self) -> int:
        return self._array.ndim

    def numel(self) -> int:
        return int(self._array.size)

    nelement = numel

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy(self._array.dtype)

    @property
    def device(self):
        """Always ``device(type='cpu')``: gradviz computes with numpy."""
        from .devices import CPU

        return CPU

    is_cuda = False
    is_cpu = True

    def get_device(self) -> int:
        return -1

    def is_floating_point(self) -> bool:
        return self._array.dtype.kind == "f"

    def _type_name(self) -> str:
        names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                 "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
        return f"gradviz.{names.get(self._array.dtype.name, 'Float')}Tensor"

    def __len__(self) -> int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    # --- conversion -------------------------------------------------------------------------
    def item(self):
        if self._array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._array.size} elements cannot be converted to Scalar")
        return self._array.reshape(()).item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._array

    def tolist(self):
        return self._array.tolist()

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._array if dtype is None else self._array.astype(dtype)

    def __float__(self) -> float:
        if self._array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self._array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._array.dtype.kind not in "iu" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._array.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._array.reshape(()).item())

    def __repr__(self) -> str:
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        # PyTorch formats a 0-dim tensor as its Python number (so f"{loss}" prints a float).
        if self._array.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __hash__(self) -> int:
        return id(self)

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._array.copy(), self._requires_grad))

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(device, dtype)``, ``to(dtype)`` or ``to(other)``, with ``non_blocking`` and
        ``copy``: this tensor itself when nothing changes (and no copy is asked for),
        otherwise a recorded copy (ToCopyBackward0). Only the CPU exists."""
        from .devices import check_available, parse_to

        device, dtype, _, copy = parse_to(*args, **kwargs)
        if device is not None:
            check_available(device)
        if dtype is not None and _dt.to_numpy_dtype(dtype) != self._array.dtype:
            return _S.to_dtype(self, _dt.to_numpy_dtype(dtype))
        if copy:
            from .ops.base import record

            return record(_S.ToCopyBackward0, self._array.copy(), (self,))
        return self

    def type(self, dtype=None, non_blocking=False):
        """The type's name (``'gradviz.FloatTensor'``), or a conversion to a dtype, a legacy
        type (``gradviz.LongTensor``) or its name as a string."""
        if dtype is None:
            return self._type_name()
        from .legacy import dtype_of

        return self.to(dtype_of(dtype))

    def float(self):
        return _S.to_dtype(self, np.dtype(np.float32))

    def double(self):
        return _S.to_dtype(self, np.dtype(np.float64))

    def half(self):
        return _S.to_dtype(self, np.dtype(np.float16))

    def long(self):
        return _S.to_dtype(self, np.dtype(np.int64))

    def int(self):
        return _S.to_dtype(self, np.dtype(np.int32))

    def bool(self):
        return _S.to_dtype(self, np.dtype(np.bool_))

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        raise AssertionError("Torch not compiled with CUDA enabled")

    def contiguous(self):
        return self if self._array.flags.c_contiguous else _S.clone(self, "C")

    def is_contiguous(self) -> bool:
        return bool(self._array.flags.c_contiguous)

    # --- arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        return _E.add(self, other)

    def __radd__(self, other):
        # PyTorch records ``c + x`` as x.add(c): the tensor is input 0.
        return _E.add(self, other)

    def __sub__(self, other):
        return _E.sub(self, other)

    def __rsub__(self, other):
        return _E.rsub(self, other)

    def __mul__(self, other):
        return _E.mul(self, other)

    def __rmul__(self, other):
        # PyTorch records ``c * x`` as x.mul(c): the tensor is input 0.
        return _E.mul(self, other)

    def __truediv__(self, other):
        return _E.div(self, other)

    def __rtruediv__(self, other):
        return _E.rdiv(self, other)

    def __pow__(self, exponent):
        return _E.pow(self, exponent)

    def __rpow__(self, base):
        return _E.rpow(self, base)

    def __neg__(self):
        return _E.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _E.abs(self)

    def __matmul__(self, other):
        return _L.matmul(self, other)

    def __rmatmul__(self, other):
        return _L.matmul(other, self)

    def __floordiv__(self, other):
        return _constant(np.floor_divide(self._array, _unwrap(other)))

    def __mod__(self, other):
        return _constant(np.mod(self._array, _unwrap(other)))

    # Comparisons give bool tensors and never a graph.
    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    # &, |, ^ and ~ are PyTorch's bitwise ops: logical on bools, bit by bit on integers.
    def __and__(self, other):
        from .ops.bitwise import bitwise_and
        return bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        from .ops.bitwise import bitwise_or
        return bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        from .ops.bitwise import bitwise_xor
        return bitwise_xor(self, other)

    __rxor__ = __xor__

    def __invert__(self):
        from .ops.bitwise import bitwise_not
        return bitwise_not(self)

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def add(self, other, *, alpha=1):
        return _E.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _E.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _E.mul(self, other)

    def div(self, other):
        return _E.div(self, other)

    def pow(self, exponent):
        return _E.pow(self, exponent)

    def neg(self):
        return _E.neg(self)

    def exp(self):
        return _E.exp(self)

    def log(self):
        return _E.log(self)

    def sqrt(self):
        return _E.sqrt(self)

    def abs(self):
        return _E.abs(self)

    def reciprocal(self):
        return _E.reciprocal(self)

    def clamp(self, min=None, max=None):
        return _E.clamp(self, min, max)

    clip = clamp

    def relu(self):
        return _A.relu(self)

    def sigmoid(self):
        return _A.sigmoid(self)

    def tanh(self):
        return _A.tanh(self)

    def softmax(self, dim, dtype=None):
        return _A.softmax(self, dim, dtype)

    def log_softmax(self, dim, dtype=None):
        return _A.log_softmax(self, dim, dtype)

    def matmul(self, other):
        return _L.matmul(self, other)

    def mm(self, other):
        return _L.mm(self, other)

    def mv(self, other):
        return _L.mv(self, other)

    def dot(self, other):
        return _L.dot(self, other)

    def bmm(self, other):
        return _L.bmm(self, other)

    # --- reductions (arguments as the functions take them, numpy's axis/keepdims too) ------
    def sum(self, *args, **kwargs):
        return _R.sum(self, *args, **kwargs)

    def mean(self, *args, **kwargs):
        return _R.mean(self, *args, **kwargs)

    def max(self, *args, **kwargs):
        return _R.max(self, *args, **kwargs)

    def min(self, *args, **kwargs):
        return _R.min(self, *args, **kwargs)

    def amax(self, *args, **kwargs):
        return _R.amax(self, *args, **kwargs)

    def amin(self, *args, **kwargs):
        return _R.amin(self, *args, **kwargs)

    def argmax(self, *args, **kwargs):
        return _ST.argmax(self, *args, **kwargs)

    def argmin(self, *args, **kwargs):
        return _ST.argmin(self, *args, **kwargs)

    def norm(self, *args, **kwargs):
        return _ST.norm(self, *args, **kwargs)

    def var(self, *args, **kwargs):
        return _ST.var(self, *args, **kwargs)

    def std(self, *args, **kwargs):
        return _ST.std(self, *args, **kwargs)

    def prod(self, *args, **kwargs):
        return _ST.prod(self, *args, **kwargs)

    def logsumexp(self, *args, **kwargs):
        return _ST.logsumexp(self, *args, **kwargs)

    def cumsum(self, *args, **kwargs):
        return _ST.cumsum(self, *args, **kwargs)

    def all(self, *args, **kwargs):
        return _ST.all(self, *args, **kwargs)

    def any(self, *args, **kwargs):
        return _ST.any(self, *args, **kwargs)

    # --- more math (gradviz.ops.pointwise), and sampling --------------------------------------
    def sin(self):
        return _P.sin(self)

    def cos(self):
        return _P.cos(self)

    def tan(self):
        return _P.tan(self)

    def sinh(self):
        return _P.sinh(self)

    def cosh(self):
        return _P.cosh(self)

    def asin(self):
        return _P.asin(self)

    def acos(self):
        return _P.acos(self)

    def atan(self):
        return _P.atan(self)

    arcsin, arccos, arctan = asin, acos, atan

    def log10(self):
        return _P.log10(self)

    def log2(self):
        return _P.log2(self)

    def log1p(self):
        return _P.log1p(self)

    def expm1(self):
        return _P.expm1(self)

    def exp2(self):
        return _P.exp2(self)

    def rsqrt(self):
        return _P.rsqrt(self)

    def erf(self):
        return _P.erf(self)

    def square(self):
        return _P.square(self)

    def sign(self):
        return _P.sign(self)

    def sgn(self):
        return _P.sgn(self)

    def floor(self):
        return _P.floor(self)

    def ceil(self):
        return _P.ceil(self)

    def trunc(self):
        return _P.trunc(self)

    fix = trunc

    def round(self, *, decimals=0):
        return _P.round(self, decimals=decimals)

    def frac(self):
        return _P.frac(self)

    def maximum(self, other):
        return _E.maximum(self, other)

    def minimum(self, other):
        return _E.minimum(self, other)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .creation import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        from .creation import bernoulli

        return bernoulli(self, p, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 0/1 draws, each 1 with probability ``p`` (a number or a tensor)."""
        from .creation import BernoulliBackward2, bernoulli

        probs = p if isinstance(p, Tensor) else Tensor._make(
            np.full(self._array.shape, p, dtype=np.float64))
        with no_grad():
            draws = bernoulli(probs, generator=generator)._array
        return _I.fill_values_(self, draws, BernoulliBackward2)

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with draws from the exponential distribution of rate ``lambd``."""
        from .creation import ExponentialBackward0, _generator

        values = _generator(generator).uniform(self._array.shape, np.float64)
        values = -np.log1p(-values) / lambd
        return _I.fill_values_(self, values, ExponentialBackward0)

    def random_(self, from_=0, to=None, *, generator=None):
        """Fill with integers drawn uniformly from [from, to) (``random_(to)``: [0, to);
        ``random_()``: [0, 2^mantissa] for floats, the dtype's range for integers)."""
        from .creation import RandomBackward1, _generator

        if to is None and from_ != 0:
            from_, to = 0, from_
        if to is None:
            arr = self._array
            to = (2 ** (np.finfo(arr.dtype).nmant + 1) + 1 if arr.dtype.kind == "f"
                  else int(np.iinfo(arr.dtype).max) + 1 if arr.dtype.kind in "iu" else 2)
        values = _generator(generator).integers(int(from_), int(to), self._array.shape)
        return _I.fill_values_(self, values, RandomBackward1)

    def ndimension(self) -> int:
        return self._array.ndim

    def element_size(self) -> int:
        return self._array.itemsize

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _P.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace(lambda a: _P.nan_to_num(a, nan, posinf, neginf))

    def lerp(self, end, weight):
        return _P.lerp(self, end, weight)

    def lerp_(self, end, weight):
        return self._inplace(_P.lerp, end, weight)

    def clamp_min(self, min):
        return _P.clamp_min(self, min)

    def clamp_max(self, max):
        return _P.clamp_max(self, max)

    def clamp_min_(self, min):
        return self._inplace(_P.clamp_min, min)

    def clamp_max_(self, max):
        return self._inplace(_P.clamp_max, max)

    def cumprod(self, *args, **kwargs):
        return _ST.cumprod(self, *args, **kwargs)

    def flip(self, *dims):
        return _RA.flip(self, dims[0] if len(dims) == 1 else dims)

    def fliplr(self):
        return _RA.flip(self, 1)

    def flipud(self):
        return _RA.flip(self, 0)

    def roll(self, shifts, dims=None):
        return _RA.roll(self, shifts, dims)

    def repeat(self, *sizes):
        return _RA.repeat(self, *sizes)

    def tile(self, dims):
        return _RA.tile(self, dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return _RA.repeat_interleave(self, repeats, dim)

    def diag(self, diagonal=0):
        return _RA.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _RA.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _RA.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        return _RA.matrix_trace(self)

    def outer(self, vec2):
        return _RA.outer(self, vec2)

    ger = outer

    def sort(self, *args, **kwargs):
        return _SEL.sort(self, *args, **kwargs)

    def argsort(self, *args, **kwargs):
        return _SEL.argsort(self, *args, **kwargs)

    def topk(self, *args, **kwargs):
        return _SEL.topk(self, *args, **kwargs)

    # --- questions about values (gradviz.ops.comparison): constant results ------------------
    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _C.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return bool(_C.isclose(self, other, rtol, atol, equal_nan)._array.all())

    def equal(self, other) -> bool:
        return self._array.shape == other._array.shape and bool(
            (self._array == other._array).all())

    def logical_and(self, other):
        return _C.logical_and(self, other)

    def logical_or(self, other):
        return _C.logical_or(self, other)

    def logical_xor(self, other):
        return _C.logical_xor(self, other)

    def logical_not(self):
        return _C.logical_not(self)

    def isnan(self):
        return _C.isnan(self)

    def isinf(self):
        return _C.isinf(self)

    def isfinite(self):
        return _C.isfinite(self)

    def count_nonzero(self, *args, **kwargs):
        return _C.count_nonzero(self, *args, **kwargs)

    def nonzero(self, *, as_tuple=False):
        return _C.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return _C.argwhere(self)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _C.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _C.bincount(self, weights, minlength)

    # --- new tensors like this one (its dtype unless told otherwise) ------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import ones

        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from .creation import empty

        return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        from .creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device,
                    requires_grad=requires_grad)

    # --- shape ------------------------------------------------------------------------------
    def split(self, split_size, dim=0):
        from .ops.split import split

        return split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        from .ops.split import chunk

        return chunk(self, chunks, dim)

    def tril(self, diagonal=0):
        from .ops.split import tril

        return tril(self, diagonal)

    def triu(self, diagonal=0):
        from .ops.split import triu

        return triu(self, diagonal)

    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], _dt.dtype):
            raise NotImplementedError("view(dtype) is not supported")
        return _S.view(self, *shape)

    def view_as(self, other):
        return _S.view(self, other._array.shape)

    def reshape(self, *shape):
        return _S.reshape(self, *shape)

    def reshape_as(self, other):
        return _S.reshape(self, other._array.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _S.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return _S.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _S.permute(self, *dims)

    def t(self):
        return _S.t(self)

    @property
    def T(self):
        n = self._array.ndim
        if n < 2:
            return self
        return _S.permute(self, tuple(range(n - 1, -1, -1)))

    @property
    def mT(self):
        if self._array.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self._array.ndim}-D tensor.")
        return _S.transpose(self, -2, -1)

    def unsqueeze(self, dim):
        return _S.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _S.squeeze(self, dim)

    def expand(self, *sizes):
        return _S.expand(self, *sizes)

    def expand_as(self, other):
        return _S.expand(self, other._array.shape)

    def clone(self):
        return _S.clone(self)

    def __getitem__(self, key):
        return _S.getitem(self, key)

    def __setitem__(self, key, value):
        # PyTorch's semantics: a view of the indexed part is written with copy_/fill_ (the
        # tensor's grad_fn becomes CopySlices) or index_put_ (see gradviz.ops.inplace).
        _I.setitem(self, key, value)

    # --- in place ---------------------------------------------------------------------------
    def _inplace(self, op, *args):
        """Apply ``op`` in place, recorded as PyTorch records it (see gradviz.ops.inplace)."""
        return _I.apply(self, op, args)

    def add_(self, other, *, alpha=1):
        return self._inplace(lambda a, b: _E.add(a, b, alpha=alpha), other)

    def sub_(self, other, *, alpha=1):
        return self._inplace(lambda a, b: _E.sub(a, b, alpha=alpha), other)

    def mul_(self, other):
        return self._inplace(_E.mul, other)

    def div_(self, other):
        return self._inplace(_E.div, other)

    def pow_(self, exponent):
        return self._inplace(_E.pow, exponent)

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda a: _E.clamp(a, min, max))

    def relu_(self):
        return self._inplace(_A.relu)

    def exp_(self):
        return self._inplace(_E.exp)

    def neg_(self):
        return self._inplace(_E.neg)

    def sqrt_(self):
        return self._inplace(_E.sqrt)

    def log_(self):
        return self._inplace(_E.log)

    def abs_(self):
        return self._inplace(_E.abs)

    def reciprocal_(self):
        return self._inplace(_E.reciprocal)

    def sigmoid_(self):
        return self._inplace(_A.sigmoid)

    def tanh_(self):
        return self._inplace(_A.tanh)

    def sin_(self):
        return self._inplace(_P.sin)

    def cos_(self):
        return self._inplace(_P.cos)

    def tan_(self):
        return self._inplace(_P.tan)

    def sinh_(self):
        return self._inplace(_P.sinh)

    def cosh_(self):
        return self._inplace(_P.cosh)

    def log10_(self):
        return self._inplace(_P.log10)

    def log2_(self):
        return self._inplace(_P.log2)

    def log1p_(self):
        return self._inplace(_P.log1p)

    def expm1_(self):
        return self._inplace(_P.expm1)

    def rsqrt_(self):
        return self._inplace(_P.rsqrt)

    def erf_(self):
        return self._inplace(_P.erf)

    def square_(self):
        return self._inplace(_P.square)

    def sign_(self):
        return self._inplace(_P.sign)

    def floor_(self):
        return self._inplace(_P.floor)

    def ceil_(self):
        return self._inplace(_P.ceil)

    def trunc_(self):
        return self._inplace(_P.trunc)

    def round_(self, *, decimals=0):
        return self._inplace(lambda a: _P.round(a, decimals=decimals))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def zero_(self) -> "Tensor":
        """Set every element to 0 in place (the tutorial's ``inp.grad.zero_()``)."""
        return _I.zero_(self)

    def fill_(self, value) -> "Tensor":
        return _I.fill_(self, value)

    def copy_(self, src, non_blocking=False) -> "Tensor":
        return _I.copy_(self, src)

    def index_put_(self, indices, values, accumulate=False) -> "Tensor":
        key = tuple(_S._index_array(i) for i in indices)
        return _I.index_put_(self, key, values, accumulate)

    def index_put(self, indices, values, accumulate=False) -> "Tensor":
        return self.clone().index_put_(indices, values, accumulate)

    def masked_fill_(self, mask, value) -> "Tensor":
        return _I.masked_fill_(self, mask, value)

    def masked_fill(self, mask, value) -> "Tensor":
        return _I.masked_fill(self, mask, value)

    def gather(self, dim, index, *, sparse_grad=False) -> "Tensor":
        return _G.gather(self, dim, index)

    def take_along_dim(self, indices, dim=None) -> "Tensor":
        return _G.take_along_dim(self, indices, dim)

    def index_select(self, dim, index) -> "Tensor":
        return _G.index_select(self, dim, index)

    def masked_select(self, mask) -> "Tensor":
        return _G.masked_select(self, mask)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None) -> "Tensor":
        return _G.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None) -> "Tensor":
        src = value if src is None else src
        return self._inplace(lambda a, *s: _G.scatter(a, dim, index, s[0] if s else src, reduce=reduce),
                             *((src,) if isinstance(src, Tensor) else ()))

    def scatter_add(self, dim, index, src) -> "Tensor":
        return _G.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src) -> "Tensor":
        return self._inplace(lambda a, s: _G.scatter_add(a, dim, index, s), src)

    def index_add(self, dim, index, source, *, alpha=1) -> "Tensor":
        return _G.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1) -> "Tensor":
        return self._inplace(lambda a, s: _G.index_add(a, dim, index, s, alpha=alpha), source)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        from .random import default_generator

        g = generator or default_generator
        values = g.normal(self._array.shape, self._array.dtype) * std + mean
        return _I.fill_values_(self, values, _I.NormalBackward0)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        from .random import default_generator

        g = generator or default_generator
        values = g.uniform(self._array.shape, self._array.dtype) * (b - a) + a
        return _I.fill_values_(self, values, _I.UniformBackward0)


def _rebuild(arr, requires_grad):
    return Tensor._make(arr, requires_grad)


def _unwrap(x):
    if isinstance(x, Tensor):
        return x._array
    if isinstance(x, (list, tuple)) and any(isinstance(i, Tensor) for i in x):
        return [_unwrap(i) for i in x]
    return x


def _constant(arr) -> Tensor:
    return Tensor._make(np.asarray(arr))


def _compare(fn, a, b) -> Tensor:
    from .ops.base import binary_operands

    _, _, aa, ba = binary_operands(a, b)
    return Tensor._make(np.asarray(fn(aa, ba)))


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new leaf tensor from a number, a (nested) list, a numpy array or another tensor.

    Python floats give the default float dtype (float32), Python ints int64, and numpy arrays
    keep their dtype, as in PyTorch."""
    from .devices import resolve

    resolve(device)
    if isinstance(data, Tensor):
        arr = data._array.copy()
    elif isinstance(data, np.ndarray):
        arr = np.array(data, copy=True)
        _dt.from_numpy(arr.dtype)
    else:
        arr = np.array(_unwrap(data))
        if arr.dtype == object:
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
        kind = arr.dtype.kind
        if kind in "fiu":
            # With an explicit dtype, convert once (going through float32 first loses digits).
            if dtype is None:
                arr = arr.astype(_inferred_dtype(data) or _dt.get_default_dtype().numpy)
        elif kind not in "b":
            if kind in "US":
                raise TypeError(f"new(): invalid data type '{arr.dtype.kind == 'U' and 'str'}'")
            raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(_dt.to_numpy_dtype(dtype))
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _inferred_dtype(data):
    """PyTorch's dtype inference for Python data: bools, ints give int64, floats the default
    float, numpy scalars and tensors keep theirs, and a sequence promotes over its elements
    (so [np.float64(1.5), 2.0] is float64 and [1, 2.5] float32)."""
    if isinstance(data, Tensor):
        return data._array.dtype
    if isinstance(data, (np.generic, np.ndarray)):
        return data.dtype
    if isinstance(data, bool):
        return np.dtype(np.bool_)
    if isinstance(data, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(data, numbers.Real):
        return _dt.get_default_dtype().numpy
    if isinstance(data, (list, tuple)):
        result = None
        for item in data:
            d = _inferred_dtype(item)
            if d is not None:
                result = d if result is None else _dt._promote(result, d)
        return result
    return None


from .ops import activation as _A  # noqa: E402
from .ops import elementwise as _E  # noqa: E402
from .ops import gather as _G  # noqa: E402
from .ops import inplace as _I  # noqa: E402
from .ops import linalg as _L  # noqa: E402
from .ops import comparison as _C  # noqa: E402
from .ops import pointwise as _P  # noqa: E402
from .ops import rearrange as _RA  # noqa: E402
from .ops import selection as _SEL  # noqa: E402
from .ops import reduction as _R  # noqa: E402
from .ops import statistics as _ST  # noqa: E402
from .ops import shape as _S  # noqa: E402

del builtins
