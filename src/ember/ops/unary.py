"""Elementwise functions of one tensor: exp, log, sqrt, abs, trigonometric and activations.

Integer inputs give default-float results, as in torch (``ember.arange(3).exp()`` is float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor
from ._inplace import inplace_unary
from ._op import UnaryOp, op
from .samples import unary_samples

__all__ = ["exp", "log", "sqrt", "abs", "absolute", "sign", "sin", "cos", "tanh",
           "sigmoid", "relu"]


def _floating(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind in "fc" else x.astype(dt.get_default_dtype().np)


@op("ExpBackward0", methods=("exp",), functions=("exp",), samples=unary_samples())
class Exp(UnaryOp):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad * out


@op("LogBackward0", methods=("log",), functions=("log",),
    samples=unary_samples(domain="positive"))
class Log(UnaryOp):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad / x


@op("SqrtBackward0", methods=("sqrt",), functions=("sqrt",),
    samples=unary_samples(domain="positive"))
class Sqrt(UnaryOp):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.sqrt(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad / (2 * out)  # inf at 0, as torch


@op("AbsBackward0", methods=("abs", "__abs__", "absolute"), functions=("abs", "absolute"),
    samples=unary_samples(edge=(0.0,)))
class Abs(UnaryOp):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.dtype == np.bool_:
            raise RuntimeError('"abs_cpu" not implemented for \'Bool\'')
        return np.abs(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * x.sign()  # abs'(0) = 0, as torch


@op("SignBackward0", methods=("sign",), functions=("sign",), samples=unary_samples())
class Sign(UnaryOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.sign(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad * 0


@op("SinBackward0", methods=("sin",), functions=("sin",), samples=unary_samples())
class Sin(UnaryOp):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.sin(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * x.cos()


@op("CosBackward0", methods=("cos",), functions=("cos",), samples=unary_samples())
class Cos(UnaryOp):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.cos(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return -grad * x.sin()


@op("TanhBackward0", methods=("tanh",), functions=("tanh",), samples=unary_samples())
class Tanh(UnaryOp):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.tanh(_floating(x))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


@op("SigmoidBackward0", methods=("sigmoid",), functions=("sigmoid",), samples=unary_samples())
class Sigmoid(UnaryOp):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        # exp of a negative number only, so large |x| neither overflows nor loses precision
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


@op("ReluBackward0", methods=("relu",), functions=("relu",), samples=unary_samples(edge=(0.0,)))
class Relu(UnaryOp):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.dtype == np.bool_:
            raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
        return np.maximum(x, 0, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad * (out > 0)  # relu'(0) = 0, as torch


def _inplace(name: str) -> Any:
    def method(self: Tensor) -> Tensor:
        return inplace_unary(self, getattr(Tensor, name))

    method.__name__ = name + "_"
    return method


for _name in ("exp", "log", "sqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu",
              "neg", "reciprocal"):
    setattr(Tensor, _name + "_", _inplace(_name))


exp, log, sqrt, sign = Exp.apply, Log.apply, Sqrt.apply, Sign.apply
abs = absolute = Abs.apply  # noqa: A001
sin, cos, tanh, sigmoid, relu = Sin.apply, Cos.apply, Tanh.apply, Sigmoid.apply, Relu.apply
