"""CPU autocast: which ops run in the lower dtype, which in float32, and the graph they record,
compared with torch's CPU autocast."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from tests.conftest import requires_torch, torch

A = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
W = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)

CASES = {
    "matmul": lambda L, a, w: a @ w.t(),
    "matmul 3d": lambda L, a, w: a.unsqueeze(0).expand(2, 3, 4) @ w.t(),
    "mm": lambda L, a, w: L.mm(a, w.t()),
    "bmm": lambda L, a, w: L.bmm(a.unsqueeze(0), w.t().unsqueeze(0)),
    "addmm": lambda L, a, w: L.addmm(L.zeros(5), a, w.t()),
    "baddbmm": lambda L, a, w: L.baddbmm(L.zeros(1, 3, 5), a.unsqueeze(0), w.t().unsqueeze(0)),
    "linear": lambda L, a, w: L.nn.functional.linear(a, w),
    "linear bias": lambda L, a, w: L.nn.functional.linear(a, w, w[:, 0]),
    "Linear module": lambda L, a, w: L.nn.Linear(4, 5)(a),
    "conv1d": lambda L, a, w: L.nn.functional.conv1d(a.t().unsqueeze(0), w.unsqueeze(-1)),
    "conv2d": lambda L, a, w: L.nn.functional.conv2d(a.reshape(1, 1, 3, 4), w[:2, :2].reshape(
        1, 1, 2, 2)),
    "prelu": lambda L, a, w: L.nn.functional.prelu(a, L.tensor([0.25])),
    "sdpa": lambda L, a, w: L.nn.functional.scaled_dot_product_attention(a, a, a),
    "add (not listed)": lambda L, a, w: a + 1,
    "exp (not listed)": lambda L, a, w: a.exp(),
    "softmax of lowered": lambda L, a, w: (a @ w.t()).softmax(-1),
    "relu of lowered": lambda L, a, w: (a @ w.t()).relu(),
    "mse_loss": lambda L, a, w: L.nn.functional.mse_loss(a @ w.t(), L.zeros(3, 5)),
    "l1_loss": lambda L, a, w: L.nn.functional.l1_loss(a @ w.t(), L.zeros(3, 5)),
    "cross_entropy": lambda L, a, w: L.nn.functional.cross_entropy(a @ w.t(), L.tensor([0, 1, 2])),
    "nll_loss": lambda L, a, w: L.nn.functional.nll_loss(a @ w.t(), L.tensor([0, 1, 2])),
    "bce_with_logits": lambda L, a, w: L.nn.functional.binary_cross_entropy_with_logits(
        a @ w.t(), L.zeros(3, 5)),
    "cat": lambda L, a, w: L.cat([a @ w.t(), L.zeros(3, 5)]),
    "stack": lambda L, a, w: L.stack([a @ w.t(), L.zeros(3, 5)]),
}


def _run(lib, case: str, dtype_name: str) -> tuple:
    a = lib.tensor(A, requires_grad=True)
    w = lib.tensor(W)
    with lib.autocast("cpu", dtype=getattr(lib, dtype_name)):
        out = CASES[case](lib, a, w)
    if case == "sdpa":  # torch's math kernel adds casts of its own inside; dtype only
        return str(out.dtype).split(".")[-1]
    fn = out.grad_fn
    # the casts autocast recorded (ToCopyBackward0) on the inputs that need grad
    return (str(out.dtype).split(".")[-1], type(fn).__name__,
            [type(n).__name__ for n, _ in fn.next_functions if n is not None])


@requires_torch
@pytest.mark.parametrize("dtype_name", ["bfloat16", "float16"])
@pytest.mark.parametrize("case", list(CASES))
def test_dtypes_and_graph_match_torch(case: str, dtype_name: str) -> None:
    ember.manual_seed(0)
    torch.manual_seed(0)
    assert _run(ember, case, dtype_name) == _run(torch, case, dtype_name)


@requires_torch
def test_gradients_flow_back_in_float32() -> None:
    grads = []
    for lib in (ember, torch):
        a = lib.tensor(A, requires_grad=True)
        with lib.autocast("cpu"):
            loss = (a @ lib.tensor(W).t()).float().sum()
        loss.backward()
        grads.append(a.grad)
    assert grads[0].dtype is ember.float32
    np.testing.assert_allclose(grads[0].numpy(), grads[1].numpy(), rtol=1e-2, atol=1e-2)


def test_state_and_queries_torch_free() -> None:
    assert not ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled()
    assert ember.get_autocast_dtype("cpu") is ember.bfloat16
    assert ember.get_autocast_dtype("cuda") is ember.float16
    x = ember.ones(2, 3)
    with ember.autocast("cpu", dtype=ember.float16):
        assert ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled()
        assert (x @ x.t()).dtype is ember.float16 and (x + 1).dtype is ember.float32
        with ember.autocast("cpu", enabled=False):
            assert (x @ x.t()).dtype is ember.float32
        assert (x @ x.t()).dtype is ember.float16
    assert not ember.is_autocast_enabled("cpu")

    @ember.autocast("cpu")
    def product(t):
        return t @ t.t()

    assert product(x).dtype is ember.bfloat16
    with ember.amp.autocast(device_type="cpu"):
        assert ember.is_autocast_enabled("cpu")
    with pytest.warns(DeprecationWarning):
        assert ember.is_autocast_cpu_enabled() is False
    with pytest.warns(DeprecationWarning):
        assert ember.get_autocast_cpu_dtype() is ember.bfloat16
    with pytest.warns(DeprecationWarning):
        assert ember.get_autocast_gpu_dtype() is ember.float16


def test_unavailable_regions_warn_and_do_nothing() -> None:
    x = ember.ones(2, 2)
    with pytest.warns(UserWarning, match="CUDA is not available"):
        region = ember.autocast("cuda")
    with region:
        assert (x @ x).dtype is ember.float32 and not ember.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="target dtype is not supported"):
        region = ember.autocast("cpu", dtype=ember.float64)
    with region:
        assert (x @ x).dtype is ember.float32
    with pytest.warns(FutureWarning, match="deprecated"):
        region = ember.cuda.amp.autocast()
    with region:
        assert (x @ x).dtype is ember.float32
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ember.autocast("foo")
    with pytest.raises(TypeError):
        ember.autocast()  # device_type is required, as in torch


def test_custom_fwd_casts_inputs() -> None:
    class Double(ember.autograd.Function):
        @staticmethod
        @ember.amp.custom_fwd(device_type="cpu", cast_inputs=ember.float32)
        def forward(ctx, t):
            assert not ember.is_autocast_enabled("cpu")
            return t * 2

        @staticmethod
        @ember.amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            return grad * 2

    x = ember.ones(2, dtype=ember.bfloat16, requires_grad=True)
    with ember.autocast("cpu"):
        assert Double.apply(x).dtype is ember.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Double.apply(x).dtype is ember.bfloat16  # outside a region: untouched
