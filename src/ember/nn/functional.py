"""ember.nn.functional: the functional forms of layers, activations and losses."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, bump_version, wrap_dim
from ..amp import autocast_mode as _amp
from ..amp.autocast_mode import lower
from ..amp.autocast_mode import state as _autocast
from ..backends.cuda import _sdp as _sdp_flags
from ..ops._inplace import inplace_unary
from ..ops.nn import conv_functional
from ..ops.nn.activation import (
    Elu,
    Gelu,
    Hardtanh,
    LeakyRelu,
    LogSigmoid,
    Mish,
    Prelu,
    Silu,
    Softplus,
)
from ..ops.nn.conv_functional import *  # noqa: F403 - conv, pooling: their own module
from ..ops.nn.embedding import Embedding
from ..ops.nn.linear import Addmm
from ..ops.nn.loss_functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ..ops.nn.normalization import NativeBatchNorm, NativeGroupNorm, NativeLayerNorm
from ..ops.nn.padding import PAD_NODES, ConstantPadNd, pad_index_maps
from ..ops.nn.softmax import log_softmax, softmax
from ..ops.pointwise.unary import Relu, Sigmoid, Tanh
from ..ops.pointwise.where_division import where

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "mish", "softplus", "hardtanh",
    "tanh", "sigmoid", "logsigmoid", "softmax", "log_softmax", "softmin", "prelu",
    "linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d", "embedding",
    "layer_norm", "batch_norm", "group_norm", "pad", "one_hot", "normalize",
    "scaled_dot_product_attention",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    *conv_functional.__all__,
]


def _maybe_inplace(input: Tensor, inplace: bool, compute: Any) -> Tensor:
    return inplace_unary(input, compute) if inplace else compute(input)


# --- activations -------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise; its gradient at 0 is 0, as in torch."""
    if inplace:
        return input.relu_()
    return Relu.apply(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``: a hardtanh between 0 and 6, as torch records it."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, else ``negative_slope * x``."""
    return _maybe_inplace(input, inplace,
                          lambda t: LeakyRelu.apply(t, negative_slope=negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, else ``alpha * (exp(x) - 1)``."""
    return _maybe_inplace(input, inplace, lambda t: Elu.apply(t, alpha=alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """The self-normalising ELU with torch's fixed alpha and scale."""
    return _maybe_inplace(input, inplace, lambda t: Elu.apply(
        t, alpha=_SELU_ALPHA, scale=_SELU_SCALE))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with Phi the standard normal CDF, or its tanh approximation.

    Args:
        input (Tensor): the input.
        approximate (str): 'none' | 'tanh'.
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    return _maybe_inplace(input, inplace, Silu.apply)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _maybe_inplace(input, inplace, Mish.apply)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, inplace, lambda t: Hardtanh.apply(
        t, min_val=min_val, max_val=max_val))


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))`` elementwise."""
    return Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    return Tanh.apply(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed without overflow."""
    return LogSigmoid.apply(input)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: dt.dtype | None = None) -> Tensor:
    """``softmax(-x, dim)``."""
    return softmax(-input, dim, dtype=dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, else ``weight * x`` with one learnt slope per channel (dim 1)."""
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, weight = lower(input, weight)
    channels = input._data.shape[1] if input._data.ndim >= 2 else 1
    if weight._data.size not in (1, channels):
        raise RuntimeError(
            f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{weight._data.size} and channel size = {channels}.")
    return Prelu.apply(input, weight)


# --- linear layers -----------------------------------------------------------------------------


def _addmm(bias: Tensor, mat1: Tensor, mat2: Tensor) -> Tensor:
    import ember

    fused = getattr(ember, "addmm", None)
    if fused is not None:
        return fused(bias, mat1, mat2)
    return Addmm.apply(bias, mat1, mat2)


def _check_same_dtype(a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        names = {np.dtype(np.float64): "double", np.dtype(np.float32): "float",
                 np.dtype(np.float16): "c10::Half", np.dtype(np.int64): "long"}
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: "
            f"{names.get(a._data.dtype, a._data.dtype.name)} != "
            f"{names.get(b._data.dtype, b._data.dtype.name)}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: one fused product for 2-D input, as in torch; other inputs
    are viewed as 2-D around it.

    Args:
        input (Tensor): (*, in_features).
        weight (Tensor): (out_features, in_features).
        bias (Tensor, optional): (out_features).
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, weight, bias = lower(input, weight, bias)
    _check_same_dtype(input, weight)
    if bias is None:
        return input.matmul(weight.t())
    ndim = input._data.ndim
    in_features = input._data.shape[-1] if ndim else 1
    if ndim == 2:
        return _addmm(bias, input, weight.t())
    if weight._data.shape[-1] != in_features:
        rows = int(np.prod(input._data.shape[:-1])) if ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_features} and "
            f"{weight._data.shape[1]}x{weight._data.shape[0]})")
    out = _addmm(bias, input.reshape(-1, in_features), weight.t())
    return out.view(tuple(input._data.shape[:-1]) + (weight._data.shape[0],))


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1 @ weight[k] @ x2 + bias_k``.

    Args:
        input1 (Tensor): (*, in1_features).
        input2 (Tensor): (*, in2_features).
        weight (Tensor): (out_features, in1_features, in2_features).
        bias (Tensor, optional): (out_features).
    """
    out_f, in1, in2 = weight._data.shape
    lead = tuple(input1._data.shape[:-1])
    a = input1.reshape(-1, in1)
    b = input2.reshape(-1, in2)
    # (M, in1) @ (in1, out*in2) pairs every input1 row with every output's matrix at once
    mixed = a.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2))
    out = (mixed.reshape(-1, out_f, in2) * b.unsqueeze(1)).sum(-1).reshape(lead + (out_f,))
    return out + bias if bias is not None else out


