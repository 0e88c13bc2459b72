"""Elementwise selection and rounding division."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make
from ._op import Primitive, op
from .samples import where_samples

__all__ = ["where"]


@op("WhereBackward0", samples=where_samples())
class Where(Primitive):
    """``condition ? a : b``; the gradient goes to the branch that was selected, and a NaN in
    the other branch's incoming gradient stays where it is, exactly as in torch."""

    @staticmethod
    def forward(ctx: Any, condition: np.ndarray, a: Any, b: Any) -> np.ndarray:
        ctx.condition = condition
        ctx.shapes = (np.shape(a), np.shape(b))
        common = dt.result_type_np((a, b))
        return np.where(condition, np.asarray(a, dtype=common), np.asarray(b, dtype=common))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        from .reduction import sum_to_size

        cond = _make(ctx.condition)
        zero = 0.0
        grad_a = grad_b = None
        if ctx._next[1]:
            grad_a = sum_to_size(Where.apply(cond, grad, zero), ctx.shapes[0])
        if ctx._next[2]:
            grad_b = sum_to_size(Where.apply(cond, zero, grad), ctx.shapes[1])
        return None, grad_a, grad_b


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other``; with only ``condition``, the indices of
    its nonzero elements.

    Args:
        condition (Tensor): a bool tensor.
        input (Tensor or Number): values where ``condition`` holds.
        other (Tensor or Number): values elsewhere.
    """
    if input is None and other is None:
        return tuple(_make(i) for i in np.nonzero(condition._data))
    if condition._data.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition.dtype.name.capitalize()}")
    return Where.apply(condition, input, other)


def div_rounded(input: Any, other: Any, mode: str) -> Tensor:
    """Division rounded towards zero ('trunc') or down ('floor'); zero gradient, as torch."""
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    common = dt.result_type_np((a, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        if common.kind in "iu":
            if np.any(np.asarray(b) == 0):
                raise RuntimeError("ZeroDivisionError")
            q = np.floor_divide(a, b) if mode == "floor" else np.trunc(
                np.true_divide(a, b)).astype(common)
        else:
            q = np.true_divide(np.asarray(a, dtype=common), np.asarray(b, dtype=common))
            q = np.floor(q) if mode == "floor" else np.trunc(q)
    return _make(np.asarray(q, dtype=common))


Tensor.where = lambda self, condition, other: where(condition, self, other)  # type: ignore


@op("FillBackward0")
class Fill(Primitive):
    """The recorded form of ``x.fill_(value)``: no gradient to ``x``; a 0-d tensor value gets
    the sum of the gradient."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, value: Any) -> np.ndarray:
        return np.full_like(x, value)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_value = grad.sum() if ctx._next[1] else None
        return grad * 0, grad_value
