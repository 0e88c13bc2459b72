"""The functional forms of the losses (``nn.functional.nll_loss``, ``cross_entropy``,
``mse_loss``, ...): argument checks, the legacy ``size_average``/``reduce`` arguments, torch's
errors and warnings, around the primitives of ``loss.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from ...amp import autocast_mode as _amp
from ...amp.autocast_mode import state as _autocast
from ...amp.autocast_mode import to_float32
from ..pointwise.where_division import where
from .loss import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    HuberLoss,
    MseLoss,
    NllLoss,
    NllLoss2d,
    ScalarDiv,
    ScalarMul,
    SmoothL1Loss,
)


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
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target, weight = to_float32(input, target, weight)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if target._data.dtype.kind not in "iu":
        from ... import _dtype as dt
        from ..pointwise.arithmetic import _kind_name

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
    if ndim <= 2:
        return NllLoss.apply(input, target=target._data, weight=w, reduction=reduction,
                             ignore_index=ignore_index)
    shape = input._data.shape
    if ndim != 4:
        folded = input.reshape(shape[0], shape[1], shape[2], -1)
        t4 = target._data.reshape(folded._data.shape[:1] + folded._data.shape[2:])
        out = NllLoss2d.apply(folded, target=t4, weight=w, reduction=reduction,
                              ignore_index=ignore_index)
        return out.reshape(target._data.shape) if reduction == "none" else out
    return NllLoss2d.apply(input, target=target._data, weight=w, reduction=reduction,
                           ignore_index=ignore_index)


def _legacy_reduction(size_average: Any, reduce: Any) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _broadcast_pair(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """torch warns when target and input differ in shape, then broadcasts them."""
    if input._data.shape == target._data.shape:
        return input, target
    import warnings

    warnings.warn(
        f"Using a target size ({target.shape!r}) that is different to the input size "
        f"({input.shape!r}). This will likely lead to incorrect results due to broadcasting. "
        "Please ensure they have the same size.", UserWarning, stacklevel=3)
    shape = np.broadcast_shapes(input._data.shape, target._data.shape)
    return input.expand(shape), target.expand(shape)


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced.

    Args:
        input (Tensor): predictions.
        target (Tensor): same shape as input (broadcast with a warning otherwise).
        reduction (str): 'none' | 'mean' | 'sum'.
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target = to_float32(input, target)
    if weight is not None:
        raise NotImplementedError("ember: mse_loss(weight=...) is not supported")
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target)
    return MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``, reduced (composed of sub, abs and mean, as
    torch records it)."""
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target = to_float32(input, target)
    if weight is not None:
        raise NotImplementedError("ember: l1_loss(weight=...) is not supported")
    reduction = _reduction(size_average, reduce, reduction)
    input, target = _broadcast_pair(input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, for ``d = input -
    target``; ``beta = 0`` is the L1 loss."""
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target = to_float32(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    input, target = _broadcast_pair(input, target)
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target = to_float32(input, target)
    if weight is not None:
        raise NotImplementedError("ember: huber_loss(weight=...) is not supported")
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _broadcast_pair(input, target)
    return HuberLoss.apply(input, target, reduction=reduction, delta=float(delta))


def _no_grad_arg(t: Tensor | None, fn: str, arg: str) -> None:
    if t is not None and t._requires_grad:
        from ...autograd import grad_mode

        if grad_mode.state.enabled:
            raise RuntimeError(
                f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
                "This input cannot have requires_grad True.")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy between probabilities ``input`` and ``target``.

    Args:
        input (Tensor): probabilities in [0, 1].
        target (Tensor): same shape as input.
        weight (Tensor, optional): a weight per element, broadcast to the input.
        reduction (str): 'none' | 'mean' | 'sum'.
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target, weight = to_float32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(
            f"Using a target size ({target.shape!r}) that is different to the input size "
            f"({input.shape!r}) is deprecated. Please ensure they have the same size.")
    _no_grad_arg(weight, "binary_cross_entropy", "weight")
    if weight is not None and weight._data.shape != input._data.shape:
        weight = weight.expand(input._data.shape)
    return BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid then binary cross entropy, in one numerically stable step.

    Args:
        input (Tensor): logits.
        target (Tensor): same shape as input, values in [0, 1].
        weight (Tensor, optional): a weight per element, broadcast to the input.
        pos_weight (Tensor, optional): a weight of positive examples, broadcast along the
            last (class) dim.
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target, weight = to_float32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if target._data.shape != input._data.shape:
        raise ValueError(
            f"Target size ({target.shape!r}) must be the same as input size ({input.shape!r})")
    _no_grad_arg(weight, "binary_cross_entropy_with_logits", "weight")
    _no_grad_arg(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight,
                                              reduction=reduction)


def _xlogy_self(t: Tensor) -> Tensor:
    """``t * log(t)`` with ``0 log 0 = 0``; the log sees 1 where t is 0, so no inf reaches the
    gradient."""
    positive = t > 0
    safe = where(positive, t, 1.0)
    return where(positive, t * safe.log(), 0.0)


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """The Kullback-Leibler divergence of ``target`` from log-probabilities ``input``.

    Args:
        input (Tensor): log-probabilities.
        target (Tensor): probabilities (log-probabilities if ``log_target``).
        reduction (str): 'none' | 'batchmean' | 'sum' | 'mean' ('batchmean' divides the sum by
            the batch size, which is the true KL divergence).
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target = to_float32(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        import warnings

        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", UserWarning, stacklevel=2)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        losses = _xlogy_self(target) - target * input
    if reduction == "batchmean":
        batch = input._data.shape[0] if input._data.ndim else 1
        return losses.sum() / batch
    return _reduce(losses, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of unnormalised scores ``input`` against class indices or class
    probabilities ``target``.

    Args:
        input (Tensor): (C), (N, C) or (N, C, d1, ...) scores.
        target (Tensor): class indices ((), (N) or (N, d1, ...), int64) or probabilities (the
            input's shape, floating).
        weight (Tensor, optional): a weight per class.
        ignore_index (int): a class index that contributes nothing (index targets only).
        reduction (str): 'none' | 'mean' | 'sum'.
        label_smoothing (float): in [0, 1]: mixes the target with the uniform distribution.

    Example::

        >>> logits = ember.tensor([[2.0, 0.5, -1.0]])
        >>> ember.nn.functional.cross_entropy(logits, ember.tensor([0]))
        tensor(0.2413)
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: in float32
        input, target, weight = to_float32(input, target, weight)
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(
            f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    dim = 0 if input._data.ndim == 1 else 1
    classes = input._data.shape[dim]
    log_probs = input.log_softmax(dim)
    w_shape = (classes,) + (1,) * (input._data.ndim - dim - 1)
    if target._data.dtype.kind in "fV":
        if target._data.shape != input._data.shape:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if label_smoothing > 0:
            target = ScalarMul.apply(target, c=1 - label_smoothing) + label_smoothing / classes
        terms = log_probs * target
        if weight is not None:
            terms = terms * weight.reshape(w_shape)
        losses = -terms.sum(dim)
        if reduction == "none":
            return losses
        total = -terms.sum()
        if reduction == "sum":
            return total
        batch = input._data.shape[0] if input._data.ndim > 1 else 1
        return ScalarDiv.apply(total, c=batch * int(np.prod(input._data.shape[2:])))
    nll = nll_loss(log_probs, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0:
        return nll
    smooth_terms = log_probs * weight.reshape(w_shape) if weight is not None else log_probs
    smooth = -smooth_terms.sum(dim)
    ignored = target._data == ignore_index
    smooth = where(_make(ignored), 0.0, smooth) if ignored.any() else smooth
    if reduction == "mean":
        if weight is not None:
            kept = target._data[~ignored]
            smooth = smooth.sum() / float(weight._data[kept].sum())
        else:
            smooth = smooth.sum() / float((~ignored).sum())
    elif reduction == "sum":
        smooth = smooth.sum()
    return (ScalarMul.apply(nll, c=1 - label_smoothing)
            + ScalarMul.apply(smooth, c=label_smoothing / classes))
