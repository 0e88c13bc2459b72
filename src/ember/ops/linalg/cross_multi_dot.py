"""The products behind ember.linalg: cross (``ember.cross`` and ``linalg.cross``) and
multi_dot, which multiplies a chain of matrices in the cheapest order."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..._tensor import Tensor, wrap_dim
from .._op import Primitive, broadcast_error, composite, op
from ..samples import Sample
from .decompositions import _kind
from .matmul import _maybe_out, _values

__all__ = ["cross"]


# --- cross, multi_dot ----------------------------------------------------------------------
def _cross_samples(cls: type) -> list[Sample]:
    return [Sample(lambda lib, a, b: lib.linalg.cross(a, b), (_values((2, 3), 0),
                                                           _values((2, 3), 1)), "last"),
            Sample(lambda lib, a, b: lib.cross(a, b, dim=0), (_values((3, 2), 2),
                                                           _values((3, 1), 3)), "dim0-broadcast")]


@op("LinalgCrossBackward0", samples=_cross_samples)
class Cross(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray, dim: int = -1,
                shown: int = -1) -> np.ndarray:
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {_kind(a)} but found {_kind(b)}")
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError as err:
            raise broadcast_error(a, b, err) from None
        d = wrap_dim(dim, len(shape))
        ad = a.shape[d - len(shape) + a.ndim] if a.ndim > len(shape) - d - 1 + 0 else 1
        bd = b.shape[d - len(shape) + b.ndim] if b.ndim > len(shape) - d - 1 + 0 else 1
        if ad != 3 or bd != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {shown} must have length 3. "
                               f"Got {ad} and {bd}")
        ctx.dim = d
        if a.shape != shape or b.shape != shape:
            ctx.input_meta = ((a.shape, a.dtype), (b.shape, b.dtype))
        return np.cross(np.broadcast_to(a, shape), np.broadcast_to(b, shape), axis=d)

    formula = {"a": "cross(b, grad)", "b": "cross(grad, a)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        d = ctx.dim
        return (Cross.apply(b, grad, dim=d) if ctx._next[0] else None,
                Cross.apply(grad, a, dim=d) if ctx._next[1] else None)


def cross(input: Tensor, other: Tensor, dim: int | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (inputs broadcast).

    Args:
        input (Tensor): first operand.
        other (Tensor): second operand.
        dim (int, optional): the dim of size 3; if None, the first dim of size 3 (deprecated
            in torch: pass it, or use ``ember.linalg.cross`` whose default is -1).

    Example::

        >>> ember.cross(ember.tensor([1., 0., 0.]), ember.tensor([0., 1., 0.]), dim=0)
        tensor([0., 0., 1.])
    """
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or simply use torch.linalg.cross.",
                      UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return _maybe_out(Cross.apply(input, other, dim=dim, shown=dim), out)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1,
                 out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default -1), inputs broadcast."""
    return _maybe_out(Cross.apply(input, other, dim=dim, shown=dim), out)


def multi_dot(tensors: Any, *, out: Tensor | None = None) -> Tensor:
    """The product of a chain of matrices, multiplied in the cheapest order. The first and
    last may be 1-D (a row and a column vector).

    Example::

        >>> ember.linalg.multi_dot([ember.ones(3), ember.ones(3, 2), ember.ones(2)])
        tensor(6.)
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0]._data.ndim, tensors[-1]._data.ndim
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    mats = list(tensors)
    if first == 1:
        mats[0] = mats[0].unsqueeze(0)
    if last == 1:
        mats[-1] = mats[-1].unsqueeze(-1)
    from .addmm import _dtype_name

    for i, t in enumerate(mats[1:], 1):
        if t._data.dtype != mats[0]._data.dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_dtype_name(mats[0]._data, True)} and tensor {i} "
                f"{_dtype_name(t._data, True)}")
        if t._data.shape[0] != mats[i - 1]._data.shape[1]:
            raise RuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes "
                f"{list(tensors[i - 1]._data.shape)} and {list(tensors[i]._data.shape)} cannot "
                "be multiplied")
    result = _chain(mats, _chain_order([m._data.shape[0] for m in mats]
                                       + [mats[-1]._data.shape[1]]), 0, len(mats) - 1)
    shape = mats[0]._data.shape[:1] * (first == 2) + mats[-1]._data.shape[1:] * (last == 2)
    return _maybe_out(result.view(shape), out)


def _chain_order(dims: list[int]) -> list[list[int]]:
    """The classic matrix-chain dynamic programme: split[i][j] is where to split i..j."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1], k)
                for k in range(i, j))
    return split


def _chain(mats: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return _chain(mats, split, i, k).mm(_chain(mats, split, k + 1, j))


def _multi_dot_samples(cls: Any) -> list[Sample]:
    return [Sample(lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
                   (_values((2, 3), 0), _values((3, 4), 1), _values((4, 2), 2)), "3"),
            Sample(lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
                   (_values((3,), 3), _values((3, 4), 4), _values((4,), 5)), "vectors")]


composite("multi_dot", _multi_dot_samples)
