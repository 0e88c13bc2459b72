"""Primitives of ember.nn that torch records as nodes of their own: activations
(LeakyReluBackward0, GeluBackward0, ...), normalisation (NativeLayerNormBackward0, ...),
embedding, padding and the fused matrix product of Linear.

Every backward is written with ember ops, so second-order gradients work. Where a derivative
needs a function ember has no op for (the normal CDF of GELU), a small helper primitive below
provides it with its own backward.

This module is imported by ``ember.nn.functional``, not by ``ember.ops``: its ops are nn's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._op import Primitive, UnaryOp, op
from ..pointwise.where_division import where
from ..samples import Sample, _values

# --- special functions NumPy lacks -----------------------------------------------------------


def _erfc_large(a: np.ndarray) -> np.ndarray:
    """erfc(a) for a >= 3 by its continued fraction, accurate relative to the (tiny) result."""
    f = a.copy()
    for n in range(120, 0, -1):  # a loop over terms of the fraction, not over elements
        f = a + (n / 2) / f
    return np.exp(-a * a) / math.sqrt(math.pi) / f


def erf_np(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, to about 1e-15 (float64 throughout)."""
    x64 = np.asarray(x, dtype=np.float64)
    a = np.abs(x64)
    small = a < 3.0
    # a power series whose terms are all positive, so it does not cancel
    xs = np.where(small, x64, 0.0)
    term = xs.copy()
    total = xs.copy()
    x2 = 2 * xs * xs
    for n in range(1, 100):
        term = term * x2 / (2 * n + 1)
        total = total + term
    series = 2 / math.sqrt(math.pi) * np.exp(-xs * xs) * total
    tail = 1 - _erfc_large(np.where(small, 3.0, a))
    return np.where(small, series, np.sign(x64) * tail)


