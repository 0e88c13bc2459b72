"""GradScaler: scaling, unscaling, skipped steps and scale updates as torch's; CUDA scalers
disabled as on a torch built without CUDA."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from tests.conftest import requires_torch, torch

X = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
W = np.array([[0.5, -1.0]], dtype=np.float32)


def _train(lib, steps: list[str], **scaler_args) -> list:
    """Runs steps ('ok': a finite loss, 'inf': an infinite one, 'unscale': ok with an explicit
    unscale_ first) and records the scale, tracker, weight and grads after each."""
    weight = lib.tensor(W.copy(), requires_grad=True)
    opt = lib.optim.SGD([weight], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **scaler_args)
    x = lib.tensor(X)
    trace = []
    for kind in steps:
        opt.zero_grad()
        loss = (x @ weight.t()).sum() * (float("inf") if kind == "inf" else 1.0)
        scaled = scaler.scale(loss)
        scaled.backward()
        if kind == "unscale":
            scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), scaler.state_dict()["_growth_tracker"],
                      weight.detach().numpy().tolist(), type(scaled.grad_fn).__name__))
    return trace


@requires_torch
@pytest.mark.parametrize("steps", [["ok", "ok", "ok"], ["inf", "ok", "inf", "inf"],
                                   ["unscale", "ok", "inf", "unscale"]], ids=str)
def test_training_matches_torch(steps: list[str]) -> None:
    args = {"init_scale": 2.0 ** 10, "growth_interval": 2}
    ours, theirs = _train(ember, steps, **args), _train(torch, steps, **args)
    assert [(t[0], t[1], t[3]) for t in ours] == [(t[0], t[1], t[3]) for t in theirs]
    # the weights agree to float32 rounding (sums may run in another order)
    np.testing.assert_allclose([t[2] for t in ours], [t[2] for t in theirs], rtol=1e-6)


@requires_torch
def test_state_dict_and_errors_match_torch() -> None:
    def script(lib):
        out = []
        scaler = lib.amp.GradScaler("cpu", init_scale=256.0, growth_factor=4.0)
        out.append(scaler.state_dict())
        out.append(scaler.scale([lib.ones(1), (lib.ones(2),)])[1][0].tolist())
        weight = lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([weight], lr=1.0)
        scaler.scale(weight.sum() * 2).backward()
        scaler.unscale_(opt)
        out.append(weight.grad.tolist())
        for call in (lambda: scaler.unscale_(opt), lambda: scaler.scale(3),
                     lambda: lib.amp.GradScaler("cpu").step(opt),
                     lambda: lib.amp.GradScaler("cpu").load_state_dict({})):
            try:
                call()
            except Exception as error:  # noqa: BLE001 - the error is the outcome compared
                out.append((type(error).__name__, str(error)))
        scaler.step(opt)
        try:
            scaler.step(opt)
        except RuntimeError as error:
            out.append(str(error))
        scaler.update(1024.0)
        other = lib.amp.GradScaler("cpu")
        other.load_state_dict(scaler.state_dict())
        out.append(other.state_dict())
        return out

    assert script(ember) == script(torch)


def test_cuda_scalers_are_disabled_with_torch_warnings() -> None:
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
        scaler = ember.amp.GradScaler()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = ember.cuda.amp.GradScaler()
    for s in (scaler, legacy):
        loss = ember.ones(1, requires_grad=True).sum()
        assert s.scale(loss) is loss and not s.is_enabled()
        assert s.get_scale() == 1.0 and s.state_dict() == {}
        opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        assert s.step(opt) is None
        s.update()
        s.unscale_(opt)
        s.load_state_dict({})
    with pytest.warns(FutureWarning, match="deprecated"):
        ember.cuda.amp.GradScaler(enabled=False)


def test_torch_free_core() -> None:
    trace = _train(ember, ["ok", "inf", "ok"], init_scale=8.0, growth_interval=1)
    # grows after a finite step, halves (and skips the step) after an infinite one
    assert [t[0] for t in trace] == [16.0, 8.0, 16.0]
    assert trace[0][2] != [[0.5, -1.0]] and trace[1][2] == trace[0][2]
    assert trace[0][3] == "MulBackward0"
