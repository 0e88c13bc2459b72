"""Broadcasting: expand (expand_as), broadcast_to, broadcast_shapes, broadcast_tensors, and the
``atleast_nd`` helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..._tensor import Size, Tensor, _legacy_type_name
from .._op import op
from ..samples import Sample, _values
from .reshape import Unsqueeze, ViewOp, _is_int, reshape, shape_arg

__all__ = ["expand", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "atleast_1d",
           "atleast_2d", "atleast_3d"]


def _samples(kind: str) -> Any:
    # The table is built at the end of the module, when the tests first ask for it.
    return lambda cls: _sample_table()[kind]


# --- expand and broadcasting ------------------------------------------------------------------
@op("ExpandBackward0", samples=_samples("expand"))
class Expand(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple) -> np.ndarray:
        ctx.input_shape = x.shape
        if shape == x.shape:
            return x.view()  # stays writable, as the input is
        return np.broadcast_to(x, shape)

    formula = {"x": "grad summed back to x.shape"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        from ..reduction.sum_mean import sum_to_size

        return sum_to_size(grad, ctx.input_shape)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A view of ``input`` broadcast to ``sizes``, without copying (-1 keeps a dim).

    Example::

        >>> ember.tensor([[1], [2]]).expand(2, 3)
        tensor([[1, 1, 1],
                [2, 2, 2]])
    """
    sizes = shape_arg(sizes, "expand", "size")
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({_legacy_type_name(input.dtype)}{{{list(shape)}}}, size={list(sizes)}): the "
            f"number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}")
            continue
        have = shape[i - lead]
        if s == -1:
            target[i] = have
        elif have != s and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}")
    return Expand.apply(input, shape=tuple(target))


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """``input`` expanded to ``size`` (a view); see ``expand``."""
    return expand(input, tuple(size))


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape tensors of the given ``shapes`` broadcast to.

    Example::

        >>> ember.broadcast_shapes((3, 1), (4,))
        ember.Size([3, 4])
    """
    result: list[int] = []
    for i, shape in enumerate(shapes):
        shape = (shape,) if _is_int(shape) else tuple(shape)
        if len(shape) > len(result):
            result = [1] * (len(shape) - len(result)) + result
        for k in range(1, len(shape) + 1):
            s, have = shape[-k], result[-k]
            if s == have or s == 1:
                continue
            if have != 1:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {s} at {-k}! Mismatching "
                    f"argument at index {i} had {shape}; but expected shape should be "
                    f"broadcastable to {result}")
            result[-k] = s
    return Size(result)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views; a tensor already of that
    shape is returned as it is).

    Example::

        >>> a, b = ember.broadcast_tensors(ember.zeros(3, 1), ember.zeros(4))
        >>> a.shape, b.shape
        (ember.Size([3, 4]), ember.Size([3, 4]))
    """
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape: tuple = ()
    for t in tensors:
        other = t._data.shape
        n = max(len(shape), len(other))
        pa, pb = (1,) * (n - len(shape)) + shape, (1,) * (n - len(other)) + other
        for dim in range(n - 1, -1, -1):
            if pa[dim] != pb[dim] and pa[dim] != 1 and pb[dim] != 1:
                raise RuntimeError(
                    f"The size of tensor a ({pa[dim]}) must match the size of tensor b "
                    f"({pb[dim]}) at non-singleton dimension {dim}")
        shape = tuple([b if a == 1 else a for a, b in zip(pa, pb)])
    return tuple([t if t._data.shape == shape else Expand.apply(t, shape=shape)
                  for t in tensors])


# --- atleast_nd -------------------------------------------------------------------------------
def _atleast(tensors: tuple, one: Any) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        return tuple([one(t) for t in tensors[0]])
    if len(tensors) == 1:
        return one(tensors[0])
    return tuple([one(t) for t in tensors])


def _at1(t: Tensor) -> Tensor:
    return reshape(t, 1) if t._data.ndim == 0 else t


def _at2(t: Tensor) -> Tensor:
    ndim = t._data.ndim
    return reshape(t, 1, 1) if ndim == 0 else Unsqueeze.apply(t, dim=0) if ndim == 1 else t


def _at3(t: Tensor) -> Tensor:
    ndim = t._data.ndim
    if ndim == 0:
        return reshape(t, 1, 1, 1)
    if ndim == 1:
        return Unsqueeze.apply(Unsqueeze.apply(t, dim=0), dim=2)
    return Unsqueeze.apply(t, dim=2) if ndim == 2 else t


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 1 dim (0-d ones become shape ``(1,)``). One tensor in,
    one out; several (or a sequence) in, a tuple out.

    Example::

        >>> ember.atleast_1d(ember.tensor(1.))
        tensor([1.])
    """
    return _atleast(tensors, _at1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 2 dims (new leading dims of size 1)."""
    return _atleast(tensors, _at2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor viewed with at least 3 dims: ``(n,)`` becomes ``(1, n, 1)``, ``(m, n)``
    becomes ``(m, n, 1)``."""
    return _atleast(tensors, _at3)


Tensor.expand = expand  # type: ignore[attr-defined]
Tensor.expand_as = lambda self, other: expand(  # type: ignore[attr-defined]
    self, other._data.shape)


# --- samples for the op table -----------------------------------------------------------------
def _sample_table() -> dict[str, list[Sample]]:
    m = _values((3, 4), "real", 1)
    v = _values((3,), "real", 2)
    s = np.array(0.7)
    return {
        "expand": [Sample(lambda lib, t: t.expand(2, 3, 4), (_values((3, 1), "real", 4),),
                          "expand"),
                   Sample(lambda lib, t: t.expand(-1, 4), (_values((3, 1), "real", 5),), "-1"),
                   Sample(lambda lib, t: t.expand(3, 4), (m,), "same"),
                   Sample(lambda lib, t: t.expand(2, 3), (s,), "0-d"),
                   Sample(lambda lib, t: t.expand(3, 0), (_values((3, 1), "real", 5),), "to-0"),
                   Sample(lambda lib, t, o: t.expand_as(o), (v[:, None], m), "expand_as"),
                   Sample(lambda lib, t: lib.broadcast_to(t, (2, 3)), (v,), "broadcast_to"),
                   Sample(lambda lib, t: t.expand(lib.broadcast_shapes(t.shape, (2, 1, 1))),
                          (m,), "broadcast_shapes"),
                   Sample(lambda lib, a, b: lib.broadcast_tensors(a, b),
                          (_values((3, 1), "real", 7), _values((4,), "real", 8)),
                          "broadcast_tensors")],
    }
