"""Shared test helpers: the torch oracle (optional) and conversions between the libraries."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember

try:  # torch is the oracle where installed (CI installs it); the torch-free core runs anyway
    import torch

    torch.set_default_dtype(torch.float32)
except ImportError:  # pragma: no cover - exercised on machines without torch
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


@pytest.fixture(autouse=True)
def _reset_state() -> Any:
    """Every test starts with default dtype, grad mode and print options."""
    yield
    ember.set_default_dtype(ember.float32)
    ember.set_printoptions(profile="default")
    ember.autograd.grad_mode.state.enabled = True
    ember.autograd.grad_mode.state.inference = False


def to_ember(value: Any, dtype: Any = None, requires_grad: bool | None = None) -> Any:
    """A NumPy array as an ember tensor; floats require grad unless told otherwise."""
    if not isinstance(value, np.ndarray):
        return value
    arr = value.astype(dtype.np) if dtype is not None and value.dtype.kind == "f" else value
    t = ember.tensor(arr)
    if requires_grad is None:
        requires_grad = arr.dtype.kind == "f"
    return t.requires_grad_(True) if requires_grad else t


def to_torch(value: Any, dtype: Any = None, requires_grad: bool | None = None) -> Any:
    if not isinstance(value, np.ndarray):
        return value
    arr = value.astype(dtype.np) if dtype is not None and value.dtype.kind == "f" else value
    t = torch.tensor(arr)
    if requires_grad is None:
        requires_grad = arr.dtype.kind == "f"
    return t.requires_grad_(True) if requires_grad else t


def as_numpy(t: Any) -> Any:
    if t is None:
        return None
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t.detach().numpy() if isinstance(t, ember.Tensor) else np.asarray(t)


def assert_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    a, e = as_numpy(actual), as_numpy(expected)
    assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)


def torch_message(text: str) -> str:
    """torch's error text as ember words it."""
    return text.replace("torch.", "ember.")


def outcome(fn: Any) -> tuple:
    """``('ok', result)`` or ``(error type name, message as ember words it)``: what a call does,
    to compare ember's with torch's."""
    try:
        return "ok", fn()
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, torch_message(str(error))
