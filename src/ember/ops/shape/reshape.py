"""Shape ops that rearrange one tensor without changing its values: the view base class, views
(view/reshape, flatten/unflatten, ravel, squeeze, unsqueeze), casts, clone and contiguous.
Transposes and permutations live in ``transpose.py``, expand and broadcasting in
``broadcast.py``, diagonals in ``diagonal.py``, joining and splitting in ``joining.py``.

Views share their base's storage and version counter, as in torch, so an in-place change
through a view is seen by (and detected on) its base.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make, shared_counter, wrap_dim
from ...autograd import forward_ad, grad_mode
from .. import _op
from .._op import Primitive, UnaryOp, _new_node, op, record, record_unary
from ..samples import Sample, _values

_state = grad_mode.state

__all__ = ["reshape", "view", "flatten", "unflatten", "ravel", "squeeze", "unsqueeze", "clone",
           "contiguous"]


def _samples(kind: str) -> Any:
    # The table is built at the end of the module, when the tests first ask for it.
    return lambda cls: _sample_table()[kind]


class ViewOp(UnaryOp):
    """A unary op whose output shares the input's storage: the output gets the input's
    version counter and remembers its base."""

    linear = True

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> Tensor:
            ctx = _new_node(cls)
            out_data = forward(ctx, x._data, **params)
            if x._requires_grad and _state.enabled:
                out = record_unary(ctx, x, out_data)
            else:
                out = _make(out_data)
            out._vc = shared_counter(x)
            base = x._base
            out._base = x if base is None else base
            out._view_src = (x, apply, params, None)  # to replay it (ops/views.py)
            if _op.forward_ad_enabled:
                forward_ad.propagate(cls, ctx, (x,), params, out)
            return out

        return apply


class MultiOutput(Primitive):
    """A primitive returning several tensors (views of its input): one node, one output_nr
    per output, as torch's ``unbind``/``split`` record."""

    linear = True
    num_outputs = 1  # set per instance

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> tuple[Tensor, ...]:
            ctx = _new_node(cls)
            pieces = forward(ctx, x._data, **params)
            outs = []
            base = x._base
            if base is None:
                base = x
            if pieces and x._requires_grad and _state.enabled:
                ctx.num_outputs = len(pieces)
                ctx.output_meta = [(p.shape, p.dtype) for p in pieces]
                outs.append(record(ctx, (x,), pieces[0]))
                for i, p in enumerate(pieces[1:], 1):
                    t = _make(p, ctx)
                    t._output_nr = i
                    outs.append(t)
            else:
                outs = [_make(p) for p in pieces]
            vc = shared_counter(x)
            for i, t in enumerate(outs):
                t._vc = vc
                t._base = base
                t._view_src = (x, apply, params, i)
            if _op.forward_ad_enabled:
                forward_ad.propagate(cls, ctx, (x,), params, tuple(outs))
            return tuple(outs)

        return apply

    def _backward_multi(self, grads: list | None) -> Any:
        grads = list(grads) if grads is not None else [None] * self.num_outputs
        for i, (shape, np_dtype) in enumerate(self.output_meta):
            if grads[i] is None:
                grads[i] = _make(np.zeros(shape, dtype=np_dtype))
        return type(self).backward(self, *grads)


# --- argument parsing --------------------------------------------------------------------------
def int_list(values: Any, fn: str, arg: str) -> tuple[int, ...]:
    """``values`` as a tuple of ints (Python or NumPy ints, 0-d integer tensors); anything else
    raises torch's TypeError rather than being truncated."""
    try:
        return tuple([operator.index(v) for v in values])
    except TypeError:
        pos = next(i for i, v in enumerate(values) if not _is_int(v))
        raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints, but found element of "
                        f"type {type(values[pos]).__name__} at pos {pos}") from None


def _is_int(v: Any) -> bool:
    try:
        operator.index(v)
    except TypeError:
        return False
    return True


def as_int(v: Any, fn: str, arg: str) -> int:
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{fn}(): argument '{arg}' must be int, not {type(v).__name__}") from None


