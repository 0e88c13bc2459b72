"""Index-based gathering and scattering: gather, scatter, index_select, index_add, masked ops,
take.

Every op here is linear in its data inputs, so each backward is another op of this family
(gather <-> scatter_add, index_select <-> index_add, masked_select <-> masked_scatter), and
double backward comes for free. Index and mask tensors are read as NumPy arrays and kept on the
node; they never require grad.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, wrap_dim
from ._inplace import inplace_binary
from ._op import Primitive, UnaryOp, broadcast_error, op
from .indexing import (  # noqa: F401 - re-exported
    IndexPutInto,
    argwhere,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    take,
)
from .samples import Sample, _values

# ember/__init__ exports this module's __all__, so it lists the mask and flat-index functions
# that live in indexing.py too
__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "index_fill",
           "index_copy", "take_along_dim", "masked_fill", "masked_select", "masked_scatter",
           "take", "nonzero", "argwhere"]

_KIND = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
         "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool",
         "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _kind(a: np.ndarray) -> str:
    return _KIND.get(a.dtype.name, a.dtype.name)


def _samples(kind: str) -> Any:
    x = _values((3, 4), "real", 0)
    src = _values((3, 4), "real", 1)
    i2 = np.array([[0, 1, 3], [2, 2, 0]])  # repeats in a row: scatter_add accumulates
    iu = np.array([[0, 3], [2, 1]])  # unique within each row: scatter is well defined
    iv = np.array([2, 0, 2])
    v = np.array(1.5)
    table: dict[str, list[Sample]] = {
        "gather": [
            Sample(lambda lib, t, i: t.gather(1, i), (x, i2), "dim1"),
            Sample(lambda lib, t, i: lib.gather(t, 0, i), (x, i2 % 3), "dim0-small"),
            Sample(lambda lib, t, i: t.gather(-1, i), (x, np.zeros((3, 0), np.int64)), "empty"),
            Sample(lambda lib, t, i: t.take_along_dim(i, 1), (x, i2[:1]), "take_along_dim"),
            Sample(lambda lib, t, i: lib.take_along_dim(t, i), (x, iv), "take_along_flat")],
        "scatter": [
            Sample(lambda lib, t, i, s: t.scatter(1, i, s), (x, iu, src[:2, :2]), "src"),
            Sample(lambda lib, t, i, s: lib.scatter(t, 0, i[1:], s), (x, iu, src[:1, :2]),
                   "dim0"),
            Sample(lambda lib, t, i, s: (t * 1).scatter_(1, i, s), (x, iu, src[:2, :2]),
                   "inplace")],
        "scatter_value": [Sample(lambda lib, t, i: t.scatter(1, i, 2.5), (x, i2), "value"),
                          Sample(lambda lib, t, i: (t * 1).scatter_(0, i % 3, value=-1.0),
                                 (x, i2), "inplace")],
        "scatter_add": [
            Sample(lambda lib, t, i, s: t.scatter_add(1, i, s), (x, i2, src[:2, :3]), "repeat"),
            Sample(lambda lib, t, i, s: lib.scatter_add(t, 0, i, s), (x, i2 % 3, src[:2, :3]),
                   "dim0"),
            Sample(lambda lib, t, i, s: (t * 1).scatter_add_(1, i, s), (x, i2, src[:2, :3]),
                   "inplace")],
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


# --- checks ---------------------------------------------------------------------------------
def _index_data(index: Any, name: str, allowed: tuple, message: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    data = index._data
    if data.dtype not in allowed:
        raise RuntimeError(message.format(kind=_kind(data)))
    return data


_LONG = (np.dtype(np.int64),)
_INTS = (np.dtype(np.int64), np.dtype(np.int32))


def _check_along(name: str, x: np.ndarray, index: np.ndarray, dim: int,
                 src: np.ndarray | None = None) -> None:
    """gather/scatter: same ndim, index no larger than ``x`` (and ``src``), in bounds."""
    xd = max(x.ndim, 1)
    if max(index.ndim, 1) != xd:
        what = "input" if name == "gather" else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {what} "
                           "tensor")
    if src is not None and max(src.ndim, 1) != xd:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if not index.size:
        return
    xs, js = x.shape or (1,), index.shape or (1,)
    ss = None if src is None else (src.shape or (1,))
    for d in range(xd):
        too_big = (d != dim and js[d] > xs[d]) or (ss is not None and js[d] > ss[d])
        if too_big:
            if name == "gather":
                raise RuntimeError(
                    f"Size does not match at dimension {d} expected index {list(js)} to be no "
                    f"larger than self {list(xs)} apart from dimension {dim}")
            tail = "" if ss is None else f" and to be no larger size than src {list(ss)}"
            raise RuntimeError(f"Expected index {list(js)} to be no larger than self "
                               f"{list(xs)} apart from dimension {dim}{tail}")
    _check_range(index, xs[dim], dim)


def _check_range(index: np.ndarray, size: int, dim: int, low: int = 0, prefix: str = "",
                 error: type = RuntimeError) -> None:
    if index.size and (index.min() < low or index.max() >= size):
        bad = index.ravel()[np.flatnonzero((index < low) | (index >= size))[0]]
        raise error(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {size}")


def _crop(a: np.ndarray, shape: tuple, skip: int | None = None) -> np.ndarray:
    """``a`` cut down to ``shape`` (except along ``skip``): gather/scatter read only there."""
    if a.shape == shape:
        return a
    return a[tuple(slice(None) if d == skip else slice(0, s) for d, s in enumerate(shape))]


def _along_key(index: np.ndarray, dim: int) -> tuple:
    """The NumPy key addressing ``out[..., index[i, j], ...]`` at every position of ``index``."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
    grids[dim] = index
    return tuple(grids)


