"""isclose/allclose: errors and edge cases beyond the op table's samples."""

from __future__ import annotations

import pytest

import ember
from tests.conftest import outcome, requires_torch, torch

CALLS = {
    "broadcast": lambda L: L.allclose(L.tensor([1.0, 2.0]), L.tensor([1.0])),
    "dtype mismatch": lambda L: L.allclose(L.tensor([1.0]), L.tensor([1.0], dtype=L.float64)),
    "int vs float": lambda L: L.isclose(L.tensor([1, 2]), L.tensor([1.0, 3.0])),
    "negative rtol": lambda L: L.isclose(L.tensor([1.0]), L.tensor([1.0]), rtol=-1),
    "negative atol": lambda L: L.isclose(L.tensor([1.0]), L.tensor([1.0]), atol=-1),
    "ints": lambda L: L.isclose(L.tensor([1, 2]), L.tensor([1, 3]), atol=1).tolist(),
    "bools": lambda L: L.isclose(L.tensor([True, False]), L.tensor([True, True])).tolist(),
    "scalar other": lambda L: L.isclose(L.tensor([1.0]), 1.0),
    "nan": lambda L: L.allclose(L.tensor([float("nan")]), L.tensor([float("nan")]),
                                equal_nan=True),
    "float16": lambda L: L.isclose(L.tensor([1.0, 1.001]).half(), L.tensor([1.0, 1.0]).half(),
                                   rtol=1e-3).tolist(),
}


@requires_torch
@pytest.mark.parametrize("name", list(CALLS))
def test_matches_torch(name: str) -> None:
    assert outcome(lambda: CALLS[name](ember)) == outcome(lambda: CALLS[name](torch))


def test_torch_free_core() -> None:
    a = ember.tensor([1.0, float("inf"), float("-inf"), float("nan"), 0.0])
    b = ember.tensor([1.0 + 1e-9, float("inf"), float("inf"), float("nan"), 1e-9])
    assert ember.isclose(a, b).tolist() == [True, True, False, False, True]
    assert a.isclose(b, equal_nan=True).tolist()[3] is True
    assert ember.allclose(a[:2], b[:2]) is True and a.allclose(b) is False
