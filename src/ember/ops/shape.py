"""Shape ops that rearrange one tensor without changing its values: views (view/reshape,
flatten/unflatten, transpose, permute, movedim, squeeze, unsqueeze, expand, diagonal), casts,
clone and contiguous, and the ``atleast_nd`` helpers. Joining and splitting live in
``joining.py``.

Views share their base's storage and version counter, as in torch, so an in-place change
through a view is seen by (and detected on) its base.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _dtype as dt
from .._tensor import Size, Tensor, _legacy_type_name, _make, shared_counter, wrap_dim
from ..autograd import forward_ad, grad_mode
from . import _op
from ._op import Primitive, UnaryOp, _new_node, op, record, record_unary
from .samples import Sample, _values

_state = grad_mode.state

__all__ = ["reshape", "view", "flatten", "unflatten", "ravel", "transpose", "swapaxes",
           "swapdims", "adjoint", "permute", "movedim", "moveaxis", "squeeze", "unsqueeze",
           "expand", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "clone",
           "contiguous", "diagonal", "atleast_1d", "atleast_2d", "atleast_3d"]


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
    from .linalg import UnsafeView

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


# --- transposes and permutations --------------------------------------------------------------
@op("TransposeBackward0", samples=_samples("transpose"))
class Transpose(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
        ctx.dims = (dim0, dim1)
        return np.swapaxes(x, dim0, dim1) if x.ndim else x.view()

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


# --- squeeze, unsqueeze -----------------------------------------------------------------------
@op("SqueezeBackward0", samples=_samples("squeeze"))
class Squeeze(ViewOp):
    """``x.squeeze()``: every dim of size 1."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.input_shape = x.shape
        return np.squeeze(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.input_shape)


@op("SqueezeBackward1", samples=_samples("squeeze_dim"))
class SqueezeDim(Squeeze):
    """``x.squeeze(dim)``: that dim, if its size is 1."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:  # type: ignore[override]
        ctx.input_shape = x.shape
        if x.ndim and x.shape[dim] == 1:
            return np.squeeze(x, dim)
        return x.view()


@op("SqueezeBackward2", samples=_samples("squeeze_dims"))
class SqueezeDims(Squeeze):
    """``x.squeeze((d0, d1))``."""

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


# --- expand and broadcasting ------------------------------------------------------------------
@op("ExpandBackward0", samples=_samples("expand"))
class Expand(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple) -> np.ndarray:
        ctx.input_shape = x.shape
        if shape == x.shape:
            return x.view()  # stays writable, as the input is
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        from .reduction import sum_to_size

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


# --- casts and copies -------------------------------------------------------------------------
@op("ToCopyBackward0", samples=_samples("cast"))
class Cast(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype) -> np.ndarray:
        ctx.input_dtype = dt._BY_NUMPY[x.dtype]
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return cast(grad, ctx.input_dtype)


def cast(x: Tensor, dtype: dt.dtype) -> Tensor:
    """``x`` converted to ``dtype`` (a copy, differentiable between floating types)."""
    if x._requires_grad and dtype.np.kind not in "fc" and _state.enabled:
        with grad_mode.no_grad():
            return Cast.apply(x, dtype=dtype)
    return Cast.apply(x, dtype=dtype)


@op("CloneBackward0", samples=_samples("clone"))
class Clone(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()

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


# --- Tensor methods ---------------------------------------------------------------------------
for _name, _fn in (("view", view), ("reshape", reshape), ("flatten", flatten),
                   ("unflatten", unflatten), ("ravel", ravel), ("transpose", transpose),
                   ("swapaxes", transpose), ("swapdims", transpose), ("permute", permute),
                   ("movedim", movedim), ("moveaxis", movedim), ("squeeze", squeeze),
                   ("unsqueeze", unsqueeze), ("expand", expand), ("clone", clone),
                   ("contiguous", contiguous), ("diagonal", diagonal), ("adjoint", adjoint)):
    setattr(Tensor, _name, _fn)
Tensor.t = lambda self: T.apply(self)  # type: ignore[attr-defined]
Tensor.T = property(_T)  # type: ignore[attr-defined]
Tensor.mT = property(  # type: ignore[attr-defined]
    lambda self: _matrix_transpose(self, "mT", True))
Tensor.mH = property(  # type: ignore[attr-defined]
    lambda self: _matrix_transpose(self, "mH", True))
Tensor.H = property(  # type: ignore[attr-defined]
    lambda self: _matrix_transpose(self, "H", False))
Tensor.view_as = lambda self, other: View.apply(  # type: ignore[attr-defined]
    self, shape=other._data.shape)
Tensor.reshape_as = lambda self, other: reshape(  # type: ignore[attr-defined]
    self, other._data.shape)
Tensor.expand_as = lambda self, other: expand(  # type: ignore[attr-defined]
    self, other._data.shape)

swapaxes = swapdims = transpose
moveaxis = movedim


def __getattr__(name: str) -> Any:
    # Joining and splitting moved to joining.py; older imports from here still resolve.
    if name in ("cat", "concat", "stack", "split", "unbind"):
        from . import joining

        return getattr(joining, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        "cast": [Sample(lambda lib, t: t.double() * 1, (m,), "double")],
        "clone": [Sample(lambda lib, t: t.clone(), (m,), "clone"),
                  Sample(lambda lib, t: lib.clone(t), (s,), "0-d"),
                  Sample(lambda lib, t: t.t().contiguous(), (m,), "contiguous")],
        "diagonal": [Sample(lambda lib, t: t.diagonal(), (m,), "main"),
                     Sample(lambda lib, t: t.diagonal(1), (m,), "above"),
                     Sample(lambda lib, t: t.diagonal(-2), (m,), "below"),
                     Sample(lambda lib, t: t.diagonal(5), (m,), "empty"),
                     Sample(lambda lib, t: lib.diagonal(t, 1, -1, 0), (x,), "dims"),
                     Sample(lambda lib, t: t.diagonal(offset=1, dim1=2, dim2=1), (x,),
                            "reversed-dims")],
    }
