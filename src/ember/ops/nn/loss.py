"""Loss primitives torch records as nodes of their own (NllLossBackward0, MseLossBackward0,
BinaryCrossEntropyBackward0, ...). Their functional forms (argument checks, reductions, torch's
errors) live in ``loss_functional.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._op import Primitive, UnaryOp, op
from ..pointwise.where_division import where
from ..samples import Sample, _values


def _nll_samples(cls: type) -> list[Sample]:
    import numpy as np

    logits = _values((4, 3), "real", 0)
    target = np.array([0, 2, 1, 2])

    def call(reduction: str) -> Any:
        return lambda lib, x, t: lib.nn.functional.nll_loss(x.log_softmax(1), t,
                                                            reduction=reduction)

    return [Sample(call("mean"), (logits, target), "mean"),
            Sample(call("sum"), (logits, target), "sum"),
            Sample(call("none"), (logits, target), "none"),
            Sample(lambda lib, x, t: lib.nn.functional.nll_loss(x, t, ignore_index=2),
                   (logits, target), "ignore_index")]


@op("NllLossBackward0", samples=_nll_samples)
class NllLoss(UnaryOp):
    """Negative log likelihood of class indices, for inputs of shape (C), (N, C) or
    (N, C, d1, ...)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, target: np.ndarray, weight: np.ndarray | None,
                reduction: str, ignore_index: int) -> np.ndarray:
        classes = x.shape[0] if x.ndim == 1 else x.shape[1]
        # move classes last and flatten everything else: (M, C) against (M,)
        moved = x.reshape(1, classes) if x.ndim == 1 else np.moveaxis(x, 1, -1).reshape(
            -1, classes)
        flat_target = target.reshape(-1)
        keep = flat_target != ignore_index
        safe_target = np.where(keep, flat_target, 0)
        bad = (safe_target < 0) | (safe_target >= classes)
        if bad.any():
            raise IndexError(f"Target {int(flat_target[bad][0])} is out of bounds.")
        w = (weight[safe_target] if weight is not None
             else np.ones(safe_target.shape, dtype=x.dtype)) * keep
        picked = moved[np.arange(len(safe_target)), safe_target]
        losses = -picked * w
        # the gradient of each loss term, up to the incoming gradient: -w at the target
        coef = np.zeros_like(moved)
        coef[np.arange(len(safe_target)), safe_target] = -w
        ctx.reduction, ctx.input_shape = reduction, x.shape
        if reduction == "none":
            out_shape = target.shape
            ctx.coef = coef
            return losses.reshape(out_shape).astype(x.dtype)
        if reduction == "sum":
            ctx.coef = coef
            return np.asarray(losses.sum(), dtype=x.dtype)
        total = w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            ctx.coef = coef / total
            return np.asarray(losses.sum() / total, dtype=x.dtype)

    formula = {
        "x": "-grad * weight[target] at [i, target[i]], 0 elsewhere (divided by the total weight "
            "for mean)",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        shape = ctx.input_shape
        coef = _make(ctx.coef)  # (M, C), classes last
        if ctx.reduction == "none":
            grad_flat = grad.reshape(-1, 1) * coef
        else:
            grad_flat = grad * coef
        if len(shape) == 1:
            return grad_flat.reshape(shape)
        moved_shape = (shape[0],) + tuple(shape[2:]) + (shape[1],)
        return grad_flat.reshape(moved_shape).movedim(-1, 1) if len(shape) > 2 \
            else grad_flat.reshape(shape)


def _nll2d_samples(cls: type) -> list[Sample]:
    logits = _values((2, 3, 2, 2), "real", 0)
    target = np.array([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])

    def call(reduction: str) -> Any:
        return lambda lib, x, t: lib.nn.functional.nll_loss(x.log_softmax(1), t,
                                                            reduction=reduction)

    return [Sample(call(r), (logits, target), r) for r in ("mean", "sum", "none")]


@op("NllLoss2DBackward0", samples=_nll2d_samples)
class NllLoss2d(NllLoss):
    """The same loss for (N, C, H, W) input: torch records it as a node of its own (and views
    inputs of 3 or more than 4 dims as 4-D to use it)."""
    formula = {
        "x": "-grad * weight[target] at [n, target[n, h, w], h, w], 0 elsewhere (divided by the "
            "total weight for mean)",
    }


# --- regression and binary losses -----


def _reduce_np(losses: np.ndarray, reduction: str, dtype: np.dtype) -> np.ndarray:
    if reduction == "none":
        return losses.astype(dtype, copy=False)
    total = losses.sum() if reduction == "sum" else (
        losses.mean() if losses.size else np.float64("nan"))
    return np.asarray(total, dtype=dtype)


def _reduce_grad(grad: Tensor, per_element: Tensor, reduction: str) -> Tensor:
    """The incoming gradient times the derivative of each element's loss, for a reduction."""
    if reduction == "mean":
        return per_element * (grad / max(per_element._data.size, 1))
    return per_element * grad


def _pair_samples(name: str, **kwargs: Any) -> Any:
    def make(cls: type) -> list[Sample]:
        x, t = _values((3, 4), "real", 0), _values((3, 4), "real", 1)

        def call(reduction: str) -> Any:
            return lambda lib, a, b: getattr(lib.nn.functional, name)(
                a, b, reduction=reduction, **kwargs)

        return [Sample(call(r), (x, t), r) for r in ("mean", "sum", "none")] + [
            Sample(call("mean"), (x, t), "input-only", nondiff=(1,)),
            Sample(call("sum"), (np.array(0.5), np.array(-0.25)), "0-d")]

    return make


class _PairLoss(Primitive):
    """A loss of ``input`` and ``target`` (either may require grad) from an elementwise
    function of their difference."""

    save_inputs = True

    @staticmethod
    def elementwise_np(ctx: Any, d: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def derivative(ctx: Any, d: Tensor) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, t: np.ndarray, reduction: str = "mean",
                **params: Any) -> np.ndarray:
        for name, value in params.items():
            setattr(ctx, name, value)
        ctx.reduction = reduction
        return _reduce_np(type(ctx).elementwise_np(ctx, x - t), reduction, x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        g = _reduce_grad(grad, type(ctx).derivative(ctx, x - t), ctx.reduction)
        return (g if ctx._next[0] else None, -g if ctx._next[1] else None)


@op("MseLossBackward0", samples=_pair_samples("mse_loss"))
class MseLoss(_PairLoss):
    formula = {
        "x": "2 * (x - t) * grad (/ numel for mean)",
        "t": "-2 * (x - t) * grad (/ numel for mean)",
    }
    @staticmethod
    def elementwise_np(ctx: Any, d: np.ndarray) -> np.ndarray:
        return d * d

    @staticmethod
    def derivative(ctx: Any, d: Tensor) -> Tensor:
        return d * 2


@op("SmoothL1LossBackward0", samples=_pair_samples("smooth_l1_loss", beta=0.7))
class SmoothL1Loss(_PairLoss):
    formula = {
        "x": "clamp((x - t) / beta, -1, 1) * grad (/ numel for mean)",
        "t": "-clamp((x - t) / beta, -1, 1) * grad (/ numel for mean)",
    }
    @staticmethod
    def elementwise_np(ctx: Any, d: np.ndarray) -> np.ndarray:
        a = np.abs(d)
        return np.where(a < ctx.beta, 0.5 * d * d / ctx.beta, a - 0.5 * ctx.beta)

    @staticmethod
    def derivative(ctx: Any, d: Tensor) -> Tensor:
        return where((d.abs() < ctx.beta), d / ctx.beta, d.sign())


@op("HuberLossBackward0", samples=_pair_samples("huber_loss", delta=0.8))
class HuberLoss(_PairLoss):
    formula = {
        "x": "clamp(x - t, -delta, delta) * grad (/ numel for mean)",
        "t": "-clamp(x - t, -delta, delta) * grad (/ numel for mean)",
    }
    @staticmethod
    def elementwise_np(ctx: Any, d: np.ndarray) -> np.ndarray:
        a = np.abs(d)
        return np.where(a < ctx.delta, 0.5 * d * d, ctx.delta * (a - 0.5 * ctx.delta))

    @staticmethod
    def derivative(ctx: Any, d: Tensor) -> Tensor:
        return where((d.abs() < ctx.delta), d, d.sign() * ctx.delta)


def _bce_samples(cls: type) -> list[Sample]:
    rng = np.random.default_rng(0)
    x, t = rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0.0, 1.0, (3, 4))
    w = rng.uniform(0.5, 1.5, (4,))

    def call(reduction: str) -> Any:
        return lambda lib, a, b: lib.nn.functional.binary_cross_entropy(a, b, reduction=reduction)

    return [Sample(call(r), (x, t), r) for r in ("mean", "sum", "none")] + [
        Sample(lambda lib, a, b, w: lib.nn.functional.binary_cross_entropy(a, b, w), (x, t, w),
               "weight", nondiff=(2,)),
        Sample(call("mean"), (np.array([0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0])), "edges",
               gradcheck=False, nondiff=(1,))]


def _clamped_log(x: Tensor) -> Tensor:
    logs = x.log()
    return where((logs > -100), logs, -100.0)


@op("BinaryCrossEntropyBackward0", samples=_bce_samples)
class BinaryCrossEntropy(Primitive):
    """``-w (t log x + (1 - t) log(1 - x))`` with the logs clamped at -100, as in torch."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, t: np.ndarray, weight: np.ndarray | None,
                reduction: str) -> np.ndarray:
        if ((x < 0) | (x > 1)).any() or np.isnan(x).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        ctx.reduction = reduction
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        losses = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            losses = losses * weight
        return _reduce_np(losses, reduction, x.dtype)

    formula = {
        "x": "grad * weight * (x - t) / (x * (1 - x)) (/ numel for mean)",
        "t": "grad * weight * (log(1 - x) - log(x)) (/ numel for mean)",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, t, weight = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx._next[0]:
            denom = (1 - x) * x
            per = (x - t) / where((denom > 1e-12), denom, 1e-12)
            if weight is not None:
                per = per * weight
            grad_x = _reduce_grad(grad, per, ctx.reduction)
        if ctx._next[1]:
            per = _clamped_log(1 - x) - _clamped_log(x)
            if weight is not None:
                per = per * weight
            grad_t = _reduce_grad(grad, per, ctx.reduction)
        return grad_x, grad_t, None


def _bce_logits_samples(cls: type) -> list[Sample]:
    rng = np.random.default_rng(1)
    x, t = rng.uniform(-3, 3, (3, 4)), rng.uniform(0.0, 1.0, (3, 4))
    w, pw = rng.uniform(0.5, 1.5, (4,)), rng.uniform(0.5, 2.0, (4,))

    def call(reduction: str) -> Any:
        return lambda lib, a, b: lib.nn.functional.binary_cross_entropy_with_logits(
            a, b, reduction=reduction)

    return [Sample(call(r), (x, t), r) for r in ("mean", "sum", "none")] + [
        Sample(lambda lib, a, b, w, pw: lib.nn.functional.binary_cross_entropy_with_logits(
            a, b, w, pos_weight=pw), (x, t, w, pw), "weights", nondiff=(2, 3)),
        Sample(call("sum"), (np.array([-200.0, 200.0, 0.0]), np.array([1.0, 0.0, 0.5])),
               "large", gradcheck=False)]


@op("BinaryCrossEntropyWithLogitsBackward0", samples=_bce_logits_samples)
class BinaryCrossEntropyWithLogits(Primitive):
    """``w ((1 - t) x + (1 + (pos_weight - 1) t) softplus(-x))``, computed without overflow."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, t: np.ndarray, weight: np.ndarray | None,
                pos_weight: np.ndarray | None, reduction: str) -> np.ndarray:
        ctx.reduction = reduction
        softplus_neg = np.logaddexp(0, -x)
        scale = 1 + (pos_weight - 1) * t if pos_weight is not None else 1
        losses = (1 - t) * x + scale * softplus_neg
        if weight is not None:
            losses = losses * weight
        return _reduce_np(losses, reduction, x.dtype)

    formula = {
        "x": "grad * weight * ((1 - t) - sigmoid(-x) * (1 + (pos_weight - 1) * t))",
        "t": "grad * weight * (-x - (pos_weight - 1) * logsigmoid(x)) (pos_weight = 1 if absent)",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        from .activation import LogSigmoid

        x, t, weight, pos_weight = ctx.saved_tensors
        grad_x = grad_t = None
        if ctx._next[0]:
            scale = (pos_weight - 1) * t + 1 if pos_weight is not None else 1
            per = (1 - t) - (-x).sigmoid() * scale
            if weight is not None:
                per = per * weight
            grad_x = _reduce_grad(grad, per, ctx.reduction)
        if ctx._next[1]:
            per = -x
            if pos_weight is not None:
                per = per - (pos_weight - 1) * LogSigmoid.apply(x)
            if weight is not None:
                per = per * weight
            grad_t = _reduce_grad(grad, per, ctx.reduction)
        return grad_x, grad_t, None, None


# --- scalar scalings torch records under their Scalar overloads' names ----------------------------


class ScalarMul(UnaryOp):
    """``x * c`` for a Python number ``c``, as torch's internal ``mul(Tensor, Scalar)``."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, c: float) -> np.ndarray:
        ctx.c = c
        return np.asarray(x * c, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ScalarMul.apply(grad, c=ctx.c)


class ScalarDiv(UnaryOp):
    """``x / c`` for a Python number ``c``, as torch's internal ``div(Tensor, Scalar)``."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, c: float) -> np.ndarray:
        ctx.c = c
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(x / c, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ScalarDiv.apply(grad, c=ctx.c)


ScalarMul.__name__ = ScalarMul.__qualname__ = "MulBackward1"
ScalarDiv.__name__ = ScalarDiv.__qualname__ = "DivBackward1"
