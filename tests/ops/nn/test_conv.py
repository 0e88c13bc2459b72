"""Convolution and pooling ops beyond the op table: torch's errors, dtypes, warnings, and
second-order gradients through the pooling backward nodes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.ops.nn import conv_functional as EF
from tests.conftest import assert_close, requires_torch, torch, torch_message

ERRORS = [
    ("conv2d", (2, 3, 8, 8), (4, 2, 3, 3), {}),
    ("conv2d", (2, 3, 8, 8), (4, 3, 9, 9), {}),
    ("conv2d", (8, 8), (4, 3, 3, 3), {}),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(padding="same", stride=2)),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(groups=2)),
    ("conv2d", (2, 4, 8, 8), (3, 2, 3, 3), dict(groups=2)),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(padding=-1)),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(stride=0)),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(padding="bad")),
    ("conv2d", (2, 3, 8, 8), (4, 3, 3, 3), dict(padding=(1, 2, 3))),
    ("conv1d", (3,), (4, 4, 2), {}),
    ("conv_transpose2d", (1, 4, 3, 4), (3, 2, 3, 3), {}),
    ("conv_transpose2d", (1, 4, 3, 4), (4, 2, 3, 3), dict(output_padding=1)),
]


@requires_torch
@pytest.mark.parametrize(("fn", "x_shape", "w_shape", "kwargs"), ERRORS)
def test_errors_match_torch(fn: str, x_shape: tuple, w_shape: tuple, kwargs: dict) -> None:
    with pytest.raises(Exception) as t_err:
        getattr(torch.nn.functional, fn)(torch.zeros(x_shape), torch.zeros(w_shape), **kwargs)
    with pytest.raises(type(t_err.value)) as e_err:
        getattr(EF, fn)(ember.zeros(x_shape), ember.zeros(w_shape), **kwargs)
    assert str(e_err.value) == torch_message(str(t_err.value))


@requires_torch
def test_dtype_mismatch_errors_match_torch() -> None:
    cases = [((2, 3, 5, 5), "float32", (4, 3, 3, 3), "float64", None),
             ((2, 3, 5, 5), "float64", (4, 3, 3, 3), "float64", "float32")]
    for xs, xd, ws, wd, bd in cases:
        def call(lib, xs=xs, xd=xd, ws=ws, wd=wd, bd=bd):
            bias = None if bd is None else lib.zeros(4, dtype=getattr(lib, bd))
            return lib.nn.functional.conv2d(lib.zeros(xs, dtype=getattr(lib, xd)),
                                            lib.zeros(ws, dtype=getattr(lib, wd)), bias) \
                if lib is torch else EF.conv2d(lib.zeros(xs, dtype=getattr(lib, xd)),
                                               lib.zeros(ws, dtype=getattr(lib, wd)), bias)
        with pytest.raises(RuntimeError) as t_err:
            call(torch)
        with pytest.raises(RuntimeError) as e_err:
            call(ember)
        assert str(e_err.value) == torch_message(str(t_err.value))


@requires_torch
def test_integer_convolution_matches_torch() -> None:
    x = np.arange(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) % 7
    w = np.arange(3 * 2 * 3 * 3).reshape(3, 2, 3, 3) % 5 - 2
    e = EF.conv2d(ember.tensor(x), ember.tensor(w), padding=1)
    t = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1)
    assert e.dtype == ember.int64
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@requires_torch
def test_same_padding_with_even_kernel_warns_and_matches() -> None:
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 2, 4))
    with pytest.warns(UserWarning, match="padding='same' with even kernel lengths"):
        e = EF.conv2d(ember.tensor(x), ember.tensor(w), padding="same")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding="same")
    assert_close(e, t, rtol=1e-10, atol=1e-12)


@requires_torch
@pytest.mark.parametrize("fn", ["max_pool2d", "avg_pool2d"])
def test_pooling_double_backward_matches_torch(fn: str) -> None:
    """The backward nodes are torch's (…BackwardBackward0) and differentiate again."""
    x = np.random.default_rng(0).permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) * 0.1
    kwargs = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    results = []
    for lib, f in ((ember, getattr(EF, fn)), (torch, getattr(torch.nn.functional, fn))):
        xt = lib.tensor(x, requires_grad=True)
        y = f(xt, **kwargs)
        (g,) = lib.autograd.grad((y * y).sum(), xt, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), xt)
        results.append((g, gg))
    (eg, egg), (tg, tgg) = results
    assert eg.grad_fn.name() == tg.grad_fn.name()
    assert_close(eg, tg, rtol=1e-10, atol=1e-12)
    assert_close(egg, tgg, rtol=1e-10, atol=1e-12)


def test_conv_double_backward_gradgradcheck() -> None:
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)
    assert ember.autograd.gradgradcheck(
        lambda a, b: EF.conv2d(a, b, stride=2, padding=1, groups=2), (x, w))
    assert ember.autograd.gradgradcheck(
        lambda a, b: EF.conv_transpose2d(a, b, stride=2, output_padding=1, groups=2), (x, w))


def test_no_grad_returns_plain_tensors() -> None:
    x, w = ember.randn(1, 1, 4, 4, requires_grad=True), ember.randn(1, 1, 3, 3)
    with ember.no_grad():
        y = EF.max_pool2d(EF.conv2d(x, w), 2)
    assert y.grad_fn is None and not y.requires_grad
