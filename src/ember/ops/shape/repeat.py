"""Repeating and rearranging whole tensors: repeat, tile, repeat_interleave, flip (fliplr,
flipud) and roll."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._tensor import Tensor, _make, wrap_dim
from .._op import UnaryOp, op
from ..samples import Sample, _values
from .joining import _kind
from .reshape import (
    Clone,
    Unsqueeze,
    View,
    as_int,
    dims_arg,
    int_list,
    reshape,
    shape_arg,
    wrap_dim_nonscalar,
)

__all__ = ["repeat", "tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll"]


def _samples(kind: str) -> Any:
    # The table is built at the end of the module, when the tests first ask for it.
    return lambda cls: _sample_table()[kind]


# --- repeating --------------------------------------------------------------------------------
@op("RepeatBackward0", samples=_samples("repeat"))
class Repeat(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, repeats: tuple) -> np.ndarray:
        ctx.input_shape, ctx.repeats = x.shape, repeats
        padded = (1,) * (len(repeats) - x.ndim) + x.shape
        return np.tile(x.reshape(padded), repeats)

    formula = {"x": "grad summed over the repeated copies"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # Each output dim of size r*s is r copies of the input dim: view it as (r, s) and sum
        # the copies.
        shape, repeats = ctx.input_shape, ctx.repeats
        padded = (1,) * (len(repeats) - len(shape)) + shape
        pairs = tuple([n for r, s in zip(repeats, padded) for n in (r, s)])
        summed = grad.reshape(pairs).sum(tuple(range(0, len(pairs), 2)))
        return summed.reshape(shape)


def repeat(input: Tensor, *repeats: Any) -> Tensor:
    """``input`` tiled ``repeats[i]`` times along each dim (a copy); extra leading repeats add
    dims.

    Example::

        >>> ember.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    if not repeats:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    repeats = shape_arg(repeats, "repeat", "repeats")
    shape = input._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(r < 0 for r in repeats):
        padded = (1,) * (len(repeats) - len(shape)) + shape
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(r * s for r, s in zip(repeats, padded))}: "
                           f"{[r * s for r, s in zip(repeats, padded)]}")
    return Repeat.apply(input, repeats=repeats)


def tile(input: Tensor, *dims: Any) -> Tensor:
    """``repeat`` with ``dims`` padded with leading 1s to ``input``'s number of dims.

    Example::

        >>> ember.tensor([1, 2]).tile(2)
        tensor([1, 2, 1, 2])
    """
    dims = shape_arg(dims, "tile", "dims")
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


def repeat_interleave(input: Tensor, repeats: int | Tensor | None = None, dim: int | None = None,
                      *, output_size: int | None = None) -> Tensor:
    """Repeats each entry of ``input`` along ``dim`` (of the flattened input if None):
    ``repeats`` times, or ``repeats[i]`` times for entry ``i``. With ``input`` alone (an
    integer tensor of counts), the indices ``i`` each repeated ``input[i]`` times.

    Example::

        >>> ember.tensor([1, 2]).repeat_interleave(2)
        tensor([1, 1, 2, 2])
        >>> ember.tensor([[1, 2], [3, 4]]).repeat_interleave(ember.tensor([1, 2]), dim=0)
        tensor([[1, 2],
                [3, 4],
                [3, 4]])
    """
    if repeats is None:
        counts = _repeat_counts(input, None)
        return _make(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    x = input
    if dim is None:
        x, d = flatten_all(input), 0
    else:
        d = wrap_dim(as_int(dim, "repeat_interleave", "dim"), input._data.ndim)
    shape = x._data.shape
    size = shape[d] if shape else 1
    if isinstance(repeats, Tensor):
        counts = _repeat_counts(repeats, size)
        total = int(counts.sum()) if counts.size == size else int(counts.sum()) * size
    else:
        r = as_int(repeats, "repeat_interleave", "repeats")
        if r < 0:
            raise RuntimeError("Repeats must be non-negative")
        total = r * size
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got "
                           f"{output_size}")
    if isinstance(repeats, Tensor):
        index = np.repeat(np.arange(size), np.broadcast_to(counts, (size,)))
        from ..indexing.index_select import IndexSelect

        return IndexSelect.apply(x, dim=d, index=index)
    # torch's decomposition, so the recorded nodes match: unsqueeze, expand, clone, view
    wide = Unsqueeze.apply(x, dim=wrap_dim(d + 1, x._data.ndim + 1))
    wide = wide.expand(shape[:d + 1] + (r,) + shape[d + 1:])
    return View.apply(Clone.apply(wide), shape=shape[:d] + (total,) + shape[d + 1:])


def flatten_all(input: Tensor) -> Tensor:
    return reshape(input, -1)


def _repeat_counts(repeats: Tensor, size: int | None) -> np.ndarray:
    counts = repeats._data
    if counts.dtype.kind not in "iu":
        raise NotImplementedError(
            f"\"repeat_interleave_cpu\" not implemented for '{_kind(repeats)}'")
    if counts.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    counts = counts.reshape(-1)
    if size is not None and counts.size not in (1, size):
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size(0) = {size}")
    return counts


