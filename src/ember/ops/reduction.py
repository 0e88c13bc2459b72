"""Reductions: sum and mean and their NaN-ignoring forms, all/any/count_nonzero, and
``sum_to_size``, which the engine uses to sum a broadcast gradient back to its input's shape.

Also the pieces the other reduction families (``statistics``, ``sorting``) share: dim
normalisation, torch's named-tuple results (``values``/``indices``), a primitive base for ops
returning (differentiable values, integer indices), and gather/scatter along a dim written as
primitives so that the backward of an index-selecting reduction is itself differentiable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, wrap_dim
from ..autograd import grad_mode
from . import _op
from ._op import Primitive, UnaryOp, _new_node, op, record_unary
from .samples import Sample, _values, reduction_samples

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
    from .arithmetic import _kind_name

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


# --- named-tuple results -----------------------------------------------------------------------
_RETURN_TYPES: dict[str, type] = {}


def return_type(name: str) -> type:
    """torch's ``torch.return_types.<name>``: a tuple with ``.values`` and ``.indices``."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        def __new__(klass: type, values: Tensor, indices: Tensor) -> Any:
            return tuple.__new__(klass, (values, indices))

        def __repr__(self: Any) -> str:
            return f"ember.return_types.{name}(\nvalues={self[0]!r},\nindices={self[1]!r})"

        def __reduce__(self: Any) -> Any:
            return (return_type_of, (name, tuple(self)))

        cls = type(name, (tuple,), {
            "__slots__": (), "__new__": __new__, "__repr__": __repr__, "__reduce__": __reduce__,
            "values": property(lambda self: self[0]), "indices": property(lambda self: self[1]),
            "n_fields": 2, "n_sequence_fields": 2, "__module__": "ember.return_types"})
        _RETURN_TYPES[name] = cls
    return cls


def return_type_of(name: str, items: tuple) -> Any:
    return return_type(name)(*items)


class ValuesIndices(Primitive):
    """An op of one tensor returning (values, indices): one node, recorded on ``values`` only,
    as torch records max(dim), sort, topk. ``forward`` returns both arrays and stores on ``ctx``
    whatever backward needs."""

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> tuple[Tensor, Tensor]:
            ctx = _new_node(cls)
            values, indices = forward(ctx, x._data, **params)
            if x._requires_grad and _state.enabled:
                result = record_unary(ctx, x, values), _make(indices)
            else:
                result = _make(values), _make(indices)
            if _op.forward_ad_enabled:
                _propagate(cls, ctx, x, params, result)
            return result

        return apply

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        """The tangent of the values: the input's tangent at the selected indices."""
        tangent = TakeAlong.apply(tangents[0], indices=ctx.indices, dim=ctx.dim)
        if ctx.dim is not None and not ctx.keepdim and tangent._data.ndim > output._data.ndim:
            tangent = tangent.squeeze(ctx.dim)
        return tangent


def _propagate(cls: type, ctx: Any, x: Tensor, params: dict, result: Any) -> None:
    from ..autograd import forward_ad

    forward_ad.propagate(cls, ctx, (x,), params, result)


def reduction_jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
    """Forward-mode rule of a reduction whose backward is ``grad * D`` with ``D`` not depending
    on ``grad``: the tangent is ``sum(t * D)`` over the reduced dims. ``D`` comes from running
    the op's backward with a gradient of ones on a scratch node holding the real tensors (so
    the tangent stays differentiable)."""
    from ._op import version_of

    cls = type(ctx)
    node = cls.__new__(cls)
    node.__dict__.update(ctx.__dict__)
    if cls.save_inputs:
        node._saved = inputs
        node._saved_versions = tuple(version_of(x) for x in inputs)
    node._fw_output = output
    node._next = (True,)
    with no_forward_ad():
        ones = _make(np.ones(output._data.shape, dtype=output._data.dtype))
        local = cls.backward(node, ones)
        if local is None:
            return _make(np.zeros(output._data.shape, dtype=output._data.dtype))
        product = tangents[0] * local
        dims = ctx.__dict__.get("dims")
        if dims is None:  # whole-tensor forms
            dims = tuple(range(product._data.ndim))
        if not dims:
            return product
        return SumDim.apply(product, dims=dims, keepdim=bool(ctx.__dict__.get("keepdim")))


