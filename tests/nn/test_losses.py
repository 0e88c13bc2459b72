"""Losses (modules and functional forms) against torch, plus float64 gradchecks."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3))
T = rng.standard_normal((4, 3))
P = rng.uniform(0.05, 0.95, (4, 3))
Q = rng.uniform(0.0, 1.0, (4, 3))
LOGITS = rng.standard_normal((4, 5, 2))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
IDX = np.array([[0, 4], [2, 2], [1, -100], [3, 0]])
W5 = rng.uniform(0.5, 1.5, 5)


def _lib_tensor(lib: Any, a: np.ndarray) -> Any:
    return lib.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a)


# (functional call, inputs; float inputs before "|" require grad)
CASES: list[tuple[str, Any, tuple]] = []
for red in ("mean", "sum", "none"):
    CASES += [
        (f"mse-{red}", lambda F, a, b, r=red: F.mse_loss(a, b, reduction=r), (X, T)),
        (f"l1-{red}", lambda F, a, b, r=red: F.l1_loss(a, b, reduction=r), (X, T)),
        (f"smoothl1-{red}", lambda F, a, b, r=red: F.smooth_l1_loss(a, b, reduction=r,
                                                                   beta=0.5), (X, T)),
        (f"huber-{red}", lambda F, a, b, r=red: F.huber_loss(a, b, reduction=r, delta=0.7),
         (X, T)),
        (f"bce-{red}", lambda F, a, b, r=red: F.binary_cross_entropy(a, b, reduction=r), (P, Q)),
        (f"bcelogits-{red}", lambda F, a, b, r=red: F.binary_cross_entropy_with_logits(
            a, b, reduction=r), (X, Q)),
        (f"ce-{red}", lambda F, a, t, r=red: F.cross_entropy(a, t, reduction=r), (LOGITS, IDX)),
        (f"ce-probs-{red}", lambda F, a, t, r=red: F.cross_entropy(a, t, reduction=r),
         (LOGITS, PROBS)),
        (f"ce-smooth-{red}", lambda F, a, t, r=red: F.cross_entropy(
            a, t, reduction=r, label_smoothing=0.2), (LOGITS, IDX)),
        (f"ce-smooth-weight-{red}", lambda F, a, t, w, r=red: F.cross_entropy(
            a, t, w, reduction=r, label_smoothing=0.2), (LOGITS, IDX, W5)),
        (f"ce-probs-smooth-weight-{red}", lambda F, a, t, w, r=red: F.cross_entropy(
            a, t, w, reduction=r, label_smoothing=0.3), (LOGITS, PROBS, W5)),
        (f"nll-{red}", lambda F, a, t, r=red: F.nll_loss(a, t, reduction=r), (LOGITS, IDX)),
    ]
for red in ("mean", "sum", "none", "batchmean"):
    CASES += [
        (f"kl-{red}", lambda F, a, b, r=red: F.kl_div(a, b, reduction=r), (X, Q)),
        (f"kl-log-{red}", lambda F, a, b, r=red: F.kl_div(a, b, reduction=r, log_target=True),
         (X, T)),
    ]
CASES += [
    ("bce-weight", lambda F, a, b, w: F.binary_cross_entropy(a, b, w), (P, Q, Q[0])),
    ("bcelogits-weights", lambda F, a, b, w, pw: F.binary_cross_entropy_with_logits(
        a, b, w, pos_weight=pw), (X, Q, Q[1], P[0])),
    ("ce-1d", lambda F, a, t: F.cross_entropy(a, t), (X[0], np.array(2))),
    ("ce-weight-ignore", lambda F, a, t, w: F.cross_entropy(a, t, w, ignore_index=4),
     (LOGITS, IDX.clip(0), W5)),
    ("ce-smooth-ignore-only", lambda F, a, t: F.cross_entropy(a, t, label_smoothing=0.1,
                                                               ignore_index=2),
     (LOGITS, IDX.clip(0))),
    ("smoothl1-beta0", lambda F, a, b: F.smooth_l1_loss(a, b, beta=0.0), (X, T)),
]


@requires_torch
@pytest.mark.parametrize(("name", "call", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(name: str, call: Any, inputs: tuple) -> None:
    def make(lib: Any) -> list:
        out = [_lib_tensor(lib, a) for a in inputs]
        for i in range(min(2, len(out))):  # input and target may both require grad
            if out[i].dtype == lib.float32 and not (name.startswith("bce-w") and i > 1):
                out[i].requires_grad_(True)
        return out

    e_in, t_in = make(ember), make(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_out = call(ember.nn.functional, *e_in)
        t_out = call(torch.nn.functional, *t_in)
    assert_close(e_out, t_out, 1e-4, 1e-5)
    assert e_out.grad_fn.name() == t_out.grad_fn.name()
    seed = rng.standard_normal(t_out.shape).astype(np.float32)
    e_out.backward(ember.tensor(seed))
    t_out.backward(torch.tensor(seed))
    for e, t in zip(e_in, t_in):
        if t.requires_grad:
            assert_close(e.grad, t.grad, 1e-4, 1e-5)


@pytest.mark.parametrize(("name", "call", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_loss_gradcheck_float64(name: str, call: Any, inputs: tuple) -> None:
    if "bce" in name and "logits" not in name:
        inputs = inputs  # probabilities stay inside (0, 1) under the finite differences
    tensors = [ember.tensor(a) for a in inputs]
    tensors[0].requires_grad_(True)

    def fn(x: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(ember.nn.functional, x, *tensors[1:])

    assert ember.autograd.gradcheck(fn, (tensors[0],))
    if "smoothl1" not in name and "huber" not in name and "l1" not in name:
        assert ember.autograd.gradgradcheck(fn, (tensors[0],))


@requires_torch
@pytest.mark.parametrize("source", [
    "nn.MSELoss()", "nn.L1Loss(reduction='sum')", "nn.SmoothL1Loss(beta=0.5)",
    "nn.HuberLoss(delta=2.0)", "nn.BCELoss()", "nn.KLDivLoss(reduction='batchmean')",
])
def test_loss_modules(source: str) -> None:
    e, t = eval(source, {"nn": ember.nn}), eval(source, {"nn": torch.nn})
    assert repr(e) == repr(t)
    a, b = (P, Q) if "BCE" in source else (X, Q)
    assert_close(e(ember.tensor(a), ember.tensor(b)), t(torch.tensor(a), torch.tensor(b)),
                 1e-6, 1e-8)


@requires_torch
def test_weighted_loss_modules() -> None:
    w = W5.astype(np.float32)
    e = ember.nn.CrossEntropyLoss(weight=ember.tensor(w), label_smoothing=0.1)
    t = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1)
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
    x = LOGITS.astype(np.float32)
    assert_close(e(ember.tensor(x), ember.tensor(IDX)), t(torch.tensor(x), torch.tensor(IDX)))
    e = ember.nn.BCEWithLogitsLoss(pos_weight=ember.tensor(w[:3]))
    t = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w[:3]))
    assert list(e.state_dict()) == list(t.state_dict())
    assert_close(e(ember.tensor(X), ember.tensor(Q)), t(torch.tensor(X), torch.tensor(Q)))
    e = ember.nn.NLLLoss(ignore_index=1)
    assert_close(e(ember.tensor(x), ember.tensor(IDX.clip(0))),
                 torch.nn.NLLLoss(ignore_index=1)(torch.tensor(x), torch.tensor(IDX.clip(0))))


@requires_torch
@pytest.mark.parametrize(("call", "error"), [
    (lambda F, lib: F.mse_loss(lib.zeros(3), lib.zeros(3), reduction="foo"), ValueError),
    (lambda F, lib: F.binary_cross_entropy(lib.zeros(3) + 2, lib.zeros(3)), RuntimeError),
    (lambda F, lib: F.binary_cross_entropy(lib.zeros(3), lib.zeros(3, 1)), ValueError),
    (lambda F, lib: F.binary_cross_entropy_with_logits(lib.zeros(3), lib.zeros(3, 1)),
     ValueError),
    (lambda F, lib: F.binary_cross_entropy(lib.zeros(3), lib.zeros(3),
                                           lib.ones(3, requires_grad=True)), RuntimeError),
    (lambda F, lib: F.smooth_l1_loss(lib.zeros(3), lib.zeros(3), beta=-1.0), RuntimeError),
    (lambda F, lib: F.huber_loss(lib.zeros(3), lib.zeros(3), delta=0.0), RuntimeError),
    (lambda F, lib: F.cross_entropy(lib.zeros(3, 4), lib.zeros(3, 5)), RuntimeError),
    (lambda F, lib: F.kl_div(lib.zeros(3), lib.zeros(3), reduction="avg"), ValueError),
])
def test_loss_errors_match_torch(call: Any, error: type) -> None:
    with pytest.raises(error) as t_err:
        call(torch.nn.functional, torch)
    with pytest.raises(error) as e_err:
        call(ember.nn.functional, ember)
    assert str(e_err.value) == torch_message(str(t_err.value))


def test_size_mismatch_warns_and_broadcasts() -> None:
    with pytest.warns(UserWarning, match="Using a target size"):
        out = ember.nn.functional.mse_loss(ember.zeros(3), ember.ones(3, 1))
    assert out.item() == 1.0


def test_kl_mean_warns() -> None:
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        ember.nn.functional.kl_div(ember.zeros(2, 2), ember.ones(2, 2))
