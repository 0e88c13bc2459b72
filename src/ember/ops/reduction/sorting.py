"""Order statistics: sort, argsort, msort, topk, kthvalue, median and nanmedian, and the bases
the extremes (``extrema.py``: max/min, amax/amin, argmax/argmin) build on.

Ops over a dim that select elements return torch's named tuples (``.values``, ``.indices``);
their gradient lands at the selected index. Whole-tensor max/min/median instead share the
gradient evenly among the elements equal to the result, as torch does.

Sorting is always stable (equal elements keep their order, NaN sorts as the largest value),
which is what torch guarantees with ``stable=True`` and what its CPU kernel does for small
inputs anyway; ``topk``, ``kthvalue`` and ``median`` pick among ties by that same order
(torch documents no choice there).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make, wrap_dim
from .._op import UnaryOp, op
from ..samples import Sample, _values
from .common import ValuesIndices, evenly_distribute, reduction_jvp, return_type, select_backward
from .sum_mean import _NO_DIM, empty_check, kind_name, one_dim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "unique"]

_NAN_SAMPLE = np.array([[1.0, np.nan, 3.0, 0.5], [2.0, -1.0, 0.0, 4.0]])
_TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0]])


# --- what max/min (extrema.py) and median share -------------------------------------------
class _Whole(UnaryOp):
    """``x.max()``: the gradient is shared by the elements equal to the result."""

    save_inputs = save_output = True
    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, out = ctx.saved_tensors
        return evenly_distribute(grad, x._data, out._data, tuple(range(x._data.ndim)), False)


def _pick(ctx: Any, x: np.ndarray, dim: int | None, keepdim: bool,
          indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values at ``indices`` (kept-dim shaped) along ``dim``; stores what backward needs."""
    ctx.shape, ctx.dim, ctx.keepdim, ctx.indices = x.shape, dim, keepdim, indices
    if dim is None:
        return x.copy(), np.zeros((), dtype=np.int64)
    values = np.take_along_axis(x, indices, axis=dim)
    if not keepdim:
        return values.squeeze(dim), indices.squeeze(dim)
    return values, indices.copy()


class _ExtremeDim(ValuesIndices):
    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return select_backward(grad, ctx)


