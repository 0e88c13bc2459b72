"""Index ops along one dim: index_select, index_add, index_fill and index_copy (and their
in-place forms). Each backward is another op of the family (index_select <-> index_add)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make, wrap_dim
from .._op import Primitive, UnaryOp, op
from ..samples import Sample, _values
from .gather import (
    _INTS,
    _LONG,
    _cast_grad,
    _check_range,
    _flat,
    _index_data,
    _inplace,
    _kind,
    _zeros,
)

__all__ = ["index_select", "index_add", "index_fill", "index_copy"]


def _samples(kind: str) -> Any:
    x = _values((3, 4), "real", 0)
    src = _values((3, 4), "real", 1)
    iv = np.array([2, 0, 2])
    v = np.array(1.5)
    table: dict[str, list[Sample]] = {
        "index_select": [
            Sample(lambda lib, t, i: t.index_select(0, i), (x, iv), "repeat"),
            Sample(lambda lib, t, i: lib.index_select(t, -1, i), (x, np.array([3, 1])),
                   "negative-dim"),
            Sample(lambda lib, t, i: t.index_select(1, i), (x, np.array(3)), "0-d")],
        "index_add": [
            Sample(lambda lib, t, i, s: t.index_add(0, i, s), (x, iv, src), "repeat"),
            Sample(lambda lib, t, i, s: lib.index_add(t, 1, i, s[:, :2], alpha=-2.0),
                   (x, np.array([3, 1]), src), "alpha"),
            Sample(lambda lib, t, i, s: (t * 1).index_add_(0, i, s), (x, iv, src), "inplace")],
        "index_fill": [Sample(lambda lib, t, i: t.index_fill(1, i, -1.0), (x, iv), "value"),
                       Sample(lambda lib, t, i: (t * 1).index_fill_(1, i, 2.0), (x, iv),
                              "inplace")],
        "index_fill_tensor": [
            Sample(lambda lib, t, i, w: t.index_fill(1, i, w), (x, iv, v), "tensor"),
            Sample(lambda lib, t, i, w: (t * 1).index_fill_(0, i[:1], w), (x, iv, v),
                   "inplace")],
        "index_copy": [
            Sample(lambda lib, t, i, s: t.index_copy(1, i, s[:, :2]), (x, np.array([3, 0]), src),
                   "dim1"),
            Sample(lambda lib, t, i, s: (t * 1).index_copy_(0, i, s[:2]), (x, np.array([2, 0]),
                                                                        src), "inplace")],
    }
    return lambda cls: table[kind]


# --- index_* along one dim --------------------------------------------------------------------
def _dim_key(dim: int, index: np.ndarray) -> tuple:
    return (slice(None),) * dim + (index,)


@op("IndexSelectBackward0", samples=_samples("index_select"))
class IndexSelect(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        if not x.ndim:
            return x.reshape(1)[index].reshape(())
        return np.take(x, index, axis=dim)

    formula = {"x": "zeros like x, index_add(dim, index, grad)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return IndexAdd.apply(_zeros(ctx.shape, grad), grad, dim=ctx.dim, index=ctx.index,
                              alpha=1)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of ``input`` at ``index`` along ``dim`` (negative indices count from the
    end).

    Example::

        >>> ember.tensor([[1, 2], [3, 4]]).index_select(1, ember.tensor([1, 1]))
        tensor([[2, 2],
                [4, 4]])
    """
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_data(index, "index_select", _INTS,
                      "index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    size = x.shape[d] if x.ndim else 1
    if not x.ndim and idx.size != 1:
        raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                           f"{idx.size} value(s)")
    if idx.size and (idx.max() >= size or idx.min() < 0):
        bad = idx[np.flatnonzero((idx >= size) | (idx < 0))[0]]
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
    return IndexSelect.apply(input, dim=d, index=idx)


def _along_dim_index(name: str, x: np.ndarray, dim: int, index: Tensor, allowed: tuple,
                     message: str) -> tuple[int, np.ndarray]:
    d = wrap_dim(dim, x.ndim)
    idx = _index_data(index, name, allowed, message)
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {idx.ndim} "
                         f"with type: {_kind(idx)} and size: {list(idx.shape)}")
    return d, idx.reshape(-1)


def _check_source(name: str, x: np.ndarray, d: int, idx: np.ndarray, src: np.ndarray) -> None:
    n = src.shape[d] if src.ndim else 1
    if idx.size != n:
        raise RuntimeError(f"{name}(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({n}), for dim: {d}")
    if x.ndim and src.ndim and (src.ndim != x.ndim or any(
            a != b for k, (a, b) in enumerate(zip(x.shape, src.shape)) if k != d)):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(x.shape)} source.shape = {list(src.shape)}")


@op("IndexAddBackward0", samples=_samples("index_add"))
class IndexAdd(Primitive):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray,
                alpha: Any) -> np.ndarray:
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        out = x.copy()
        flat_out, flat_i, flat_src = _flat(out, index, src)
        if alpha != 1:
            flat_src = (flat_src * alpha).astype(out.dtype, copy=False)
        np.add.at(flat_out, _dim_key(dim, flat_i), flat_src)
        return out

    formula = {"x": "grad", "src": "alpha * index_select(grad, dim, index)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_src = None
        if ctx._next[1] is not None:
            grad_src = IndexSelect.apply(grad, dim=ctx.dim, index=ctx.index)
            if ctx.alpha != 1:
                grad_src = grad_src * ctx.alpha
        return grad, grad_src


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Any = 1) -> Tensor:
    """Adds ``alpha * source`` into a copy of ``input`` at ``index`` along ``dim``; repeated
    indices accumulate.

    Example::

        >>> ember.zeros(3, 2).index_add(0, ember.tensor([0, 0]), ember.ones(2, 2))
        tensor([[2., 2.],
                [0., 0.],
                [0., 0.]])
    """
    x = input._data
    d, idx = _along_dim_index("index_add_", x, dim, index, _INTS,
                              "index_add_(): Expected dtype int32/int64 for index but got: "
                              "{kind}")
    if source._data.dtype != x.dtype:
        raise RuntimeError(f"index_add_(): self ({_kind(x)}) and source ({_kind(source._data)})"
                           " must have the same scalar type")
    _check_source("index_add_", x, d, idx, source._data)
    _check_range(idx, x.shape[d] if x.ndim else 1, d)
    return IndexAdd.apply(input, source, dim=d, index=idx, alpha=alpha)


