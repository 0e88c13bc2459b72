"""DistributedSampler: torch's shards and order, and the permutation torch draws."""

from __future__ import annotations

import math

import pytest

from ember.utils.data import DistributedSampler
from ember.utils.data.distributed import mt19937_draws, torch_randperm
from tests.conftest import requires_torch, torch


def shards(length: int, replicas: int, **kwargs: object) -> list[list[int]]:
    return [list(DistributedSampler(range(length), num_replicas=replicas, rank=r, **kwargs))
            for r in range(replicas)]


@pytest.mark.parametrize("length", [1, 7, 10, 23])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
def test_shards_partition_the_padded_order(length: int, replicas: int) -> None:
    order = list(range(length))
    parts = shards(length, replicas, shuffle=False)
    per_rank = math.ceil(length / replicas)
    padded = (order * math.ceil(per_rank * replicas / length))[:per_rank * replicas]
    for rank, part in enumerate(parts):
        assert part == padded[rank::replicas] and len(part) == per_rank
    dropped = shards(length, replicas, shuffle=False, drop_last=True)
    keep = length // replicas * replicas
    assert sorted(i for part in dropped for i in part) == order[:keep]


def test_shuffle_is_a_permutation_per_epoch() -> None:
    sampler = DistributedSampler(range(50), num_replicas=1, rank=0, seed=3)
    first = list(sampler)
    assert sorted(first) == list(range(50)) and first != list(range(50))
    assert list(sampler) == first  # the same epoch repeats its order
    sampler.set_epoch(1)
    assert list(sampler) != first and sorted(sampler) == list(range(50))
    assert list(DistributedSampler(range(50), num_replicas=1, rank=0, seed=4)) != first


def test_mt19937_draws_are_the_standard_generator() -> None:
    # C++ requires the 10000th output of a default-seeded std::mt19937 (seed 5489) to be this
    assert mt19937_draws(5489, 10000)[-1] == 4123659995
    assert mt19937_draws(5489 + 2 ** 32, 1)[0] == mt19937_draws(5489, 1)[0]  # low 32 bits


def test_torch_randperm_is_a_fisher_yates_shuffle_of_the_draws() -> None:
    draws = mt19937_draws(9, 4).tolist()
    expected = list(range(5))
    for i, draw in enumerate(draws):  # step i swaps i with i + draw % (n - i)
        j = i + draw % (5 - i)
        expected[i], expected[j] = expected[j], expected[i]
    assert torch_randperm(5, 9) == expected
    for n in (0, 1, 100):
        assert sorted(torch_randperm(n, 11)) == list(range(n))


def test_invalid_rank() -> None:
    message = r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    with pytest.raises(ValueError, match=message):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_default_replicas_need_a_process_group() -> None:
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))


@requires_torch
@pytest.mark.parametrize("n", [0, 1, 2, 10, 1437, 100_000])
@pytest.mark.parametrize("seed", [0, 7, 2 ** 32 + 5, -3])
def test_torch_randperm_equals_torch(n: int, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    assert torch_randperm(n, seed) == torch.randperm(n, generator=generator).tolist()


@requires_torch
@pytest.mark.parametrize("length", [10, 23, 1438])
@pytest.mark.parametrize("replicas", [1, 2, 3])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_indices_equal_torch(length: int, replicas: int, shuffle: bool,
                             drop_last: bool) -> None:
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(length), replicas, rank, shuffle, seed=5,
                                  drop_last=drop_last)
        theirs = TorchSampler(range(length), replicas, rank, shuffle, seed=5,
                              drop_last=drop_last)
        for epoch in (0, 3):
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs)
