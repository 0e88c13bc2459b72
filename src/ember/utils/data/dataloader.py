"""DataLoader: iterates over a dataset in (optionally shuffled) batches."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info() -> None:
    """Information about the current loader worker: always None, as ember loads every batch
    in the main process."""
    return None


class _Forever(Sampler):
    """The sampler of an iterable dataset: one placeholder index per sample to fetch."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


def _plain_tensors(dataset: Any) -> tuple[Tensor, ...] | None:
    """The tensors of a TensorDataset (possibly under Subsets) that no sample needs a graph
    for; None for any other dataset."""
    while type(dataset) is Subset:
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:
        return None
    if any(t._requires_grad for t in dataset.tensors):
        return None
    return dataset.tensors


def _gather(tensors: tuple[Tensor, ...], dataset: Any, indices: list[int]) -> list[Tensor]:
    """default_collate of a batch of a TensorDataset, made with one fancy index per tensor
    instead of one tensor per sample and a stack: the same values, dtypes and shapes."""
    while type(dataset) is Subset:
        indices = [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    rows = np.asarray(indices, dtype=np.intp)
    return [_make(t._data[rows]) for t in tensors]


class DataLoader:
    """Combines a dataset and a sampler, and iterates over batches of samples.

    Args:
        dataset (Dataset): a map-style dataset (``__getitem__`` and ``__len__``) or an
            :class:`IterableDataset`.
        batch_size (int, optional): samples per batch; ``None`` turns batching off (each
            sample is converted with :func:`default_convert`). Default: 1.
        shuffle (bool, optional): visit the samples in a new random order every epoch.
        sampler (Sampler or iterable, optional): the order of the indices; excludes
            ``shuffle``.
        batch_sampler (Sampler or iterable, optional): yields whole lists of indices; excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int): accepted for compatibility: ember always loads in the main process
            (``worker_init_fn`` is not called and :func:`get_worker_info` is None), which
            gives the same batches in the same order. Default: 0.
        collate_fn (Callable, optional): merges a list of samples into a batch. Default:
            :func:`default_collate`.
        pin_memory (bool): accepted; ember has no pinned memory (it computes on the CPU).
        drop_last (bool): drop the last batch if it is smaller than ``batch_size``.
        timeout (float): must be non-negative; unused.
        worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers,
        pin_memory_device, in_order: accepted with torch's checks; unused.
        generator (Generator, optional): the source of the shuffling order.

    Example::

        >>> from ember.utils.data import DataLoader, TensorDataset
        >>> ds = TensorDataset(ember.arange(10.0).reshape(5, 2), ember.arange(5))
        >>> [y for _, y in DataLoader(ds, batch_size=2)]
        [tensor([0, 1]), tensor([2, 3]), tensor([4])]
    """

    def __init__(self, dataset: Dataset | Any, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _Forever()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if self.__dict__.get("_initialized") and name in _FROZEN:
            raise ValueError(f"{name} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> Iterator[Any]:
        if self.pin_memory:  # as torch, each time iteration starts
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.", UserWarning, stacklevel=2)
        if self._iterable:
            return self._iterate_stream()
        return self._iterate_map()

    def _iterate_map(self) -> Iterator[Any]:
        dataset, collate = self.dataset, self.collate_fn
        if not self._auto_collation:
            for index in self.sampler:
                yield collate(dataset[index])
            return
        fetch_many = getattr(dataset, "__getitems__", None)
        tensors = _plain_tensors(dataset) if collate is default_collate else None
        for indices in self.batch_sampler:  # type: ignore[union-attr]
            if tensors is not None:
                yield _gather(tensors, dataset, indices)
                continue
            if callable(fetch_many):
                samples = fetch_many(indices)
            else:
                samples = [dataset[i] for i in indices]
            yield collate(samples)

    def _iterate_stream(self) -> Iterator[Any]:
        stream = iter(self.dataset)
        collate = self.collate_fn
        if not self._auto_collation:
            for sample in stream:
                yield collate(sample)
            return
        size = self.batch_size
        while True:
            samples = list(itertools.islice(stream, size))
            if not samples or (self.drop_last and len(samples) < size):  # type: ignore[operator]
                return
            yield collate(samples)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return -(-length // self.batch_size)
            return length
        return len(self._index_sampler)
