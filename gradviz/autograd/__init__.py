"""``gradviz.autograd``: backward, grad, grad modes and the nodes of the backward graph."""
from __future__ import annotations

import numpy as np

from .engine import gradient_edge, run_backward
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .node import AccumulateGrad, Node

# The engine's own run_backward, kept in a tuple so that the profiler's patching (which swaps
# module attributes equal to it) leaves this reference alone. While ``run_backward`` is still
# this function, nobody watches the events of a pass, and backward() runs it without events.
_PLAIN_RUN_BACKWARD = (run_backward,)

__all__ = ["backward", "grad", "Node", "AccumulateGrad", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "prepare_roots"]


def _size(shape) -> str:
    return f"gradviz.Size([{', '.join(map(str, shape))}])"


def prepare_roots(tensors, grad_tensors):
    """Check the roots of a backward pass and make their starting gradients, with PyTorch's
    errors for roots that need no gradient and implicit gradients of non-scalars."""
    from ..tensor import Tensor

    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, (Tensor, np.ndarray, int, float)):
        grads = [grad_tensors] * len(roots) if len(roots) == 1 or grad_tensors is None else [grad_tensors]
    else:
        grads = list(grad_tensors)
    if len(grads) != len(roots):
        raise RuntimeError(f"got {len(roots)} tensors and {len(grads)} gradients")
    arrays = []
    for i, (t, g) in enumerate(zip(roots, grads)):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            arrays.append(np.ones(t._array.shape, dtype=t._array.dtype))
            continue
        ga = g._array if isinstance(g, Tensor) else np.asarray(g, dtype=t._array.dtype)
        if ga.shape != t._array.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {_size(ga.shape)} and "
                f"output[{i}] has a shape of {_size(t._array.shape)}.")
        arrays.append(ga.astype(t._array.dtype, copy=False))
    return roots, arrays


def _no_create_graph():
    raise NotImplementedError(
        "create_graph=True (higher-order gradients) is not supported by gradviz: its backward "
        "functions compute with numpy arrays, not recorded tensors")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves of their graph."""
    if create_graph:
        _no_create_graph()
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...) is not supported; use gradviz.autograd.grad")
    roots, arrays = prepare_roots(tensors, grad_tensors)
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    if run_backward is _PLAIN_RUN_BACKWARD[0]:
        for _ in run_backward(roots, arrays, retain_graph=retain, emit=False):
            pass
    else:  # anomaly detection or the profiler looks at the events
        for _ in run_backward(roots, arrays, retain_graph=retain):
            pass


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple, without
    touching any ``.grad``."""
    from ..tensor import Tensor

    if create_graph:
        _no_create_graph()
    single = isinstance(inputs, Tensor)
    ins = [inputs] if single else list(inputs)
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots, arrays = prepare_roots(outputs, grad_outputs)
    capture = {"results": [None] * len(ins)}
    for i, t in enumerate(ins):
        capture[gradient_edge(t)] = i
    retain = bool(retain_graph) if retain_graph is not None else create_graph
    emit = run_backward is not _PLAIN_RUN_BACKWARD[0]
    for _ in run_backward(roots, arrays, retain_graph=retain, capture=capture, emit=emit):
        pass
    results = capture["results"]
    out = []
    for i, (t, g) in enumerate(zip(ins, results)):
        if g is None:
            if materialize_grads:
                g = np.zeros(t._array.shape, dtype=t._array.dtype)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
        out.append(Tensor._make(np.array(g, copy=True)) if g is not None else None)
    return tuple(out)


# Custom ops, legacy Variable, finite-difference checks, Jacobians and the profiler.
from . import function, functional, profiler  # noqa: E402,F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: E402,F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,F401
from .variable import Variable  # noqa: E402,F401
from .anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,  # noqa: E402,F401
                           is_anomaly_enabled, set_detect_anomaly)

__all__ += ["Function", "FunctionCtx", "once_differentiable", "Variable", "gradcheck",
            "gradgradcheck", "GradcheckError", "functional", "profiler", "set_detect_anomaly",
            "detect_anomaly"]
