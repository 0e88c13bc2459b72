"""Anomaly mode, checkpointing, the profiler, saved-tensor hooks and node hooks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.utils.checkpoint import checkpoint
from tests.conftest import assert_close


def test_anomaly_mode_names_the_node_and_the_forward_line() -> None:
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ember.autograd.detect_anomaly():
            y = x.sqrt() * 0.0  # sqrt'(0) = inf, times 0 -> nan
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan "
                                                   "values in its 0th output") as info:
                y.sum().backward()
    assert "test_debugging.py" in str(info.value)  # where the forward op was called


def test_anomaly_mode_off_by_default() -> None:
    x = ember.tensor([0.0], requires_grad=True)
    (x.sqrt() * 0.0).sum().backward()
    assert np.isnan(x.grad.item())


def test_checkpoint_recomputes_and_matches() -> None:
    rng = np.random.default_rng(0)
    w = ember.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    x = ember.tensor(rng.standard_normal((2, 3)), requires_grad=True)

    def block(t: ember.Tensor) -> ember.Tensor:
        return (t @ w).tanh() @ w

    block(x).sum().backward()
    expected_w, expected_x = w.grad.clone(), x.grad.clone()
    w.grad = x.grad = None
    out = checkpoint(block, x, use_reentrant=True)
    assert out.grad_fn.name() == "CheckpointFunctionBackward"
    out.sum().backward()
    assert_close(w.grad, expected_w) and assert_close(x.grad, expected_x)
    w.grad = None
    checkpoint(block, x.detach(), use_reentrant=False).sum().backward()
    assert_close(w.grad, expected_w)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(block, x)


def test_profiler_counts_forward_and_backward() -> None:
    x = ember.randn(3, 4, requires_grad=True)
    with ember.autograd.profiler.profile(use_cuda=False) as prof:
        with ember.autograd.profiler.record_function("block"):
            y = (x * 2).sum()
        y.backward()
    stats = {e.key: e for e in prof.key_averages()}
    assert stats["ember::mul"].count >= 1 and stats["MulBackward0"].count == 1
    assert stats["block"].count == 1
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    assert "Self CPU %" in table and "# of Calls" in table and "Self CPU time total" in table
    assert len(table.splitlines()) == 3 + 3 + 2


def test_saved_tensors_hooks() -> None:
    packed = []

    def pack(t: ember.Tensor) -> ember.Tensor:
        packed.append(t.shape)
        return t

    x = ember.ones(2, requires_grad=True)
    with ember.autograd.graph.saved_tensors_hooks(pack, lambda t: t * 1):
        y = (x * x).sum()
    y.backward()
    assert packed and x.grad.tolist() == [2.0, 2.0]


def test_node_hooks_and_metadata() -> None:
    x = ember.ones(2, requires_grad=True)
    y = x * 3
    calls = []
    y.grad_fn.register_prehook(lambda grad_outputs: calls.append("pre"))
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: calls.append("post"))
    y.grad_fn.metadata["note"] = "kept"
    assert y.grad_fn.metadata == {"note": "kept"}
    y.sum().backward()
    assert calls == ["pre", "post"]
