"""Views that reorder dims: transpose (swapaxes, swapdims), t and the ``T``/``mT``/``mH``/``H``
properties, adjoint, permute and movedim (moveaxis)."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._tensor import Tensor, wrap_dim
from .._op import op
from ..samples import Sample, _values
from .reshape import ViewOp, _is_int, as_int, int_list, shape_arg

__all__ = ["transpose", "swapaxes", "swapdims", "adjoint", "permute", "movedim", "moveaxis"]


def _samples(kind: str) -> Any:
    # The table is built at the end of the module, when the tests first ask for it.
    return lambda cls: _sample_table()[kind]


# --- transposes and permutations --------------------------------------------------------------
@op("TransposeBackward0", samples=_samples("transpose"))
class Transpose(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
        ctx.dims = (dim0, dim1)
        return np.swapaxes(x, dim0, dim1) if x.ndim else x.view()

    formula = {"x": "grad.transpose(dim0, dim1)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.transpose(*ctx.dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swaps dims ``dim0`` and ``dim1`` (a view).

    Example::

        >>> ember.zeros(2, 3).transpose(0, 1).shape
        ember.Size([3, 2])
    """
    ndim = input._data.ndim
    return Transpose.apply(input, dim0=wrap_dim(as_int(dim0, "transpose", "dim0"), ndim),
                           dim1=wrap_dim(as_int(dim1, "transpose", "dim1"), ndim))


@op("TBackward0", samples=_samples("t"))
class T(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
        return x.T

    formula = {"x": "grad.t()"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.t()


def _T(self: Tensor) -> Tensor:  # noqa: N802 - torch's name
    ndim = self._data.ndim
    if ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=2)
    elif ndim != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
    return Permute.apply(self, dims=tuple(range(ndim))[::-1])


def _matrix_transpose(self: Tensor, name: str, batched: bool) -> Tensor:
    """``mT``, ``mH``, ``adjoint()`` and ``H``: the last two dims swapped; real tensors only."""
    ndim = self._data.ndim
    if self._data.dtype.kind == "c" and name != "mT":
        raise NotImplementedError(f"ember: tensor.{name} of a complex tensor (conjugate "
                                  "transpose) is not supported")
    if ndim == 0:
        if name == "adjoint()":
            warnings.warn("adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
                          UserWarning, stacklevel=3)
        elif name != "H":
            warnings.warn(f"Tensor.{name} is deprecated on 0-D tensors. This function is the "
                          "identity in these cases.", UserWarning, stacklevel=3)
        return self
    if batched and ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                           f"matrices. Got {ndim}-D tensor.")
    if not batched and ndim != 2:
        hint = " For batches of matrices, consider using tensor.mH" if ndim > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {ndim}-D "
                           f"tensor.{hint}")
    return Transpose.apply(self, dim0=ndim - 2, dim1=ndim - 1)


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (real tensors: ``input.mT``)."""
    return _matrix_transpose(input, "adjoint()", True)


@op("PermuteBackward0", samples=_samples("permute"))
class Permute(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple) -> np.ndarray:
        ctx.dims = dims
        return np.transpose(x, dims)

    formula = {"x": "grad.permute(argsort(dims))"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.permute(*np.argsort(ctx.dims).tolist())


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorders the dims (a view): dim ``i`` of the result is dim ``dims[i]`` of ``input``.

    Example::

        >>> ember.zeros(2, 3, 4).permute(2, 0, 1).shape
        ember.Size([4, 2, 3])
    """
    dims = shape_arg(dims, "permute", "dims")
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
            f"equal to len(dims) = {len(dims)}")
    wrapped = tuple([wrap_dim(d, ndim) for d in dims])
    if len(set(wrapped)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=wrapped)


