"""Tests generated from the op table: every primitive's samples get

* float64 finite-difference gradcheck and second-order gradgradcheck (no torch needed);
* when torch is installed: values, dtypes, gradients and grad_fn names against torch, in
  float32 and float64.

Adding an op with ``@op(samples=...)`` adds its cases here; nothing else to write.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.ops._op import REGISTRY
from tests.conftest import assert_close, requires_torch, to_ember, to_torch, torch


def _cases() -> list:
    cases = []
    for name, cls in sorted(REGISTRY.items()):
        if cls.samples is None:
            continue
        for i, sample in enumerate(cls.samples(cls)):
            cases.append(pytest.param(cls, sample, id=f"{name}-{sample.name or i}"))
    return cases


CASES = _cases()


def _tensors(out: Any) -> list:
    items = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in items if hasattr(o, "requires_grad")]


def _diff_inputs(inputs: tuple) -> list:
    return [x for x in inputs if hasattr(x, "requires_grad") and x.requires_grad]


@pytest.mark.parametrize(("cls", "sample"), CASES)
def test_gradcheck(cls: Any, sample: Any) -> None:
    if not sample.gradcheck:
        pytest.skip("sample sits at a kink: checked against torch only")
    inputs = tuple(to_ember(x, ember.float64, requires_grad=None if i not in sample.nondiff
                            else False) for i, x in enumerate(sample.inputs))
    if not _diff_inputs(inputs):
        pytest.skip("no differentiable input")
    assert ember.autograd.gradcheck(lambda *xs: sample.call(ember, *xs), inputs)


@pytest.mark.parametrize(("cls", "sample"), CASES)
def test_gradgradcheck(cls: Any, sample: Any) -> None:
    if not sample.gradcheck:
        pytest.skip("sample sits at a kink: checked against torch only")
    inputs = tuple(to_ember(x, ember.float64, requires_grad=None if i not in sample.nondiff
                            else False) for i, x in enumerate(sample.inputs))
    if not _diff_inputs(inputs):
        pytest.skip("no differentiable input")
    outs = _tensors(sample.call(ember, *inputs))
    if not any(o.requires_grad for o in outs):
        pytest.skip("output not differentiable")
    assert ember.autograd.gradgradcheck(lambda *xs: sample.call(ember, *xs), inputs)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("cls", "sample"), CASES)
def test_matches_torch(cls: Any, sample: Any, dtype: str) -> None:
    e_dtype = getattr(ember, dtype)
    t_dtype = getattr(torch, dtype)

    def grad_flag(i: int) -> bool | None:
        return False if i in sample.nondiff else None

    e_in = tuple(to_ember(x, e_dtype, grad_flag(i)) for i, x in enumerate(sample.inputs))
    t_in = tuple(to_torch(x, e_dtype, grad_flag(i)) for i, x in enumerate(sample.inputs))
    e_out, t_out = _tensors(sample.call(ember, *e_in)), _tensors(sample.call(torch, *t_in))
    assert len(e_out) == len(t_out)
    rtol, atol = (1e-4, 1e-5) if dtype == "float32" else (1e-10, 1e-12)
    for e, t in zip(e_out, t_out):
        assert str(e.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", "")
        assert_close(e, t, rtol=rtol, atol=atol)
        assert e.requires_grad == t.requires_grad
        if t.grad_fn is not None:
            assert e.grad_fn is not None and e.grad_fn.name() == t.grad_fn.name()
    # backward with the same random output gradient
    rng = np.random.default_rng(1)
    pairs = [(e, t) for e, t in zip(e_out, t_out) if t.requires_grad]
    if not pairs:
        return
    seeds = [rng.standard_normal(t.shape) for _, t in pairs]
    e_diff = [x for x in e_in if hasattr(x, "requires_grad") and x.requires_grad]
    t_diff = [x for x in t_in if hasattr(x, "requires_grad") and x.requires_grad]
    e_grads = ember.autograd.grad([e for e, _ in pairs], e_diff,
                                  [ember.tensor(s.astype(e_dtype.np)) for s in seeds],
                                  allow_unused=True)
    t_grads = torch.autograd.grad([t for _, t in pairs], t_diff,
                                  [torch.tensor(s, dtype=t_dtype) for s in seeds],
                                  allow_unused=True)
    for eg, tg in zip(e_grads, t_grads):
        assert (eg is None) == (tg is None)
        if tg is not None:
            assert str(eg.dtype).replace("ember.", "") == str(tg.dtype).replace("torch.", "")
            assert_close(eg, tg, rtol=rtol, atol=atol)
