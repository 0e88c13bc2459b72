"""Selection by mask and by flat index: masked_fill, masked_select, masked_scatter (and their
in-place forms), take, nonzero and argwhere."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._inplace import inplace_binary
from .._op import Primitive, UnaryOp, broadcast_error, op
from ..samples import Sample, _values
from .getitem import Index, IndexPutInto

__all__ = ["masked_fill", "masked_select", "masked_scatter", "take", "nonzero", "argwhere"]


# --- selection by mask and by flat index -------------------------------------------------------
def _mask_samples(kind: str) -> Any:
    x, src, v = _values((3, 4), "real", 0), _values((3, 4), "real", 1), np.array(1.5)
    mask = np.array([[True, False, True, True], [False, False, True, False],
                     [True, True, False, False]])
    table: dict[str, list[Sample]] = {
        "fill": [Sample(lambda lib, t, m: t.masked_fill(m, 0.5), (x, mask), "mask"),
                 Sample(lambda lib, t, m: (t * 1).masked_fill_(m, 0.5), (x, mask), "inplace"),
                 Sample(lambda lib, t, m: lib.masked_fill(t, m[:1], -1.0), (x, mask), "bcast")],
        "fill_tensor": [
            Sample(lambda lib, t, m, w: t.masked_fill(m, w), (x, mask, v), "tensor"),
            Sample(lambda lib, t, m, w: t[0].masked_fill(m, w), (x, mask, v), "broadcast"),
            Sample(lambda lib, t, m, w: (t * 1).masked_fill_(m, w), (x, mask, v), "inplace")],
        "select": [Sample(lambda lib, t, m: t.masked_select(m), (x, mask), "mask"),
                   Sample(lambda lib, t, m: lib.masked_select(t[0], m), (x, mask), "bcast")],
        "scatter": [
            Sample(lambda lib, t, m, s: t.masked_scatter(m, s), (x, mask, src), "mask"),
            Sample(lambda lib, t, m, s: t.masked_scatter(m[:1], s), (x, mask, src),
                   "broadcast"),
            Sample(lambda lib, t, m, s: (t * 1).masked_scatter_(m, s), (x, mask, src),
                   "inplace")],
        "take": [Sample(lambda lib, t, i: t.take(i), (x, np.array([[0, -1], [5, 5]])), "2-d"),
                 Sample(lambda lib, t, i: lib.take(t, i), (x, np.array(7)), "0-d"),
                 Sample(lambda lib, t: t.take(lib.argwhere(t.reshape(-1) > 0).reshape(-1)),
                        (x,), "argwhere"),
                 Sample(lambda lib, t: t.take((t.reshape(-1) < 0).argwhere().reshape(-1)),
                        (x,), "argwhere-method")],
    }
    return lambda cls: table[kind]


_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double",
            "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
            "uint8": "unsigned char"}


def _mask_data(mask: Any, x: np.ndarray, name: str) -> tuple[np.ndarray, tuple]:
    """The mask's array and the shape it and ``x`` broadcast to, with torch's checks."""
    m = mask._data
    if m.dtype != np.bool_:
        if name == "masked_fill_":
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {_C_NAMES.get(m.dtype.name, m.dtype.name)}")
        if name == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        from .gather import _kind

        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{_kind(m)}")
    try:
        return m, np.broadcast_shapes(x.shape, m.shape)
    except ValueError as err:
        raise broadcast_error(m, x, err) from None


@op("MaskedFillBackward0", samples=_mask_samples("fill"))
class MaskedFill(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
        ctx.shape, ctx.mask = x.shape, mask
        return np.where(mask, np.asarray(value).astype(x.dtype), x)

    formula = {"x": "where(mask, 0, grad)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        from ..reduction.sum_mean import sum_to_size

        return sum_to_size(MaskedFill.apply(grad, mask=ctx.mask, value=0), ctx.shape)


@op("MaskedFillBackward1", samples=_mask_samples("fill_tensor"))
class MaskedFillTensor(Primitive):
    """``masked_fill`` with a 0-d tensor value, which gets the summed gradient of every
    filled position."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, value: np.ndarray, mask: np.ndarray) -> np.ndarray:
        ctx.value_dtype = value.dtype
        return MaskedFill.forward(ctx, x, mask, value)

    formula = {"x": "where(mask, 0, grad)", "value": "grad[mask].sum()"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_x = MaskedFill.backward(ctx, grad) if ctx._next[0] is not None else None
        grad_value = None
        if ctx._next[1] is not None:
            grad_value = MaskedFill.apply(grad, mask=~ctx.mask, value=0).sum()
            if grad_value._data.dtype != ctx.value_dtype:
                from ... import _dtype as dt

                grad_value = grad_value.to(dt._BY_NUMPY[ctx.value_dtype])
        return grad_x, grad_value

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        tx, tv = tangents
        if tx is None:
            tx = output * 0
        return masked_fill(tx, _make(ctx.mask), tv if tv is not None else 0.0)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` (a number or a 0-d tensor) where ``mask`` (a bool
    tensor broadcastable with ``input``) is True.

    Example::

        >>> ember.tensor([1.0, -2.0, 3.0]).masked_fill(ember.tensor([False, True, False]), 0.0)
        tensor([1., 0., 3.])
    """
    m, _ = _mask_data(mask, input._data, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return MaskedFillTensor.apply(input, value, mask=m)
    return MaskedFill.apply(input, mask=m, value=value)


@op("MaskedSelectBackward0", samples=_mask_samples("select"))
class MaskedSelect(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, mask: np.ndarray, shape: tuple) -> np.ndarray:
        ctx.shape, ctx.mask = x.shape, np.broadcast_to(mask, shape)
        return np.broadcast_to(x, shape)[ctx.mask]

    formula = {"x": "zeros like x with grad placed where mask is True"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        from ..reduction.sum_mean import sum_to_size

        full = IndexPutInto.apply(grad, shape=ctx.mask.shape, key=(ctx.mask,))
        return sum_to_size(full, ctx.shape)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The entries of ``input`` where ``mask`` is True, as a 1-D tensor (the two broadcast).

    Example::

        >>> x = ember.tensor([[1, 2], [3, 4]])
        >>> x.masked_select(x > 1)
        tensor([2, 3, 4])
    """
    m, shape = _mask_data(mask, input._data, "masked_select")
    return MaskedSelect.apply(input, mask=m, shape=shape)


@op("MaskedScatterBackward0", samples=_mask_samples("scatter"))
class MaskedScatter(Primitive):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, source: np.ndarray, mask: np.ndarray,
                shape: tuple) -> np.ndarray:
        mask = np.broadcast_to(mask, shape)
        ctx.shape, ctx.mask, ctx.source_shape = x.shape, mask, source.shape
        count = int(np.count_nonzero(mask))
        if source.size < count:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        out = np.broadcast_to(x, shape).copy()
        out[mask] = source.reshape(-1)[:count]
        ctx.count = count
        return out

    formula = {
        "x": "where(mask, 0, grad)",
        "source": "grad[mask] in source's first elements, 0 after",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        from ..reduction.sum_mean import sum_to_size

        grad_x = grad_source = None
        if ctx._next[0] is not None:
            grad_x = sum_to_size(MaskedFill.apply(grad, mask=ctx.mask, value=0), ctx.shape)
        if ctx._next[1] is not None:
            picked = Index.apply(grad, key=(ctx.mask,))
            size = int(np.prod(ctx.source_shape))
            grad_source = IndexPutInto.apply(picked, shape=(size,), key=(slice(0, ctx.count),))
            grad_source = grad_source.reshape(ctx.source_shape)
        return grad_x, grad_source


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the entries where ``mask`` is True replaced, in order, by the
    leading entries of ``source``.

    Example::

        >>> ember.zeros(4).masked_scatter(ember.tensor([True, False, True, False]),
        ...                               ember.tensor([1.0, 2.0, 3.0]))
        tensor([1., 0., 2., 0.])
    """
    m, shape = _mask_data(mask, input._data, "masked_scatter_")
    if source._data.dtype != input._data.dtype:
        from .gather import _kind

        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_kind(input._data)} and {_kind(source._data)}")
    return MaskedScatter.apply(input, source, mask=m, shape=shape)


@op("TakeBackward0", samples=_mask_samples("take"))
class Take(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, index: np.ndarray) -> np.ndarray:
        ctx.shape, ctx.index = x.shape, index
        return x.reshape(-1)[index]

    formula = {"x": "zeros like x with grad added at index (flattened)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        size = int(np.prod(ctx.shape))
        flat = IndexPutInto.apply(grad, shape=(size,), key=(ctx.index,), accumulate=True)
        return flat.reshape(ctx.shape)


def take(input: Tensor, index: Tensor) -> Tensor:
    """The entries of the flattened ``input`` at ``index`` (int64; negative counts from the
    end), in ``index``'s shape.

    Example::

        >>> ember.tensor([[4, 3], [5, 7]]).take(ember.tensor([0, -1]))
        tensor([4, 7])
    """
    idx = index._data
    if idx.dtype != np.int64:
        from .gather import _kind

        raise RuntimeError(f"take(): Expected a long tensor for index, but got {_kind(idx)}")
    n = input._data.size
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.ravel()[np.flatnonzero((idx >= n) | (idx < -n))[0]]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return Take.apply(input, index=idx)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero entries of ``input``: an int64 tensor with one row per
    entry, or (``as_tuple=True``) one 1-D tensor per dim.

    Example::

        >>> ember.nonzero(ember.tensor([[0, 1], [1, 1]]))
        tensor([[0, 1],
                [1, 0],
                [1, 1]])
    """
    data = input._data
    if as_tuple:
        if not data.ndim:
            return (_make(np.zeros(int(data != 0), dtype=np.int64)),)
        return tuple(_make(i.astype(np.int64, copy=False)) for i in np.nonzero(data))
    return _make(np.argwhere(data).astype(np.int64, copy=False))


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the indices of the nonzero entries, one row per entry.

    Example::

        >>> ember.argwhere(ember.tensor([0.0, 2.0, 3.0]))
        tensor([[1],
                [2]])
    """
    return nonzero(input)


def _masked_inplace(compute: Any, primitive: type) -> Any:
    def method(self: Tensor, mask: Tensor, value: Any) -> Tensor:
        return inplace_binary(self, primitive, value, compute.__name__ + "_",
                              fn=lambda target, v: compute(target, mask, v))

    method.__name__ = compute.__name__ + "_"
    method.__doc__ = f"In-place :func:`{compute.__name__}`."
    return method


masked_fill_ = _masked_inplace(masked_fill, MaskedFill)
masked_scatter_ = _masked_inplace(masked_scatter, MaskedScatter)


for _fn in (masked_fill, masked_fill_, masked_select, masked_scatter, masked_scatter_, take,
            nonzero, argwhere):
    setattr(Tensor, _fn.__name__, _fn)
