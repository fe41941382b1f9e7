"""Grad modes: whether new operations are recorded for backward.

Each mode works as a context manager and as a decorator, like PyTorch's. The state is
thread-local, so a server that runs several sessions on worker threads keeps them apart.
"""
from __future__ import annotations

import functools
import threading

class _ModeState(threading.local):
    # Class-level defaults: a thread that never set a mode reads these without the failed
    # instance lookup that getattr(local, name, default) pays (is_grad_enabled runs twice per
    # recorded op).
    enabled = True
    inference = False


_state = _ModeState()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set_enabled(enabled: bool) -> None:
    _state.enabled = bool(enabled)


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradModeContext:
    """Base: saves the mode on entry, restores it on exit, and wraps functions as a decorator."""

    def _enter_mode(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        self._previous = (is_grad_enabled(), is_inference_mode_enabled())
        self._enter_mode()
        return None

    def __exit__(self, *exc) -> bool:
        _state.enabled, _state.inference = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return func(*args, **kwargs)

        return wrapper

    _args: tuple = ()


class no_grad(_GradModeContext):
    """Operations inside record no graph: results have ``requires_grad=False``."""

    def __init__(self, orig_func=None):
        # Support the bare-decorator form ``@no_grad`` as well as ``@no_grad()``.
        self._orig = orig_func

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self

    def _enter_mode(self) -> None:
        _state.enabled = False


class enable_grad(no_grad):
    """Re-enables recording inside a ``no_grad`` block."""

    def _enter_mode(self) -> None:
        _state.enabled = True


class set_grad_enabled(_GradModeContext):
    """Sets recording on or off. Takes effect at once (like PyTorch) and also works as a
    context manager that restores the previous mode on exit."""

    def __init__(self, mode: bool):
        self._args = (mode,)
        self._previous = (is_grad_enabled(), is_inference_mode_enabled())
        self._mode = bool(mode)
        _set_enabled(mode)

    def _enter_mode(self) -> None:
        _state.enabled = self._mode

    def __enter__(self):
        # The mode was already applied in __init__; keep the state from before that.
        _set_enabled(self._mode)
        return None

    def __call__(self, func):
        # Used as a decorator, construction must not change the current mode.
        _state.enabled, _state.inference = self._previous
        return super().__call__(func)


class inference_mode(_GradModeContext):
    """Like ``no_grad``; gradviz has no separate inference tensors, so this only disables
    recording (and marks the mode so ``is_inference_mode_enabled()`` reports it)."""

    def __init__(self, mode: bool = True):
        self._args = (mode,)
        self._mode = bool(mode)

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__()
            return self(mode)
        return self

    def _enter_mode(self) -> None:
        if self._mode:
            _state.enabled = False
            _state.inference = True
