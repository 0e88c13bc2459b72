"""Shape ops beyond the op table: errors, view semantics, warnings and argument forms."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message


def _inputs(lib: Any) -> dict:
    rng = np.random.default_rng(0)
    return {"x": lib.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
            "x3": lib.tensor(rng.standard_normal((2, 3, 4)).astype(np.float32)),
            "v": lib.tensor(rng.standard_normal(4).astype(np.float32)),
            "s": lib.tensor(1.5), "e": lib.zeros(0, 3), "xi": lib.arange(12).view(3, 4),
            "xd": lib.zeros(3, 4, dtype=lib.float64), "lib": lib}


ERRORS = [
    "x.view(3, 5)", "x.view(-1, 5)", "x.view(-1, -1)", "x.view(-2, 6)", "e.view(-1, 0)",
    "x.view(())", "x.reshape(3, 5)", "x.t().view(12)", "x.view(2.5, 4)",
    "x.flatten(1, 0)", "x.flatten(2)", "x.unflatten(1, (3,))", "x.unflatten(1, ())",
    "x.unflatten(2, (2, 2))", "x.unflatten(1, (5, -1))", "x.unflatten(1, (0, -1))",
    "x.transpose(0, 2)", "x3.t()", "v.mT", "v.mH", "v.H", "x3.H", "v.adjoint()",
    "x.permute(0)", "x.permute(0, 0)", "x.permute(0, 2)", "x.squeeze(2)", "x.squeeze((0, 0))",
    "s.squeeze(1)", "x.unsqueeze(3)", "x.unsqueeze(-4)", "x.expand(2)", "xd.expand(2)",
    "xi.expand(2)", "x.expand(-1, 3, 4)", "x.expand(2, -1, 3, 4)", "x.expand(3, 5)",
    "x.expand(-2, 4)", "x.expand_as(v)", "lib.broadcast_to(x, (3, 5))",
    "lib.broadcast_tensors(x, lib.zeros(3))", "lib.broadcast_shapes((3,), (4,))",
    "x.movedim((0, 1), (1,))", "x.movedim((0, -2), (1, 0))", "x.movedim((0, 1), (-1, -1))",
    "x.movedim(0, 2)", "x.diagonal(0, 0, 0)", "x.diagonal(0, 0, -2)", "x.diagonal(0, 0, 2)",
    "v.diagonal()", "s.diagonal()", "x.transpose(0.0, 1)",
]


def _outcome(lib: Any, expr: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return eval(expr, {}, _inputs(lib))  # noqa: S307 - test expressions
        except Exception as err:  # noqa: BLE001 - the error is what is compared
            return err


@requires_torch
@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr: str) -> None:
    expected = _outcome(torch, expr)
    got = _outcome(ember, expr)
    assert isinstance(expected, Exception), f"torch accepted {expr}"
    assert type(got) is type(expected), f"{expr}: {got!r} vs {expected!r}"
    if not isinstance(expected, TypeError):  # torch's argument-parser wording is its own
        assert str(got) == torch_message(str(expected)).split("\nException raised")[0]


SHAPES = [
    "x.view(-1)", "x.view([2, 6])", "x.view((2, 6))", "x.view(lib.Size([12]))", "s.view(())",
    "s.view(1, 1)", "e.view(-1)", "x.view(3, lib.tensor(4))", "x.flatten(0, 0)",
    "s.flatten()", "x3.flatten(1)", "x.unflatten(-1, (2, -1))", "x.unflatten(1, [2, 2])",
    "x.ravel()", "x.t().ravel()", "s.ravel()", "s.transpose(0, 0)", "s.t()", "v.t()",
    "x.H", "x.adjoint()", "x3.mH", "x.permute([1, 0])", "x.permute(1, -2)",
    "s.squeeze(0)", "x.squeeze(())", "lib.zeros(1, 3, 1).squeeze((0, 2))",
    "x.unsqueeze(-3)", "x.expand(2, -1, 4)", "lib.zeros(3, 1).expand(3, 0)",
    "lib.broadcast_to(v, (3, 4))", "lib.broadcast_shapes((3, 1), (4,))",
    "lib.broadcast_shapes(2, (3, 1))", "lib.broadcast_shapes()", "x.movedim([0], [1])",
    "x3.movedim((0, 1), (1, 2))", "lib.moveaxis(x3, 0, -1)", "lib.swapdims(x, 0, 1)",
    "x3.diagonal(1, -1, 0)", "x.diagonal(-5)", "lib.diagonal(x3, 0, 0, 2)",
    "lib.atleast_1d(s)", "lib.atleast_2d(v)", "lib.atleast_3d(v)", "lib.atleast_3d(x)",
    "lib.atleast_3d(x3.view(2, 3, 2, 2))",
]


def _shape_of(out: Any) -> Any:
    if hasattr(out, "shape"):
        return tuple(out.shape)
    if isinstance(out, (ember.Size, torch.Size)):
        return tuple(out)
    return [_shape_of(o) for o in out]


@requires_torch
@pytest.mark.parametrize("expr", SHAPES)
def test_shapes_match_torch(expr: str) -> None:
    expected, got = _outcome(torch, expr), _outcome(ember, expr)
    assert not isinstance(expected, Exception), expected
    assert not isinstance(got, Exception), got
    assert _shape_of(got) == _shape_of(expected)
    if hasattr(expected, "dtype"):
        assert_close(got, expected)


@requires_torch
@pytest.mark.parametrize("expr", ["v.T", "s.T", "s.mT", "s.adjoint()"])
def test_deprecation_warnings(expr: str) -> None:
    for lib in (torch, ember):
        with pytest.warns(UserWarning):
            eval(expr, {}, _inputs(lib))  # noqa: S307


# --- torch-free core --------------------------------------------------------------------------
VIEWS = ["t.view(6, 2)", "t.reshape(-1)", "t.flatten()", "t.unflatten(1, (2, 2))", "t.ravel()",
         "t.transpose(0, 1)", "t.t()", "t.T", "t.mT", "t.permute(1, 0)", "t.movedim(0, 1)",
         "t.unsqueeze(0)", "t.unsqueeze(0).squeeze()", "t.unsqueeze(0).squeeze(0)",
         "t[:1].expand(5, 4)", "t.diagonal()", "t.diagonal(1)", "t.expand(3, 4)",
         "ember.atleast_2d(t)", "ember.atleast_3d(t)", "t.view_as(t)"]


@pytest.mark.parametrize("expr", VIEWS)
def test_views_share_storage_and_version(expr: str) -> None:
    t = ember.arange(12.0).view(3, 4)
    base = t._base
    y = eval(expr)  # noqa: S307
    assert np.shares_memory(y._data, t._data)
    assert y._base is (base if base is not None else t)
    before = y._version
    t.add_(1)
    assert y._version == before + 1


def test_copies_do_not_share() -> None:
    t = ember.arange(12.0).view(3, 4)
    for y in (t.t().reshape(-1), t.t().ravel(), t.t().contiguous(), t.clone()):
        assert not np.shares_memory(y._data, t._data)
    assert t.contiguous() is t
    assert ember.atleast_1d(t) is t


def test_diagonal_writes_through() -> None:
    t = ember.zeros(3, 4)
    d = t.diagonal(1)
    d[:] = 1.0
    assert t.tolist()[0] == [0.0, 1.0, 0.0, 0.0]
    assert t.tolist()[2] == [0.0, 0.0, 0.0, 1.0]


def test_diagonal_backward_and_double_backward() -> None:
    x = ember.arange(12.0).view(3, 4).requires_grad_()
    (g,) = ember.autograd.grad(x.diagonal(1).sum(), x)
    assert g.tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    (g,) = ember.autograd.grad((x.diagonal(1) ** 2).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "DiagonalBackwardBackward0"
    (gg,) = ember.autograd.grad(g.sum(), x)
    assert gg.tolist() == [[0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2]]


def test_reshape_errors_core() -> None:
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"shape '\[3, 5\]' is invalid for input of size 12"):
        x.view(3, 5)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        x.transpose(0, 2)
    with pytest.raises(TypeError):
        x.view(2.5, 4)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(12)


def test_broadcast_tensors_returns_same_tensor() -> None:
    a, b = ember.zeros(3, 4), ember.zeros(4)
    out = ember.broadcast_tensors(a, b)
    assert isinstance(out, tuple) and out[0] is a and out[1].shape == (3, 4)
    assert ember.broadcast_tensors() == ()
    assert ember.broadcast_shapes((3, 1), (4,)) == ember.Size([3, 4])


def test_atleast_forms() -> None:
    s, v = ember.tensor(1.0), ember.zeros(2)
    assert isinstance(ember.atleast_1d(s, v), tuple)
    assert isinstance(ember.atleast_1d([s]), tuple)
    assert ember.atleast_1d() == ()
    assert ember.atleast_3d(v).shape == (1, 2, 1)


def test_grad_fn_names_core() -> None:
    x = ember.zeros(3, 4, requires_grad=True)
    assert x.unflatten(1, (2, 2)).grad_fn.name() == "ViewBackward0"
    assert x.t().ravel().grad_fn.name() == "ViewBackward0"
    assert x.t().reshape(-1).grad_fn.name() == "UnsafeViewBackward0"
    assert x.movedim(0, 1).grad_fn.name() == "PermuteBackward0"
    assert x.H.grad_fn.name() == "TransposeBackward0"
    assert x.expand(3, 4).grad_fn.name() == "ExpandBackward0"
    assert x.diagonal().grad_fn.name() == "DiagonalBackward0"