def shape_arg(shape: tuple, fn: str = "view", arg: str = "size") -> tuple[int, ...]:
    """Accepts ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` as torch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return int_list(shape, fn, arg)


_shape_arg = shape_arg  # the name other modules used


def dims_arg(dims: Any, ndim: int, fn: str, arg: str = "dims") -> tuple[int, ...]:
    """An int or a sequence of ints, wrapped, with torch's error for a repeated dim."""
    raw = (dims,) if _is_int(dims) else int_list(dims, fn, arg)
    wrapped = tuple([wrap_dim(d, ndim) for d in raw])
    if len(set(wrapped)) != len(wrapped):
        repeated = next(d for d in wrapped if wrapped.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return wrapped


def wrap_dim_nonscalar(dim: int, ndim: int) -> int:
    """``wrap_dim`` for ops that need a real dim: a 0-d tensor has none."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, ndim)


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolves a single -1 in ``shape``, with torch's errors."""
    infer = -1
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer >= 0:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(
                f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer >= 0:
        if known == 0:
            if numel == 0:
                raise RuntimeError(
                    f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                    "unspecified dimension size -1 can be any value and is ambiguous")
        elif numel % known == 0:
            return shape[:infer] + (numel // known,) + shape[infer + 1:]
    elif known == numel:
        return shape
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _reshape_no_copy(x: np.ndarray, shape: tuple) -> np.ndarray | None:
    """``x`` reshaped as a view, or None if that needs a copy."""
    view = x.view()
    try:
        view.shape = shape
    except AttributeError:
        return None
    return view


# --- view, reshape, flatten -------------------------------------------------------------------
@op("ViewBackward0", samples=_samples("view"))
class View(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple) -> np.ndarray:
        shape = infer_shape(shape, x.size)
        ctx.input_shape = x.shape
        out = _reshape_no_copy(x, shape)
        if out is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return out

    formula = {"x": "grad.reshape(x.shape)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.input_shape)


def view(input: Tensor, *shape: Any) -> Tensor:
    """A view of ``input`` with a new shape: the same data, no copy.

    Args:
        shape (ints or a sequence of ints): the new shape; one size may be -1, inferred from
            the others. It must be compatible with ``input``'s strides (else use ``reshape``).

    Example::

        >>> ember.arange(6).view(2, -1)
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    if len(shape) == 1 and isinstance(shape[0], dt.dtype):
        raise NotImplementedError("ember: Tensor.view(dtype) (reinterpreting the bytes as "
                                  "another dtype) is not supported")
    return View.apply(input, shape=shape_arg(shape))


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """``input`` with a new shape: a view when the strides allow, else a copy (recorded, as
    torch does, as a clone then UnsafeViewBackward0).

    Args:
        shape (ints or a sequence of ints): the new shape; one size may be -1.

    Example::

        >>> ember.arange(4).reshape(2, 2)
        tensor([[0, 1],
                [2, 3]])
    """
    target = shape_arg(shape, "reshape", "shape")
    data = input._data
    if data.flags.c_contiguous or _reshape_no_copy(data, infer_shape(target, data.size)) \
            is not None:
        return View.apply(input, shape=target)
    from ..linalg.matmul import UnsafeView

    return UnsafeView.apply(Clone.apply(input), shape=target)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Flattens dims ``start_dim`` through ``end_dim`` into one (a view when possible).

    Example::

        >>> ember.zeros(2, 3, 4).flatten(1).shape
        ember.Size([2, 12])
    """
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    start, end = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Splits dim ``dim`` into several of the given ``sizes`` (a view).

    Args:
        dim (int): the dim to split.
        sizes (sequence of int): the new dims' sizes; one may be -1.

    Example::

        >>> ember.zeros(2, 6).unflatten(1, (3, -1)).shape
        ember.Size([2, 3, 2])
    """
    sizes = int_list(sizes, "unflatten", "sizes")
    shape = input._data.shape
    if not shape:
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as "
                           f"{dim} but tensor has no dimensions")
    d = wrap_dim(dim, len(shape))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = shape[d]
    try:
        resolved = infer_shape(sizes, size)
    except RuntimeError as err:
        if "is invalid for input" in str(err):
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                f"{d} ({size}) in the input tensor") from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{err}") from None
    return View.apply(input, shape=shape[:d] + resolved + shape[d + 1:])


def ravel(input: Tensor) -> Tensor:
    """``input`` flattened to 1-D: a view if contiguous, else a contiguous copy's view."""
    return View.apply(contiguous(input), shape=(-1,))


# --- squeeze, unsqueeze -----------------------------------------------------------------------
@op("SqueezeBackward0", samples=_samples("squeeze"))
class Squeeze(ViewOp):
    """``x.squeeze()``: every dim of size 1."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.input_shape = x.shape
        return np.squeeze(x)

    formula = {"x": "grad.reshape(x.shape)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.input_shape)


@op("SqueezeBackward1", samples=_samples("squeeze_dim"))
class SqueezeDim(Squeeze):
    """``x.squeeze(dim)``: that dim, if its size is 1."""
    formula = {"x": "grad.reshape(x.shape)"}

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:  # type: ignore[override]
        ctx.input_shape = x.shape
        if x.ndim and x.shape[dim] == 1:
            return np.squeeze(x, dim)
        return x.view()


@op("SqueezeBackward2", samples=_samples("squeeze_dims"))
class SqueezeDims(Squeeze):
    """``x.squeeze((d0, d1))``."""
    formula = {"x": "grad.reshape(x.shape)"}

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple) -> np.ndarray:  # type: ignore[override]
        ctx.input_shape = x.shape
        if not x.ndim:
            return x.view()
        return np.squeeze(x, tuple([d for d in dims if x.shape[d] == 1]))


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Removes dims of size 1: all of them, or those among ``dim`` (a view).

    Example::

        >>> ember.zeros(1, 3, 1).squeeze().shape
        ember.Size([3])
    """
    ndim = input._data.ndim
    if dim is None:
        return Squeeze.apply(input)
    if isinstance(dim, (tuple, list)):
        return SqueezeDims.apply(input, dims=dims_arg(dim, ndim, "squeeze", "dim"))
    return SqueezeDim.apply(input, dim=wrap_dim(as_int(dim, "squeeze", "dim"), ndim))


@op("UnsqueezeBackward0", samples=_samples("unsqueeze"))
class Unsqueeze(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.expand_dims(x, dim)

    formula = {"x": "grad.squeeze(dim)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.squeeze(ctx.dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Inserts a dim of size 1 at ``dim`` (a view; ``dim`` may be ``-input.dim() - 1``).

    Example::

        >>> ember.zeros(3).unsqueeze(0).shape
        ember.Size([1, 3])
    """
    return Unsqueeze.apply(input, dim=wrap_dim(as_int(dim, "unsqueeze", "dim"),
                                               input._data.ndim + 1))


# --- casts and copies -------------------------------------------------------------------------
@op("ToCopyBackward0", samples=_samples("cast"))
class Cast(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype) -> np.ndarray:
        ctx.input_dtype = dt._BY_NUMPY[x.dtype]
        return x.astype(dtype.np)

    formula = {"x": "grad.to(x.dtype)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return cast(grad, ctx.input_dtype)


def cast(x: Tensor, dtype: dt.dtype) -> Tensor:
    """``x`` converted to ``dtype`` (a copy, differentiable between floating types)."""
    if x._requires_grad and dtype.np.kind not in "fcV" and _state.enabled:
        with grad_mode.no_grad():
            return Cast.apply(x, dtype=dtype)
    return Cast.apply(x, dtype=dtype)


@op("CloneBackward0", samples=_samples("clone"))
class Clone(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()

    formula = {"x": "grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``input`` with its own storage, that stays in the graph.

    Example::

        >>> a = ember.ones(2, requires_grad=True)
        >>> a.clone()
        tensor([1., 1.], grad_fn=<CloneBackward0>)
    """
    return Clone.apply(input)


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself if its data is contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


# --- Tensor methods ---------------------------------------------------------------------------
for _name, _fn in (("view", view), ("reshape", reshape), ("flatten", flatten),
                   ("unflatten", unflatten), ("ravel", ravel), ("squeeze", squeeze),
                   ("unsqueeze", unsqueeze), ("clone", clone), ("contiguous", contiguous)):
    setattr(Tensor, _name, _fn)
Tensor.view_as = lambda self, other: View.apply(  # type: ignore[attr-defined]
    self, shape=other._data.shape)
Tensor.reshape_as = lambda self, other: reshape(  # type: ignore[attr-defined]
    self, other._data.shape)


# --- samples for the op table -----------------------------------------------------------------
def _sample_table() -> dict[str, list[Sample]]:
    x = _values((2, 3, 4), "real", 0)
    m = _values((3, 4), "real", 1)
    v = _values((3,), "real", 2)
    s = np.array(0.7)
    empty = np.zeros((0, 3))
    return {
        "view": [Sample(lambda lib, t: t.view(4, 6), (x,), "view"),
                 Sample(lambda lib, t: t.view(-1, 4), (x,), "view-infer"),
                 Sample(lambda lib, t: t.view(()), (s,), "0-d"),
                 Sample(lambda lib, t: t.view(-1), (s,), "0-d-to-1"),
                 Sample(lambda lib, t: t.view(3, 0), (empty,), "empty"),
                 Sample(lambda lib, t: t.reshape(-1), (x,), "reshape"),
                 Sample(lambda lib, t: t.view_as(t.reshape(6, 4)),
                        (x,), "view_as"),
                 Sample(lambda lib, t: t.reshape_as(t.reshape(6, 4)), (x,), "reshape_as"),
                 Sample(lambda lib, t: t.flatten(1), (x,), "flatten"),
                 Sample(lambda lib, t: t.flatten(), (s,), "flatten-0-d"),
                 Sample(lambda lib, t: t.unflatten(-1, (2, -1)), (x,), "unflatten"),
                 Sample(lambda lib, t: lib.unflatten(t.mT, 1, (2, 2)), (x,), "unflatten-strided"),
                 Sample(lambda lib, t: t.ravel(), (m,), "ravel"),
                 Sample(lambda lib, t: lib.ravel(t.t()), (m,), "ravel-copy"),
                 Sample(lambda lib, t: lib.atleast_1d(t), (s,), "atleast_1d"),
                 Sample(lambda lib, t: lib.atleast_2d(t), (s,), "atleast_2d-0-d"),
                 Sample(lambda lib, t: lib.atleast_3d(t), (s,), "atleast_3d-0-d")],
        "squeeze": [Sample(lambda lib, t: t.squeeze(), (_values((1, 3, 1), "real", 3),), "all"),
                    Sample(lambda lib, t: t.squeeze(), (s,), "0-d"),
                    Sample(lambda lib, t: lib.squeeze(t), (m,), "nothing")],
        "squeeze_dim": [Sample(lambda lib, t: t.squeeze(0), (_values((1, 3), "real", 3),),
                               "dim"),
                        Sample(lambda lib, t: t.squeeze(-1), (m,), "not-1"),
                        Sample(lambda lib, t: t.squeeze(0), (s,), "0-d")],
        "squeeze_dims": [Sample(lambda lib, t: t.squeeze((0, 2)),
                                (_values((1, 3, 1), "real", 3),), "dims"),
                         Sample(lambda lib, t: t.squeeze(()), (m,), "none")],
        "unsqueeze": [Sample(lambda lib, t: t.unsqueeze(1), (m,), "dim1"),
                      Sample(lambda lib, t: t.unsqueeze(-1), (m,), "last"),
                      Sample(lambda lib, t: lib.unsqueeze(t, 0), (s,), "0-d"),
                      Sample(lambda lib, t: lib.atleast_2d(t), (v,), "atleast_2d"),
                      Sample(lambda lib, t: lib.atleast_3d(t), (v,), "atleast_3d-1-D"),
                      Sample(lambda lib, t: lib.atleast_3d(t), (m,), "atleast_3d-2-D")],
        "cast": [Sample(lambda lib, t: t.double() * 1, (m,), "double")],
        "clone": [Sample(lambda lib, t: t.clone(), (m,), "clone"),
                  Sample(lambda lib, t: lib.clone(t), (s,), "0-d"),
                  Sample(lambda lib, t: t.t().contiguous(), (m,), "contiguous")],
    }
