"""Activations of ember.nn that torch records as nodes of their own (LeakyReluBackward0,
GeluBackward0, ...). The normal CDF GELU needs comes from ``pointwise/special.py``.

Every backward is written with ember ops, so second-order gradients work. Where a derivative
needs a function ember has no op for (the normal CDF of GELU), a small helper primitive below
provides it with its own backward. ReLU, sigmoid and tanh are ``ember.<name>`` ops too and live
in ``ops/pointwise/unary.py``; softmax and log_softmax in ``softmax.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from ...autograd import grad_mode
from .._op import Primitive, UnaryOp, op
from ..pointwise import kernels
from ..pointwise.special import normal_cdf
from ..pointwise.where_division import where
from ..samples import Sample, _values


def _like(result: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray(result).astype(x.dtype, copy=False)


def _check_float(x: np.ndarray, kernel: str) -> None:
    if x.dtype.kind not in "fcV":
        from ... import _dtype as dt
        from ..pointwise.arithmetic import _kind_name

        raise RuntimeError(
            f'"{kernel}" not implemented for \'{_kind_name(dt._BY_NUMPY[x.dtype])}\'')


# --- activations -------------------------------------------------------------------------------
# A backward run without create_graph (grad mode off) computes its formula in NumPy in a few
# in-place passes and returns a plain tensor; with create_graph it uses the same formula in
# ember ops, so that the gradient can be differentiated again.


def _recording() -> bool:
    return grad_mode.state.enabled


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
        if 0 <= negative_slope <= 1:  # then max(x, slope * x) is the select, in two passes
            return np.maximum(x, np.multiply(x, negative_slope, dtype=x.dtype))
        return _like(np.where(x > 0, x, x * negative_slope), x)

    formula = {"x": "grad * where(x > 0, 1, negative_slope)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if not _recording():
            g = grad._data
            return _make(kernels.select(x._data > 0, g, np.multiply(g, ctx.negative_slope,
                                                             dtype=g.dtype)))
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
        negative = np.minimum(x, 0, out=np.empty_like(x))
        np.multiply(negative, input_scale, out=negative)
        negative = kernels.expm1_nonpositive(negative)
        np.multiply(negative, alpha, out=negative)
        out = kernels.select(x > 0, x, negative)
        return _like(out * scale if scale != 1 else out, x)

    formula = {"x": "grad * scale * where(x > 0, 1, alpha * input_scale * exp(x * input_scale))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if not _recording():
            xd, g = x._data, grad._data
            slope = np.minimum(xd, 0, out=np.empty_like(xd))
            np.multiply(slope, ctx.input_scale, out=slope)
            np.exp(slope, out=slope)
            np.multiply(slope, ctx.alpha * ctx.input_scale * ctx.scale, out=slope)
            np.multiply(slope, g, out=slope)
            scaled = np.multiply(g, ctx.scale, dtype=g.dtype)
            return _make(_like(kernels.select(xd > 0, scaled, slope), g))
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
        return normal_cdf(x)

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
    cdf: np.ndarray | None = None  # Phi(x) from the forward, which backward needs again

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, approximate: str = "none") -> np.ndarray:
        _check_float(x, "GeluKernelImpl")
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _TANH_K * (x + _TANH_C * x * x * x)
            return _like(0.5 * x * (1 + np.tanh(inner)), x)
        ctx.cdf = normal_cdf(x)
        return np.multiply(x, ctx.cdf)

    formula = {
        "x": "grad * (Phi(x) + x * phi(x)), Phi and phi the normal cdf and pdf (the tanh form's "
            "derivative when approximate='tanh')",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = ((x + x * x * x * _TANH_C) * _TANH_K).tanh()
            d_inner = (x * x * (3 * _TANH_C) + 1) * _TANH_K
            return grad * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * d_inner)
        return GeluBackward.apply(grad, x, cdf=ctx.cdf)

    def release(self, where: str | None) -> None:
        super().release(where)
        self.cdf = None


@op("GeluBackwardBackward0")
class GeluBackward(Primitive):
    """``grad * (Phi(x) + x phi(x))``, exact GELU's gradient, in one pass over NumPy calls
    (``cdf``, Phi(x), when the forward kept it)."""

    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, x: np.ndarray,
                cdf: np.ndarray | None = None) -> np.ndarray:
        flat = x.reshape(-1)  # 1-D, as out= needs arrays and NumPy gives 0-d results as scalars
        out = np.multiply(flat, flat)
        np.multiply(out, -0.5, out=out)
        np.exp(out, out=out)
        np.multiply(out, flat, out=out)
        np.multiply(out, 1 / math.sqrt(2 * math.pi), out=out)
        np.add(out, (normal_cdf(x) if cdf is None else cdf).reshape(-1), out=out)
        np.multiply(out, grad.reshape(-1), out=out)
        return out.reshape(x.shape)

    formula = {"grad": "gg * (Phi(x) + x * phi(x))", "x": "gg * grad * phi(x) * (2 - x ** 2)"}

    @staticmethod
    def backward(ctx: Any, gg: Tensor) -> tuple:
        grad, x = ctx.saved_tensors
        pdf = _normal_pdf(x)
        grad_grad = gg * (NormalCdf.apply(x) + x * pdf) if ctx._next[0] else None
        grad_x = gg * grad * pdf * (2 - x * x) if ctx._next[1] else None
        return grad_grad, grad_x


@op("SiluBackward0", samples=_act_samples(lambda lib, x: lib.nn.functional.silu(x)))
class Silu(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        _check_float(x, "silu_cpu")
        out = kernels.sigmoid(x)
        return np.multiply(out, x, out=out)

    formula = {"x": "grad * sigmoid(x) * (1 + x * (1 - sigmoid(x)))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if not _recording():  # grad * s * (x * (1 - s) + 1), s = sigmoid(x)
            xd = x._data
            s = kernels.sigmoid(xd)
            out = np.subtract(1, s, out=np.empty_like(s))
            np.multiply(out, xd, out=out)
            np.add(out, 1, out=out)
            np.multiply(out, s, out=out)
            return _make(np.multiply(grad._data, out))
        s = x.sigmoid()
        return grad * s * (x * (1 - s) + 1)


@op("MishBackward0", samples=_act_samples(lambda lib, x: lib.nn.functional.mish(x)))
class Mish(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        _check_float(x, "mish_cpu")
        out = np.tanh(kernels.softplus(x), out=np.empty_like(x))
        return np.multiply(out, x, out=out)

    formula = {"x": "grad * (tanh(softplus(x)) + x * sigmoid(x) * (1 - tanh(softplus(x)) ** 2))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if not _recording():  # grad * (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x))
            xd = x._data
            t = kernels.softplus(xd)
            np.tanh(t, out=t)
            out = np.multiply(t, t, out=np.empty_like(t))
            np.subtract(1, out, out=out)
            np.multiply(out, kernels.sigmoid(xd), out=out)
            np.multiply(out, xd, out=out)
            np.add(out, t, out=out)
            return _make(np.multiply(grad._data, out))
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
        z = np.multiply(x, beta, dtype=x.dtype) if beta != 1 else x
        out = kernels.softplus(z)
        if beta != 1:
            np.divide(out, beta, out=out)
        linear = z > threshold  # above the threshold softplus is the identity, as in torch
        if linear.any():
            out = kernels.select(linear, x, out, b_is_scratch=True)
        return _like(out, x)

    formula = {"x": "grad * where(x * beta > threshold, 1, sigmoid(x * beta))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if not _recording():
            z = np.multiply(x._data, ctx.beta, dtype=x._data.dtype)
            out = kernels.sigmoid(z)
            np.multiply(out, grad._data, out=out)
            linear = z > ctx.threshold
            if linear.any():
                out = kernels.select(linear, np.broadcast_to(grad._data, out.shape), out,
                                     b_is_scratch=True)
            return _make(out)
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

    formula = {"x": "grad * ((x > min_val) & (x < max_val))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if not _recording():  # grad where inside, grad * 0 outside (nan for an infinite grad)
            inside = x._data > ctx.min_val
            inside &= x._data < ctx.max_val
            return _make(np.multiply(grad._data, inside, dtype=grad._data.dtype))
        inside = (x > ctx.min_val).bitwise_and(x < ctx.max_val)
        return where(inside, grad, grad * 0)


@op("LogSigmoidBackward0", samples=_act_samples(lambda lib, x: lib.nn.functional.logsigmoid(x)))
class LogSigmoid(UnaryOp):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        _check_float(x, "log_sigmoid_forward")
        return _like(np.negative(kernels.softplus(np.negative(x))), x)

    formula = {"x": "grad * sigmoid(-x)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if not _recording():
            return _make(np.multiply(grad._data, kernels.sigmoid(np.negative(x._data))))
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

    formula = {
        "x": "grad * where(x > 0, 1, weight)",
        "weight": "grad * where(x > 0, 0, x), summed over all but the channels",
    }

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
