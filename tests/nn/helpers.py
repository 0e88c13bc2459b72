"""Shared helpers of the nn tests: copy torch modules' state into ember's and compare."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from tests.conftest import assert_close, torch


def copy_state(e_module: Any, t_module: Any) -> None:
    """Loads torch's parameters and buffers into the ember module (strictly, same keys)."""
    state = {k: ember.tensor(v.detach().numpy().copy()) for k, v in t_module.state_dict().items()}
    result = e_module.load_state_dict(state)
    assert repr(result) == "<All keys matched successfully>"


def compare_module(e_module: Any, t_module: Any, *inputs: np.ndarray, rtol: float = 1e-4,
                   atol: float = 1e-5, grad: bool = True) -> None:
    """Runs both modules on the same inputs; compares outputs, input and parameter grads."""
    e_in = [ember.tensor(x, requires_grad=x.dtype.kind == "f" and grad) for x in inputs]
    t_in = [torch.tensor(x, requires_grad=x.dtype.kind == "f" and grad) for x in inputs]
    e_out, t_out = e_module(*e_in), t_module(*t_in)
    assert_close(e_out, t_out, rtol, atol)
    if t_out.grad_fn is not None:
        assert e_out.grad_fn.name() == t_out.grad_fn.name()
    if not grad or not t_out.requires_grad:
        return
    seed = np.random.default_rng(3).standard_normal(t_out.shape).astype(np.float32)
    e_out.backward(ember.tensor(seed))
    t_out.backward(torch.tensor(seed))
    for e, t in zip(e_in, t_in):
        if t.requires_grad:
            assert_close(e.grad, t.grad, rtol, atol)
    e_params = dict(e_module.named_parameters())
    for name, tp in t_module.named_parameters():
        if tp.grad is None:
            assert e_params[name].grad is None
        else:
            assert_close(e_params[name].grad, tp.grad, rtol, atol)
