"""Attention layers: MultiheadAttention and TransformerEncoderLayer, with torch's parameter
names (``in_proj_weight``, ``out_proj.weight``, ``linear1.bias``, ``norm1.weight`` ...) so
state_dicts load either way."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ..parameter import Parameter
from .conv import uniform_parameter
from .module import Module

__all__ = ["MultiheadAttention", "TransformerEncoderLayer"]


def _functional() -> Any:
    from .. import functional

    return functional


def _layer(module: str, name: str) -> Any:
    """The nn layer ``name`` (Linear, LayerNorm, Dropout) from ``ember.nn.modules.<module>``,
    or a minimal stand-in with the same parameters and repr while that module is missing."""
    try:
        mod = __import__(f"ember.nn.modules.{module}", fromlist=[name])
        return getattr(mod, name)
    except (ImportError, AttributeError):
        return _FALLBACKS[name]


class _Linear(Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        self.weight = uniform_parameter((out_features, in_features), bound, dtype)
        if bias:
            self.bias = uniform_parameter((out_features,), bound, dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return _functional().linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class _LayerNorm(Module):
    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        np_dtype = (dtype or dt.get_default_dtype()).np
        self.weight = Parameter(_make(np.ones(shape, dtype=np_dtype)))
        self.bias = Parameter(_make(np.zeros(shape, dtype=np_dtype))) if bias else None

    def forward(self, input: Tensor) -> Tensor:
        return _functional().layer_norm(input, self.normalized_shape, self.weight, self.bias,
                                        self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class _Dropout(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return _functional().dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


_FALLBACKS = {"Linear": _Linear, "LayerNorm": _LayerNorm, "Dropout": _Dropout}
for _name, _cls in _FALLBACKS.items():
    _cls.__name__ = _cls.__qualname__ = _name  # they print as the layers they stand in for


def _xavier_uniform(shape: tuple, dtype: Any) -> Parameter:
    fan_out, fan_in = shape[0], shape[1]
    return uniform_parameter(shape, math.sqrt(6.0 / (fan_in + fan_out)), dtype)


def _zeros_parameter(shape: tuple, dtype: Any) -> Parameter:
    return Parameter(_make(np.zeros(shape, dtype=(dtype or dt.get_default_dtype()).np)))


def _mask_bias(mask: Tensor, dtype: Any) -> Tensor:
    """An additive float mask: boolean True (masked out) becomes -inf, floats pass through."""
    if mask.dtype == dt.bool:
        data = np.where(mask._data, -np.inf, 0.0).astype(dtype.np)
        return _make(data)
    return mask


class MultiheadAttention(Module):
    """Multi-head scaled dot-product attention:
    ``softmax(Q K^T / sqrt(head_dim) + mask) V`` per head, then an output projection.

    Args:
        embed_dim (int): model width E (split over the heads).
        num_heads (int): heads; must divide embed_dim.
        dropout (float): dropout on the attention weights (training only).
        bias (bool): biases on the input and output projections.
        kdim, vdim (int, optional): key and value widths (default embed_dim); when they differ
            from embed_dim, separate q/k/v projection weights replace ``in_proj_weight``.
        batch_first (bool): inputs and outputs are (N, L, E) instead of (L, N, E).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output, attn_weights)``;
    masks may be boolean (True = not allowed) or float (added to the scores).

    Example::

        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = ember.randn(3, 5, 8)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (ember.Size([3, 5, 8]), ember.Size([3, 5, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("ember: MultiheadAttention(add_bias_kv=..., "
                                      "add_zero_attn=...) is not supported yet")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _xavier_uniform((3 * embed_dim, embed_dim), dtype)
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = _xavier_uniform((embed_dim, embed_dim), dtype)
            self.k_proj_weight = _xavier_uniform((embed_dim, self.kdim), dtype)
            self.v_proj_weight = _xavier_uniform((embed_dim, self.vdim), dtype)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = _zeros_parameter((3 * embed_dim,), dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = _out_projection(embed_dim, bias, dtype)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple:
        F = _functional()
        e = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:e], w[e:2 * e], w[2 * e:]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        F = _functional()
        batched = query.dim() == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        tgt_len, batch, e = query.shape
        src_len = key.shape[0]
        if e != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but "
                                 f"got {e}")
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use "
                               "the Transformer module method `generate_square_subsequent_mask`"
                               " to create this mask.")
        heads, hd = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)
        # (L, N, E) -> (N*heads, L, head_dim), torch's head layout
        q = q.reshape(tgt_len, batch * heads, hd).transpose(0, 1)
        k = k.reshape(src_len, batch * heads, hd).transpose(0, 1)
        v = v.reshape(src_len, batch * heads, hd).transpose(0, 1)
        scores = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            mask = _mask_bias(attn_mask, scores.dtype)
            if mask.dim() == 2:
                expected = (tgt_len, src_len)
            else:
                expected = (batch * heads, tgt_len, src_len)
            if tuple(mask.shape) != expected:
                raise RuntimeError(f"The shape of the {mask.dim()}D attn_mask is "
                                   f"{tuple(mask.shape)}, but should be {expected}.")
            scores = scores + mask
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (batch, src_len):
                raise AssertionError(
                    f"expecting key_padding_mask shape of {(batch, src_len)}, but got "
                    f"{tuple(key_padding_mask.shape)}")
            pad = _mask_bias(key_padding_mask, scores.dtype)
            pad = pad.reshape(batch, 1, 1, src_len).expand(batch, heads, 1, src_len)
            scores = scores + pad.reshape(batch * heads, 1, src_len)
        weights = F.softmax(scores, -1)
        if self.dropout > 0.0 and self.training:
            weights = F.dropout(weights, self.dropout, True)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * batch, e)
        out = self.out_proj(out).reshape(tgt_len, batch, e)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        weights = weights.reshape(batch, heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights


def _out_projection(embed_dim: int, bias: bool, dtype: Any) -> Module:
    """torch's out_proj is a Linear subclass named NonDynamicallyQuantizableLinear (it shows
    in the repr)."""
    base = _layer("linear", "Linear")
    cls = type("NonDynamicallyQuantizableLinear", (base,), {})
    return cls(embed_dim, embed_dim, bias=bias, dtype=dtype)


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual connection and
    LayerNorm (after each block, or before it with ``norm_first``).

    Args:
        d_model (int): model width.
        nhead (int): attention heads.
        dim_feedforward (int): hidden width of the feed-forward block. Default 2048.
        dropout (float): dropout after attention, inside and after the feed-forward block.
        activation (str or callable): 'relu' (default) or 'gelu', or a function.
        layer_norm_eps (float): LayerNorm epsilon.
        batch_first (bool): (N, L, E) inputs.
        norm_first (bool): pre-norm instead of post-norm.
        bias (bool): biases in the linear layers and LayerNorms.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, batch_first=True)
        >>> layer(ember.randn(3, 5, 8)).shape
        ember.Size([3, 5, 8])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        linear = _layer("linear", "Linear")
        norm = _layer("normalization", "LayerNorm")
        drop = _layer("dropout", "Dropout")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = drop(dropout)
        self.linear2 = linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = norm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = norm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = drop(dropout)
        self.dropout2 = drop(dropout)
        if isinstance(activation, str):
            if activation not in ("relu", "gelu"):
                raise RuntimeError(f"activation should be relu/gelu, not {activation}")
            self.activation_relu_or_gelu = 1 if activation == "relu" else 2
            activation = getattr(_functional(), activation)
        self.activation = activation

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None,
                  key_padding_mask: Tensor | None) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask))
            x = self.norm2(x + self._ff_block(x))
        return x
