"""ember.linalg beyond the op table: errors (singular, not positive-definite), batching,
result types, norms' edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message

ERROR_CASES = [
    ("inv-singular", lambda L: L.linalg.inv(L.tensor([[1.0, 2.0], [2.0, 4.0]]))),
    # singular in floating point on every CPU: a zero row stays zero through elimination
    ("inv-singular3", lambda L: L.linalg.inv(L.tensor([[1.0, 2, 3], [0, 0, 0], [7, 8, 9]]))),
    ("inv-batch", lambda L: L.linalg.inv(L.stack([L.eye(2), L.zeros(2, 2)]))),
    ("inv-nonsquare", lambda L: L.linalg.inv(L.ones(2, 3))),
    ("inv-1d", lambda L: L.linalg.inv(L.ones(3))),
    ("inv-int", lambda L: L.linalg.inv(L.eye(2, dtype=L.long))),
    ("det-int", lambda L: L.linalg.det(L.eye(2, dtype=L.long))),
    ("solve-singular", lambda L: L.linalg.solve(L.zeros(2, 2), L.ones(2))),
    ("solve-shape", lambda L: L.linalg.solve(L.ones(2, 2), L.ones(3))),
    ("solve-dtype", lambda L: L.linalg.solve(L.eye(2), L.ones(2).double())),
    ("cholesky-npd", lambda L: L.linalg.cholesky(L.tensor([[1.0, 2.0], [2.0, 1.0]]))),
    ("cholesky-npd1", lambda L: L.linalg.cholesky(L.tensor([[-1.0, 0.0], [0.0, 1.0]]))),
    ("cholesky-batch", lambda L: L.linalg.cholesky(L.stack([L.eye(2), -L.eye(2)]))),
    ("qr-mode", lambda L: L.linalg.qr(L.ones(3, 2), mode="bad")),
    ("eigh-uplo", lambda L: L.linalg.eigh(L.eye(3), UPLO="X")),
    ("svd-1d", lambda L: L.linalg.svd(L.ones(3))),
    ("norm-bad-ord", lambda L: L.linalg.norm(L.ones(3, 3), "bad")),
    ("norm-3d-ord", lambda L: L.linalg.norm(L.ones(3, 3, 3), 2)),
    ("norm-int", lambda L: L.linalg.norm(L.ones(3, dtype=L.long))),
    ("vector-norm-str", lambda L: L.linalg.vector_norm(L.ones(3), "fro")),
    ("matrix-norm-1d", lambda L: L.linalg.matrix_norm(L.ones(3))),
    ("matrix-norm-ord", lambda L: L.linalg.matrix_norm(L.ones(3, 3), 3)),
    ("matrix-norm-dims", lambda L: L.linalg.matrix_norm(L.ones(3, 3), dim=(0, 0))),
    ("vector-norm-empty-inf", lambda L: L.linalg.vector_norm(L.zeros(0), float("inf"))),
    ("cross-length", lambda L: L.cross(L.ones(2, 4), L.ones(2, 4), dim=1)),
    ("cross-dim", lambda L: L.linalg.cross(L.ones(3, 2), L.ones(3, 2))),
    ("cross-broadcast", lambda L: L.linalg.cross(L.ones(2, 3), L.ones(3, 3))),
    ("cross-dtype", lambda L: L.linalg.cross(L.ones(3), L.ones(3).double())),
    ("multi-dot-one", lambda L: L.linalg.multi_dot([L.ones(2, 3)])),
    ("multi-dot-3d", lambda L: L.linalg.multi_dot([L.ones(2, 3), L.ones(2, 3, 3)])),
    ("multi-dot-shape", lambda L: L.linalg.multi_dot([L.ones(2, 3), L.ones(4, 3)])),
    ("multi-dot-dtype", lambda L: L.linalg.multi_dot([L.ones(2, 3), L.ones(3, 3).double()])),
]


def _error(fn: object, lib: object) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        fn(lib)  # type: ignore[operator]
    return info.type, str(info.value)


def test_singular_and_not_pd_core() -> None:
    with pytest.raises(ember.linalg.LinAlgError, match="The diagonal element 2 is zero"):
        ember.linalg.inv(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(RuntimeError, match="leading minor of order 2 is not positive-definite"):
        ember.linalg.cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))


@requires_torch
@pytest.mark.parametrize(("name", "fn"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_match_torch(name: str, fn: object) -> None:
    t_type, t_msg = _error(fn, torch)
    e_type, e_msg = _error(fn, ember)
    assert issubclass(e_type, RuntimeError if issubclass(t_type, RuntimeError) else t_type)
    assert e_msg == torch_message(t_msg.split("\n")[0])


def _spd(n: int, batch: tuple = ()) -> np.ndarray:
    a = np.random.default_rng(0).standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_decompositions_reconstruct_batched() -> None:
    a = _spd(3, (2,))
    t = ember.tensor(a)
    low = ember.linalg.cholesky(t)
    assert_close(low @ low.mT, a, atol=1e-10)
    w, v = ember.linalg.eigh(t)
    assert_close((v * w.unsqueeze(-2)) @ v.mT, a, atol=1e-10)
    u, s, vh = ember.linalg.svd(t[..., :2], full_matrices=False)
    assert_close((u * s.unsqueeze(-2)) @ vh, a[..., :2], atol=1e-10)
    q, r = ember.linalg.qr(t)
    assert_close(q @ r, a, atol=1e-10)
    assert_close(ember.linalg.inv(t) @ t, np.broadcast_to(np.eye(3), a.shape), atol=1e-10)
    sign, logabs = ember.linalg.slogdet(t)
    assert_close(sign * logabs.exp(), np.linalg.det(a))
    assert ember.linalg.matrix_rank(ember.tensor([[1.0, 2.0], [2.0, 4.0]])).item() == 1
    assert ember.linalg.matrix_rank(t).dtype == ember.int64


def test_result_fields_and_legacy_spellings() -> None:
    a = ember.tensor(_spd(3))
    assert ember.linalg.eigh(a).eigenvalues.shape == (3,)
    assert ember.linalg.svd(a).Vh.shape == (3, 3)
    assert ember.linalg.slogdet(a).logabsdet.shape == ()
    u, s, v = ember.svd(a)
    assert_close((u * s) @ v.mT, a, atol=1e-10)
    assert_close(a.det(), np.linalg.det(a.numpy()))
    assert_close(ember.logdet(a), np.log(np.linalg.det(a.numpy())))
    assert_close(a.inverse(), np.linalg.inv(a.numpy()))
    assert_close(a.norm(), np.linalg.norm(a.numpy()))


def test_norms_values() -> None:
    x = np.random.default_rng(1).standard_normal((3, 4))
    t = ember.tensor(x)
    for ord_ in (1, -1, 2, -2, math.inf, -math.inf, "fro", "nuc"):
        assert_close(ember.linalg.matrix_norm(t, ord_), np.linalg.norm(x, ord_))
    assert_close(ember.linalg.vector_norm(t, 3, dim=1), np.sum(np.abs(x) ** 3, 1) ** (1 / 3))
    assert_close(ember.linalg.vector_norm(t, 0), np.count_nonzero(x))
    assert ember.linalg.vector_norm(ember.zeros(0)).item() == 0


def test_norm_gradient_at_zero_is_zero() -> None:
    x = ember.zeros(3, requires_grad=True)
    ember.linalg.vector_norm(x).backward()
    assert_close(x.grad, np.zeros(3))


def test_det_singular_gradient_is_zero() -> None:
    x = ember.zeros(2, 2, requires_grad=True)
    ember.linalg.det(x).backward()
    assert_close(x.grad, np.zeros((2, 2)))


def test_cross_default_dim_warns() -> None:
    with pytest.warns(UserWarning):
        out = ember.cross(ember.eye(3), ember.ones(3, 3))
    assert out.shape == (3, 3)
