"""Optimizers: N steps match torch's weights for every option combination; state dicts,
param groups, hooks and errors behave like torch's; a torch-free core checks convergence."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch

STEPS = 6


def _weights(dtype=np.float32):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(5).astype(dtype),
            rng.standard_normal(()).astype(dtype)]


def _grads(weights, steps=STEPS):
    rng = np.random.default_rng(1)
    return [[rng.standard_normal(w.shape).astype(w.dtype) for w in weights]
            for _ in range(steps)]


def _run(lib, name, kwargs, dtype=np.float32, none_grad=False, groups=False):
    """Steps an optimizer of ``lib`` over fixed gradients; returns weights and optimizer."""
    weights = _weights(dtype)
    params = [lib.tensor(w.copy(), requires_grad=True) for w in weights]
    spec = ([{"params": params[:2]}, {"params": params[2:], "lr": 0.05}] if groups
            else params)
    opt = getattr(lib.optim, name)(spec, **kwargs)
    for i, grads in enumerate(_grads(weights)):
        opt.zero_grad()
        for j, (p, g) in enumerate(zip(params, grads)):
            if none_grad and j == 1 and i % 2 == 0:
                continue  # a parameter without a gradient is skipped
            p.grad = lib.tensor(g.copy())
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


def _combos(**options):
    names = list(options)
    return [dict(zip(names, values)) for values in itertools.product(*options.values())]


CASES = (
    [("SGD", dict(lr=0.1, **c)) for c in _combos(
        momentum=[0.0, 0.9], dampening=[0.0, 0.3], weight_decay=[0.0, 0.1],
        nesterov=[False, True], maximize=[False, True])
     if not (c["nesterov"] and (c["momentum"] == 0 or c["dampening"] != 0))]
    + [(name, dict(lr=0.01, **c)) for name in ("Adam", "AdamW") for c in _combos(
        betas=[(0.9, 0.999), (0.5, 0.9)], eps=[1e-8, 1e-3], weight_decay=[0.0, 0.1],
        amsgrad=[False, True], maximize=[False, True])]
    + [("RMSprop", dict(lr=0.01, **c)) for c in _combos(
        alpha=[0.99, 0.5], eps=[1e-8, 1e-2], weight_decay=[0.0, 0.1], momentum=[0.0, 0.9],
        centered=[False, True], maximize=[False, True])]
    + [("Adagrad", dict(lr=0.1, **c)) for c in _combos(
        lr_decay=[0.0, 0.1], weight_decay=[0.0, 0.1], initial_accumulator_value=[0.0, 0.5],
        eps=[1e-10, 1e-2], maximize=[False, True])]
)


def _case_id(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items() if k != "lr")


@requires_torch
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matches_torch_float32(case):
    name, kwargs = case
    ours, _ = _run(ember, name, kwargs)
    theirs, _ = _run(torch, name, kwargs)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)


FEATURE_CASES = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
                 ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
                 ("AdamW", dict(lr=0.01, amsgrad=True)),
                 ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
                 ("Adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.1))]


@requires_torch
@pytest.mark.parametrize("case", FEATURE_CASES, ids=[c[0] for c in FEATURE_CASES])
def test_matches_torch_float64_groups_and_missing_grads(case):
    name, kwargs = case
    for extra in (dict(dtype=np.float64), dict(groups=True), dict(none_grad=True)):
        ours, opt_e = _run(ember, name, kwargs, **extra)
        theirs, opt_t = _run(torch, name, kwargs, **extra)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-12 if extra.get("dtype") else 2e-6,
                                       atol=1e-12 if extra.get("dtype") else 2e-6)
        _assert_state_dicts_equal(opt_e.state_dict(), opt_t.state_dict())


def _assert_state_dicts_equal(ours, theirs):
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for key, state in theirs["state"].items():
        assert ours["state"][key].keys() == state.keys()
        for name, value in state.items():
            assert ours["state"][key][name].dtype.name == str(value.dtype).split(".")[-1]
            assert_close(ours["state"][key][name], value, rtol=2e-6, atol=2e-6)


@requires_torch
def test_tensor_lr_and_complex_params_match_torch():
    rng = np.random.default_rng(3)
    w = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
    gs = [(rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
          for _ in range(4)]
    for name, kwargs in FEATURE_CASES:
        out = []
        for lib in (ember, torch):
            p = lib.tensor(w.copy(), requires_grad=True)
            opt = getattr(lib.optim, name)([p], **{**kwargs, "lr": lib.tensor(kwargs["lr"])})
            for g in gs:
                p.grad = lib.tensor(g.copy())
                opt.step()
            out.append(p.detach().numpy().copy())
        np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)


@requires_torch
def test_defaults_reprs_and_state_dict_format_match_torch():
    for name, kwargs in FEATURE_CASES + [("SGD", {}), ("Adam", {}), ("RMSprop", {})]:
        ours, theirs = _run(ember, name, kwargs)[1], _run(torch, name, kwargs)[1]
        assert ours.defaults == theirs.defaults
        assert repr(ours) == repr(theirs)
        _assert_state_dicts_equal(ours.state_dict(), theirs.state_dict())


@requires_torch
def test_load_state_dict_from_torch_continues_identically():
    for name, kwargs in FEATURE_CASES:
        weights = _weights()
        more = _grads(weights, 3)
        _, opt_t = _run(torch, name, kwargs)
        # move torch's state into ember optimizers over torch's current weights
        state = opt_t.state_dict()
        params_t = [p for g in opt_t.param_groups for p in g["params"]]
        params_e = [ember.tensor(p.detach().numpy().copy(), requires_grad=True)
                    for p in params_t]
        opt_e = getattr(ember.optim, name)(params_e, **kwargs)
        opt_e.load_state_dict({
            "state": {k: {n: ember.tensor(v.numpy()) for n, v in s.items()}
                      for k, s in state["state"].items()},
            "param_groups": state["param_groups"]})
        for grads in more:
            for lib, params, opt in ((torch, params_t, opt_t), (ember, params_e, opt_e)):
                for p, g in zip(params, grads):
                    p.grad = lib.tensor(g.copy())
                opt.step()
        for a, b in zip(params_e, params_t):
            assert_close(a, b, rtol=2e-6, atol=2e-6)


@requires_torch
def test_closure_and_hooks_like_torch():
    calls = {}
    for lib in (ember, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1)
        log = []
        opt.register_step_pre_hook(lambda o, a, kw, log=log: log.append(("pre", len(a))))
        h = opt.register_step_post_hook(lambda o, a, kw, log=log: log.append(("post", len(a))))

        def closure(p=p, opt=opt):
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        loss = opt.step(closure)
        h.remove()
        opt.step(closure)
        calls[lib.__name__] = (log, loss.item(), p.detach().numpy().tolist())
    assert calls["ember"] == calls["torch"]


@requires_torch
@pytest.mark.parametrize("make", [
    lambda lib, p: lib.optim.SGD([p], lr=-0.1),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, momentum=-1),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, weight_decay=-1),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, nesterov=True),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda lib, p: lib.optim.Adam([p], lr=-1),
    lambda lib, p: lib.optim.Adam([p], eps=-1),
    lambda lib, p: lib.optim.Adam([p], betas=(1.0, 0.9)),
    lambda lib, p: lib.optim.Adam([p], betas=(0.9, -0.1)),
    lambda lib, p: lib.optim.Adam([p], betas=(0, 0.9)),
    lambda lib, p: lib.optim.AdamW([p], weight_decay=-1),
    lambda lib, p: lib.optim.RMSprop([p], alpha=-1),
    lambda lib, p: lib.optim.RMSprop([p], momentum=-1),
    lambda lib, p: lib.optim.Adagrad([p], lr_decay=-1),
    lambda lib, p: lib.optim.Adagrad([p], initial_accumulator_value=-1),
    lambda lib, p: lib.optim.SGD(p),
    lambda lib, p: lib.optim.SGD([]),
    lambda lib, p: lib.optim.SGD([p, 3]),
    lambda lib, p: lib.optim.SGD([p * 2]),
    lambda lib, p: lib.optim.SGD([{"params": [p]}, {"params": p}]),
    lambda lib, p: lib.optim.SGD([p], lr=0.1).add_param_group({"params": {p * 1}}),
    lambda lib, p: lib.optim.SGD([p], lr=0.1).add_param_group([p]),
    lambda lib, p: lib.optim.SGD([p], lr=0.1, fused=True, foreach=True),
    lambda lib, p: lib.optim.SGD([p], lr=0.1).load_state_dict(
        {"state": {}, "param_groups": [{"params": [0, 1]}]}),
    lambda lib, p: lib.optim.SGD([p], lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []}),
])
def test_errors_match_torch(make):
    results = []
    for lib in (ember, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(Exception) as info:
            make(lib, p)
        results.append((info.type.__name__,
                        str(info.value).replace("torch.", "").replace("ember.", "")))
    assert results[0] == results[1]


def test_unsupported_options_name_class_and_argument():
    p = ember.zeros(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="Adam: capturable=True"):
        ember.optim.Adam([p], capturable=True)
    with pytest.raises(NotImplementedError, match="SGD: differentiable=True"):
        ember.optim.SGD([p], lr=0.1, differentiable=True)


# --- torch-free core -------------------------------------------------------------------------
@pytest.mark.parametrize("case", FEATURE_CASES + [("SGD", dict(lr=0.1))],
                         ids=[c[0] for c in FEATURE_CASES] + ["plain-SGD"])
def test_converges_on_a_quadratic(case):
    name, kwargs = case
    kwargs = {**kwargs, "weight_decay": 0.0}
    if name in ("Adam", "AdamW", "RMSprop"):
        kwargs["lr"] = 0.05
    if name == "Adagrad":
        kwargs.update(lr=1.0, lr_decay=0.0)
    target = ember.tensor([1.0, -2.0, 3.0])
    w = ember.zeros(3, requires_grad=True)
    opt = getattr(ember.optim, name)([w], **kwargs)
    for _ in range(500):
        opt.zero_grad()
        loss = ((w - target) ** 2).sum()
        loss.backward()
        opt.step()
    assert_close(w, target, atol=0.05, rtol=0)


def test_step_is_not_recorded_and_bumps_version():
    w = ember.ones(2, requires_grad=True)
    opt = ember.optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    before = w._version
    opt.step()
    assert w._version == before + 1
    assert w.grad_fn is None and w.requires_grad
    assert opt.state[w]["step"].item() == 1.0


def test_zero_grad_and_skipped_parameters():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([a, b], lr=0.5, momentum=0.9)
    a.grad = ember.ones(2)
    opt.step()
    assert b.tolist() == [1.0, 1.0] and a.tolist() == [0.5, 0.5]
    assert b not in opt.state
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0] and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_state_dict_round_trip_without_torch():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.Adam([w], lr=0.1, amsgrad=True)
    for _ in range(3):
        w.grad = ember.tensor([0.5, -1.0])
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    assert saved["param_groups"][0]["params"] == [0]
    assert sorted(saved["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    w2 = ember.tensor(w.tolist(), requires_grad=True)
    opt2 = ember.optim.Adam([w2], lr=0.5)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["params"][0] is w2
    # the loaded state is a copy: stepping does not touch the saved dict
    for opt_, p in ((opt, w), (opt2, w2)):
        p.grad = ember.tensor([0.5, -1.0])
        opt_.step()
    assert w.tolist() == w2.tolist()
    assert saved["state"][0]["step"].item() == 3.0


def test_load_state_dict_casts_state_to_param_dtype_but_not_step():
    w = ember.zeros(2, dtype=ember.float64, requires_grad=True)
    opt = ember.optim.Adam([w])
    opt.load_state_dict({"state": {0: {"step": ember.tensor(2.0),
                                       "exp_avg": ember.zeros(2),
                                       "exp_avg_sq": ember.zeros(2)}},
                         "param_groups": [dict(opt.state_dict()["param_groups"][0])]})
    assert opt.state[w]["exp_avg"].dtype == ember.float64
    assert opt.state[w]["step"].dtype == ember.float32


def test_named_parameters_and_custom_subclass_hooks_run_once():
    w = ember.ones(1, requires_grad=True)
    opt = ember.optim.SGD([("w", w)], lr=1.0)
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]

    class Half(ember.optim.SGD):
        def step(self, closure=None):
            return super().step(closure)

    opt = Half([w], lr=1.0)
    seen = []
    opt.register_step_pre_hook(lambda *a: seen.append(1))
    w.grad = ember.ones(1)
    opt.step()
    assert seen == [1] and w.tolist() == [0.0]
