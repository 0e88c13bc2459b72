"""Indexing: ``x[key]`` and ``x[key] = value``.

``x[key]`` follows torch's decomposition, so its nodes carry torch's names: each integer is a
``select`` (SelectBackward0), each non-trivial slice a ``slice`` (SliceBackward0), each None an
``unsqueeze``; these are views. Integer-tensor, list and boolean-mask indices then apply
together as one advanced ``index`` (IndexBackward0), which copies.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, bump_version
from ..autograd import grad_mode
from ._inplace import _stand_in, check_inplace, write_result
from ._op import Primitive, op
from .samples import index_samples
from .shape import ViewOp

_state = grad_mode.state


class _Gather:
    """Backward shared by the indexing ops: the gradient lands at the indexed positions of a
    zero tensor of the input's shape."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, key: Any) -> np.ndarray:
        ctx.input_shape, ctx.key = x.shape, key
        return x[key]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return IndexPutInto.apply(grad, shape=ctx.input_shape, key=ctx.key)


@op("SelectBackward0", samples=index_samples("select"))
class Select(_Gather, ViewOp):
    pass


@op("SliceBackward0", samples=index_samples("slice"))
class Slice(_Gather, ViewOp):
    pass


@op("IndexBackward0", samples=index_samples("advanced"))
class Index(_Gather, Primitive):
    pass


@op("IndexPutIntoBackward0")
class IndexPutInto(Primitive):
    """Scatters ``grad`` into zeros of ``shape`` at ``key``, adding where indices repeat. The
    backward of the indexing ops, differentiable so that double backward works."""

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, shape: tuple, key: Any) -> np.ndarray:
        ctx.key = key
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, key, grad)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Index.apply(grad, key=ctx.key)


def _index_array(index: Any, dim_size: int | None) -> np.ndarray:
    arr = index._data if isinstance(index, Tensor) else np.asarray(index)
    if arr.dtype == np.bool_ or arr.dtype.kind in "iu":
        return arr
    if arr.size == 0:
        return arr.astype(np.int64)
    raise IndexError(
        "tensors used as indices must be long, int, byte or bool tensors")


def _is_advanced(item: Any) -> bool:
    return isinstance(item, (Tensor, list, np.ndarray)) or (
        isinstance(item, tuple))


def _check_bounds(index: int, size: int, dim: int) -> int:
    if not -size <= index < size:
        raise IndexError(
            f"index {index} is out of bounds for dimension {dim} with size {size}")
    return index + size if index < 0 else index


def getitem(self: Tensor, key: Any) -> Tensor:
    """``self[key]`` with torch's semantics and node names."""
    if not isinstance(key, tuple):
        key = (key,)
    # expand the Ellipsis into full slices
    consumed = sum(_index_ndim(k) for k in key if k is not Ellipsis)
    if consumed > self._data.ndim:
        raise IndexError(
            f"too many indices for tensor of dimension {self._data.ndim}")
    if any(k is Ellipsis for k in key):
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        fill = (slice(None),) * (self._data.ndim - consumed)
        key = key[:at] + fill + tuple(k for k in key[at + 1:] if k is not Ellipsis)
    result = self
    dim = 0
    advanced: list[tuple[int, Any]] = []
    for item in key:
        if item is None:
            from .shape import Unsqueeze

            result = Unsqueeze.apply(result, dim=dim)
            dim += 1
        elif isinstance(item, (bool, np.bool_)) or (
                isinstance(item, Tensor) and item._data.ndim == 0 and item.dtype.name == "bool"):
            advanced.append((dim, np.asarray(bool(item))))
            result = Unsqueeze_(result, dim)
            dim += 1
        elif isinstance(item, (int, np.integer)) or (
                isinstance(item, Tensor) and item._data.ndim == 0
                and item._data.dtype.kind in "iu"):
            size = result._data.shape[dim]
            index = _check_bounds(int(item), size, dim)
            sel = (slice(None),) * dim + (index,)
            result = Select.apply(result, key=sel)
        elif isinstance(item, slice):
            if item.step is not None and int(item.step) <= 0:
                raise ValueError("step must be greater than zero")
            if item != slice(None):
                result = Slice.apply(result, key=(slice(None),) * dim + (item,))
            dim += 1
        else:
            arr = _index_array(item, result._data.shape[dim])
            advanced.append((dim, arr))
            dim += arr.ndim if arr.dtype == np.bool_ else 1
    if advanced:
        return _advanced(result, advanced)
    if result is self:
        return Slice.apply(self, key=(slice(None),))
    return result