class no_forward_ad:  # noqa: N801 - used like torch's context managers
    """Computes a tangent without propagating tangents-of-tangents through its own ops (one
    dual level, as torch's non-nested forward AD)."""

    def __enter__(self) -> None:
        self.previous = _op.forward_ad_enabled
        _op.forward_ad_enabled = False

    def __exit__(self, *exc: Any) -> None:
        _op.forward_ad_enabled = self.previous


class MultiResult(Primitive):
    """An op of one tensor returning several differentiable tensors (var_mean): one node with
    an output number per result; ``backward(ctx, *grads)`` gets zeros for unused outputs."""

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> tuple[Tensor, ...]:
            ctx = _new_node(cls)
            pieces = forward(ctx, x._data, **params)
            if not (x._requires_grad and _state.enabled):
                result = tuple(_make(p) for p in pieces)
            else:
                ctx.num_outputs = len(pieces)
                ctx.output_meta = [(p.shape, p.dtype) for p in pieces]
                outs = [record_unary(ctx, x, pieces[0])]
                for i, p in enumerate(pieces[1:], 1):
                    t = _make(p, ctx)
                    t._output_nr = i
                    outs.append(t)
                result = tuple(outs)
            if _op.forward_ad_enabled:
                _propagate(cls, ctx, x, params, result)
            return result

        return apply

    def _backward_multi(self, grads: list | None) -> Any:
        grads = list(grads) if grads is not None else [None] * self.num_outputs
        for i, (shape, np_dtype) in enumerate(self.output_meta):
            if grads[i] is None:
                grads[i] = _make(np.zeros(shape, dtype=np_dtype))
        return type(self).backward(self, *grads)


# --- gather/scatter along a dim, for the backward of index-selecting reductions ---------------
# Not registered as ops of their own (gather.py owns torch's gather/scatter); named as the
# nodes torch's double backward shows.
class TakeAlong(UnaryOp):
    """``x`` gathered along ``dim`` at ``indices`` (an int64 array shaped like the result)."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, indices: np.ndarray, dim: int | None) -> np.ndarray:
        ctx.shape, ctx.indices, ctx.dim = x.shape, indices, dim
        if dim is None:
            return x.copy()
        return np.take_along_axis(x, indices, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return PutAlong.apply(grad, indices=ctx.indices, dim=ctx.dim, shape=ctx.shape)


class PutAlong(UnaryOp):
    """Zeros of ``shape`` with ``grad`` added along ``dim`` at ``indices``: the gradient of
    ``TakeAlong``."""

    linear = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, indices: np.ndarray, dim: int | None,
                shape: tuple) -> np.ndarray:
        ctx.indices, ctx.dim = indices, dim
        if dim is None:
            return np.broadcast_to(grad, shape).copy()
        out = np.zeros(shape, dtype=grad.dtype)
        if indices.size:
            # indices along a dim may repeat only for TakeAlong's own double backward
            lead = np.indices(indices.shape, sparse=True)
            key = tuple(indices if i == dim else ix for i, ix in enumerate(lead))
            np.add.at(out, key, grad)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return TakeAlong.apply(grad, indices=ctx.indices, dim=ctx.dim)


TakeAlong.__name__ = TakeAlong.__qualname__ = "GatherBackward0"
PutAlong.__name__ = PutAlong.__qualname__ = "ScatterAddBackward0"


class Flip(UnaryOp):
    """Reverses ``dim``: the building block of reversed cumulative sums and products."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.flip(x, dim).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Flip.apply(grad, dim=ctx.dim)


