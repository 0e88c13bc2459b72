"""ember.profiler: torch.profiler's interface over ember's CPU profiler
(``ember.autograd.profiler``).

``profile`` records ember's ops, backward nodes and ``record_function`` ranges with their CPU
times; with a ``schedule`` it records only in the active steps of each cycle and hands each
finished cycle to ``on_trace_ready`` (``tensorboard_trace_handler`` writes it as a Chrome trace
file, which TensorBoard's profiler plugin and chrome://tracing read). CPU activity is the only
one there is: asking for CUDA activity records nothing more, with a warning.

Example::

    >>> with ember.profiler.profile(activities=[ember.profiler.ProfilerActivity.CPU]) as prof:
    ...     model(x).sum().backward()
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from ..autograd import profiler as _autograd_profiler
from ..autograd.profiler import EventList, record_function

__all__ = ["profile", "record_function", "schedule", "ProfilerAction", "ProfilerActivity",
           "tensorboard_trace_handler", "supported_activities"]


class ProfilerActivity(Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set[ProfilerActivity]:
    """Only the CPU: ember has no accelerator to profile."""
    return {ProfilerActivity.CPU}


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0,
             skip_first: int = 0, skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """The profiler's action at each step: after ``skip_first`` steps, cycles of ``wait`` idle
    steps, ``warmup`` steps and ``active`` recorded steps (the last one saves), ``repeat``
    times (0: forever), as torch's.

    Example::

        >>> s = ember.profiler.schedule(wait=1, warmup=1, active=2)
        >>> [s(i).name for i in range(4)]
        ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait and step < wait:  # only the first cycle skips its wait
            return ProfilerAction.NONE
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        position = step % cycle
        if position < wait:
            return ProfilerAction.NONE
        if position < wait + warmup:
            return ProfilerAction.WARMUP
        return (ProfilerAction.RECORD if position < cycle - 1
                else ProfilerAction.RECORD_AND_SAVE)

    return action


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


class profile:
    """Profiles the code in its block (or between ``start()`` and ``stop()``).

    Args:
        activities (iterable of ProfilerActivity, optional): CPU (the default; CUDA is
            accepted with a warning and records nothing).
        schedule (callable, optional): step -> ``ProfilerAction`` (see ``schedule``); without
            one, every step is recorded.
        on_trace_ready (callable, optional): called with the profiler when a cycle is saved.
        record_shapes, profile_memory, with_stack, with_flops, with_modules: accepted (ember
            records names and CPU times).

    Call ``step()`` at the end of each training step when a schedule is used.
    """

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[[profile], Any] | None = None,
                 record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None,
                 execution_trace_observer: Any = None, acc_events: bool = False,
                 use_cuda: bool | None = None, **kwargs: Any) -> None:
        self.activities = set(activities) if activities is not None else supported_activities()
        if use_cuda or self.activities - supported_activities():
            warnings.warn("ember.profiler records CPU activity only (there is no accelerator); "
                          "the other activities record nothing", stacklevel=2)
        self.schedule = schedule or _always_record
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.profiler: _autograd_profiler.profile | None = None  # the cycle being recorded
        self._last: _autograd_profiler.profile | None = None  # the last finished one
        self._started = False

    # --- recording ----------------------------------------------------------------------------
    def _begin_recording(self) -> None:
        if self.profiler is None:
            self.profiler = _autograd_profiler.profile()
            self.profiler.__enter__()

    def _end_recording(self, save: bool) -> None:
        if self.profiler is not None:
            self.profiler.__exit__(None, None, None)
            self._last, self.profiler = self.profiler, None
            if save and self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def _enter_action(self) -> None:
        if self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._begin_recording()

    def start(self) -> None:
        self._started = True
        self._enter_action()

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self._end_recording(save=self.profiler is not None)

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def step(self) -> None:
        """Marks the end of a step: the schedule's next action starts."""
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if previous is ProfilerAction.RECORD_AND_SAVE:
            self._end_recording(save=True)
        elif (previous is ProfilerAction.RECORD and self.current_action
              not in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)):
            self._end_recording(save=False)
        if self._started:
            self._enter_action()

    # --- results -------------------------------------------------------------------------------
    def _result(self) -> _autograd_profiler.profile:
        recorded = self.profiler if self.profiler is not None else self._last
        if recorded is None:
            raise AssertionError("ember.profiler: nothing was recorded yet")
        return recorded

    def events(self) -> EventList:
        """The events of the last recorded cycle, flattened."""
        return self._result().events()

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """The last cycle's events grouped by name, with counts and CPU times."""
        return self._result().key_averages()

    def export_chrome_trace(self, path: str) -> None:
        """Writes the last cycle as a Chrome trace (JSON; gzip-compressed if ``path`` ends with
        ``.gz``)."""
        trace = {"traceEvents": [
            {"ph": "X", "cat": "cpu_op", "name": event.name, "pid": os.getpid(), "tid": 0,
             "ts": event.start_us, "dur": event.cpu_time_total}
            for event in self.events()], "displayTimeUnit": "ms"}
        data = json.dumps(trace).encode()
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "wb") as f:
            f.write(data)


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """An ``on_trace_ready`` that writes each saved cycle to ``dir_name`` as
    ``<worker>.<time>.pt.trace.json`` (TensorBoard's profiler plugin reads it)."""

    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json"
        prof.export_chrome_trace(os.path.join(dir_name, name + (".gz" if use_gzip else "")))

    return handler
