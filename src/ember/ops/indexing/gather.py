"""Index-based gathering and scattering along a dim: gather, scatter, scatter_add and
take_along_dim. The index_* ops live in ``index_select.py``, the mask and flat-index ones in
``masked.py``.

Every op here is linear in its data inputs, so each backward is another op of this family
(gather <-> scatter_add, index_select <-> index_add, masked_select <-> masked_scatter), and
double backward comes for free. Index and mask tensors are read as NumPy arrays and kept on the
node; they never require grad.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make, wrap_dim
from .._inplace import inplace_binary
from .._op import Primitive, UnaryOp, broadcast_error, op
from ..samples import Sample, _values
from .getitem import IndexPutInto

__all__ = ["gather", "scatter", "scatter_add", "take_along_dim"]

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

    formula = {"x": "zeros like x, scatter_add(dim, index, grad)"}

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

    formula = {"x": "grad with 0 where index wrote", "src": "gather(grad, dim, index)"}

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

    formula = {"x": "grad with 0 where index wrote"}

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

    formula = {"x": "grad", "src": "gather(grad, dim, index)"}

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
        other = next((a for a in args if isinstance(a, Tensor) and a._data.dtype.kind in "fcV"),
                     None)

        def run(target: Tensor, _other: Any) -> Tensor:
            return compute(target, *args, **kwargs)

        return inplace_binary(self, primitive, other, compute.__name__ + "_", fn=run)

    method.__name__ = compute.__name__ + "_"
    method.__doc__ = f"In-place :func:`{compute.__name__}`."
    return method


scatter_ = _inplace(Scatter, scatter)
scatter_add_ = _inplace(ScatterAdd, scatter_add)

for _fn in (gather, scatter, scatter_add, take_along_dim, scatter_, scatter_add_):
    setattr(Tensor, _fn.__name__, _fn)
