"""Functional forms without modules (pad, one_hot, normalize, attention), ember.nn.init and
ember.nn.utils."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.conftest import assert_close, requires_torch, torch, torch_message

rng = np.random.default_rng(0)


def _pair(*shape: int) -> tuple:
    x = rng.standard_normal(shape).astype(np.float32)
    return ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True) \
        if torch is not None else None


def _check(e_out: Any, t_out: Any, e_in: list, t_in: list, names: bool = True) -> None:
    assert_close(e_out, t_out, 1e-4, 1e-5)
    if names and t_out.grad_fn is not None:
        assert e_out.grad_fn.name() == t_out.grad_fn.name()
    seed = rng.standard_normal(t_out.shape).astype(np.float32)
    e_out.backward(ember.tensor(seed))
    t_out.backward(torch.tensor(seed))
    for e, t in zip(e_in, t_in):
        assert_close(e.grad, t.grad, 1e-4, 1e-5)


PADS = [((2, 3, 4), (1, 2), "constant"), ((2, 3, 4), (-1, 2, 0, 1), "constant"),
        ((2, 3, 4), (1, 2), "reflect"), ((1, 2, 3, 4), (2, 1, 1, 2), "reflect"),
        ((1, 2, 3, 3, 4), (1, 1, 2, 0, 1, 2), "reflect"), ((3, 4), (3, 0), "replicate"),
        ((1, 2, 3, 4), (2, 1, 1, 2), "replicate"), ((2, 3, 4), (1, 2), "circular"),
        ((1, 2, 3, 4), (2, 1, 1, 3), "circular")]


@requires_torch
@pytest.mark.parametrize(("shape", "pad", "mode"), PADS)
def test_pad_matches_torch(shape: tuple, pad: tuple, mode: str) -> None:
    e, t = _pair(*shape)
    # circular padding is composed of slices and cat here, CopySlices in torch
    _check(F.pad(e, pad, mode=mode), torch.nn.functional.pad(t, pad, mode=mode), [e], [t],
           names=mode != "circular")


@requires_torch
@pytest.mark.parametrize(("shape", "pad", "mode"), [
    ((1, 3), (3, 3), "reflect"), ((1, 3), (4, 4), "circular"), ((4,), (1, 1), "reflect"),
    ((1, 2, 3, 4), (1, 1), "replicate"), ((2, 3), (1,), "constant")])
def test_pad_errors_match_torch(shape: tuple, pad: tuple, mode: str) -> None:
    with pytest.raises(Exception) as t_err:
        torch.nn.functional.pad(torch.zeros(shape), pad, mode=mode)
    with pytest.raises(type(t_err.value)) as e_err:
        F.pad(ember.zeros(shape), pad, mode=mode)
    assert str(e_err.value) == torch_message(str(t_err.value))


def test_pad_gradgradcheck() -> None:
    x = ember.randn(1, 2, 3, 4, dtype=ember.float64, requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert ember.autograd.gradgradcheck(lambda t, m=mode: F.pad(t, (1, 2, 2, 1), mode=m),
                                            (x,))


@requires_torch
def test_one_hot() -> None:
    idx = np.array([[0, 3], [1, 1]])
    e, t = F.one_hot(ember.tensor(idx)), torch.nn.functional.one_hot(torch.tensor(idx))
    assert e.dtype == ember.int64 and e.tolist() == t.tolist()
    assert F.one_hot(ember.tensor(idx), 6).shape == (2, 2, 6)
    for bad, n in (([1.0], -1), ([-1], -1), ([3], 2)):
        arg_t, arg_e = torch.tensor(bad), ember.tensor(bad)
        with pytest.raises(RuntimeError) as t_err:
            torch.nn.functional.one_hot(arg_t, n)
        with pytest.raises(RuntimeError, match=str(t_err.value)):
            F.one_hot(arg_e, n)


@requires_torch
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
def test_normalize(p: float) -> None:
    x = rng.standard_normal((3, 4)).astype(np.float32)
    x[1] = 0  # a zero row: finite gradient
    e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    _check(F.normalize(e, p, dim=1), torch.nn.functional.normalize(t, p, dim=1), [e], [t],
           names=False)


@requires_torch
@pytest.mark.parametrize("kind", ["plain", "causal", "bool", "float", "scale", "empty-row"])
def test_scaled_dot_product_attention(kind: str) -> None:
    (eq, tq), (ek, tk), (ev, tv) = _pair(2, 3, 4), _pair(2, 5, 4), _pair(2, 5, 6)
    mask = rng.random((3, 5)) > 0.4
    if kind == "empty-row":
        mask[1] = False
    kwargs: dict[str, Any] = {}
    tkw: dict[str, Any] = {}
    if kind == "causal":
        kwargs = tkw = {"is_causal": True}
    elif kind in ("bool", "empty-row"):
        kwargs, tkw = {"attn_mask": ember.tensor(mask)}, {"attn_mask": torch.tensor(mask)}
    elif kind == "float":
        m = rng.standard_normal((3, 5)).astype(np.float32)
        kwargs, tkw = {"attn_mask": ember.tensor(m)}, {"attn_mask": torch.tensor(m)}
    elif kind == "scale":
        kwargs = tkw = {"scale": 0.3}
    e_out = F.scaled_dot_product_attention(eq, ek, ev, **kwargs)
    t_out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **tkw)
    _check(e_out, t_out, [eq, ek, ev], [tq, tk, tv], names=False)


def test_attention_dropout_and_gradcheck() -> None:
    q = ember.randn(2, 3, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda t: F.scaled_dot_product_attention(t, t, t, is_causal=True), (q,))
    ember.manual_seed(0)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert out.shape == (2, 3, 4)


# --- init ----------------------------------------------------------------------------------------


def test_init_distributions() -> None:
    init = ember.nn.init
    ember.manual_seed(0)
    w = ember.empty(200, 300)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(w)
    assert (fan_in, fan_out) == (300, 200)
    assert init._calculate_fan_in_and_fan_out(ember.empty(8, 4, 3, 3)) == (36, 72)
    version = w._version
    init.uniform_(w, -2, 3)
    assert w._version > version
    assert -2 <= w.numpy().min() and w.numpy().max() <= 3
    init.normal_(w, 1.0, 0.5)
    assert abs(w.numpy().mean() - 1) < 0.01 and abs(w.numpy().std() - 0.5) < 0.01
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    init.xavier_normal_(w)
    assert abs(w.numpy().std() - math.sqrt(2 / 500)) < 0.002
    init.kaiming_uniform_(w, a=0, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 300)
    assert np.abs(w.numpy()).max() <= bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 0.002
    init.trunc_normal_(w, mean=0.5, std=1.0, a=-0.5, b=1.0)
    assert w.numpy().min() >= -0.5 and w.numpy().max() <= 1.0
    init.orthogonal_(w)
    np.testing.assert_allclose(w.numpy() @ w.numpy().T, np.eye(200), atol=1e-5)
    init.constant_(w, 0.3)
    assert (w.numpy() == np.float32(0.3)).all()
    init.eye_(w)
    assert w.numpy().trace() == 200
    c = ember.empty(4, 2, 3, 3)
    init.dirac_(c)
    assert c.numpy().sum() == 2 and c.numpy()[1, 1, 1, 1] == 1
    init.zeros_(c)
    init.ones_(w)
    assert c.numpy().sum() == 0 and w.numpy().mean() == 1


@requires_torch
def test_calculate_gain_matches_torch() -> None:
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                        ("selu", None)]:
        assert ember.nn.init.calculate_gain(name, param) == \
            torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        ember.nn.init.calculate_gain("foo")


def test_init_generator_reproducible() -> None:
    a, b = ember.empty(3, 3), ember.empty(3, 3)
    ember.nn.init.normal_(a, generator=ember.Generator().manual_seed(5))
    ember.nn.init.normal_(b, generator=ember.Generator().manual_seed(5))
    assert a.tolist() == b.tolist()
    ember.manual_seed(1)
    m1 = ember.nn.Linear(3, 3)
    ember.manual_seed(1)
    m2 = ember.nn.Linear(3, 3)
    assert m1.weight.tolist() == m2.weight.tolist()


# --- utils ---------------------------------------------------------------------------------------


@requires_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type: float, max_norm: float) -> None:
    grads = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (5,))]
    e_params = [ember.zeros(g.shape, requires_grad=True) for g in grads]
    t_params = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for e, t, g in zip(e_params, t_params, grads):
        e.grad, t.grad = ember.tensor(g), torch.tensor(g)
    e_total = ember.nn.utils.clip_grad_norm_(e_params, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type)
    assert_close(e_total, t_total)
    assert e_total.dtype == ember.float32 and e_total.dim() == 0
    for e, t in zip(e_params, t_params):
        assert_close(e.grad, t.grad)


def test_clip_grad_errors_and_value() -> None:
    p = ember.zeros(3, requires_grad=True)
    p.grad = ember.tensor([1.0, math.inf, -5.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                       "`parameters` is non-finite"):
        ember.nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    p.grad = ember.tensor([1.0, 3.0, -5.0])
    ember.nn.utils.clip_grad_value_([p], 2.0)
    assert p.grad.tolist() == [1.0, 2.0, -2.0]
    assert ember.nn.utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_parameters_vector_round_trip() -> None:
    m = ember.nn.Linear(3, 2)
    vec = ember.nn.utils.parameters_to_vector(m.parameters())
    assert vec.shape == (8,) and vec.grad_fn.name() == "CatBackward0"
    ember.nn.utils.vector_to_parameters(ember.arange(8.0), m.parameters())
    assert m.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert m.bias.tolist() == [6.0, 7.0]
    assert isinstance(m.weight, ember.nn.Parameter)
