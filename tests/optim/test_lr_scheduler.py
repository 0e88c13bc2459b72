"""Schedulers: lr sequences equal torch's exactly (get_last_lr, the groups' lrs and the
momentum OneCycleLR cycles), state dicts match torch's and round-trip."""

from __future__ import annotations

import math
import warnings

import pytest

import ember
from tests.conftest import requires_torch, torch


def _optimizer(lib, name="SGD", groups=2, **kwargs):
    params = [lib.zeros(2, requires_grad=True) for _ in range(groups)]
    spec = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)]
    opt = getattr(lib.optim, name)(spec, lr=0.1, **kwargs)
    return opt, params


def _trace(lib, make, steps, name="SGD", metrics=None, opt_kwargs=None):
    """Runs a schedule, stepping the optimizer first as torch asks; records everything."""
    opt, params = _optimizer(lib, name, **(opt_kwargs or {"momentum": 0.9}
                                           if name == "SGD" else opt_kwargs or {}))
    sched = make(lib.optim.lr_scheduler, opt)
    out = [(list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
            [g.get("momentum", g.get("betas")) for g in opt.param_groups])]
    for i in range(steps):
        for p in params:
            p.grad = lib.ones(2)
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
                    [g.get("momentum", g.get("betas")) for g in opt.param_groups]))
    return out, sched, opt


def _plateau_metrics():
    values = [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7]
    return values * 3


SCHEDULES = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), 12),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), 12),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.9), 20),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=7), 28),
    "CosineAnnealingLR-eta_min": (lambda m, o: m.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
                                  30),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lambda e: 0.95 ** e), 10),
    "LambdaLR-list": (lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: e]), 6),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9), 6),
    "LinearLR": (lambda m, o: m.LinearLR(o), 10),
    "LinearLR-down": (lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                              total_iters=7), 10),
    "ConstantLR": (lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=3), 6),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=6, power=2.0), 9),
    "OneCycleLR": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=20), 20),
    "OneCycleLR-linear": (lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], epochs=3,
                                                    steps_per_epoch=4, anneal_strategy="linear",
                                                    pct_start=0.25), 12),
    "OneCycleLR-three_phase": (lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=15,
                                                         three_phase=True, div_factor=10.0,
                                                         final_div_factor=100.0), 15),
    "OneCycleLR-no-momentum": (lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=10,
                                                         cycle_momentum=False), 10),
    "SequentialLR": (lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=3), m.CosineAnnealingLR(o, T_max=5),
            m.ExponentialLR(o, gamma=0.8)], milestones=[3, 8]), 14),
    "ChainedScheduler": (lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9)]), 8),
}


@requires_torch
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_equals_torch(name):
    make, steps = SCHEDULES[name]
    ours, sched_e, opt_e = _trace(ember, make, steps)
    theirs, sched_t, opt_t = _trace(torch, make, steps)
    assert ours == theirs  # exact: the same float operations in the same order
    _assert_state_dicts_equal(sched_e.state_dict(), sched_t.state_dict())
    assert opt_e.state_dict()["param_groups"] == opt_t.state_dict()["param_groups"]


@requires_torch
@pytest.mark.parametrize("opt_name", ["Adam", "AdamW"])
def test_one_cycle_cycles_adam_beta1_like_torch(opt_name):
    make = SCHEDULES["OneCycleLR"][0]
    ours = _trace(ember, make, 20, name=opt_name)[0]
    theirs = _trace(torch, make, 20, name=opt_name)[0]
    assert ours == theirs


PLATEAUS = {
    "min-rel": dict(patience=2),
    "min-abs-cooldown": dict(mode="min", threshold_mode="abs", threshold=0.05, cooldown=2,
                             patience=1, factor=0.5),
    "max-rel": dict(mode="max", patience=1, factor=0.5, min_lr=[0.02, 0.05]),
    "max-abs-eps": dict(mode="max", threshold_mode="abs", patience=0, factor=0.9, eps=0.01,
                        min_lr=0.05),
}


@requires_torch
@pytest.mark.parametrize("name", list(PLATEAUS))
def test_reduce_on_plateau_equals_torch(name):
    kwargs = PLATEAUS[name]
    metrics = _plateau_metrics()
    if kwargs.get("mode") == "max":
        metrics = [-m for m in metrics]

    def make(m, o):
        return m.ReduceLROnPlateau(o, **kwargs)

    ours, sched_e, _ = _trace(ember, make, len(metrics), metrics=metrics)
    theirs, sched_t, _ = _trace(torch, make, len(metrics), metrics=metrics)
    assert ours == theirs
    _assert_state_dicts_equal(sched_e.state_dict(), sched_t.state_dict())
    # a tensor metric works too
    sched_e.step(ember.tensor(0.1))
    sched_t.step(torch.tensor(0.1))
    assert sched_e.get_last_lr() == sched_t.get_last_lr()


