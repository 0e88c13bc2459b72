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
        with pytest.warns(UserWarning, match="first non-finite values in Log"):
            out = ember.where(m > 0, m.log(), ember.zeros(2))
        with pytest.raises(RuntimeError) as info:
            out.sum().backward()
    text = str(info.value)
    assert text.startswith("Function 'LogBackward0' returned nan values in its 0th output.")
    assert "its input x: (2,) float32: min 0, max 2, 0 NaN, 0 Inf" in text
    assert "0 × ∞ = NaN" in text and "where(cond, x, 1).log()" in text
    assert "the gradient arriving at it: (2,) float32: min 0, max 1, 0 NaN, 0 Inf" in text


def test_infinite_gradient_warns_once() -> None:
    x = ember.tensor([0.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        with pytest.warns(UserWarning, match="Function 'SqrtBackward0' returned inf values in "
                                             "its 0th output") as caught:
            x.sqrt().sum().backward()
    assert any("infinite at x = 0" in str(w.message) for w in caught)
    assert x.grad.tolist()[0] == float("inf")  # torch lets it pass; so does ember


def _line(text: str) -> str:
    import inspect

    frame = inspect.currentframe().f_back
    lines, first = inspect.getsourcelines(frame.f_code)
    number = first + next(i for i, line in enumerate(lines) if text in line)
    return f"{frame.f_code.co_filename}:{number} (`{text}`)"


def test_forward_reports_the_first_non_finite_op_with_statistics_and_the_where_trap() -> None:
    m = ember.tensor([0.0, 2.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        with pytest.warns(UserWarning, match="forward pass produced its first non-finite") as w:
            out = ember.where(m > 0, m.log(), 0.0)
    text = str(w[0].message)
    where = _line("out = ember.where(m > 0, m.log(), 0.0)")
    assert text.startswith("ember anomaly: the forward pass produced its first non-finite values "
                           f"in Log (LogBackward0) at {where}.")
    assert "output: (2,) float32: min 0.6931, max 0.6931, 0 NaN, 1 Inf" in text
    assert "input x: (2,) float32: min 0, max 2, 0 NaN, 0 Inf" in text
    assert "where(cond, x, 1).log()" in text
    assert w[0].filename == __file__  # attributed to the user's line
    assert out.grad_fn is not None


def test_forward_log_of_softmax_and_no_alarm_for_a_minus_inf_mask() -> None:
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    a = ember.tensor([0.3, -0.1], requires_grad=True)
    with ember.autograd.detect_anomaly():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            att = a.masked_fill(ember.tensor([True, False]), float("-inf")).softmax(0)
            ((w + 1) * 2).exp().sum()
        assert not caught  # a -inf fill is given on purpose; finite ops stay quiet
        with pytest.warns(UserWarning, match="Use log_softmax") as found:
            (w * 200).softmax(0).log()
    assert "in Log (LogBackward0)" in str(found[0].message)
    assert att.tolist()[0] == 0.0


def test_forward_check_is_off_without_anomaly_mode() -> None:
    m = ember.tensor([0.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.log()


def test_inplace_change_of_a_saved_tensor_names_the_op_and_lines() -> None:
    x = ember.ones(3, requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.exp()
        z = y * y
        y.mul_(2)
        with pytest.raises(RuntimeError) as info:
            z.sum().backward()
    first, saved, changed = str(info.value).split("\n")
    assert first.startswith("one of the variables needed for gradient computation has been "
                            "modified by an inplace operation: [ember.FloatTensor [3]], which "
                            "is output 0 of Exp, is at version 1; expected version 0 instead.")
    assert saved == ("ember: the tensor was saved at version 0 by MulBackward0, created at "
                     f"{_line('z = y * y')}.")
    assert changed == f"ember: it was modified in place at {_line('y.mul_(2)')} (now version 1)."


def test_inplace_without_anomaly_mode_keeps_torchs_hint_only() -> None:
    x = ember.ones(3, requires_grad=True)
    y = x.exp()
    z = y * y
    y.mul_(2)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert str(info.value).endswith("Hint: enable anomaly detection to find the operation that "
                                    "failed to compute its gradient, with "
                                    "ember.autograd.set_detect_anomaly(True, check_nan=False).")
    from ember import _tensor

    assert _tensor._on_inplace is None  # nothing recorded per in-place op when off
