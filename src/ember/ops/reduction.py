"""Reductions: sum and mean (whole tensor, or over dims with ``keepdim``), and ``sum_to_size``,
which the engine uses to sum a broadcast gradient back to its input's shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, wrap_dim
from ._op import UnaryOp, op
from .samples import reduction_samples

__all__ = ["sum", "mean"]


def normalize_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """Turns ``dim`` (an int, or a tuple/list of ints) into sorted non-negative dims, with
    torch's errors for dims out of range or repeated."""
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    result = tuple(sorted(wrap_dim(int(d), ndim) for d in dims))
    if len(set(result)) != len(result):
        repeated = next(d for d in result if result.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return result


def _kept_shape(shape: tuple, dims: tuple[int, ...]) -> tuple:
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _reduced_grad(ctx: Any, grad: Tensor) -> Tensor:
    """The gradient of a reduction, broadcast back over the reduced dims."""
    if not ctx.keepdim and ctx.dims:
        grad = grad.reshape(_kept_shape(ctx.shape, ctx.dims))
    return grad.expand(ctx.shape)


def _sum_dtype(x: np.ndarray, dtype: dt.dtype | None) -> np.dtype | None:
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if x.dtype.kind in "biu" else None


@op("SumBackward0", samples=reduction_samples("sum", whole=True))
class Sum(UnaryOp):
    """``x.sum()``: all elements."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, (), False
        return np.asarray(x.sum(dtype=_sum_dtype(x, dtype)))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.expand(ctx.shape)


@op("SumBackward1", samples=reduction_samples("sum"))
class SumDim(UnaryOp):
    """``x.sum(dim, keepdim)``."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool,
                dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.asarray(x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype)))

    backward = staticmethod(_reduced_grad)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        dtype: dt.dtype | None = None) -> Tensor:
    """Sums the elements of ``input``, over ``dim`` if given.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        keepdim (bool): keep reduced dims with size 1.
        dtype (ember.dtype, optional): the accumulation and result dtype.

    Example::

        >>> ember.tensor([[1., 2.], [3., 4.]]).sum(0)
        tensor([4., 6.])
    """
    if dim is None:
        if keepdim:
            return SumDim.apply(input, dims=tuple(range(input._data.ndim)), keepdim=True,
                                dtype=dtype)
        return Sum.apply(input, dtype=dtype)
    return SumDim.apply(input, dims=normalize_dims(dim, input._data.ndim), keepdim=keepdim,
                        dtype=dtype)


def _mean_check(x: np.ndarray, dtype: dt.dtype | None) -> np.dtype:
    result = dtype.np if dtype is not None else x.dtype
    if result.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_kind(result)}")
    return result


def _kind(np_dtype: np.dtype) -> str:
    from .arithmetic import _kind_name

    return _kind_name(dt._BY_NUMPY[np_dtype])


@op("MeanBackward0", samples=reduction_samples("mean", whole=True))
class Mean(UnaryOp):
    """``x.mean()``: all elements."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        result = _mean_check(x, dtype)
        ctx.shape, ctx.dims, ctx.keepdim, ctx.count = x.shape, (), False, x.size
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(x.mean(dtype=result))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.expand(ctx.shape) / ctx.count


@op("MeanBackward1", samples=reduction_samples("mean"))
class MeanDim(UnaryOp):
    """``x.mean(dim, keepdim)``."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool,
                dtype: dt.dtype | None = None) -> np.ndarray:
        result = _mean_check(x, dtype)
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.count = int(np.prod([x.shape[d] for d in dims])) if x.ndim else 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(x.mean(axis=dims, keepdims=keepdim, dtype=result))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return _reduced_grad(ctx, grad) / ctx.count


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
         dtype: dt.dtype | None = None) -> Tensor:
    """The mean of the elements of ``input``, over ``dim`` if given.

    Args:
        input (Tensor): a floating point input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        keepdim (bool): keep reduced dims with size 1.
        dtype (ember.dtype, optional): the result dtype.
    """
    if dim is None and not keepdim:
        return Mean.apply(input, dtype=dtype)
    dims = tuple(range(input._data.ndim)) if dim is None else normalize_dims(dim,
                                                                             input._data.ndim)
    return MeanDim.apply(input, dims=dims, keepdim=keepdim, dtype=dtype)


def sum_to_size(grad: Tensor, shape: tuple) -> Tensor:
    """Sums ``grad`` over the dims broadcasting added or stretched, giving ``shape``."""
    shape = tuple(shape)
    lead = grad._data.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and grad._data.shape[lead + i] != 1)
    if dims:
        grad = SumDim.apply(grad, dims=dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


Tensor.sum = sum  # type: ignore[attr-defined]
Tensor.mean = mean  # type: ignore[attr-defined]
Tensor.sum_to_size = lambda self, *size: sum_to_size(  # type: ignore[attr-defined]
    self, size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size)
