"""Anomaly detection: stop a backward pass at the first node that returns NaN gradients.

``torch.autograd.set_detect_anomaly(True)`` (also a context manager) and
``with torch.autograd.detect_anomaly():`` as in PyTorch: while on, ``backward()`` and
``autograd.grad`` check every gradient a node sends and raise PyTorch's error naming the node
("Function 'SqrtBackward0' returned nan values in its 0th output."). gradviz does not record
where in the forward code each node was made, so the warning that precedes the error has no
traceback. The check runs only while the mode is on: turning it on swaps a checking pass in
for ``autograd``'s, turning it off puts the plain one back.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["set_detect_anomaly", "detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

_state = {"enabled": False, "check_nan": True, "saved": None}


def is_anomaly_enabled() -> bool:
    return _state["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    return _state["enabled"] and _state["check_nan"]


def _checked_run_backward(*args, **kwargs):
    from . import engine
    from .events import CallEvent

    # engine.run_backward is looked up on every pass, so a running profiler still times it.
    for event in engine.run_backward(*args, **kwargs):
        if _state["check_nan"] and isinstance(event, CallEvent):
            for i, g in enumerate(event.grads_out):
                if g is not None and g.dtype.kind in "fc" and np.isnan(g).any():
                    name = event.node.name()
                    warnings.warn(f"Error detected in {name}. Traceback of forward call that caused "
                                  "the error:\n(gradviz does not record forward tracebacks)",
                                  UserWarning, stacklevel=4)
                    raise RuntimeError(f"Function '{name}' returned nan values in its {i}th output.")
        yield event


def _set(enabled: bool, check_nan: bool) -> None:
    from .. import autograd

    if enabled and not _state["enabled"]:
        _state["saved"] = autograd.run_backward
        autograd.run_backward = _checked_run_backward
    elif not enabled and _state["enabled"]:
        if autograd.run_backward is _checked_run_backward:
            autograd.run_backward = _state["saved"]
        _state["saved"] = None
    _state["enabled"] = bool(enabled)
    _state["check_nan"] = bool(check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off now; as a context manager, restore the previous mode
    on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (_state["enabled"], _state["check_nan"])
        _set(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _set(*self.prev)
        return False


class detect_anomaly:
    """Anomaly detection on for the duration of a ``with`` block (or a decorated function)."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.prev = None
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and "
                      "should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = (_state["enabled"], _state["check_nan"])
        _set(True, self.check_nan)
        return None

    def __exit__(self, *exc):
        _set(*self.prev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)

        return wrapped
