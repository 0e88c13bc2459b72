"""Joining and splitting tensors: cat/stack and their hstack/vstack/dstack/column_stack forms,
split/chunk/tensor_split/unbind/narrow. Repeating and flipping live in ``repeat.py``, tril/triu
and diag/diag_embed in ``diagonal.py``.

Splits return views of their input (one node with an output per piece, as torch records
``unbind``/``split``); joins copy, as torch's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make, wrap_dim
from ...amp import autocast_mode as _amp
from ...amp.autocast_mode import state as _autocast
from ...amp.autocast_mode import widest
from .._op import Primitive, composite, op
from ..indexing.getitem import Slice
from ..samples import Sample, _values
from .reshape import MultiOutput, as_int, cast, int_list, reshape, wrap_dim_nonscalar

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
           "split", "chunk", "tensor_split", "unbind", "narrow", "diff"]


def _samples(kind: str) -> Any:
    # The table is built at the end of the module, when the tests first ask for it.
    return lambda cls: _sample_table()[kind]


def _tensor_list(tensors: Any, fn: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    return list(tensors)


def _promoted(tensors: list[Tensor]) -> list[Tensor]:
    """The tensors cast to their common dtype (torch's promotion over the whole list)."""
    common = dt.result_type_np(tuple([t._data for t in tensors]))
    return [t if t._data.dtype == common else cast(t, dt._BY_NUMPY[common]) for t in tensors]


# --- cat and stack ----------------------------------------------------------------------------
@op("CatBackward0", samples=_samples("cat"))
class Cat(Primitive):
    linear = True

    @staticmethod
    def forward(ctx: Any, *arrays: np.ndarray, dim: int, skip: tuple) -> np.ndarray:
        ctx.dim, ctx.skip = dim, skip
        kept = [a for a, s in zip(arrays, skip) if not s]
        ctx.sizes = [a.shape[dim] for a in kept]
        return np.concatenate(kept, axis=dim)

    formula = {"tensors": "the slice of grad along dim that each input filled"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        pieces = iter(grad.split(ctx.sizes, ctx.dim))
        empty = np.zeros(0, dtype=grad._data.dtype)
        return tuple([_make(empty) if s else next(pieces) for s in ctx.skip])


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenates tensors along an existing dim.

    Args:
        tensors (sequence of Tensor): tensors of equal shape except in ``dim`` (1-D empty
            tensors are skipped, as torch does), promoted to a common dtype.
        dim (int): the dim to join along.

    Example::

        >>> ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape
        ember.Size([3, 3])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: widest dtype
        tensors = widest(tensors)
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("ember.cat(): expected a non-empty list of Tensors")
    dim = as_int(dim, "cat", "dim")
    # torch's legacy rule: 1-D empty tensors take part in nothing but the dtype
    skip = tuple([t._data.shape == (0,) for t in tensors])
    if all(skip):
        skip = (False,) * len(tensors)
    ref_i = skip.index(False)
    ref = tensors[ref_i]._data.shape
    ndim = len(ref)
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = wrap_dim(dim, ndim)
    for i, t in enumerate(tensors):
        shape = t._data.shape
        if skip[i] or i == ref_i:
            continue
        if len(shape) != ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ndim} and {len(shape)}")
        for k in range(ndim):
            if k != d and shape[k] != ref[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref[k]} but got size {shape[k]} for tensor number {i} in the list.")
    result = Cat.apply(*_promoted(tensors), dim=d, skip=skip)
    return result if out is None else _write_out(result, out)


def _write_out(result: Tensor, out: Tensor) -> Tensor:
    from ..pointwise.arithmetic import _out

    return _out(result, out)


def concatenate(tensors: Sequence[Tensor], axis: int = 0, *, dim: int | None = None,
                out: Tensor | None = None) -> Tensor:
    """Alias of ``cat`` (NumPy's name; ``axis`` or ``dim``)."""
    return cat(tensors, axis if dim is None else dim, out=out)


concat = cat


@op("StackBackward0", samples=_samples("stack"))
class Stack(Primitive):
    linear = True

    @staticmethod
    def forward(ctx: Any, *arrays: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    formula = {"tensors": "grad.select(dim, i) for input i"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return grad.unbind(ctx.dim)


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Joins tensors of equal shape along a new dim ``dim``.

    Example::

        >>> ember.stack([ember.zeros(3), ember.ones(3)], dim=1).shape
        ember.Size([3, 2])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: widest dtype
        tensors = widest(tensors)
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    d = wrap_dim(as_int(dim, "stack", "dim"), len(ref) + 1)
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}")
    result = Stack.apply(*_promoted(tensors), dim=d)
    return result if out is None else _write_out(result, out)


def _stack_like(tensors: Any, fn: str) -> list[Tensor]:
    tensors = _tensor_list(tensors, fn)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def hstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Joins tensors column-wise: along dim 0 if they are 1-D, else dim 1 (0-d ones count as
    1-D)."""
    from .broadcast import atleast_1d

    tensors = [atleast_1d(t) for t in _stack_like(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Joins tensors row-wise (along dim 0), after viewing each as at least 2-D."""
    from .broadcast import atleast_2d

    return cat([atleast_2d(t) for t in _stack_like(tensors, "vstack")], 0, out=out)


def dstack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Joins tensors depth-wise (along dim 2), after viewing each as at least 3-D."""
    from .broadcast import atleast_3d

    return cat([atleast_3d(t) for t in _stack_like(tensors, "dstack")], 2, out=out)


def column_stack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """Joins tensors as columns: 0-d and 1-D tensors become columns ``(n, 1)``, the others join
    along dim 1.

    Example::

        >>> ember.column_stack([ember.zeros(3), ember.ones(3, 2)]).shape
        ember.Size([3, 3])
    """
    tensors = _stack_like(tensors, "column_stack")
    cols = [reshape(t, t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


# --- splitting --------------------------------------------------------------------------------
@op("UnbindBackward0", samples=_samples("unbind"))
class Unbind(MultiOutput):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> list:
        ctx.dim = dim
        lead = (slice(None),) * dim
        return [x[lead + (i,)] for i in range(x.shape[dim])]

    formula = {"x": "stack(the outputs' gradients, dim), zeros for unused outputs"}

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:
        return stack(grads, ctx.dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Splits along ``dim`` into a tuple of views with that dim removed.

    Example::

        >>> ember.unbind(ember.tensor([[1, 2], [3, 4]]), 1)
        (tensor([1, 3]), tensor([2, 4]))
    """
    return Unbind.apply(input, dim=wrap_dim_nonscalar(as_int(dim, "unbind", "dim"),
                                                      input._data.ndim))


@op("SplitWithSizesBackward0", samples=_samples("split"))
class SplitWithSizes(MultiOutput):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, sizes: tuple, dim: int) -> list:
        ctx.dim = dim
        return np.split(x, np.cumsum(sizes[:-1]), axis=dim)

    formula = {"x": "cat(the pieces' gradients, dim), zeros for unused pieces"}

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:
        return cat(grads, ctx.dim)


@op("SplitBackward0", samples=_samples("split_int"))
class Split(SplitWithSizes):
    """``split`` by one chunk size (the last chunk may be smaller)."""
    formula = {"x": "cat(the pieces' gradients, dim), zeros for unused pieces"}


def _split_sizes(length: int, size: int) -> tuple[int, ...]:
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={size}")
    if size == 0:
        if length:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {length}")
        return (0,)
    full, rest = divmod(length, size)
    return (size,) * full + ((rest,) if rest or not full else ())


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int],
          dim: int = 0) -> tuple[Tensor, ...]:
    """Splits into views: chunks of ``split_size`` along ``dim`` (the last may be smaller), or
    chunks of the given sizes.

    Example::

        >>> [t.shape[0] for t in ember.zeros(5).split(2)]
        [2, 2, 1]
        >>> [t.shape[0] for t in ember.zeros(5).split([1, 4])]
        [1, 4]
    """
    ndim = tensor._data.ndim
    if ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(as_int(dim, "split", "dim"), ndim)
    length = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)) or (
            isinstance(split_size_or_sections, Tensor) and not split_size_or_sections.ndim):
        sizes = _split_sizes(length, int(split_size_or_sections))
        return Split.apply(tensor, sizes=sizes, dim=d)
    if isinstance(split_size_or_sections, Tensor):
        raise TypeError("split_with_sizes(): argument 'split_sizes' (position 2) must be tuple "
                        "of ints, not Tensor")
    if not isinstance(split_size_or_sections, Sequence):
        raise TypeError("split_with_sizes(): argument 'split_sizes' (position 2) must be tuple "
                        f"of ints, not {type(split_size_or_sections).__name__}")
    return split_with_sizes(tensor, split_size_or_sections, d)


