"""Elementwise math of two tensors beyond the basics: maximum/minimum, fmax/fmin, atan2 and
the logical ops. The error function family lives in ``special.py``, clamping in ``clamp.py``.

Gradients at ties follow torch exactly: ``maximum``/``minimum`` split a tie evenly,
``fmax``/``fmin`` send it to whichever operand is not NaN. Masked gradients are zeros
(``where``), not ``grad * 0``, so a NaN arriving at a masked position does not leak through.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make, bump_version
from .._inplace import _check_cast, inplace_binary
from .._op import BinaryOp, broadcast_error, op
from ..samples import Sample, _values
from .where_division import Where, _out

__all__ = ["maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "logical_and", "logical_or",
           "logical_xor", "logical_not"]

NAN = float("nan")


def _masked(keep: np.ndarray, grad: Tensor) -> Tensor:
    return Where.apply(_make(keep), grad, 0.0)


# --- samples for the op table ---------------------------------------------------------------
def _logical_call(lib: Any, a: Any, b: Any) -> Any:
    # the logical ops are not differentiable; a few in one sample, in place forms included
    c = (a * 1).detach()
    c.logical_and_(b)
    c.logical_or_(a)
    c.logical_xor_(b)
    c.logical_not_()
    return (lib.logical_and(a, b) ^ a.logical_or(b) ^ lib.logical_xor(a, b)
            ^ a.logical_xor(b) ^ b.logical_and(a) ^ lib.logical_or(a, b) ^ lib.logical_not(a)
            ^ a.logical_not() ^ c.bool())


_LOGICAL = [Sample(_logical_call, (np.array([0.0, 1.0, 2.0, 0.0, NAN]),
                                   np.array([0.0, 0.0, 3.0, -1.0, 0.0])), "logical",
                   gradcheck=False)]


def minmax_samples(name: str) -> Any:
    def call(lib: Any, a: Any, b: Any) -> Any:
        return getattr(lib, name)(a, b)

    pairs = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3))]
    a_tie = np.array([0.0, 2.0, 1.0, NAN, NAN, -0.0, 3.0, 1.0])
    b_tie = np.array([0.0, 1.0, 2.0, 1.0, NAN, 0.0, NAN, 1.0])
    return lambda cls: [Sample(call, (_values(sa, "real", 2 * i), _values(sb, "real", 2 * i + 1)),
                               f"{sa}x{sb}") for i, (sa, sb) in enumerate(pairs)] + [
        Sample(call, (a_tie, b_tie), "ties-nan", gradcheck=False),
        Sample(lambda lib, a, b: getattr(a, name)(b), (a_tie[:3], b_tie[:3]), "method",
               gradcheck=False)] + (_LOGICAL if name == "fmax" else [])


# --- maximum, minimum, fmax, fmin -----------------------------------------------------------------
def _split(grad: Tensor, keep: np.ndarray, tie: np.ndarray) -> Tensor:
    """``grad`` where ``keep``, halved where also ``tie``, zero elsewhere."""
    if tie.any():
        grad = grad * _make(np.where(tie, 0.5, 1.0).astype(grad._data.dtype))
    return _masked(keep, grad)


@op("MaximumBackward0", samples=minmax_samples("maximum"))
class Maximum(BinaryOp):
    """NaN wins; a tie sends half the gradient to each side."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)

    formula = {"a": "grad * ((a > b) + (a == b) / 2)", "b": "grad * ((b > a) + (a == b) / 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = (t._data for t in ctx.saved_tensors)
        tie = a == b
        return (_split(grad, ~(a < b), tie) if ctx._next[0] else None,
                _split(grad, ~(a > b), tie) if ctx._next[1] else None)


@op("MinimumBackward0", samples=minmax_samples("minimum"))
class Minimum(BinaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b)

    formula = {"a": "grad * ((a < b) + (a == b) / 2)", "b": "grad * ((b < a) + (a == b) / 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = (t._data for t in ctx.saved_tensors)
        tie = a == b
        return (_split(grad, ~(a > b), tie) if ctx._next[0] else None,
                _split(grad, ~(a < b), tie) if ctx._next[1] else None)


@op("FmaxBackward0", samples=minmax_samples("fmax"))
class Fmax(BinaryOp):
    """NaN loses to a number; a tie (or two NaNs) sends the whole gradient to ``input``."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.fmax(a, b)

    formula = {"a": "grad * ((a >= b) | isnan(b))", "b": "grad * ~((a >= b) | isnan(b))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = (t._data for t in ctx.saved_tensors)
        first = (a >= b) | np.isnan(b)
        return (_masked(first, grad) if ctx._next[0] else None,
                _masked(~first, grad) if ctx._next[1] else None)


@op("FminBackward0", samples=minmax_samples("fmin"))
class Fmin(BinaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.fmin(a, b)

    formula = {"a": "grad * ((a <= b) | isnan(b))", "b": "grad * ~((a <= b) | isnan(b))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = (t._data for t in ctx.saved_tensors)
        first = (a <= b) | np.isnan(b)
        return (_masked(first, grad) if ctx._next[0] else None,
                _masked(~first, grad) if ctx._next[1] else None)


def _tensors_only(primitive: type, name: str) -> Any:
    def function(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        for position, (arg, value) in enumerate((("input", input), ("other", other)), 1):
            if not isinstance(value, Tensor):
                raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be "
                                f"Tensor, not {type(value).__name__}")
        return _out(primitive.apply(input, other), out)

    function.__name__ = function.__qualname__ = name
    return function


maximum = _tensors_only(Maximum, "maximum")
maximum.__doc__ = """Elementwise maximum of two tensors; NaN propagates.

    Args:
        input (Tensor): the first tensor.
        other (Tensor): the second tensor (broadcast against ``input``).
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.maximum(ember.tensor([1.0, 4.0]), ember.tensor([3.0, 2.0]))
        tensor([3., 4.])
    """
minimum = _tensors_only(Minimum, "minimum")
minimum.__doc__ = """Elementwise minimum of two tensors; NaN propagates. See ``maximum``."""
fmax = _tensors_only(Fmax, "fmax")
fmax.__doc__ = """Elementwise maximum that ignores NaN: NaN only where both are NaN."""
fmin = _tensors_only(Fmin, "fmin")
fmin.__doc__ = """Elementwise minimum that ignores NaN: NaN only where both are NaN."""


# --- atan2 ----------------------------------------------------------------------------------------
def _atan2_samples(cls: type) -> list:
    def call(lib: Any, a: Any, b: Any) -> Any:
        return lib.atan2(a, b)

    pairs = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3))]
    return [Sample(call, (_values(sa, "real", 2 * i), _values(sb, "real", 2 * i + 1)),
                   f"{sa}x{sb}") for i, (sa, sb) in enumerate(pairs)] + [
        Sample(lambda lib, a, b: (a * 1).atan2_(b), (_values((3,), "real", 8),
                                                     _values((3,), "real", 9)), "atan2_"),
        Sample(lambda lib, a, b: a.arctan2(b), (np.array([0.0, 0.0, 1.0, -1.0]),
                                                np.array([0.0, -0.0, 0.0, -2.0])), "origin",
               gradcheck=False)]


@op("Atan2Backward0", samples=_atan2_samples)
class Atan2(BinaryOp):
    save_inputs = True
    float_result = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.arctan2(a, b)

    formula = {"a": "grad * b / (a ** 2 + b ** 2)", "b": "-grad * a / (a ** 2 + b ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        # at the origin torch takes the gradient as 0 rather than 0/0
        scale = Where.apply(denom == 0, 0.0, grad / denom)
        return (scale * b if ctx._next[0] else None, scale * -a if ctx._next[1] else None)


atan2 = arctan2 = _tensors_only(Atan2, "atan2")
atan2.__doc__ = """The angle of the point ``(other, input)``: ``atan(input / other)`` in the
    right quadrant, elementwise.

    Args:
        input (Tensor): the y coordinates.
        other (Tensor): the x coordinates.

    Example::

        >>> ember.atan2(ember.tensor([1.0]), ember.tensor([-1.0]))
        tensor([2.3562])
    """


def _binary_inplace(fn: Any, name: str) -> Any:
    def method(self: Tensor, other: Tensor) -> Tensor:
        return inplace_binary(self, None, other, name, fn=fn)

    method.__name__ = name
    return method


Tensor.maximum, Tensor.minimum, Tensor.fmax, Tensor.fmin = (  # type: ignore[attr-defined]
    maximum, minimum, fmax, fmin)
Tensor.atan2 = Tensor.arctan2 = atan2  # type: ignore[attr-defined]
Tensor.atan2_ = Tensor.arctan2_ = _binary_inplace(atan2, "atan2_")  # type: ignore[attr-defined]


# --- logical ops: bool results outside the graph --------------------------------------------------
def _logical(ufunc: np.ufunc, name: str) -> Any:
    def logical(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        for position, (arg, value) in enumerate((("input", input), ("other", other)), 1):
            if not isinstance(value, Tensor):
                raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be "
                                f"Tensor, not {type(value).__name__}")
        try:
            result = ufunc(input._data, other._data)
        except ValueError as err:
            raise broadcast_error(input._data, other._data, err) from None
        return _out(_make(np.asarray(result)), out)

    def logical_(self: Tensor, other: Tensor) -> Tensor:
        return _write_logical(self, logical(self, other))

    logical.__name__ = logical.__qualname__ = name
    logical.__doc__ = (f"Elementwise ``{name[8:]}`` of the truth values of two tensors (nonzero "
                       "is True); a bool tensor, not differentiable.")
    setattr(Tensor, name, logical)
    setattr(Tensor, name + "_", logical_)
    return logical


def _write_logical(target: Tensor, result: Tensor) -> Tensor:
    # not differentiable: the values change, the tensor's place in the graph does not
    _check_cast(result._data, target)
    np.copyto(target._data, result._data, casting="unsafe")
    bump_version(target)
    return target


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Elementwise ``not``: True where ``input`` is zero; a bool tensor, not differentiable."""
    return _out(_make(np.logical_not(input._data)), out)


Tensor.logical_not = logical_not  # type: ignore[attr-defined]
Tensor.logical_not_ = lambda self: _write_logical(self, logical_not(self))  # type: ignore
