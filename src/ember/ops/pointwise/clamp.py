"""Clamping: clamp (clip), clamp_min and clamp_max, with Python-number or tensor bounds, and
their in-place forms.

Gradients at the bounds follow torch exactly: ``clamp`` passes the gradient to ``input`` at its
bounds. Masked gradients are zeros (``where``), not ``grad * 0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor
from .._op import Primitive, UnaryOp, broadcast_error, op
from ..samples import Sample, _values
from .binary import NAN, _masked
from .where_division import _out, inplace_many, type_error

__all__ = ["clamp", "clip", "clamp_min", "clamp_max"]


# --- samples for the op table ---------------------------------------------------------------
def scalar_clamp_samples(name: str = "clamp") -> Any:
    x = _values((2, 3), "real", 0)
    at_bounds = np.array([-0.5, 0.8, 0.0, 2.0, -2.0, NAN])
    if name != "clamp":
        bound = 0.2 if name == "clamp_min" else 0.1
        return lambda cls: [
            Sample(lambda lib, t: getattr(t, name)(bound), (x,), "2-D"),
            Sample(lambda lib, t: getattr(t, name)(0.0), (np.array([0.0, -1.0, 1.0, NAN]),),
                   "at-bound", gradcheck=False)]
    return lambda cls: [
        Sample(lambda lib, t: t.clamp(-0.5, 0.8), (x,), "both"),
        Sample(lambda lib, t: lib.clamp(t, min=0.2), (x,), "min"),
        Sample(lambda lib, t: t.clip(max=0.1), (_values((), "real", 1),), "max-0d"),
        Sample(lambda lib, t: t.clamp(1.0, -1.0), (x,), "min>max"),
        Sample(lambda lib, t: t.clamp(0.0, 1.0), (np.zeros((0, 2)),), "empty"),
        Sample(lambda lib, t: t.clamp(-0.5, 0.8), (at_bounds,), "at-bounds", gradcheck=False),
        Sample(lambda lib, t: (t * 1).clamp_(-0.5, 0.8), (x,), "clamp_"),
        Sample(lambda lib, t: (t * 1).clip_(max=0.1), (x,), "clip_"),
        Sample(lambda lib, t: (t * 1).clamp_min_(0.2), (x,), "clamp_min_"),
        Sample(lambda lib, t: (t * 1).clamp_max_(0.1), (x,), "clamp_max_")]


def clamp_samples(name: str = "clamp") -> Any:
    x, lo, hi = _values((2, 3), "real", 0), _values((3,), "real", 1), _values((2, 1), "real", 2)
    x_tie = np.array([0.0, 1.0, 2.0, 0.5, NAN, -1.0, 3.0, 0.0, 2.0, 0.0, 0.0])
    lo_tie = np.array([0.0, 0.0, 0.0, 1.0, 0.0, NAN, 3.0, 1.0, 1.0, NAN, 0.0])
    hi_tie = np.array([1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, NAN])
    if name != "clamp":
        bound = lo if name == "clamp_min" else hi
        tie = lo_tie if name == "clamp_min" else hi_tie
        return lambda cls: [
            Sample(lambda lib, t, b: getattr(t, name)(b), (x, bound), "broadcast"),
            Sample(lambda lib, t, b: getattr(t, name)(b), (x_tie, tie), "ties", gradcheck=False)]
    return lambda cls: [
        Sample(lambda lib, t, a, b: lib.clamp(t, a, b), (x, lo, hi), "both"),
        Sample(lambda lib, t, a: t.clamp(min=a), (x, lo), "min"),
        Sample(lambda lib, t, b: t.clamp(max=b), (x, hi), "max"),
        Sample(lambda lib, t, a: t.clamp(a, a - 1), (x, lo), "min>max"),
        Sample(lambda lib, t, a, b: t.clamp(a, b), (x_tie, lo_tie, hi_tie), "ties",
               gradcheck=False)]


# --- clamp ----------------------------------------------------------------------------------------
def _bound_dtype(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """``x`` cast to torch's result type with Python-number bounds (int tensor, float bound:
    default float; bool tensor, int bound: int64)."""
    if x.dtype.kind in "fV":  # the common case: Python-number bounds never promote a float
        return x
    common = dt.result_type_np((x, lo, hi))
    return x if common == x.dtype else x.astype(common)


@op("ClampBackward1", samples=scalar_clamp_samples())
class Clamp(UnaryOp):
    """``clamp`` with Python-number bounds; ``input`` at a bound keeps its gradient."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, min: Any, max: Any) -> np.ndarray:  # noqa: A002
        ctx.bounds = (min, max)
        x = _bound_dtype(x, min, max)
        if min is not None:
            x = np.maximum(x, min)  # NaN bounds propagate, as torch
        if max is not None:
            x = np.minimum(x, max)
        return x

    formula = {"x": "grad * ((x >= min) & (x <= max))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        x = x._data
        if lo is None:
            keep = x <= hi
        elif hi is None:
            keep = x >= lo
        else:
            keep = (x >= lo) & (x <= hi)
        return _masked(keep, grad)


@op("ClampMinBackward0", samples=scalar_clamp_samples("clamp_min"))
class ClampMin(Clamp):
    formula = {"x": "grad * (x >= min)"}
    pass


@op("ClampMaxBackward0", samples=scalar_clamp_samples("clamp_max"))
class ClampMax(Clamp):
    formula = {"x": "grad * (x <= max)"}
    pass


def _tensor_forward(ctx: Any, x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    arrays = [a for a in (x, lo, hi) if a is not None]
    if all(a.dtype == np.bool_ for a in arrays):
        raise NotImplementedError("\"clamp_cpu\" not implemented for 'Bool'")
    ctx.input_meta = tuple((a.shape, a.dtype) if a is not None else None for a in (x, lo, hi))
    common = dt.result_type_np(tuple(arrays))
    out = x.astype(common, copy=False)
    try:
        if lo is not None:
            out = np.maximum(out, lo.astype(common, copy=False))
        if hi is not None:
            out = np.minimum(out, hi.astype(common, copy=False))
    except ValueError as err:
        raise broadcast_error(x, lo if lo is not None else hi, err) from None
    return out


def _tensor_backward(ctx: Any, grad: Tensor) -> tuple:
    x, lo, hi = (t._data if isinstance(t, Tensor) else None for t in ctx.saved_tensors)
    needs = ctx._next
    grads: list = [None, None, None]
    if lo is not None and hi is not None:
        if needs[0]:
            grads[0] = _masked((x >= lo) & (x <= hi), grad)
        if needs[1]:
            grads[1] = _masked((x < lo) & (lo < hi), grad)
        if needs[2]:
            grads[2] = _masked((x > hi) | (hi < lo), grad)
    elif lo is not None:
        if needs[0]:
            grads[0] = _masked(x >= lo, grad)
        if needs[1]:
            grads[1] = _masked(x < lo, grad)
    else:
        if needs[0]:
            grads[0] = _masked(x <= hi, grad)
        if needs[2]:
            grads[2] = _masked(x > hi, grad)
    return tuple(grads)


@op("ClampBackward0", samples=clamp_samples())
class ClampTensor(Primitive):
    """``clamp`` with tensor bounds: where ``min > max`` the result is ``max``, and so is the
    gradient."""
    formula = {
        "x": "grad * ((x >= lo) & (x <= hi))",
        "lo": "grad * ((x < lo) & (lo < hi))",
        "hi": "grad * ((x > hi) | (hi < lo))",
    }

    save_inputs = True
    elementwise = True
    forward = staticmethod(_tensor_forward)
    backward = staticmethod(_tensor_backward)


@op("ClampMinBackward1", samples=clamp_samples("clamp_min"))
class ClampMinTensor(ClampTensor):
    formula = {"x": "grad * (x >= lo)", "lo": "grad * (x < lo)"}
    pass


@op("ClampMaxBackward1", samples=clamp_samples("clamp_max"))
class ClampMaxTensor(ClampTensor):
    formula = {"x": "grad * (x <= hi)", "hi": "grad * (x > hi)"}
    pass


def _clamp(input: Tensor, min: Any, max: Any, scalar: type, tensor: type,  # noqa: A002
           name: str) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("ember.clamp: At least one of 'min' or 'max' must not be None")
    lo_tensor, hi_tensor = isinstance(min, Tensor), isinstance(max, Tensor)
    if lo_tensor or hi_tensor:
        if (min is not None and not lo_tensor) or (max is not None and not hi_tensor):
            # torch's parser reads a 0-d tensor beside a number as a number
            if any(isinstance(b, Tensor) and b._data.ndim for b in (min, max)):
                raise type_error(name, (min, max), "(Tensor min = None, Tensor max = None)")
            min, max = (b.item() if isinstance(b, Tensor) else b for b in (min, max))  # noqa: A001
            return scalar.apply(input, min=min, max=max)
        return tensor.apply(input, min, max)
    for bound in (min, max):
        if bound is not None and not isinstance(bound, (int, float)):
            raise type_error(name, (min, max), "(Number min = None, Number max = None)")
    return scalar.apply(input, min=min, max=max)


def clamp(input: Tensor, min: Any = None, max: Any = None, *,  # noqa: A002
          out: Tensor | None = None) -> Tensor:
    """Clamps every element of ``input`` into ``[min, max]``: ``min(max(x, min), max)``.

    Args:
        input (Tensor): the input tensor.
        min (Number or Tensor, optional): the lower bound.
        max (Number or Tensor, optional): the upper bound. Where ``min > max`` the result is
            ``max``.
        out (Tensor, optional): the output tensor.

    Returns:
        Tensor: ``input`` clamped, in the promoted dtype of ``input`` and the bounds.

    Example::

        >>> ember.clamp(ember.tensor([-1.0, 0.5, 2.0]), 0, 1)
        tensor([0.0000, 0.5000, 1.0000])
    """
    return _out(_clamp(input, min, max, Clamp, ClampTensor, "clamp"), out)


def clamp_min(input: Tensor, min: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``, recorded as torch's ``clamp_min``."""
    if min is None:
        raise type_error("clamp_min", (None,), "(Tensor min)")
    return _out(_clamp(input, min, None, ClampMin, ClampMinTensor, "clamp_min"), out)


def clamp_max(input: Tensor, max: Any, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``, recorded as torch's ``clamp_max``."""
    if max is None:
        raise type_error("clamp_max", (None,), "(Tensor max)")
    return _out(_clamp(input, None, max, ClampMax, ClampMaxTensor, "clamp_max"), out)


clip = clamp


def _clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    return inplace_many(self, lambda t: clamp(t, min, max), (min, max))


def _clamp_min_(self: Tensor, min: Any) -> Tensor:  # noqa: A002
    return inplace_many(self, lambda t: clamp_min(t, min), (min,))


def _clamp_max_(self: Tensor, max: Any) -> Tensor:  # noqa: A002
    return inplace_many(self, lambda t: clamp_max(t, max), (max,))


Tensor.clamp = Tensor.clip = clamp  # type: ignore[attr-defined]
Tensor.clamp_ = Tensor.clip_ = _clamp_  # type: ignore[attr-defined]
Tensor.clamp_min, Tensor.clamp_max = clamp_min, clamp_max  # type: ignore[attr-defined]
Tensor.clamp_min_, Tensor.clamp_max_ = _clamp_min_, _clamp_max_  # type: ignore[attr-defined]
