"""float32 kernels for functions NumPy runs slowly or lacks: erf, erfc and the normal CDF.

NumPy has no erf, and SciPy's (the well-kept one) evaluates Cephes' scalar double-precision code
per element: 8-9 ms on 400k float32 elements, about ten times torch's vectorised kernel. These
kernels are rational and polynomial approximations fitted for ember (least squares on Chebyshev
nodes, reweighted towards minimax, against double-precision references), evaluated with
in-place NumPy calls so that each call allocates three or four arrays and every pass runs at
memory speed. Measured over 700k points from 1e-38 to 14 against double precision:

* ``erf_float32``: ``x P(x^2) / Q(x^2)`` on |x| <= 4 (erf rounds to +-1 beyond 3.92), within
  6 ulp (mean 0.4 ulp);
* ``erfc_float32``: ``t exp(g(t) - x^2)``, ``t = 1 / (1 + |x|/2)`` and g of degree 11, within
  9 ulp, relative accuracy kept down to erfc(9) = 4e-37; ``x^2`` is split into a part whose
  square is exact and a small rest, or the tail would lose ``x^2`` ulps of ``exp``;
* ``normal_cdf_float32``: ``(1 + erf(x / sqrt 2)) / 2`` (erf's rational, rescaled), and
  erfc's form below x = -3, where that sum cancels.

float64 goes through SciPy or the series in ``special.py``: these are float32 kernels only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_f32 = np.float32

# erf(x) / x = P(s) / Q(s), s = x^2, on [0, 4]: relative error 2.5e-8
_ERF_P = (1.1283791397409375, 0.19353366316301748, 0.05310021068165493, 0.003882844857152825,
          0.000284552909183014, 1.9868484673890574e-06)
_ERF_Q = (1.0, 0.5048473030570576, 0.11534526062089956, 0.015206257398176713,
          0.0011854465630990775, 3.742017682700077e-05)
# log(erfc(a) exp(a^2) / t), t = 1 / (1 + a/2), as a polynomial in t, a >= 0: error 1e-8
_ERFC_G = (-1.2655121242770688, 0.9999999272503046, 0.3750201990010206, 0.08259243332139735,
           -0.074734194986707, -0.23370788787348065, 0.3355402202538421, -1.2254251590302996,
           2.398733716638036, -2.2051074910680413, 0.9913575935178333, -0.17875724320958167)

# highest degree first, as Horner's rule takes them
_P = [_f32(c) for c in reversed(_ERF_P)]
_Q = [_f32(c) for c in reversed(_ERF_Q)]
_G = [_f32(c) for c in reversed(_ERFC_G)]
# Phi(x) - 1/2 = erf(x / sqrt 2) / 2 = x P(x^2 / 2) / Q(x^2 / 2) / (2 sqrt 2): the same
# rational with its coefficients rescaled, so the CDF costs no extra passes
_CDF_P = [_f32(c * 0.5 ** k / (2 * math.sqrt(2))) for k, c in reversed(list(enumerate(_ERF_P)))]
_CDF_Q = [_f32(c * 0.5 ** k) for k, c in reversed(list(enumerate(_ERF_Q)))]
# keeps the top 12 of float32's 24 significand bits: the square of such a number is exact
_HIGH_BITS = np.int32(-4096)
_SQRT_HALF = _f32(1 / math.sqrt(2))
# below this the normal CDF's 1 + erf cancels by more than a few ulp: erfc's form takes over
_LEFT_TAIL = _f32(-3)


def _on_arrays(kernel: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Runs ``kernel`` on a 1-element view of a 0-d array: NumPy turns 0-d results into
    scalars, which ``out=`` cannot take."""

    def run(x: np.ndarray) -> np.ndarray:
        if x.ndim == 0:
            return kernel(x.reshape(1)).reshape(())
        return kernel(x)

    run.__name__, run.__doc__ = kernel.__name__, kernel.__doc__
    return run


