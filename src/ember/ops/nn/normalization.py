"""Normalisation primitives of ember.nn, each one node as torch records it:
NativeLayerNormBackward0, NativeBatchNormBackward0 and NativeGroupNormBackward0.

Every backward is written with ember ops, so second-order gradients work."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._op import Primitive, op
from ..samples import Sample, _values
from .activation import _like


def _standardize(x: Tensor, dims: tuple, eps: float) -> tuple[Tensor, Tensor]:
    """``(x - mean) * rstd`` and ``rstd`` over ``dims``, as ember ops (differentiable, so the
    backward formulas below can be differentiated again)."""
    mean = x.mean(dims, keepdim=True)
    centred = x - mean
    rstd = ((centred * centred).mean(dims, keepdim=True) + eps) ** -0.5
    return centred * rstd, rstd


def _normalized_grad(x: Tensor, dxhat: Tensor, dims: tuple, eps: float) -> Tensor:
    """The gradient at ``x`` of ``(x - mean) * rstd`` over ``dims``, given ``dxhat``."""
    xhat, rstd = _standardize(x, dims, eps)
    return rstd * (dxhat - dxhat.mean(dims, keepdim=True)
                   - xhat * (dxhat * xhat).mean(dims, keepdim=True))


def _stats_np(x: np.ndarray, dims: tuple, eps: float) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=dims, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=dims, keepdims=True)
    return mean, 1 / np.sqrt(var + eps)


def _norm_samples(kind: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4, 2), "real", 0)
        w, b = _values((4,), "real", 1), _values((4,), "real", 2)
        if kind == "layer":
            w2, b2 = _values((4, 2), "real", 3), _values((4, 2), "real", 4)
            return [
                Sample(lambda lib, t: lib.nn.functional.layer_norm(t, (2,)), (x,), "last"),
                Sample(lambda lib, t, w, b: lib.nn.functional.layer_norm(t, (4, 2), w, b),
                       (x, w2, b2), "affine"),
                Sample(lambda lib, t, w: lib.nn.functional.layer_norm(t, (4, 2), w),
                       (x, w2), "weight-only")]
        if kind == "batch":
            rm, rv = np.zeros(4), np.ones(4) * 1.5

            def eval_call(lib: Any, t: Any, w: Any, b: Any) -> Any:
                return lib.nn.functional.batch_norm(
                    t, lib.tensor(rm, dtype=t.dtype), lib.tensor(rv, dtype=t.dtype), w, b,
                    training=False)

            return [
                Sample(lambda lib, t: lib.nn.functional.batch_norm(t, None, None, training=True),
                       (x,), "train"),
                Sample(lambda lib, t, w, b: lib.nn.functional.batch_norm(
                    t, None, None, w, b, training=True), (x, w, b), "train-affine"),
                Sample(lambda lib, t, w, b: lib.nn.functional.batch_norm(
                    t, None, None, w, b, training=True), (x[:, :, 0], w, b), "2-D"),
                Sample(eval_call, (x, w, b), "eval")]
        return [
            Sample(lambda lib, t: lib.nn.functional.group_norm(t, 2), (x,), "groups2"),
            Sample(lambda lib, t, w, b: lib.nn.functional.group_norm(t, 2, w, b), (x, w, b),
                   "affine"),
            Sample(lambda lib, t, w, b: lib.nn.functional.group_norm(t, 4, w, b),
                   (_values((2, 4, 3, 2), "real", 5), w, b), "4-D")]

    return make


@op("NativeLayerNormBackward0", samples=_norm_samples("layer"))
class NativeLayerNorm(Primitive):
    """Normalises over the last ``len(normalized_shape)`` dims, then scales and shifts."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                ndims: int, eps: float) -> np.ndarray:
        dims = tuple(range(x.ndim - ndims, x.ndim))
        ctx.dims, ctx.eps = dims, eps
        if x.size == 0:
            return x.copy()
        mean, rstd = _stats_np(x, dims, eps)
        out = (x - mean) * rstd
        if weight is not None:
            out = out * weight
        if bias is not None:
            out = out + bias
        return _like(out, x)

    formula = {
        "x": "invstd * (g - mean(g) - xhat * mean(g * xhat)) over the normalised dims, g = grad * "
            "weight",
        "weight": "sum of grad * xhat over the batch dims",
        "bias": "sum of grad over the batch dims",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, weight, bias = ctx.saved_tensors
        dims = ctx.dims
        lead = tuple(range(x._data.ndim - len(dims)))
        dxhat = grad * weight if weight is not None else grad
        grad_x = _normalized_grad(x, dxhat, dims, ctx.eps) if ctx._next[0] else None
        grad_w = grad_b = None
        if weight is not None and ctx._next[1]:
            xhat, _ = _standardize(x, dims, ctx.eps)
            grad_w = (grad * xhat).sum(lead) if lead else grad * xhat
        if bias is not None and ctx._next[2]:
            grad_b = grad.sum(lead) if lead else grad
        return grad_x, grad_w, grad_b


def _per_channel(t: Tensor, ndim: int) -> Tensor:
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _scale_shift(out: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                 shape: tuple) -> np.ndarray:
    """The normalisation layers' per-channel affine step (either part may be absent)."""
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@op("NativeBatchNormBackward0", samples=_norm_samples("batch"))
class NativeBatchNorm(Primitive):
    """Normalises each channel (dim 1) by the batch's statistics (training) or by given running
    statistics (``mean``/``invstd`` arrays, evaluation)."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                eps: float, mean: np.ndarray | None = None,
                invstd: np.ndarray | None = None) -> np.ndarray:
        dims = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        ctx.dims, ctx.eps, ctx.training = dims, eps, mean is None
        if mean is None:
            m, rstd = _stats_np(x, dims, eps)
        else:
            m, rstd = mean.reshape(shape), invstd.reshape(shape)
            ctx.mean, ctx.invstd = mean, invstd
        out = (x - m) * rstd
        return _like(_scale_shift(out, weight, bias, shape), x)

    formula = {
        "x": "invstd * (g - mean(g) - xhat * mean(g * xhat)) per channel, g = grad * weight "
            "(training); grad * weight * invstd (eval)",
        "weight": "sum of grad * xhat per channel",
        "bias": "sum of grad per channel",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, weight, bias = ctx.saved_tensors
        nd, dims = x._data.ndim, ctx.dims
        w = _per_channel(weight, nd) if weight is not None else None
        dxhat = grad * w if w is not None else grad
        if ctx.training:
            grad_x = _normalized_grad(x, dxhat, dims, ctx.eps) if ctx._next[0] else None
            xhat = _standardize(x, dims, ctx.eps)[0] if ctx._next[1] else None
        else:
            # the running statistics are constants here: no gradient flows into them
            invstd = _per_channel(_make(ctx.invstd.astype(x._data.dtype)), nd)
            grad_x = dxhat * invstd if ctx._next[0] else None
            xhat = None
            if ctx._next[1]:
                mean = _per_channel(_make(ctx.mean.astype(x._data.dtype)), nd)
                xhat = (x - mean) * invstd
        grad_w = (grad * xhat).sum(dims) if weight is not None and ctx._next[1] else None
        grad_b = grad.sum(dims) if bias is not None and ctx._next[2] else None
        return grad_x, grad_w, grad_b


@op("NativeGroupNormBackward0", samples=_norm_samples("group"))
class NativeGroupNorm(Primitive):
    """Normalises each of ``num_groups`` groups of channels per sample, then applies a
    per-channel scale and shift."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                num_groups: int, eps: float) -> np.ndarray:
        n = x.shape[0]
        ctx.groups, ctx.eps = num_groups, eps
        grouped = x.reshape(n, num_groups, -1)
        mean, rstd = _stats_np(grouped, (2,), eps)
        out = ((grouped - mean) * rstd).reshape(x.shape)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return _like(_scale_shift(out, weight, bias, shape), x)

    formula = {
        "x": "invstd * (g - mean(g) - xhat * mean(g * xhat)) per group, g = grad * weight",
        "weight": "sum of grad * xhat per channel",
        "bias": "sum of grad per channel",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, weight, bias = ctx.saved_tensors
        shape = x._data.shape
        nd, n, g = len(shape), shape[0], ctx.groups
        dims = (0,) + tuple(range(2, nd))
        grouped = x.reshape(n, g, -1)
        grad_x = grad_w = grad_b = None
        if ctx._next[0]:
            dxhat = grad * _per_channel(weight, nd) if weight is not None else grad
            grad_x = _normalized_grad(grouped, dxhat.reshape(n, g, -1), (2,),
                                      ctx.eps).reshape(shape)
        if weight is not None and ctx._next[1]:
            xhat = _standardize(grouped, (2,), ctx.eps)[0].reshape(shape)
            grad_w = (grad * xhat).sum(dims)
        if bias is not None and ctx._next[2]:
            grad_b = grad.sum(dims)
        return grad_x, grad_w, grad_b
