"""Module-level spellings: constants, the in-place functions, memory formats."""

from __future__ import annotations

import math

import pytest

import ember
from ember._inplace_functions import NAMES
from tests.conftest import requires_torch, torch


def test_constants() -> None:
    assert (ember.pi, ember.e, ember.inf) == (math.pi, math.e, math.inf)
    assert math.isnan(ember.nan) and ember.newaxis is None
    assert ember.ones(3)[:, ember.newaxis].shape == (3, 1)
    assert ember.empty(2, memory_format=ember.contiguous_format).is_contiguous()
    assert ember.ones(2).contiguous(memory_format=ember.channels_last).is_contiguous()
    assert ember.ones(2).clone(memory_format=ember.preserve_format).tolist() == [1.0, 1.0]
    assert repr(ember.channels_last) == "ember.channels_last"


@requires_torch
def test_constants_and_names_match_torch() -> None:
    for name in ("pi", "e", "inf"):
        assert getattr(ember, name) == getattr(torch, name)
    assert all(hasattr(torch, name) for name in NAMES)


ARGS = {"clamp_": (-0.5, 0.5), "clamp_max_": (0.5,), "clamp_min_": (-0.5,), "clip_": (-0.5, 0.5),
        "fill_": (2.0,), "nan_to_num_": (0.0,)}


@requires_torch
@pytest.mark.parametrize("name", NAMES)
def test_inplace_functions_match_torch(name: str) -> None:
    results = []
    for lib in (ember, torch):
        x = lib.tensor([0.25, -0.5, 0.75])
        out = getattr(lib, name)(x, *ARGS.get(name, ()))
        results.append((out is x, [round(v, 5) for v in x.tolist()]))
    assert results[0][0] and results[0][1] == pytest.approx(results[1][1], nan_ok=True)


def test_inplace_function_records_as_the_method() -> None:
    x = ember.ones(2, requires_grad=True)
    y = x * 1
    ember.relu_(y)
    assert type(y.grad_fn).__name__ == "ReluBackward0" and y._version == 1
    with pytest.raises(TypeError, match="must be Tensor"):
        ember.sin_(1.0)
