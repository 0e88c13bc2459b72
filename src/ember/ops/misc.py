"""Small internal primitives."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._op import Primitive, op
from .shape import ViewOp


@op("Error")
class DelayedError(Primitive):
    """Passes its first input through; differentiating it raises ``message`` (used by
    ``once_differentiable`` to refuse a second-order gradient). The other inputs only give
    the node its edges into the graph."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, *connected: Any, message: str) -> np.ndarray:
        ctx.message = message
        return x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        raise RuntimeError(ctx.message)


@op("AliasBackward0")
class Alias(ViewOp):
    """The same data as a new tensor in the graph (``make_dual``, ``unpack_dual``)."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.view()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad
