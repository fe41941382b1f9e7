"""``gradviz.profiler``: PyTorch's newer profiler API over ``gradviz.autograd.profiler``.

``with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:`` records the
same op counts and CPU times; only the CPU exists in gradviz."""
from __future__ import annotations

import enum

from .autograd import profiler as _autograd_profiler
from .autograd.profiler import record_function  # noqa: F401

__all__ = ["profile", "record_function", "ProfilerActivity", "schedule"]


class ProfilerActivity(enum.Enum):
    CPU = "CPU"
    CUDA = "CUDA"


class profile(_autograd_profiler.profile):
    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes: bool = False, profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, with_modules: bool = False, experimental_config=None,
                 acc_events: bool = False, custom_trace_id_callback=None):
        acts = set(activities) if activities is not None else {ProfilerActivity.CPU}
        if ProfilerActivity.CUDA in acts:
            raise AssertionError("gradviz has no CUDA device: profile only ProfilerActivity.CPU")
        super().__init__(record_shapes=record_shapes)
        self.on_trace_ready = on_trace_ready

    def __exit__(self, *exc):
        result = super().__exit__(*exc)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)
        return result

    def start(self):
        return self.__enter__()

    def stop(self):
        self.__exit__(None, None, None)

    def step(self):
        """Schedules are not modelled: every step is recorded."""


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0):
    """Accepted for PyTorch programs; gradviz records every step."""
    return None
