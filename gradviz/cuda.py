"""``gradviz.cuda``: what a CPU-only PyTorch build answers, so that the usual
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU."""
from __future__ import annotations

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Seeding CUDA without CUDA does nothing, as in PyTorch."""


def manual_seed_all(seed: int) -> None:
    """Seeding every GPU without GPUs does nothing, as in PyTorch."""


def _unavailable(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


def empty_cache() -> None:
    """Nothing is cached: there is no GPU."""


def memory_allocated(device=None) -> int:
    return 0


max_memory_allocated = memory_allocated

current_device = get_device_name = get_device_properties = synchronize = _unavailable
