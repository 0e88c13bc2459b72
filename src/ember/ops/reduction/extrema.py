"""Extremes: max/min (whole, over a dim, and binary), amax/amin, argmax/argmin.

Over a dim they return torch's named tuples (``.values``, ``.indices``), and the gradient lands
at the selected index; whole-tensor max/min share it evenly among the elements equal to the
result, as torch does."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._op import UnaryOp, op
from ..samples import Sample, _values
from .common import evenly_distribute, reduction_jvp, return_type
from .sorting import _NAN_SAMPLE, _TIES, _ExtremeDim, _pick, _Whole
from .sum_mean import _NO_DIM, empty_check, one_dim, reduce_dims

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin"]


# --- max and min ----------------------------------------------------------------------------
def _whole_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        return [Sample(lambda lib, t: getattr(t, name)(), (_values((3, 4), "real", 11),), "all"),
                Sample(lambda lib, t: getattr(t, name)(), (np.array(1.5),), "0-d"),
                Sample(lambda lib, t: getattr(lib, name)(t), (_TIES,), "ties", gradcheck=False),
                Sample(lambda lib, t: getattr(t, name)(), (_NAN_SAMPLE,), "nan", gradcheck=False),
                Sample(lambda lib, t: getattr(t, name)(), (np.array([[3, 1], [4, 1]]),), "int")]

    return make


@op("MaxBackward1", samples=_whole_samples("max"))
class Max(_Whole):
    formula = {"x": "grad / (number of maxima) at each maximum of x, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        empty_check(x, "max", None)
        return np.asarray(np.max(x))


@op("MinBackward1", samples=_whole_samples("min"))
class Min(_Whole):
    formula = {"x": "grad / (number of minima) at each minimum of x, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        empty_check(x, "min", None)
        return np.asarray(np.min(x))


def _dim_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4), "real", 12)
        fn = getattr
        return [Sample(lambda lib, t: fn(t, name)(1), (x,), "dim1"),
                Sample(lambda lib, t: fn(lib, name)(t, 0, keepdim=True), (x,), "keepdim"),
                Sample(lambda lib, t: fn(t, name)(dim=-1), (np.array(2.5),), "0-d"),
                Sample(lambda lib, t: fn(t, name)(1), (_TIES,), "ties", gradcheck=False),
                Sample(lambda lib, t: fn(t, name)(1), (_NAN_SAMPLE,), "nan", gradcheck=False),
                Sample(lambda lib, t: fn(t, name)(1), (np.zeros((0, 3)),), "empty"),
                Sample(lambda lib, t: (fn(t, f"arg{name}")(), fn(lib, f"arg{name}")(t, 1, True)),
                       (_TIES,), "arg", gradcheck=False)]

    return make


@op("MaxBackward0", samples=_dim_samples("max"))
class MaxDim(_ExtremeDim):
    formula = {"x": "grad at the index of each maximum along dim, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None, keepdim: bool) -> tuple:
        empty_check(x, "max", dim)
        idx = None if dim is None else np.argmax(x, axis=dim, keepdims=True)
        return _pick(ctx, x, dim, keepdim, idx)


@op("MinBackward0", samples=_dim_samples("min"))
class MinDim(_ExtremeDim):
    formula = {"x": "grad at the index of each minimum along dim, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None, keepdim: bool) -> tuple:
        empty_check(x, "min", dim)
        idx = None if dim is None else np.argmin(x, axis=dim, keepdims=True)
        return _pick(ctx, x, dim, keepdim, idx)


def _extreme(name: str, whole: type, by_dim: type, binary: str) -> Any:
    def reduce(input: Tensor, dim: Any = _NO_DIM, keepdim: bool = False) -> Any:
        if isinstance(dim, Tensor):
            import ember

            fn = getattr(ember, binary, None)
            if fn is None:
                raise NotImplementedError(f"ember.{name}(input, other) needs ember.{binary}, "
                                          "which is not available")
            return fn(input, dim)
        if dim is _NO_DIM:
            return whole.apply(input)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
        values, indices = by_dim.apply(input, dim=one_dim(dim, input._data.ndim),
                                       keepdim=keepdim)
        return return_type(name)(values, indices)

    reduce.__name__ = name
    reduce.__doc__ = f"""The {name}imum of ``input``: of all elements, over ``dim``, or
    elementwise against another tensor (``{name}(input, other)`` is ``{binary}``).

    Args:
        input (Tensor): the input.
        dim (int, optional): the dim to reduce; then returns ``(values, indices)``.
        keepdim (bool): keep the reduced dim with size 1.

    Returns:
        Tensor, or a named tuple ``(values, indices)`` when ``dim`` is given.

    Example::

        >>> ember.tensor([[1., 5.], [4., 2.]]).{name}(1)
        ember.return_types.{name}(
        values=tensor([{'5., 4.' if name == 'max' else '1., 2.'}]),
        indices=tensor([{'1, 0' if name == 'max' else '0, 1'}]))
    """
    return reduce


max = _extreme("max", Max, MaxDim, "maximum")  # noqa: A001


min = _extreme("min", Min, MinDim, "minimum")  # noqa: A001


def _amax_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4), "real", 13)
        fn = getattr
        return [Sample(lambda lib, t: fn(t, name)(1), (x,), "dim1"),
                Sample(lambda lib, t: fn(lib, name)(t, (0, 1), keepdim=True), (x,), "dims"),
                Sample(lambda lib, t: fn(t, name)(), (x,), "all"),
                Sample(lambda lib, t: fn(t, name)(0), (np.array(1.5),), "0-d"),
                Sample(lambda lib, t: fn(t, name)(1), (_TIES,), "ties", gradcheck=False),
                Sample(lambda lib, t: fn(t, name)(), (_TIES,), "ties-all", gradcheck=False),
                Sample(lambda lib, t: fn(t, name)(1), (np.zeros((0, 3)),), "empty")]

    return make


class _Amax(UnaryOp):
    """The gradient is shared by the elements equal to the result (NaN results give NaN)."""

    save_inputs = save_output = True
    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, out = ctx.saved_tensors
        return evenly_distribute(grad, x._data, out._data, ctx.dims, ctx.keepdim,
                                 nan_equal=False)


def _amax_forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool, name: str,
                  fn: Any) -> np.ndarray:
    if len(dims) == x.ndim:
        empty_check(x, name, None)
    for d in dims:
        empty_check(x, name, d)
    ctx.dims, ctx.keepdim = dims, keepdim
    return np.asarray(fn(x, axis=dims, keepdims=keepdim))


@op("AmaxBackward0", samples=_amax_samples("amax"))
class Amax(_Amax):
    formula = {"x": "grad shared evenly by the maxima along dims, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool) -> np.ndarray:
        return _amax_forward(ctx, x, dims, keepdim, "amax", np.max)


@op("AminBackward0", samples=_amax_samples("amin"))
class Amin(_Amax):
    formula = {"x": "grad shared evenly by the minima along dims, 0 elsewhere"}
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool) -> np.ndarray:
        return _amax_forward(ctx, x, dims, keepdim, "amin", np.min)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The maximum of ``input`` over ``dim`` (all dims by default); ties share the gradient.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints): the dims to reduce; all if empty.
        keepdim (bool): keep reduced dims with size 1.

    Example::

        >>> ember.tensor([[1., 5.], [4., 2.]]).amax(0)
        tensor([4., 5.])
    """
    return Amax.apply(input, dims=reduce_dims(dim, input._data.ndim), keepdim=keepdim)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The minimum of ``input`` over ``dim`` (all dims by default); ties share the gradient.

    Args:
        input (Tensor): the input.
        dim (int or tuple of ints): the dims to reduce; all if empty.
        keepdim (bool): keep reduced dims with size 1.

    Example::

        >>> ember.tensor([[1., 5.], [4., 2.]]).amin(0)
        tensor([1., 2.])
    """
    return Amin.apply(input, dims=reduce_dims(dim, input._data.ndim), keepdim=keepdim)


def _arg(name: str, fn: Any) -> Any:
    def reduce(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
        x = input._data
        if x.dtype == np.bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if x.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            out = np.asarray(fn(x), dtype=np.int64)
            return _make(out.reshape((1,) * x.ndim) if keepdim else out)
        d = one_dim(dim, x.ndim)
        if d is None:
            return _make(np.zeros((), dtype=np.int64))
        empty_check(x, name, d)
        return _make(np.asarray(fn(x, axis=d, keepdims=keepdim), dtype=np.int64))

    reduce.__name__ = name
    reduce.__doc__ = f"""The index of the {name[3:]}imum of ``input`` (of the flattened tensor
    if ``dim`` is None); the first one among ties. Not differentiable.

    Args:
        input (Tensor): the input.
        dim (int, optional): the dim to reduce.
        keepdim (bool): keep the reduced dim with size 1.

    Example::

        >>> ember.tensor([[1., 5.], [4., 2.]]).{name}(1)
        tensor([{'1, 0' if name == 'argmax' else '0, 1'}])
    """
    return reduce


argmax = _arg("argmax", np.argmax)


argmin = _arg("argmin", np.argmin)


for _name, _fn in (("max", max), ("min", min), ("amax", amax), ("amin", amin),
                   ("argmax", argmax), ("argmin", argmin)):
    setattr(Tensor, _name, _fn)
