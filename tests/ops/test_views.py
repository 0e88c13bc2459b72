"""In-place ops through views: CopySlices (ops/views.py), against torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch

DATA = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def scale_column(lib: Any) -> tuple:
    x = lib.tensor(DATA, requires_grad=True)
    y = x * 1
    y[:, 1] *= 2
    y.exp().sum().backward()
    return y, x.grad


def write_row_from_other(lib: Any) -> tuple:
    a = lib.tensor(DATA, requires_grad=True)
    b = a.clone()
    b[0] = a[1] * 10
    (b * b).sum().backward()
    return b, a.grad


def in_place_on_view_of_plain_buffer(lib: Any) -> tuple:
    w = lib.tensor(DATA[0], requires_grad=True)
    buf = lib.zeros(2, 3, dtype=lib.float64)
    buf[1].add_(w * 3)
    buf.sum().backward()
    return buf, w.grad


def test_view_writes_route_gradients_closed_form() -> None:
    y, grad = scale_column(ember)
    expected = np.exp(DATA * np.array([1, 2, 1]))
    expected[:, 1] *= 2
    assert_close(grad, expected)
    assert type(y.grad_fn).__name__ == "CopySlices"
    _, grad = in_place_on_view_of_plain_buffer(ember)
    assert_close(grad, np.full(3, 3.0))


def test_view_of_leaf_cannot_be_modified() -> None:
    x = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation."):
        x[0].mul_(2)
    assert x.tolist() == [[1.0] * 3] * 2


@requires_torch
@pytest.mark.parametrize("case", [scale_column, write_row_from_other,
                                  in_place_on_view_of_plain_buffer])
def test_matches_torch(case: Any) -> None:
    ours, our_grad = case(ember)
    theirs, their_grad = case(torch)
    assert_close(ours, theirs)
    assert_close(our_grad, their_grad)
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
