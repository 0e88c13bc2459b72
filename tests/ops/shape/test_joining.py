"""Joining, splitting, repeating, flipping and diagonal ops beyond the op table: errors,
argument forms, view semantics and edge cases."""

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
            "s": lib.tensor(1.5), "e": lib.zeros(0, 3), "e1": lib.zeros(0),
            "xi": lib.arange(12).view(3, 4), "lib": lib}


def _outcome(lib: Any, expr: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return eval(expr, {}, _inputs(lib))  # noqa: S307 - test expressions
        except Exception as err:  # noqa: BLE001 - the error is what is compared
            return err


ERRORS = [
    "lib.cat([x, lib.zeros(4, 4)], 1)", "lib.cat([x, v])", "lib.cat([x, s])", "lib.cat([s, s])",
    "lib.cat([x, x], 2)", "lib.cat([])", "lib.cat(x)", "lib.cat([x, lib.zeros(3, 0)], 0)",
    "lib.cat([x, e1, lib.zeros(4, 4)], 1)", "lib.stack([x, v])", "lib.stack([x, x], 3)",
    "lib.stack([])", "lib.hstack([x, v])", "lib.hstack([])", "lib.vstack([])", "lib.dstack([])",
    "lib.column_stack([])", "lib.column_stack([s, v])", "lib.hstack(x)",
    "x.split(0)", "x.split(-1)", "x.split([-1, 4])", "x.split([1, 1])", "x.split(2, 2)",
    "s.split(1)", "x.chunk(0)", "x.chunk(-1)", "s.chunk(1)", "x.tensor_split(0)",
    "x.tensor_split(-1)", "s.tensor_split(1)", "x.tensor_split(lib.tensor([[1]]))",
    "x.tensor_split(lib.tensor([1.0]))", "x.tensor_split(2, 2)", "x.unbind(2)", "s.unbind()",
    "x.narrow(0, 1, 3)", "x.narrow(0, -4, 1)", "x.narrow(0, 4, 0)", "x.narrow(0, 1, -1)",
    "x.narrow(2, 0, 1)", "s.narrow(0, 0, 1)", "x.repeat(2)", "x.repeat(-1, 2)", "x.repeat()",
    "x.repeat(())", "x.tile(-1)", "x.repeat_interleave(-1)", "x.repeat_interleave(2, dim=2)",
    "x.repeat_interleave(lib.tensor([1, 2]), dim=0)",
    "x.repeat_interleave(lib.tensor([1, -2, 1]), dim=0)",
    "x.repeat_interleave(lib.tensor([1.0, 2.0, 1.0]), dim=0)",
    "x.repeat_interleave(lib.tensor([[1, 2, 1]]), dim=0)",
    "x.repeat_interleave(2, dim=0, output_size=5)", "s.repeat_interleave(3, dim=0)",
    "x.flip(0, 0)", "x.flip(2)", "x.flip()", "v.fliplr()", "s.flipud()", "x.roll((1, 2))",
    "x.roll(1, (0, 1))", "x.roll((1, 2), 0)", "x.roll(1, 2)", "s.roll(1, 0)", "x.roll((), ())",
    "v.tril()", "s.triu()", "s.diag()", "x3.diag()", "v.diag_embed(0, 0, 0)",
    "v.diag_embed(0, 0, 2)", "x.diag_embed(0, 3, 2)", "s.diag_embed()",
]


@requires_torch
@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_torch(expr: str) -> None:
    expected, got = _outcome(torch, expr), _outcome(ember, expr)
    assert isinstance(expected, Exception), f"torch accepted {expr}"
    assert type(got) is type(expected), f"{expr}: {got!r} vs {expected!r}"
    if not isinstance(expected, TypeError):  # torch's argument-parser wording is its own
        assert str(got) == torch_message(str(expected))


RESULTS = [
    "lib.cat([x, e1])", "lib.cat([e1, e1])", "lib.cat([e1, x], 1)", "lib.cat([x, xi])",
    "lib.cat([xi, lib.ones(3, 4, dtype=lib.bool)])", "lib.cat([x, lib.zeros(0, 4)])",
    "lib.cat((x, x), dim=-1)", "lib.concatenate([x, x], axis=1)",
    "lib.concatenate([x, x], dim=1)", "lib.stack([x, xi])", "lib.stack([s, s])",
    "lib.stack((x, x), dim=-3)", "lib.hstack([s, s])", "lib.vstack([s, s])",
    "lib.vstack([x, v])", "lib.dstack([s, s])", "lib.column_stack([x, lib.zeros(3)])",
    "lib.column_stack([x3, x3])", "e.split(0)", "e.split(2)", "x.split(5)", "x.split((1, 2))",
    "x.split(split_size=2)", "lib.split(x, split_size_or_sections=2, dim=1)", "x.chunk(5)",
    "lib.zeros(5).chunk(4)", "lib.zeros(6).chunk(4)", "e1.chunk(3)", "e.chunk(2)",
    "lib.chunk(x, 2, 1)", "x.tensor_split(5)", "x.tensor_split([1, 5])",
    "x.tensor_split([3, 1])", "x.tensor_split([-1])", "x.tensor_split([-5])",
    "x.tensor_split(lib.tensor([1, 2]), 1)", "x.tensor_split(lib.tensor(2))",
    "x.tensor_split(indices=[1])", "x.tensor_split(sections=2)", "e.unbind()",
    "x.narrow(0, -1, 1)", "x.narrow(0, 3, 0)", "x.narrow(0, lib.tensor(1), 2)",
    "x.repeat(2, 0)", "xi.repeat(2, 1)", "s.repeat(2)", "s.repeat(())", "x.tile(())",
    "x.tile(2, 2)", "x.tile((0,))", "s.tile(3)", "x.repeat_interleave(0)",
    "x.repeat_interleave(2, dim=-1)", "x.repeat_interleave(lib.tensor(2), dim=0)",
    "x.repeat_interleave(lib.tensor([2]), dim=1)", "x.repeat_interleave(lib.tensor([2]))",
    "x.repeat_interleave(2, dim=0, output_size=6)", "lib.repeat_interleave(lib.tensor([1, 2, 3]))",
    "lib.repeat_interleave(x, 2, 0)", "xi.repeat_interleave(lib.tensor([0, 3, 1]), dim=0)",
    "x.flip([])", "s.flip(())", "x.flip((0, 1))", "x.roll(-5, 1)",
    "s.roll(1)", "e.roll(1, 0)", "e1.roll(1)", "x.roll([1], [0])", "x.tril(10)",
    "x.triu(-10)", "xi.tril()", "x3.tril(1)", "x.diag(4)", "x.diag(-3)", "x.diag(5)",
    "v.diag(2)", "xi.diag()", "x.diag_embed(1, 2, 0)", "v.diag_embed(0, 1, 0)",
    "v.diag_embed(5)", "lib.diag_embed(x, offset=1, dim1=0, dim2=2)",
]


def _same(got: Any, expected: Any) -> None:
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e)
        return
    assert str(got.dtype).replace("ember.", "") == str(expected.dtype).replace("torch.", "")
    assert_close(got, expected)


