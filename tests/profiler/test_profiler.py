"""ember.profiler: torch.profiler's interface over ember's CPU profiler."""

from __future__ import annotations

import gzip
import json

import pytest

import ember
from ember.profiler import ProfilerAction, ProfilerActivity
from tests.conftest import requires_torch, torch


def _step(x):
    with ember.profiler.record_function("my_block"):
        (x * 2).sum().backward()


def test_profile_records_ops_and_ranges() -> None:
    x = ember.ones(3, requires_grad=True)
    with ember.profiler.profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        _step(x)
    names = {e.key for e in prof.key_averages()}
    assert {"my_block", "ember::mul", "MulBackward0"} <= names
    assert "cpu_time_total" not in prof.key_averages().table(sort_by="cpu_time_total")[:0]


def test_schedule_matches_torch_and_saves_each_cycle(tmp_path) -> None:
    sched = ember.profiler.schedule(wait=1, warmup=1, active=2, repeat=2, skip_first=1)
    actions = [sched(i).name for i in range(12)]
    assert actions[:6] == ["NONE", "NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE", "NONE"]
    saved = []
    x = ember.ones(2, requires_grad=True)
    with ember.profiler.profile(schedule=ember.profiler.schedule(wait=1, warmup=0, active=1),
                                on_trace_ready=lambda p: saved.append(
                                    {e.key for e in p.key_averages()})) as prof:
        for _ in range(4):
            _step(x)
            prof.step()
    assert len(saved) == 2 and all("my_block" in s for s in saved)
    handler = ember.profiler.tensorboard_trace_handler(str(tmp_path), worker_name="w",
                                                       use_gzip=True)
    with ember.profiler.profile(on_trace_ready=handler):
        _step(x)
    (trace,) = tmp_path.iterdir()
    assert trace.name.startswith("w.") and trace.name.endswith(".pt.trace.json.gz")
    events = json.loads(gzip.open(trace).read())["traceEvents"]
    assert any(e["name"] == "my_block" for e in events)


@requires_torch
def test_schedule_actions_match_torch() -> None:
    for kwargs in ({"wait": 1, "warmup": 1, "active": 2}, {"wait": 0, "warmup": 2, "active": 1,
                                                          "repeat": 2, "skip_first": 3}):
        ours = ember.profiler.schedule(**kwargs)
        theirs = torch.profiler.schedule(**kwargs)
        assert [ours(i).name for i in range(15)] == [theirs(i).name for i in range(15)]
    assert ProfilerAction.RECORD_AND_SAVE.name == "RECORD_AND_SAVE"


def test_cuda_activity_warns() -> None:
    with pytest.warns(UserWarning, match="CPU activity only"):
        ember.profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
