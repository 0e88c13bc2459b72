"""The fused matrix product of nn.Linear: one AddmmBackward0 node for 2-D input."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from .._op import Primitive


class Addmm(Primitive):
    """``bias + mat1 @ mat2``: Linear's one node for 2-D input, named as torch names it.

    Used only until ``ember.addmm`` (ops/linalg/addmm.py) exists; then Linear calls that instead.
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