# --- flip and roll ----------------------------------------------------------------------------
@op("FlipBackward0", samples=_samples("flip"))
class Flip(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple) -> np.ndarray:
        ctx.dims = dims
        return np.flip(x, dims).copy() if x.ndim else x.copy()

    formula = {"x": "flip(grad, dims)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Flip.apply(grad, dims=ctx.dims)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """``input`` with the order of entries reversed along each of ``dims`` (a copy).

    Example::

        >>> ember.tensor([[1, 2], [3, 4]]).flip(0)
        tensor([[3, 4],
                [1, 2]])
    """
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return Flip.apply(input, dims=dims_arg(dims, input._data.ndim, "flip"))


def fliplr(input: Tensor) -> Tensor:
    """``input`` flipped left to right (along dim 1); needs at least 2 dims."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(input, dims=(1,))


def flipud(input: Tensor) -> Tensor:
    """``input`` flipped upside down (along dim 0); needs at least 1 dim."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(input, dims=(0,))


@op("RollBackward0", samples=_samples("roll"))
class Roll(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shifts: tuple, dims: tuple | None) -> np.ndarray:
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:  # roll the flattened tensor, keep the shape
            return np.roll(x, shifts[0])
        return np.roll(x, shifts, dims)

    formula = {"x": "roll(grad, -shifts, dims)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Roll.apply(grad, shifts=tuple([-s for s in ctx.shifts]), dims=ctx.dims)


def roll(input: Tensor, shifts: int | Sequence[int],
         dims: int | Sequence[int] | None = None) -> Tensor:
    """``input`` with entries shifted cyclically by ``shifts`` along ``dims`` (a copy). Without
    ``dims`` the flattened tensor is rolled and the shape kept.

    Example::

        >>> ember.tensor([1, 2, 3]).roll(1)
        tensor([3, 1, 2])
    """
    shifts_t = (shifts,) if isinstance(shifts, (int, np.integer)) else int_list(
        shifts if isinstance(shifts, Sequence) else [shifts], "roll", "shifts")
    if dims is None:
        if len(shifts_t) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, "
                               "dims:0")
        return Roll.apply(input, shifts=shifts_t, dims=None)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else int_list(dims, "roll", "dims")
    if not shifts_t:
        raise RuntimeError("`shifts` required")
    if len(shifts_t) != len(dims_t):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, "
                           f"dims:{len(dims_t)}")
    ndim = input._data.ndim
    return Roll.apply(input, shifts=shifts_t,
                      dims=tuple([wrap_dim_nonscalar(d, ndim) for d in dims_t]))


# --- Tensor methods ---------------------------------------------------------------------------
for _name, _fn in (("repeat", repeat), ("tile", tile), ("repeat_interleave", repeat_interleave),
                   ("flip", flip), ("fliplr", fliplr), ("flipud", flipud), ("roll", roll)):
    setattr(Tensor, _name, _fn)


# --- samples for the op table -----------------------------------------------------------------
def _sample_table() -> dict[str, list[Sample]]:
    x = _values((2, 3, 4), "real", 0)
    m = _values((3, 4), "real", 1)
    v = _values((4,), "real", 2)
    s = np.array(0.7)
    return {
        "repeat": [Sample(lambda lib, t: t.repeat(2, 1, 3), (m,), "repeat"),
                   Sample(lambda lib, t: t.repeat((2, 2)), (m,), "same-dims"),
                   Sample(lambda lib, t: t.repeat(3), (s,), "0-d"),
                   Sample(lambda lib, t: t.repeat(0, 1), (m,), "zero"),
                   Sample(lambda lib, t: t.tile((2,)), (m,), "tile"),
                   Sample(lambda lib, t: lib.tile(t, (2, 1, 1)), (m,), "tile-more"),
                   Sample(lambda lib, t: t.repeat_interleave(2), (m,), "interleave"),
                   Sample(lambda lib, t: lib.repeat_interleave(t, 3, dim=1), (m,),
                          "interleave-dim"),
                   Sample(lambda lib, t: t.repeat_interleave(2), (s,), "interleave-0-d"),
                   Sample(lambda lib, t, r: t.repeat_interleave(r, dim=0),
                          (m, np.array([1, 0, 2])), "interleave-tensor"),
                   Sample(lambda lib, t, r: t.repeat_interleave(r), (m, np.array(2)),
                          "interleave-tensor-flat")],
        "flip": [Sample(lambda lib, t: t.flip(0), (m,), "flip"),
                 Sample(lambda lib, t: lib.flip(t, (0, -1)), (x,), "dims"),
                 Sample(lambda lib, t: t.flip(0), (s,), "0-d"),
                 Sample(lambda lib, t: lib.fliplr(t), (m,), "fliplr"),
                 Sample(lambda lib, t: lib.flipud(t), (v,), "flipud")],
        "roll": [Sample(lambda lib, t: t.roll(1), (m,), "flat"),
                 Sample(lambda lib, t: lib.roll(t, (1, -5), (0, 1)), (m,), "dims"),
                 Sample(lambda lib, t: t.roll(2, -1), (x,), "dim"),
                 Sample(lambda lib, t: t.roll(1), (s,), "0-d")],
    }
