"""Elementwise selection (where), rounding division and remainders, and the helpers the other
elementwise families share. Rounding lives in ``rounding.py``, lerp and the fused
multiply-adds in ``multiply_add.py``.

``floor_divide`` and ``scalar % tensor`` record torch's ``NotImplemented`` node, whose backward
raises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make, bump_version
from ...autograd import grad_mode
from .._inplace import _check_cast, _stand_in, check_inplace, inplace_binary, write_result
from .._op import BinaryOp, Primitive, broadcast_error, op
from ..samples import Sample, _values, unary_samples, where_samples
from . import kernels
from .unary import zeros_of

__all__ = ["where", "floor_divide", "remainder", "fmod"]

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


def _kind(x: np.ndarray) -> str:
    from .arithmetic import _kind_name

    return _kind_name(dt._BY_NUMPY[x.dtype])


def _not_implemented(kernel: str, x: np.ndarray) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_kind(x)}'")


def type_error(name: str, args: tuple, signature: str) -> TypeError:
    """torch's message for arguments no overload of ``name`` accepts."""
    got = ", ".join(type(a).__name__ for a in args)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n * {signature}")


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    from .arithmetic import _out as write_out

    return write_out(result, out)


def inplace_many(target: Tensor, compute: Any, others: tuple) -> Tensor:
    """``target = compute(target)`` in place, for ops whose other operands (``others``) may
    require grad too (``lerp_``, ``addcmul_``, ``clamp_`` with tensor bounds)."""
    recording = grad_mode.state.enabled and (target._requires_grad or any(
        isinstance(o, Tensor) and o._requires_grad for o in others))
    if not recording:
        result = compute(target)
        _check_cast(result._data, target)
        np.copyto(target._data, result._data, casting="unsafe")
        bump_version(target)
        return target
    check_inplace(target)
    return write_result(target, compute(_stand_in(target, copy=True)))


def _meta(arrays: tuple) -> tuple:
    return tuple((a.shape, a.dtype) if isinstance(a, np.ndarray) else None for a in arrays)


# --- where ----------------------------------------------------------------------------------------
@op("WhereBackward0", samples=lambda cls: where_samples()(cls) + [
    Sample(lambda lib, c, a, b: a.where(c, b),
           (np.array([True, False, True]), _values((3,), "real", 3), _values((3,), "real", 4)),
           "method")])
