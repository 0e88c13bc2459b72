"""Indexing: ``x[key]`` and ``x[key] = value``.

``x[key]`` follows torch's decomposition, so its nodes carry torch's names: each integer is a
``select`` (SelectBackward0), each non-trivial slice a ``slice`` (SliceBackward0), each None an
``unsqueeze``; these are views. Integer-tensor, list and boolean-mask indices then apply
together as one advanced ``index`` (IndexBackward0), which copies. A key that does nothing
(``x[...]``) gives an alias (AliasBackward0).

NOTE [The index plan]
    A key is parsed once into a *plan*: the basic steps (select / slice / unsqueeze, each with
    the dim it acts on) and, if the key has advanced parts, one NumPy key applied to the result
    of those steps. ``x[key]`` replays the steps as ember view ops; ``x[key] = value`` replays
    them on NumPy views of the data (which write through) and assigns. All checks (bounds, mask
    shapes, broadcasting) happen while planning, so a failing assignment writes nothing.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..._tensor import Tensor, _legacy_type_name, bump_version
from ...autograd import grad_mode
from .._inplace import _LEAF_ERROR, _VIEW_OF_LEAF_ERROR, _stand_in, check_inplace, write_result
from .._op import Primitive, UnaryOp, composite, op
from ..samples import Sample, _values
from ..shape.reshape import Unsqueeze, ViewOp

_state = grad_mode.state

__all__ = ["select"]

# kinds of key items, and kinds of plan steps
_INT, _SLC, _NONE, _ELL, _BOOL, _ARR, _MASK = range(7)
_SELECT, _SLICE, _UNSQUEEZE = range(3)
_DROP = object()  # marks dims a multi-dim mask covers, removed from the NumPy key
_INDEX_DTYPE_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


def _index_samples(kind: str) -> Any:
    x = _values((3, 4), "real", 0)
    c = _values((2, 3, 4), "real", 1)
    mask = np.array([[True, False, True, True], [False, False, True, False],
                     [True, True, False, False]])

    def idx(*rows: Any) -> np.ndarray:
        return np.array(rows, dtype=np.int64)

    table: dict[str, list[Sample]] = {
        "select": [Sample(lambda lib, t: t[1], (x,), "int"),
                   Sample(lambda lib, t: t[:, -1], (x,), "column"),
                   Sample(lambda lib, t, i: t[i], (x, np.array(2)), "0-d-tensor"),
                   Sample(lambda lib, t: t[1, ..., 2], (c,), "ellipsis")],
        "slice": [Sample(lambda lib, t: t[1:], (x,), "rows"),
                  Sample(lambda lib, t: t[:, ::2], (x,), "step"),
                  Sample(lambda lib, t: t[-2:, 1:3], (x,), "negative"),
                  Sample(lambda lib, t: t[5:], (x,), "empty")],
        "alias": [Sample(lambda lib, t: t[...], (x,), "ellipsis"),
                  Sample(lambda lib, t: t[(slice(None),)], (x,), "colon")],
        "advanced": [
            Sample(lambda lib, t: t[[0, 2, 0]], (x,), "list-repeat"),
            Sample(lambda lib, t: t[t > 0], (x,), "mask"),
            Sample(lambda lib, t, m: t[m], (x, mask), "mask-tensor"),
            Sample(lambda lib, t, m: t[:, m[0]], (x, mask), "partial-mask"),
            Sample(lambda lib, t, m: t[m[:2, :3]], (c, mask), "leading-mask"),
            Sample(lambda lib, t, i: t[i], (x, idx([0, -1], [1, 1])), "2-d-index"),
            Sample(lambda lib, t, i, j: t[i, j], (x, idx(0, 2, 2), idx(-1, 0, 0)), "pairs"),
            Sample(lambda lib, t, i, j: t[i, :, j], (c, idx(1, 0), idx(3, 3)), "separated"),
            Sample(lambda lib, t, i, j: t[:, i, j], (c, idx(1, 0), idx(3, 3)), "adjacent"),
            Sample(lambda lib, t, i: t[None, 1, i, None], (c, idx(2, 0, 2)), "mixed"),
            Sample(lambda lib, t: t[[[0], [1]], [0, 3]], (x,), "broadcast"),
            Sample(lambda lib, t: t[True], (x,), "true"),
            Sample(lambda lib, t: t[1, False], (x,), "false"),
            Sample(lambda lib, t, i: t[i], (x, np.zeros(0, np.int64)), "empty"),
            Sample(lambda lib, t: t[..., [1, 1]], (c,), "ellipsis-list"),
            Sample(lambda lib, t: t[lib.nonzero(t > 0, as_tuple=True)], (x,), "nonzero"),
            Sample(lambda lib, t: t[(t > 0).nonzero().unbind(1)], (x,), "nonzero-rows")],
        "put": [Sample(_put, (x, _values((4,), "real", 2)), "rows"),
                Sample(_put_pairs, (x, _values((2,), "real", 3)), "repeat", gradcheck=False),
                Sample(_put_basic, (x, _values((3,), "real", 4)), "copy-slices")],
    }
    return lambda cls: table[kind]


def _put(lib: Any, t: Any, v: Any) -> Any:
    out = t * 1
    out[[0, 2]] = v
    return out


def _put_pairs(lib: Any, t: Any, v: Any) -> Any:
    out = t * 1
    out[[1, 1], [0, 0]] = v  # repeated positions: every value still gets its gradient
    return out


def _put_basic(lib: Any, t: Any, v: Any) -> Any:
    out = t * 1
    out[:, 1] = v
    return out


class _Indexed:
    """Backward shared by the indexing ops: the gradient lands at the indexed positions of a
    zero tensor of the input's shape."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, key: Any, accumulate: bool = False) -> np.ndarray:
        ctx.input_shape, ctx.key, ctx.accumulate = x.shape, key, accumulate
        return x[key]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return IndexPutInto.apply(grad, shape=ctx.input_shape, key=ctx.key,
                                  accumulate=ctx.accumulate)


