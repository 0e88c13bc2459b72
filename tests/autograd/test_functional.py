"""ember.autograd.functional and forward_ad, against closed forms and against torch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.autograd.forward_ad as fwAD
from ember.autograd import functional as F
from tests.conftest import assert_close, requires_torch, torch


def cube_sum(x: ember.Tensor) -> ember.Tensor:
    return (x ** 3).sum()


def two_outputs(x: ember.Tensor, y: ember.Tensor) -> tuple:
    return x * y, (x + y).sin()


X = np.array([1.0, -2.0, 0.5])
Y = np.array([0.3, 0.7, -1.1])


def test_vjp_and_jvp_closed_form() -> None:
    x = ember.tensor(X)
    out, g = F.vjp(cube_sum, x)
    assert_close(g, 3 * X ** 2)
    assert not g.requires_grad
    out, j = F.jvp(lambda t: t ** 2, x, ember.ones(3, dtype=ember.float64))
    assert_close(j, 2 * X)


def test_jacobian_and_hessian_closed_form() -> None:
    x = ember.tensor(X)
    jac = F.jacobian(lambda t: t ** 2, x)
    assert_close(jac, np.diag(2 * X))
    hess = F.hessian(cube_sum, x)
    assert_close(hess, np.diag(6 * X))
    _, hv = F.hvp(cube_sum, x, ember.ones(3, dtype=ember.float64))
    assert_close(hv, 6 * X)


def test_forward_ad_dual_numbers() -> None:
    with fwAD.dual_level():
        x = fwAD.make_dual(ember.tensor(X), ember.ones(3, dtype=ember.float64))
        y = x * x + 3 * x - 2 / x
        primal, tangent = fwAD.unpack_dual(y)
        assert_close(primal, X * X + 3 * X - 2 / X)
        assert_close(tangent, 2 * X + 3 + 2 / X ** 2)
        assert_close(fwAD.unpack_dual((x * 2).sum()).tangent, np.array(6.0))
    assert fwAD.unpack_dual(y).tangent is None


def test_forward_ad_errors() -> None:
    with pytest.raises(RuntimeError, match="dual level"):
        fwAD.make_dual(ember.ones(2), ember.ones(2))
    with fwAD.dual_level(), pytest.raises(RuntimeError, match="different size"):
        fwAD.make_dual(ember.ones(2), ember.ones(3))


@requires_torch
def test_functional_matches_torch() -> None:
    ex, ey = ember.tensor(X), ember.tensor(Y)
    tx, ty = torch.tensor(X), torch.tensor(Y)

    def t_two(x, y):  # type: ignore[no-untyped-def]
        return x * y, (x + y).sin()

    for ours, theirs in zip(F.jacobian(two_outputs, (ex, ey)),
                            torch.autograd.functional.jacobian(t_two, (tx, ty))):
        for a, b in zip(ours, theirs):
            assert_close(a, b)
    v = (ember.ones(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64))
    tv = (torch.ones(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))
    ours = F.vjp(two_outputs, (ex, ey), v)[1]
    theirs = torch.autograd.functional.vjp(t_two, (tx, ty), tv)[1]
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    ours = F.jvp(two_outputs, (ex, ey), v)[1]
    theirs = torch.autograd.functional.jvp(t_two, (tx, ty), tv)[1]
    for a, b in zip(ours, theirs):
        assert_close(a, b)
    assert_close(F.hessian(lambda t: (t.sin() * t).sum(), ex),
                 torch.autograd.functional.hessian(lambda t: (t.sin() * t).sum(), tx))