def movedim(input: Tensor, source: int | Sequence[int],
            destination: int | Sequence[int]) -> Tensor:
    """Moves the dims at ``source`` to positions ``destination``; the others keep their order
    (a view, recorded as a permute).

    Example::

        >>> ember.zeros(2, 3, 4).movedim(0, -1).shape
        ember.Size([3, 4, 2])
    """
    ndim = input._data.ndim
    src_raw = [source] if _is_int(source) else list(int_list(source, "movedim", "source"))
    dst_raw = [destination] if _is_int(destination) else list(
        int_list(destination, "movedim", "destination"))
    if len(src_raw) != len(dst_raw):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src_raw} dims) should "
            f"contain the same number of dims as destination ({dst_raw} dims)")
    src = [wrap_dim(operator.index(d), ndim) for d in src_raw]
    dst = [wrap_dim(operator.index(d), ndim) for d in dst_raw]
    for name, wrapped, raw in (("source", src, src_raw), ("destination", dst, dst_raw)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({raw})")
    order: list[int | None] = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter([d for d in range(ndim) if d not in src])
    return Permute.apply(input, dims=tuple([o if o is not None else next(rest) for o in order]))


for _name, _fn in (("transpose", transpose), ("swapaxes", transpose), ("swapdims", transpose),
                   ("permute", permute), ("movedim", movedim), ("moveaxis", movedim),
                   ("adjoint", adjoint)):
    setattr(Tensor, _name, _fn)
Tensor.t = lambda self: T.apply(self)  # type: ignore[attr-defined]
Tensor.T = property(_T)  # type: ignore[attr-defined]
Tensor.mT = property(  # type: ignore[attr-defined]
    lambda self: _matrix_transpose(self, "mT", True))
Tensor.mH = property(  # type: ignore[attr-defined]
    lambda self: _matrix_transpose(self, "mH", True))
Tensor.H = property(  # type: ignore[attr-defined]
    lambda self: _matrix_transpose(self, "H", False))


swapaxes = swapdims = transpose
moveaxis = movedim


# --- samples for the op table -----------------------------------------------------------------
def _sample_table() -> dict[str, list[Sample]]:
    x = _values((2, 3, 4), "real", 0)
    m = _values((3, 4), "real", 1)
    v = _values((3,), "real", 2)
    s = np.array(0.7)
    empty = np.zeros((0, 3))
    return {
        "transpose": [Sample(lambda lib, t: t.transpose(0, 2), (x,), "transpose"),
                      Sample(lambda lib, t: t.transpose(-1, 0), (m,), "negative"),
                      Sample(lambda lib, t: t.transpose(0, 0), (s,), "0-d"),
                      Sample(lambda lib, t: lib.swapaxes(t, 0, 1), (x,), "swapaxes"),
                      Sample(lambda lib, t: t.swapdims(1, 2), (x,), "swapdims"),
                      Sample(lambda lib, t: t.mT, (x,), "mT"),
                      Sample(lambda lib, t: t.mH, (x,), "mH"),
                      Sample(lambda lib, t: t.H, (m,), "H"),
                      Sample(lambda lib, t: lib.adjoint(t), (m,), "adjoint"),
                      Sample(lambda lib, t: t.transpose(0, 1), (empty,), "empty")],
        "t": [Sample(lambda lib, t: t.t(), (m,), "2-D"),
              Sample(lambda lib, t: lib.t(t), (v,), "1-D"),
              Sample(lambda lib, t: t.t(), (s,), "0-d")],
        "permute": [Sample(lambda lib, t: t.permute(2, 0, 1), (x,), "permute"),
                    Sample(lambda lib, t: lib.permute(t, (-1, 0, 1)), (x,), "tuple"),
                    Sample(lambda lib, t: t.permute(()), (s,), "0-d"),
                    Sample(lambda lib, t: t.T, (m,), "T"),
                    Sample(lambda lib, t: t.movedim(0, -1), (x,), "movedim"),
                    Sample(lambda lib, t: lib.moveaxis(t, (0, 1), (2, 0)), (x,), "moveaxis")],
    }
