"""A graph given as a function of named inputs: ``gradviz.explore(fn, x=x, w=w)``.

``fn(**inputs)`` returns the root; an input edit calls ``fn`` again with new input tensors. This
works for any graph, gradviz's or PyTorch's, because nothing is replayed: the function is simply
run again, by whichever library its tensors belong to. The user's own tensors are never changed
by an edit: every input of the new call is a fresh copy (the edited one with its new value), so
its gradients start at None, as a replayed gradviz graph's do. Tensors ``fn`` reaches by other
means (a model's parameters) are the same in every call.
"""
from __future__ import annotations

import numpy as np

from . import sources
from .tensor import Tensor


class EditError(ValueError):
    """The function could not be run with the new input (the message says why)."""


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor) or sources.is_torch_tensor(obj)


class FunctionForm:
    """``FunctionForm(fn, inputs, names=None)``: ``root`` is ``fn(**inputs)``; ``with_input(name,
    value, requires_grad)`` is the form with one input changed, ``fn`` run again. ``names``:
    further ``{"name": tensor or module}`` to label the graph with (``all_names()`` adds the
    inputs, under their keyword names); a names mapping of another type keeps its type."""

    def __init__(self, fn, inputs: dict, names=None):
        if not callable(fn):
            raise TypeError(f"expected a function returning the root tensor, got {type(fn).__name__}")
        if not inputs:
            raise TypeError("give the function's inputs by name: gradviz.explore(fn, x=x, w=w)")
        for name, t in inputs.items():
            if not is_tensor(t):
                raise TypeError(f"input {name!r} must be a gradviz or torch tensor, got {type(t).__name__}")
        self.fn = fn
        self.inputs = dict(inputs)
        self.names = names if names is not None else {}
        self.root = self._call(self.inputs)

    def all_names(self):
        """``names`` with the inputs under their keyword names (which win over any other name
        the same tensors have there)."""
        mine = {id(t) for t in self.inputs.values()}
        out = type(self.names)() if isinstance(self.names, dict) else {}
        for k, v in self.names.items():
            if k in self.inputs or k in mine or id(v) in mine:
                continue
            out[k] = v
        out.update(self.inputs)
        return out

    @property
    def fn_name(self) -> str:
        return getattr(self.fn, "__name__", "the function")

    def _call(self, inputs):
        out = self.fn(**inputs)
        if not is_tensor(out):
            raise TypeError(f"{self.fn_name}(...) must return the root tensor, got {type(out).__name__}")
        return out

    def with_input(self, name: str, value=None, requires_grad=None) -> "FunctionForm":
        """The form with input ``name`` set to ``value`` (array-like) and/or ``requires_grad``;
        ``EditError`` (nothing changed) when the value does not fit or ``fn`` fails on it."""
        if name not in self.inputs:
            raise EditError(f"no input called {name!r}; inputs: {list(self.inputs)}")
        inputs = {k: _copy(t) for k, t in self.inputs.items()}
        inputs[name] = _copy(self.inputs[name], value, requires_grad)
        form = FunctionForm.__new__(FunctionForm)
        form.fn, form.inputs, form.names = self.fn, inputs, self.names
        try:
            form.root = form._call(inputs)
        except TypeError:
            raise
        except Exception as e:  # noqa: BLE001 - whatever fn raises is the user's answer
            raise EditError(f"{self.fn_name}(...) failed with the new input: {e}") from e
        return form


def _copy(t, value=None, requires_grad=None):
    """A fresh leaf like ``t`` (same dtype, device and requires_grad unless given), holding
    ``value`` when given."""
    flag = sources.requires_grad(t) if requires_grad is None else bool(requires_grad)
    old = sources.value_array(t)
    if value is None:
        arr = old.copy()
    else:
        arr = np.asarray(value._array if isinstance(value, Tensor) else value)
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise EditError(f"expected numbers, got values of type {arr.dtype}")
        if old.dtype.kind in "iub" and arr.dtype.kind == "f" and not (
                np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            raise EditError(f"this input holds {old.dtype.name} values; got non-integer numbers")
        arr = arr.astype(old.dtype)
    if flag and old.dtype.kind not in "fc":
        raise EditError("Only floating point tensors can require gradients.")
    if isinstance(t, Tensor):
        return Tensor._make(arr, flag)
    import torch

    new = torch.from_numpy(np.array(arr, copy=True)).to(device=t.device, dtype=t.dtype)
    return new.requires_grad_(flag)
