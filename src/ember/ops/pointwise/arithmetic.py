"""Arithmetic: + - * / ** and their reflected and in-place forms, negation, comparisons.

torch picks node names by overload, so Python's operators map onto several primitives:
``2 - x`` is RsubBackward1, ``x ** 2`` PowBackward0, ``x ** y`` PowBackward1, ``2 ** x``
PowBackward2, and ``2 / x`` is ``reciprocal(x) * 2`` (MulBackward0 over ReciprocalBackward0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make, bump_version
from .._inplace import inplace_binary
from .._op import BinaryOp, UnaryOp, broadcast_error, composite, op, scalar_result
from ..samples import binary_samples, pow_samples, unary_samples

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "pow", "reciprocal", "neg", "negative", "eq", "ne", "lt", "le", "gt", "ge",
           "greater", "less", "greater_equal", "less_equal", "not_equal", "equal",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"]


@op("AddBackward0", methods=("__add__", "__radd__"), samples=binary_samples())
class Add(BinaryOp):
    linear = True
    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    formula = {"a": "grad", "b": "grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return grad, grad


@op("SubBackward0", methods=("__sub__",), samples=binary_samples())
class Sub(BinaryOp):
    linear = True
    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    formula = {"a": "grad", "b": "-grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return grad, (-grad if ctx._next[1] is not None else None)


@op("RsubBackward1", samples=unary_samples(call=lambda lib, x: 3.0 - x))
class Rsub(UnaryOp):
    """``scalar - x``: torch records the scalar as a parameter, not an input."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, other: Any) -> np.ndarray:
        return other - x

    formula = {"x": "-grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return -grad

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        return -tangents[0]

    @staticmethod
    def call(x: Tensor, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return Sub.apply(other, x)
        result = scalar_result(x._data.dtype, other)
        if result != x._data.dtype:
            x = x.to(dt._BY_NUMPY[result])
        return Rsub.apply(x, other=other)


Tensor.__rsub__ = Rsub.call  # type: ignore[attr-defined]


@op("MulBackward0", methods=("__mul__", "__rmul__"), samples=binary_samples())
class Mul(BinaryOp):
    elementwise = True
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    formula = {"a": "grad * b", "b": "grad * a"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        a_needed, b_needed = ctx._next
        return (grad * b if a_needed else None), (grad * a if b_needed else None)


@op("DivBackward0", methods=("__truediv__",), samples=binary_samples(positive_rhs=True))
class Div(BinaryOp):
    elementwise = True
    save_inputs = True
    float_result = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b

    formula = {"a": "grad / b", "b": "-grad * a / b ** 2"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        grad_a = grad / b if ctx._next[0] else None
        grad_b = -grad * a / (b * b) if ctx._next[1] else None
        return grad_a, grad_b


@op("ReciprocalBackward0", methods=("reciprocal",), functions=("reciprocal",),
    samples=unary_samples(domain="nonzero"))
class Reciprocal(UnaryOp):
    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind not in "fcV":
            x = x.astype(dt.get_default_dtype().np)
        with np.errstate(divide="ignore"):
            return 1 / x

    formula = {"x": "-grad * result ** 2"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return -grad * out * out


reciprocal = Reciprocal.apply


def _rtruediv(self: Tensor, other: Any) -> Tensor:
    if isinstance(other, Tensor):
        return Div.apply(other, self)
    return Reciprocal.apply(self) * other


Tensor.__rtruediv__ = _rtruediv  # type: ignore[attr-defined]


@op("NegBackward0", methods=("__neg__", "neg", "negative"), functions=("neg", "negative"),
    samples=unary_samples())
class Neg(UnaryOp):
    linear = True
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return -x

    formula = {"x": "-grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return -grad


neg = negative = Neg.apply


def _pos(self: Tensor) -> Tensor:
    return self


Tensor.__pos__ = _pos  # type: ignore[attr-defined]


@op("PowBackward0", samples=pow_samples())
class Pow(UnaryOp):
    """``x ** exponent`` for a Python number exponent."""

    elementwise = True
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, exponent: Any) -> np.ndarray:
        ctx.exponent = exponent
        if x.dtype.kind in "iub" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with np.errstate(divide="ignore", invalid="ignore"):
            return x ** exponent

    formula = {"x": "grad * exponent * x ** (exponent - 1)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        exponent = ctx.exponent
        if exponent == 0:  # d/dx x**0 = 0 everywhere, 0 included (x**-1 would give nan)
            return grad * 0
        if exponent == 2:
            return grad * 2 * x
        return grad * exponent * x ** (exponent - 1)


@op("PowBackward1", samples=binary_samples(positive_lhs=True, call=lambda lib, a, b: a ** b))
class PowTensor(BinaryOp):
    """``x ** y`` for two tensors."""

    elementwise = True
    save_inputs = True
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype.kind in "iub" and (np.asarray(b) < 0).any():
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with np.errstate(divide="ignore", invalid="ignore"):
            return a ** b

    formula = {"a": "grad * b * a ** (b - 1)", "b": "grad * result * log(a)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b, out = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx._next[0]:
            grad_a = grad * b * a ** (b - 1)
        if ctx._next[1]:
            from .where_division import where

            # torch defines d/db 0**b = 0 for b >= 0 rather than 0 * log(0) = nan
            grad_b = where((a == 0) & (b >= 0), 0.0, grad * out * a.log())
        return grad_a, grad_b


@op("PowBackward2", samples=unary_samples(call=lambda lib, x: 2.0 ** x))
class RPow(UnaryOp):
    """``base ** x`` for a Python number base."""

    elementwise = True
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, base: Any) -> np.ndarray:
        ctx.base = base
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(np.asarray(base, dtype=x.dtype), x)

    formula = {"x": "grad * result * log(base)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        base = ctx.base
        if base == 0:
            from .where_division import where

            return where(out == 0, 0.0, grad * out * float("-inf"))
        return grad * out * float(np.log(base))


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    """Raises ``input`` to ``exponent``, elementwise; either may be a Python number.

    Args:
        input (Tensor or Number): the base.
        exponent (Tensor or Number): the exponent.
    """
    if isinstance(exponent, Tensor):
        if isinstance(input, Tensor):
            return PowTensor.apply(input, exponent)
        result = scalar_result(exponent._data.dtype, input)
        if result != exponent._data.dtype:
            exponent = exponent.to(dt._BY_NUMPY[result])
        return RPow.apply(exponent, base=input)
    result = scalar_result(input._data.dtype, exponent)
    if result != input._data.dtype:
        input = input.to(dt._BY_NUMPY[result])
    return Pow.apply(input, exponent=exponent)


Tensor.__pow__ = pow  # type: ignore[attr-defined]
Tensor.pow = pow  # type: ignore[attr-defined]
Tensor.__rpow__ = lambda self, other: pow(other, self)  # type: ignore[attr-defined]


def add(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input + alpha * other``.

    Args:
        input (Tensor or Number): the first operand.
        other (Tensor or Number): the second operand.
        alpha (Number): the multiplier for ``other``.
        out (Tensor, optional): the output tensor.
    """
    result = Add.apply(input, other if alpha == 1 else other * alpha)
    return _out(result, out)


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Tensor | None = None) -> Tensor:
    """``input - alpha * other``."""
    if isinstance(input, Tensor):
        result = Sub.apply(input, other if alpha == 1 else other * alpha)
    else:
        result = Rsub.call(other if alpha == 1 else other * alpha, input)
    return _out(result, out)


def mul(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
    """``input * other``, elementwise with broadcasting."""
    return _out(Mul.apply(input, other), out)


def div(input: Any, other: Any, *, rounding_mode: str | None = None,
        out: Tensor | None = None) -> Tensor:
    """``input / other``; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient."""
    if rounding_mode is None:
        result = Div.apply(input, other) if isinstance(input, Tensor) else _rtruediv(other, input)
    elif rounding_mode in ("trunc", "floor"):
        from .where_division import div_rounded

        result = div_rounded(input, other, rounding_mode)
    else:
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"'{rounding_mode}'")
    return _out(result, out)


def _out(result: Tensor, out: Tensor | None) -> Tensor:
    """Writes ``result`` into ``out=`` as torch does (resizing an empty ``out``)."""
    if out is None:
        return result
    if out._requires_grad and _grad_on():
        raise RuntimeError(
            "out=... arguments don't support automatic differentiation, but one of the "
            "arguments requires grad.")
    if result._requires_grad and _grad_on():
        raise RuntimeError(
            "out=... arguments don't support automatic differentiation, but one of the "
            "arguments requires grad.")
    if not dt.can_cast(result.dtype, out.dtype):
        raise RuntimeError(
            f"result type {_kind_name(result.dtype)} can't be cast to the desired output type "
            f"{_kind_name(out.dtype)}")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, dtype=out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    bump_version(out)
    return out


def _grad_on() -> bool:
    from ...autograd.grad_mode import state

    return state.enabled


_kind_name = dt.kind_name


Tensor.add = add  # type: ignore[attr-defined]
Tensor.sub = sub  # type: ignore[attr-defined]
Tensor.subtract = sub  # type: ignore[attr-defined]
Tensor.mul = mul  # type: ignore[attr-defined]
Tensor.multiply = mul  # type: ignore[attr-defined]
Tensor.div = div  # type: ignore[attr-defined]
Tensor.divide = div  # type: ignore[attr-defined]
subtract, multiply, divide = sub, mul, div


def true_divide(input: Any, other: Any) -> Tensor:
    """``input / other`` (the same as ``div`` without rounding)."""
    return div(input, other)


Tensor.true_divide = true_divide  # type: ignore[attr-defined]


# --- in place -----------------------------------------------------------------------------------
def _inplace_method(primitive: type, name: str) -> Any:
    def method(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        return inplace_binary(self, primitive, other, name)

    method.__name__ = name
    return method


Tensor.add_ = Tensor.__iadd__ = _inplace_method(Add, "add_")  # type: ignore[attr-defined]
Tensor.sub_ = Tensor.__isub__ = _inplace_method(Sub, "sub_")  # type: ignore[attr-defined]
Tensor.mul_ = Tensor.__imul__ = _inplace_method(Mul, "mul_")  # type: ignore[attr-defined]
Tensor.div_ = Tensor.__itruediv__ = _inplace_method(Div, "div_")  # type: ignore[attr-defined]
Tensor.pow_ = Tensor.__ipow__ = (  # type: ignore[attr-defined]
    lambda self, exponent: inplace_binary(self, None, exponent, "pow_", fn=pow))


# --- comparisons: results are bool tensors outside the graph ----------------------------------
def _outside_graph(ufunc: np.ufunc, input: Any, other: Any, out: Tensor | None) -> Tensor:
    """``ufunc`` of two operands (Tensors or numbers) promoted as torch does, as a tensor that
    is not part of any graph (comparisons, bitwise ops)."""
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype != b.dtype:
        common = dt.result_type_np((a, b))
        a, b = a.astype(common), b.astype(common)
    try:
        result = ufunc(a, b)
    except ValueError as err:
        raise broadcast_error(a, b, err) from None
    return _out(_make(np.asarray(result)), out)


def _comparison(ufunc: np.ufunc, name: str) -> Any:
    def compare(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        return _outside_graph(ufunc, input, other, out)

    compare.__name__ = name
    compare.__doc__ = f"Elementwise ``{name}`` comparison; a bool tensor, not differentiable."
    return compare


eq = _comparison(np.equal, "eq")
ne = _comparison(np.not_equal, "ne")
lt = _comparison(np.less, "lt")
le = _comparison(np.less_equal, "le")
gt = _comparison(np.greater, "gt")
ge = _comparison(np.greater_equal, "ge")

for _name, _fn, _dunder in (("eq", eq, "__eq__"), ("ne", ne, "__ne__"), ("lt", lt, "__lt__"),
                            ("le", le, "__le__"), ("gt", gt, "__gt__"), ("ge", ge, "__ge__")):
    setattr(Tensor, _name, _fn)
    setattr(Tensor, _dunder, _fn)
Tensor.greater, Tensor.less = gt, lt  # type: ignore[attr-defined]
Tensor.greater_equal, Tensor.less_equal, Tensor.not_equal = ge, le, ne  # type: ignore

greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


Tensor.equal = equal  # type: ignore[attr-defined]


# --- bitwise and logical ops on integer and bool tensors: not differentiable -----------------
def _bitwise(ufunc: np.ufunc, name: str) -> Any:
    def bitwise(input: Any, other: Any, *, out: Tensor | None = None) -> Tensor:
        for operand in (input, other):
            data = operand._data if isinstance(operand, Tensor) else operand
            if np.asarray(data).dtype.kind in "fV":
                raise RuntimeError(f'"{name}_cpu" not implemented for \'Float\'')
        return _outside_graph(ufunc, input, other, out)

    bitwise.__name__ = name
    bitwise.__doc__ = f"Elementwise ``{name}`` of integer or bool tensors; not differentiable."
    return bitwise


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if input._data.dtype.kind in "fV":
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return _out(_make(np.invert(input._data)), out)


Tensor.bitwise_and = Tensor.__and__ = bitwise_and  # type: ignore[attr-defined]
Tensor.bitwise_or = Tensor.__or__ = bitwise_or  # type: ignore[attr-defined]
Tensor.bitwise_xor = Tensor.__xor__ = bitwise_xor  # type: ignore[attr-defined]
Tensor.bitwise_not = Tensor.__invert__ = bitwise_not  # type: ignore[attr-defined]
Tensor.__rand__ = lambda self, other: bitwise_and(other, self)  # type: ignore[attr-defined]
Tensor.__ror__ = lambda self, other: bitwise_or(other, self)  # type: ignore[attr-defined]
Tensor.__rxor__ = lambda self, other: bitwise_xor(other, self)  # type: ignore[attr-defined]


def _function_form_samples(cls: Any) -> list:
    """The function and in-place spellings (the operator samples cover the primitives)."""
    from ..samples import Sample, _values

    a, b = _values((2, 3), "real", 21), _values((2, 3), "positive", 22)
    return [
        Sample(lambda lib, x, y: lib.add(x, y, alpha=2), (a, b), "add-alpha"),
        Sample(lambda lib, x, y: lib.sub(x, y, alpha=0.5), (a, b), "sub-alpha"),
        Sample(lambda lib, x, y: lib.subtract(x, y), (a, b), "subtract"),
        Sample(lambda lib, x, y: lib.mul(x, y), (a, b), "mul"),
        Sample(lambda lib, x, y: lib.multiply(x, y), (a, b), "multiply"),
        Sample(lambda lib, x, y: lib.div(x, y), (a, b), "div"),
        Sample(lambda lib, x, y: lib.true_divide(x, y), (a, b), "true_divide"),
        Sample(lambda lib, x, y: lib.pow(x.abs() + 1, y), (a, b), "pow"),
        Sample(lambda lib, x, y: lib.equal(x, y), (a, b), "equal", gradcheck=False),
        Sample(lambda lib, x, y: x.clone().add_(y, alpha=3), (a, b), "add_"),
        Sample(lambda lib, x, y: x.clone().sub_(y), (a, b), "sub_"),
        Sample(lambda lib, x, y: x.clone().mul_(y), (a, b), "mul_"),
        Sample(lambda lib, x, y: x.clone().div_(y), (a, b), "div_"),
        Sample(lambda lib, x, y: (x.abs() + 1).pow_(y), (a, b), "pow_"),
        Sample(lambda lib, x: x.clone().fill_(2.5) * x, (a,), "fill_"),
        Sample(lambda lib, x: x.clone().zero_() + x, (a,), "zero_"),
    ]


composite("arithmetic functions", _function_form_samples)