def normal_cdf_np(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF, accurate also far in the left tail (where GELU needs it)."""
    z = np.asarray(x, dtype=np.float64) / math.sqrt(2)
    left = z < -3.0
    tail = 0.5 * _erfc_large(np.where(left, -z, 3.0))
    return np.where(left, tail, 0.5 * (1 + erf_np(np.where(left, 0.0, z))))


def _like(result: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray(result).astype(x.dtype, copy=False)


def _check_float(x: np.ndarray, kernel: str) -> None:
    if x.dtype.kind not in "fc":
        from ... import _dtype as dt
        from ..pointwise.arithmetic import _kind_name

        raise RuntimeError(
            f'"{kernel}" not implemented for \'{_kind_name(dt._BY_NUMPY[x.dtype])}\'')


# --- activations -------------------------------------------------------------------------------


def _act_samples(call: Any, edge: tuple = (0.0,), domain: str = "real") -> Any:
    def make(cls: type) -> list[Sample]:
        samples = [Sample(call, (_values(shape, domain, i),), f"shape{shape}")
                   for i, shape in enumerate([(), (5,), (2, 3)])]
        samples.append(Sample(call, (np.array(edge + (25.0, -25.0, 1.5, -1.5)),), "edge",
                              gradcheck=False))
        samples.append(Sample(call, (np.zeros((0, 3)),), "empty"))
        return samples

    return make


@op("LeakyReluBackward0",
    samples=_act_samples(lambda lib, x: lib.nn.functional.leaky_relu(x, 0.2)))
class LeakyRelu(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        _check_float(x, "leaky_relu_cpu")
        ctx.negative_slope = negative_slope
        return _like(np.where(x > 0, x, x * negative_slope), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return where((x > 0), grad, grad * ctx.negative_slope)


@op("EluBackward0", samples=_act_samples(lambda lib, x: lib.nn.functional.elu(x, 0.7)))
class Elu(UnaryOp):
    """ELU and SELU: ``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))``."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, alpha: float = 1.0, scale: float = 1.0,
                input_scale: float = 1.0) -> np.ndarray:
        _check_float(x, "elu_cpu")
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        with np.errstate(over="ignore"):
            neg = alpha * np.expm1(np.minimum(x, 0) * input_scale)
        return _like(scale * np.where(x > 0, x, neg), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        positive = x > 0
        # exp only of the non-positive part, so the unused branch cannot overflow into nan
        negative_part = x * (~positive)
        slope = (negative_part * ctx.input_scale).exp() * (ctx.alpha * ctx.input_scale)
        return where(positive, grad * ctx.scale, grad * slope * ctx.scale)


class NormalCdf(UnaryOp):
    """Phi(x), the standard normal CDF: GELU's backward needs it as a differentiable op."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return _like(normal_cdf_np(x), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * _normal_pdf(x)


NormalCdf.__name__ = NormalCdf.__qualname__ = "NormalCdfBackward0"


def _normal_pdf(x: Tensor) -> Tensor:
    return (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))


_TANH_K = math.sqrt(2 / math.pi)
_TANH_C = 0.044715


def _gelu_samples(cls: type) -> list[Sample]:
    exact = _act_samples(lambda lib, x: lib.nn.functional.gelu(x))(cls)
    tanh = _act_samples(lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"))(cls)
    for s in tanh:
        s.name = "tanh-" + s.name
    tail = Sample(lambda lib, x: lib.nn.functional.gelu(x), (np.array([-9.0, -12.0, 6.0]),),
                  "tail", gradcheck=False)
    return exact + tanh + [tail]


@op("GeluBackward0", samples=_gelu_samples)
class Gelu(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, approximate: str = "none") -> np.ndarray:
        _check_float(x, "GeluKernelImpl")
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _TANH_K * (x + _TANH_C * x * x * x)
            return _like(0.5 * x * (1 + np.tanh(inner)), x)
        return _like(x * normal_cdf_np(x), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = ((x + x * x * x * _TANH_C) * _TANH_K).tanh()
            d_inner = (x * x * (3 * _TANH_C) + 1) * _TANH_K
            return grad * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * d_inner)
        return grad * (NormalCdf.apply(x) + x * _normal_pdf(x))


@op("SiluBackward0", samples=_act_samples(lambda lib, x: lib.nn.functional.silu(x)))
class Silu(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        _check_float(x, "silu_cpu")
        with np.errstate(over="ignore"):
            return _like(x / (1 + np.exp(-x)), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        return grad * s * (x * (1 - s) + 1)


def _softplus_np(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, x)


@op("MishBackward0", samples=_act_samples(lambda lib, x: lib.nn.functional.mish(x)))
class Mish(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        _check_float(x, "mish_cpu")
        return _like(x * np.tanh(_softplus_np(x)), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        t = (-LogSigmoid.apply(-x)).tanh()  # tanh(softplus(x)): softplus(x) = -logsigmoid(-x)
        return grad * (t + x * x.sigmoid() * (1 - t * t))


@op("SoftplusBackward0", samples=_act_samples(
    lambda lib, x: lib.nn.functional.softplus(x, beta=2.0, threshold=3.0)))
class Softplus(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
        _check_float(x, "softplus_cpu")
        ctx.beta, ctx.threshold = beta, threshold
        # above the threshold softplus is the identity, as in torch
        return _like(np.where(x * beta > threshold, x, _softplus_np(x * beta) / beta), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        linear = x * ctx.beta > ctx.threshold
        return where(linear, grad, grad * (x * ctx.beta).sigmoid())


@op("HardtanhBackward0", samples=_act_samples(
    lambda lib, x: lib.nn.functional.hardtanh(x, -1.0, 1.2), edge=(-1.0, 1.2)))
class Hardtanh(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, min_val: float = -1.0, max_val: float = 1.0) -> np.ndarray:
        if x.dtype == np.bool_:
            raise RuntimeError('"hardtanh_cpu" not implemented for \'Bool\'')
        ctx.min_val, ctx.max_val = min_val, max_val
        return _like(np.clip(x, min_val, max_val), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        inside = (x > ctx.min_val).bitwise_and(x < ctx.max_val)
        return where(inside, grad, grad * 0)


@op("LogSigmoidBackward0", samples=_act_samples(lambda lib, x: lib.nn.functional.logsigmoid(x)))
class LogSigmoid(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        _check_float(x, "log_sigmoid_forward")
        return _like(-_softplus_np(-x), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (-x).sigmoid()


def _prelu_samples(cls: type) -> list[Sample]:
    def call(lib: Any, x: Any, w: Any) -> Any:
        return lib.nn.functional.prelu(x, w)

    return [Sample(call, (_values((2, 3, 4), "nonzero", 0), np.array([0.25, -0.5, 1.5])),
                   "channels"),
            Sample(call, (_values((4, 3), "nonzero", 1), np.array([0.3])), "shared"),
            Sample(call, (_values((5,), "nonzero", 2), np.array([0.3])), "1-D")]


@op("PreluKernelBackward0", samples=_prelu_samples)
class Prelu(Primitive):
    """``x if x > 0 else weight * x``, with one weight per channel (dim 1) or one shared."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, weight: np.ndarray) -> np.ndarray:
        w = _channel_view(weight, x.ndim)
        return _like(np.where(x > 0, x, w * x), x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, weight = ctx.saved_tensors
        positive = x > 0
        w = weight.reshape(_channel_shape(weight._data.size, x._data.ndim))
        grad_x = where(positive, grad, grad * w) if ctx._next[0] else None
        grad_w = None
        if ctx._next[1]:
            per_element = where(positive, grad * 0, grad * x)
            if weight._data.size == 1:
                grad_w = per_element.sum().reshape(weight._data.shape)
            else:
                dims = tuple(d for d in range(x._data.ndim) if d != 1)
                grad_w = per_element.sum(dims).reshape(weight._data.shape)
        return grad_x, grad_w


def _channel_shape(size: int, ndim: int) -> tuple:
    if size == 1 or ndim < 2:
        return (1,) * ndim if size == 1 else (size,)
    return (1, size) + (1,) * (ndim - 2)


def _channel_view(weight: np.ndarray, ndim: int) -> np.ndarray:
    return weight.reshape(_channel_shape(weight.size, ndim))


# --- Linear's fused product --------------------------------------------------------------------


class Addmm(Primitive):
    """``bias + mat1 @ mat2``: Linear's one node for 2-D input, named as torch names it.

    Used only until ``ember.addmm`` (ops/linalg.py) exists; then Linear calls that instead.
    """

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, bias: np.ndarray, mat1: np.ndarray, mat2: np.ndarray) -> np.ndarray:
        if mat1.shape[1] != mat2.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} "
                f"and {mat2.shape[0]}x{mat2.shape[1]})")
        ctx.bias_shape = bias.shape
        return mat1 @ mat2 + bias

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, mat1, mat2 = ctx.saved_tensors
        grad_bias = None
        if ctx._next[0]:
            from ..reduction.sum_mean import sum_to_size

            grad_bias = sum_to_size(grad, ctx.bias_shape)
        return (grad_bias,
                grad.matmul(mat2.t()) if ctx._next[1] else None,
                mat1.t().matmul(grad) if ctx._next[2] else None)


