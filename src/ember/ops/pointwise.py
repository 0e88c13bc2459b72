"""Elementwise math beyond the basics: the error function family, clamping, min/max of two
tensors, atan2, interpolation and fused multiply-adds.

Gradients at ties and bounds follow torch exactly: ``clamp`` passes the gradient to ``input``
at its bounds, ``maximum``/``minimum`` split a tie evenly, ``fmax``/``fmin`` send it to
whichever operand is not NaN. Masked gradients are zeros (``where``), not ``grad * 0``, so a
NaN arriving at a masked position does not leak through.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, bump_version
from ._inplace import _check_cast, inplace_binary
from ._op import BinaryOp, Primitive, UnaryOp, broadcast_error, op
from .elementwise import Where, _out, inplace_many, type_error
from .samples import Sample, _values, unary_samples
from .unary import _floating, _inplace

__all__ = ["erf", "erfc", "erfinv", "clamp", "clip", "clamp_min", "clamp_max", "maximum",
           "minimum", "fmax", "fmin", "atan2", "arctan2", "logical_and", "logical_or",
           "logical_xor", "logical_not"]

NAN = float("nan")


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


def _kernel(name: str) -> Any:
    kernel = _KERNELS.get(name)
    if kernel is None:
        try:  # imported on first use: scipy is optional and slow to import
            from scipy import special

            kernel = getattr(special, name)
        except ImportError:
            numpy_kernel = {"erf": erf_numpy, "erfc": erfc_numpy, "erfinv": erfinv_numpy}[name]

            def kernel(x: np.ndarray) -> np.ndarray:
                return numpy_kernel(x.astype(np.float64)).astype(x.dtype, copy=False)

        _KERNELS[name] = kernel
    return kernel


@op("ErfBackward0", methods=("erf",), functions=("erf",), samples=unary_samples())
class Erf(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        x = _floating(x)
        return np.asarray(_kernel("erf")(x), dtype=x.dtype)

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
        x = _floating(x)
        return np.asarray(_kernel("erfc")(x), dtype=x.dtype)

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
        x = _floating(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(_kernel("erfinv")(x), dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad * (out * out).exp() * _HALF_SQRT_PI


erf, erfc, erfinv = Erf.apply, Erfc.apply, Erfinv.apply
for _name in ("erf", "erfc", "erfinv"):
    setattr(Tensor, _name + "_", _inplace(_name))


# --- clamp ----------------------------------------------------------------------------------------
def _bound_dtype(x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """``x`` cast to torch's result type with Python-number bounds (int tensor, float bound:
    default float; bool tensor, int bound: int64)."""
    if x.dtype.kind == "f":  # the common case: Python-number bounds never promote a float
        return x
    common = dt.result_type_np((x, lo, hi))
    return x if common == x.dtype else x.astype(common)


def _masked(keep: np.ndarray, grad: Tensor) -> Tensor:
    return Where.apply(_make(keep), grad, 0.0)


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
    pass


@op("ClampMaxBackward0", samples=scalar_clamp_samples("clamp_max"))
class ClampMax(Clamp):
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

    save_inputs = True
    elementwise = True
    forward = staticmethod(_tensor_forward)
    backward = staticmethod(_tensor_backward)


@op("ClampMinBackward1", samples=clamp_samples("clamp_min"))
class ClampMinTensor(ClampTensor):
    pass


@op("ClampMaxBackward1", samples=clamp_samples("clamp_max"))
class ClampMaxTensor(ClampTensor):
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
