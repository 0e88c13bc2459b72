"""ember.nn.functional: the functional forms of layers, activations and losses."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..ops.activation import log_softmax, softmax
from ..ops.loss import nll_loss
from ..ops.unary import Relu, Sigmoid, Tanh

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "nll_loss", "cross_entropy"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise; its gradient at 0 is 0, as in torch."""
    if inplace:
        return input.relu_()
    return Relu.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))`` elementwise."""
    return Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    return Tanh.apply(input)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)`` for class-index targets.

    Args:
        input (Tensor): (N, C) or (C) unnormalised scores.
        target (Tensor): class indices.
        weight (Tensor, optional): a weight per class.
        ignore_index (int): a target value that contributes nothing.
        reduction (str): 'none' | 'mean' | 'sum'.
    """
    if label_smoothing != 0.0:
        raise NotImplementedError(
            "ember: cross_entropy(label_smoothing=...) is not supported yet")
    if target._data.dtype.kind == "f":
        raise NotImplementedError(
            "ember: cross_entropy with class-probability targets is not supported yet")
    dim = 0 if input._data.ndim == 1 else 1
    return nll_loss(log_softmax(input, dim), target, weight, size_average, ignore_index,
                    reduce, reduction)
