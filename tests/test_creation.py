"""Factories: dtype inference, size spellings, ranges, and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message


def test_dtype_inference_core() -> None:
    assert ember.tensor([1, 2.5]).dtype == ember.float32
    assert ember.tensor([True, 2]).dtype == ember.int64
    assert ember.tensor([1, 2j]).dtype == ember.complex64
    assert ember.tensor([[], []]).shape == (2, 0)
    assert ember.full((2,), 3).dtype == ember.int64
    assert ember.full((2,), True).dtype == ember.bool
    assert ember.full((2,), 3.0).dtype == ember.float32
    assert ember.full((2,), ember.tensor(3)).dtype == ember.int64
    assert ember.full_like(ember.zeros(2, dtype=ember.long), 2.7).tolist() == [2, 2]
    assert ember.arange(5).dtype == ember.int64 and ember.arange(5.0).dtype == ember.float32
    assert ember.eye(2, dtype=ember.long).dtype == ember.int64
    assert ember.zeros((2, 3)).shape == ember.zeros(2, 3).shape == ember.zeros([2, 3]).shape


def test_ranges_core() -> None:
    assert_close(ember.arange(0, 1, 0.1), np.arange(10, dtype=np.float64) * 0.1)
    assert ember.arange(1, 2.5, 0.5).tolist() == [1.0, 1.5, 2.0]
    assert len(ember.arange(0.0, 1.0, 0.3)) == 4
    assert ember.arange(5, 0, -1).tolist() == [5, 4, 3, 2, 1]
    assert ember.linspace(0, 10, 4, dtype=ember.long).tolist() == [0, 3, 6, 10]
    assert ember.logspace(0, 3, 4, dtype=ember.long).tolist() == [1, 10, 100, 1000]


def test_requires_grad() -> None:
    assert ember.arange(3.0, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ember.zeros(2, dtype=ember.long, requires_grad=True)


CASES = [
    ("ragged", lambda L: L.tensor([[1, 2], [3]])),
    ("scalar-then-list", lambda L: L.tensor([[1, 2], 3])),
    ("list-after-scalar", lambda L: L.tensor([1, [2, 3]])),
    ("str", lambda L: L.tensor(["a"])),
    ("none", lambda L: L.tensor([None])),
    ("big-int", lambda L: L.tensor([2 ** 63])),
    ("multi-element-tensors", lambda L: L.tensor([L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])])),
    ("int-requires-grad", lambda L: L.tensor([1, 2], requires_grad=True)),
    ("zeros-int-requires-grad", lambda L: L.zeros(2, dtype=L.long, requires_grad=True)),
    ("full-int-requires-grad", lambda L: L.full((2,), 3, requires_grad=True)),
    ("arange-int-requires-grad", lambda L: L.arange(3, requires_grad=True)),
    ("zeros-float-size", lambda L: L.zeros(2.5)),
    ("rand-float-size", lambda L: L.rand(2.5)),
    ("ones-negative", lambda L: L.ones(-1)),
    ("randn-negative", lambda L: L.randn(2, -1)),
    ("full-negative", lambda L: L.full((-1,), 1.0)),
    ("zeros-no-size", lambda L: L.zeros()),
    ("ones-no-size", lambda L: L.ones()),
    ("full-int-size", lambda L: L.full(2, 3.0)),
    ("arange-step0", lambda L: L.arange(0, 5, 0)),
    ("arange-sign", lambda L: L.arange(5, 0)),
    ("arange-inf", lambda L: L.arange(0, float("inf"))),
    ("linspace-negative", lambda L: L.linspace(0, 1, -1)),
    ("eye-negative", lambda L: L.eye(-1)),
    ("eye-m-negative", lambda L: L.eye(2, -1)),
    ("eye-float", lambda L: L.eye(2.0)),
]


@requires_torch
@pytest.mark.parametrize(("name", "fn"), CASES, ids=[c[0] for c in CASES])
def test_errors_match_torch(name: str, fn: object) -> None:
    with pytest.raises(Exception) as t_info:
        fn(torch)  # type: ignore[operator]
    with pytest.raises(Exception) as e_info:
        fn(ember)  # type: ignore[operator]
    assert e_info.type is t_info.type
    assert str(e_info.value) == torch_message(str(t_info.value).split("\n")[0])


@requires_torch
@pytest.mark.parametrize("args", [(0, 1, 0.1), (1, 2.5, 0.5), (0.0, 1.0, 0.3), (-1, 1, 0.25),
                                  (10,), (2.5,), (0, 10, 3)])
def test_arange_matches_torch(args: tuple) -> None:
    e, t = ember.arange(*args), torch.arange(*args)
    assert str(e.dtype)[6:] == str(t.dtype)[6:]
    assert_close(e, t)


@requires_torch
@pytest.mark.parametrize("data", [[1, 2.5], [True, 2], [[1, 2], [3, 4]], 3, 2.5, True, [],
                                  [[], []], [1 + 2j]])
def test_tensor_dtype_matches_torch(data: object) -> None:
    e, t = ember.tensor(data), torch.tensor(data)
    assert str(e.dtype)[6:] == str(t.dtype)[6:] and e.shape == tuple(t.shape)
