"""Trigonometric and hyperbolic functions and their inverses: tan, asin (arcsin), acos (arccos),
atan (arctan), sinh, cosh, asinh (arcsinh), acosh (arccosh) and atanh (arctanh), with their
in-place forms. sin, cos and tanh stay with the basics in ``unary.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from .._op import UnaryOp, op
from ..samples import unary_samples
from . import kernels
from .unary import _floating, _inplace

__all__ = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin",
           "arccos", "arctan", "arcsinh", "arccosh", "arctanh"]


# --- trigonometric and hyperbolic -------------------------------------------------------------
@op("TanBackward0", methods=("tan",), functions=("tan",), samples=unary_samples(domain="unit"))
class Tan(UnaryOp):
    save_output = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.tan(_floating(x))

    formula = {"x": "grad * (1 + result ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1)


@op("AsinBackward0", methods=("asin", "arcsin"), functions=("asin", "arcsin"),
    samples=unary_samples(domain="unit", edge=(1.0, -1.0, 2.0)))
class Asin(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.arcsin(_floating(x))

    formula = {"x": "grad / sqrt(1 - x ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (1 - x * x).rsqrt()


@op("AcosBackward0", methods=("acos", "arccos"), functions=("acos", "arccos"),
    samples=unary_samples(domain="unit", edge=(1.0, -1.0, 2.0)))
class Acos(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.arccos(_floating(x))

    formula = {"x": "-grad / sqrt(1 - x ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return -grad * (1 - x * x).rsqrt()


@op("AtanBackward0", methods=("atan", "arctan"), functions=("atan", "arctan"),
    samples=unary_samples())
class Atan(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.arctan(_floating(x))

    formula = {"x": "grad / (1 + x ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad / (x * x + 1)


@op("SinhBackward0", methods=("sinh",), functions=("sinh",), samples=unary_samples())
class Sinh(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.sinh(_floating(x))

    formula = {"x": "grad * cosh(x)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * x.cosh()


@op("CoshBackward0", methods=("cosh",), functions=("cosh",), samples=unary_samples())
class Cosh(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        if x.dtype == np.float32:
            return kernels.cosh_float32(x)
        with np.errstate(over="ignore"):
            return np.cosh(x)

    formula = {"x": "grad * sinh(x)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * x.sinh()


@op("AsinhBackward0", methods=("asinh", "arcsinh"), functions=("asinh", "arcsinh"),
    samples=unary_samples())
class Asinh(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return np.arcsinh(_floating(x))

    formula = {"x": "grad / sqrt(x ** 2 + 1)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (x * x + 1).rsqrt()


@op("AcoshBackward0", methods=("acosh", "arccosh"), functions=("acosh", "arccosh"),
    samples=unary_samples(domain="positive", call=lambda lib, x: (x + 1).acosh()))
class Acosh(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.arccosh(_floating(x))

    formula = {"x": "grad / sqrt(x ** 2 - 1)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (x * x - 1).rsqrt()


@op("AtanhBackward0", methods=("atanh", "arctanh"), functions=("atanh", "arctanh"),
    samples=unary_samples(domain="unit", edge=(1.0, -1.0, 2.0)))
class Atanh(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        if x.dtype == np.float32:
            return kernels.atanh_float32(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctanh(x)

    formula = {"x": "grad / (1 - x ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad / (1 - x * x)


# --- in-place forms and aliases -----------------------------------------------------------------
for _name in ("tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
              "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"):
    setattr(Tensor, _name + "_", _inplace(_name))


tan = Tan.apply
asin = arcsin = Asin.apply
acos = arccos = Acos.apply
atan = arctan = Atan.apply
sinh, cosh = Sinh.apply, Cosh.apply
asinh = arcsinh = Asinh.apply
acosh = arccosh = Acosh.apply
atanh = arctanh = Atanh.apply
