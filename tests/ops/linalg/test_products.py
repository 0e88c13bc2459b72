"""Products beyond the op table: errors, dtypes, out=, einsum node names, addmm speed path."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message

ERROR_CASES = [
    ("mm-shape", lambda L: L.mm(L.ones(2, 3), L.ones(4, 2))),
    ("mm-dtype", lambda L: L.mm(L.ones(2, 3), L.ones(3, 2).double())),
    ("bmm-dtype", lambda L: L.bmm(L.ones(2, 2, 3), L.ones(2, 3, 4).double())),
    ("mv-dtype", lambda L: L.mv(L.ones(2, 3), L.ones(3).double())),
    ("vdot-size", lambda L: L.vdot(L.ones(3), L.ones(4))),
    ("outer-2d", lambda L: L.outer(L.ones(3, 1), L.ones(3))),
    ("addmm-bias", lambda L: L.addmm(L.ones(3), L.ones(2, 3), L.ones(3, 4))),
    ("addmm-dtype", lambda L: L.addmm(L.ones(4), L.ones(2, 3), L.ones(3, 4).double())),
    ("addmm-dtype2", lambda L: L.addmm(L.ones(4), L.ones(2, 3).double(), L.ones(3, 4))),
    ("addmm-1d", lambda L: L.addmm(L.ones(4), L.ones(3), L.ones(3, 4))),
    ("addmv-size", lambda L: L.addmv(L.ones(3), L.ones(2, 3), L.ones(3))),
    ("addmv-dtype", lambda L: L.addmv(L.ones(2), L.ones(2, 3), L.ones(3).double())),
    ("baddbmm-dtype", lambda L: L.baddbmm(L.ones(2, 2, 4).double(), L.ones(2, 2, 3),
                                          L.ones(2, 3, 4))),
    ("baddbmm-inner", lambda L: L.baddbmm(L.ones(2, 2, 4), L.ones(2, 2, 3), L.ones(2, 2, 4))),
    ("addbmm-batches", lambda L: L.addbmm(L.ones(2, 4), L.ones(2, 2, 3), L.ones(3, 3, 4))),
    ("addbmm-inner", lambda L: L.addbmm(L.ones(2, 4), L.ones(2, 2, 3), L.ones(2, 2, 4))),
    ("einsum-size", lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 2))),
    ("einsum-few", lambda L: L.einsum("ij,jk->ik", L.ones(2, 3))),
    ("einsum-many", lambda L: L.einsum("ij->i", L.ones(2, 3), L.ones(2))),
    ("einsum-ndim", lambda L: L.einsum("ijk->i", L.ones(2, 3))),
    ("einsum-dtype", lambda L: L.einsum("i,i->", L.ones(3), L.ones(3).double())),
    ("einsum-out", lambda L: L.einsum("ij->k", L.ones(2, 3))),
    ("einsum-repeat-out", lambda L: L.einsum("ij->ii", L.ones(2, 2))),
    ("einsum-char", lambda L: L.einsum("i1->i", L.ones(2, 3))),
    ("einsum-diag", lambda L: L.einsum("ii->i", L.ones(2, 3))),
    ("tensordot-size", lambda L: L.tensordot(L.ones(2, 3), L.ones(4, 2), dims=1)),
    ("tensordot-neg", lambda L: L.tensordot(L.ones(2, 3), L.ones(3, 2), dims=-1)),
    ("tensordot-lists", lambda L: L.tensordot(L.ones(2, 3), L.ones(3, 2), dims=([0], [0, 1]))),
    ("tensordot-dtype", lambda L: L.tensordot(L.ones(2, 3), L.ones(3, 2).double(), dims=1)),
]


def _error(fn: object, lib: object) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        fn(lib)  # type: ignore[operator]
    return info.type, str(info.value)


def test_errors_core() -> None:
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and"
                                           r" 4x2\)"):
        ember.mm(ember.ones(2, 3), ember.ones(4, 2))
    with pytest.raises(RuntimeError, match="subscript j has size 4"):
        ember.einsum("ij,jk->ik", ember.ones(2, 3), ember.ones(4, 2))


@requires_torch
@pytest.mark.parametrize(("name", "fn"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_match_torch(name: str, fn: object) -> None:
    t_type, t_msg = _error(fn, torch)
    e_type, e_msg = _error(fn, ember)
    assert issubclass(e_type, t_type) or e_type is t_type
    assert e_msg == torch_message(t_msg.split("\n")[0])


def test_addmm_values_and_beta_zero_ignores_nan() -> None:
    rng = np.random.default_rng(0)
    b, m1, m2 = rng.standard_normal(4), rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    out = ember.addmm(ember.tensor(b), ember.tensor(m1), ember.tensor(m2), beta=0.5, alpha=2.0)
    assert_close(out, 0.5 * b + 2.0 * m1 @ m2)
    nan = ember.full((2, 4), float("nan"), dtype=ember.float64)
    assert not np.isnan(ember.addmm(nan, ember.tensor(m1), ember.tensor(m2), beta=0).numpy()).any()


def test_addmm_grad_fn_and_out() -> None:
    w = ember.ones(3, 4, requires_grad=True)
    y = ember.addmm(ember.zeros(3), ember.ones(2, 4), w.t())
    assert y.grad_fn.name() == "AddmmBackward0"
    y.sum().backward()
    assert_close(w.grad, np.full((3, 4), 2.0))
    out = ember.empty(0)
    ember.mm(ember.ones(2, 3), ember.ones(3, 2), out=out)
    assert_close(out, np.full((2, 2), 3.0))


@pytest.mark.parametrize(("eq", "shapes", "name"), [
    ("ij,jk->ik", [(2, 3), (3, 4)], "ViewBackward0"), ("i,j->ij", [(2,), (3,)], "MulBackward0"),
    ("ii", [(3, 3)], "SumBackward1"), ("ij->ji", [(2, 3)], "PermuteBackward0"),
    ("ij,jk->j", [(2, 3), (3, 4)], "ViewBackward0")])
def test_einsum_node_names(eq: str, shapes: list, name: str) -> None:
    ops = [ember.ones(*s, requires_grad=True) for s in shapes]
    assert ember.einsum(eq, *ops).grad_fn.name() == name


def test_einsum_broadcast_size_one_and_list() -> None:
    a = ember.ones(2, 1, requires_grad=True)
    y = ember.einsum("ij,jk->ik", [a, ember.ones(3, 4)])
    y.sum().backward()
    assert y.shape == (2, 4) and a.grad.shape == (2, 1)
    assert_close(a.grad, np.full((2, 1), 12.0))


def test_kron_tensordot_values() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(4.0).reshape(2, 2)
    assert_close(ember.kron(ember.tensor(a), ember.tensor(b)), np.kron(a, b))
    c = np.arange(24.0).reshape(3, 4, 2)
    assert_close(ember.tensordot(ember.tensor(a), ember.tensor(c), dims=([1], [0])),
                 np.tensordot(a, c, axes=([1], [0])))


def test_matmul_integer_and_methods() -> None:
    x = ember.ones(2, 3, dtype=ember.int64)
    assert (x @ ember.ones(3, 2, dtype=ember.int64)).dtype == ember.int64
    assert ember.ones(3).outer(ember.ones(2)).shape == (3, 2)
    assert ember.ones(2, 2).addmm(ember.ones(2, 2), ember.ones(2, 2)).shape == (2, 2)