# --- dropout -----------------------------------------------------------------------------------


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(shape: tuple, p: float, dtype: np.dtype) -> Tensor:
    from .._creation import default_generator

    if p == 1.0:
        return _make(np.zeros(shape, dtype=dtype))
    keep = default_generator.rng.random(shape) >= p
    return _make((keep * (1.0 / (1.0 - p))).astype(dtype))


def _apply_mask(input: Tensor, mask: Tensor, inplace: bool) -> Tensor:
    return input.mul_(mask) if inplace else input * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``, in
    training; the identity otherwise. Draws from ember's default generator.

    Args:
        input (Tensor): the input.
        p (float): the probability of zeroing an element.
        training (bool): apply dropout if True.
        inplace (bool): modify ``input`` in place.
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply_mask(input, _dropout_mask(input._data.shape, p, input._data.dtype), inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched_ndim: int,
                     name: str) -> Tensor:
    _check_p(p)
    ndim = input._data.ndim
    if ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(
            f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received a "
            f"{ndim}D input. Note that {name} exists to provide channel-wise dropout on inputs "
            f"with {batched_ndim - 2} spatial dimension{'s' if batched_ndim > 3 else ''}, a "
            f"channel dimension, and an optional batch dimension (i.e. {batched_ndim - 1}D or "
            f"{batched_ndim}D inputs).")
    if not training or p == 0.0:
        return input
    lead = 2 if ndim == batched_ndim else 1
    shape = input._data.shape[:lead] + (1,) * (ndim - lead)
    return _apply_mask(input, _dropout_mask(shape, p, input._data.dtype), inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 4, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 5, "dropout3d")


# --- embedding ---------------------------------------------------------------------------------


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Looks up rows of ``weight`` by the integer indices in ``input``.

    Args:
        input (Tensor): int64 indices of any shape.
        weight (Tensor): (num_embeddings, embedding_dim).
        padding_idx (int, optional): the row that receives no gradient.
        max_norm (float, optional): rows looked up are first renormalised in place to at most
            this norm.
        norm_type (float): the p of the norm for ``max_norm``.
        scale_grad_by_freq (bool): divide each row's gradient by its count in the batch.
    """
    if sparse:
        raise NotImplementedError("ember: embedding(sparse=True) is not supported")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    else:
        padding_idx = -1
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            "types: Long, Int; but got ember.FloatTensor instead (while checking arguments for "
            "embedding)")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx,
                                  scale_grad_by_freq=scale_grad_by_freq)


def _embedding_renorm_(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scales the rows ``idx`` picks down to ``max_norm``, in place and outside autograd."""
    rows = np.unique(idx)
    data = weight._data
    norms = np.linalg.norm(data[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    scale = max_norm / (norms[over] + 1e-7)
    data[rows[over]] *= scale[:, None].astype(data.dtype)
    bump_version(weight)


# --- normalisation -----------------------------------------------------------------------------


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalises over the last dims, given by ``normalized_shape``, then scales by ``weight``
    and shifts by ``bias`` (both of that shape)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    x_shape = input._data.shape
    if len(shape) > len(x_shape) or tuple(x_shape[len(x_shape) - len(shape):]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{''.join(', ' + str(s) for s in shape)}], but got input of size"
            f"{list(x_shape)}")
    return NativeLayerNorm.apply(input, weight, bias, ndims=len(shape), eps=eps)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalises each channel (dim 1) by the batch's mean and variance in training (and
    updates the running statistics, with the unbiased variance), or by the running statistics
    otherwise.

    Args:
        input (Tensor): (N, C, *).
        running_mean, running_var (Tensor, optional): (C) buffers, updated in place.
        training (bool): use batch statistics.
        momentum (float): the running statistics' update factor.
        eps (float): added to the variance.
    """
    x = input._data
    if training:
        size = x.size // x.shape[1] if x.ndim > 1 else x.size
        if size == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape!r}")
        if running_mean is not None or running_var is not None:
            dims = (0,) + tuple(range(2, x.ndim))
            m = 0.1 if momentum is None else momentum
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = x.mean(axis=dims)
                var = x.var(axis=dims, ddof=1)
            for buf, value in ((running_mean, mean), (running_var, var)):
                if buf is not None:
                    buf._data[...] = (1 - m) * buf._data + m * value
                    bump_version(buf)
        return NativeBatchNorm.apply(input, weight, bias, eps=eps)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    invstd = 1 / np.sqrt(running_var._data.astype(np.float64) + eps)
    return NativeBatchNorm.apply(input, weight, bias, eps=eps,
                                        mean=running_mean._data.astype(np.float64),
                                        invstd=invstd)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalises each group of ``C // num_groups`` channels of each sample, then applies a
    per-channel ``weight`` and ``bias``."""
    shape = input._data.shape
    if input._data.ndim < 2 or shape[1] % num_groups != 0:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(shape)} and num_groups={num_groups}")
    return NativeGroupNorm.apply(input, weight, bias, num_groups=num_groups, eps=eps)


