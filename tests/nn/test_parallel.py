"""ember.nn.parallel in one process: DataParallel as CPU-only torch has it, the DDP bucket
layout, and state-dict prefixes. Multi-process DDP runs in tests/distributed."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.modules.utils import consume_prefix_in_state_dict_if_present
from ember.nn.parallel._reducer import assign_buckets
from tests.conftest import requires_torch, torch


def test_data_parallel_runs_the_module() -> None:
    inner = nn.Linear(2, 3)
    model = nn.DataParallel(inner)
    x = ember.randn(4, 2)
    np.testing.assert_array_equal(model(x).detach().numpy(), inner(x).detach().numpy())
    assert model.module is inner and model.device_ids == []
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    with pytest.raises(RuntimeError, match="device type could not be determined"):
        nn.parallel.data_parallel(inner, x)


@requires_torch
def test_data_parallel_matches_torch() -> None:
    ours, theirs = nn.DataParallel(nn.Linear(2, 3)), torch.nn.DataParallel(torch.nn.Linear(2, 3))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_consume_prefix() -> None:
    state = nn.DataParallel(nn.Sequential(nn.Linear(2, 3))).state_dict()
    consume_prefix_in_state_dict_if_present(state, "module.")
    assert list(state) == ["0.weight", "0.bias"]
    nn.Sequential(nn.Linear(2, 3)).load_state_dict(state)
    consume_prefix_in_state_dict_if_present(state, "module.")  # absent: nothing changes
    assert list(state) == ["0.weight", "0.bias"]


@requires_torch
def test_consume_prefix_matches_torch_metadata() -> None:
    ours = nn.DataParallel(nn.Sequential(nn.Linear(2, 3))).state_dict()
    theirs = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(2, 3))).state_dict()
    consume_prefix_in_state_dict_if_present(ours, "module.")
    torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(theirs, "module.")
    assert list(ours) == list(theirs)
    assert list(getattr(ours, "_metadata", {})) == list(theirs._metadata)


def test_buckets_in_reverse_order_by_size() -> None:
    params = [ember.zeros(n) for n in (256, 64, 64, 16, 16)]  # float32: 4 bytes each
    assert assign_buckets(params, [1 << 20]) == [[4, 3, 2, 1, 0]]
    # a bucket closes once it holds at least its cap: 128 bytes first, then 512 each
    assert assign_buckets(params, [128, 512]) == [[4, 3], [2, 1], [0]]
    assert assign_buckets(params, [100]) == [[4, 3], [2], [1], [0]]
    mixed = [ember.zeros(8, dtype=ember.float64), ember.zeros(8), ember.zeros(8)]
    assert assign_buckets(mixed, [1 << 20]) == [[2, 1], [0]]  # one dtype per bucket


def test_ddp_needs_a_process_group() -> None:
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
