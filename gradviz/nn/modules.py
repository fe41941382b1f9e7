"""A few ``nn`` modules: enough to build and train a small classifier."""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from ..autograd import scope as _scopes
from ..random import default_generator
from ..tensor import Tensor
from . import functional as F


class Parameter(Tensor):
    """A leaf tensor that requires grad and that a Module registers as its parameter."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        arr = data._array if isinstance(data, Tensor) else np.asarray(data, dtype=np.float32)
        p = Tensor._make.__func__(cls, arr)
        p._requires_grad = requires_grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        # The ops recorded while forward runs carry this call's scope (its qualified name in
        # the outermost module called), so the explorer can collapse them into one box.
        token = _scopes.enter_module(self)
        try:
            return self.forward(*args, **kwargs)
        finally:
            _scopes.exit_module(token)

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

    def named_parameters(self, prefix=""):
        for name, p in self._parameters.items():
            yield prefix + name, p
        for mname, m in self._modules.items():
            yield from m.named_parameters(prefix + mname + ".")

    def parameters(self):
        for _, p in self.named_parameters():
            yield p

    def children(self):
        return iter(self._modules.values())

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p._grad is not None:
                p._grad.zero_()

    def train(self, mode: bool = True):
        object.__setattr__(self, "training", mode)
        for m in self._modules.values():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({k}): {m!r}".replace("\n", "\n  ") for k, m in self._modules.items()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Linear(Module):
    """``y = x @ W.T + b`` with PyTorch's default initialisation, U(-1/√in, 1/√in)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features else 0.0
        np_dtype = np.float32 if dtype is None else dtype.numpy
        g = default_generator
        self.weight = Parameter((g.uniform((out_features, in_features), np_dtype) * 2 - 1) * bound)
        self.bias = Parameter((g.uniform((out_features,), np_dtype) * 2 - 1) * bound) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Sequential(Module):
    def __init__(self, *modules):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)


class MSELoss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(MSELoss):
    def forward(self, input, target):
        return F.cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(MSELoss):
    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
