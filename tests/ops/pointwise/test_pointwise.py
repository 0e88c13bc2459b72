"""Elementwise ops beyond the op table: dtype rules, errors, in-place and ``out=`` forms,
non-differentiable ops and the NumPy error-function kernels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ember
from ember.ops.pointwise import special as erf_family
from tests.conftest import assert_close, requires_torch, torch, torch_message

NAN, INF = float("nan"), float("inf")


def _both(fn: Any, *arrays: Any, grad: bool = False) -> tuple:
    """Runs ``fn(lib, *tensors)`` on ember and torch with the same inputs."""
    e = [ember.tensor(a, requires_grad=grad) if isinstance(a, np.ndarray) else a for a in arrays]
    t = [torch.tensor(a, requires_grad=grad) if isinstance(a, np.ndarray) else a for a in arrays]
    return fn(ember, *e), fn(torch, *t), e, t


def _same(fn: Any, *arrays: Any) -> None:
    """Same values and dtype, or the same error type and message."""
    try:
        expected = fn(torch, *[torch.tensor(a) if isinstance(a, np.ndarray) else a
                               for a in arrays])
    except Exception as err:  # noqa: BLE001 - comparing whatever torch raises
        with pytest.raises(type(err)) as info:
            fn(ember, *[ember.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays])
        first = torch_message(str(err)).splitlines()[0]
        assert str(info.value).splitlines()[0] == first
        return
    actual = fn(ember, *[ember.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays])
    assert str(actual.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
    assert_close(actual, expected)


INT = np.arange(-2, 3)
BOOL = np.array([True, False, True])
FLOAT = np.array([0.5, -1.5, 2.0, -0.0, 3.0], dtype=np.float32)

UNARY = ["exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "square", "tan", "asin", "acos",
         "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "erf", "erfc", "erfinv", "floor",
         "ceil", "round", "trunc", "fix", "frac", "sign", "sgn", "isnan", "isinf", "isfinite",
         "isposinf", "isneginf", "nan_to_num", "logical_not", "arcsin", "arccos", "arctan",
         "arcsinh", "arccosh", "arctanh"]


@requires_torch
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("data", [INT, BOOL, FLOAT, np.zeros((0, 2)), np.array(0.25)],
                         ids=["int", "bool", "float", "empty", "0-d"])
def test_unary_dtypes_match_torch(name: str, data: np.ndarray) -> None:
    _same(lambda lib, x: getattr(lib, name)(x), data)
    _same(lambda lib, x: getattr(x, name)(), data)


BINARY = ["remainder", "fmod", "floor_divide", "atan2", "maximum", "minimum", "fmax", "fmin",
          "logical_and", "logical_or", "logical_xor"]
OPERANDS = [(INT, INT[::-1].copy()), (INT, FLOAT), (INT, 2.5), (INT, 2), (2, INT), (FLOAT, 0.0),
            (BOOL, BOOL), (INT, np.zeros(5, dtype=np.int64)), (FLOAT, FLOAT.astype(np.float64)),
            (np.zeros((2, 1)), np.ones(3)), (np.zeros(2), np.ones(3)),
            (np.array([NAN, 1.0, NAN, -2.0]), np.array([1.0, NAN, NAN, -2.0]))]


@requires_torch
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("pair", OPERANDS, ids=[str(i) for i in range(len(OPERANDS))])
def test_binary_match_torch(name: str, pair: tuple) -> None:
    _same(lambda lib, a, b: getattr(lib, name)(a, b), *pair)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib, x: x.clamp(0.5), lambda lib, x: x.clamp(0, 1), lambda lib, x: x.clamp(),
    lambda lib, x: x.clamp(None, None), lambda lib, x: x.clip(1, 0),
    lambda lib, x: x.clamp(NAN, 0.5), lambda lib, x: x.clamp(lib.tensor(0.5)),
    lambda lib, x: x.clamp(lib.tensor([0.5], dtype=lib.float64)),
    lambda lib, x: x.clamp(0, lib.tensor(1.0)), lambda lib, x: x.clamp_min(0.5),
    lambda lib, x: x.clamp_max(lib.zeros(2, 1)), lambda lib, x: lib.clamp(x, min=-1, max=1),
    lambda lib, x: x.clamp(x > 0, x > 1),
], ids=range(13))
@pytest.mark.parametrize("data", [INT, BOOL, FLOAT], ids=["int", "bool", "float"])
def test_clamp_dtypes_and_errors(call: Any, data: np.ndarray) -> None:
    _same(call, data)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib, x: x.round(decimals=2), lambda lib, x: x.round(decimals=-1),
    lambda lib, x: lib.round(x, decimals=0), lambda lib, x: lib.div(x, 2, rounding_mode="floor"),
    lambda lib, x: lib.div(x, -0.7, rounding_mode="trunc"), lambda lib, x: x // 2,
    lambda lib, x: 7 // x, lambda lib, x: x % 2, lambda lib, x: 5.5 % x,
    lambda lib, x: lib.div(x, 0, rounding_mode="trunc"), lambda lib, x: lib.fmod(2, x),
    lambda lib, x: x.nan_to_num(1.0, 2.0, -3.0), lambda lib, x: lib.nan_to_num(x, posinf=1e30),
], ids=range(13))
@pytest.mark.parametrize("data", [INT, BOOL, np.array([2.675, 1.005, -7.5, 0.125, NAN, INF]),
                                  np.array([2.675, -1255.0, 12.5], dtype=np.float32)],
                         ids=["int", "bool", "float64", "float32"])
def test_rounding_and_division(call: Any, data: np.ndarray) -> None:
    _same(call, data)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib, a, b: lib.lerp(a, b, 0.5), lambda lib, a, b: lib.lerp(a, b.double(), 0.5),
    lambda lib, a, b: lib.lerp(a, b, b.double()), lambda lib, a, b: lib.lerp(a, b, b.long()),
    lambda lib, a, b: lib.lerp(a, b, lib.tensor(0.5, dtype=lib.float64)),
    lambda lib, a, b: lib.lerp(a.long(), b.long(), 0.5),
    lambda lib, a, b: lib.lerp(a, b.reshape(-1, 1), 0.7),
    lambda lib, a, b: lib.addcmul(a.long(), a.long(), b.long(), value=0.5),
    lambda lib, a, b: lib.addcmul(a, a.long(), b.long(), value=2),
    lambda lib, a, b: lib.addcmul(a.bool(), a.bool(), b.bool()),
    lambda lib, a, b: lib.addcmul(a, b, 2.0),
    lambda lib, a, b: lib.addcdiv(a, a.long(), b.long()),
    lambda lib, a, b: lib.addcdiv(a.long(), a, b.bool()),
    lambda lib, a, b: lib.addcdiv(a, b.reshape(-1, 1), b, value=-1.5),
], ids=range(14))
def test_lerp_addc(call: Any) -> None:
    _same(call, np.array([1.0, -2.0, 3.0], dtype=np.float32), np.array([0.5, 2.0, 4.0],
                                                                       dtype=np.float32))


@requires_torch
def test_lerp_weight_near_one_matches_torch_formula() -> None:
    _same(lambda lib, a, b: lib.lerp(a, b, 0.7), np.array([1e8, 1.0, 0.0], dtype=np.float32),
          np.array([1.0, 2.0, INF], dtype=np.float32))


@requires_torch
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin", "atan2",
                                  "logical_and"])
def test_tensor_only_binaries_reject_numbers(name: str) -> None:
    _same(lambda lib, x: getattr(lib, name)(x, 2.5), FLOAT)
    _same(lambda lib, x: getattr(lib, name)(1, x), FLOAT)


# --- gradients the table cannot express ----------------------------------------------------
@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib, x: lib.where(x > 0, x.sqrt(), lib.zeros(())),
    lambda lib, x: lib.where(x > 0, x, x.log()),
    lambda lib, x: x.sqrt().clamp(0, 1), lambda lib, x: x.sqrt().floor(),
    lambda lib, x: lib.maximum(x.sqrt(), x), lambda lib, x: x.nan_to_num(),
    lambda lib, x: lib.div(x, x, rounding_mode="floor"), lambda lib, x: lib.fmax(x.sqrt(), x),
    lambda lib, x: lib.atan2(x * 0, x * 0), lambda lib, x: x.sign() + x.sgn(),
    lambda lib, x: x.remainder(1.5) + x.fmod(x + 3),
], ids=range(11))
def test_gradients_with_nan_and_zeros(call: Any) -> None:
    data = np.array([-1.0, 0.0, 4.0, NAN, INF])
    e_out, t_out, e_in, t_in = _both(call, data, grad=True)
    assert e_out.grad_fn.name() == t_out.grad_fn.name()
    (e_grad,) = ember.autograd.grad(e_out.sum(), e_in)
    (t_grad,) = torch.autograd.grad(t_out.sum(), t_in)
    assert_close(e_grad, t_grad.to_dense() if t_grad.layout != torch.strided else t_grad)


@requires_torch
def test_sgn_gradient_is_zero() -> None:
    x = ember.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = x.sgn()
    assert y.grad_fn.name() == "SgnBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_floor_divide_and_scalar_remainder_have_no_derivative() -> None:
    x = ember.tensor([1.5, -2.5], requires_grad=True)
    for y, aten in ((x // 2, "floor_divide"), (ember.floor_divide(x, x), "floor_divide"),
                    (3 % x, "remainder")):
        assert y.requires_grad and y.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match=f"derivative for aten::{aten} is not implemented"):
            y.sum().backward()


def test_div_rounding_mode_records_zero_gradient() -> None:
    a = ember.tensor([7.0, -7.0], requires_grad=True)
    b = ember.tensor([2.0, 2.0], requires_grad=True)
    y = ember.div(a, b, rounding_mode="trunc")
    assert y.tolist() == [3.0, -3.0] and y.grad_fn.name() == "DivBackward2"
    ga, gb = ember.autograd.grad(y.sum(), (a, b))
    assert ga.tolist() == [0.0, 0.0] and gb.tolist() == [0.0, 0.0]
    big = ember.tensor([2 ** 62 + 1, -(2 ** 62) - 1])
    assert ember.div(big, 3, rounding_mode="trunc").tolist() == [(2 ** 62 + 1) // 3,
                                                                 -((2 ** 62 + 1) // 3)]


def test_predicates_and_logical_ops_are_not_differentiable() -> None:
    x = ember.tensor([NAN, INF, -INF, 0.0, 1.0], requires_grad=True)
    assert x.isnan().tolist() == [True, False, False, False, False]
    assert ember.isposinf(x).tolist() == [False, True, False, False, False]
    assert x.isfinite().tolist() == [False, False, False, True, True]
    for y in (x.isnan(), x.logical_not(), ember.logical_and(x, x), ember.logical_xor(x, x)):
        assert y.dtype == ember.bool and not y.requires_grad and y.grad_fn is None


def test_clamp_gradient_at_bounds_goes_to_input() -> None:
    x = ember.tensor([0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 0.0]
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([1.0, 1.0], requires_grad=True)
    ember.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0] and b.grad.tolist() == [0.5, 0.0]


def test_double_backward_through_new_ops() -> None:
    x = ember.tensor([0.3, -0.4], dtype=ember.float64, requires_grad=True)
    for fn in (lambda t: t.erf(), lambda t: t.erfinv(), lambda t: t.tan(), lambda t: t.rsqrt()
               if False else t.atanh(), lambda t: ember.lerp(t, t * t, t)):
        assert ember.autograd.gradgradcheck(fn, (x,))


# --- in-place forms --------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("name", ["exp2_", "expm1_", "log1p_", "tan_", "atan_", "sinh_", "erf_",
                                  "erfinv_", "floor_", "ceil_", "trunc_", "round_", "frac_",
                                  "fix_", "square_", "arcsin_", "nan_to_num_", "rsqrt_",
                                  "logical_not_", "sgn_"])
def test_unary_inplace(name: str) -> None:
    data = np.array([0.25, -0.5, 0.75], dtype=np.float32)
    e, t = ember.tensor(data), torch.tensor(data)
    assert getattr(e, name)() is e
    getattr(t, name)()
    assert_close(e, t)
    leaf, t_leaf = ember.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = getattr(leaf * 1, name)()
    ty = getattr(t_leaf * 1, name)()
    if ty.grad_fn.name() == "SgnBackward0":
        return  # torch's zero gradient is a ZeroTensor: see test_sgn_gradient_is_zero
    assert y.grad_fn.name() == ty.grad_fn.name()
    (g,) = ember.autograd.grad(y.sum(), leaf)
    (tg,) = torch.autograd.grad(ty.sum(), t_leaf)
    assert_close(g, tg)


@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib, x: x.clamp_(0.5), lambda lib, x: x.clamp_(0, 1), lambda lib, x: x.clip_(max=1),
    lambda lib, x: x.clamp_min_(0.5), lambda lib, x: x.clamp_max_(lib.ones(3)),
    lambda lib, x: x.atan2_(x), lambda lib, x: x.remainder_(2), lambda lib, x: x.fmod_(1.5),
    lambda lib, x: x.floor_divide_(2), lambda lib, x: x.__imod__(2),
    lambda lib, x: x.lerp_(x * 2, 0.5), lambda lib, x: x.lerp_(lib.ones(2, 3), 0.5),
    lambda lib, x: x.addcmul_(x, x, value=2), lambda lib, x: x.addcdiv_(x, x + 5),
    lambda lib, x: x.addcmul_(lib.ones(2, 3), x), lambda lib, x: x.logical_and_(x),
    lambda lib, x: x.round_(decimals=1),
], ids=range(17))
@pytest.mark.parametrize("data", [np.array([1, -2, 3]), np.array([1.25, -2.0, 3.0])],
                         ids=["int", "float"])
def test_inplace_matches_torch_or_leaves_tensor_untouched(call: Any, data: np.ndarray) -> None:
    e, t = ember.tensor(data), torch.tensor(data)
    before = e.tolist()
    try:
        call(torch, t)
    except Exception as err:  # noqa: BLE001
        with pytest.raises(type(err)):
            call(ember, e)
        assert e.tolist() == before
        return
    assert call(ember, e) is e
    assert_close(e, t)


def test_inplace_with_grad_through_other_operand() -> None:
    x = ember.tensor([0.0, 1.0, 2.0])
    lo = ember.tensor([0.5, 0.5, 0.5], requires_grad=True)
    w = ember.tensor([0.25, 0.5, 1.0], requires_grad=True)
    x.clamp_(lo)
    assert x.grad_fn.name() == "ClampBackward0"
    x.lerp_(ember.ones(3), w)
    assert x.grad_fn.name() == "LerpBackward1"
    x.sum().backward()
    assert lo.grad.tolist() == [0.75, 0.0, 0.0]
    assert_close(w.grad, np.array([0.5, 0.0, -1.0]))


def test_out_argument() -> None:
    out = ember.empty(0)
    assert ember.clamp(ember.tensor([-1.0, 2.0]), 0, 1, out=out) is out
    assert out.tolist() == [0.0, 1.0]
    out = ember.empty(2, dtype=ember.bool)
    ember.logical_or(ember.tensor([0, 1]), ember.tensor([0, 0]), out=out)
    assert out.tolist() == [False, True]
    out = ember.empty(2)
    ember.maximum(ember.tensor([1.0, 5.0]), ember.tensor([3.0, 2.0]), out=out)
    assert out.tolist() == [3.0, 5.0]


# --- the NumPy error-function kernels (used when SciPy is absent) ----------------------------
def test_numpy_erf_kernels_match_math() -> None:
    x = np.concatenate([np.linspace(-8, 8, 3201), [0.0, 2.4999, 2.5, 26.0, 30.0]])
    expected_erf = np.array([math.erf(v) for v in x])
    expected_erfc = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(erf_family.erf_numpy(x), expected_erf, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(erf_family.erfc_numpy(x), expected_erfc, rtol=1e-11, atol=0)
    special = np.array([NAN, INF, -INF])
    assert np.array_equal(erf_family.erf_numpy(special), [NAN, 1.0, -1.0], equal_nan=True)
    assert np.array_equal(erf_family.erfc_numpy(special), [NAN, 0.0, 2.0], equal_nan=True)


def test_numpy_erfinv_inverts_erf() -> None:
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), 1 - np.logspace(-15, -1, 50)])
    x = erf_family.erfinv_numpy(y)
    np.testing.assert_allclose(erf_family.erf_numpy(x), y, rtol=1e-14, atol=1e-15)
    tail = y > 0.5
    np.testing.assert_allclose(erf_family.erfc_numpy(x[tail]), 1 - y[tail], rtol=1e-11)
    edge = erf_family.erfinv_numpy(np.array([1.0, -1.0, 1.5, NAN, 0.0]))
    assert np.array_equal(edge, [INF, -INF, NAN, NAN, 0.0], equal_nan=True)


def test_numpy_kernels_used_without_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_scipy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("scipy"):
            raise ImportError("no scipy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(erf_family, "_KERNELS", {})
    monkeypatch.setattr(builtins, "__import__", no_scipy)
    x = ember.tensor([0.5, -1.0, 3.0])
    assert x.erf().dtype == ember.float32
    assert_close(x.erf(), np.array([math.erf(v) for v in (0.5, -1.0, 3.0)]))
    assert_close(ember.tensor([0.5]).erfinv().erf(), np.array([0.5]))
    assert ember.arange(3).erfc().dtype == ember.float32


def test_silu_matches_definition() -> None:
    silu = ember.nn.functional.silu
    x = ember.tensor([-2.0, 0.0, 3.0])
    assert_close(silu(x), x * x.sigmoid())
    assert silu(x, inplace=True) is x
