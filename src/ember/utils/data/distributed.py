"""DistributedSampler: each rank's shard of a dataset, in the order torch gives it."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized
from typing import Any

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]

# Below this size torch's CPU randperm draws one 32-bit number per swap; above it, 64 bits.
_RANDPERM_32BIT_LIMIT = (2 ** 32 - 1) // 20


def mt19937_draws(seed: int, count: int) -> np.ndarray:
    """The first ``count`` 32-bit outputs (as uint64) of the Mersenne Twister seeded with the
    low 32 bits of ``seed``, as C++'s ``std::mt19937(seed)`` and torch's CPU generator give
    them."""
    key = np.random.RandomState(seed & 0xFFFFFFFF).get_state(legacy=False)["state"]["key"]
    bits = np.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}
    return bits.random_raw(count)


def torch_randperm(n: int, seed: int) -> list[int]:
    """The permutation ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``
    gives, drawn the way torch's CPU generator draws it.

    torch's generator is a Mersenne Twister (mt19937) seeded with the low 32 bits of the seed,
    which is also how NumPy's legacy ``RandomState`` seeds its own; randperm is then a
    Fisher-Yates shuffle in which step ``i`` swaps ``i`` with ``i + r % (n - i)``, ``r`` the
    next 32-bit draw. ember's own ``randperm`` uses ember's generator (PCG64) and gives a
    different order: the sampler uses this one, so every rank gets the shard it would get
    under torch. Verified against torch for n up to 100,000 (tests/utils/data).

    The swaps depend on one another, so they run as a Python loop: about 0.2 s per million
    indices, once per epoch.
    """
    if n <= 1:
        return list(range(n))
    steps = n - 1
    remaining = n - np.arange(steps, dtype=np.uint64)
    if n < _RANDPERM_32BIT_LIMIT:
        draws = mt19937_draws(seed, steps)
    else:  # two 32-bit draws per step, the first one the high half (torch's random64)
        pairs = mt19937_draws(seed, 2 * steps).reshape(steps, 2)
        draws = (pairs[:, 0] << np.uint64(32)) | pairs[:, 1]
    targets = (np.arange(steps, dtype=np.uint64) + draws % remaining).tolist()
    order = list(range(n))
    for i, j in enumerate(targets):
        order[i], order[j] = order[j], order[i]
    return order


class DistributedSampler(Sampler):
    """Gives each rank its own part of the dataset, as torch's ``DistributedSampler`` does.

    The indices (shuffled by ``seed + epoch``, or in order) are padded by repeating the first
    ones, or with ``drop_last`` cut, to a multiple of ``num_replicas``; rank ``r`` takes every
    ``num_replicas``-th index from position ``r``. The permutation is torch's own (see
    ``torch_randperm``), so each rank sees exactly the shard it would see under torch.

    Args:
        dataset (Dataset): the dataset to sample from (only its length is used).
        num_replicas (int, optional): number of ranks (default: the world size).
        rank (int, optional): this rank (default: ``ember.distributed.get_rank()``).
        shuffle (bool): shuffle the indices. Default: True.
        seed (int): seed of the shuffle; must be the same on every rank. Default: 0.
        drop_last (bool): drop the tail instead of padding. Default: False.

    Example::

        >>> sampler = DistributedSampler(dataset)
        >>> loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        >>> for epoch in range(epochs):
        ...     sampler.set_epoch(epoch)      # a new shuffle every epoch
        ...     for x, y in loader: ...
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        length = len(dataset)
        if drop_last and length % num_replicas != 0:
            # the largest length that splits evenly
            self.num_samples = math.ceil((length - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(length / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[Any]:
        length = len(self.dataset)
        indices = (torch_randperm(length, self.seed + self.epoch) if self.shuffle
                   else list(range(length)))
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            padding = self.total_size - length
            if padding <= length:
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / length))[:padding]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch, which (with ``seed``) picks the shuffle: call it before each epoch,
        or every epoch repeats the same order."""
        self.epoch = epoch