# --- sorting --------------------------------------------------------------------------------
def stable_order(x: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Indices sorting ``x`` along ``dim``, equal elements in their original order, NaN as the
    largest value (last ascending, first descending)."""
    if not descending:
        return np.argsort(x, axis=dim, kind="stable")
    # sorting the reversed input ascending and reading it backwards keeps ties in order
    n = x.shape[dim]
    order = np.argsort(np.flip(x, dim), axis=dim, kind="stable")
    return (n - 1) - np.flip(order, dim)


def _sort_samples(cls: type) -> list[Sample]:
    x = _values((3, 5), "real", 14)
    ties = np.array([[2.0, 1.0, 2.0, 0.0, 1.0, 2.0], [np.nan, 1.0, -1.0, 1.0, np.nan, 0.0]])
    return [Sample(lambda lib, t: t.sort(), (x,), "last"),
            Sample(lambda lib, t: lib.sort(t, 0, descending=True), (x,), "dim0-desc"),
            Sample(lambda lib, t: t.sort(stable=True), (ties,), "ties", gradcheck=False),
            Sample(lambda lib, t: t.sort(descending=True, stable=True), (ties,), "ties-desc",
                   gradcheck=False),
            Sample(lambda lib, t: t.msort(), (x,), "msort"),
            Sample(lambda lib, t: t.sort(), (np.array(1.5),), "0-d"),
            Sample(lambda lib, t: t.sort(0), (np.zeros((0, 2)),), "empty"),
            Sample(lambda lib, t: (t.argsort(), lib.argsort(t, 0, descending=True)), (x,),
                   "argsort", gradcheck=False)]


@op("SortBackward0", samples=_sort_samples)
class Sort(ValuesIndices):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None, descending: bool) -> tuple:
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, True
        if dim is None:
            ctx.indices = np.zeros((), dtype=np.int64)
            return x.copy(), ctx.indices.copy()
        order = stable_order(x, dim, descending)
        ctx.indices = order
        return np.take_along_axis(x, order, axis=dim), order.copy()

    formula = {"x": "grad put back at the sorted elements' original places"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return select_backward(grad, ctx)


@op("SortBackward1")
class SortStable(Sort):
    """``sort(stable=True)``: the same stable sort, recorded under torch's other name."""
    formula = {"x": "grad put back at the sorted elements' original places"}


def sort(input: Tensor, dim: int = -1, descending: bool = False, *,
         stable: bool = False) -> Any:
    """Sorts ``input`` along ``dim``.

    Args:
        input (Tensor): the input.
        dim (int): the dim to sort along (the last by default).
        descending (bool): largest first.
        stable (bool): keep equal elements in order; ember's sort always does.

    Returns:
        A named tuple ``(values, indices)``.

    Example::

        >>> ember.tensor([3., 1., 2.]).sort()
        ember.return_types.sort(
        values=tensor([1., 2., 3.]),
        indices=tensor([1, 2, 0]))
    """
    cls = SortStable if stable else Sort
    values, indices = cls.apply(input, dim=one_dim(dim, input._data.ndim),
                                descending=bool(descending))
    return return_type("sort")(values, indices)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (stable). Not differentiable.

    Args:
        input (Tensor): the input.
        dim (int): the dim to sort along.
        descending (bool): largest first.
        stable (bool): accepted for torch's signature; ember always sorts stably.

    Example::

        >>> ember.tensor([3., 1., 2.]).argsort()
        tensor([1, 2, 0])
    """
    x = input._data
    d = one_dim(dim, x.ndim)
    if d is None:
        return _make(np.zeros((), dtype=np.int64))
    return _make(stable_order(x, d, bool(descending)))


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dim (the values of ``sort(input, 0)``).

    Example::

        >>> ember.tensor([[2., 1.], [1., 3.]]).msort()
        tensor([[1., 1.],
                [2., 3.]])
    """
    return sort(input, 0)[0]


def _topk_samples(cls: type) -> list[Sample]:
    x = _values((3, 5), "real", 15)
    return [Sample(lambda lib, t: t.topk(2), (x,), "largest"),
            Sample(lambda lib, t: lib.topk(t, 2, 0, largest=False), (x,), "smallest"),
            Sample(lambda lib, t: t.topk(5, sorted=True), (x,), "all"),
            Sample(lambda lib, t: t.topk(2), (_NAN_SAMPLE,), "nan", gradcheck=False),
            Sample(lambda lib, t: t.topk(1), (np.array(1.5),), "0-d"),
            Sample(lambda lib, t: t.topk(0), (x,), "k=0")]


@op("TopkBackward0", samples=_topk_samples)
class Topk(Sort):
    formula = {"x": "grad at the top k elements' places, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, k: int, dim: int | None,  # type: ignore[override]
                largest: bool) -> tuple:
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, True
        if dim is None:
            ctx.indices = np.zeros((), dtype=np.int64)
            return x.copy(), ctx.indices.copy()
        order = stable_order(x, dim, largest)
        order = np.take(order, np.arange(k), axis=dim)
        ctx.indices = order
        return np.take_along_axis(x, order, axis=dim), order.copy()


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> Any:
    """The ``k`` largest (or smallest) elements of ``input`` along ``dim``, in order.

    Args:
        input (Tensor): the input.
        k (int): how many.
        dim (int): the dim to select along (the last by default).
        largest (bool): the largest if True, else the smallest.
        sorted (bool): accepted for torch's signature; the result is always sorted.

    Returns:
        A named tuple ``(values, indices)``.

    Example::

        >>> ember.tensor([1., 4., 2., 3.]).topk(2)
        ember.return_types.topk(
        values=tensor([4., 3.]),
        indices=tensor([1, 3]))
    """
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = one_dim(dim, x.ndim)
    size = 1 if d is None else x.shape[d]
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    values, indices = Topk.apply(input, k=int(k), dim=d, largest=bool(largest))
    return return_type("topk")(values, indices)


# --- kthvalue and median --------------------------------------------------------------------
def _select_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4), "real", 16)
        fn = getattr
        if name == "kthvalue":
            return [Sample(lambda lib, t: t.kthvalue(2), (x,), "k2"),
                    Sample(lambda lib, t: lib.kthvalue(t, 3, 0, keepdim=True), (x,), "dim0"),
                    Sample(lambda lib, t: t.kthvalue(1), (np.array(1.5),), "0-d"),
                    Sample(lambda lib, t: t.kthvalue(4), (_NAN_SAMPLE,), "nan",
                           gradcheck=False)]
        nan_rows = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, 0.0, np.nan]])
        return [Sample(lambda lib, t: fn(t, name)(1), (x,), "even"),
                Sample(lambda lib, t: fn(lib, name)(t, 0, keepdim=True), (x,), "odd"),
                Sample(lambda lib, t: fn(t, name)(0), (np.array(1.5),), "0-d"),
                Sample(lambda lib, t: fn(t, name)(1), (nan_rows,), "nan", gradcheck=False),
                Sample(lambda lib, t: fn(t, name)(1), (np.zeros((0, 3)),), "empty")]

    return make