def split_with_sizes(input: Tensor, split_sizes: Sequence[int],
                     dim: int = 0) -> tuple[Tensor, ...]:
    """Splits into views of the given sizes along ``dim``; they must sum to its size."""
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(as_int(dim, "split_with_sizes", "dim"), ndim)
    length = input._data.shape[d]
    sizes = int_list(split_sizes, "split_with_sizes", "split_sizes")
    if any(s < 0 for s in sizes):
        raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                           f"entries, but got split_sizes={list(sizes)}")
    if sum(sizes) != length:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's "
            f"size at dimension {d}), but got split_sizes={list(sizes)}")
    return SplitWithSizes.apply(input, sizes=sizes, dim=d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Splits into at most ``chunks`` views of equal size along ``dim`` (the last may be
    smaller; there may be fewer).

    Example::

        >>> [t.shape[0] for t in ember.zeros(5).chunk(3)]
        [2, 2, 1]
    """
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = as_int(chunks, "chunk", "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(as_int(dim, "chunk", "dim"), ndim)
    length = input._data.shape[d]
    if length == 0:  # torch gives ``chunks`` empty pieces here
        return SplitWithSizes.apply(input, sizes=(0,) * chunks, dim=d)
    return Split.apply(input, sizes=_split_sizes(length, -(-length // chunks)), dim=d)


def tensor_split(input: Tensor, indices_or_sections: Any = None, dim: int = 0, *,
                 sections: int | None = None,
                 indices: Sequence[int] | None = None) -> tuple[Tensor, ...]:
    """Splits into views along ``dim``: ``n`` sections of near-equal size (the first
    ``size % n`` one larger), or at the given indices (like Python slices between them).

    Example::

        >>> [t.shape[0] for t in ember.zeros(5).tensor_split(3)]
        [2, 2, 1]
        >>> [t.shape[0] for t in ember.zeros(5).tensor_split([1, 4])]
        [1, 3, 1]
    """
    arg = indices_or_sections if sections is None and indices is None else (
        sections if sections is not None else indices)
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = wrap_dim(as_int(dim, "tensor_split", "dim"), ndim)
    if isinstance(arg, Tensor):
        if arg._data.dtype.kind not in "iu":
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {_kind(arg)}")
        if arg._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {arg._data.ndim} dims")
        arg = arg._data.tolist()
    length = input._data.shape[d]
    if isinstance(arg, (int, np.integer)):
        n = int(arg)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        size, extra = divmod(length, n)
        bounds = np.cumsum([0] + [size + 1] * extra + [size] * (n - extra)).tolist()
        cuts = list(zip(bounds[:-1], bounds[1:]))
    else:
        idx = list(int_list(arg, "tensor_split", "indices"))
        cuts = list(zip([0] + idx, idx + [None]))
    lead = (slice(None),) * d
    return tuple([Slice.apply(input, key=lead + (slice(a, b),)) for a, b in cuts])


def _kind(t: Tensor) -> str:
    return t.dtype.name.capitalize().replace("Float32", "Float").replace("Float64", "Double")


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of ``length`` entries of ``input`` along ``dim`` from ``start`` (which may be
    negative, counting from the end).

    Example::

        >>> ember.arange(5).narrow(0, 1, 3)
        tensor([1, 2, 3])
    """
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    length = as_int(length, "narrow", "length")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = wrap_dim(as_int(dim, "narrow", "dim"), ndim)
    size = input._data.shape[d]
    start = as_int(start, "narrow", "start")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                           f"({size}).")
    return Slice.apply(input, key=(slice(None),) * d + (slice(start, start + length),))


