"""Diagonals and triangles: the diagonal view and its scatter backward, diag, diag_embed,
tril and triu."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..._tensor import Tensor, wrap_dim
from .._op import UnaryOp, op
from ..samples import Sample, _values
from .reshape import ViewOp, as_int

__all__ = ["diagonal", "tril", "triu", "diag", "diag_embed", "trace"]


def _samples(kind: str) -> Any:
    # The table is built at the end of the module, when the tests first ask for it.
    return lambda cls: _sample_table()[kind]


# --- diagonal ---------------------------------------------------------------------------------
def diagonal_view(x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """A writable view of ``x``'s diagonal over ``dim1``/``dim2``, appended as the last dim
    (NumPy's own ``diagonal`` is read-only)."""
    n1, n2 = x.shape[dim1], x.shape[dim2]
    start1, start2 = (0, offset) if offset >= 0 else (-offset, 0)
    length = max(0, min(n1 - start1, n2 - start2))
    rest = [i for i in range(x.ndim) if i != dim1 and i != dim2]
    shape = tuple([x.shape[i] for i in rest]) + (length,)
    strides = tuple([x.strides[i] for i in rest]) + (x.strides[dim1] + x.strides[dim2],)
    if length:
        key = [slice(None)] * x.ndim
        key[dim1], key[dim2] = slice(start1, None), slice(start2, None)
        x = x[tuple(key)]
    return as_strided(x, shape, strides)


@op("DiagonalBackward0", samples=_samples("diagonal"))
class Diagonal(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
        ctx.args = (x.shape, offset, dim1, dim2)
        return diagonal_view(x, offset, dim1, dim2)

    formula = {"x": "zeros like x with grad on the (offset, dim1, dim2) diagonal"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return DiagonalScatter.apply(grad, args=ctx.args)


@op("DiagonalBackwardBackward0")
class DiagonalScatter(UnaryOp):
    """Zeros of the input's shape with ``grad`` on the diagonal: the backward of diagonal."""

    linear = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, args: tuple) -> np.ndarray:
        shape, offset, dim1, dim2 = args
        ctx.args = (offset, dim1, dim2)
        out = np.zeros(shape, dtype=grad.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = grad
        return out

    formula = {"grad": "diagonal(gg, offset, dim1, dim2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        offset, dim1, dim2 = ctx.args
        return Diagonal.apply(grad, offset=offset, dim1=dim1, dim2=dim2)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of ``input`` over dims ``dim1`` and ``dim2``, appended as the
    last dim of the result.

    Args:
        offset (int): which diagonal: 0 the main one, > 0 above it, < 0 below it.
        dim1 (int): the first dim of the 2-D sub-arrays.
        dim2 (int): the second dim.

    Example::

        >>> ember.arange(9).view(3, 3).diagonal(1)
        tensor([1, 5])
    """
    ndim = input._data.ndim
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=as_int(offset, "diagonal", "offset"), dim1=d1, dim2=d2)


# --- triangles and diagonals ------------------------------------------------------------------
@op("TrilBackward0", samples=_samples("tril"))
class Tril(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, diagonal: int) -> np.ndarray:
        ctx.diagonal = diagonal
        return np.tril(x, diagonal)

    formula = {"x": "tril(grad, diagonal)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Tril.apply(grad, diagonal=ctx.diagonal)


@op("TriuBackward0", samples=_samples("triu"))
class Triu(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, diagonal: int) -> np.ndarray:
        ctx.diagonal = diagonal
        return np.triu(x, diagonal)

    formula = {"x": "triu(grad, diagonal)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Triu.apply(grad, diagonal=ctx.diagonal)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the matrices in the last two dims of ``input``, zeros above it
    (entries above diagonal ``diagonal`` zeroed: 0 the main one, > 0 above it).

    Example::

        >>> ember.ones(2, 3).tril()
        tensor([[1., 0., 0.],
                [1., 1., 0.]])
    """
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal=as_int(diagonal, "tril", "diagonal"))


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the matrices in the last two dims of ``input``, zeros below
    diagonal ``diagonal``."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal=as_int(diagonal, "triu", "diagonal"))


@op("DiagEmbedBackward0", samples=_samples("diag_embed"))
class DiagEmbed(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
        ctx.args = (offset, dim1, dim2)
        n = x.shape[-1] + abs(offset)
        shape = list(x.shape[:-1])
        for d in sorted((dim1, dim2)):
            shape.insert(d, n)
        out = np.zeros(shape, dtype=x.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = x
        return out

    formula = {"x": "diagonal(grad, offset, dim1, dim2)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        offset, dim1, dim2 = ctx.args
        return grad.diagonal(offset, dim1, dim2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (over output dims ``dim1``, ``dim2``) whose diagonal ``offset`` holds the last
    dim of ``input``, zeros elsewhere.

    Example::

        >>> ember.diag_embed(ember.tensor([1, 2]))
        tensor([[1, 0],
                [0, 2]])
    """
    ndim = input._data.ndim + 1
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, offset=as_int(offset, "diag_embed", "offset"), dim1=d1, dim2=d2)


@op("DiagonalBackward0_copy", samples=_samples("diag"))
class DiagonalCopy(UnaryOp):
    """``diag`` of a matrix: its diagonal as a new tensor (not a view)."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, offset: int) -> np.ndarray:
        ctx.args = (x.shape, offset, 0, 1)
        return diagonal_view(x, offset, 0, 1).copy()

    formula = {"x": "zeros like x with grad on the diagonal"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return DiagonalScatter.apply(grad, args=ctx.args)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """From a vector, the square matrix with it on diagonal ``diagonal``; from a matrix, its
    diagonal ``diagonal`` as a vector (a copy).

    Example::

        >>> ember.diag(ember.tensor([1, 2]))
        tensor([[1, 0],
                [0, 2]])
        >>> ember.diag(ember.tensor([[1, 2], [3, 4]]))
        tensor([1, 4])
    """
    ndim = input._data.ndim
    diagonal = as_int(diagonal, "diag", "diagonal")
    if ndim == 1:
        return DiagEmbed.apply(input, offset=diagonal, dim1=0, dim2=1)
    if ndim == 2:
        return DiagonalCopy.apply(input, offset=diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


# --- Tensor methods ---------------------------------------------------------------------------
for _name, _fn in (("diagonal", diagonal), ("tril", tril), ("triu", triu), ("diag", diag),
                   ("diag_embed", diag_embed)):
    setattr(Tensor, _name, _fn)


# --- samples for the op table -----------------------------------------------------------------
def _sample_table() -> dict[str, list[Sample]]:
    x = _values((2, 3, 4), "real", 0)
    m = _values((3, 4), "real", 1)
    v = _values((4,), "real", 2)
    return {
        "diagonal": [Sample(lambda lib, t: t.diagonal(), (m,), "main"),
                     Sample(lambda lib, t: t.diagonal(1), (m,), "above"),
                     Sample(lambda lib, t: t.diagonal(-2), (m,), "below"),
                     Sample(lambda lib, t: t.diagonal(5), (m,), "empty"),
                     Sample(lambda lib, t: lib.diagonal(t, 1, -1, 0), (x,), "dims"),
                     Sample(lambda lib, t: t.diagonal(offset=1, dim1=2, dim2=1), (x,),
                            "reversed-dims")],
        "tril": [Sample(lambda lib, t: t.tril(), (m,), "tril"),
                 Sample(lambda lib, t: lib.tril(t, -1), (x,), "batched")],
        "triu": [Sample(lambda lib, t: t.triu(1), (m,), "triu"),
                 Sample(lambda lib, t: lib.triu(t, diagonal=-1), (x,), "batched")],
        "diag_embed": [Sample(lambda lib, t: t.diag_embed(), (m,), "diag_embed"),
                       Sample(lambda lib, t: lib.diag_embed(t, 1, 0, 2), (m,), "dims"),
                       Sample(lambda lib, t: lib.diag_embed(t, -1, 1, 0), (m,), "reversed"),
                       Sample(lambda lib, t: lib.diag(t), (v,), "diag"),
                       Sample(lambda lib, t: t.diag(-2), (v,), "diag-offset")],
        "diag": [Sample(lambda lib, t: t.diag(), (m,), "diag"),
                 Sample(lambda lib, t: lib.diag(t, 1), (m,), "above"),
                 Sample(lambda lib, t: t.diag(-5), (m,), "empty")],
    }


def _trace_samples(cls: type) -> list:
    return [Sample(lambda lib, t: t.trace(), (_values((3, 3), "real", 50),), "square"),
            Sample(lambda lib, t: lib.trace(t), (_values((2, 4), "real", 51),), "wide")]


@op("TraceBackward0", samples=_trace_samples)
class Trace(UnaryOp):
    """The sum of a matrix's diagonal."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
        ctx.shape = x.shape
        return np.asarray(np.trace(x))

    formula = {"x": "grad * eye(*x.shape)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        from ..._creation import eye

        return grad.expand(ctx.shape) * eye(*ctx.shape, dtype=grad.dtype)


def trace(input: Tensor) -> Tensor:
    """The sum of the diagonal of a 2-D tensor."""
    return Trace.apply(input)


Tensor.trace = trace  # type: ignore[attr-defined]
