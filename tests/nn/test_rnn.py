"""RNN/LSTM/GRU and their cells: parameter names, reprs, outputs, final states and gradients
against torch with the same weights, plus a torch-free core."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.nn.modules import rnn as R
from tests.conftest import assert_close, requires_torch, torch

LAYERS = [
    ("RNN", {}),
    ("RNN", dict(nonlinearity="relu", num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", {}),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(num_layers=2, bias=False, batch_first=True)),
    ("GRU", dict(bidirectional=True)),
]


def _copy(e_mod, t_mod) -> None:
    t_mod.load_state_dict({k: torch.tensor(v.detach().numpy())
                           for k, v in e_mod.state_dict().items()})


def _state(lib, mode: str, h: np.ndarray) -> object:
    if mode == "LSTM":
        return (lib.tensor(h), lib.tensor(h * 0.5))
    return lib.tensor(h)


@requires_torch
@pytest.mark.parametrize(("name", "kwargs"), LAYERS)
@pytest.mark.parametrize("batched", [True, False])
def test_layer_matches_torch(name: str, kwargs: dict, batched: bool) -> None:
    e_mod, t_mod = getattr(R, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert [tuple(p.shape) for p in e_mod.parameters()] == \
        [tuple(p.shape) for p in t_mod.parameters()]
    _copy(e_mod, t_mod)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 3) if batched else (5, 3)).astype(np.float32)
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    batch = 5 if kwargs.get("batch_first") else 2
    h0 = rng.standard_normal((layers, batch, 4) if batched else (layers, 4)).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e_out, e_h = e_mod(ex, _state(ember, name, h0))
    t_out, t_h = t_mod(tx, _state(torch, name, h0))
    assert_close(e_out, t_out, rtol=1e-4, atol=1e-5)
    e_hs = e_h if name == "LSTM" else (e_h,)
    t_hs = t_h if name == "LSTM" else (t_h,)
    for a, b in zip(e_hs, t_hs):
        assert_close(a, b, rtol=1e-4, atol=1e-5)
    (e_out.sum() + sum(h.sum() * 2 for h in e_hs)).backward()
    (t_out.sum() + sum(h.sum() * 2 for h in t_hs)).backward()
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    for a, b in zip(e_mod.parameters(), t_mod.parameters()):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-4)


@requires_torch
@pytest.mark.parametrize(("name", "kwargs"), [("RNNCell", {}), ("RNNCell", dict(
    nonlinearity="relu")), ("LSTMCell", {}), ("GRUCell", dict(bias=False)), ("GRUCell", {})])
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(name: str, kwargs: dict, batched: bool) -> None:
    e_mod, t_mod = getattr(R, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    _copy(e_mod, t_mod)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3) if batched else (3,)).astype(np.float32)
    h = rng.standard_normal((2, 4) if batched else (4,)).astype(np.float32)
    mode = "LSTM" if name == "LSTMCell" else ""
    for state in (None, h):
        e_args = () if state is None else (_state(ember, mode, state),)
        t_args = () if state is None else (_state(torch, mode, state),)
        e_out, t_out = e_mod(ember.tensor(x), *e_args), t_mod(torch.tensor(x), *t_args)
        for a, b in zip(e_out if mode else (e_out,), t_out if mode else (t_out,)):
            assert_close(a, b, rtol=1e-4, atol=1e-5)


@requires_torch
def test_dropout_between_layers_only_in_training() -> None:
    e_mod = R.LSTM(3, 4, num_layers=2, dropout=0.5)
    t_mod = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    _copy(e_mod, t_mod)
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    e_mod.eval()
    t_mod.eval()
    assert_close(e_mod(ember.tensor(x))[0], t_mod(torch.tensor(x))[0], rtol=1e-4, atol=1e-5)
    e_mod.train()
    out1, out2 = e_mod(ember.tensor(x))[0], e_mod(ember.tensor(x))[0]
    assert not np.allclose(out1.detach().numpy(), out2.detach().numpy())


@requires_torch
def test_errors_match_torch() -> None:
    for make in (lambda lib: lib.nn.RNN(3, 4)(lib.zeros(2, 5, 4)),
                 lambda lib: lib.nn.GRU(3, 4)(lib.zeros(2, 5, 3), lib.zeros(2, 5, 4))):
        with pytest.raises(Exception) as t_err:
            make(torch)
        with pytest.raises(type(t_err.value)) as e_err:
            make(_NN)
        assert str(e_err.value) == str(t_err.value)


class _NN:
    """Just enough of an ``ember`` namespace for the error cases above."""

    zeros = staticmethod(ember.zeros)

    class nn:
        RNN, GRU = R.RNN, R.GRU


def test_core_shapes_and_init() -> None:
    m = R.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    names = [n for n, _ in m.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4] == "weight_ih_l0_reverse" and m.weight_ih_l1.shape == (20, 10)
    bound = 1 / np.sqrt(5)
    assert all(np.abs(p.detach().numpy()).max() <= bound for p in m.parameters())
    out, (h, c) = m(ember.randn(2, 7, 3))
    assert out.shape == (2, 7, 10) and h.shape == (4, 2, 5) and c.shape == (4, 2, 5)
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_core_rnn_step_formula() -> None:
    cell = R.RNNCell(2, 3, dtype=ember.float64)
    x, h = np.array([[0.5, -1.0]]), np.array([[0.1, 0.2, -0.3]])
    expected = np.tanh(x @ cell.weight_ih.detach().numpy().T + cell.bias_ih.detach().numpy()
                       + h @ cell.weight_hh.detach().numpy().T + cell.bias_hh.detach().numpy())
    assert_close(cell(ember.tensor(x), ember.tensor(h)), expected, rtol=1e-12, atol=1e-12)
