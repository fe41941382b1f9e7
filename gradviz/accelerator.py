"""``gradviz.accelerator``: what PyTorch answers on a machine without an accelerator, so that
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``
(the device line of PyTorch's current tutorials) picks the CPU."""
from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    return None


def device_count() -> int:
    return 0


def _none_available(*args, **kwargs):
    raise RuntimeError("Cannot access accelerator device when none is available.")


current_device_index = current_device_idx = set_device_index = set_device_idx = _none_available
synchronize = _none_available
