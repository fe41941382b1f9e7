"""``gradviz.autograd.Function``: custom ops with a hand-written backward, as in PyTorch.

A subclass defines ``forward`` (with ``ctx`` first, or without it plus ``setup_context``) and
``backward``; ``MyOp.apply(...)`` runs forward without recording and gives the outputs one
grad_fn, an instance of ``MyOpBackward`` (PyTorch's name). That node is also the ``ctx`` the
user's methods receive, so ``y.grad_fn.saved_tensors`` and attributes stored on ``ctx`` work as
in PyTorch. In the explorer the node's rule is the user's ``backward``.
"""
from __future__ import annotations

import functools
import inspect
import textwrap
import weakref

import numpy as np

from .grad_mode import is_grad_enabled, no_grad
from .node import FREED_MESSAGE, FreedTensor, Node, SavedTensor

__all__ = ["Function", "FunctionCtx", "once_differentiable", "BackwardCFunction"]

_LEAF_DIRTY_MESSAGE = "a leaf Variable that requires grad has been used in an in-place operation."


class FunctionCtx:
    """What ``forward``/``setup_context`` use to hand things to ``backward``."""

    def save_for_backward(self, *tensors) -> None:
        from ..tensor import Tensor

        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of "
                                f"type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        self._to_save_forward = tensors

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        ctx = self._ctx_node()
        saved = ctx._saved_order
        if saved is None:
            return ()
        out = []
        for entry in saved:
            if entry is None:
                out.append(None)
                continue
            value = ctx._saved[entry]
            if isinstance(value, FreedTensor):
                raise RuntimeError(FREED_MESSAGE)
            value.unpack(ctx, entry)  # raises PyTorch's error if changed in place since
            out.append(value.tensor)
        return tuple(out)

    saved_variables = saved_tensors

    def _ctx_node(self):
        return self


class BackwardCFunction(Node, FunctionCtx):
    """Base of every ``<Name>Backward`` node. Instances have a ``__dict__``, so a user's
    ``ctx.anything = ...`` works as in PyTorch."""

    _function = None  # the Function subclass

    def __init__(self):
        Node.__init__(self)
        self.needs_input_grad = ()
        self._to_save = None
        self._saved_order = None
        self._dirty = ()
        self._non_differentiable = ()
        self._materialize = True
        self._output_index = 0
        self._outputs_meta = ()
        self._ctx = None
        self._input_is_tensor = ()
        self._runs_left = 1

    def _ctx_node(self):
        return self._ctx if self._ctx is not None else self

    @property
    def rule(self) -> str:
        return backward_rule(type(self)._function)

    def backward(self, g):
        from ..tensor import Tensor

        ctx = self._ctx_node()
        fn_cls = type(self)._function
        grads = []
        for i, (shape, dtype) in enumerate(ctx._outputs_meta):
            if i == self._output_index:
                grads.append(Tensor._make(np.asarray(g)))
            elif ctx._materialize:
                grads.append(Tensor._make(np.zeros(shape, dtype=dtype)))
            else:
                grads.append(None)
        with no_grad():
            result = fn_cls.backward(ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_in = len(ctx._input_is_tensor)
        name = type(self).__name__
        if len(result) > n_in and all(r is None for r in result[n_in:]):
            result = result[:n_in]
        if len(result) != n_in:
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(result)})")
        # One gradient per forward argument; the node's edges are only its tensor arguments.
        out = []
        edge = -1
        for i, (r, is_tensor) in enumerate(zip(result, ctx._input_is_tensor)):
            if not is_tensor:
                if r is not None:
                    raise RuntimeError(
                        f"function {name} returned a gradient different than None at position {i + 1}, "
                        "but the corresponding forward input was not a Variable")
                continue
            edge += 1
            if r is None or self.next_functions[edge][0] is None:
                out.append(None)
                continue
            arr = r._array if isinstance(r, Tensor) else np.asarray(r)
            shape = self._input_meta[edge][0]
            try:
                ok = np.broadcast_shapes(shape, arr.shape) == arr.shape
            except ValueError:
                ok = False
            if not ok:
                raise RuntimeError(
                    f"Function {name} returned an invalid gradient at index {i} - got "
                    f"[{', '.join(map(str, arr.shape))}] but expected shape compatible with "
                    f"[{', '.join(map(str, shape))}]")
            out.append(arr)
        return tuple(out)

    # Saved tensors are freed after the last output's node ran (one node per output here).
    def release_saved(self):
        ctx = self._ctx_node()
        ctx._runs_left -= 1
        if ctx._runs_left > 0 or not ctx._saved or ctx._freed_marker():
            return None
        released = dict(ctx._saved)
        ctx._saved = {k: FreedTensor(v.tensor._array.shape) if isinstance(v, SavedTensor) else v
                      for k, v in released.items()}
        for node in ctx._siblings():
            node._saved = ctx._saved
        return released

    def restore_saved(self, released) -> None:
        ctx = self._ctx_node()
        ctx._runs_left += 1
        ctx._saved = released
        for node in ctx._siblings():
            node._saved = released

    def _freed_marker(self) -> bool:
        return any(isinstance(v, FreedTensor) for v in self._saved.values())

    def _siblings(self):
        return [r() for r in getattr(self, "_sibling_refs", ()) if r() is not None] + [self]


