"""Small internal primitives."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._op import UnaryOp, op


@op("DelayedError")
class DelayedError(UnaryOp):
    """Passes its input through; differentiating it raises ``message`` (used by
    ``once_differentiable`` to refuse a second-order gradient)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, message: str) -> np.ndarray:
        ctx.message = message
        return x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        raise RuntimeError(ctx.message)
