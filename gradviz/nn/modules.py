"""``Module`` and ``Parameter``, the base of every layer, and ``Linear``/``Identity``."""
from __future__ import annotations

import math
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from ..autograd import scope as _scopes
from ..autograd.hooks import RemovableHandle
from ..random import default_generator
from ..tensor import Tensor
from . import functional as F


class Parameter(Tensor):
    """A leaf tensor that requires grad and that a Module registers as its parameter.
    ``Parameter(t)`` shares ``t``'s data and keeps its dtype; ``Parameter()`` is empty."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), dtype=_default_float())
        elif isinstance(data, Tensor):
            arr = data._array
        elif isinstance(data, np.ndarray) and data.dtype.kind == "f":
            arr = data
        else:
            arr = np.asarray(data, dtype=_default_float())
        p = Tensor._make.__func__(cls, arr)
        p._requires_grad = requires_grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._array.copy(), self._requires_grad))

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _rebuild_parameter(arr, requires_grad):
    return Parameter(arr, requires_grad)


def _default_float():
    from ..dtypes import get_default_dtype

    return get_default_dtype().numpy


def _typename(value) -> str:
    """What PyTorch's ``torch.typename`` says about ``value`` (for error texts)."""
    if isinstance(value, Tensor):
        return value.type()
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the keys it did not use."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of every layer and model, as ``torch.nn.Module``: parameters, buffers and
    submodules registered by attribute assignment, ``state_dict``, ``train``/``eval``.

    Registered values live in ``_parameters``/``_buffers``/``_modules`` and, for fast attribute
    reads in ``forward``, also in the instance ``__dict__``; ``__setattr__``/``__delattr__`` and
    the ``register_*`` methods keep the two in step."""

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given" if args else
                            f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration ---------------------------------------------------------------------
    def _registries(self, what: str):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")
        return self._parameters, self._buffers, self._modules

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            params, buffers, modules = self._registries("parameters")
            buffers.pop(name, None)
            modules.pop(name, None)
            self.register_parameter(name, value)
            return
        params = self.__dict__.get("_parameters")
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, None)
            return
        if isinstance(value, Module):
            params, buffers, modules = self._registries("module")
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        else:
            modules = self.__dict__.get("_modules")
            buffers = self.__dict__.get("_buffers")
            if modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                    "(torch.nn.Module or None expected)")
                modules[name] = None
            elif buffers is not None and name in buffers:
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                    "(torch.nn.Buffer, torch.Tensor or None expected)")
                buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            d = self.__dict__.get(registry)
            if d is not None and name in d:
                del d[name]
                self._non_persistent_buffers_set.discard(name)
        object.__delattr__(self, name)

    def _check_new_name(self, name, what: str, registry: dict):
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f"{what} name can't contain \".\"")
        if name == "":
            raise KeyError(f"{what} name can't be empty string \"\"")
        if name in self.__dict__ and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param) -> None:
        """Add ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        params, _, _ = self._registries("parameter")
        self._check_new_name(name, "parameter", params)
        if param is not None:
            if not isinstance(param, Parameter):
                raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                                "(torch.nn.Parameter or None required)")
            if param.grad_fn is not None:
                raise ValueError(
                    f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                    f"be created explicitly. To express '{name}' as a function of another Tensor, "
                    "compute the value in the forward() method.")
        params[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (e.g. BatchNorm's running mean);
        it is in ``state_dict`` unless ``persistent=False``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_new_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError("module name can't be empty string \"\"")
        if name in self.__dict__ and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str):
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if item not in mod._modules:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        # The ops recorded while forward runs carry this call's scope (its qualified name in
        # the outermost module called), so the explorer can collapse them into one box.
        token = _scopes.enter_module(self)
        try:
            if self._forward_pre_hooks or self._forward_hooks:
                return self._call_with_hooks(args, kwargs)
            return self.forward(*args, **kwargs)
        finally:
            _scopes.exit_module(token)

    def _call_with_hooks(self, args, kwargs):
        """forward between the pre-hooks (which may replace the inputs) and the hooks (which
        may replace the output), as PyTorch calls them."""
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook):
        """``hook(module, args)`` runs before each forward; a non-None result replaces args."""
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """``hook(module, args, output)`` runs after each forward (e.g. to keep activations);
        a non-None result replaces the output."""
        return RemovableHandle(self._forward_hooks, hook)

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """This module and every module inside it, as ``(qualified name, module)`` pairs,
        the outermost first with the name ``""`` (as PyTorch's ``named_modules``)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        pairs = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in pairs:
            for k, v in get_members(module):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """``(qualified name, parameter)`` pairs, each shared parameter once."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p._grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p._grad.zero_()

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def train(self, mode: bool = True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- dtype and device -----------------------------------------------------------------
    def _apply_to_tensors(self, convert):
        """Replace the data of every parameter, gradient and buffer by ``convert(tensor)``,
        keeping the Parameter objects (so optimizers holding them stay valid)."""
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is None:
                    continue
                new = convert(t)
                if new is not t:
                    t._array = new._array
                    if t._grad is not None:
                        t._grad._array = convert(t._grad)._array
        return self

    def to(self, *args, **kwargs):
        """``module.to(device)`` / ``.to(dtype)``: floating point parameters and buffers take
        the dtype; devices are checked as ``Tensor.to`` checks them."""
        def convert(t):
            if t._array.dtype.kind != "f":
                # Integer buffers (num_batches_tracked) keep their dtype, as in PyTorch.
                kw = {k: v for k, v in kwargs.items() if k != "dtype"}
                a = [x for x in args if not _is_dtype(x)]
                return t.to(*a, **kw) if a or kw else t
            return t.to(*args, **kwargs)
        return self._apply_to_tensors(convert)

    def cpu(self):
        return self

    def cuda(self, device=None):
        """Raises PyTorch's error for a build without CUDA (gradviz runs on the CPU only)."""
        return self.to("cuda" if device is None else device)

    def half(self):
        return self._apply_to_tensors(lambda t: t.half() if t._array.dtype.kind == "f" else t)

    def float(self):
        return self._apply_to_tensors(lambda t: t.float() if t._array.dtype.kind == "f" else t)

    def double(self):
        return self._apply_to_tensors(lambda t: t.double() if t._array.dtype.kind == "f" else t)

    # --- saving and loading ---------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter and persistent buffer by qualified name, in registration order
        (parameters before buffers within each module); detached unless ``keep_vars``."""
        if args:
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy ``state_dict``'s tensors into this module's parameters and buffers, in place.
        With ``strict``, missing or unexpected keys raise PyTorch's error; size mismatches
        always do, and nothing is changed when anything raises."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        errors, copies = [], []
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected torch.Tensor '
                              f"or Tensor-like object from checkpoint but received {type(value)}")
                continue
            src = value._array
            if target._array.ndim == 0 and src.shape == (1,):
                src = src.reshape(())
            if src.shape != target._array.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{_size(src.shape)} from checkpoint, the shape in current model is "
                              f"{_size(target._array.shape)}.")
                continue
            copies.append((target, src))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        for target, src in copies:
            if assign:
                target._array = np.array(src, copy=True)
            else:
                np.copyto(target._array, src, casting="unsafe")
                target._version_counter[0] += 1
        return _IncompatibleKeys(missing, unexpected)

    # --- printing -------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra_lines = self.extra_repr().split("\n") if self.extra_repr() else []
        child_lines = [f"({key}): {_addindent(repr(m), 2)}" for key, m in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _addindent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (PyTorch's ``_addindent``)."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    return first + "\n" + "\n".join((" " * spaces + line) if line.strip() else "" for line in rest)


def _size(shape) -> str:
    return f"torch.Size([{', '.join(map(str, shape))}])"


def _is_dtype(x) -> bool:
    from ..dtypes import dtype

    return isinstance(x, dtype)


class Linear(Module):
    """``y = x @ W.T + b`` with PyTorch's default initialisation, U(-1/√in, 1/√in)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        from ..devices import resolve

        super().__init__()
        resolve(device)
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features else 0.0
        # The default dtype as it is now (set_default_dtype applies to new parameters too).
        np_dtype = _default_float() if dtype is None else dtype.numpy
        g = default_generator
        self.weight = Parameter(Tensor._make(
            (g.uniform((out_features, in_features), np_dtype) * 2 - 1) * bound))
        self.bias = Parameter(Tensor._make(
            (g.uniform((out_features,), np_dtype) * 2 - 1) * bound)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder layer); accepts and ignores any arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


# Containers, activations, losses and the other layers live in their own modules; they are
# re-exported here because ``torch.nn.modules`` offers them all.
from .activation import GELU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402,F401
from .containers import ModuleDict, ModuleList, Sequential  # noqa: E402,F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss,  # noqa: E402,F401
                   MSELoss, NLLLoss, SmoothL1Loss)
