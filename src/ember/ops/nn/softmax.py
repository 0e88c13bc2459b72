"""Softmax and log-softmax over a dim: primitives of their own, as torch names them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make, wrap_dim
from ...autograd import grad_mode
from .._op import UnaryOp, op
from ..samples import softmax_samples

__all__ = ["softmax", "log_softmax"]


def _prepare(x: np.ndarray, dtype: dt.dtype | None, name: str) -> np.ndarray:
    if dtype is not None:
        x = x.astype(dtype.np)
    if x.dtype.kind not in "fcV":
        from ..pointwise.arithmetic import _kind_name

        raise RuntimeError(
            f'"{name}_lastdim_kernel_impl" not implemented for '
            f"'{_kind_name(dt._BY_NUMPY[x.dtype])}'")
    return x


@op("SoftmaxBackward0", samples=softmax_samples("softmax"))
class Softmax(UnaryOp):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, dtype: dt.dtype | None = None) -> np.ndarray:
        x = _prepare(x, dtype, "softmax")
        ctx.dim = dim
        if x.ndim == 0:
            return np.ones_like(x)
        e = np.subtract(x, x.max(axis=dim, keepdims=True))
        np.exp(e, out=e)
        return np.divide(e, e.sum(axis=dim, keepdims=True), out=e)

    formula = {"x": "result * (grad - (grad * result).sum(dim, keepdim=True))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        if not grad_mode.state.enabled:  # the same formula in place, when not differentiated
            o, g = out._data, grad._data
            result = np.multiply(g, o, out=np.empty_like(o))
            total = result.sum(axis=ctx.dim, keepdims=True)
            np.subtract(g, total, out=result)
            return _make(np.multiply(result, o, out=result))
        return out * (grad - (grad * out).sum(ctx.dim, keepdim=True))


@op("LogSoftmaxBackward0", samples=softmax_samples("log_softmax"))
class LogSoftmax(UnaryOp):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, dtype: dt.dtype | None = None) -> np.ndarray:
        x = _prepare(x, dtype, "log_softmax")
        ctx.dim = dim
        if x.ndim == 0:
            return np.zeros_like(x)
        shifted = np.subtract(x, x.max(axis=dim, keepdims=True))
        total = np.exp(shifted).sum(axis=dim, keepdims=True)
        return np.subtract(shifted, np.log(total, out=total), out=shifted)

    formula = {"x": "grad - exp(result) * grad.sum(dim, keepdim=True)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        if not grad_mode.state.enabled:  # the same formula in place, when not differentiated
            g = grad._data
            result = np.exp(out._data, out=np.empty_like(out._data))
            np.multiply(result, g.sum(axis=ctx.dim, keepdims=True), out=result)
            return _make(np.subtract(g, result, out=result))
        return grad - out.exp() * grad.sum(ctx.dim, keepdim=True)


def _dim(input: Tensor, dim: int | None, name: str) -> int:
    if dim is None:
        import warnings

        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            "include dim=X as an argument.", UserWarning, stacklevel=3)
        ndim = input._data.ndim
        return 0 if ndim in (0, 1, 3) else 1
    return wrap_dim(dim, input._data.ndim)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: dt.dtype | None = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, computed stably.

    Args:
        input (Tensor): the input.
        dim (int): the dim along which the result sums to 1.
        dtype (ember.dtype, optional): cast the input to this dtype first.
    """
    return Softmax.apply(input, dim=_dim(input, dim, "softmax"), dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: dt.dtype | None = None) -> Tensor:
    """``log(softmax(x, dim))``, computed stably.

    Args:
        input (Tensor): the input.
        dim (int): the dim to normalise over.
        dtype (ember.dtype, optional): cast the input to this dtype first.
    """
    return LogSoftmax.apply(input, dim=_dim(input, dim, "log_softmax"), dtype=dtype)


Tensor.softmax = softmax  # type: ignore[attr-defined]
Tensor.log_softmax = log_softmax  # type: ignore[attr-defined]
