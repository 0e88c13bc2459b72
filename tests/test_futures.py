"""ember.futures against torch.futures."""

from __future__ import annotations

import pytest

import ember
from tests.conftest import requires_torch, torch


def _script(lib):
    fut = lib.futures.Future()
    chained = fut.then(lambda f: f.wait() + 1)
    seen = []
    fut.add_done_callback(lambda f: seen.append(f.value()))
    before = (fut.done(), chained.done())
    fut.set_result(1)
    failing = fut.then(lambda f: 1 / 0)
    try:
        failing.wait()
        error = None
    except RuntimeError as e:
        error = str(e).split("\n")[0]
    try:
        fut.set_result(2)
    except RuntimeError as e:
        twice = str(e)
    others = [lib.futures.Future() for _ in range(2)]
    collected = lib.futures.collect_all(others)
    for i, f in enumerate(others):
        f.set_result(i)
    return (before, chained.wait(), seen, error, twice.split(",")[0],
            [f.wait() for f in collected.wait()], lib.futures.wait_all(others))


@requires_torch
def test_matches_torch() -> None:
    assert _script(ember) == _script(torch)


def test_torch_free_core() -> None:
    assert _script(ember)[1] == 2
    fut = ember.futures.Future()
    fut.set_exception(ValueError("bad"))
    with pytest.raises(ValueError, match="bad"):
        fut.wait()
