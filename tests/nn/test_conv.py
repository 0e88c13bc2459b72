"""Conv1d/Conv2d/ConvTranspose1d/2d modules: reprs, parameters, values and gradients against
torch (same weights), and a torch-free core."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.nn.modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from tests.conftest import assert_close, requires_torch, torch, torch_message

CASES = [
    ("Conv2d", (1, 6, 5), {}, (2, 1, 12, 12)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=2, padding=1, dilation=(2, 1), groups=2), (2, 4, 9, 8)),
    ("Conv2d", (3, 4, 3), dict(padding="same", bias=False), (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 4), dict(padding="valid"), (3, 7, 6)),
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv1d", (2, 4, 2), dict(padding="same", dilation=3), (2, 2, 7)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 5, 4)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(groups=2, dilation=2, bias=False), (2, 4, 3, 3)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=3, output_padding=2), (2, 3, 4)),
]
MODULES = {"Conv1d": Conv1d, "Conv2d": Conv2d, "ConvTranspose1d": ConvTranspose1d,
           "ConvTranspose2d": ConvTranspose2d}


def _copy_into_torch(e_mod, t_mod) -> None:
    t_mod.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in
                           e_mod.state_dict().items()})


@requires_torch
@pytest.mark.parametrize(("name", "args", "kwargs", "shape"), CASES)
def test_matches_torch(name, args, kwargs, shape) -> None:
    e_mod = MODULES[name](*args, **kwargs)
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    _copy_into_torch(e_mod, t_mod)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():  # 'same' with an even total padding warns in both
        warnings.simplefilter("ignore")
        ey, ty = e_mod(ex), t_mod(tx)
    assert_close(ey, ty, rtol=1e-4, atol=1e-5)
    assert ey.grad_fn.name() == ty.grad_fn.name()
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    for ep, tp in zip(e_mod.parameters(), t_mod.parameters()):
        assert_close(ep.grad, tp.grad, rtol=1e-4, atol=1e-4)


@requires_torch
@pytest.mark.parametrize(("args", "kwargs"), [
    ((3, 4, 3), dict(padding_mode="foo")),
    ((3, 4, 3), dict(groups=2)),
    ((4, 3, 3), dict(groups=2)),
    ((3, 4, 3), dict(padding="same", stride=2)),
    ((3, 4, 3), dict(padding="bad")),
    ((3, 3, 3), dict(groups=0)),
])
def test_constructor_errors_match_torch(args, kwargs) -> None:
    with pytest.raises(Exception) as t_err:
        torch.nn.Conv2d(*args, **kwargs)
    with pytest.raises(type(t_err.value)) as e_err:
        Conv2d(*args, **kwargs)
    # torch prints sets of choices, whose order varies from run to run: compare up to there
    assert str(e_err.value).split("{")[0] == torch_message(str(t_err.value)).split("{")[0]


@requires_torch
def test_transposed_output_size() -> None:
    e_mod = ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    t_mod = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    _copy_into_torch(e_mod, t_mod)
    x = np.random.default_rng(0).standard_normal((1, 3, 4, 5)).astype(np.float32)
    for size in ([8, 10], [7, 9], (1, 2, 8, 9)):
        assert_close(e_mod(ember.tensor(x), output_size=size),
                     t_mod(torch.tensor(x), output_size=size), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError) as t_err:
        t_mod(torch.tensor(x), output_size=[12, 12])
    with pytest.raises(ValueError) as e_err:
        e_mod(ember.tensor(x), output_size=[12, 12])
    assert str(e_err.value) == torch_message(str(t_err.value))


def test_unsupported_padding_mode_raises() -> None:
    with pytest.raises(NotImplementedError, match="Conv2d.*padding_mode='reflect'"):
        Conv2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for '
                                         "ConvTranspose2d"):
        ConvTranspose2d(1, 1, 3, padding_mode="circular")


def test_default_init_bounds_and_shapes() -> None:
    m = Conv2d(6, 16, 5)
    assert m.weight.shape == (16, 6, 5, 5) and m.bias.shape == (16,)
    bound = 1 / np.sqrt(6 * 25)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert m.weight.dtype == ember.float32 and m.weight.requires_grad
    t = ConvTranspose2d(6, 4, 3, groups=2)
    assert t.weight.shape == (6, 2, 3, 3)
    assert repr(Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"


def test_lenet_step_trains() -> None:
    """A tiny LeNet-like step runs forward and backward and every parameter gets a gradient."""
    ember.manual_seed(0)
    c1, c2 = Conv2d(1, 4, 3, padding=1), Conv2d(4, 8, 3)
    x = ember.randn(5, 1, 8, 8)
    from ember.ops.nn.conv_functional import max_pool2d

    h = max_pool2d(c2(max_pool2d(c1(x).relu(), 2).relu()).relu(), 2)
    assert h.shape == (5, 8, 1, 1)
    h.sum().backward()
    for p in list(c1.parameters()) + list(c2.parameters()):
        assert p.grad is not None and p.grad.shape == p.shape


def test_conv_matches_naive_loop() -> None:
    """Torch-free check of the convolution arithmetic against a direct loop."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 6, 5))
    w = rng.standard_normal((6, 2, 3, 2))
    stride, pad, dil, groups = (2, 1), (1, 2), (1, 2), 2
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2))
    ho = (6 + 2 * pad[0] - dil[0] * 2 - 1) // stride[0] + 1
    wo = (5 + 2 * pad[1] - dil[1] * 1 - 1) // stride[1] + 1
    ref = np.zeros((2, 6, ho, wo))
    for o in range(6):
        g = o // 3
        for i in range(ho):
            for j in range(wo):
                patch = xp[:, 2 * g:2 * g + 2, i * stride[0]:i * stride[0] + 2 * dil[0] + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] + 1:dil[1]]
                ref[:, o, i, j] = (patch * w[o]).sum((1, 2, 3))
    m = Conv2d(4, 6, (3, 2), stride=stride, padding=pad, dilation=dil, groups=groups,
               bias=False, dtype=ember.float64)
    m.weight.data = ember.tensor(w)
    assert_close(m(ember.tensor(x)), ref, rtol=1e-10, atol=1e-12)
