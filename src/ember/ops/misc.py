"""Small internal primitives."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._op import Primitive, op


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