Flip.__name__ = Flip.__qualname__ = "FlipBackward0"


class Shift(UnaryOp):
    """Moves ``x`` one step along ``dim`` (towards the end if ``forward_``), dropping the
    element that falls off and filling the vacated place with ``fill``: exclusive cumulative
    products are a shift of inclusive ones."""

    linear = True  # in x; the fill is a constant that only the forward of cumprod uses

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, forward_: bool, fill: float) -> np.ndarray:
        ctx.dim, ctx.forward_ = dim, forward_
        out = np.full_like(x, fill)
        n = x.shape[dim]
        keep = [slice(None)] * x.ndim
        put = list(keep)
        keep[dim], put[dim] = (slice(0, n - 1), slice(1, n)) if forward_ else (
            slice(1, n), slice(0, n - 1))
        out[tuple(put)] = x[tuple(keep)]
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Shift.apply(grad, dim=ctx.dim, forward_=not ctx.forward_, fill=0.0)


Shift.__name__ = Shift.__qualname__ = "ConstantPadNdBackward0"


def where(condition: np.ndarray, a: Any, b: Any) -> Tensor:
    """``ember.where`` with a constant NumPy mask (looked up late: another module owns it)."""
    import ember

    return ember.where(_make(condition), a, b)


def select_backward(grad: Tensor, ctx: Any) -> Tensor:
    """The gradient of a (values, indices) reduction: ``grad`` lands at the selected indices
    (``ctx.indices`` kept-dim shaped, ``ctx.dim``, ``ctx.shape``, ``ctx.keepdim``)."""
    if ctx.dim is not None and not ctx.keepdim and ctx.indices.ndim > grad._data.ndim:
        grad = grad.unsqueeze(ctx.dim)
    return PutAlong.apply(grad, indices=ctx.indices, dim=ctx.dim, shape=ctx.shape)


def evenly_distribute(grad: Tensor, x: np.ndarray, result: np.ndarray, dims: tuple[int, ...],
                      keepdim: bool, nan_equal: bool = True) -> Tensor:
    """torch's gradient for a whole-tensor max/min/median and for amax/amin: split evenly
    among the elements equal to the result. A NaN result counts as equal to the NaNs
    (``nan_equal``, max/median) or to nothing, making the gradient NaN (amax)."""
    kept = result if keepdim or not dims else np.expand_dims(result, dims)
    mask = x == kept
    if nan_equal and x.dtype.kind == "f":
        mask |= np.isnan(x) & np.isnan(kept)
    count = mask.sum(axis=dims, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = mask / count
    grad = unreduce(grad, x.shape, dims, keepdim)
    return grad * _make(weights.astype(grad._data.dtype, copy=False))


# --- sum and mean ---------------------------------------------------------------------------
def _sum_dtype(x: np.ndarray, dtype: dt.dtype | None, ctx: Any = None) -> np.dtype | None:
    """The accumulation dtype: ``dtype`` if given, int64 for integer inputs. With a ``dtype``
    the gradient is cast back to the input's dtype (torch records no cast node)."""
    if dtype is not None:
        if ctx is not None and dtype.np != x.dtype:
            ctx.input_meta = ((x.shape, x.dtype),)
        return dtype.np
    return np.dtype(np.int64) if x.dtype.kind in "biu" else None


@op("SumBackward0", samples=reduction_samples("sum", whole=True))
class Sum(UnaryOp):
    """``x.sum()``: all elements."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, (), False
        return np.asarray(x.sum(dtype=_sum_dtype(x, dtype, ctx)))

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

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool,
                dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return np.asarray(x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype, ctx)))

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
    if result.kind not in "fc":
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
        return np.asarray(x.mean(dtype=result))

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
        return np.asarray(x.mean(axis=dims, keepdims=keepdim, dtype=result))

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
        return np.asarray(np.nansum(x, axis=dims, keepdims=keepdim, dtype=result))

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
    if x.dtype.kind not in "fc":
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
