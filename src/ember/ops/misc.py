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

    formula = {"x": "raises the error recorded in the forward pass"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        raise RuntimeError(ctx.message)


def _copy_samples(cls: type) -> list:
    from .samples import Sample, _values

    x, y = _values((2, 3), "real", 31), _values((3,), "real", 32)
    return [Sample(lambda lib, a, b: a.clone().copy_(b) * a, (x, y), "broadcast"),
            Sample(lambda lib, a, b: a.clone().copy_(b.double()), (x, _values((2, 3), "real", 33)),
                   "cast")]


@op("CopyBackwards", samples=_copy_samples)
class Copy(Primitive):
    """``target.copy_(src)`` recorded: src, broadcast and cast to the target, replaces its
    values; the target's old values get no gradient."""

    linear = True

    def name(self) -> str:
        return "torch::autograd::CopyBackwards"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, src: np.ndarray) -> np.ndarray:
        ctx.src_shape, ctx.src_dtype = src.shape, src.dtype
        return np.array(np.broadcast_to(src, x.shape), dtype=x.dtype)

    formula = {"x": "0 * grad", "src": "grad summed to src's shape"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        from .._dtype import _BY_NUMPY
        from .reduction.sum_mean import sum_to_size
        from .shape.reshape import cast

        grad_src = None
        if ctx._next[1] is not None:
            grad_src = sum_to_size(grad, ctx.src_shape)
            if grad_src._data.dtype != ctx.src_dtype:
                grad_src = cast(grad_src, _BY_NUMPY[ctx.src_dtype])
        return (grad * 0 if ctx._next[0] is not None else None), grad_src
