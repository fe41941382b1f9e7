"""Nodes of the backward graph (what PyTorch calls ``grad_fn``).

A ``Node`` is created by an op when it records itself. It knows where the gradient goes next
(``next_functions``: one ``(node, output_nr)`` pair per input, ``(None, 0)`` for inputs that
need no gradient), what it saved from the forward pass, and how to turn the gradient of its
output into gradients of its inputs (``backward``). Leaves that require grad are reached
through an ``AccumulateGrad`` node, exactly as in PyTorch.
"""
from __future__ import annotations

import itertools

import numpy as np

from . import scope as _scopes

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)

# Creation order. The engine runs ready nodes latest-created first, as PyTorch does, which
# makes the order of a backward pass deterministic and the same as PyTorch's.
_sequence = itertools.count()


class SavedTensor:
    """A tensor saved for backward, with the version it had when saved, so that an in-place
    change made afterwards is detected instead of silently giving a wrong gradient."""

    __slots__ = ("tensor", "version", "grad_fn", "is_output")

    def __init__(self, tensor):
        self.tensor = tensor
        self.version = tensor._version_counter[0]
        # What produced the tensor when it was saved (an in-place op replaces t.grad_fn later).
        self.grad_fn = tensor.grad_fn
        # Set for the result of an in-place op, saved as the output of that op's node.
        self.is_output = False

    def unpack(self, node: "Node", name: str) -> np.ndarray:
        t = self.tensor
        if t._version_counter[0] != self.version:
            # As PyTorch: a saved output is named by the node that produced it (a node's own
            # output is saved before the node is attached to it), any other tensor by what
            # produced its current version.
            if node.output_tensor() is t:
                fn = node
            else:
                fn = self.grad_fn if self.is_output else t.grad_fn
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t._type_name()} [{', '.join(map(str, t.shape))}]]"
                f"{_produced_by(fn)} is at version {t._version_counter[0]}; expected version "
                f"{self.version} instead. Hint: enable anomaly detection to find the operation "
                "that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True, check_nan=False)."
            )
        return t._array


class FreedTensor:
    """What is left of a saved tensor after backward freed it: only its shape."""

    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape if type(shape) is tuple else tuple(shape)


def _produced_by(fn) -> str:
    if fn is None:
        return ""
    name = fn.name()
    short = name[: name.rfind("Backward")] if "Backward" in name else name
    return f", which is output 0 of {short},"


class Node:
    """Base class of every backward function. Subclasses implement ``backward(grad)`` and
    return one gradient (an ndarray, or None) per entry of ``next_functions``; the engine
    then reduces broadcast gradients to each input's shape and dtype."""

    __slots__ = (
        "next_functions",
        "_saved",
        "_freed",
        "_seq",
        "_input_meta",
        "_out_ref",
        "_out_array",
        "_pre_hooks",
        "_retains",
        "_inputs",
        "_scope",
        "__weakref__",
    )

    def __init__(self):
        # ops.base.record sets these same attributes inline (keep the two in step).
        self._seq = next(_sequence)
        self._saved = None
        self._freed = False
        self._pre_hooks = None
        self._retains = None
        # The running module calls / gradviz.scope blocks (see autograd.scope).
        self._scope = _scopes.current

    # --- the PyTorch-visible surface -------------------------------------------------------
    @classmethod
    def name(cls) -> str:
        return cls.__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def metadata(self) -> dict:
        return {}

    def __getattr__(self, attr: str):
        # PyTorch exposes saved values as ``grad_fn._saved_<name>``.
        if attr.startswith("_saved_"):
            saved = object.__getattribute__(self, "_saved")
            key = attr[len("_saved_"):]
            if saved is not None and key in saved:
                if object.__getattribute__(self, "_freed"):
                    raise RuntimeError(FREED_MESSAGE)
                value = saved[key]
                if isinstance(value, FreedTensor):
                    raise RuntimeError(FREED_MESSAGE)
                return value.tensor if isinstance(value, SavedTensor) else value
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    # --- what ops and the engine use -------------------------------------------------------
    def needs(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient (so a backward can skip work it would drop)."""
        return self.next_functions[i][0] is not None

    def saved(self, name: str):
        """A saved value: tensors come back as ndarrays (checked against their version),
        other values (shapes, dims, scalars) as they were saved."""
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        value = self._saved[name]
        if isinstance(value, SavedTensor):
            return value.unpack(self, name)
        return value

    def release_saved(self):
        """Free saved tensors (after a backward without ``retain_graph``). Returns what was
        released, so that a stepper can undo it."""
        released = self._saved
        if not released or self._freed:
            return None
        # Keep a marker in each freed slot: reading it raises PyTorch's error, and the graph
        # export can still list what was saved and that it is gone.
        kept = {}
        any_tensor = False
        for k, v in released.items():
            if type(v) is SavedTensor:
                v = FreedTensor(v.tensor._array.shape)
                any_tensor = True
            kept[k] = v
        if not any_tensor:
            return None  # nothing saved is a tensor: nothing to free
        self._saved = kept
        self._freed = True
        return released

    def restore_saved(self, released) -> None:
        self._saved = released
        self._freed = False

    def output_tensor(self):
        """The tensor this node produced, if it is still alive."""
        ref = self._out_ref
        return ref() if ref is not None else None

    def backward(self, grad: np.ndarray):  # pragma: no cover - abstract
        raise NotImplementedError

    # Human-readable derivative rule, used by the explorer's inspector and event sentences.
    rule: str = ""


class AccumulateGrad(Node):
    """The node that adds an incoming gradient into a leaf's ``.grad``."""

    __slots__ = ("variable",)
    rule = "grad += incoming gradient"

    def __init__(self, variable):
        super().__init__()
        # Leaves run as soon as they are ready, before any other node (PyTorch gives them the
        # highest sequence number for the same reason).
        self._seq = float("inf")
        self.variable = variable
        self.next_functions = ()
        self._inputs = ()
        self._input_meta = ()
        self._out_ref = None
        self._out_array = None

    def backward(self, grad):  # pragma: no cover - the engine accumulates itself
        raise RuntimeError("AccumulateGrad is applied by the engine")
