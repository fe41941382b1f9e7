"""Functions that make new tensors: from data, filled, ranges and random draws.

Every function takes PyTorch's keywords: ``dtype=``, ``device=`` (the CPU is the only device;
others raise what a CPU-only PyTorch raises), ``requires_grad=`` and, for random draws,
``generator=`` (a ``gradviz.Generator``; the global stream by default). Sizes may be given as
separate ints, one tuple/list/``Size``, or ``size=``.
"""
from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .autograd.node import Node
from .devices import resolve as _resolve_device
from .ops.base import check_broadcast, record
from .random import default_generator
from .tensor import Tensor, tensor


def _shape(size, name: str = "zeros", keyword=None) -> tuple:
    if keyword is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        size = (keyword,)
    if not size:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"size\"")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"expected a sequence of integers, but got {type(s).__name__}")
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, size))}]")
    return tuple(int(s) for s in size)


def _float_dtype(dtype) -> np.dtype:
    return _dt.to_numpy_dtype(dtype) if dtype is not None else _dt.get_default_dtype().numpy


def _leaf(arr: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    _resolve_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        if arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _generator(generator):
    return default_generator if generator is None else generator


def as_tensor(data, dtype=None, device=None) -> Tensor:
    _resolve_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    if isinstance(data, np.ndarray) and dtype is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``arr`` (changes to one show in the other)."""
    _dt.from_numpy(arr.dtype)
    return Tensor._make(arr)


# --- filled ------------------------------------------------------------------------------------
def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw) -> Tensor:
    return _leaf(np.zeros(_shape(size, "zeros", kw.pop("size", None)), dtype=_float_dtype(dtype)),
                 requires_grad, device)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw) -> Tensor:
    return _leaf(np.ones(_shape(size, "ones", kw.pop("size", None)), dtype=_float_dtype(dtype)),
                 requires_grad, device)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, **kw) -> Tensor:
    """Like PyTorch's, but the memory is zeroed (uninitialised values would make runs differ)."""
    return _leaf(np.zeros(_shape(size, "empty", kw.pop("size", None)), dtype=_float_dtype(dtype)),
                 requires_grad, device)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = (_dt.bool_ if isinstance(fill_value, bool) else
                 _dt.int64 if isinstance(fill_value, (int, np.integer)) else _dt.get_default_dtype())
    return _leaf(np.full(_shape((size,), "full"), fill_value, dtype=_dt.to_numpy_dtype(dtype)),
                 requires_grad, device)


def _like(t: Tensor, dtype):
    return _dt.to_numpy_dtype(dtype) if dtype is not None else t._array.dtype


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _leaf(np.zeros(input._array.shape, dtype=_like(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _leaf(np.ones(input._array.shape, dtype=_like(input, dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _leaf(np.full(input._array.shape, fill_value, dtype=_like(input, dtype)),
                 requires_grad, device)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False) -> Tensor:
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _leaf(np.eye(n, m if m is not None else n, dtype=_float_dtype(dtype)), requires_grad,
                 device)


# --- ranges ------------------------------------------------------------------------------------
def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False) -> Tensor:
    if end is None:
        start, end = 0, start
    values = (start, end, step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_float = any(isinstance(v, float) or (isinstance(v, Tensor) and v.is_floating_point()) for v in values)
        np_dtype = _dt.get_default_dtype().numpy if is_float else np.dtype(np.int64)
    else:
        np_dtype = _dt.to_numpy_dtype(dtype)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in values)
    return _leaf(np.arange(start, end, step).astype(np_dtype), requires_grad, device)


def _check_steps(steps):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_values(start, end, steps: int, np_dtype: np.dtype) -> np.ndarray:
    """PyTorch's formula, step for step, so float32 results agree to the last bit: the first
    half counts up from ``start``, the second half down from ``end``."""
    if steps == 0:
        return np.empty(0, dtype=np_dtype)
    if steps == 1:
        return np.full(1, start).astype(np_dtype)
    # Half precision is computed in float32 (within one float16 step of PyTorch's values, not
    # always equal), integers in float64, as PyTorch does.
    work = {"f": np_dtype, "i": np.dtype(np.float64), "u": np.dtype(np.float64)}.get(
        np_dtype.kind, np.dtype(np.float64))
    if np_dtype == np.float16:
        work = np.dtype(np.float32)
    s, e = work.type(start), work.type(end)
    step = (e - s) / work.type(steps - 1)
    i = np.arange(steps)
    # PyTorch multiplies and adds in one fused step (fma): the exact product and sum, rounded
    # once. float64 holds float32 products exactly; float64 products need _fma64.
    if work.itemsize < 8:
        s, e, step = np.float64(s), np.float64(e), np.float64(step)
        up = s + step * i
        down = e - step * (steps - 1 - i)
    else:
        up = _fma64(np.full(steps, step), i.astype(np.float64), s)
        down = _fma64(np.full(steps, -step), (steps - 1 - i).astype(np.float64), e)
    out = np.where(i < steps // 2, up, down)
    return out.astype(np_dtype)


def _fma64(a: np.ndarray, b: np.ndarray, c) -> np.ndarray:
    """``a*b + c`` with the product kept exact (Dekker's two-product and Knuth's two-sum), as
    a fused multiply-add computes it."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    total = p + c
    back = total - p
    rounding = (p - (total - back)) + (c - back)
    return total + (rounding + err)


def _split(x: np.ndarray):
    t = 134217729.0 * x  # 2**27 + 1: splits a double into two 26-bit halves
    hi = t - (t - x)
    return hi, x - hi


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    steps = _check_steps(steps)
    return _leaf(_linspace_values(start, end, steps, _float_dtype(dtype)), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    steps = _check_steps(steps)
    np_dtype = _float_dtype(dtype)
    exponents = _linspace_values(start, end, steps, np.dtype(np.float64))
    return _leaf(np.power(float(base), exponents).astype(np_dtype), requires_grad, device)


# --- random draws ------------------------------------------------------------------------------
def _random_float_dtype(dtype, kernel: str) -> np.dtype:
    np_dtype = _float_dtype(dtype)
    if np_dtype.kind != "f":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_dt.scalar_type_name(np_dtype)}'")
    return np_dtype


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kw) -> Tensor:
    """Standard normal draws (from gradviz's stream, not PyTorch's)."""
    shape = _shape(size, "randn", kw.pop("size", None))
    np_dtype = _random_float_dtype(dtype, "normal_kernel_cpu")
    _resolve_device(device)
    return _leaf(_generator(generator).normal(shape, np_dtype), requires_grad)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw) -> Tensor:
    """Uniform draws from [0, 1) (from gradviz's stream, not PyTorch's)."""
    shape = _shape(size, "rand", kw.pop("size", None))
    np_dtype = _random_float_dtype(dtype, "check_uniform_bounds")
    _resolve_device(device)
    return _leaf(_generator(generator).uniform(shape, np_dtype), requires_grad)


def randint(*args, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False, **kw) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high), int64
    unless ``dtype`` says otherwise."""
    given = len(args) + sum(k in kw for k in ("low", "high", "size"))
    names = ("low", "high", "size") if given == 3 else ("high", "size")
    values = dict(zip(names, args))
    for k in ("low", "high", "size"):
        if k in kw:
            if k in values:
                raise TypeError(f"randint() got multiple values for argument '{k}'")
            values[k] = kw.pop(k)
    if kw:
        raise TypeError(f"randint() got an unexpected keyword argument '{next(iter(kw))}'")
    if "size" not in values or "high" not in values:
        raise TypeError("randint() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)}), but expected one of:\n"
                        " * (int high, tuple of ints size, *, gradviz.Generator generator, Tensor "
                        "out = None, gradviz.dtype dtype = None, gradviz.layout layout = None, "
                        "gradviz.device device = None, bool pin_memory = False, bool requires_grad "
                        "= False)\n * (int low, int high, tuple of ints size, *, gradviz.Generator "
                        "generator, Tensor out = None, gradviz.dtype dtype = None, gradviz.layout "
                        "layout = None, gradviz.device device = None, bool pin_memory = False, bool "
                        "requires_grad = False)")
    size = values["size"]
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position {len(names)}) must be tuple of "
                        f"ints, not {type(size).__name__}")
    low, high = values.get("low", 0), values["high"]
    shape = _shape((size,), "randint")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    arr = _generator(generator).integers(int(low), int(high), shape)
    if dtype is not None:
        arr = arr.astype(_dt.to_numpy_dtype(dtype))
    return _leaf(arr, requires_grad, device)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    arr = _generator(generator).permutation(int(n))
    if dtype is not None:
        arr = arr.astype(_dt.to_numpy_dtype(dtype))
    return _leaf(arr, requires_grad, device)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return randn(*input._array.shape, dtype=dtype or input.dtype, device=device,
                 requires_grad=requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return rand(*input._array.shape, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input._array.shape, dtype=dtype or input.dtype, device=device,
                   requires_grad=requires_grad)


# normal() with tensor arguments records a node, as PyTorch does; the draw is not
# reparametrised, so the gradient it sends to mean and std is zero (PyTorch's too).
class _ZeroGradient(Node):
    __slots__ = ()
    rule = "a random draw: no gradient flows back to its parameters"

    def backward(self, g):
        return tuple(np.zeros_like(g) if self.needs(i) else None
                     for i in range(len(self.next_functions)))


class NormalBackward1(_ZeroGradient):
    __slots__ = ()


class NormalBackward2(_ZeroGradient):
    __slots__ = ()


class NormalBackward3(_ZeroGradient):
    __slots__ = ()


class BernoulliBackward0(_ZeroGradient):
    __slots__ = ()


class BernoulliBackward2(_ZeroGradient):
    """bernoulli_(p) overwrote every element with draws."""

    __slots__ = ()


class ExponentialBackward0(_ZeroGradient):
    """exponential_() overwrote every element with draws."""

    __slots__ = ()


class RandomBackward1(_ZeroGradient):
    """random_(to) overwrote every element with draws."""

    __slots__ = ()


def _std_value(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    return std


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """Normal draws: ``normal(mean, std, size)`` with numbers, or elementwise with a tensor
    ``mean`` and/or ``std`` (broadcast against each other)."""
    g = _generator(generator)
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                            "of:\n * (Tensor mean, Tensor std, *, gradviz.Generator generator = "
                            "None, Tensor out = None)\n * (Tensor mean, float std = 1, *, "
                            "gradviz.Generator generator = None, Tensor out = None)\n * (float "
                            "mean, Tensor std, *, gradviz.Generator generator = None, Tensor out = "
                            "None)\n * (float mean, float std, tuple of ints size, *, "
                            "gradviz.Generator generator = None, Tensor out = None, gradviz.dtype "
                            "dtype = None, gradviz.layout layout = None, gradviz.device device = "
                            "None, bool pin_memory = False, bool requires_grad = False)")
        np_dtype = _random_float_dtype(dtype, "normal_kernel_cpu")
        _std_value(std)
        shape = _shape((size,), "normal")
        arr = (g.normal(shape, np.float64) * std + mean).astype(np_dtype)
        return _leaf(arr, requires_grad, device)
    m = mean._array if mean_t else np.asarray(mean)
    s = std._array if std_t else np.asarray(std)
    ref = mean if mean_t else std
    np_dtype = ref._array.dtype
    if np_dtype.kind != "f":
        raise NotImplementedError(
            f"\"normal_kernel_cpu\" not implemented for '{_dt.scalar_type_name(np_dtype)}'")
    if std_t:
        if np.any(s < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        _std_value(std)
    if mean_t and std_t:
        check_broadcast(m, s)
    shape = np.broadcast_shapes(m.shape, s.shape)
    arr = (g.normal(shape, np.float64) * s + m).astype(np_dtype)
    if mean_t and std_t:
        return record(NormalBackward3, arr, (mean, std))
    if mean_t:
        return record(NormalBackward1, arr, (mean,))
    return record(NormalBackward2, arr, (std,))


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 draws, each 1 with the probability given by ``input`` (or by ``p``), in
    ``input``'s dtype."""
    arr = input._array
    probs = np.broadcast_to(np.asarray(p, dtype=np.float64), arr.shape) if p is not None else arr
    if np.any((probs < 0) | (probs > 1)) or (probs.dtype.kind == "f" and np.any(np.isnan(probs))):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    draws = (_generator(generator).uniform(arr.shape, np.float64) < probs).astype(arr.dtype)
    return record(BernoulliBackward0, draws, (input,))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Indices drawn from the categories of each row of ``input`` (non-negative weights, not
    necessarily summing to 1): ``num_samples`` per row, with or without replacement."""
    arr = input._array
    if arr.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if arr.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_dt.scalar_type_name(arr.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > arr.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = arr.reshape(-1, arr.shape[-1]).astype(np.float64)
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(rows.sum(axis=1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _generator(generator)
    drawn = np.stack([g.categorical(r, int(num_samples), bool(replacement)) for r in rows])
    return Tensor._make(drawn.reshape(arr.shape[:-1] + (int(num_samples),)))
