"""ember.func transforms, against closed forms and torch.func."""

from __future__ import annotations

import numpy as np

import ember
from ember import func
from tests.conftest import assert_close, requires_torch, torch

X = np.array([1.0, -2.0, 0.5])


def test_grad_and_nesting() -> None:
    x = ember.tensor(X)
    assert_close(func.grad(lambda t: (t ** 3).sum())(x), 3 * X ** 2)
    scalar = ember.tensor(2.0, dtype=ember.float64)
    second = func.grad(func.grad(lambda t: t ** 4))(scalar)
    assert_close(second, np.array(48.0))
    g, value = func.grad_and_value(lambda t: (t ** 2).sum())(x)
    assert_close(value, np.array((X ** 2).sum()))
    assert not g.requires_grad


def test_grad_argnums_and_aux() -> None:
    x, y = ember.tensor(X), ember.tensor(X * 2)
    gx, gy = func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, y)
    assert_close(gx, X * 2) and assert_close(gy, X)
    g, aux = func.grad(lambda a: ((a ** 2).sum(), "aux"), has_aux=True)(x)
    assert aux == "aux"


def test_vjp_jvp_jacobians_vmap() -> None:
    x = ember.tensor(X)
    out, vjp_fn = func.vjp(lambda t: t.sin(), x)
    (g,) = vjp_fn(ember.ones(3, dtype=ember.float64))
    assert_close(g, np.cos(X))
    _, jv = func.jvp(lambda t: t.sin(), (x,), (ember.ones(3, dtype=ember.float64),))
    assert_close(jv, np.cos(X))
    assert_close(func.jacrev(lambda t: t ** 2)(x), np.diag(2 * X))
    assert_close(func.jacfwd(lambda t: t ** 2)(x), np.diag(2 * X))
    assert_close(func.hessian(lambda t: (t ** 3).sum())(x), np.diag(6 * X))
    batch = ember.tensor(np.arange(6.0).reshape(2, 3))
    assert_close(func.vmap(lambda row: row.sum())(batch), np.array([3.0, 12.0]))
    assert_close(func.vmap(lambda a, b: a * b, in_dims=(0, None))(batch, x),
                 np.arange(6.0).reshape(2, 3) * X)


@requires_torch
def test_per_example_gradients_match_torch() -> None:
    rng = np.random.default_rng(0)
    w_np, xs_np = rng.standard_normal(3), rng.standard_normal((4, 3))

    def loss(lib):  # type: ignore[no-untyped-def]
        return lambda w, x: (lib.tanh(x @ w) ** 2)

    ours = func.vmap(func.grad(loss(ember)), in_dims=(None, 0))(ember.tensor(w_np),
                                                                  ember.tensor(xs_np))
    theirs = torch.func.vmap(torch.func.grad(loss(torch)), in_dims=(None, 0))(
        torch.tensor(w_np), torch.tensor(xs_np))
    assert_close(ours, theirs)
