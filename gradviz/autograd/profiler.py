"""``gradviz.autograd.profiler``: which ops ran, how often, and how much CPU time they took.

``with profile() as prof:`` times every gradviz op called inside the block (``aten::mul``,
``aten::matmul``, ...; an op that calls others counts them as its children), every node the
backward engine runs (``autograd::engine::evaluate_function: MulBackward0``) and every
``record_function("name")`` block. ``prof.key_averages().table(sort_by="self_cpu_time_total")``
prints them in PyTorch's table.

While no profiler runs, nothing is measured and ops run unwrapped: starting a profiler swaps
timing wrappers in for the public ops (and the backward engine) and stopping puts the originals
back, so profiling costs nothing the rest of the time.
"""
from __future__ import annotations

import functools
import json
import sys
import time

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]

_active: list = []  # the running profilers (innermost last)


def _now_us() -> float:
    return time.perf_counter_ns() / 1000.0


class FunctionEvent:
    """One timed range: an op call, a backward node or a record_function block."""

    __slots__ = ("id", "name", "start_us", "end_us", "self_cpu_time_total", "input_shapes",
                 "depth", "thread")

    def __init__(self, id, name, start_us, end_us, self_us, input_shapes, depth):
        self.id = id
        self.name = name
        self.start_us = start_us
        self.end_us = end_us
        self.self_cpu_time_total = self_us
        self.input_shapes = input_shapes
        self.depth = depth
        self.thread = 0

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total

    count = 1

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={_format_time(self.cpu_time_total)} "
                f"self_cpu_time={_format_time(self.self_cpu_time_total)}>")


class FunctionEventAvg:
    """The events of one name (and input shapes, when grouped by them) added up."""

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = input_shapes

    def add(self, event) -> "FunctionEventAvg":
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_format_time(self.self_cpu_time_total)} "
                f"cpu_time={_format_time(self.cpu_time)} count={self.count}>")


def _format_time(time_us: float) -> str:
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


_SORT_KEYS = {"cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time", "count"}


class EventList(list):
    """A list of events (or of averages) that prints as PyTorch's profiler table."""

    def table(self, sort_by=None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header=None,
              top_level_events_only: bool = False, time_unit=None) -> str:
        return _table(self, sort_by, row_limit, max_name_column_width, header, top_level_events_only)

    def key_averages(self, group_by_input_shapes: bool = False) -> "EventList":
        groups: dict = {}
        for e in self:
            k = (e.key, str(e.input_shapes)) if group_by_input_shapes else e.key
            if k not in groups:
                groups[k] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shapes else None)
            groups[k].add(e)
        return EventList(groups.values())

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def __str__(self) -> str:
        return self.table()


def _table(events, sort_by, row_limit, max_name_width, header, top_level_only) -> str:
    rows = list(events)
    if top_level_only:
        rows = [e for e in rows if getattr(e, "depth", 0) == 0]
    if sort_by is not None:
        if sort_by not in _SORT_KEYS:
            raise AttributeError(f"'FunctionEventAvg' object has no attribute '{sort_by}'")
        rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
    if row_limit is not None and row_limit > 0:
        rows = rows[:row_limit]
    total_self = sum(e.self_cpu_time_total for e in events)
    name_width = min(max([len(e.key) for e in events] + [4]) + 4, max_name_width)
    widths = [name_width] + [12] * 6
    titles = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]

    def line(cells):
        return "".join(f"{c:>{w}}  " for c, w in zip(cells, widths))

    sep = "".join("-" * w + "  " for w in widths)
    out = []
    if header:
        out.append("=" * len(sep))
        out.append(header)
    out += [sep, line(titles), sep]

    def pct(v):
        return f"{(v / total_self * 100 if total_self else 0.0):.2f}%"

    for e in rows:
        name = e.key if len(e.key) <= name_width else e.key[:name_width - 3] + "..."
        out.append(line([name, pct(e.self_cpu_time_total), _format_time(e.self_cpu_time_total),
                         pct(e.cpu_time_total), _format_time(e.cpu_time_total),
                         _format_time(e.cpu_time), str(e.count)]))
    out.append(sep)
    out.append(f"Self CPU time total: {_format_time(total_self)}")
    return "\n".join(out) + "\n"


# --- recording ------------------------------------------------------------------------------------
class _Recorder:
    """Open ranges as a stack; a closed range adds its time to its parent's children time."""

    def __init__(self, record_shapes: bool):
        self.events = EventList()
        self.stack: list = []  # [name, start, children_us, shapes]
        self.record_shapes = record_shapes
        self.next_id = 0

    def open(self, name, shapes=None):
        self.stack.append([name, _now_us(), 0.0, shapes])

    def close(self):
        end = _now_us()
        name, start, children, shapes = self.stack.pop()
        total = end - start
        if self.stack:
            self.stack[-1][2] += total
        self.events.append(FunctionEvent(self.next_id, name, start, end, total - children,
                                         shapes or [], len(self.stack)))
        self.next_id += 1


def _shapes(args) -> list:
    from ..tensor import Tensor

    return [list(a._array.shape) if isinstance(a, Tensor) else [] for a in args]