@requires_torch
@pytest.mark.parametrize("expr", RESULTS)
def test_results_match_torch(expr: str) -> None:
    expected, got = _outcome(torch, expr), _outcome(ember, expr)
    assert not isinstance(expected, Exception), expected
    assert not isinstance(got, Exception), got
    _same(got, expected)


@requires_torch
def test_grad_of_skipped_empty_cat_input() -> None:
    grads = []
    for lib in (torch, ember):
        x, z = lib.ones(2, 3, requires_grad=True), lib.zeros(0, requires_grad=True)
        lib.cat([x, z]).sum().backward()
        grads.append(z.grad)
    assert grads[1] is not None and tuple(grads[1].shape) == tuple(grads[0].shape) == (0,)


# --- torch-free core --------------------------------------------------------------------------
def test_split_views_and_names() -> None:
    x = ember.arange(12.0).view(3, 4).requires_grad_()
    for pieces, name in ((x.split(2), "SplitBackward0"), (x.chunk(2, 1), "SplitBackward0"),
                         (x.split([1, 2]), "SplitWithSizesBackward0"),
                         (x.unbind(1), "UnbindBackward0"),
                         (x.tensor_split(2), "SliceBackward0"),
                         ((x.narrow(1, 1, 2),), "SliceBackward0")):
        for p in pieces:
            assert p.grad_fn.name() == name
            assert np.shares_memory(p._data, x._data)
            assert p._base is x._base


def test_copies_and_names() -> None:
    x = ember.arange(12.0).view(3, 4).requires_grad_()
    cases = {"RepeatBackward0": x.repeat(2, 1), "FlipBackward0": x.flip(0),
             "RollBackward0": x.roll(1), "TrilBackward0": x.tril(), "TriuBackward0": x.triu(),
             "DiagEmbedBackward0": x[0].diag(), "DiagonalBackward0_copy": x.diag(),
             "CatBackward0": ember.hstack([x, x]), "StackBackward0": ember.stack([x, x]),
             "IndexSelectBackward0": x.repeat_interleave(ember.tensor([1, 0, 2]), dim=0),
             "ViewBackward0": x.repeat_interleave(2)}
    for name, y in cases.items():
        assert y.grad_fn.name() == name
        assert not np.shares_memory(y._data, x._data)


def test_values_core() -> None:
    x = ember.tensor([[1, 2], [3, 4]])
    assert x.repeat(1, 2).tolist() == [[1, 2, 1, 2], [3, 4, 3, 4]]
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert x.repeat_interleave(ember.tensor([0, 2]), dim=0).tolist() == [[3, 4], [3, 4]]
    assert x.flip(1).tolist() == [[2, 1], [4, 3]]
    assert ember.roll(x, 1).tolist() == [[4, 1], [2, 3]]
    assert x.tril().tolist() == [[1, 0], [3, 4]]
    assert ember.diag(ember.tensor([1, 2]), 1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    assert x.diag(-1).tolist() == [3]
    assert ember.column_stack([ember.tensor([1, 2]), x]).tolist() == [[1, 1, 2], [2, 3, 4]]
    assert [t.shape[0] for t in ember.zeros(5).tensor_split(3)] == [2, 2, 1]


def test_backward_values_core() -> None:
    x = ember.arange(6.0).view(2, 3).requires_grad_()
    x.repeat(2, 2).sum().backward()
    assert x.grad.tolist() == [[4.0] * 3] * 2
    x.grad = None
    (x.repeat_interleave(ember.tensor([3, 1]), dim=0) * 1).sum().backward()
    assert x.grad.tolist() == [[3.0] * 3, [1.0] * 3]
    x.grad = None
    ember.cat(x.split([1, 1])).mul(ember.arange(6.0).view(2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_cat_errors_core() -> None:
    x = ember.zeros(3, 4)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 1. "
                       "Expected size 3 but got size 4 for tensor number 1 in the list."):
        ember.cat([x, ember.zeros(4, 4)], 1)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims can not be "
                       "smaller than number of dimensions of tensor"):
        x.repeat(2)
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        ember.cat([])
