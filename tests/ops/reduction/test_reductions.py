"""Reductions beyond the op table: grad_fn names of the sum/mean forms, dtype rules, errors,
warnings, gradients at zeros, and the non-differentiable reductions (all, any,
count_nonzero). Torch-free expectations first; torch's answers when it is installed."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message

X = np.array([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]])


def _grad_of(lib: Any, fn: Any, data: Any, dtype: str = "float64") -> Any:
    x = lib.tensor(np.asarray(data), dtype=getattr(lib, dtype), requires_grad=True)
    y = fn(x)
    y.backward(lib.ones_like(y))
    return x.grad


# --- grad_fn names --------------------------------------------------------------------------
NAMED = [
    ("sum()", lambda t: t.sum(), "SumBackward0"),
    ("sum(dim=None)", lambda t: t.sum(dim=None), "SumBackward1"),
    ("sum(())", lambda t: t.sum(()), "SumBackward1"),
    ("mean()", lambda t: t.mean(), "MeanBackward0"),
    ("mean(None)", lambda t: t.mean(None), "MeanBackward1"),
    ("prod()", lambda t: t.prod(), "ProdBackward0"),
    ("prod(0)", lambda t: t.prod(0), "ProdBackward1"),
    ("var", lambda t: t.var(0), "VarBackward0"),
    ("std", lambda t: t.std(), "StdBackward0"),
    ("norm", lambda t: t.norm(p="fro", dim=1), "LinalgVectorNormBackward0"),
    ("norm-inf", lambda t: t.norm(float("inf")), "LinalgVectorNormBackward0"),
    ("logsumexp", lambda t: t.logsumexp(1), "LogsumexpBackward0"),
    ("cumsum", lambda t: t.cumsum(0), "CumsumBackward0"),
    ("cumprod", lambda t: t.cumprod(1), "CumprodBackward0"),
    ("nansum", lambda t: t.nansum(), "NansumBackward0"),
    ("nanmean", lambda t: t.nanmean(1), "DivBackward0"),
]


@pytest.mark.parametrize(("label", "fn", "name"), NAMED, ids=[n[0] for n in NAMED])
def test_grad_fn_names(label: str, fn: Any, name: str) -> None:
    y = fn(ember.tensor(X, requires_grad=True))
    assert y.grad_fn.name() == name
    if torch is not None:
        assert fn(torch.tensor(X, requires_grad=True)).grad_fn.name() == name


def test_var_mean_is_one_node_with_two_outputs() -> None:
    x = ember.tensor(X, requires_grad=True)
    v, m = ember.var_mean(x, 1)
    assert v.grad_fn is m.grad_fn and v.grad_fn.name() == "VarMeanBackward0"
    s, m2 = ember.std_mean(x, dim=0, keepdim=True)
    assert s.grad_fn.name() == "StdMeanBackward0" and m2.shape == (1, 3)
    (v.sum() + m.sum()).backward()
    expected = 2 * (X - X.mean(1, keepdims=True)) / 2 + 1 / 3
    np.testing.assert_allclose(x.grad.numpy(), expected)


@requires_torch
def test_var_mean_gradients_match_torch() -> None:
    for fn in (lambda lib, t: sum(o.sum() * w for o, w in zip(lib.var_mean(t, 1), (2., 3.))),
               lambda lib, t: lib.std_mean(t, unbiased=False)[0],
               lambda lib, t: lib.std_mean(t, 0, True)[1].sum()):
        assert_close(_grad_of(ember, lambda t, f=fn: f(ember, t), X),
                     _grad_of(torch, lambda t, f=fn: f(torch, t), X))


# --- dtype rules ----------------------------------------------------------------------------
INTS = np.array([[1, 5, 3], [4, 2, 6]])

DTYPES = [
    ("sum", lambda lib, t: t.sum(), "int64"),
    ("prod-int32", lambda lib, t: t.int().prod(0), "int64"),
    ("cumsum-int32", lambda lib, t: t.int().cumsum(1), "int64"),
    ("cumprod-bool", lambda lib, t: (t > 2).cumprod(1), "int64"),
    ("nansum", lambda lib, t: t.nansum(0), "int64"),
    ("logsumexp", lambda lib, t: t.logsumexp(0), "float32"),
    ("argmax", lambda lib, t: t.argmax(), "int64"),
    ("argmin-dim", lambda lib, t: t.argmin(1, keepdim=True), "int64"),
    ("max-int32", lambda lib, t: t.int().amax(0), "int32"),
    ("all", lambda lib, t: t.all(), "bool"),
    ("any-uint8", lambda lib, t: t.to(lib.uint8).any(0), "uint8"),
    ("count_nonzero", lambda lib, t: (t - 2).count_nonzero(0), "int64"),
    ("prod-dtype", lambda lib, t: t.prod(dtype=lib.float64), "float64"),
    ("cumsum-dtype", lambda lib, t: t.cumsum(0, dtype=lib.float32), "float32"),
]


@pytest.mark.parametrize(("label", "fn", "dtype"), DTYPES, ids=[d[0] for d in DTYPES])
def test_dtype_rules(label: str, fn: Any, dtype: str) -> None:
    out = fn(ember, ember.tensor(INTS))
    assert out.dtype == getattr(ember, dtype)
    if torch is not None:
        expected = fn(torch, torch.tensor(INTS))
        assert str(expected.dtype) == f"torch.{dtype}"
        assert_close(out, expected)


def test_accumulation_dtype_gradient_comes_back_in_the_input_dtype() -> None:
    x = ember.tensor(X, dtype=ember.float32, requires_grad=True)
    (x.sum(dtype=ember.float64) + x.prod(1, dtype=ember.float64).sum()
     + x.cumsum(0, dtype=ember.float64).sum() + x.norm(dtype=ember.float64)).backward()
    assert x.grad.dtype == ember.float32
    if torch is not None:
        t = torch.tensor(X, dtype=torch.float32, requires_grad=True)
        (t.sum(dtype=torch.float64) + t.prod(1, dtype=torch.float64).sum()
         + t.cumsum(0, dtype=torch.float64).sum() + t.norm(dtype=torch.float64)).backward()
        assert_close(x.grad, t.grad)


# --- errors ---------------------------------------------------------------------------------
ERRORS = [
    ("mean-int", lambda lib: lib.tensor(INTS).mean(), RuntimeError),
    ("nanmean-int", lambda lib: lib.tensor(INTS).nanmean(), RuntimeError),
    ("var-int", lambda lib: lib.tensor(INTS).var(), RuntimeError),
    ("std-int", lambda lib: lib.tensor(INTS).std(0), RuntimeError),
    ("norm-int", lambda lib: lib.tensor(INTS).norm(), RuntimeError),
    ("norm-inf-empty", lambda lib: lib.zeros(0).norm(float("inf")), RuntimeError),
    ("norm-inf-empty-dim", lambda lib: lib.zeros(0, 3).norm(float("-inf"), dim=0),
     RuntimeError),
    ("norm-neg-empty", lambda lib: lib.zeros(0, 3).norm(-1), RuntimeError),
    ("norm-order", lambda lib: lib.ones(2, 2).norm(p="abc"), RuntimeError),
    ("norm-fro-3d", lambda lib: lib.ones(2, 2, 2).norm(p="fro", dim=(0, 1, 2)), RuntimeError),
    ("logsumexp-()", lambda lib: lib.ones(2, 3).logsumexp(()), RuntimeError),
    ("cumsum-dim", lambda lib: lib.ones(2).cumsum(2), IndexError),
    ("sum-repeated", lambda lib: lib.ones(2, 3).sum((0, 0)), RuntimeError),
]


@pytest.mark.parametrize(("label", "fn", "kind"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(label: str, fn: Any, kind: type) -> None:
    with pytest.raises(kind) as ours:
        fn(ember)
    if torch is not None:
        with pytest.raises(kind) as theirs:
            fn(torch)
        assert str(ours.value) == torch_message(str(theirs.value))


def test_unsupported_arguments_name_the_op() -> None:
    with pytest.raises(NotImplementedError, match="nuc"):
        ember.ones(2, 2).norm(p="nuc")
    with pytest.raises(TypeError, match="logsumexp"):
        ember.ones(2).logsumexp(None)
    with pytest.raises(TypeError, match="prod"):
        ember.ones(2, 2).prod((0, 1))
    with pytest.raises(TypeError, match="var"):
        ember.ones(2, 2).var(0, unbiased=True, correction=1)


# --- variance edge cases --------------------------------------------------------------------
def test_var_of_one_element_is_nan_and_warns() -> None:
    x = ember.tensor([2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        v = x.var()
    assert np.isnan(v.item())
    v.backward()
    assert np.isnan(x.grad.numpy()).all()
    with pytest.warns(UserWarning):
        assert ember.tensor([1.0, 2.0]).var(correction=3).item() == np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.tensor([1.0, 2.0]).var(correction=0).item() == 0.25


def test_std_of_constant_has_zero_gradient() -> None:
    g = _grad_of(ember, lambda t: t.std(), [1.0, 1.0, 1.0])
    assert g.tolist() == [0.0, 0.0, 0.0]


@requires_torch
@pytest.mark.parametrize("call", [
    lambda t: t.var(False), lambda t: t.var(1, False, True), lambda t: t.std(0, unbiased=True),
    lambda t: t.var(dim=(0, 1), correction=0.5), lambda t: t.std(None, keepdim=True)])
def test_var_argument_forms_match_torch(call: Any) -> None:
    assert_close(call(ember.tensor(X)), call(torch.tensor(X)))
    assert_close(_grad_of(ember, call, X), _grad_of(torch, call, X))


# --- gradients at zeros ---------------------------------------------------------------------
ZERO_CASES = [
    ("norm2-at-0", lambda t: t.norm(), [0.0, 0.0]),
    ("norm3-at-0", lambda t: t.norm(3, dim=1), [[0.0, 0.0], [1.0, -2.0]]),
    ("norm0.5-with-0", lambda t: t.norm(0.5), [0.0, 1.0]),
    ("norm-1-with-0", lambda t: t.norm(-1), [0.0, 1.0]),
    ("norm1-at-0", lambda t: t.norm(1), [0.0, 1.0, -2.0]),
    ("norminf-ties", lambda t: t.norm(float("inf")), [0.0, -3.0, 3.0, 1.0]),
    ("norm-inf-ties", lambda t: t.norm(float("-inf")), [1.0, -1.0, 3.0, 1.0]),
    ("prod-one-zero", lambda t: t.prod(), [2.0, 0.0, 3.0]),
    ("prod-two-zeros", lambda t: t.prod(), [2.0, 0.0, 0.0]),
    ("prod-dim-zeros", lambda t: t.prod(1), [[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]]),
    ("cumprod-zeros", lambda t: t.cumprod(0), [2.0, 0.0, 3.0, 0.0, 4.0]),
    ("logsumexp-all-neg-inf", lambda t: t.logsumexp(0), [-np.inf, -np.inf]),
    ("logsumexp-inf", lambda t: t.logsumexp(0), [np.inf, 1.0]),
    ("nansum", lambda t: t.nansum(), [1.0, np.nan, 2.0]),
]

ZERO_EXPECTED = {
    "norm2-at-0": [0.0, 0.0], "norm0.5-with-0": [0.0, 1.0], "norm1-at-0": [0.0, 1.0, -1.0],
    "norminf-ties": [0.0, -0.5, 0.5, 0.0], "prod-one-zero": [0.0, 6.0, 0.0],
    "prod-two-zeros": [0.0, 0.0, 0.0], "cumprod-zeros": [1.0, 8.0, 0.0, 0.0, 0.0],
    "nansum": [1.0, 0.0, 1.0],
}


@pytest.mark.parametrize(("label", "fn", "data"), ZERO_CASES, ids=[c[0] for c in ZERO_CASES])
def test_gradients_at_edges(label: str, fn: Any, data: Any) -> None:
    ours = _grad_of(ember, fn, data)
    if label in ZERO_EXPECTED:
        np.testing.assert_allclose(ours.numpy(), ZERO_EXPECTED[label])
    if torch is not None:
        assert_close(ours, _grad_of(torch, fn, data))


def test_norm_zero_order_has_no_gradient() -> None:
    x = ember.tensor([0.0, 1.5], requires_grad=True)
    y = x.norm(0)
    assert y.item() == 1.0
    assert ember.autograd.grad(y, x, allow_unused=True) == (None,)


@pytest.mark.parametrize("fn", [lambda t: t.cumprod(1), lambda t: t.prod(1), lambda t: t.prod()])
def test_double_backward_through_zeros(fn: Any) -> None:
    data = np.array([[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, -2.0]])
    x = ember.tensor(data, requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


# --- non-differentiable reductions ----------------------------------------------------------
LOGICAL = [
    ("all", lambda lib, t: t.all()), ("any-dim", lambda lib, t: t.any(0, True)),
    ("all-()", lambda lib, t: t.all(())), ("all-fn", lambda lib, t: lib.all(t, 1)),
    ("count", lambda lib, t: lib.count_nonzero(t, (0, 1))),
    ("count-dim", lambda lib, t: t.count_nonzero(-1)),
    ("empty-all", lambda lib, t: t[:0].all()), ("empty-any", lambda lib, t: t[:0].any()),
    ("empty-count", lambda lib, t: t[:0].count_nonzero()),
]


@pytest.mark.parametrize(("label", "fn"), LOGICAL, ids=[c[0] for c in LOGICAL])
def test_logical_reductions(label: str, fn: Any) -> None:
    data = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 0.0]])
    x = ember.tensor(data, requires_grad=True)
    out = fn(ember, x)
    assert out.grad_fn is None and not out.requires_grad
    if torch is not None:
        expected = fn(torch, torch.tensor(data, requires_grad=True))
        assert str(expected.dtype).replace("torch.", "") == str(out.dtype).replace("ember.", "")
        assert_close(out, expected)


def test_nan_reductions() -> None:
    data = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    assert_close(ember.tensor(data).nanmean(1), np.array([2.0, np.nan]))
    assert_close(ember.tensor(data).nansum(1), np.array([4.0, 0.0]))
    if torch is not None:
        for fn in (lambda t: t.nanmean(), lambda t: t.nansum(0, keepdim=True)):
            assert_close(fn(ember.tensor(data)), fn(torch.tensor(data)))


def test_empty_reductions() -> None:
    e = ember.zeros(0, 3)
    assert e.prod(0).tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(e.mean().item())
    assert e.logsumexp(0).tolist() == [-np.inf] * 3
    assert e.norm().item() == 0.0
    assert e.cumsum(0).shape == (0, 3)
    with pytest.warns(UserWarning):
        assert np.isnan(e.var().item())


@requires_torch
@pytest.mark.parametrize("call", [
    lambda lib, t: t.prod(1), lambda lib, t: t.prod(), lambda lib, t: t.var(0),
    lambda lib, t: t.std(), lambda lib, t: t.norm(3, dim=1), lambda lib, t: t.logsumexp(1),
    lambda lib, t: t.cumsum(0), lambda lib, t: t.nansum(1), lambda lib, t: t.mean(),
    lambda lib, t: lib.var_mean(t, 1)[0], lambda lib, t: lib.std_mean(t)[0],
    lambda lib, t: lib.std_mean(t, 0)[1]])
def test_forward_ad_matches_torch(call: Any) -> None:
    import torch.autograd.forward_ad as tfwad

    import ember.autograd.forward_ad as efwad

    tangent = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    results = []
    for lib, fwad in ((ember, efwad), (torch, tfwad)):
        with fwad.dual_level():
            x = fwad.make_dual(lib.tensor(X), lib.tensor(tangent))
            results.append(fwad.unpack_dual(call(lib, x)).tangent)
    assert_close(*results)