@op("IndexFillBackward0", samples=_samples("index_fill"))
class IndexFill(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        flat_out, flat_i = _flat(out, index)
        flat_out[_dim_key(dim, flat_i)] = value
        return out

    formula = {"x": "grad with 0 at the filled index"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return IndexFill.apply(grad, dim=ctx.dim, index=ctx.index, value=0)


@op("IndexFillBackward1", samples=_samples("index_fill_tensor"))
class IndexFillTensor(Primitive):
    """``index_fill`` with a 0-d tensor value, which gets the gradient of every filled
    position (each once, however often the index repeats it)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, value: np.ndarray, dim: int,
                index: np.ndarray) -> np.ndarray:
        ctx.value_dtype = value.dtype
        return IndexFill.forward(ctx, x, dim, index, value)

    formula = {"x": "grad with 0 at the filled index", "value": "grad at the filled index, summed"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_x = grad_value = None
        if ctx._next[0] is not None:
            grad_x = IndexFill.apply(grad, dim=ctx.dim, index=ctx.index, value=0)
        if ctx._next[1] is not None:
            size = grad._data.shape[ctx.dim] if grad._data.ndim else 1
            filled = np.unique(ctx.index % size) if size else ctx.index
            picked = IndexSelect.apply(grad, dim=ctx.dim, index=filled)
            grad_value = _cast_grad(picked.sum(), ctx.value_dtype)
        return grad_x, grad_value

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        tx, tv = tangents
        base = tx if tx is not None else _zeros(inputs[0]._data.shape, inputs[0])
        fill = tv if tv is not None else 0.0
        return index_fill(base, ctx.dim, _make(ctx.index), fill)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the entries at ``index`` along ``dim`` set to ``value`` (a
    number or a 0-d tensor).

    Example::

        >>> ember.zeros(2, 3).index_fill(1, ember.tensor([0, 2]), 1.0)
        tensor([[1., 0., 1.],
                [1., 0., 1.]])
    """
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = index._data if isinstance(index, Tensor) else None
    if idx is None or idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    idx = idx.reshape(-1)
    size = x.shape[d] if x.ndim else 1
    _check_range(idx, size, d, low=-size, error=IndexError)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return IndexFillTensor.apply(input, value, dim=d, index=idx)
    return IndexFill.apply(input, dim=d, index=idx, value=value)


@op("IndexCopyBackward0", samples=_samples("index_copy"))
class IndexCopy(Primitive):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, src: np.ndarray, dim: int,
                index: np.ndarray) -> np.ndarray:
        ctx.dim, ctx.index = dim, index
        out = x.copy()
        flat_out, flat_i, flat_src = _flat(out, index, src)
        flat_out[_dim_key(dim, flat_i)] = flat_src
        return out

    formula = {"x": "grad with 0 at the copied index", "src": "index_select(grad, dim, index)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_x = grad_src = None
        if ctx._next[0] is not None:
            grad_x = IndexFill.apply(grad, dim=ctx.dim, index=ctx.index, value=0)
        if ctx._next[1] is not None:
            grad_src = IndexSelect.apply(grad, dim=ctx.dim, index=ctx.index)
        return grad_x, grad_src


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` replaced by those of
    ``source``.

    Example::

        >>> ember.zeros(3).index_copy(0, ember.tensor([2, 0]), ember.tensor([5.0, 6.0]))
        tensor([6., 0., 5.])
    """
    x, src = input._data, source._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_data(index, "index_copy_", _LONG,
                      "index_copy_(): Expected a long tensor for index, but got {kind}")
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    idx = idx.reshape(-1)
    if src.dtype != x.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_kind(x)} and (source) {_kind(src)}")
    if x.ndim and src.ndim and src.ndim != x.ndim:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({src.ndim}), destination dimensionality "
            f"({x.ndim})")
    n = src.shape[d] if src.ndim else 1
    if idx.size != n:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                         f"source.size(dim) ({n})")
    for k in range(x.ndim if src.ndim else 0):
        if k != d and x.shape[k] != src.shape[k]:
            raise RuntimeError(
                "index_copy_(): Source/destination tensor must have same slice shapes. "
                f"Destination slice shape: {x.shape[k]} at dimension {d} and source slice "
                f"shape: {src.shape[k]} at dimension 0.")
    _check_range(idx, x.shape[d] if x.ndim else 1, d, prefix="index_copy_(): ",
                 error=IndexError)
    return IndexCopy.apply(input, source, dim=d, index=idx)


index_add_ = _inplace(IndexAdd, index_add)
index_fill_ = _inplace(IndexFill, index_fill)
index_copy_ = _inplace(IndexCopy, index_copy)

for _fn in (index_select, index_add, index_fill, index_copy, index_add_, index_fill_,
            index_copy_):
    setattr(Tensor, _fn.__name__, _fn)
