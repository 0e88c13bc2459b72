"""Why a tensor has no graph: the explanation after torch's 'element 0 of tensors does not
require grad and does not have a grad_fn'."""

from __future__ import annotations

import inspect
import warnings

import pytest

import ember
from tests.conftest import requires_torch, torch, torch_message

FIRST = "element 0 of tensors does not require grad and does not have a grad_fn"


def _error(fn: object) -> list[str]:
    with pytest.raises(RuntimeError) as info:
        fn()  # type: ignore[operator]
    return str(info.value).split("\n")


def _where(fn: object, text: str) -> str:
    lines, first = inspect.getsourcelines(fn)
    number = first + next(i for i, line in enumerate(lines) if text in line)
    return f"{__file__}:{number} (`{text}`)"


def test_made_under_no_grad_names_the_block_and_line() -> None:
    def run() -> None:
        x = ember.ones(3, requires_grad=True)
        with ember.no_grad():
            y = x * 2
        y.sum().backward()

    first, why = _error(run)
    assert first == FIRST
    assert why.startswith("ember: It was computed at ")
    assert f"`y` was computed at {_where(run, 'y = x * 2')} inside `with ember.no_grad()`" in why
    assert "where grad mode is off and no graph is recorded" in why


def test_no_grad_found_through_intermediate_assignments() -> None:
    def run() -> None:
        w = ember.ones(3, requires_grad=True)
        with ember.set_grad_enabled(False):
            h = w * 2
        out = h + 1
        loss = out.mean()
        loss.backward()

    _, why = _error(run)
    assert why.startswith(f"ember: `loss` was computed at {_where(run, 'loss = out.mean()')} "
                          "from `out`. `out` was computed at ")
    assert "`h` was computed at" in why and "inside `with ember.set_grad_enabled(False)`" in why


def test_detach_names_the_line() -> None:
    def run() -> None:
        x = ember.ones(3, requires_grad=True)
        d = x.detach()
        loss = (d * 2).sum()
        loss.backward()

    _, why = _error(run)
    assert "`d` was made by .detach()." in why
    assert f"See {_where(run, 'd = x.detach()')}." in why

    def inline() -> None:
        x = ember.ones(3, requires_grad=True)
        x.detach().sum().backward()

    _, why = _error(inline)
    assert "from `x.detach()`, and .detach() cuts the graph" in why


def test_leaf_that_never_required_grad_names_its_creation() -> None:
    def run() -> None:
        x = ember.randn(3)
        loss = (x ** 2).sum()
        loss.backward()

    _, why = _error(run)
    assert (f"`x` is a leaf created at {_where(run, 'x = ember.randn(3)')} without "
            "requires_grad=True") in why
    assert "call `x.requires_grad_()`" in why


def test_integer_tensor() -> None:
    _, why = _error(lambda: ember.tensor([1, 2, 3]).sum().backward())
    assert why.startswith("ember: it is an integer or bool tensor (ember.int64); only floating "
                          "point and complex tensors can require gradients")


def test_requires_grad_false_names_the_call() -> None:
    def run() -> None:
        x = ember.ones(3, requires_grad=True)
        x.requires_grad_(False)
        loss = (x * 3).sum()
        loss.backward()

    _, why = _error(run)
    assert "`x` was set to requires_grad=False (requires_grad_(False))" in why
    assert f"See {_where(run, 'x.requires_grad_(False)')}." in why


def test_the_kind_of_cause_is_recorded_without_a_stack() -> None:
    x = ember.ones(3, requires_grad=True)
    d = x.detach()
    assert d._why == "made by .detach()" and getattr(d, "_why_at", None) is None
    assert x.data._why == "read through .data"
    y = ember.ones(2, requires_grad=True).requires_grad_(False)
    assert y._why.startswith("set to requires_grad=False")
    assert getattr(ember.ones(2), "_why", None) is None  # nothing on ordinary tensors


def test_anomaly_mode_records_the_line_where_history_was_cut() -> None:
    x = ember.ones(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ember.autograd.detect_anomaly():
            d = x.detach()
    assert d._why_at.endswith(f"test_diagnostics.py:{inspect.currentframe().f_lineno - 1}")
    _, why = _error(lambda: d.backward(ember.ones(3)))
    assert why.startswith(f"ember: it was made by .detach() at {d._why_at}.")


def test_without_source_a_general_explanation() -> None:
    namespace: dict = {"ember": ember}
    code = "x = ember.ones(2)\ny = x * 2\ny.sum().backward()"
    with pytest.raises(RuntimeError) as info:
        exec(compile(code, "<no source>", "exec"), namespace)  # noqa: S102
    first, why = str(info.value).split("\n")
    assert first == FIRST
    assert why.startswith("ember: it has no history. Either it was computed while grad mode was "
                          "off")


@requires_torch
def test_first_line_is_torchs_message() -> None:
    cases = [lambda lib: lib.ones(2).sum(), lambda lib: lib.ones(2, requires_grad=True).detach(),
             lambda lib: lib.tensor([1, 2]).sum()]
    for make in cases:
        with pytest.raises(RuntimeError) as theirs:
            make(torch).sum().backward()
        with pytest.raises(RuntimeError) as ours:
            make(ember).sum().backward()
        assert str(ours.value).split("\n")[0] == torch_message(str(theirs.value))
