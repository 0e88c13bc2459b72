"""A CPU profiler for ember ops, shaped like ``torch.autograd.profiler``.

``profile()`` records every op's forward (``ember::mul``), every backward node
(``MulBackward0``) and every ``record_function`` range, with their CPU time. It watches Python
calls with ``sys.setprofile`` instead of instrumenting the ops, so ops cost nothing extra when
no profiler runs.

Example::

    >>> with ember.autograd.profiler.profile() as prof:
    ...     (x * 2).sum().backward()
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=5))
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["profile", "record_function", "FunctionEvent", "FunctionEventAvg", "EventList"]


@dataclass
class FunctionEvent:
    """One recorded call: its name, start and end (microseconds), and its children."""

    name: str
    start_us: float
    end_us: float = 0.0
    children: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.children)


@dataclass
class FunctionEventAvg:
    """Totals over all the events with one name."""

    key: str
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    def add(self, event: FunctionEvent) -> None:
        self.count += 1
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of events (or of averages) that prints as torch's profiler table."""

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, header: str | None = None,
              top_level_events_only: bool = False, **kwargs: Any) -> str:
        """The events as a text table with torch's columns.

        Args:
            sort_by (str, optional): "cpu_time_total", "self_cpu_time_total", "cpu_time",
                "count" (also accepts torch's "cuda_*" keys, which sort by CPU time here).
            row_limit (int): how many rows to show.
        """
        rows = list(self)
        if sort_by is not None:
            key = {"cpu_time_total": "cpu_time_total", "self_cpu_time_total":
                   "self_cpu_time_total", "cpu_time": "cpu_time", "count": "count"}.get(
                sort_by.replace("cuda", "cpu").replace("device", "cpu"), "cpu_time_total")
            rows.sort(key=lambda e: getattr(e, key), reverse=True)
        total_self = sum(e.self_cpu_time_total for e in self)
        name_width = max([len("Name")] + [len(e.key) for e in rows[:row_limit]]) + 2
        columns = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                   "# of Calls"]
        rule = "-" * name_width + "  " + "  ".join("-" * 12 for _ in columns) + "  "
        titles = "  ".join(f"{c:>12}" for c in columns)
        lines = [rule, f"{'Name':>{name_width}}  {titles}  ", rule]
        for e in rows[:row_limit]:
            share = 100 * e.self_cpu_time_total / total_self if total_self else 0.0
            total_share = 100 * e.cpu_time_total / total_self if total_self else 0.0
            cells = [f"{share:.2f}%", _format_time(e.self_cpu_time_total),
                     f"{total_share:.2f}%", _format_time(e.cpu_time_total),
                     _format_time(e.cpu_time), str(e.count)]
            lines.append(f"{e.key:>{name_width}}  " + "  ".join(f"{c:>12}" for c in cells) + "  ")
        lines.append(rule)
        lines.append(f"Self CPU time total: {_format_time(total_self)}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.table()


_active: list[profile] = []


class record_function:
    """Marks a named range in the profile (a context manager, or a decorator)."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name

    def __enter__(self) -> record_function:
        if _active:
            _active[-1]._push(self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        if _active:
            _active[-1]._pop()

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper


class profile:
    """Records ember's ops and backward nodes with their CPU times.

    Args:
        enabled (bool): record (default True).
        use_cuda (bool): accepted and ignored (ember runs on the CPU).
        record_shapes, profile_memory, with_stack: accepted and ignored.
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device: Any = None,
                 record_shapes: bool = False, with_flops: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_kineto: bool = False, use_cpu: bool = True,
                 **kwargs: Any) -> None:
        self.enabled = enabled
        self.function_events: EventList = EventList()
        self._stack: list[FunctionEvent] = []
        self._watched: dict[Any, str] = {}
        self._frames: dict[int, FunctionEvent] = {}
        self._previous: Any = None

    # --- what is watched: every op's forward and backward code objects ----------------------
    def _build_watch_list(self) -> None:
        from ..ops._op import REGISTRY

        for node_name, cls in REGISTRY.items():
            op_name = getattr(cls, "op_name", node_name).lower()
            for attr, label in (("forward", f"ember::{op_name}"), ("backward", node_name)):
                fn = cls.__dict__.get(attr)
                fn = getattr(fn, "__func__", fn)
                code = getattr(fn, "__code__", None)
                if code is not None:
                    self._watched[code] = label

    def _push(self, name: str) -> FunctionEvent:
        event = FunctionEvent(name, time.perf_counter() * 1e6)
        (self._stack[-1].children if self._stack else self.function_events).append(event)
        self._stack.append(event)
        return event

    def _pop(self) -> None:
        event = self._stack.pop()
        event.end_us = time.perf_counter() * 1e6

    def _trace(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            label = self._watched.get(frame.f_code)
            if label is not None:
                self._frames[id(frame)] = self._push(label)
        elif event == "return" and id(frame) in self._frames:
            del self._frames[id(frame)]
            self._pop()

    def __enter__(self) -> profile:
        if not self.enabled:
            return self
        self._build_watch_list()
        _active.append(self)
        self._previous = sys.getprofile()
        sys.setprofile(self._trace)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.enabled:
            return
        sys.setprofile(self._previous)
        _active.remove(self)
        while self._stack:
            self._pop()

    # --- results -------------------------------------------------------------------------------
    def events(self) -> EventList:
        """Every recorded event, flattened (children after their parent)."""
        flat = EventList()
        todo = list(reversed(self.function_events))
        while todo:
            event = todo.pop()
            flat.append(event)
            todo.extend(reversed(event.children))
        return flat

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        """Events grouped by name, with counts and total/self/average CPU times."""
        groups: dict[str, FunctionEventAvg] = defaultdict(lambda: FunctionEventAvg(""))
        for event in self.events():
            avg = groups[event.key]
            avg.key = event.key
            avg.add(event)
        return EventList(groups.values())

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for event in self.events():
            total.add(event)
        return total

    def table(self, *args: Any, **kwargs: Any) -> str:
        return self.key_averages().table(*args, **kwargs)

    def __str__(self) -> str:
        return self.table()
