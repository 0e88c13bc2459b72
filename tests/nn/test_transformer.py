"""MultiheadAttention and TransformerEncoderLayer against torch with the same weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.nn.modules.transformer import MultiheadAttention, TransformerEncoderLayer
from tests.conftest import assert_close, requires_torch, torch


def _copy(e_mod, t_mod) -> None:
    t_mod.load_state_dict({k: torch.tensor(v.detach().numpy())
                           for k, v in e_mod.state_dict().items()})


def _masks(lib, kind: str, batch: int) -> dict:
    rng = np.random.default_rng(2)
    pad = np.zeros((batch, 6), bool)
    pad[-1, 4:] = True
    if kind == "padding":
        return {"key_padding_mask": lib.tensor(pad)}
    if kind == "float":
        return {"attn_mask": lib.tensor(rng.standard_normal((4, 6)).astype(np.float32)),
                "average_attn_weights": False}
    if kind == "bool":
        return {"attn_mask": lib.tensor(np.triu(np.ones((4, 6), bool), 1)),
                "key_padding_mask": lib.tensor(pad)}
    return {}


@requires_torch
@pytest.mark.parametrize("kwargs", [{}, dict(batch_first=True), dict(kdim=3, vdim=5),
                                    dict(bias=False)])
@pytest.mark.parametrize("masks", ["none", "padding", "float", "bool"])
def test_attention_matches_torch(kwargs: dict, masks: str) -> None:
    e_mod, t_mod = MultiheadAttention(8, 2, **kwargs), torch.nn.MultiheadAttention(8, 2, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    _copy(e_mod, t_mod)
    rng = np.random.default_rng(0)
    q = rng.standard_normal((4, 2, 8)).astype(np.float32)
    k = rng.standard_normal((6, 2, kwargs.get("kdim", 8))).astype(np.float32)
    v = rng.standard_normal((6, 2, kwargs.get("vdim", 8))).astype(np.float32)
    if kwargs.get("batch_first"):
        q, k, v = (a.transpose(1, 0, 2).copy() for a in (q, k, v))
    eq, tq = ember.tensor(q, requires_grad=True), torch.tensor(q, requires_grad=True)
    e_out, e_w = e_mod(eq, ember.tensor(k), ember.tensor(v), **_masks(ember, masks, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out, t_w = t_mod(tq, torch.tensor(k), torch.tensor(v), **_masks(torch, masks, 2))
    assert_close(e_out, t_out, rtol=1e-4, atol=1e-5)
    assert_close(e_w, t_w, rtol=1e-4, atol=1e-5)
    e_out.sum().backward()
    t_out.sum().backward()
    assert_close(eq.grad, tq.grad, rtol=1e-4, atol=1e-5)
    for a, b in zip(e_mod.parameters(), t_mod.parameters()):
        assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-4)


@requires_torch
def test_attention_unbatched_and_no_weights() -> None:
    e_mod, t_mod = MultiheadAttention(6, 3), torch.nn.MultiheadAttention(6, 3)
    _copy(e_mod, t_mod)
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    e_out, e_w = e_mod(ember.tensor(x), ember.tensor(x), ember.tensor(x))
    t_out, t_w = t_mod(torch.tensor(x), torch.tensor(x), torch.tensor(x))
    assert_close(e_out, t_out, rtol=1e-4, atol=1e-5)
    assert_close(e_w, t_w, rtol=1e-4, atol=1e-5)
    out, w = e_mod(ember.tensor(x), ember.tensor(x), ember.tensor(x), need_weights=False)
    assert w is None
    assert_close(out, t_out, rtol=1e-4, atol=1e-5)


@requires_torch
@pytest.mark.parametrize("kwargs", [
    dict(dim_feedforward=16),
    dict(dim_feedforward=16, norm_first=True, activation="gelu", batch_first=True),
    dict(dim_feedforward=12, bias=False),
])
def test_encoder_layer_matches_torch(kwargs: dict) -> None:
    e_mod = TransformerEncoderLayer(8, 2, **kwargs)
    t_mod = torch.nn.TransformerEncoderLayer(8, 2, **kwargs)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    _copy(e_mod, t_mod)
    e_mod.eval()
    t_mod.eval()
    x = np.random.default_rng(0).standard_normal((4, 3, 8)).astype(np.float32)
    mask = np.triu(np.ones((4, 4), bool), 1) if not kwargs.get("batch_first") else None
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e_out = e_mod(ex, src_mask=None if mask is None else ember.tensor(mask))
    # torch's eval-mode fast path returns the same values; run it under grad so both paths
    # are the ordinary one and gradients compare too
    t_out = t_mod(tx, src_mask=None if mask is None else torch.tensor(mask))
    assert_close(e_out, t_out, rtol=1e-4, atol=1e-5)
    e_out.sum().backward()
    t_out.sum().backward()
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-4)


def test_core_attention_shapes_and_train_mode() -> None:
    mha = MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    x = ember.randn(3, 5, 8)
    out, w = mha(x, x, x)
    assert out.shape == (3, 5, 8) and w.shape == (3, 5, 5)
    names = [n for n, _ in mha.named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    y = layer(x)
    assert y.shape == (3, 5, 8)
    y.sum().backward()
    assert all(p.grad is not None for p in layer.parameters())
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        MultiheadAttention(7, 2)