def backward_rule(fn_cls) -> str:
    """The user's backward in one line for the explorer: its docstring's first line, else its
    code (comments and blank lines dropped)."""
    if fn_cls is None:
        return ""
    cached = fn_cls.__dict__.get("_gradviz_rule")
    if cached is not None:
        return cached
    back = fn_cls.__dict__.get("backward") or getattr(fn_cls, "backward", None)
    back = getattr(back, "__func__", back)
    back = getattr(back, "__wrapped__", back)
    doc = inspect.getdoc(back) if back is not None else None
    if doc:
        rule = f"{fn_cls.__name__}.backward: {doc.splitlines()[0]}"
    else:
        try:
            src = textwrap.dedent(inspect.getsource(back))
            lines = [ln.strip() for ln in src.splitlines()]
            body = [ln for ln in lines if ln and not ln.startswith(("#", "@", "def "))]
            rule = f"{fn_cls.__name__}.backward: " + "; ".join(body)
        except (OSError, TypeError):
            rule = f"{fn_cls.__name__}.backward (user-defined)"
    if len(rule) > 400:
        rule = rule[:397] + "..."
    try:
        setattr(fn_cls, "_gradviz_rule", rule)
    except (AttributeError, TypeError):
        pass
    return rule


class FunctionMeta(type):
    """Gives every Function subclass its node class, ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(name + "Backward", (BackwardCFunction,), {"_function": cls})
        cls._backward_cls = backward_cls
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class of custom autograd ops (PyTorch's ``torch.autograd.Function``).

    ``forward(ctx, *args)`` computes with tensors (nothing inside it is recorded);
    ``backward(ctx, *grad_outputs)`` returns one gradient (or None) per forward input. Use it
    through ``apply``."""

    def __init__(self, *args, **kwargs):
        import warnings

        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all static, "
            "so you should invoke them on the class itself. Instantiating an autograd function will "
            "raise an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function "
            "to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward "
            "mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        return _apply(cls, args, kwargs)


def _uses_setup_context(cls) -> bool:
    for klass in cls.__mro__:
        if "setup_context" in klass.__dict__:
            return klass is not Function
    return False


def _edge(t):
    if not t._requires_grad:
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, 0)
    return (t._accumulator(), 0)


def _apply(cls, args, kwargs):
    from ..ops.base import INPLACE_RECIPE
    from ..tensor import Tensor

    node_cls = cls._backward_cls
    ctx = node_cls.__new__(node_cls)
    BackwardCFunction.__init__(ctx)
    is_tensor = tuple(isinstance(a, Tensor) for a in args)
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    ctx._input_is_tensor = is_tensor
    tracking = is_grad_enabled() and any(ctx.needs_input_grad)
    # The edges to the inputs as they are before forward (mark_dirty may change them).
    tensor_args = tuple(a for a, t in zip(args, is_tensor) if t)
    edges = tuple(_edge(a) for a in tensor_args)
    with no_grad():
        if _uses_setup_context(cls):
            outputs = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, outputs)
        else:
            outputs = cls.forward(ctx, *args, **kwargs)
    single = not isinstance(outputs, tuple)
    outs = (outputs,) if single else tuple(outputs)
    if not tracking:
        return outputs

    dirty = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_differentiable}
    for a in ctx._dirty:
        if a._requires_grad and a.grad_fn is None:
            raise RuntimeError(_LEAF_DIRTY_MESSAGE)
        if a._base is not None:
            raise NotImplementedError(
                "gradviz does not support mark_dirty on a view; mark the tensor it views instead")
    arg_ids = {id(a) for a, t in zip(args, is_tensor) if t}

    ctx.next_functions = edges
    ctx._inputs = tensor_args
    ctx._input_meta = tuple((a._array.shape, a._array.dtype) for a in tensor_args)
    ctx._outputs_meta = tuple((o._array.shape, o._array.dtype) if isinstance(o, Tensor) else ((), np.float32)
                              for o in outs)

    results = []
    nodes = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            continue
        if id(o) in non_diff:
            o._requires_grad = False
            results.append(o)
            continue
        if id(o) in arg_ids and id(o) not in dirty:
            # An input returned as it is: PyTorch hands back a new tensor over the same data.
            alias = Tensor._make(o._array)
            alias._version_counter = o._version_counter
            o = alias
        if o._array.dtype.kind not in "fc":
            results.append(o)
            continue
        if not nodes:
            node = ctx
        else:
            node = node_cls.__new__(node_cls)
            BackwardCFunction.__init__(node)
            node._ctx = ctx
            node.next_functions = ctx.next_functions
            node._inputs = ctx._inputs
            node._input_meta = ctx._input_meta
        node._output_index = i
        node._out_ref = weakref.ref(o)
        node._out_array = o._array
        if o._retains_grad and o.grad_fn is not None:
            o.grad_fn._retains = None
            node._retains = weakref.ref(o)
        o.grad_fn = node
        o._requires_grad = True
        if id(o) in dirty:
            o._version_counter[0] += 1  # PyTorch counts a dirty output once more
            o._recipe = INPLACE_RECIPE
        else:
            o._recipe = (cls.apply, args, kwargs, True, None if single else i)
        nodes.append(node)
        results.append(o)
    ctx._runs_left = max(len(nodes), 1)
    if len(nodes) > 1:
        ctx._sibling_refs = [weakref.ref(n) for n in nodes[1:]]

    # Save after the outputs have their grad_fn, as PyTorch does (a saved output names it).
    saved = {}
    order = []
    for k, t in enumerate(ctx._to_save or ()):
        if t is None:
            order.append(None)
            continue
        key = f"saved_tensors[{k}]"
        saved[key] = SavedTensor(t)
        order.append(key)
    ctx._saved = saved
    ctx._saved_order = tuple(order)
    ctx._to_save = None
    for node in nodes[1:]:
        node._saved = saved
        node._saved_order = ctx._saved_order
    return results[0] if single else tuple(results)


def once_differentiable(fn):
    """Marks a backward that cannot itself be differentiated. gradviz never records inside a
    backward, so this only keeps the function as it is (and its name and docstring)."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
