"""Anomaly mode's explanations: the first NaN/Inf with statistics, lines and the known traps."""

from __future__ import annotations

import warnings

import pytest

import ember


@pytest.fixture(autouse=True)
def _quiet_anomaly_warning() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Anomaly Detection has been enabled")
        yield


def test_sqrt_at_zero_is_explained() -> None:
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.sqrt() * 0.0
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    text = str(info.value)
    assert text.startswith("Function 'SqrtBackward0' returned nan values in its 0th output.")
    assert "ember: SqrtBackward0 was created by the forward call at " in text
    assert "(`y = x.sqrt() * 0.0`)" in text
    assert "its output: (2,) float32: min 0, max 1, 0 NaN, 0 Inf" in text
    assert "sqrt's derivative 1/(2·sqrt(x)) is infinite at x = 0" in text


def test_where_of_log_trap_is_explained() -> None:
    m = ember.tensor([0.0, 2.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        out = ember.where(m > 0, m.log(), ember.zeros(2))
        with pytest.raises(RuntimeError) as info:
            out.sum().backward()
    text = str(info.value)
    assert text.startswith("Function 'LogBackward0' returned nan values in its 0th output.")
    assert "its input x: (2,) float32: min 0, max 2, 0 NaN, 0 Inf" in text
    assert "0 × ∞ = NaN" in text and "where(cond, x, 1).log()" in text


def test_infinite_gradient_warns_once() -> None:
    x = ember.tensor([0.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        with pytest.warns(UserWarning, match="Function 'SqrtBackward0' returned inf values in "
                                             "its 0th output") as caught:
            x.sqrt().sum().backward()
    assert any("infinite at x = 0" in str(w.message) for w in caught)
    assert x.grad.tolist()[0] == float("inf")  # torch lets it pass; so does ember