Addmm.__name__ = Addmm.__qualname__ = "AddmmBackward0"


# --- normalisation -----------------------------------------------------------------------------


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


# --- embedding ---------------------------------------------------------------------------------


def _embedding_samples(cls: type) -> list[Sample]:
    w = _values((5, 3), "real", 0)
    idx = np.array([[0, 2, 4], [2, 2, 1]])
    return [
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w), (idx, w), "2-D"),
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w, padding_idx=2), (idx, w),
               "padding", gradcheck=False),  # by design not the true gradient: torch agrees
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w, scale_grad_by_freq=True),
               (idx, w), "freq", gradcheck=False),
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w), (np.array(3), w), "0-d"),
    ]


@op("EmbeddingBackward0", samples=_embedding_samples)
class Embedding(UnaryOp):
    """Rows of ``weight`` picked by integer ``indices``. The gradient of a row used several
    times is the sum of its gradients; the ``padding_idx`` row gets none."""

    @staticmethod
    def forward(ctx: Any, weight: np.ndarray, indices: np.ndarray, padding_idx: int = -1,
                scale_grad_by_freq: bool = False, zero_padding: bool = False) -> np.ndarray:
        ctx.indices, ctx.padding_idx, ctx.freq = indices, padding_idx, scale_grad_by_freq
        ctx.num_weights = weight.shape[0]
        out = weight[indices]
        if zero_padding:  # the adjoint of the dense backward, which skips padding rows
            out = out * (indices != padding_idx)[..., None]
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return EmbeddingDenseBackward.apply(grad, indices=ctx.indices,
                                            num_weights=ctx.num_weights,
                                            padding_idx=ctx.padding_idx, freq=ctx.freq)


class EmbeddingDenseBackward(UnaryOp):
    """Sums the rows of ``grad`` into the rows of ``weight`` they came from."""

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, indices: np.ndarray, num_weights: int,
                padding_idx: int, freq: bool) -> np.ndarray:
        ctx.indices, ctx.padding_idx, ctx.freq = indices, padding_idx, freq
        flat = indices.reshape(-1)
        rows = grad.reshape(flat.size, -1)
        if freq:
            counts = np.bincount(flat, minlength=num_weights)
            rows = rows / counts[flat][:, None]
            ctx.scale = (1 / counts[flat]).astype(grad.dtype)
        out = np.zeros((num_weights, grad.shape[-1]), dtype=grad.dtype)
        keep = flat != padding_idx
        np.add.at(out, flat[keep], rows[keep])
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        out = Embedding.apply(grad, indices=ctx.indices, padding_idx=ctx.padding_idx,
                              zero_padding=True)
        if ctx.freq:
            out = out * _make(ctx.scale.reshape(ctx.indices.shape + (1,)))
        return out


