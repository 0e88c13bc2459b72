"""ember.testing.assert_close: torch's tolerances and messages."""

from __future__ import annotations

import pytest

import ember
from tests.conftest import outcome, requires_torch, torch

CASES = {
    "close": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.000001])),
    "mismatch": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0, 3.0]),
                                                 L.tensor([1.0, 2.5, 3.1])),
    "2d": lambda L: L.testing.assert_close(L.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                           L.tensor([[1.0, 2.0], [3.0, 5.0]])),
    "0-d": lambda L: L.testing.assert_close(L.tensor(1.0), L.tensor(2.0)),
    "ints": lambda L: L.testing.assert_close(L.tensor([1, 2]), L.tensor([1, 3])),
    "bools": lambda L: L.testing.assert_close(L.tensor([True]), L.tensor([False])),
    "dtype": lambda L: L.testing.assert_close(L.tensor([1.0]), L.tensor([1.0], dtype=L.float64)),
    "shape": lambda L: L.testing.assert_close(L.tensor([1.0]), L.tensor([1.0, 2.0])),
    "nan": lambda L: L.testing.assert_close(L.tensor([float("nan")]), L.tensor([float("nan")])),
    "nan equal": lambda L: L.testing.assert_close(L.tensor([float("nan")]),
                                                  L.tensor([float("nan")]), equal_nan=True),
    "rtol only": lambda L: L.testing.assert_close(L.tensor([1.0]), L.tensor([1.0]), rtol=1e-3),
    "msg": lambda L: L.testing.assert_close(L.tensor([1.0]), L.tensor([2.0]), msg="custom"),
    "python": lambda L: L.testing.assert_close(1.0, 1.0 + 1e-8),
    "python bad": lambda L: L.testing.assert_close(1.0, 1.1),
    "python ints": lambda L: L.testing.assert_close(1, 2),
    "list": lambda L: L.testing.assert_close([L.tensor(1.0)], [L.tensor(1.5)]),
    "dict": lambda L: L.testing.assert_close({"a": L.tensor(1.0)}, {"a": L.tensor(1.5)}),
    "check_dtype off": lambda L: L.testing.assert_close(
        L.tensor([1.0]), L.tensor([1.0], dtype=L.float64), check_dtype=False),
    "inf": lambda L: L.testing.assert_close(L.tensor([float("inf")]), L.tensor([float("inf")])),
    "inf signs": lambda L: L.testing.assert_close(L.tensor([float("inf")]),
                                                  L.tensor([-float("inf")])),
    "bfloat16": lambda L: L.testing.assert_close(L.tensor([1.0]).bfloat16(),
                                                 L.tensor([1.01]).bfloat16()),
    "float16": lambda L: L.testing.assert_close(L.tensor([1.0]).half(),
                                                L.tensor([1.01]).half()),
    "tolerances": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.1, 2.0]),
                                                   rtol=0.0, atol=0.05),
}


@requires_torch
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name: str) -> None:
    assert outcome(lambda: CASES[name](ember)) == outcome(lambda: CASES[name](torch))


def test_torch_free_core() -> None:
    ember.testing.assert_close(ember.tensor([1.0]), ember.tensor([1.0 + 1e-6]))
    with pytest.raises(AssertionError, match="Mismatched elements: 1 / 2"):
        ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.1]))
    with pytest.raises(TypeError, match="No comparison pair"):
        ember.testing.assert_close(ember.tensor(1.0), 1.0)
    with pytest.warns(FutureWarning, match="assert_allclose"):
        with pytest.raises(AssertionError, match=r"up to 0.0001 allowed"):
            ember.testing.assert_allclose(ember.tensor([1.0]), ember.tensor([1.1]))