def _kth_forward(ctx: Any, x: np.ndarray, dim: int | None, keepdim: bool,
                 position: Any) -> tuple:
    """Values and indices at sorted ``position`` (an int, or kept-dim array) along ``dim``."""
    if dim is None:
        return _pick(ctx, x, None, keepdim, None)
    order = stable_order(x, dim, False)
    if isinstance(position, (int, np.integer)):
        position = np.full(_kept(x.shape, dim), position, dtype=np.int64)
    return _pick(ctx, x, dim, keepdim, np.take_along_axis(order, position, axis=dim))


def _kept(shape: tuple, dim: int) -> tuple:
    return shape[:dim] + (1,) + shape[dim + 1:]


@op("KthvalueBackward0", samples=_select_samples("kthvalue"))
class Kthvalue(_ExtremeDim):
    formula = {"x": "grad at the k-th value's place, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, k: int, dim: int | None, keepdim: bool) -> tuple:
        return _kth_forward(ctx, x, dim, keepdim, k - 1)


@op("MedianBackward1", samples=_select_samples("median"))
class MedianDim(_ExtremeDim):
    """The lower median over a dim; a slice holding NaN gives NaN at its first NaN."""
    formula = {"x": "grad at the median's place, 0 elsewhere"}

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None, keepdim: bool) -> tuple:
        empty_check(x, "median", dim)
        if dim is None:
            return _pick(ctx, x, None, keepdim, None)
        position = (x.shape[dim] - 1) // 2
        if x.dtype.kind in "fV":
            nan = np.isnan(x)
            has_nan = nan.any(axis=dim, keepdims=True)
            if has_nan.any():
                # NaN sorts last, so the first NaN of a slice sits at its count of non-NaNs
                count = (~nan).sum(axis=dim, keepdims=True)
                position = np.where(has_nan, count, position)
        return _kth_forward(ctx, x, dim, keepdim, position)