def _timed_op(fn, name):
    label = "aten::" + name

    @functools.wraps(fn)
    def op(*args, **kwargs):
        recs = _active
        if not recs:
            return fn(*args, **kwargs)
        rec = recs[-1]._recorder
        rec.open(label, _shapes(args) if rec.record_shapes else None)
        try:
            return fn(*args, **kwargs)
        finally:
            rec.close()

    op._gradviz_profiled = fn
    return op


def _timed_backward(run_backward):
    from .events import AccumulateEvent, CallEvent

    @functools.wraps(run_backward)
    def run(*args, **kwargs):
        gen = run_backward(*args, **kwargs)
        while True:
            rec = _active[-1]._recorder if _active else None
            start = _now_us()
            try:
                event = next(gen)
            except StopIteration:
                return
            if rec is not None and isinstance(event, (CallEvent, AccumulateEvent)):
                name = ("torch::autograd::AccumulateGrad" if isinstance(event, AccumulateEvent)
                        else event.node.name())
                end = _now_us()
                if rec.stack:
                    rec.stack[-1][2] += end - start
                rec.events.append(FunctionEvent(rec.next_id, f"autograd::engine::evaluate_function: {name}",
                                                start, end, end - start, [], len(rec.stack)))
                rec.next_id += 1
            yield event

    run._gradviz_profiled = run_backward
    return run


def _install() -> list:
    """Swap timing wrappers in for every public op (wherever gradviz's modules hold it) and for
    the backward engine. Returns what to put back."""
    from .. import ops
    from . import engine

    wrappers = {}
    for module, names in ops.PUBLIC_OPS.items():
        for name in names:
            fn = getattr(module, name)
            wrappers[id(fn)] = (fn, _timed_op(fn, name))
    rb = engine.run_backward
    wrappers[id(rb)] = (rb, _timed_backward(rb))
    patched = []
    for modname, module in list(sys.modules.items()):
        if not (modname == "gradviz" or modname.startswith("gradviz.")) or module is None:
            continue
        if modname == __name__:
            continue
        for attr, value in list(vars(module).items()):
            hit = wrappers.get(id(value))
            if hit is not None and hit[0] is value:
                setattr(module, attr, hit[1])
                patched.append((module, attr, value))
    return patched


def _uninstall(patched) -> None:
    for module, attr, value in reversed(patched):
        setattr(module, attr, value)


class profile:
    """Record the CPU time of the ops run inside ``with profile() as prof:``.

    Arguments are PyTorch's; ``record_shapes`` keeps each call's input shapes (for
    ``key_averages(group_by_input_shape=True)``). Only CPU time exists in gradviz."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device=None,
                 record_shapes: bool = False, with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config=None, acc_events: bool = False,
                 custom_trace_id_callback=None):
        if use_cuda or (use_device not in (None, "cpu")):
            raise AssertionError("gradviz has no CUDA device: profile only the CPU")
        self.enabled = enabled
        self.record_shapes = record_shapes
        self._recorder = None
        self._patched = None
        self.function_events = None
        self.entered = False

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._recorder = _Recorder(self.record_shapes)
        if not _active:
            self._patched = _install()
        _active.append(self)
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return False
        _active.remove(self)
        if self._patched is not None:
            _uninstall(self._patched)
            self._patched = None
        rec = self._recorder
        while rec.stack:  # a block left by an exception: close what is open
            rec.close()
        self.function_events = EventList(sorted(rec.events, key=lambda e: e.start_us))
        return False

    def _check_finished(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def events(self) -> EventList:
        self._check_finished()
        return self.function_events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        self._check_finished()
        return self.function_events.key_averages(group_by_input_shape)

    def total_average(self) -> FunctionEventAvg:
        self._check_finished()
        return self.function_events.total_average()

    @property
    def self_cpu_time_total(self) -> float:
        self._check_finished()
        return self.function_events.self_cpu_time_total

    def table(self, sort_by=None, row_limit: int = 100, **kwargs) -> str:
        self._check_finished()
        return self.function_events.table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def export_chrome_trace(self, path: str) -> None:
        """Write the events in the Chrome trace format (open it at chrome://tracing)."""
        self._check_finished()
        trace = [{"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.cpu_time_total, "tid": 0,
                  "pid": "CPU functions", "args": {}} for e in self.function_events]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)

    def __str__(self) -> str:
        return self.table()


class record_function:
    """Time a block of your own code under ``name`` (a context manager or decorator)."""

    def __init__(self, name: str, args=None):
        self.name = name
        self.args = args
        self._recorder = None

    def __enter__(self):
        if _active:
            self._recorder = _active[-1]._recorder
            self._recorder.open(self.name)
        return self

    def __exit__(self, *exc):
        if self._recorder is not None:
            # Close ops left open inside by an exception first, then this block.
            while self._recorder.stack and self._recorder.stack[-1][0] != self.name:
                self._recorder.close()
            if self._recorder.stack:
                self._recorder.close()
            self._recorder = None
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)

        return wrapped
