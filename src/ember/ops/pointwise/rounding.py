"""Rounding: floor, ceil, trunc (fix), round (to decimals too) and frac, each with its in-place
form. Piecewise constant, so their gradients are zero."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from .._inplace import inplace_unary
from .._op import UnaryOp, op
from ..samples import Sample, _values, unary_samples
from .unary import zeros_of
from .where_division import _not_implemented, _out

__all__ = ["floor", "ceil", "round", "trunc", "fix", "frac"]


# --- rounding -------------------------------------------------------------------------------------
_ROUNDING_EDGES = (0.5, -0.5, 2.5, -0.0, 1.0)


class _Rounding(UnaryOp):
    """Piecewise constant: integers pass through unchanged, bool is rejected, and the gradient
    is zero."""

    elementwise = True
    kernel: Any = None
    vml: str = ""

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return zeros_of(grad)


def _rounding_forward(ufunc: np.ufunc, vml: str) -> Any:
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iu":
            return x.copy()
        if x.dtype == np.bool_:
            raise _not_implemented(vml, x)
        return ufunc(x)

    return staticmethod(forward)


@op("FloorBackward0", methods=("floor",), functions=("floor",),
    samples=unary_samples(edge=_ROUNDING_EDGES))
class Floor(_Rounding):
    formula = {"x": "0 * grad"}
    forward = _rounding_forward(np.floor, "floor_vml_cpu")


@op("CeilBackward0", methods=("ceil",), functions=("ceil",),
    samples=unary_samples(edge=_ROUNDING_EDGES))
class Ceil(_Rounding):
    formula = {"x": "0 * grad"}
    forward = _rounding_forward(np.ceil, "ceil_vml_cpu")


@op("TruncBackward0", methods=("trunc", "fix"), functions=("trunc", "fix"),
    samples=unary_samples(edge=_ROUNDING_EDGES))
class Trunc(_Rounding):
    formula = {"x": "0 * grad"}
    forward = _rounding_forward(np.trunc, "trunc_vml_cpu")


@op("RoundBackward0", samples=unary_samples(edge=_ROUNDING_EDGES,
                                            call=lambda lib, x: x.round()))
class Round(_Rounding):
    """Rounds half to even, as torch (and NumPy) do."""
    formula = {"x": "0 * grad"}

    forward = _rounding_forward(np.rint, "round_vml_cpu")


@op("RoundBackward1", samples=lambda cls: [
    Sample(lambda lib, x: x.round(decimals=2), (_values((2, 3), "real", 0),), "2"),
    Sample(lambda lib, x: lib.round(x * 100, decimals=-1), (_values((4,), "real", 1),), "-1"),
    Sample(lambda lib, x: x.round(decimals=1), (np.array([0.25, 0.35, -1.25]),), "ties",
           gradcheck=False),
    Sample(lambda lib, x: (x * 1).round_(decimals=1) + (x * 1).floor_(), (np.array([0.26, -1.7]),),
           "in-place", gradcheck=False)])
class RoundDecimals(_Rounding):
    formula = {"x": "0 * grad"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, decimals: int) -> np.ndarray:
        if x.dtype.kind not in "fcV":  # even integers: torch has no integer kernel for this
            raise _not_implemented("round_vml_cpu" if decimals == 0 else "round_cpu", x)
        if decimals == 0:
            return np.rint(x)
        # scaled in the tensor's own dtype, as torch does (2.675 rounds to 2.68 in float32)
        if decimals >= 0:
            scale = x.dtype.type(10.0 ** decimals)
            return np.rint(x * scale) / scale
        scale = x.dtype.type(10.0 ** -decimals)
        return np.rint(x / scale) * scale


def round(input: Tensor, *, decimals: int | None = None,  # noqa: A001 - torch's name
          out: Tensor | None = None) -> Tensor:
    """Rounds to the nearest integer (halves to even), or to ``decimals`` decimal places.

    Args:
        input (Tensor): the input tensor.
        decimals (int, optional): how many decimal places (negative: left of the point). Given
            at all (even 0), torch records a different node (RoundBackward1); so do we.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.round(ember.tensor([0.5, 1.5, 1.26]), decimals=1)
        tensor([0.5000, 1.5000, 1.3000])
    """
    if decimals is None:
        return _out(Round.apply(input), out)
    return _out(RoundDecimals.apply(input, decimals=decimals), out)


@op("FracBackward0", methods=("frac",), functions=("frac",),
    samples=unary_samples(edge=_ROUNDING_EDGES))
class Frac(UnaryOp):
    """``x - trunc(x)``; its gradient is the identity (frac itself is not linear)."""

    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind not in "fcV":
            raise _not_implemented("frac_cpu", x)
        with np.errstate(invalid="ignore"):
            return x - np.trunc(x)

    formula = {"x": "grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


floor, ceil, trunc, fix, frac = Floor.apply, Ceil.apply, Trunc.apply, Trunc.apply, Frac.apply
Tensor.round = lambda self, decimals=None: round(self, decimals=decimals)  # type: ignore
for _name in ("floor", "ceil", "trunc", "fix", "frac", "round"):
    setattr(Tensor, _name + "_", lambda self, _n=_name, **kw: inplace_unary(
        self, lambda t: getattr(t, _n)(**kw)))