def _assert_state_dicts_equal(ours, theirs):
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        if key == "_schedulers":
            for a, b in zip(ours[key], value):
                _assert_state_dicts_equal(a, b)
        elif key == "lr_lambdas":
            assert ours[key] == [None] * len(value)
        else:
            assert ours[key] == value, key


@requires_torch
def test_closed_form_step_with_epoch_equals_torch():
    for name in ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
                 "ConstantLR", "PolynomialLR"):
        make = SCHEDULES[name][0]
        out = []
        for lib in (ember, torch):
            opt, _ = _optimizer(lib)
            sched = make(lib.optim.lr_scheduler, opt)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lrs = []
                for epoch in (3, 7, 2, 10):
                    sched.step(epoch)
                    lrs.append(sched.get_last_lr())
            out.append((lrs, [str(w.message)[:40] for w in caught]))
        assert out[0] == out[1], name


@requires_torch
def test_resume_with_last_epoch_and_state_dict_equals_torch():
    out = []
    for lib in (ember, torch):
        opt, params = _optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
        for _ in range(4):
            opt.step()
            sched.step()
        state = sched.state_dict()
        opt2, _ = _optimizer(lib)
        opt2.load_state_dict(opt.state_dict())
        sched2 = lib.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=6, last_epoch=3)
        sched2.load_state_dict(state)
        lrs = []
        for _ in range(8):
            opt2.step()
            sched2.step()
            lrs.append(sched2.get_last_lr())
        out.append(lrs)
    assert out[0] == out[1]


def _step_n(sched, n):
    for _ in range(n):
        sched.step()


@requires_torch
@pytest.mark.parametrize("make", [
    lambda lib, o: lib.optim.lr_scheduler.StepLR(object(), 2),
    lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 2, last_epoch=3),
    lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0),
    lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, end_factor=2),
    lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, [lambda e: 1]),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=5, pct_start=1),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=5,
                                                     anneal_strategy="exp"),
    lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, [1.0], total_steps=5),
    lambda lib, o: _step_n(lib.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=2), 3),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, mode="avg"),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(o, [], []),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.StepLR(o, 2)], [1]),
    lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.ReduceLROnPlateau(o)], []),
    lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([]),
    lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler([object()], o),
])
def test_errors_match_torch(make):
    results = []
    for lib in (ember, torch):
        opt, _ = _optimizer(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                make(lib, opt)
        results.append((info.type.__name__,
                        str(info.value).replace("torch.", "").replace("ember.", "")))
    assert results[0] == results[1]


@requires_torch
def test_warnings_match_torch():
    out = []
    for lib in (ember, torch):
        opt, _ = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()  # before optimizer.step()
            sched.get_lr()  # outside step
        out.append([str(w.message) for w in caught])
    assert out[0] == out[1] and len(out[0]) == 2


# --- torch-free core -------------------------------------------------------------------------
def test_step_lr_and_initial_lr_without_torch():
    opt, _ = _optimizer(ember, groups=1)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.1 and sched.last_epoch == 0
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(5):
            sched.step()
            lrs.append(sched.get_last_lr()[0])
    assert lrs == [0.1, 0.05, 0.05, 0.025, 0.025]


def test_cosine_matches_closed_form_over_two_periods():
    opt, _ = _optimizer(ember, groups=1)
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    for epoch in range(1, 41):
        opt.step()
        sched.step()
        expected = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * epoch / 10)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(expected, abs=1e-12)


def test_state_dict_round_trip_without_torch():
    opt, _ = _optimizer(ember)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state
    opt2, _ = _optimizer(ember)
    opt2.load_state_dict(opt.state_dict())
    sched2 = ember.optim.lr_scheduler.OneCycleLR(opt2, max_lr=1.0, total_steps=10, last_epoch=3)
    sched2.load_state_dict(state)
    for s, o in ((sched, opt), (sched2, opt2)):
        o.step()
        s.step()
    assert sched.get_last_lr() == sched2.get_last_lr()


def test_plateau_reduces_after_patience():
    opt, _ = _optimizer(ember, groups=1)
    sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for metric in (1.0, 1.0, 1.0):
        sched.step(metric)
    assert sched.get_last_lr() == [0.05]


def test_tensor_lr_is_filled_in_place():
    w = ember.zeros(1, requires_grad=True)
    lr = ember.tensor(0.1)
    opt = ember.optim.SGD([w], lr=lr)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)
    assert isinstance(sched.get_last_lr()[0], ember.Tensor)
