"""Pooling modules: reprs, values, indices and gradients against torch, plus a torch-free core."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.nn.modules import pooling as P
from tests.conftest import assert_close, requires_torch, torch

CASES = [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3, 2, 1), dict(ceil_mode=True, dilation=1), (2, 2, 7, 6)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, dilation=(2, 1)), (3, 7, 6)),
    ("MaxPool1d", (3, 2, 1), {}, (2, 3, 9)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (2, 2, 7, 6)),
    ("AvgPool2d", ((2, 3),), dict(stride=1, divisor_override=5), (3, 7, 6)),
    ("AvgPool1d", (3, 2, 1), dict(ceil_mode=True), (2, 3, 8)),
    ("AdaptiveAvgPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 5)),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, (3, 5, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
]


@requires_torch
@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), CASES)
def test_matches_torch(name, args, kwargs, shape) -> None:
    e_mod, t_mod = getattr(P, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ey, ty = e_mod(ex), t_mod(tx)
    assert_close(ey, ty)
    assert ey.grad_fn.name() == ty.grad_fn.name()
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(ex.grad, tx.grad)


@requires_torch
@pytest.mark.parametrize("one_d", [False, True])
def test_return_indices_match_torch(one_d: bool) -> None:
    shape = (2, 3, 9) if one_d else (2, 3, 7, 6)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    name = "MaxPool1d" if one_d else "MaxPool2d"
    e_out, e_idx = getattr(P, name)(3, 2, 1, return_indices=True)(ember.tensor(x))
    t_out, t_idx = getattr(torch.nn, name)(3, 2, 1, return_indices=True)(torch.tensor(x))
    assert_close(e_out, t_out)
    assert e_idx.dtype == ember.int64
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())


@requires_torch
def test_nan_and_ties_match_torch() -> None:
    x = np.array([[[[1.0, np.nan, 2.0, 2.0], [0.0, 1.0, 2.0, 2.0]]]], dtype=np.float32)
    e_out, e_idx = P.MaxPool2d(2, return_indices=True)(ember.tensor(x))
    t_out, t_idx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    assert_close(e_out, t_out)
    np.testing.assert_array_equal(e_idx.numpy(), t_idx.numpy())


@requires_torch
@pytest.mark.parametrize(("fn", "args"), [
    ("max_pool2d", ((2, 3, 8, 8), 3, None, 2)),
    ("max_pool2d", ((2, 3, 8, 8), 9)),
    ("avg_pool2d", ((2, 3, 8, 8), 3, None, 2)),
    ("max_pool2d", ((8, 8), 2)),
    ("adaptive_avg_pool2d", ((3, 4), 2)),
])
def test_errors_match_torch(fn: str, args: tuple) -> None:
    from ember.ops.nn import conv_functional as EF

    shape, rest = args[0], args[1:]
    with pytest.raises(Exception) as t_err:
        getattr(torch.nn.functional, fn)(torch.zeros(shape), *rest)
    with pytest.raises(type(t_err.value)) as e_err:
        getattr(EF, fn)(ember.zeros(shape), *rest)
    assert str(e_err.value) == str(t_err.value)


def test_core_values() -> None:
    x = ember.arange(16.0).reshape(1, 1, 4, 4)
    assert P.MaxPool2d(2)(x).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert P.AvgPool2d(2)(x).tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]]
    assert P.AdaptiveAvgPool2d(1)(x).tolist() == [[[[7.5]]]]
    # padding counts in the divisor unless told otherwise
    assert P.AvgPool2d(2, 2, 1)(ember.ones(1, 1, 2, 2)).tolist() == [[[[0.25, 0.25],
                                                                        [0.25, 0.25]]]]
    assert P.AvgPool2d(2, 2, 1, count_include_pad=False)(ember.ones(1, 1, 2, 2)).tolist() == \
        [[[[1.0, 1.0], [1.0, 1.0]]]]


def test_core_max_pool_gradient_routes_to_argmax() -> None:
    x = ember.tensor([[[[1.0, 3.0], [2.0, 0.0]]]], requires_grad=True)
    P.MaxPool2d(2)(x).sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]
