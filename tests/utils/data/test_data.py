"""ember.utils.data: batches equal torch's with shuffle=False, shuffled epochs are
permutations, default_collate gives torch's types, shapes and dtypes, errors match."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import ember
from ember.utils import data as edata
from tests.conftest import requires_torch, torch

Point = collections.namedtuple("Point", "x y")


def _lib_data(lib):
    return lib.utils.data


def _samples():
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(3).astype(np.float32), int(i), float(i) / 2, bool(i % 2),
             f"s{i}", {"a": np.int32(i), "b": [i, i + 1]}, Point(i, np.float64(i)))
            for i in range(7)]


class _MapDataset:
    """Plain map-style dataset of mixed samples (for both libraries)."""

    def __init__(self, lib):
        self.lib = lib
        self.items = _samples()

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        arr, *rest = self.items[i]
        return (self.lib.tensor(arr), arr, *rest)


def _flatten(batch):
    """A collated batch as comparable plain data: (type name, dtype, shape, values) leaves."""
    if torch is not None and isinstance(batch, torch.Tensor) or isinstance(batch, ember.Tensor):
        return ("tensor", str(batch.dtype).split(".")[-1], tuple(batch.shape),
                batch.detach().numpy().tolist())
    if isinstance(batch, dict):
        return ("dict", {k: _flatten(v) for k, v in batch.items()})
    if isinstance(batch, Point):
        return ("Point", [_flatten(v) for v in batch])
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_flatten(v) for v in batch])
    return (type(batch).__name__, batch)


@requires_torch
@pytest.mark.parametrize("kwargs", [
    dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
    dict(batch_size=7), dict(batch_size=10),
])
def test_batches_equal_torch_without_shuffle(kwargs):
    out = []
    for lib in (ember, torch):
        loader = _lib_data(lib).DataLoader(_MapDataset(lib), **kwargs)
        out.append((len(loader), [_flatten(b) for b in loader]))
    assert out[0] == out[1]


@requires_torch
def test_tensor_dataset_and_samplers_equal_torch():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    out = []
    for lib in (ember, torch):
        d = _lib_data(lib)
        ds = d.TensorDataset(lib.tensor(x), lib.tensor(y))
        loaders = [
            d.DataLoader(ds, batch_size=4),
            d.DataLoader(ds, sampler=[9, 0, 3, 3]),
            d.DataLoader(ds, batch_sampler=[[1, 2], [5], [0, 9, 8]]),
            d.DataLoader(ds, batch_sampler=d.BatchSampler(d.SequentialSampler(ds), 3, True)),
            d.DataLoader(d.Subset(ds, [4, 2, 7]), batch_size=2),
            d.DataLoader(ds + ds, batch_size=6),
            d.DataLoader(ds, batch_size=3, collate_fn=lambda b: len(b)),
            d.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True),
        ]
        out.append([[len(ld), [_flatten(b) for b in ld]] for ld in loaders]
                   + [ds[3][0].tolist(), len(ds), (ds + ds)[-1][1].item()])
    assert out[0] == out[1]


class _Stream:
    def __init__(self, lib, n=7):
        self.lib, self.n = lib, n

    def make(self):
        lib, n = self.lib, self.n

        class Stream(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(n))

            def __len__(self):
                return n

        return Stream()


@requires_torch
@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=3), dict(batch_size=3,
                                                                     drop_last=True),
                                    dict(batch_size=None)])
def test_iterable_dataset_equals_torch(kwargs):
    out = []
    for lib in (ember, torch):
        ds = _Stream(lib).make()
        loader = _lib_data(lib).DataLoader(ds, **kwargs)
        chained = list(ds + _Stream(lib, 2).make())
        out.append((len(loader), [_flatten(b) for b in loader], chained))
    assert out[0] == out[1]


@requires_torch
@pytest.mark.parametrize("batch", [
    [1, 2], [1.0, 2.5], [True, False], ["a", "b"], [b"x", b"y"], [(1, "a"), (2, "b")],
    [[1, 2], [3, 4]], [{"a": 1, "b": np.float32(2)}, {"a": 3, "b": np.float32(4)}],
    [Point(1, 2.0), Point(3, 4.0)], [np.array([1, 2]), np.array([3, 4])],
    [np.int32(3), np.int32(4)], [np.float64(1.5), np.float64(2)], [np.bool_(True)],
    [np.zeros((2, 3), np.float16), np.ones((2, 3), np.float16)], [np.array(1.0), np.array(2)],
    [collections.OrderedDict(z=1, a=2.0)], [((1, 2), [3.0])], ["tensors"],
    [None], [np.array(["a"])], [[1, 2], [3]], [object()], [{1, 2}],
])
def test_default_collate_equals_torch(batch):
    out = []
    for lib in (ember, torch):
        sample = [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])] if batch == ["tensors"] \
            else batch
        try:
            out.append(_flatten(_lib_data(lib).default_collate(sample)))
        except Exception as error:  # noqa: BLE001 - the error itself is compared
            out.append((type(error).__name__,
                        str(error).replace("torch.", "").replace("ember.", "")))
    assert out[0] == out[1]


@requires_torch
@pytest.mark.parametrize("data", [np.array([1, 2]), [np.array([1.0])], 3, (np.int32(1), "a"),
                                  {"k": np.float32(1)}, Point(np.int64(1), "b"), "text"])
def test_default_convert_equals_torch(data):
    from torch.utils.data._utils.collate import default_convert

    assert _flatten(edata.default_convert(data)) == _flatten(default_convert(data))


@requires_torch
@pytest.mark.parametrize("make", [
    lambda d, ds: d.DataLoader(ds, num_workers=-1),
    lambda d, ds: d.DataLoader(ds, timeout=-1),
    lambda d, ds: d.DataLoader(ds, prefetch_factor=2),
    lambda d, ds: d.DataLoader(ds, persistent_workers=True),
    lambda d, ds: d.DataLoader(ds, sampler=[0, 1], shuffle=True),
    lambda d, ds: d.DataLoader(ds, batch_sampler=[[0]], batch_size=2),
    lambda d, ds: d.DataLoader(ds, batch_sampler=[[0]], drop_last=True),
    lambda d, ds: d.DataLoader(ds, batch_sampler=[[0]], shuffle=True),
    lambda d, ds: d.DataLoader(ds, batch_size=None, drop_last=True),
    lambda d, ds: setattr(d.DataLoader(ds), "batch_size", 3),
    lambda d, ds: d.BatchSampler(range(3), 0, False),
    lambda d, ds: d.BatchSampler(range(3), 2, 1),
    lambda d, ds: d.RandomSampler(ds, replacement=1),
    lambda d, ds: d.RandomSampler(ds, num_samples=0),
    lambda d, ds: d.WeightedRandomSampler([[1.0]], 2),
    lambda d, ds: d.WeightedRandomSampler([1.0], -2),
    lambda d, ds: d.WeightedRandomSampler([1.0], 2, replacement=0),
    lambda d, ds: d.ConcatDataset([]),
    lambda d, ds: d.ConcatDataset([ds])[-10],
    lambda d, ds: d.random_split(ds, [2, 2]),
    lambda d, ds: d.Dataset()[0],
])
def test_errors_equal_torch(make):
    results = []
    for lib in (ember, torch):
        d = _lib_data(lib)
        ds = d.TensorDataset(lib.arange(5), lib.arange(5))
        with pytest.raises(Exception) as info:
            make(d, ds)
        results.append((info.type.__name__,
                        str(info.value).replace("torch.", "").replace("ember.", "")))
    assert results[0] == results[1]


@requires_torch
def test_iterable_dataset_option_errors_equal_torch():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        results = []
        for lib in (ember, torch):
            with pytest.raises(ValueError) as info:
                _lib_data(lib).DataLoader(_Stream(lib).make(), **kwargs)
            results.append(str(info.value).split(", but got")[0])
        assert results[0] == results[1]


@requires_torch
def test_tensor_dataset_size_mismatch_and_random_split_lengths_equal_torch():
    out = []
    for lib in (ember, torch):
        d = _lib_data(lib)
        with pytest.raises(AssertionError) as info:
            d.TensorDataset(lib.zeros(3), lib.zeros(4))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sizes = [[len(s) for s in d.random_split(range(n), lengths)]
                     for n, lengths in ((10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]),
                                        (3, [0.1, 0.9]), (10, [3, 7]))]
        out.append((str(info.value), sizes, [str(w.message) for w in caught]))
    assert out[0] == out[1]


# --- torch-free core -------------------------------------------------------------------------
def test_shuffle_gives_a_permutation_each_epoch_and_is_seedable():
    ds = edata.TensorDataset(ember.arange(50))
    loader = edata.DataLoader(ds, batch_size=8, shuffle=True,
                              generator=ember.Generator().manual_seed(3))
    epochs = [[int(v) for (b,) in loader for v in b.tolist()] for _ in range(2)]
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert epochs[0] != epochs[1] and epochs[0] != list(range(50))
    again = edata.DataLoader(ds, batch_size=8, shuffle=True,
                             generator=ember.Generator().manual_seed(3))
    assert [int(v) for (b,) in again for v in b.tolist()] == epochs[0]
    ember.manual_seed(0)
    first = [b.tolist() for (b,) in edata.DataLoader(ds, batch_size=8, shuffle=True)]
    ember.manual_seed(0)
    assert [b.tolist() for (b,) in edata.DataLoader(ds, batch_size=8, shuffle=True)] == first


def test_samplers_without_torch():
    g = ember.Generator().manual_seed(0)
    assert sorted(edata.RandomSampler(range(5), generator=g)) == [0, 1, 2, 3, 4]
    drawn = list(edata.RandomSampler(range(5), replacement=True, num_samples=12, generator=g))
    assert len(drawn) == 12 and all(0 <= i < 5 for i in drawn)
    longer = list(edata.RandomSampler(range(3), num_samples=7, generator=g))
    assert sorted(longer[:3]) == [0, 1, 2] and sorted(longer[3:6]) == [0, 1, 2]
    assert sorted(edata.SubsetRandomSampler([5, 7, 9], generator=g)) == [5, 7, 9]
    weighted = list(edata.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 20, generator=g))
    assert set(weighted) <= {1, 3} and len(weighted) == 20
    assert sorted(edata.WeightedRandomSampler([1, 1, 1], 3, replacement=False,
                                              generator=g)) == [0, 1, 2]
    assert list(edata.BatchSampler(range(5), 2, False)) == [[0, 1], [2, 3], [4]]
    assert len(edata.BatchSampler(range(5), 2, True)) == 2


def test_random_split_is_a_partition():
    parts = edata.random_split(range(10), [0.7, 0.3], generator=ember.Generator().manual_seed(1))
    items = sorted(x for p in parts for x in (p[i] for i in range(len(p))))
    assert items == list(range(10)) and [len(p) for p in parts] == [7, 3]


def test_collate_types_without_torch():
    batch = edata.default_collate([(np.zeros(2, np.float32), 1, 0.5, "a"),
                                   (np.ones(2, np.float32), 2, 1.5, "b")])
    x, i, f, s = batch
    assert x.dtype == ember.float32 and x.shape == (2, 2)
    assert i.dtype == ember.int64 and f.dtype == ember.float64 and s == ("a", "b")
    w = ember.ones(2, requires_grad=True)
    stacked = edata.default_collate([w, w])
    stacked.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]


def test_getitems_is_used_for_batches():
    class Batched(edata.Dataset):
        calls = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            raise AssertionError("batches go through __getitems__")

        def __getitems__(self, indices):
            Batched.calls += 1
            return [float(i) for i in indices]

    batches = [b.tolist() for b in edata.DataLoader(Batched(), batch_size=3)]
    assert batches == [[0.0, 1.0, 2.0], [3.0]] and Batched.calls == 2


def test_tensor_dataset_fast_path_equals_per_sample_collate():
    x = ember.arange(12.0).reshape(6, 2)
    ds = edata.Subset(edata.Subset(edata.TensorDataset(x, ember.arange(6)), [5, 3, 1, 0]),
                      [3, 1, 2])
    fast = list(edata.DataLoader(ds, batch_size=2))
    slow = list(edata.DataLoader(ds, batch_size=2,
                                 collate_fn=lambda b: edata.default_collate(b)))
    assert [[t.tolist() for t in b] for b in fast] == [[t.tolist() for t in b] for b in slow]
    assert [[t.dtype for t in b] for b in fast] == [[t.dtype for t in b] for b in slow]
    w = ember.ones(3, 2, requires_grad=True)  # samples in a graph are stacked, not copied
    (batch,) = next(iter(edata.DataLoader(edata.TensorDataset(w), batch_size=3)))
    batch.sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0]] * 3
