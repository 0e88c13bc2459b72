"""finfo and iinfo against torch's."""

from __future__ import annotations

import pytest

import ember
from tests.conftest import requires_torch, torch

FLOATS = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def test_torch_free_core() -> None:
    f = ember.finfo(ember.float32)
    assert f.bits == 32 and f.eps == 2.0 ** -23 and f.max == -f.min and f.resolution == 1e-6
    assert ember.finfo().dtype == "float32" and ember.finfo(float).dtype == "float64"
    assert ember.iinfo(ember.int8).min == -128 and ember.iinfo(ember.uint8).max == 255
    with pytest.raises(TypeError, match="requires a floating point input type"):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError, match="requires an integer input type"):
        ember.iinfo(ember.float32)
    with pytest.raises(TypeError, match="ember.bool is not supported by ember.iinfo"):
        ember.iinfo(ember.bool)


@requires_torch
@pytest.mark.parametrize("name", FLOATS)
def test_finfo_matches_torch(name: str) -> None:
    ours, theirs = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)


@requires_torch
@pytest.mark.parametrize("name", INTS)
def test_iinfo_matches_torch(name: str) -> None:
    ours, theirs = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (
        theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(ours) == repr(theirs)