def _horner(coefs: list, s: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` = the polynomial with ``coefs`` (highest first) at ``s``, in place."""
    np.multiply(s, coefs[0], out=out)
    np.add(out, coefs[1], out=out)
    for c in coefs[2:]:
        np.multiply(out, s, out=out)
        np.add(out, c, out=out)
    return out


def _odd_rational(x: np.ndarray, p: list, q: list, bound: np.float32) -> np.ndarray:
    """``c P(c^2) / Q(c^2)`` with ``c`` = ``x`` clipped to +-``bound`` (nan stays nan)."""
    c = np.clip(x, -bound, bound)
    s = np.multiply(c, c)
    out = _horner(p, s, np.empty_like(s))
    np.multiply(out, c, out=out)
    return np.divide(out, _horner(q, s, c), out=out)


@_on_arrays
def erf_float32(x: np.ndarray) -> np.ndarray:
    """erf of a float32 array."""
    out = _odd_rational(x, _P, _Q, _f32(4))  # erf(4) rounds to 1
    return np.clip(out, _f32(-1), _f32(1), out=out)


def _erfc_of_magnitude(a: np.ndarray, halved: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """erfc(a) (``halved``: erfc(a / sqrt 2)) for float32 ``a >= 0`` or nan, at most 16.
    Overwrites ``a``; returns the result and two spare arrays of its shape."""
    t = np.multiply(a, _SQRT_HALF / 2 if halved else _f32(0.5))
    np.add(t, _f32(1), out=t)
    np.reciprocal(t, out=t)
    high = (a.view(np.int32) & _HIGH_BITS).view(np.float32)
    out = np.add(a, high)
    # a^2 = high^2 + (a - high)(a + high), with high^2 exact
    np.subtract(a, high, out=a)
    np.multiply(a, out, out=a)
    np.multiply(high, high, out=high)
    if halved:
        np.multiply(a, _f32(0.5), out=a)
        np.multiply(high, _f32(-0.5), out=high)
    else:
        np.negative(high, out=high)
    _horner(_G, t, out)
    np.subtract(out, a, out=out)
    np.exp(out, out=out)
    np.exp(high, out=high)
    np.multiply(out, high, out=out)
    np.multiply(out, t, out=out)
    return out, a, high


@_on_arrays
def erfc_float32(x: np.ndarray) -> np.ndarray:
    """erfc of a float32 array, with relative accuracy in the right tail."""
    a = np.abs(x)
    np.clip(a, _f32(0), _f32(11), out=a)  # erfc(11) underflows to 0; nan stays nan
    out, side, spare = _erfc_of_magnitude(a, halved=False)
    # erfc(-a) = 2 - erfc(a), without a select: side = 1 - copysign(1, x) is 0 or 2
    np.copysign(_f32(1), x, out=side)
    np.subtract(_f32(1), side, out=side)
    np.subtract(_f32(1), out, out=spare)
    np.multiply(spare, side, out=spare)
    return np.add(out, spare, out=out)


@_on_arrays
def normal_cdf_float32(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF of a float32 array, with relative accuracy in the left tail."""
    out = _odd_rational(x, _CDF_P, _CDF_Q, _f32(4 * math.sqrt(2)))
    np.add(out, _f32(0.5), out=out)
    np.clip(out, _f32(0), _f32(1), out=out)
    tail = x < _LEFT_TAIL
    if tail.any():
        a = np.clip(-x[tail], _f32(0), _f32(16))
        out[tail] = np.multiply(_erfc_of_magnitude(a, halved=True)[0], _f32(0.5))
    return out


# --- activations: one allocation, every pass in place (any floating dtype) --------------------


def select(mask: np.ndarray, a: np.ndarray, b: np.ndarray, b_is_scratch: bool = False
           ) -> np.ndarray:
    """``where(mask, a, b)`` for ``a``, ``b`` of one shape, as ``a * mask + b * ~mask`` when
    both are finite: a product by a mask runs at memory speed, a select or a masked assignment
    with a random mask four to ten times slower. inf or nan would leak through the zero
    factor, so then a select. ``b_is_scratch``: ``b`` (an array of the result's dtype) may be
    overwritten with the result."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return np.where(mask, a, b)
    dtype = np.result_type(a, b)
    other = b if b_is_scratch and b.dtype == dtype else np.empty(np.shape(b), dtype)
    np.multiply(b, ~mask, out=other)
    return np.add(other, np.multiply(a, mask, dtype=dtype), out=other)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``: exp overflows to inf below about -88 (float32), and 1 / inf is 0,
    the right limit, so no branch is needed."""
    out = np.negative(x, out=np.empty_like(x))
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    np.add(out, 1, out=out)
    return np.reciprocal(out, out=out)


def softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` as ``max(z, 0) + log1p(exp(-|z|))``, with log1p(u) written as
    ``log(w) - ((w - 1) - u) / w``, w = 1 + u: the second term puts back what rounding w lost,
    so tiny results (z = -20 gives 2e-9) keep their digits. NumPy's logaddexp and log1p are
    scalar loops on float32, five to seven times slower. Two arrays: a fresh allocation costs
    more than a pass over one."""
    u = np.abs(z, out=np.empty_like(z))
    np.negative(u, out=u)
    np.exp(u, out=u)
    w = np.add(u, 1, out=np.empty_like(u))
    np.subtract(w, 1, out=w)                    # w - 1, exact
    np.subtract(w, u, out=u)                    # (w - 1) - u: the rounding error, exact
    np.add(w, 1, out=w)                         # w again, exact
    np.divide(u, w, out=u)
    np.log(w, out=w)
    np.subtract(w, u, out=w)                    # log1p(exp(-|z|))
    np.maximum(z, 0, out=u)
    return np.add(w, u, out=w)


def expm1_nonpositive(z: np.ndarray) -> np.ndarray:
    """``exp(z) - 1`` for ``z <= 0`` as ``2t / (1 - t)``, t = tanh(z / 2): exact algebra, and
    t keeps its relative accuracy as z goes to 0 (where exp(z) - 1 would cancel), while 1 - t
    lies in [1, 2). NumPy's expm1 is a scalar loop on float32, six times slower than torch."""
    t = np.multiply(z, 0.5, out=np.empty_like(z))
    np.tanh(t, out=t)
    out = np.subtract(1, t, out=np.empty_like(t))
    np.add(t, t, out=t)
    return np.divide(t, out, out=out)


# --- fmod and floor division of float32, bitwise equal to NumPy's (and torch's) ----------------

# a float32 divisor times a quotient below 2**28 is exact in float64
_EXACT_QUOTIENT = 2.0 ** 28


def fmod_float32(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``np.fmod`` of float32 arrays, three times faster: ``x - trunc(x / y) * y`` in float64
    is exact while the quotient is below 2**28 (NumPy's own scalar loop takes the rest: huge
    quotients, zero or infinite divisors)."""
    if np.broadcast(x, y).ndim == 0:  # NumPy gives 0-d results as scalars, which out= refuses
        return np.fmod(x, y)
    q = np.divide(x, y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        rare = ~(np.abs(q) < _EXACT_QUOTIENT)
        rare |= np.isinf(y)
        np.trunc(q, out=q)
        np.multiply(q, y, out=q)
        np.subtract(x, q, out=q)
    r = q.astype(np.float32)
    np.copysign(r, x, out=r)  # fmod has the dividend's sign, a zero result too
    if rare.any():
        r, rare = np.broadcast_arrays(r, rare)
        r = r.copy()
        xb, yb = np.broadcast_arrays(x, y)
        with np.errstate(invalid="ignore", divide="ignore"):
            r[rare] = np.fmod(xb[rare], yb[rare])
    return r


def floor_divide_float32(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``np.floor_divide`` of float32 arrays, bitwise: NumPy's own steps (the exact remainder,
    ``(x - r) / y``, a step down where the remainder and the divisor differ in sign, a rounding
    check) as whole-array calls instead of its scalar loop."""
    if np.broadcast(x, y).ndim == 0:
        return np.floor_divide(x, y)
    mod = fmod_float32(x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        div = np.subtract(x, mod)
        np.divide(div, y, out=div)
        step_down = np.signbit(mod) != np.signbit(y)
        step_down &= mod != 0
        div -= step_down
        floor = np.floor(div)
        np.subtract(div, floor, out=div)
        floor += div > 0.5
        # a zero quotient takes the sign of x / y, which the others have already
        np.copysign(floor, np.divide(x, y), out=floor)
        zero = y == 0
        if zero.any():  # as NumPy: x / y
            floor, zero = np.broadcast_arrays(floor, zero)
            floor = floor.copy()
            xb, yb = np.broadcast_arrays(x, y)
            floor[zero] = xb[zero] / yb[zero]
    return floor


# --- cosh of float32 from exp --------------------------------------------------------------------

# beyond this exp(|x|) overflows while cosh (half of it) still fits in float32
_EXP_OVERFLOW = _f32(88.5)


def _fix_overflow_band(out: np.ndarray, x: np.ndarray, exact: np.ufunc) -> np.ndarray:
    band = np.abs(x) > _EXP_OVERFLOW
    if band.any():
        with np.errstate(over="ignore"):
            out[band] = exact(x[band])
    return out


@_on_arrays
def cosh_float32(x: np.ndarray) -> np.ndarray:
    """``(e + 1/e) / 2``, e = exp(|x|): no cancellation. NumPy's float32 cosh is a scalar loop,
    six times slower than torch's."""
    e = np.abs(x)
    with np.errstate(over="ignore"):
        np.exp(e, out=e)
    out = np.reciprocal(e)
    np.add(out, e, out=out)
    np.multiply(out, _f32(0.5), out=out)
    return _fix_overflow_band(out, x, np.cosh)


# --- log1p, expm1, atanh of float32 (NumPy's are scalar loops, four to seven times torch's) -----


@_on_arrays
def log1p_float32(x: np.ndarray) -> np.ndarray:
    """``log(w) - ((w - 1) - x) / w``, w = 1 + x: the second term is what rounding w lost
    (computed exactly), so tiny x keep their digits; the sign is x's (-0 gives -0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.add(x, _f32(1))
        lost = np.subtract(w, _f32(1))
        np.subtract(lost, x, out=lost)
        np.divide(lost, w, out=lost)
        stray = np.isnan(lost)  # x = -1 (0 / 0) or +inf (inf - inf): log(w) alone is right
        if stray.any():
            lost[stray] = 0
        np.log(w, out=w)
        np.subtract(w, lost, out=w)
    return np.copysign(w, x, out=w)


@_on_arrays
def expm1_float32(x: np.ndarray) -> np.ndarray:
    """``2t / (1 - t)``, t = tanh(x/2), below 1 (no cancellation there), ``exp(x) - 1`` from 1
    on (where 1 - t would cancel and exp(x) - 1 no longer does)."""
    small = expm1_nonpositive(np.clip(x, _f32(-np.inf), _f32(1)))
    with np.errstate(over="ignore"):
        large = np.exp(x)
    np.subtract(large, _f32(1), out=large)
    out = select(x < 1, small, large, b_is_scratch=True)
    zero = out == 0  # x/2 underflowed (subnormal x, where expm1(x) = x) or x is +-0
    if zero.any():
        out[zero] = x[zero]
    return out


@_on_arrays
def atanh_float32(x: np.ndarray) -> np.ndarray:
    """``log1p(2a / (1 - a)) / 2`` with a = |x| and x's sign (odd; for x near -1 the form
    would cancel inside log1p): +-1 give +-inf, |x| > 1 nan, tiny x keep their digits."""
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.subtract(_f32(1), a)
        np.divide(a, q, out=q)
        np.add(q, q, out=q)
    out = log1p_float32(q)
    np.multiply(out, _f32(0.5), out=out)
    return np.copysign(out, x, out=out)
