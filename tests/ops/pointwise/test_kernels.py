"""The float32 kernels of ops/pointwise/kernels.py against double-precision references
(Python's math module, NumPy in float64) and NumPy's own float32 results where those are exact."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ember.ops.pointwise import kernels

NAN, INF = float("nan"), float("inf")
F32 = np.float32


def _grid() -> np.ndarray:
    """Dense and log-spaced points over the functions' whole float32 range, both signs."""
    logs = np.geomspace(1e-37, 14, 20000)
    return np.concatenate([np.linspace(-14, 14, 40001), logs, -logs]).astype(F32)


def _ulps(got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Error in units of the float32 spacing at the expected value (normal results only)."""
    normal = np.abs(expected) > np.finfo(F32).tiny
    spacing = np.spacing(np.abs(expected[normal]).astype(F32)).astype(np.float64)
    return np.abs(got[normal].astype(np.float64) - expected[normal]) / spacing


@pytest.mark.parametrize("name, kernel, reference, bound", [
    ("erf", kernels.erf_float32, math.erf, 8),
    ("erfc", kernels.erfc_float32, math.erfc, 12),
])
def test_erf_family_within_a_few_ulp(name: str, kernel: object, reference: object,
                                     bound: float) -> None:
    x = _grid()
    expected = np.array([reference(float(v)) for v in x])
    got = kernel(x)
    assert got.dtype == np.float32
    assert _ulps(got, expected).max() <= bound


def test_normal_cdf_accuracy() -> None:
    x = _grid()
    expected = np.array([0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    got = kernels.normal_cdf_float32(x)
    ulps = _ulps(got, expected)
    normal = np.abs(expected) > np.finfo(F32).tiny
    kept = x[normal]
    # relative accuracy everywhere except where 1 + erf cancels (torch's kernel cancels too)
    assert ulps[(kept > -1) | (kept < -3)].max() <= 12
    assert np.abs(got - expected).max() <= 3e-7  # a few ulp of 1


def test_special_values_and_shapes() -> None:
    x = np.array([NAN, INF, -INF, 0.0, -0.0, 1e-45, 100.0, -100.0], F32)
    np.testing.assert_array_equal(kernels.erf_float32(x),
                                  np.array([NAN, 1, -1, 0, -0.0, 1e-45, 1, -1], F32))
    np.testing.assert_array_equal(kernels.erfc_float32(x), [NAN, 0, 2, 1, 1, 1, 0, 2])
    np.testing.assert_array_equal(kernels.normal_cdf_float32(x), [NAN, 1, 0, 0.5, 0.5, 0.5, 1, 0])
    for kernel in (kernels.erf_float32, kernels.erfc_float32, kernels.normal_cdf_float32):
        assert kernel(np.zeros((0, 3), F32)).shape == (0, 3)
        scalar = kernel(np.array(0.5, F32))
        assert scalar.shape == () and scalar.dtype == np.float32
    assert kernels.erf_float32(np.array(0.5, F32)) == pytest.approx(math.erf(0.5), rel=1e-6)


def _same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


def _division_operands() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 200_000
    x = (rng.standard_normal(n) * 10 ** rng.uniform(-3, 3, n)).astype(F32)
    y = (rng.standard_normal(n) * 10 ** rng.uniform(-3, 3, n)).astype(F32)
    x[: n // 4] = rng.integers(-50, 50, n // 4) * y[: n // 4]  # exact multiples
    edge = np.array([0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 3.0, -3.0, 1e-45, 5e-39, 3e38], F32)
    ex, ey = np.meshgrid(edge, edge)
    return np.concatenate([x, ex.ravel()]), np.concatenate([y, ey.ravel()])


@pytest.mark.parametrize("kernel, reference", [
    (kernels.fmod_float32, np.fmod), (kernels.floor_divide_float32, np.floor_divide)])
def test_division_kernels_bitwise_equal_numpy(kernel: object, reference: object) -> None:
    x, y = _division_operands()
    with np.errstate(all="ignore"):
        assert _same_bits(kernel(x, y), reference(x, y)).all()
        for divisor in (0.7, -0.7, 0.0, INF):
            d = np.asarray(divisor, F32)
            assert _same_bits(kernel(x, d), reference(x, d)).all()
        assert _same_bits(kernel(np.array(5.5, F32), np.array(2, F32)), np.float32(1.5 if
                          reference is np.fmod else 2.0))


def test_activation_kernels() -> None:
    z = np.concatenate([np.linspace(-90, 90, 20001), [-1e-6, 1e-6, 0.0]])
    for dtype in (np.float32, np.float64):
        x = z.astype(dtype)
        x64 = x.astype(np.float64)
        exact = np.log1p(np.exp(x64))  # float64 reference
        tiny = np.finfo(dtype).tiny  # subnormal results keep absolute accuracy only
        np.testing.assert_allclose(kernels.softplus(x), exact, rtol=4e-7 if dtype == F32
                                   else 1e-15, atol=tiny)
        with np.errstate(over="ignore"):
            np.testing.assert_allclose(kernels.sigmoid(x), 1 / (1 + np.exp(-x64)),
                                       rtol=4e-7 if dtype == F32 else 1e-15, atol=tiny)
        negative = x[x <= 0]
        np.testing.assert_allclose(kernels.expm1_nonpositive(negative),
                                   np.expm1(negative.astype(np.float64)),
                                   rtol=6e-7 if dtype == F32 else 2e-15, atol=0)


@pytest.mark.parametrize("kernel, reference", [(kernels.cosh_float32, np.cosh)])
def test_hyperbolic_kernels(kernel: object, reference: object) -> None:
    logs = np.geomspace(1e-37, 95, 20000)
    x = np.concatenate([np.linspace(-95, 95, 40001), logs, -logs]).astype(F32)
    with np.errstate(over="ignore"):
        expected = reference(x.astype(np.float64))
        got = kernel(x)
    finite = np.abs(expected) < np.finfo(F32).max
    assert _ulps(got[finite], expected[finite]).max() <= 4
    assert np.isinf(got[~finite]).all()
    special = np.array([0.0, -0.0, INF, -INF, NAN], F32)
    assert _same_bits(kernel(special), reference(special)).all()
    assert kernel(np.array(0.5, F32)).shape == ()


def _both_signs(low: float, high: float) -> np.ndarray:
    logs = np.geomspace(low, high, 20000)
    return np.concatenate([logs, -logs])


@pytest.mark.parametrize("kernel, reference, points", [
    (kernels.log1p_float32, np.log1p,
     np.concatenate([np.geomspace(1e-38, 1e6, 20000), -np.geomspace(1e-38, 1, 20000),
                     np.linspace(-1, 10, 20001)])),
    (kernels.expm1_float32, np.expm1,
     np.concatenate([np.linspace(-100, 88, 40001), _both_signs(1e-38, 88)])),
    (kernels.atanh_float32, np.arctanh,
     np.concatenate([np.linspace(-1, 1, 40001), _both_signs(1e-38, 1)])),
])
def test_log1p_expm1_atanh(kernel: object, reference: object, points: np.ndarray) -> None:
    x = points.astype(F32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        expected = reference(x.astype(np.float64))
        got = kernel(x)
        finite = np.isfinite(expected) & (np.abs(expected) < np.finfo(F32).max)
        assert _ulps(got[finite], expected[finite]).max() <= 6
        special = np.array([0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 2.0, -2.0, 1e-45, -1e-45], F32)
        expected = reference(special)
        exact = ~np.isfinite(expected) | (np.abs(expected) < np.finfo(F32).tiny)
        assert _same_bits(kernel(special)[exact], expected[exact]).all()
    assert kernel(np.array(0.5, F32)).shape == ()