def Unsqueeze_(t: Tensor, dim: int) -> Tensor:  # noqa: N802
    from .shape import Unsqueeze

    return Unsqueeze.apply(t, dim=dim)


def _index_ndim(k: Any) -> int:
    if k is None or isinstance(k, (bool, np.bool_)):
        return 0
    if isinstance(k, Tensor) and k._data.dtype == np.bool_:
        return max(k._data.ndim, 0) if k._data.ndim else 0
    if isinstance(k, np.ndarray) and k.dtype == np.bool_:
        return k.ndim
    return 1


def _advanced(x: Tensor, items: list[tuple[int, np.ndarray]]) -> Tensor:
    key: list[Any] = [slice(None)] * x._data.ndim
    for dim, arr in items:
        if arr.dtype == np.bool_:
            if arr.ndim == 0:
                key[dim] = None if arr else slice(0, 0)
                continue
            shape = x._data.shape[dim:dim + arr.ndim]
            if arr.shape != shape:
                raise IndexError(
                    f"The shape of the mask {list(arr.shape)} at index {dim} does not match the "
                    f"shape of the indexed tensor {list(x._data.shape)} at index {dim}")
            key[dim] = arr
            for extra in range(1, arr.ndim):
                key[dim + extra] = _DROP
        else:
            size = x._data.shape[dim]
            if arr.size and (arr.max() >= size or arr.min() < -size):
                bad = int(arr.max()) if arr.max() >= size else int(arr.min())
                raise IndexError(
                    f"index {bad} is out of bounds for dimension {dim} with size {size}")
            key[dim] = arr
    final = tuple(k for k in key if k is not _DROP)
    return Index.apply(x, key=final)


_DROP = object()


@op("IndexPutBackward0")
class IndexPut(Primitive):
    """``out = x.clone(); out[key] = value``: the recorded form of ``x[key] = value``."""

    save_inputs = False

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, value: Any, key: Any) -> np.ndarray:
        ctx.key = key
        ctx.value_shape = np.shape(value)
        out = x.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_x = IndexPut.apply(grad, 0.0, key=ctx.key) if ctx._next[0] else None
        grad_value = None
        if ctx._next[1]:
            from .reduction import sum_to_size

            grad_value = sum_to_size(Index.apply(grad, key=ctx.key), ctx.value_shape)
        return grad_x, grad_value


def _numpy_key(key: Any) -> Any:
    """The NumPy spelling of a torch index (tensors become arrays)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            out.append(k._data if k._data.ndim else k._data.item())
        elif isinstance(k, list):
            out.append(np.asarray(k))
        else:
            out.append(k)
    return tuple(out)


def setitem(self: Tensor, key: Any, value: Any) -> None:
    """``self[key] = value`` in place, recorded when autograd needs it."""
    np_key = _numpy_key(key)
    value_data = value._data if isinstance(value, Tensor) else value
    recording = _state.enabled and (
        self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if not recording:
        self._data[np_key] = value_data
        bump_version(self)
        return
    check_inplace(self)
    result = IndexPut.apply(_stand_in(self, copy=False), value, key=np_key)
    write_result(self, result)


Tensor.__getitem__ = getitem  # type: ignore[attr-defined]
Tensor.__setitem__ = setitem  # type: ignore[attr-defined]