class Where(Primitive):
    """``condition ? a : b``; the gradient goes to the branch that was selected, and a NaN in
    the other branch's incoming gradient stays where it is, exactly as in torch."""

    @staticmethod
    def forward(ctx: Any, condition: np.ndarray, a: Any, b: Any) -> np.ndarray:
        ctx.condition = condition
        ctx.shapes = (np.shape(a), np.shape(b))
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype:
            return np.where(condition, a, b)
        common = dt.result_type_np((a, b))
        return np.where(condition, np.asarray(a, dtype=common), np.asarray(b, dtype=common))

    formula = {"a": "where(condition, grad, 0)", "b": "where(condition, 0, grad)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        from ..reduction.sum_mean import sum_to_size

        cond = _make(ctx.condition)
        zero = 0.0
        grad_a = grad_b = None
        if ctx._next[1]:
            grad_a = sum_to_size(Where.apply(cond, grad, zero), ctx.shapes[0])
        if ctx._next[2]:
            grad_b = sum_to_size(Where.apply(cond, zero, grad), ctx.shapes[1])
        return None, grad_a, grad_b

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        # linear in the two branches; the condition carries no tangent
        _, ta, tb = tangents
        return Where.apply(_make(ctx.condition), 0.0 if ta is None else ta,
                           0.0 if tb is None else tb)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other``; with only ``condition``, the indices of
    its nonzero elements.

    Args:
        condition (Tensor): a bool tensor.
        input (Tensor or Number): values where ``condition`` holds.
        other (Tensor or Number): values elsewhere.

    Example::

        >>> ember.where(ember.tensor([True, False]), ember.tensor([1.0, 2.0]), 0.0)
        tensor([1., 0.])
    """
    if input is None and other is None:
        return tuple(_make(i) for i in np.nonzero(condition._data))
    if condition._data.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition.dtype.name.capitalize()}")
    return Where.apply(condition, input, other)


Tensor.where = lambda self, condition, other: where(condition, self, other)  # type: ignore


@op("FillBackward0")
class Fill(Primitive):
    """The recorded form of ``x.fill_(value)``: no gradient to ``x``; a 0-d tensor value gets
    the sum of the gradient."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, value: Any) -> np.ndarray:
        return np.full_like(x, value)

    formula = {"x": "0 * grad", "value": "grad.sum()"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_value = grad.sum() if ctx._next[1] else None
        return zeros_of(grad), grad_value

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        tangent = tangents[1]
        if tangent is None:
            return zeros_of(output)
        return Fill.apply(output, tangent)


# --- rounding division and remainders -------------------------------------------------------------
def _promote(a: Any, b: Any) -> tuple:
    common = dt.result_type_np((a, b))
    return np.asarray(a, dtype=common), np.asarray(b, dtype=common)


def _divide(a: np.ndarray, b: np.ndarray, mode: str) -> np.ndarray:
    """Division rounded towards zero ('trunc') or down ('floor'), on promoted operands."""
    if a.dtype.kind in "iu":
        if not b.all():
            raise RuntimeError("ZeroDivisionError")
        q = np.floor_divide(a, b)
        if mode == "trunc":  # floor is one below trunc where the exact quotient is negative
            q = q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
        return q
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "trunc":
            return np.trunc(a / b)
        if a.dtype == np.float32:
            return kernels.floor_divide_float32(a, b)
        return np.floor_divide(a, b)


def _check_division(a: np.ndarray, kernel: str) -> None:
    if a.dtype == np.bool_:
        raise _not_implemented(kernel, a)


@op("DivBackward2", samples=lambda cls: [
    Sample(lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
           (_values((2, 3), "real", 0), _values((3,), "nonzero", 1)), "floor"),
    Sample(lambda lib, a: a.div(0.7, rounding_mode="trunc"), (_values((4,), "real", 2),),
           "trunc-scalar"),
    Sample(lambda lib, a, b: lib.floor_divide(a, b) + a.floor_divide(b) + (a * 1).floor_divide_(b)
           + (a * 1).remainder_(b) + (a * 1).fmod_(b), (np.array([7, -7, 6, -5]),
                                                       np.array([2, 2, -4, -3])), "integers")])
class DivRounded(Primitive):
    """``div(rounding_mode='trunc' | 'floor')``: piecewise constant, so zero gradients."""

    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, mode: str) -> np.ndarray:
        a, b = _promote(a, b)
        _check_division(a, f"div_{mode}_cpu")
        ctx.input_meta = _meta((a, b))
        try:
            return _divide(a, b, mode)
        except ValueError as err:
            raise broadcast_error(a, b, err) from None

    formula = {"a": "0 * grad", "b": "0 * grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return tuple(zeros_of(grad) if needed else None for needed in ctx._next)


def div_rounded(input: Any, other: Any, mode: str) -> Tensor:
    """Division rounded towards zero ('trunc') or down ('floor'); zero gradient, as torch."""
    return DivRounded.apply(input, other, mode=mode)


class NotImplementedBackward(Primitive):
    """torch's node for ops without a derivative (``floor_divide``): backward raises."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, kernel: Any, aten: str) -> np.ndarray:
        ctx.aten = aten
        return kernel(a, b)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        raise RuntimeError(f"derivative for aten::{ctx.aten} is not implemented")


NotImplementedBackward.__name__ = NotImplementedBackward.__qualname__ = (
    "torch::autograd::NotImplemented")


def _floor_divide_kernel(a: Any, b: Any) -> np.ndarray:
    a, b = _promote(a, b)
    _check_division(a, "div_floor_cpu")
    try:
        return _divide(a, b, "floor")
    except ValueError as err:
        raise broadcast_error(a, b, err) from None


def _remainder_kernel(a: Any, b: Any) -> np.ndarray:
    """On operands promoted to one dtype (``b`` may be a Python number of its kind)."""
    a, b = np.asarray(a), np.asarray(b, dtype=np.result_type(a))
    _check_division(a, "remainder_cpu")
    if a.dtype.kind in "iu":
        if not b.all():
            raise RuntimeError("ZeroDivisionError")
        return np.remainder(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = _fmod(a, b)
        # the divisor's sign; an exact zero keeps fmod's (the dividend's), as torch
        move = (b < 0) != (m < 0)
        move &= m != 0
        if not np.isfinite(b).all():  # an infinite divisor times False is nan, not 0
            return np.where(move, m + b, m)
        result = np.add(m, np.multiply(b, move, dtype=m.dtype))
        zero = m == 0
        if zero.any():  # x + 0 would turn fmod's -0.0 into +0.0
            result = np.where(zero, m, result)  # not result[zero] =: a 0-d result is a scalar
        return result


def _promoted_remainder(a: Any, b: Any) -> np.ndarray:
    return _remainder_kernel(*_promote(a, b))


def _fmod_kernel(a: Any, b: Any) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b, dtype=np.result_type(a))
    _check_division(a, "fmod_cpu")
    if a.dtype.kind in "iu" and not b.all():
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _fmod(a, b)


def _fmod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype == np.float32:  # NumPy's float32 fmod is a scalar loop
        return kernels.fmod_float32(a, b)
    return np.fmod(a, b)


def _binary_samples(call: Any, positive_rhs: bool = True) -> Any:
    rhs = "positive" if positive_rhs else "real"
    return lambda cls: [
        Sample(call, (_values((2, 3), "real", 0) * 3, _values((2, 3), rhs, 1)), "2-D"),
        Sample(call, (_values((2, 3), "real", 2) * 3, -_values((3,), rhs, 3)), "broadcast"),
        Sample(call, (np.asarray(_values((), "real", 4) * 3), _values((), rhs, 5)), "0-d")]


@op("RemainderBackward1", samples=_binary_samples(lambda lib, a, b: lib.remainder(a, b)))
class Remainder(BinaryOp):
    """Python's ``%``: the result takes the divisor's sign."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: Any) -> np.ndarray:
        return _remainder_kernel(a, b)

    formula = {"a": "grad", "b": "-grad * floor(a / b)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        grad_b = -grad * DivRounded.apply(a, b, mode="floor") if ctx._next[1] else None
        return grad, grad_b


@op("RemainderBackward0", samples=unary_samples(call=lambda lib, x: x % 0.7))
class RemainderScalar(Remainder):
    formula = {"a": "grad"}
    pass


@op("FmodBackward1", samples=_binary_samples(lambda lib, a, b: lib.fmod(a, b)))
class Fmod(BinaryOp):
    """C's ``fmod``: the result takes the dividend's sign."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: Any) -> np.ndarray:
        return _fmod_kernel(a, b)

    formula = {"a": "grad", "b": "-grad * trunc(a / b)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        grad_b = -grad * DivRounded.apply(a, b, mode="trunc") if ctx._next[1] else None
        return grad, grad_b


@op("FmodBackward0", samples=unary_samples(call=lambda lib, x: x.fmod(0.7)))
class FmodScalar(Fmod):
    formula = {"a": "grad"}
    pass


def floor_divide(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input // other``: the quotient rounded down. Not differentiable (its node raises in
    backward, as torch's does).

    Args:
        input (Tensor or Number): the dividend.
        other (Tensor or Number): the divisor.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.floor_divide(ember.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    result = NotImplementedBackward.apply(input, other, kernel=_floor_divide_kernel,
                                          aten="floor_divide")
    return _out(result, out)


def remainder(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input % other`` as Python computes it: the result has the sign of ``other``.

    Args:
        input (Tensor or Number): the dividend.
        other (Tensor or Number): the divisor.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.remainder(ember.tensor([-3.0, 3.0]), 2)
        tensor([1., 1.])
    """
    if isinstance(other, Tensor):
        if isinstance(input, Tensor):
            return _out(Remainder.apply(input, other), out)
        return _out(NotImplementedBackward.apply(input, other, kernel=_promoted_remainder,
                                                 aten="remainder"), out)
    return _out(RemainderScalar.apply(input, other), out)


def fmod(input: Tensor, other: Any, *, out: Tensor | None = None) -> Tensor:
    """C's ``fmod``: the remainder of ``input / other`` with the sign of ``input``.

    Args:
        input (Tensor): the dividend.
        other (Tensor or Number): the divisor.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.fmod(ember.tensor([-3.0, 3.0]), 2)
        tensor([-1.,  1.])
    """
    if not isinstance(input, Tensor):
        raise type_error("fmod", (input, other), "(Tensor input, Tensor other, *, Tensor out "
                         "= None)\n * (Tensor input, Number other, *, Tensor out = None)")
    if isinstance(other, Tensor):
        return _out(Fmod.apply(input, other), out)
    return _out(FmodScalar.apply(input, other), out)


def _inplace_binary(fn: Any, name: str) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return inplace_binary(self, None, other, name, fn=fn)

    method.__name__ = name
    return method


Tensor.floor_divide = Tensor.__floordiv__ = floor_divide  # type: ignore[attr-defined]
Tensor.__rfloordiv__ = lambda self, other: floor_divide(other, self)  # type: ignore
Tensor.floor_divide_ = Tensor.__ifloordiv__ = _inplace_binary(  # type: ignore[attr-defined]
    floor_divide, "floor_divide_")
Tensor.remainder = Tensor.__mod__ = remainder  # type: ignore[attr-defined]
Tensor.__rmod__ = lambda self, other: remainder(other, self)  # type: ignore[attr-defined]
Tensor.remainder_ = Tensor.__imod__ = _inplace_binary(  # type: ignore[attr-defined]
    remainder, "remainder_")
Tensor.fmod = fmod  # type: ignore[attr-defined]
Tensor.fmod_ = _inplace_binary(fmod, "fmod_")  # type: ignore[attr-defined]
