"""dtypes and torch's promotion rules (ember/_dtype.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
from tests.conftest import requires_torch, torch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 2, 2.5]


def test_dtype_spelling() -> None:
    assert str(ember.float32) == "ember.float32" and repr(ember.int64) == "ember.int64"
    assert ember.float is ember.float32 and ember.long is ember.int64
    assert ember.half is ember.float16
    assert ember.get_default_dtype() is ember.float32


def test_python_scalars_do_not_widen() -> None:
    x = ember.ones(2)
    assert (x * 2.5).dtype is ember.float32
    assert (ember.ones(2, dtype=ember.float16) * 2.5).dtype is ember.float16
    assert (ember.arange(3) * 2.5).dtype is ember.float32
    assert (ember.arange(3) / ember.arange(1, 4)).dtype is ember.float32
    assert (ember.tensor([True]) + 1).dtype is ember.int64


def test_zero_dim_ranks_below_dimensioned() -> None:
    vec = ember.ones(3)
    assert (vec * ember.tensor(2.0, dtype=ember.float64)).dtype is ember.float32
    assert (ember.ones(3, dtype=ember.int32) + ember.tensor(2)).dtype is ember.int32
    assert (ember.ones(3, dtype=ember.int32) + ember.tensor(2.0)).dtype is ember.float32


def test_default_dtype_change() -> None:
    ember.set_default_dtype(ember.float64)
    assert ember.tensor(1.5).dtype is ember.float64
    assert (ember.arange(2) * 0.5).dtype is ember.float64
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


@requires_torch
@pytest.mark.parametrize(("a", "b"), list(itertools.product(NAMES, NAMES)))
def test_tensor_tensor_promotion_matches_torch(a: str, b: str) -> None:
    for shapes in (((2,), (2,)), ((), (2,)), ((2,), ()), ((), ())):
        ea = ember.zeros(shapes[0], dtype=getattr(ember, a))
        eb = ember.zeros(shapes[1], dtype=getattr(ember, b))
        ta = torch.zeros(shapes[0], dtype=getattr(torch, a))
        tb = torch.zeros(shapes[1], dtype=getattr(torch, b))
        assert (ea + eb).dtype.name == str((ta + tb).dtype).replace("torch.", "")
        assert ember.promote_types(getattr(ember, a), getattr(ember, b)).name == str(
            torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "")


@requires_torch
@pytest.mark.parametrize(("a", "scalar"), list(itertools.product(NAMES, SCALARS)))
def test_tensor_scalar_promotion_matches_torch(a: str, scalar: object) -> None:
    e = ember.zeros(2, dtype=getattr(ember, a))
    t = torch.zeros(2, dtype=getattr(torch, a))
    for ours, theirs in ((e * scalar, t * scalar), (scalar * e, scalar * t), (e / 2, t / 2)):
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")


def test_numpy_dtype_round_trip() -> None:
    for name in NAMES:
        d = getattr(ember, name)
        assert ember.from_numpy(np.zeros(1, dtype=d.np)).dtype is d
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint16"):
        ember.from_numpy(np.zeros(1, dtype=np.uint16))