# --- Tensor methods ---------------------------------------------------------------------------
def _split_method(self: Tensor, split_size: Any = None, dim: int = 0, **kwargs: Any) -> tuple:
    if "split_size_or_sections" in kwargs:
        split_size = kwargs.pop("split_size_or_sections")
    if kwargs:
        raise TypeError(f"split() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return split(self, split_size, dim)


for _name, _fn in (("split", _split_method), ("split_with_sizes", split_with_sizes),
                   ("chunk", chunk), ("tensor_split", tensor_split), ("unbind", unbind),
                   ("narrow", narrow)):
    setattr(Tensor, _name, _fn)


# --- samples for the op table -----------------------------------------------------------------
def _sample_table() -> dict[str, list[Sample]]:
    x = _values((2, 3, 4), "real", 0)
    m = _values((3, 4), "real", 1)
    v = _values((4,), "real", 2)
    s = np.array(0.7)
    m2 = _values((3, 2), "real", 6)
    return {
        "cat": [Sample(lambda lib, a, b: lib.cat([a, b], 1), (m, m2), "cat"),
                Sample(lambda lib, a, b: lib.cat((a, b, a), -1), (m, m2), "three"),
                Sample(lambda lib, a, b: lib.concat([a, b]), (m, _values((1, 4), "real", 3)),
                       "concat"),
                Sample(lambda lib, a, b: lib.concatenate([a, b], 0), (v, np.zeros(0)),
                       "legacy-empty"),
                Sample(lambda lib, a, b: lib.cat([a, b]), (m, np.arange(4).reshape(1, 4)),
                       "promote"),
                Sample(lambda lib, a, b: lib.hstack([a, b]), (m, m2), "hstack"),
                Sample(lambda lib, a, b: lib.hstack([a, b]), (s, v), "hstack-1-D"),
                Sample(lambda lib, a, b: lib.vstack([a, b]), (v, m), "vstack"),
                Sample(lambda lib, a, b: lib.dstack([a, b]), (m, m), "dstack"),
                Sample(lambda lib, a, b: lib.dstack([a, b]), (v, v), "dstack-1-D"),
                Sample(lambda lib, a, b: lib.column_stack([a, b]), (_values((3,), "real", 4), m),
                       "column_stack")],
        "stack": [Sample(lambda lib, a, b: lib.stack([a, b], 0), (m, _values((3, 4), "real", 7)),
                         "stack"),
                  Sample(lambda lib, a, b: lib.stack((a, b), -1), (m, m), "last"),
                  Sample(lambda lib, a, b: lib.stack([a, b]), (s, s), "0-d")],
        "unbind": [Sample(lambda lib, t: t.unbind(1)[2], (m,), "unbind"),
                   Sample(lambda lib, t: lib.unbind(t, -1), (x,), "all")],
        "split": [Sample(lambda lib, t: t.split([1, 3], 1)[1], (m,), "split"),
                  Sample(lambda lib, t: lib.split(t, (2, 0, 1)), (m,), "all"),
                  Sample(lambda lib, t: t.split_with_sizes([1, 2]), (m,), "split_with_sizes"),
                  Sample(lambda lib, t: lib.tensor_split(t, 3, 1), (m,), "tensor_split"),
                  Sample(lambda lib, t: t.tensor_split([1, 5, 2], dim=-1), (m,),
                         "tensor_split-indices"),
                  Sample(lambda lib, t: t.narrow(1, 1, 2), (m,), "narrow"),
                  Sample(lambda lib, t: lib.narrow(t, -1, -2, 2), (x,), "narrow-negative")],
        "split_int": [Sample(lambda lib, t: t.split(2, 1), (m,), "split"),
                      Sample(lambda lib, t: lib.split(t, 5), (m,), "one"),
                      Sample(lambda lib, t: t.chunk(3, -1), (m,), "chunk"),
                      Sample(lambda lib, t: lib.chunk(t, 2), (x,), "chunk-fewer")],
    }


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``x[1:] - x[:-1]``, repeated).

    Args:
        input (Tensor): the input.
        n (int): how many times to difference.
        dim (int): the dim to difference along.
        prepend, append (Tensor, optional): joined to ``input`` along ``dim`` first.
    """
    d = wrap_dim(dim, input._data.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    result = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        length = result._data.shape[d]
        if length == 0:
            break
        result = narrow(result, d, 1, length - 1) - narrow(result, d, 0, length - 1)
    return result


def _diff_samples(cls: type) -> list:
    x = _values((3, 5), "real", 52)
    return [Sample(lambda lib, t: lib.diff(t), (x,), "last"),
            Sample(lambda lib, t: t.diff(n=2, dim=0), (x,), "n2-dim0"),
            Sample(lambda lib, t, p: lib.diff(t, prepend=p), (x, _values((3, 1), "real", 53)),
                   "prepend")]


Tensor.diff = diff  # type: ignore[attr-defined]
composite("diff", _diff_samples)
