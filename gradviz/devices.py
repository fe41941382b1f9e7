"""Devices. gradviz computes with numpy, so the CPU is its only device; ``gradviz.device``
still parses every device string PyTorch parses, so that ``x.to(device)`` in a program written
for a GPU runs unchanged when ``device`` came out as ``"cpu"``, and asking for CUDA raises the
error a CPU-only PyTorch build raises."""
from __future__ import annotations

import re

DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")

_DEVICE_STRING = re.compile(r"^([a-zA-Z_]+)(?::([0-9]+))?$")


class device:
    """Where a tensor lives: ``gradviz.device("cpu")``, ``device("cuda", 0)``, ``device("cuda:1")``.

    Reads like PyTorch's: ``repr`` is ``device(type='cpu')``, ``str`` is ``cpu``, with ``type``
    and ``index`` attributes, equal when both agree, usable as a context manager."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): a device cannot take an index")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            # An integer names an accelerator, and there is none.
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({_builtin_type(type).__name__}), but expected one of:\n"
                            " * (gradviz.device device)\n * (str type, int index = -1)")
        m = _DEVICE_STRING.match(type)
        if m is None:
            name = re.match(r"^[a-zA-Z_]+", type)
            if name is not None and name.group(0) not in DEVICE_TYPES:
                raise _unknown_type(type)
            raise RuntimeError(f"Invalid device string: '{type}'")
        kind, idx = m.group(1), m.group(2)
        if kind not in DEVICE_TYPES:
            raise _unknown_type(type)
        if idx is not None:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            index = int(idx)
        if index is not None:
            if index < 0:
                raise RuntimeError("Device index must not be negative")
            index = int(index)
        self.type, self.index = kind, index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    # ``with gradviz.device("cpu"):`` sets the default device for the block, as in PyTorch
    # (an unavailable device raises when the block creates a tensor, not here).
    def __enter__(self):
        global _default_device
        _restore_stack.append(_default_device)
        _default_device = self
        return self

    def __exit__(self, *exc) -> None:
        global _default_device
        _default_device = _restore_stack.pop()


_builtin_type = type


def _unknown_type(text: str) -> RuntimeError:
    return RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                        f"device string: {text}")


CPU = device("cpu")
_default_device = CPU
_restore_stack: list = []


def as_device(d) -> device:
    """A ``device`` from a device, a string like ``"cpu"`` or ``"cuda:0"``, or an int."""
    return d if isinstance(d, device) else device(d)


def check_available(d: device) -> None:
    """Raise what a CPU-only PyTorch build raises for a device it does not have."""
    if d.type == "cpu":
        return
    if d.type == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if d.type == "xpu":
        raise AssertionError("Torch not compiled with XPU enabled")
    if d.type == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"gradviz computes on the CPU only; the '{d.type}' device is not "
                       "available")


def resolve(d=None) -> device:
    """The device a new tensor goes to: ``d``, or the default device; raises for devices that
    are not available."""
    target = _default_device if d is None else as_device(d)
    check_available(target)
    return target


def set_default_device(d) -> None:
    """Where new tensors are created. Only the CPU exists; like PyTorch, naming another device
    is accepted here and fails when a tensor is created."""
    global _default_device
    _default_device = CPU if d is None else as_device(d)


def get_default_device() -> device:
    return _default_device


def _is_dtype(x) -> bool:
    from .dtypes import dtype

    return isinstance(x, dtype) or x in (float, int, bool)


def _is_device(x) -> bool:
    return isinstance(x, (device, str)) or (isinstance(x, int) and not isinstance(x, bool))


def parse_to(*args, **kwargs):
    """The arguments of ``Tensor.to`` / ``Module.to`` in any of PyTorch's forms, as
    ``(device or None, dtype or None, non_blocking, copy)``:
    ``to(device=None, dtype=None, non_blocking=False, copy=False)``,
    ``to(dtype, non_blocking=False, copy=False)`` and ``to(tensor, non_blocking=False, copy=False)``
    (which takes the other tensor's device and dtype)."""
    from .tensor import Tensor

    kwargs.pop("memory_format", None)
    rest = list(args)
    dev = dt = None
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dev, dt = CPU, other.dtype
    elif rest and _is_dtype(rest[0]):
        dt = rest.pop(0)
    elif rest and (_is_device(rest[0]) or rest[0] is None):
        dev = rest.pop(0)
        if rest and _is_dtype(rest[0]):
            dt = rest.pop(0)
    flags = {"non_blocking": False, "copy": False}
    for name, value in zip(("non_blocking", "copy"), rest):
        if not isinstance(value, bool):
            raise _bad_to(args, kwargs)
        flags[name] = value
    if len(rest) > 2:
        raise _bad_to(args, kwargs)
    for name, value in kwargs.items():
        if name == "device" and dev is None and (value is None or _is_device(value)):
            dev = value
        elif name == "dtype" and dt is None and (value is None or _is_dtype(value)):
            dt = value
        elif name in flags:
            flags[name] = bool(value)
        else:
            raise _bad_to(args, kwargs)
    return (None if dev is None else as_device(dev)), dt, flags["non_blocking"], flags["copy"]


def _bad_to(args, kwargs) -> TypeError:
    def kind(v):
        from .dtypes import dtype

        return "gradviz.dtype" if isinstance(v, dtype) else "gradviz.device" if isinstance(
            v, device) else "Tensor" if type(v).__name__ in ("Tensor", "Parameter") else type(
            v).__name__

    got = ", ".join(kind(a) for a in args)
    named = "".join(f"{k}={kind(v)}, " for k, v in kwargs.items())
    got = f"{got}, {named}" if got and named else got + named
    return TypeError(
        f"to() received an invalid combination of arguments - got ({got}), but "
        "expected one of:\n"
        " * (gradviz.device device = None, gradviz.dtype dtype = None, bool non_blocking = "
        "False, bool copy = False, *, gradviz.memory_format memory_format = None)\n"
        " * (gradviz.dtype dtype, bool non_blocking = False, bool copy = False, *, "
        "gradviz.memory_format memory_format = None)\n"
        " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, "
        "gradviz.memory_format memory_format = None)\n")
