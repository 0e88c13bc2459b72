"""gather / scatter / index_* / masked_* / take / nonzero beyond the op table: errors, in-place
forms, dtypes and gradients to values. Compared with torch where installed."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message


def _x(lib: Any) -> Any:
    return lib.arange(12.0).reshape(3, 4)


def _i(lib: Any, values: Any, dtype: str = "int64") -> Any:
    return lib.tensor(values, dtype=getattr(lib, dtype))


CALLS = {
    "g-oob": lambda L: _x(L).gather(1, _i(L, [[0, 5]])),
    "g-neg": lambda L: _x(L).gather(1, _i(L, [[-1]])),
    "g-int32": lambda L: _x(L).gather(1, _i(L, [[0, 1]], "int32")),
    "g-float": lambda L: _x(L).gather(1, _i(L, [[0.0]], "float32")),
    "g-ndim": lambda L: _x(L).gather(1, _i(L, [0, 1])),
    "g-size": lambda L: _x(L).gather(1, _i(L, [[0, 1]] * 4)),
    "g-wide": lambda L: _x(L).gather(1, _i(L, [[0, 1, 2, 3, 0]])),
    "g-dim": lambda L: _x(L).gather(2, _i(L, [[0]])),
    "g-0d": lambda L: L.tensor(5.0).gather(0, _i(L, [0, 0])),
    "g-empty": lambda L: _x(L).gather(0, L.zeros(0, 2, dtype=L.int64)),
    "s-oob": lambda L: _x(L).scatter(1, _i(L, [[0, 5]]), 1.0),
    "s-small-src": lambda L: _x(L).scatter(1, _i(L, [[0, 1]]), L.ones(1, 1)),
    "s-big-index": lambda L: _x(L).scatter(1, _i(L, [[0, 1]] * 5), L.ones(5, 2)),
    "s-dtype": lambda L: _x(L).scatter(1, _i(L, [[0, 1]]), L.ones(1, 2, dtype=L.float64)),
    "s-float-index": lambda L: _x(L).scatter(1, _i(L, [[0.0]], "float32"), 1.0),
    "s-ndim": lambda L: _x(L).scatter(1, _i(L, [0, 1]), L.ones(1, 2)),
    "s-add": lambda L: _x(L).scatter(1, _i(L, [[0, 0]]), 2.0, reduce="add"),
    "s-mul": lambda L: _x(L).scatter(1, _i(L, [[1, 1]]), L.full((1, 2), 3.0), reduce="multiply"),
    "s-mean": lambda L: _x(L).scatter(1, _i(L, [[0]]), 1.0, reduce="mean"),
    "s-0d": lambda L: L.tensor(5.0).scatter(0, _i(L, 0), L.tensor(3.0)),
    "s-int": lambda L: L.ones(3, dtype=L.int64).scatter(0, _i(L, [1]), 2.7),
    "sa-oob": lambda L: _x(L).scatter_add(1, _i(L, [[0, 5]]), L.ones(1, 2)),
    "sa-repeat": lambda L: L.ones(5).scatter_add(0, _i(L, [1, 1, 2]), L.tensor([2.0, 3, 4])),
    "sa-int32": lambda L: _x(L).scatter_add(1, _i(L, [[0, 1]], "int32"), L.ones(1, 2)),
    "is-oob": lambda L: _x(L).index_select(1, _i(L, [0, 5])),
    "is-neg": lambda L: _x(L).index_select(1, _i(L, [-1])),
    "is-2d": lambda L: _x(L).index_select(1, _i(L, [[0, 1]])),
    "is-float": lambda L: _x(L).index_select(1, _i(L, [0.0, 1.0], "float32")),
    "is-int16": lambda L: _x(L).index_select(1, _i(L, [0, 1], "int16")),
    "is-0d-index": lambda L: _x(L).index_select(1, _i(L, 1)),
    "is-0d": lambda L: L.tensor(5.0).index_select(0, _i(L, [0])),
    "is-0d-many": lambda L: L.tensor(5.0).index_select(0, _i(L, [0, 0])),
    "ia-oob": lambda L: _x(L).index_add(1, _i(L, [0, 5]), L.ones(3, 2)),
    "ia-count": lambda L: _x(L).index_add(1, _i(L, [0, 1]), L.ones(3, 3)),
    "ia-shape": lambda L: _x(L).index_add(1, _i(L, [0, 1]), L.ones(2, 2)),
    "ia-2d": lambda L: _x(L).index_add(1, _i(L, [[0, 1]]), L.ones(3, 2)),
    "ia-alpha": lambda L: _x(L).index_add(1, _i(L, [0, 0]), L.ones(3, 2), alpha=2),
    "ia-int-alpha": lambda L: _x(L).long().index_add(1, _i(L, [0, 1]), L.ones(3, 2).long(),
                                                     alpha=2.5),
    "ia-float": lambda L: _x(L).index_add(1, _i(L, [0.0, 1.0], "float32"), L.ones(3, 2)),
    "ia-dtype": lambda L: _x(L).index_add(1, _i(L, [0, 1]), L.ones(3, 2, dtype=L.float64)),
    "ia-neg": lambda L: _x(L).index_add(1, _i(L, [0, -1]), L.ones(3, 2)),
    "ia-0d": lambda L: L.tensor(5.0).index_add(0, _i(L, [0]), L.tensor(2.0)),
    "if-oob": lambda L: _x(L).index_fill(1, _i(L, [0, 5]), 2.0),
    "if-neg": lambda L: _x(L).index_fill(1, _i(L, [0, -1]), 2.0),
    "if-tensor": lambda L: _x(L).index_fill(1, _i(L, [0, 1]), L.tensor(2.0)),
    "if-vector": lambda L: _x(L).index_fill(1, _i(L, [0, 1]), L.tensor([2.0])),
    "if-int32": lambda L: _x(L).index_fill(1, _i(L, [0, 1], "int32"), 2.0),
    "if-2d": lambda L: _x(L).index_fill(1, _i(L, [[0, 1]]), 1.0),
    "if-int": lambda L: L.ones(3, dtype=L.int64).index_fill(0, _i(L, [1]), 2.7),
    "ic-oob": lambda L: _x(L).index_copy(1, _i(L, [0, 5]), L.ones(3, 2)),
    "ic-neg": lambda L: _x(L).index_copy(1, _i(L, [0, -1]), L.ones(3, 2)),
    "ic-count": lambda L: _x(L).index_copy(1, _i(L, [0, 1]), L.ones(3, 3)),
    "ic-int32": lambda L: _x(L).index_copy(1, _i(L, [0, 1], "int32"), L.ones(3, 2)),
    "ic-dtype": lambda L: _x(L).index_copy(1, _i(L, [0, 1]), L.ones(3, 2, dtype=L.float64)),
    "ic-2d": lambda L: _x(L).index_copy(1, _i(L, [[0, 1]]), L.ones(3, 2)),
    "ic-slices": lambda L: _x(L).index_copy(1, _i(L, [0, 1]), L.ones(2, 2)),
    "ic-ndim": lambda L: _x(L).index_copy(0, _i(L, 1), L.ones(4)),
    "mf-int-mask": lambda L: _x(L).masked_fill(_x(L).int() > 5, 1.0).sum(),
    "mf-int32": lambda L: _x(L).masked_fill((_x(L) > 5).int(), 1.0),
    "mf-uint8": lambda L: _x(L).masked_fill((_x(L) > 5).to(L.uint8), 1.0),
    "mf-float": lambda L: _x(L).masked_fill((_x(L) > 5).float(), 1.0),
    "mf-shape": lambda L: _x(L).masked_fill(L.ones(2, 4, dtype=L.bool), 1.0),
    "mf-vector": lambda L: _x(L).masked_fill(_x(L) > 5, L.tensor([1.0])),
    "mf-grow": lambda L: L.ones(3).masked_fill(L.ones(2, 3, dtype=L.bool), 0.0),
    "mf-int-value": lambda L: L.ones(3, dtype=L.int64).masked_fill(L.tensor([True, False, True]),
                                                                  2.7),
    "mf-0d": lambda L: L.tensor(5.0).masked_fill(L.tensor(True), 1.0),
    "ms-int": lambda L: _x(L).masked_select((_x(L) > 5).int()),
    "ms-bcast": lambda L: L.tensor([1.0, 2.0]).masked_select(L.tensor([[True, False],
                                                                       [False, True]])),
    "msc-short": lambda L: _x(L).masked_scatter(_x(L) > 5, L.ones(3)),
    "msc-dtype": lambda L: _x(L).masked_scatter(_x(L) > 5, L.ones(3, 4, dtype=L.float64)),
    "msc-int": lambda L: _x(L).masked_scatter((_x(L) > 5).int(), L.ones(10)),
    "msc-bcast": lambda L: L.ones(2, 2).masked_scatter(L.tensor([True, False]),
                                                       L.tensor([[5.0, 6.0], [7.0, 8.0]])),
    "tk-oob": lambda L: _x(L).take(_i(L, [0, 12])),
    "tk-neg": lambda L: _x(L).take(_i(L, [0, -12])),
    "tk-neg-oob": lambda L: _x(L).take(_i(L, [0, -13])),
    "tk-int32": lambda L: _x(L).take(_i(L, [0, 1], "int32")),
    "tk-0d": lambda L: L.tensor(5.0).take(_i(L, [0, 0])),
    "tad-flat": lambda L: _x(L).take_along_dim(_i(L, [[0, 1]])),
    "tad-bcast": lambda L: L.take_along_dim(_x(L), _i(L, [[0, 3]]), 1),
    "tad-mismatch": lambda L: L.take_along_dim(_x(L), _i(L, [[1, 2]]), 0),
    "tad-int32": lambda L: L.take_along_dim(_x(L), _i(L, [[0]], "int32"), 1),
    "tad-ndim": lambda L: L.take_along_dim(_x(L), _i(L, [0, 1]), 1),
    "tad-dim": lambda L: L.take_along_dim(_x(L), _i(L, [[1, 2]]), 2),
    "nz": lambda L: L.nonzero(_x(L) - 3),
    "nz-0d": lambda L: L.nonzero(L.tensor(5.0)),
    "nz-0d-zero": lambda L: L.nonzero(L.tensor(0.0)),
    "nz-bool": lambda L: L.nonzero(L.tensor([True, False])),
    "aw": lambda L: L.argwhere(L.tensor([[0.0, 1.0], [2.0, 0.0]])),
    "aw-0d": lambda L: L.argwhere(L.tensor(5.0)),
}


def _outcome(lib: Any, name: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return CALLS[name](lib)
    except (RuntimeError, IndexError, TypeError) as err:
        return type(err).__name__, torch_message(str(err))


@requires_torch
@pytest.mark.parametrize("name", list(CALLS))
def test_matches_torch(name: str) -> None:
    e, t = _outcome(ember, name), _outcome(torch, name)
    if isinstance(t, tuple):
        assert e == t
        return
    assert not isinstance(e, tuple), e
    assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", "")
    assert_close(e, t)


@requires_torch
@pytest.mark.parametrize("as_tuple", [False, True])
@pytest.mark.parametrize("data", [[[0.0, 1.0], [2.0, 0.0]], 5.0, 0.0, [], [[0, 3, 0]]])
def test_nonzero(data: Any, as_tuple: bool) -> None:
    e = ember.nonzero(ember.tensor(data), as_tuple=as_tuple)
    t = torch.nonzero(torch.tensor(data), as_tuple=as_tuple)
    for a, b in zip(e if as_tuple else (e,), t if as_tuple else (t,)):
        assert a.dtype == ember.int64 and a.tolist() == b.tolist() and a.shape == b.shape
    assert len(e) == len(t)


# --- in place ------------------------------------------------------------------
INPLACE = {
    "scatter_": lambda L, x, s, v: x.scatter_(1, _i(L, [[0, 1], [2, 0]]), s[:2, :2]),
    "scatter_-value": lambda L, x, s, v: x.scatter_(1, _i(L, [[0, 1]]), 2.0),
    "scatter_add_": lambda L, x, s, v: x.scatter_add_(0, _i(L, [[0, 0, 2, 1]]), s[:1]),
    "index_add_": lambda L, x, s, v: x.index_add_(1, _i(L, [3, 3]), s[:, :2], alpha=0.5),
    "index_fill_": lambda L, x, s, v: x.index_fill_(0, _i(L, [2, 0]), -1.0),
    "index_fill_-tensor": lambda L, x, s, v: x.index_fill_(1, _i(L, [1, 1]), v),
    "index_copy_": lambda L, x, s, v: x.index_copy_(0, _i(L, [2]), s[:1]),
    "masked_fill_": lambda L, x, s, v: x.masked_fill_(s > 0, 0.0),
    "masked_fill_-tensor": lambda L, x, s, v: x.masked_fill_(s > 0, v),
    "masked_scatter_": lambda L, x, s, v: x.masked_scatter_(s > 0, s * 2),
}


def _inplace_run(lib: Any, name: str) -> tuple:
    base = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    s = lib.tensor(np.cos(np.arange(12.0)).reshape(3, 4), requires_grad=True)
    v = lib.tensor(0.25, requires_grad=True)
    x = base * 1
    out = INPLACE[name](lib, x, s, v)
    assert out is x
    seed = lib.tensor(np.arange(12.0).reshape(3, 4))
    grads = lib.autograd.grad(x, [base, s, v], seed, allow_unused=True)
    return x, x.grad_fn.name(), grads


@requires_torch
@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_matches_torch(name: str) -> None:
    e, t = _inplace_run(ember, name), _inplace_run(torch, name)
    assert_close(e[0], t[0])
    assert e[1] == t[1]
    for ge, gt in zip(e[2], t[2]):
        assert (ge is None) == (gt is None)
        if gt is not None:
            assert_close(ge, gt)


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_leaf_and_version(name: str) -> None:
    leaf = ember.ones(3, 4, requires_grad=True)
    s, v = ember.ones(3, 4), ember.tensor(2.0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        INPLACE[name](ember, leaf, s, v)
    plain = ember.ones(3, 4)
    INPLACE[name](ember, plain, s, v)
    assert plain._version == 1


def test_failed_inplace_leaves_tensor_untouched() -> None:
    x = ember.arange(6.0).reshape(2, 3)
    before = x.tolist()
    with pytest.raises(RuntimeError):
        x.scatter_(1, ember.tensor([[0, 7]]), 1.0)
    with pytest.raises(RuntimeError):
        x.index_add_(1, ember.tensor([0, 1]), ember.ones(2, 3))
    with pytest.raises(RuntimeError):
        x.masked_fill_(ember.ones(3, 2, 3, dtype=ember.bool), 1.0)
    with pytest.raises(RuntimeError):
        x.masked_scatter_(ember.ones(2, 3, dtype=ember.bool), ember.ones(2))
    assert x.tolist() == before and x._version == 0


# --- torch-free core ----------------------------------------------------------
def test_core_values_and_grads() -> None:
    x = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    idx = ember.tensor([[2, 2], [0, 1]])
    y = x.gather(1, idx)
    assert y.tolist() == [[3.0, 3.0], [4.0, 5.0]] and y.grad_fn.name() == "GatherBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 2.0], [1.0, 1.0, 0.0]]

    z = ember.zeros(5, requires_grad=True)
    src = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = z.scatter(0, ember.tensor([1, 1, 2]), src)
    assert out.grad_fn.name() == "ScatterBackward0"
    out.backward(ember.arange(5.0))
    assert z.grad.tolist() == [0.0, 0.0, 0.0, 3.0, 4.0] and src.grad.tolist() == [1.0, 1.0, 2.0]

    w = ember.ones(5, requires_grad=True)
    value = ember.tensor(3.0, requires_grad=True)
    filled = w.index_fill(0, ember.tensor([1, 1, 3]), value)
    assert filled.grad_fn.name() == "IndexFillBackward1"
    filled.backward(ember.arange(5.0))
    assert value.grad.item() == 4.0  # each filled position once
    assert w.grad.tolist() == [0.0, 0.0, 2.0, 0.0, 4.0]

    m = ember.tensor([True, False, True, False, False])
    v2 = ember.tensor(3.0, requires_grad=True)
    r = ember.ones(5).masked_fill(m, v2)
    assert r.grad_fn.name() == "MaskedFillBackward1"
    r.backward(ember.arange(5.0))
    assert v2.grad.item() == 2.0

    s = ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    ember.ones(5).masked_scatter(m, s).backward(ember.arange(5.0))
    assert s.grad.tolist() == [0.0, 2.0, 0.0, 0.0, 0.0]

    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 3"):
        x.gather(1, ember.tensor([[5]]))
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(1, ember.tensor([[0.0]]))


def test_scatter_reduce_has_no_gradient() -> None:
    x = ember.ones(3, requires_grad=True)
    with pytest.warns(UserWarning, match="reduce argument"):
        y = x.scatter(0, ember.tensor([0, 0]), ember.tensor([2.0, 3.0]), reduce="multiply")
    assert y.tolist() == [6.0, 1.0, 1.0]
    assert y.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


def test_double_backward_through_gather_and_index_select() -> None:
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.index_select(0, ember.tensor([0, 0, 2])) ** 2).sum()
    g, = ember.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [4.0, 0.0, 6.0]
    h, = ember.autograd.grad(g.sum(), x)
    assert h.tolist() == [4.0, 0.0, 2.0]
    q = (x.unsqueeze(0).gather(1, ember.tensor([[2, 2]])) ** 3).sum()
    g, = ember.autograd.grad(q, x, create_graph=True)
    h, = ember.autograd.grad(g.sum(), x)
    assert h.tolist() == [0.0, 0.0, 36.0]
