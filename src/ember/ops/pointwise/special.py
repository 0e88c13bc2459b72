"""The error function family: erf, erfc and erfinv, and the normal CDF that GELU needs.

float32 (and narrower) erf, erfc and normal CDF run the vectorised kernels of ``kernels.py``
(SciPy's are scalar loops, ten times slower than torch's on float32). float64 goes through
SciPy when it is installed and otherwise through the NumPy kernels below, accurate to about
1e-14; erfinv always does."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._tensor import Tensor
from .._op import UnaryOp, op
from ..samples import unary_samples
from . import kernels
from .unary import _floating, _inplace

__all__ = ["erf", "erfc", "erfinv"]


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)

# --- the error function family ------------------------------------------------------------------
# SciPy is used when installed (fast, exact); otherwise NumPy kernels accurate to ~1e-14:
# erf's Maclaurin series below 2.5, erfc's continued fraction above, and erfinv by Halley
# iterations from a closed-form first guess.

_TAYLOR = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(40)]
_CUT = 2.5


def _erf_series(x: np.ndarray) -> np.ndarray:
    t = x * x
    s = np.full_like(x, _TAYLOR[-1])
    for c in _TAYLOR[-2::-1]:
        s = s * t + c
    return _TWO_OVER_SQRT_PI * x * s


def _erfc_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) for x >= 2.5 by Laplace's continued fraction, 40 levels deep (~1e-16)."""
    f = x.copy()
    for k in range(40, 0, -1):
        f = x + (0.5 * k) / f
    return np.exp(-x * x) / (math.sqrt(math.pi) * f)


def erf_numpy(x: np.ndarray) -> np.ndarray:
    """erf of a float64 array with NumPy only."""
    a = np.abs(x)
    small = a < _CUT
    out = np.empty_like(x)
    out[small] = _erf_series(x[small])
    big = ~small  # includes NaN, which stays NaN
    with np.errstate(over="ignore", invalid="ignore"):
        out[big] = np.copysign(1.0 - _erfc_fraction(a[big]), x[big])
    return out


def erfc_numpy(x: np.ndarray) -> np.ndarray:
    """erfc of a float64 array with NumPy only (relative accuracy kept in the right tail)."""
    a = np.abs(x)
    small = a < _CUT
    out = np.empty_like(x)
    out[small] = 1.0 - _erf_series(x[small])
    big = ~small
    with np.errstate(over="ignore", invalid="ignore"):
        tail = _erfc_fraction(a[big])
    out[big] = np.where(x[big] < 0, 2.0 - tail, tail)
    return out


def erfinv_numpy(y: np.ndarray) -> np.ndarray:
    """erfinv of a float64 array with NumPy only: Winitzki's approximation (~2e-3), then
    three Halley steps on erf (or, in the tails, on erfc so that 1 - |y| keeps its digits)."""
    a = np.abs(y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln = np.log1p(-a * a)
        k = 0.147
        b = 2.0 / (math.pi * k) + 0.5 * ln
        x = np.sqrt(np.sqrt(b * b - ln / k) - b)
        tail = a > 0.5
        q = 1.0 - a  # exact for a > 0.5 (Sterbenz)
        for _ in range(3):
            f = np.where(tail, q - erfc_numpy(x), erf_numpy(x) - a)
            u = f / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
            x = x - u / (1.0 + x * u)
        x = np.where(a == 1.0, np.inf, x)
        x = np.where(a > 1.0, np.nan, x)
    return np.copysign(x, y)


_KERNELS: dict[str, Any] = {}
_SQRT_HALF = math.sqrt(0.5)


def _normal_cdf_numpy(x: np.ndarray) -> np.ndarray:
    return 0.5 * erfc_numpy(-x * _SQRT_HALF)


def _kernel(name: str) -> Any:
    """SciPy's ``special.<name>``, or the NumPy kernel of the same name without SciPy."""
    kernel = _KERNELS.get(name)
    if kernel is None:
        try:  # imported on first use: scipy is optional and slow to import
            from scipy import special

            kernel = getattr(special, name)
        except ImportError:
            numpy_kernel = {"erf": erf_numpy, "erfc": erfc_numpy, "erfinv": erfinv_numpy,
                            "ndtr": _normal_cdf_numpy}[name]

            def kernel(x: np.ndarray) -> np.ndarray:
                return numpy_kernel(x.astype(np.float64)).astype(x.dtype, copy=False)

        _KERNELS[name] = kernel
    return kernel


_FLOAT32_KERNELS = {"erf": kernels.erf_float32, "erfc": kernels.erfc_float32,
                    "ndtr": kernels.normal_cdf_float32}


def evaluate(name: str, x: np.ndarray) -> np.ndarray:
    """``name`` ("erf", "erfc", "erfinv" or "ndtr", the normal CDF) of a floating array, in
    its dtype: float32 and narrower through the vectorised float32 kernels."""
    fast = _FLOAT32_KERNELS.get(name)
    if fast is not None and x.dtype.kind == "f" and x.dtype.itemsize <= 4:
        return fast(x.astype(np.float32, copy=False)).astype(x.dtype, copy=False)
    return np.asarray(_kernel(name)(x), dtype=x.dtype)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF of a floating array, accurate in both tails."""
    return evaluate("ndtr", x)


@op("ErfBackward0", methods=("erf",), functions=("erf",), samples=unary_samples())
class Erf(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return evaluate("erf", _floating(x))

    formula = {"x": "grad * 2 / sqrt(pi) * exp(-x ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (-(x * x)).exp() * _TWO_OVER_SQRT_PI


@op("ErfcBackward0", methods=("erfc",), functions=("erfc",), samples=unary_samples())
class Erfc(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return evaluate("erfc", _floating(x))

    formula = {"x": "-grad * 2 / sqrt(pi) * exp(-x ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (-(x * x)).exp() * -_TWO_OVER_SQRT_PI


@op("ErfinvBackward0", methods=("erfinv",), functions=("erfinv",),
    samples=unary_samples(domain="unit", edge=(1.0, -1.0, 0.0)))
class Erfinv(UnaryOp):
    save_output = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return evaluate("erfinv", _floating(x))

    formula = {"x": "grad * sqrt(pi) / 2 * exp(result ** 2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad * (out * out).exp() * _HALF_SQRT_PI


erf, erfc, erfinv = Erf.apply, Erfc.apply, Erfinv.apply
for _name in ("erf", "erfc", "erfinv"):
    setattr(Tensor, _name + "_", _inplace(_name))