EmbeddingDenseBackward.__name__ = EmbeddingDenseBackward.__qualname__ = \
    "EmbeddingDenseBackwardBackward0"


# --- padding -----------------------------------------------------------------------------------


def _pad_samples(cls: type) -> list[Sample]:
    x = _values((2, 3, 4), "real", 0)
    return [
        Sample(lambda lib, t: lib.nn.functional.pad(t, (1, 2)), (x,), "last"),
        Sample(lambda lib, t: lib.nn.functional.pad(t, (1, 0, 0, 2), value=1.5), (x,), "value"),
        Sample(lambda lib, t: lib.nn.functional.pad(t, (-1, 2, 1, -1)), (x,), "negative"),
    ]


@op("ConstantPadNdBackward0", samples=_pad_samples)
class ConstantPadNd(UnaryOp):
    """Pads (or, with negative amounts, crops) the last dims; ``pad`` pairs run from the last
    dim backwards, as in torch."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, pad: tuple, value: float = 0.0) -> np.ndarray:
        ctx.pad = pad
        pairs = [(0, 0)] * x.ndim
        crops = [slice(None)] * x.ndim
        for i in range(len(pad) // 2):
            dim = x.ndim - 1 - i
            left, right = pad[2 * i], pad[2 * i + 1]
            pairs[dim] = (max(left, 0), max(right, 0))
            size = x.shape[dim] + max(left, 0) + max(right, 0)
            crops[dim] = slice(max(-left, 0), size - max(-right, 0))
        padded = np.pad(x, pairs, mode="constant", constant_values=value)
        return np.ascontiguousarray(padded[tuple(crops)])

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # cropping is the adjoint of zero-padding and the other way round
        return ConstantPadNd.apply(grad, pad=tuple(-p for p in ctx.pad), value=0.0)


def _index_pad_samples(mode: str, k: int) -> Any:
    def make(cls: type) -> list[Sample]:
        shape = {1: (2, 3, 4), 2: (1, 2, 3, 4), 3: (1, 2, 3, 3, 4)}[k]
        pad = (2, 1, 1, 2, 1, 0)[: 2 * k]
        return [Sample(lambda lib, t: lib.nn.functional.pad(t, pad, mode=mode),
                       (_values(shape, "real", k),), f"{mode}{k}d")]

    return make


class _IndexPad(UnaryOp):
    """Reflect/replicate padding: each output element copies one input element, found by an
    index map per padded dim."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, maps: tuple) -> np.ndarray:
        ctx.maps, ctx.in_shape = maps, x.shape
        out = x
        for dim, idx in maps:
            out = np.take(out, idx, axis=dim)
        return out

    @classmethod
    def _adjoint(cls, ctx: Any, grad: Tensor) -> Tensor:
        return _IndexPadAdjoint.apply(grad, maps=ctx.maps, in_shape=ctx.in_shape, forward=cls)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return type(ctx)._adjoint(ctx, grad)


class _IndexPadAdjoint(UnaryOp):
    """Sums each output gradient back into the input element it was copied from."""

    linear = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, maps: tuple, in_shape: tuple,
                forward: type) -> np.ndarray:
        ctx.maps, ctx.forward_cls = maps, forward
        out = grad
        for dim, idx in reversed(maps):
            shape = list(out.shape)
            shape[dim] = in_shape[dim]
            acc = np.zeros(shape, dtype=grad.dtype)
            key = (slice(None),) * dim + (idx,)
            np.add.at(acc, key, out)
            out = acc
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ctx.forward_cls.apply(grad, maps=ctx.maps)


_IndexPadAdjoint.__name__ = _IndexPadAdjoint.__qualname__ = "PadBackwardBackward0"

PAD_NODES: dict[tuple[str, int], type] = {}
for _mode, _title in (("reflect", "Reflection"), ("replicate", "Replication")):
    for _k in (1, 2, 3):
        _cls = type(f"{_title}Pad{_k}d", (_IndexPad,), {})
        PAD_NODES[(_mode, _k)] = op(f"{_title}Pad{_k}DBackward0",
                                    samples=_index_pad_samples(_mode, _k))(_cls)


def pad_index_maps(shape: tuple, pad: tuple, mode: str) -> tuple:
    """For each padded dim ``(dim, index array)``: which input element each output copies."""
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    maps = []
    for i in range(len(pad) // 2):
        dim = len(shape) - 1 - i
        idx = np.pad(np.arange(shape[dim]), (pad[2 * i], pad[2 * i + 1]), mode=np_mode)
        maps.append((dim, idx))
    return tuple(maps)
