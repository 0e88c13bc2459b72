"""Loss primitives torch records as nodes of their own (NllLossBackward0)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _make
from ._op import UnaryOp, op
from .samples import Sample, _values


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


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """The negative log likelihood loss over log-probabilities ``input`` and class indices
    ``target``.

    Args:
        input (Tensor): (C), (N, C) or (N, C, d1, ...) log-probabilities.
        target (Tensor): class indices, (), (N) or (N, d1, ...).
        weight (Tensor, optional): a weight per class.
        ignore_index (int): a target value that contributes nothing.
        reduction (str): 'none' | 'mean' | 'sum'.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target._data.dtype.kind not in "iu":
        from .. import _dtype as dt
        from .arithmetic import _kind_name

        raise RuntimeError(
            "expected scalar type Long but found "
            f"{_kind_name(dt._BY_NUMPY[target._data.dtype])}")
    ndim = input._data.ndim
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    if ndim >= 2 and input._data.shape[0] != target._data.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input._data.shape[0]}) to match target batch_size "
            f"({target._data.shape[0]}).")
    w = weight._data if weight is not None else None
    return NllLoss.apply(input, target=target._data, weight=w, reduction=reduction,
                         ignore_index=ignore_index)


def _legacy_reduction(size_average: Any, reduce: Any) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"