_Gather = _Indexed  # the name other modules import


@op("SelectBackward0", samples=_index_samples("select"))
class Select(_Indexed, ViewOp):
    formula = {"x": "zeros like x with grad at x[key]"}
    pass


@op("SliceBackward0", samples=_index_samples("slice"))
class Slice(_Indexed, ViewOp):
    formula = {"x": "zeros like x with grad at x[key]"}
    pass


@op("IndexBackward0", samples=_index_samples("advanced"))
class Index(_Indexed, UnaryOp):
    formula = {"x": "zeros like x with grad added at x[key] (repeated indices add up)"}
    pass


@op("AliasBackward0", samples=_index_samples("alias"))
class Alias(ViewOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.view()

    formula = {"x": "grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


@op("IndexPutIntoBackward0")
class IndexPutInto(UnaryOp):
    """Scatters ``grad`` into zeros of ``shape`` at ``key``, adding where indices repeat
    (``accumulate``). The backward of the indexing ops, differentiable for double backward."""

    linear = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, shape: tuple, key: Any,
                accumulate: bool = False) -> np.ndarray:
        ctx.key, ctx.accumulate = key, accumulate
        out = np.zeros(shape, dtype=grad.dtype)
        if accumulate:
            np.add.at(out, key, grad)
        else:
            out[key] = grad
        return out

    formula = {"grad": "gg[key]"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Index.apply(grad, key=ctx.key, accumulate=ctx.accumulate)


# --- parsing a key into a plan -------------------------------------------------------------------
def _tensor_index(data: np.ndarray) -> tuple:
    kind = data.dtype
    if kind == np.bool_ or kind == np.uint8:
        if kind == np.uint8:
            warnings.warn("indexing with dtype ember.uint8 is now deprecated, please use a dtype "
                          "ember.bool instead.", UserWarning, stacklevel=4)
            data = data.astype(np.bool_)
        if data.ndim == 0:
            return _BOOL, bool(data), 0
        return _MASK, data, data.ndim
    if kind == np.int64 or kind == np.int32:
        if data.ndim == 0:
            return _INT, int(data), 1
        return _ARR, data, 1
    raise IndexError(_INDEX_DTYPE_ERROR)


def _sequence_index(seq: Any) -> tuple:
    # torch turns an index list into a long tensor (a bool one if every item is a bool)
    try:
        arr = np.asarray(seq)
    except ValueError:
        raise ValueError("expected sequence of equal length lists as an index") from None
    if arr.dtype == np.bool_ and arr.ndim:
        return _MASK, arr, arr.ndim
    if arr.size == 0 or arr.dtype.kind in "iufV":
        return _ARR, arr.astype(np.int64, copy=False), 1
    raise IndexError(_INDEX_DTYPE_ERROR)


def _classify(item: Any) -> tuple:
    """``(kind, value, dims consumed)`` of one item of a key."""
    if item is None:
        return _NONE, None, 0
    if item is Ellipsis:
        return _ELL, None, 0
    if isinstance(item, (bool, np.bool_)):
        return _BOOL, bool(item), 0
    if isinstance(item, (int, np.integer)):
        return _INT, int(item), 1
    if isinstance(item, slice):
        return _SLC, item, 1
    if isinstance(item, Tensor):
        return _tensor_index(item._data)
    if isinstance(item, np.ndarray):
        return _tensor_index(item)
    if isinstance(item, (list, tuple)):
        return _sequence_index(item)
    if isinstance(item, float):
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
            "valid indices (got float)")
    raise TypeError(f"new(): invalid data type '{type(item).__name__}'")


def _as_items(key: Any) -> tuple:
    """The key as a tuple of items; a short list holding sequences, slices, None or Ellipsis
    counts as a tuple (NumPy's legacy rule, which torch keeps with a warning)."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32 and any(
            k is None or k is Ellipsis or isinstance(k, (slice, list, tuple, Tensor, np.ndarray))
            for k in key):
        warnings.warn(
            "Using a non-tuple sequence for multidimensional indexing is deprecated; use "
            "x[tuple(seq)] instead of x[seq]. A future version will read it as a tensor "
            "index, x[ember.tensor(seq)].", UserWarning, stacklevel=3)
        return tuple(key)
    return (key,)


def _check_slice(s: slice) -> None:
    if s.step is not None:
        step = int(s.step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")


def _plan(shape: tuple, items: tuple) -> tuple[list, tuple | None, bool]:
    """Parses ``items`` against a tensor of ``shape`` (see NOTE [The index plan]): returns the
    basic steps, the advanced NumPy key (or None) and whether its indices may repeat."""
    ndim = len(shape)
    parsed = [_classify(item) for item in items]
    consumed = sum(p[2] for p in parsed)
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    steps: list[tuple] = []
    current = list(shape)
    adv: list[tuple] = []
    dim = 0
    for pos, (kind, value, _) in enumerate(parsed):
        if kind == _INT:
            size = current[dim]
            if not -size <= value < size:
                raise IndexError(
                    f"index {value} is out of bounds for dimension {pos} with size {size}")
            steps.append((_SELECT, dim, value + size if value < 0 else value))
            del current[dim]
        elif kind == _SLC:
            _check_slice(value)
            size = current[dim]
            if not (value.start in (None, 0) and value.step in (None, 1)
                    and (value.stop is None or value.stop >= size)):
                steps.append((_SLICE, dim, value))
                current[dim] = len(range(*value.indices(size)))
            dim += 1
        elif kind == _NONE or kind == _BOOL:
            steps.append((_UNSQUEEZE, dim, None))
            current.insert(dim, 1)
            if kind == _BOOL:  # True/False index the new dim with [0] / []
                adv.append((dim, _ARR, np.zeros(1 if value else 0, dtype=np.int64)))
            dim += 1
        elif kind == _ELL:
            dim += ndim - consumed
        else:
            adv.append((dim, kind, value))
            dim += value.ndim if kind == _MASK else 1
    if not adv:
        return steps, None, False
    key, accumulate = _advanced_key(current, adv)
    return steps, key, accumulate


def _advanced_key(shape: list, adv: list) -> tuple[tuple, bool]:
    key: list[Any] = [slice(None)] * len(shape)
    index_shapes: list[tuple] = []
    for dim, kind, arr in adv:
        if kind == _MASK:
            have = tuple(shape[dim:dim + arr.ndim])
            if arr.shape != have:
                j = next(j for j in range(arr.ndim)
                         if j >= len(have) or arr.shape[j] != have[j])
                raise IndexError(
                    f"The shape of the mask {list(arr.shape)} at index {j} does not match the "
                    f"shape of the indexed tensor {shape} at index {dim + j}")
            if len(adv) > 1:
                index_shapes += [(int(np.count_nonzero(arr)),)] * arr.ndim
        else:
            index_shapes.append(arr.shape)
    empty = False
    if len(index_shapes) > 1:
        try:
            empty = 0 in np.broadcast_shapes(*index_shapes)
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(str(list(s)) for s in index_shapes)) from None
    accumulate = False
    ordinal = 0  # torch numbers the dims of an advanced index among the index tensors
    for dim, kind, arr in adv:
        key[dim] = arr
        if kind == _MASK:
            for extra in range(1, arr.ndim):
                key[dim + extra] = _DROP
            ordinal += arr.ndim
            continue
        size = shape[dim]
        if arr.size and not empty:  # torch checks only the indices it reads
            if arr.max() >= size or arr.min() < -size:
                bad = arr.ravel()[np.flatnonzero((arr >= size) | (arr < -size))[0]]
                raise IndexError(
                    f"index {bad} is out of bounds for dimension {ordinal} with size {size}")
            accumulate = accumulate or arr.size > 1
        ordinal += 1
    while key and isinstance(key[-1], slice) and key[-1] == slice(None):
        key.pop()
    return tuple(k for k in key if k is not _DROP), accumulate


def _apply_plan(t: Tensor, steps: list, key: tuple | None, accumulate: bool) -> Tensor:
    for kind, dim, arg in steps:
        if kind == _SELECT:
            t = Select.apply(t, key=(slice(None),) * dim + (arg, ...))
        elif kind == _SLICE:
            t = Slice.apply(t, key=(slice(None),) * dim + (arg,))
        else:
            t = Unsqueeze.apply(t, dim=dim)
    if key is not None:
        t = Index.apply(t, key=key, accumulate=accumulate)
    return t


def _basic_view(data: np.ndarray, steps: list) -> np.ndarray:
    """The steps replayed on NumPy views: writing into the result writes into ``data``."""
    for kind, dim, arg in steps:
        if kind == _UNSQUEEZE:
            data = np.expand_dims(data, dim)
        elif kind == _SELECT:
            data = data[(slice(None),) * dim + (arg, ...)]
        else:
            data = data[(slice(None),) * dim + (arg,)]
    return data


# --- x[key] ----------------------------------------------------------------------------------
def getitem(self: Tensor, key: Any) -> Tensor:
    """``self[key]`` with torch's semantics and node names."""
    cls = key.__class__
    data = self._data
    if cls is int:  # x[i]: the hottest key
        if not data.ndim:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        size = data.shape[0]
        if not -size <= key < size:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {size}")
        return Select.apply(self, key=(key, ...))  # the Ellipsis keeps a 0-d result a view
    if cls is slice:
        if not data.ndim:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        _check_slice(key)
        return Slice.apply(self, key=(key,))
    if cls is Tensor and key._data.dtype == np.bool_ and key._data.shape == data.shape \
            and data.ndim:  # x[mask]
        return Index.apply(self, key=(key._data,))
    if cls is Tensor and key._data.dtype == np.int64 and key._data.ndim == 1 and data.ndim:
        index = key._data  # x[idx]
        size = data.shape[0]
        if not index.size or (index.max() < size and index.min() >= -size):
            return Index.apply(self, key=(index,), accumulate=index.size > 1)
    if cls is tuple and len(key) <= data.ndim and all(
            k.__class__ is int or k.__class__ is slice for k in key):  # x[:, j], x[i, 1:]
        return _basic(self, key)
    steps, adv, accumulate = _plan(data.shape, _as_items(key))
    if not steps and adv is None:
        return Alias.apply(self)
    return _apply_plan(self, steps, adv, accumulate)


def _basic(self: Tensor, key: tuple) -> Tensor:
    """``self[key]`` for a key of ints and slices only: each item acts on one input dim."""
    shape = self._data.shape
    result = self
    dim = 0
    for pos, k in enumerate(key):
        size = shape[pos]
        if k.__class__ is int:
            if not -size <= k < size:
                raise IndexError(
                    f"index {k} is out of bounds for dimension {pos} with size {size}")
            result = Select.apply(result, key=(slice(None),) * dim + (k, ...))
            continue
        _check_slice(k)
        if not (k.start in (None, 0) and k.step in (None, 1)
                and (k.stop is None or k.stop >= size)):
            result = Slice.apply(result, key=(slice(None),) * dim + (k,))
        dim += 1
    return Alias.apply(self) if result is self else result


# --- x[key] = value ------------------------------------------------------------------------------
@op("IndexPutBackward0", samples=_index_samples("put"))
class IndexPut(Primitive):
    """``out = x.clone(); out[key] = value``: the recorded form of ``x[key] = value`` (with an
    advanced key; ``CopySlices`` below names the basic-key form as torch does)."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, value: Any, steps: list, key: tuple | None,
                accumulate: bool) -> np.ndarray:
        ctx.plan = (steps, key, accumulate)
        ctx.value_meta = (np.shape(value), getattr(value, "dtype", None))
        out = x.copy()
        _write(out, steps, key, value)
        return out

    formula = {
        "x": "grad with 0 at [key] (unless accumulate)",
        "value": "grad[key] summed to value's shape",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        steps, key, accumulate = ctx.plan
        grad_x = grad_value = None
        if ctx._next[0] is not None:
            grad_x = type(ctx).apply(grad, 0.0, steps=steps, key=key, accumulate=accumulate)
        if ctx._next[1] is not None:
            from ..reduction.sum_mean import sum_to_size

            shape, np_dtype = ctx.value_meta
            grad_value = _apply_plan(grad, steps, key, accumulate)
            stripped = _strip_ones(shape)
            grad_value = sum_to_size(grad_value, stripped)
            if stripped != shape:
                grad_value = grad_value.reshape(shape)
            if np_dtype is not None and np_dtype != grad_value._data.dtype:
                from ... import _dtype as dt

                grad_value = grad_value.to(dt._BY_NUMPY[np_dtype])
        return grad_x, grad_value


class CopySlices(IndexPut):
    """``x[key] = value`` with a basic key (ints, slices, None): torch records it as
    CopySlices."""

    def name(self) -> str:
        return "torch::autograd::CopySlices"


def _strip_ones(shape: tuple) -> tuple:
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return tuple(shape[i:])


def _write(data: np.ndarray, steps: list, key: tuple | None, value: Any) -> None:
    view = _basic_view(data, steps)
    if isinstance(value, np.ndarray):
        value = value.reshape(_strip_ones(value.shape))
    try:
        if key is None:
            view[...] = value
        else:
            view[key] = value
    except ValueError:
        raise _value_shape_error(view, key, np.shape(value), data.dtype) from None


def _value_shape_error(view: np.ndarray, key: tuple | None, vshape: tuple,
                       np_dtype: np.dtype) -> RuntimeError:
    if key is not None:
        target = np.broadcast_to(np.empty((), np.int8), view.shape)[key].shape
        return RuntimeError(
            f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
            f"indexing result of shape {list(target)}")
    target = view.shape
    if len(vshape) > len(target):
        from ... import _dtype as dt

        kind = _legacy_type_name(dt._BY_NUMPY[np_dtype])
        return RuntimeError(
            f"expand({kind}{{{list(vshape)}}}, size={list(target)}): the number of sizes "
            f"provided ({len(target)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(vshape)})")
    lead = len(target) - len(vshape)
    dim = next(i for i in range(len(vshape))
               if vshape[i] != 1 and vshape[i] != target[lead + i])
    return RuntimeError(
        f"The expanded size of the tensor ({target[lead + dim]}) must match the existing size "
        f"({vshape[dim]}) at non-singleton dimension {lead + dim}.  Target sizes: "
        f"{list(target)}.  Tensor sizes: {list(vshape)}")


def setitem(self: Tensor, key: Any, value: Any) -> None:
    """``self[key] = value`` in place, recorded when autograd needs it: the gradient reaches
    the old values of ``self`` outside ``key`` and ``value`` (summed over broadcasting)."""
    steps, adv, accumulate = _plan(self._data.shape, _as_items(key))
    if isinstance(value, Tensor):
        value_data = value._data
        if adv is not None and value_data.dtype != self._data.dtype:
            from ..pointwise.arithmetic import _kind_name

            raise RuntimeError(
                "Index put requires the source and destination dtypes match, got "
                f"{_kind_name(self.dtype)} for the destination and {_kind_name(value.dtype)} "
                "for the source.")
        value_grad = value._requires_grad
    elif isinstance(value, (bool, int, float, complex, np.generic)):
        value_data, value_grad = value, False
    else:
        raise TypeError(
            f"can't assign a {type(value).__name__} to a {_legacy_type_name(self.dtype)}")
    if not (_state.enabled and (self._requires_grad or value_grad)):
        _write(self._data, steps, adv, value_data)
        bump_version(self)
        return
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(_VIEW_OF_LEAF_ERROR if steps or self._base is not None
                           else _LEAF_ERROR)
    check_inplace(self)
    # torch writes through a view when the key has basic parts: its node is then CopySlices
    node = IndexPut if adv is not None and not steps else CopySlices
    result = node.apply(_stand_in(self, copy=False), value, steps=steps, key=adv,
                        accumulate=accumulate)
    write_result(self, result)


Tensor.__getitem__ = getitem  # type: ignore[attr-defined]
Tensor.__setitem__ = setitem  # type: ignore[attr-defined]


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice of ``input`` at ``index`` along ``dim`` (a view without that dim)."""
    from ..._tensor import wrap_dim

    d = wrap_dim(dim, input._data.ndim)
    return getitem(input, (slice(None),) * d + (index,))


def _select_samples(cls: type) -> list:
    from ..samples import Sample, _values

    return [Sample(lambda lib, t: lib.select(t, 1, -1) * 2, (_values((3, 4), "real", 40),),
                   "select")]


Tensor.select = select  # type: ignore[attr-defined]
composite("select", _select_samples)