@op("NanmedianBackward1", samples=_select_samples("nanmedian"))
class NanmedianDim(_ExtremeDim):
    """The lower median of the non-NaN elements over a dim (NaN if there are none)."""
    formula = {"x": "grad at the median's place, 0 elsewhere"}

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None, keepdim: bool) -> tuple:
        empty_check(x, "nanmedian", dim)
        if dim is None:
            return _pick(ctx, x, None, keepdim, None)
        if x.dtype.kind not in "fV":
            return _kth_forward(ctx, x, dim, keepdim, (x.shape[dim] - 1) // 2)
        count = (~np.isnan(x)).sum(axis=dim, keepdims=True)
        return _kth_forward(ctx, x, dim, keepdim, np.maximum(count - 1, 0) // 2)


def _median_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        fn = getattr
        return [Sample(lambda lib, t: fn(t, name)(), (_values((3, 5), "real", 17),), "odd"),
                Sample(lambda lib, t: fn(t, name)(), (_values((2, 3), "real", 18),), "even"),
                Sample(lambda lib, t: fn(t, name)(), (np.array(1.5),), "0-d"),
                Sample(lambda lib, t: fn(t, name)(), (_TIES,), "ties", gradcheck=False),
                Sample(lambda lib, t: fn(t, name)(), (_NAN_SAMPLE,), "nan", gradcheck=False),
                Sample(lambda lib, t: fn(t, name)(), (np.zeros((0, 3)),), "empty")]

    return make


def _lower_median(flat: np.ndarray) -> np.ndarray:
    if flat.size == 0:
        return np.asarray(np.nan, dtype=flat.dtype)
    k = (flat.size - 1) // 2
    return np.asarray(np.partition(flat, k)[k])


@op("MedianBackward0", samples=_median_samples("median"))
class Median(_Whole):
    formula = {"x": "grad at the median's place, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        flat = x.ravel()
        if x.dtype.kind in "fV" and np.isnan(flat).any():
            return np.asarray(np.nan, dtype=x.dtype)
        return _lower_median(flat)


@op("NanmedianBackward0", samples=_median_samples("nanmedian"))
class Nanmedian(_Whole):
    formula = {"x": "grad at the median's place, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        flat = x.ravel()
        if x.dtype.kind in "fV":
            kept = flat[~np.isnan(flat)]
            if kept.size == 0:
                return np.asarray(np.nan, dtype=x.dtype)
            return _lower_median(kept)
        return _lower_median(flat)


def _median(name: str, whole: type, by_dim: type) -> Any:
    def reduce(input: Tensor, dim: Any = _NO_DIM, keepdim: bool = False) -> Any:
        x = input._data
        if x.dtype == np.bool_:
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{kind_name(x.dtype)}\'')
        if dim is _NO_DIM:
            return whole.apply(input)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, not "
                            f"{type(dim).__name__}")
        values, indices = by_dim.apply(input, dim=one_dim(dim, x.ndim), keepdim=keepdim)
        return return_type(name)(values, indices)

    reduce.__name__ = name
    skip = "ignoring NaN" if name == "nanmedian" else "NaN if any element is NaN"
    reduce.__doc__ = f"""The median of ``input`` ({skip}): the lower of the two middle values
    for an even count. Over ``dim``, returns ``(values, indices)``.

    Args:
        input (Tensor): the input.
        dim (int, optional): the dim to reduce.
        keepdim (bool): keep the reduced dim with size 1.

    Example::

        >>> ember.tensor([1., 4., 2., 3.]).{name}()
        tensor(2.)
    """
    return reduce


median = _median("median", Median, MedianDim)
nanmedian = _median("nanmedian", Nanmedian, NanmedianDim)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element of ``input`` along ``dim`` (1-based), and its index.

    Args:
        input (Tensor): the input.
        k (int): which one, 1 for the smallest.
        dim (int): the dim to select along (the last by default).
        keepdim (bool): keep the reduced dim with size 1.

    Returns:
        A named tuple ``(values, indices)``.

    Example::

        >>> ember.tensor([3., 1., 2.]).kthvalue(2)
        ember.return_types.kthvalue(
        values=tensor(2.),
        indices=tensor(2))
    """
    x = input._data
    d = one_dim(dim, x.ndim)
    empty_check(x, "kthvalue", d)
    size = 1 if d is None else x.shape[d]
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                           f"{wrap_dim(dim, x.ndim)}")
    values, indices = Kthvalue.apply(input, k=int(k), dim=d, keepdim=keepdim)
    return return_type("kthvalue")(values, indices)


for _name, _fn in (("sort", sort), ("argsort", argsort), ("msort", msort), ("topk", topk),
                   ("kthvalue", kthvalue), ("median", median), ("nanmedian", nanmedian)):
    setattr(Tensor, _name, _fn)


# --- unique ------------------------------------------------------------------------------------
def _unique_samples(cls: type) -> list:
    data = np.array([[3.0, 1.0, 3.0], [2.0, 1.0, 2.0]])
    return [Sample(lambda lib, t: lib.unique(t.detach()), (data,), "values", gradcheck=False),
            Sample(lambda lib, t: lib.unique(t.detach(), return_inverse=True,
                                             return_counts=True), (data,), "inverse-counts",
                   gradcheck=False),
            Sample(lambda lib, t: t.detach().unique(dim=0), (data,), "dim", gradcheck=False)]


@op("Unique2Backward0", samples=_unique_samples)
class Unique(UnaryOp):
    """The sorted distinct values of a tensor. Recorded (as torch records it) but not
    differentiable: backward raises, as torch's does."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values  # computed by unique() together with the inverse and the counts

    formula = {"x": "not differentiable (backward raises, as in torch)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        raise NotImplementedError("the derivative for '_unique2' is not implemented.")


@op("UniqueDimBackward0")
class UniqueDim(Unique):
    formula = {"x": "not differentiable (backward raises, as in torch)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        raise NotImplementedError("the derivative for 'unique_dim' is not implemented.")


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements of ``input`` (sorted), optionally with the index of each element
    in them and the count of each.

    Args:
        input (Tensor): the input.
        sorted (bool): ember always sorts, as torch does on the CPU.
        return_inverse (bool): also return, per element, its index in the result.
        return_counts (bool): also return how often each distinct value occurs.
        dim (int, optional): unique slices along this dim instead of elements.
    """
    data = input._data
    if dim is None:
        values, inverse, counts = np.unique(data, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(data.shape)
        result = Unique.apply(input, values=values)
    else:
        d = wrap_dim(dim, data.ndim)
        values, inverse, counts = np.unique(data, axis=d, return_inverse=True,
                                            return_counts=True)
        result = UniqueDim.apply(input, values=values)
    outputs: tuple = (result,)
    if return_inverse:
        outputs += (_make(inverse.astype(np.int64).reshape(-1) if dim is not None
                          else inverse.astype(np.int64)),)
    if return_counts:
        outputs += (_make(counts.astype(np.int64)),)
    return outputs[0] if len(outputs) == 1 else outputs


Tensor.unique = unique  # type: ignore[attr-defined]
