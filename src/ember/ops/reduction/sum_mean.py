"""Reductions: sum and mean and their NaN-ignoring forms, all/any/count_nonzero, and
``sum_to_size``, which the engine uses to sum a broadcast gradient back to its input's shape.

Also the dim normalisation the other reduction families share; their named-tuple results and
index-selecting backward nodes live in ``common.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make, wrap_dim
from ...autograd import grad_mode
from .._op import UnaryOp, op
from ..samples import Sample, _values, reduction_samples

_state = grad_mode.state

__all__ = ["sum", "mean", "nansum", "nanmean", "all", "any", "count_nonzero"]

# Tells ``x.mean()`` (MeanBackward0) from ``x.mean(dim=None)`` (MeanBackward1), as torch does.
_NO_DIM: Any = type("NoDim", (), {"__repr__": lambda self: "<no dim>"})()


def normalize_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """Turns ``dim`` (an int, or a tuple/list of ints) into sorted non-negative dims, with
    torch's errors for dims out of range or repeated."""
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    result = tuple(sorted(wrap_dim(int(d), ndim) for d in dims))
    if len(set(result)) != len(result):
        repeated = next(d for d in result if result.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return result


def reduce_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """The dims a reduction runs over: all of them for None or ``()`` (torch's convention);
    none for a 0-d input, whose only valid dims (0 and -1) name the tensor itself."""
    if dim is None or dim is _NO_DIM or (isinstance(dim, (tuple, list)) and not dim):
        return tuple(range(ndim))
    dims = normalize_dims(dim, ndim)
    return dims if ndim else ()


def one_dim(dim: Any, ndim: int) -> int | None:
    """A single dim, wrapped; None for a 0-d input (the op then acts on the tensor itself)."""
    d = wrap_dim(int(dim), ndim)
    return d if ndim else None


def _kept_shape(shape: tuple, dims: tuple[int, ...]) -> tuple:
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _reduced_grad(ctx: Any, grad: Tensor) -> Tensor:
    """The gradient of a reduction, broadcast back over the reduced dims."""
    return unreduce(grad, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)


def unreduce(t: Tensor, shape: tuple, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """A reduction's result with its reduced dims put back as size 1 (broadcastable to
    ``shape``)."""
    if not keepdim and dims:
        return t.reshape(_kept_shape(shape, dims))
    return t


def kind_name(np_dtype: np.dtype) -> str:
    """torch's name for a dtype in error messages: 'Long', 'Float', 'Bool'."""
    from ..pointwise.arithmetic import _kind_name

    return _kind_name(dt._BY_NUMPY[np.dtype(np_dtype)])


def empty_check(x: np.ndarray, name: str, dim: int | None) -> None:
    """torch's errors for reductions without an identity (max, argmax, median...) over an
    empty tensor or an empty dim."""
    if dim is None:
        if x.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
    elif x.ndim and x.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


# --- sum and mean ---------------------------------------------------------------------------
def _sum_dtype(x: np.ndarray, dtype: dt.dtype | None, ctx: Any = None) -> np.dtype | None:
    """The accumulation dtype: ``dtype`` if given, int64 for integer inputs. With a ``dtype``
    the gradient is cast back to the input's dtype (torch records no cast node)."""
    if dtype is not None:
        if ctx is not None and dtype.np != x.dtype:
            ctx.input_meta = ((x.shape, x.dtype),)
        return dtype.np
    if x.dtype == dt.BFLOAT16:  # accumulated in float32 and rounded once, as torch's
        return np.dtype(np.float32)
    return np.dtype(np.int64) if x.dtype.kind in "biu" else None


def _rounded_back(out: np.ndarray, x: np.ndarray, dtype: dt.dtype | None) -> np.ndarray:
    """A bfloat16 reduction accumulated in float32, rounded back to bfloat16."""
    if dtype is None and x.dtype == dt.BFLOAT16:
        return out.astype(x.dtype)
    return out


@op("SumBackward0", samples=reduction_samples("sum", whole=True))
class Sum(UnaryOp):
    """``x.sum()``: all elements."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, (), False
        return _rounded_back(np.asarray(x.sum(dtype=_sum_dtype(x, dtype, ctx))), x, dtype)

    formula = {"x": "grad.expand(x.shape)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.expand(ctx.shape)


def _sum_samples(cls: type) -> list[Sample]:
    x = _values((2, 3), "real", 2)
    return reduction_samples("sum")(cls) + [
        Sample(lambda lib, t: t.sum(dim=None), (x,), "dim=None"),
        Sample(lambda lib, t: t.sum(()), (x,), "()"),
        Sample(lambda lib, t: t.sum(0), (np.array(1.5),), "0-d"),
        Sample(lambda lib, t: t.sum(1), (np.zeros((0, 3)),), "empty"),
        Sample(lambda lib, t: t.sum_to_size(1, 3), (x,), "sum_to_size"),
        # the non-differentiable reductions, checked against torch only
        Sample(lambda lib, t: (t.all(1), lib.any(t > 1.0, 0, keepdim=True)), (x,), "all-any",
               gradcheck=False),
        Sample(lambda lib, t: (t.count_nonzero(), lib.count_nonzero(t.relu(), 1)), (x,),
               "count_nonzero", gradcheck=False)]


@op("SumBackward1", samples=_sum_samples)
class SumDim(UnaryOp):
    """``x.sum(dim, keepdim)``."""
    formula = {"x": "grad (its dims kept) expanded to x.shape"}

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool,
                dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        out = x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype, ctx))
        return _rounded_back(np.asarray(out), x, dtype)

    backward = staticmethod(_reduced_grad)


def sum(input: Tensor, dim: Any = _NO_DIM, keepdim: bool = False, *,  # noqa: A001
        dtype: dt.dtype | None = None) -> Tensor:
    """Sums the elements of ``input``, over ``dim`` if given.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None or ``()``.
        keepdim (bool): keep reduced dims with size 1.
        dtype (ember.dtype, optional): the accumulation and result dtype.

    Returns:
        Tensor: int64 for integer and bool inputs, else the input's dtype.

    Example::

        >>> ember.tensor([[1., 2.], [3., 4.]]).sum(0)
        tensor([4., 6.])
    """
    if dim is _NO_DIM and not keepdim:
        return Sum.apply(input, dtype=dtype)
    return SumDim.apply(input, dims=reduce_dims(dim, input._data.ndim), keepdim=keepdim,
                        dtype=dtype)


def _float_check(x: np.ndarray, dtype: dt.dtype | None, name: str) -> np.dtype:
    result = dtype.np if dtype is not None else x.dtype
    if result.kind not in "fcV":
        raise RuntimeError(
            f"{name}(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {kind_name(result)}")
    return result


@op("MeanBackward0", samples=reduction_samples("mean", whole=True))
class Mean(UnaryOp):
    """``x.mean()``: all elements."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        result = _float_check(x, dtype, "mean")
        if result != x.dtype:
            ctx.input_meta = ((x.shape, x.dtype),)
        ctx.shape, ctx.count = x.shape, x.size
        if not x.size:
            return np.asarray(np.nan, dtype=result)
        if result == dt.BFLOAT16:  # accumulated in float32, rounded once, as torch's
            return np.asarray(x.mean(dtype=np.float32)).astype(result)
        return np.asarray(x.mean(dtype=result))

    formula = {"x": "grad.expand(x.shape) / x.numel()"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.expand(ctx.shape) / ctx.count


def _mean_samples(cls: type) -> list[Sample]:
    x = _values((2, 3), "real", 3)
    return reduction_samples("mean")(cls) + [
        Sample(lambda lib, t: t.mean(dim=None), (x,), "dim=None"),
        Sample(lambda lib, t: t.mean((), keepdim=True), (x,), "()")]


@op("MeanBackward1", samples=_mean_samples)
class MeanDim(UnaryOp):
    """``x.mean(dim, keepdim)``."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool,
                dtype: dt.dtype | None = None) -> np.ndarray:
        result = _float_check(x, dtype, "mean")
        if result != x.dtype:
            ctx.input_meta = ((x.shape, x.dtype),)
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.count = int(np.prod([x.shape[d] for d in dims]))
        if not ctx.count:  # NumPy warns about the empty slices; torch quietly gives NaN
            out = np.sum(x, axis=dims, keepdims=keepdim, dtype=result)
            return np.full_like(out, np.nan)
        if result == dt.BFLOAT16:  # accumulated in float32, rounded once, as torch's
            return np.asarray(x.mean(axis=dims, keepdims=keepdim, dtype=np.float32)).astype(
                result)
        return np.asarray(x.mean(axis=dims, keepdims=keepdim, dtype=result))

    formula = {"x": "grad (its dims kept) expanded to x.shape / the count averaged"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return _reduced_grad(ctx, grad) / ctx.count


def mean(input: Tensor, dim: Any = _NO_DIM, keepdim: bool = False, *,
         dtype: dt.dtype | None = None) -> Tensor:
    """The mean of the elements of ``input``, over ``dim`` if given.

    Args:
        input (Tensor): a floating point input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None or ``()``.
        keepdim (bool): keep reduced dims with size 1.
        dtype (ember.dtype, optional): the result dtype.

    Example::

        >>> ember.tensor([[1., 2.], [3., 4.]]).mean(1)
        tensor([1.5000, 3.5000])
    """
    if dim is _NO_DIM and not keepdim:
        return Mean.apply(input, dtype=dtype)
    return MeanDim.apply(input, dims=reduce_dims(dim, input._data.ndim), keepdim=keepdim,
                         dtype=dtype)


def _nan_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4), "real", 4)
        holes = x.copy()
        holes[0, 1] = holes[2, 2] = holes[2, 3] = np.nan
        return [Sample(lambda lib, t: getattr(t, name)(), (holes,), "all"),
                Sample(lambda lib, t: getattr(t, name)(1), (holes,), "dim1"),
                Sample(lambda lib, t: getattr(t, name)((0, 1), keepdim=True), (x,), "dims"),
                Sample(lambda lib, t: lib.nanmean(t), (holes,), "nanmean", gradcheck=False),
                Sample(lambda lib, t: t.nanmean(1, keepdim=True), (x,), "nanmean-dim")]

    return make


@op("NansumBackward0", samples=_nan_samples("nansum"))
class Nansum(UnaryOp):
    """``x.nansum(dim, keepdim)``: NaNs count as zero."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool,
                dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        result = _sum_dtype(x, dtype, ctx)
        out = np.nansum(x, axis=dims, keepdims=keepdim, dtype=result)
        return _rounded_back(np.asarray(out), x, dtype)

    formula = {"x": "grad (its dims kept) expanded to x.shape * ~isnan(x)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        keep = ~np.isnan(x._data)
        return _reduced_grad(ctx, grad) * _make(keep.astype(grad._data.dtype))

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        keep = _make(~np.isnan(inputs[0]._data))
        return sum(tangents[0] * keep, ctx.dims, ctx.keepdim)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           dtype: dt.dtype | None = None) -> Tensor:
    """The sum of the elements of ``input`` treating NaN as zero.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        keepdim (bool): keep reduced dims with size 1.
        dtype (ember.dtype, optional): the accumulation and result dtype.

    Example::

        >>> ember.tensor([1., float('nan'), 2.]).nansum()
        tensor(3.)
    """
    return Nansum.apply(input, dims=reduce_dims(dim, input._data.ndim), keepdim=keepdim,
                        dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: dt.dtype | None = None) -> Tensor:
    """The mean of the non-NaN elements of ``input`` (torch records it as a division).

    Args:
        input (Tensor): a floating point input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        keepdim (bool): keep reduced dims with size 1.
        dtype (ember.dtype, optional): the result dtype.

    Example::

        >>> ember.tensor([1., float('nan'), 2.]).nanmean()
        tensor(1.5000)
    """
    x = input._data
    if x.dtype.kind not in "fcV":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {kind_name(x.dtype)}")
    dims = reduce_dims(dim, x.ndim)
    count = _make(np.asarray((~np.isnan(x)).sum(axis=dims, keepdims=keepdim)))
    return nansum(input, dims, keepdim, dtype=dtype) / count


# --- logical reductions ---------------------------------------------------------------------
def _logical(name: str, fn: Any) -> Any:
    def reduce(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
        x = input._data
        # torch reduces nothing for dim=() here, unlike sum
        dims = tuple(range(x.ndim)) if dim is None else (
            () if isinstance(dim, (tuple, list)) and not dim else reduce_dims(dim, x.ndim))
        out = fn(x, axis=dims, keepdims=keepdim)
        # uint8 keeps its dtype, as torch's legacy behaviour
        return _make(np.asarray(out, dtype=np.uint8 if x.dtype == np.uint8 else np.bool_))

    reduce.__name__ = name
    reduce.__doc__ = f"""Whether {'all' if name == 'all' else 'any'} elements of ``input`` (over
    ``dim`` if given) are nonzero. Not differentiable.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        keepdim (bool): keep reduced dims with size 1.

    Returns:
        Tensor: bool (uint8 for a uint8 input).

    Example::

        >>> ember.tensor([1., 0.]).{name}()
        tensor({name == 'any'})
    """
    return reduce


all = _logical("all", np.all)  # noqa: A001
any = _logical("any", np.any)  # noqa: A001


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements of ``input``, over ``dim`` if given (int64).

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints, optional): the dims to count over; all if None.

    Example::

        >>> ember.tensor([[0., 1.], [2., 0.]]).count_nonzero(0)
        tensor([1, 1])
    """
    x = input._data
    dims = reduce_dims(dim, x.ndim)
    return _make(np.asarray(np.count_nonzero(x, axis=dims), dtype=np.int64)
                 if dims else (x != 0).astype(np.int64))


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


for _name, _fn in (("sum", sum), ("mean", mean), ("nansum", nansum), ("nanmean", nanmean),
                   ("all", all), ("any", any), ("count_nonzero", count_nonzero)):
    setattr(Tensor, _name, _fn)
Tensor.sum_to_size = lambda self, *size: sum_to_size(  # type: ignore[attr-defined]
    self, size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size)