# --- padding, encoding -------------------------------------------------------------------------


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last ``len(pad) // 2`` dims; ``pad`` lists (left, right) amounts from the last
    dim backwards.

    Args:
        input (Tensor): the input.
        pad (tuple): (left_last, right_last, left_second_last, ...); negative amounts crop
            (constant mode).
        mode (str): 'constant' | 'reflect' | 'replicate' | 'circular'.
        value (float, optional): the fill of constant mode (0).
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim = input._data.ndim
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {ndim}")
    if mode == "constant":
        return ConstantPadNd.apply(input, pad=pad, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise AssertionError(
            f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = input._data.shape
    for i in range(k):
        dim = ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (left >= shape[dim] or right >= shape[dim]):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({left}, {right}) at dimension {dim} of input "
                f"{list(shape)}")
        if mode == "circular" and (left > shape[dim] or right > shape[dim]):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if min(left, right) < 0:
            raise NotImplementedError(f"ember: negative padding in mode '{mode}'")
    if mode == "circular":
        return _circular_pad(input, pad)
    maps = pad_index_maps(shape, pad, mode)
    return PAD_NODES[(mode, k)].apply(input, maps=maps)


def _circular_pad(input: Tensor, pad: tuple) -> Tensor:
    from ..ops.shape.joining import cat

    out = input
    ndim = input._data.ndim
    for i in range(len(pad) // 2):
        dim = ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        size = out._data.shape[dim]
        pieces = []
        if left:
            pieces.append(_narrow_slice(out, dim, size - left, size))
        pieces.append(out)
        if right:
            pieces.append(_narrow_slice(out, dim, 0, right))
        if len(pieces) > 1:
            out = cat(pieces, dim)
    return out


def _narrow_slice(t: Tensor, dim: int, start: int, stop: int) -> Tensor:
    key = (slice(None),) * dim + (slice(start, stop),)
    return t[key]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encodings of class indices, in a new last dim of size ``num_classes``
    (one more than the largest index if -1)."""
    idx = tensor._data
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError(
                "Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _make((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("ember: normalize(out=...) is not supported")
    if hasattr(Tensor, "norm") and hasattr(Tensor, "clamp_min"):
        denom = input.norm(p, dim, keepdim=True).clamp_min(eps)
    else:
        # composed until Tensor.norm/clamp_min exist; the clamp acts before the root, so a
        # zero vector's gradient stays finite
        d = wrap_dim(dim, input._data.ndim)
        powered = (input * input) if p == 2 else input.abs() ** p
        total = powered.sum(d, keepdim=True)
        floor = eps ** p
        denom = where((total > floor), total, floor) ** (1 / p)
    return input / denom.expand_as(input)


# --- attention ---------------------------------------------------------------------------------


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(q @ k.T * scale + mask) @ v`` over the last two dims.

    Args:
        query (Tensor): (..., L, E).
        key (Tensor): (..., S, E).
        value (Tensor): (..., S, Ev).
        attn_mask (Tensor, optional): bool (True = attend) or float (added), broadcast to
            (..., L, S).
        dropout_p (float): dropout on the attention weights.
        is_causal (bool): attend only to positions at or before one's own.
        scale (float, optional): defaults to ``1 / sqrt(E)``.
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        query, key, value = lower(query, key, value)
    if not _sdp_flags["math"] or not _sdp_flags["flash"]:  # sdpa_kernel narrowed the kernels
        from .attention import check_cpu_kernel

        check_cpu_kernel()
    if enable_gqa:
        raise NotImplementedError("ember: scaled_dot_product_attention(enable_gqa=True)")
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True")
    L, S = query._data.shape[-2], key._data.shape[-2]
    factor = 1 / math.sqrt(query._data.shape[-1]) if scale is None else scale
    scores = query.matmul(key.transpose(-2, -1)) * factor
    allowed = None
    if is_causal:
        allowed = np.tril(np.ones((L, S), dtype=bool))
    elif attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            allowed = attn_mask._data
        else:
            scores = scores + attn_mask
    if allowed is not None:
        allowed = np.broadcast_to(allowed, scores._data.shape)
        # rows with nothing to attend to give zeros (not nan), as torch's math path does
        empty_rows = ~allowed.any(-1, keepdims=True)
        masked = where(_make(allowed | empty_rows), scores, -math.inf)
        weights = softmax(masked, -1)
        if empty_rows.any():
            weights = where(_make(empty_rows), 0.0, weights)
    else:
        weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights.matmul(value)