def _flat(x: np.ndarray, index: np.ndarray, *others: Any) -> tuple:
    """0-d inputs act as 1-element vectors, as in torch."""
    if x.ndim:
        return (x, index, *others)
    return (x.reshape(1), index.reshape(-1),
            *[o.reshape(-1) if isinstance(o, np.ndarray) else o for o in others])


def _zeros(shape: tuple, like: Tensor) -> Tensor:
    return _make(np.zeros(shape, dtype=like._data.dtype))


def _cast_grad(grad: Tensor, np_dtype: np.dtype) -> Tensor:
    return grad if grad._data.dtype == np_dtype else grad.to(dt._BY_NUMPY[np_dtype])


# --- gather / scatter --------------------------------------------------------------------------
@op("GatherBackward0", samples=_samples("gather"))
class Gather(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        flat_x, flat_i = _flat(x, index)
        out = np.take_along_axis(_crop(flat_x, flat_i.shape, dim), flat_i, axis=dim)
        return out.reshape(index.shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ScatterAdd.apply(_zeros(ctx.shape, grad), grad, dim=ctx.dim, index=ctx.index)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Gathers values along ``dim``: ``out[i][j] = input[index[i][j]][j]`` for ``dim=0``.

    Args:
        input (Tensor): the source tensor.
        dim (int): the axis to index along.
        index (Tensor): int64/int32 indices, with ``input``'s number of dims and no larger
            than ``input`` outside ``dim``.
        sparse_grad (bool): accepted for compatibility; the gradient is dense.

    Returns:
        Tensor: a tensor of ``index``'s shape.

    Example::

        >>> t = ember.tensor([[1, 2], [3, 4]])
        >>> ember.gather(t, 1, ember.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    d = wrap_dim(dim, input._data.ndim)
    idx = _index_data(index, "gather", _INTS, "gather(): Expected dtype int32/int64 for index")
    _check_along("gather", input._data, idx, d)
    return Gather.apply(input, dim=d, index=idx)


def _scatter_forward(ctx: Any, x: np.ndarray, src: Any, dim: int, index: np.ndarray,
                     ufunc: np.ufunc | None = None) -> np.ndarray:
    ctx.dim, ctx.index = dim, index
    ctx.src_shape = np.shape(src)
    out = x.copy()
    flat_out, flat_i, src = _flat(out, index, src)
    if isinstance(src, np.ndarray):
        src = _crop(src, flat_i.shape)
    key = _along_key(flat_i, dim)
    if ufunc is None:
        flat_out[key] = src
    else:
        ufunc.at(flat_out, key, src)
    return out


def _src_grad(ctx: Any, grad: Tensor) -> Tensor:
    """The gradient of ``src``: ``grad`` gathered, placed in zeros of ``src``'s shape when
    ``src`` is larger than ``index``."""
    picked = Gather.apply(grad, dim=ctx.dim, index=ctx.index)
    if picked._data.shape == ctx.src_shape:
        return picked
    key = tuple(slice(0, s) for s in picked._data.shape)
    return IndexPutInto.apply(picked, shape=ctx.src_shape, key=key)


@op("ScatterBackward0", samples=_samples("scatter"))
class Scatter(Primitive):
    """``out = x.clone(); out[index along dim] = src``."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, src: np.ndarray, dim: int,
                index: np.ndarray) -> np.ndarray:
        return _scatter_forward(ctx, x, src, dim, index)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_x = ScatterValue.apply(grad, dim=ctx.dim, index=ctx.index, value=0) \
            if ctx._next[0] is not None else None
        grad_src = _src_grad(ctx, grad) if ctx._next[1] is not None else None
        return grad_x, grad_src


@op("ScatterBackward1", samples=_samples("scatter_value"))
class ScatterValue(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
        return _scatter_forward(ctx, x, value, dim, index)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ScatterValue.apply(grad, dim=ctx.dim, index=ctx.index, value=0)


@op("ScatterAddBackward0", samples=_samples("scatter_add"))
class ScatterAdd(Primitive):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, src: np.ndarray, dim: int,
                index: np.ndarray) -> np.ndarray:
        return _scatter_forward(ctx, x, src, dim, index, np.add)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        grad_src = _src_grad(ctx, grad) if ctx._next[1] is not None else None
        return grad, grad_src


class ScatterReduce(Primitive):
    """``scatter(..., reduce='add' | 'multiply')``: torch defines no derivative for it."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, src: Any, dim: int, index: np.ndarray,
                reduce: str) -> np.ndarray:
        ufunc = np.add if reduce == "add" else np.multiply
        return _scatter_forward(ctx, x, src, dim, index, ufunc)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        raise RuntimeError("derivative for aten::scatter is not implemented")

    def name(self) -> str:
        return "torch::autograd::NotImplemented"


def _scatter_args(name: str, input: Tensor, dim: int, index: Tensor, src: Any) -> tuple:
    d = wrap_dim(dim, input._data.ndim)
    if isinstance(src, Tensor):
        wrap_dim(dim, src._data.ndim)
    idx = _index_data(index, name, _INTS, name + "(): Expected dtype int32/int64 for index")
    if isinstance(src, Tensor) and src._data.dtype != input._data.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    _check_along(name, input._data, idx, d, src._data if isinstance(src, Tensor) else None)
    return d, idx


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """Writes ``src`` (a tensor, or a number) into a copy of ``input`` at ``index`` along
    ``dim``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``. Where indices repeat, one of
    the written values wins.

    Args:
        input (Tensor): the tensor to copy and write into.
        dim (int): the axis to index along.
        index (Tensor): int64/int32 indices, no larger than ``input`` outside ``dim`` and no
            larger than ``src``.
        src (Tensor or Number): the values to write (``value=`` also names a number).
        reduce (str, optional): ``'add'`` or ``'multiply'`` combines instead of writing (no
            gradient, as in torch).

    Example::

        >>> ember.zeros(2, 3).scatter(1, ember.tensor([[2], [0]]), 1.0)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' (or 'value')")
    d, idx = _scatter_args("scatter", input, dim, index, src)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if isinstance(src, Tensor):
            warnings.warn(
                "The reduce argument of ember.scatter with Tensor src is deprecated and will be "
                "removed in a future PyTorch release. Use ember.scatter_reduce instead for more "
                "reduction options.", UserWarning, stacklevel=2)
        return ScatterReduce.apply(input, src, dim=d, index=idx, reduce=reduce)
    if isinstance(src, Tensor):
        return Scatter.apply(input, src, dim=d, index=idx)
    return ScatterValue.apply(input, dim=d, index=idx, value=src)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Adds ``src`` into a copy of ``input`` at ``index`` along ``dim``; repeated indices
    accumulate. The reverse of :func:`gather`.

    Example::

        >>> ember.zeros(3).scatter_add(0, ember.tensor([0, 0, 2]), ember.ones(3))
        tensor([2., 0., 1.])
    """
    d, idx = _scatter_args("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, src, dim=d, index=idx)


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


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Picks values of ``input`` at ``indices`` along ``dim``, broadcasting the other dims
    (with ``dim=None``, from the flattened input).

    Example::

        >>> t = ember.tensor([[10, 30, 20], [60, 40, 50]])
        >>> ember.take_along_dim(t, t.argmax(1, keepdim=True), 1)
        tensor([[30],
                [60]])
    """
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    x, idx = input._data, indices._data
    d = wrap_dim(dim, x.ndim)
    if idx.dtype != np.int64:
        raise RuntimeError("ember.take_along_dim(): dtype of indices should be Long but got "
                           f"{_kind(idx)}")
    if x.ndim != idx.ndim:
        raise RuntimeError(
            "ember.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {x.ndim} dimensions for input, and {idx.ndim} dimensions for "
            "indices")
    xs, js = list(x.shape), list(idx.shape)
    xs[d] = js[d] = 1
    try:
        common = list(np.broadcast_shapes(tuple(xs), tuple(js)))
    except ValueError:
        raise broadcast_error(np.empty(xs, np.int8), np.empty(js, np.int8), ValueError()) \
            from None
    x_shape = tuple(common[:d] + [x.shape[d]] + common[d + 1:])
    i_shape = tuple(common[:d] + [idx.shape[d]] + common[d + 1:])
    if x_shape != x.shape:
        input = input.expand(x_shape)
    if i_shape != idx.shape:
        indices = indices.expand(i_shape)
    return gather(input, d, indices)


# --- in place and Tensor methods --------------------------------------------------------------
def _inplace(primitive: type, compute: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        # the tensor-valued argument is "other" to inplace_binary, so that its need for a
        # gradient alone makes the write recorded
        other = next((a for a in args if isinstance(a, Tensor) and a._data.dtype.kind in "fc"),
                     None)

        def run(target: Tensor, _other: Any) -> Tensor:
            return compute(target, *args, **kwargs)

        return inplace_binary(self, primitive, other, compute.__name__ + "_", fn=run)

    method.__name__ = compute.__name__ + "_"
    method.__doc__ = f"In-place :func:`{compute.__name__}`."
    return method


scatter_ = _inplace(Scatter, scatter)
scatter_add_ = _inplace(ScatterAdd, scatter_add)
index_add_ = _inplace(IndexAdd, index_add)
index_fill_ = _inplace(IndexFill, index_fill)
index_copy_ = _inplace(IndexCopy, index_copy)

for _fn in (gather, scatter, scatter_add, index_select, index_add, index_fill, index_copy,
            take_along_dim, scatter_, scatter_add_, index_add_, index_fill_, index_copy_):
    setattr(Tensor, _fn.__name__, _fn)
