"""Shape ops: views (view/reshape, transpose, permute, squeeze, unsqueeze, expand), casts,
clone, and joining/splitting (cat, stack, unbind).

Views share their base's storage and version counter, as in torch, so an in-place change
through a view is seen by (and detected on) its base.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, shared_counter, wrap_dim
from ..autograd import grad_mode
from ._op import Primitive, UnaryOp, _new_node, op, record, record_unary
from .samples import shape_samples

_state = grad_mode.state

__all__ = ["cat", "concat", "stack", "split", "unbind", "reshape", "view", "flatten",
           "transpose", "swapaxes", "permute", "movedim", "moveaxis", "squeeze",
           "unsqueeze", "expand", "clone", "contiguous"]


class ViewOp(UnaryOp):
    """A unary op whose output shares the input's storage: the output gets the input's
    version counter and remembers its base."""

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
            return out

        return apply


def _shape_arg(shape: tuple) -> tuple:
    """Accepts ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` as torch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolves a single -1 in ``shape``, with torch's errors."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _reshape_no_copy(x: np.ndarray, shape: tuple) -> np.ndarray | None:
    """``x`` reshaped as a view, or None if that needs a copy."""
    view = x.view()
    try:
        view.shape = shape
    except AttributeError:
        return None
    return view


@op("ViewBackward0", samples=shape_samples("view"))
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


def view(self: Tensor, *shape: Any) -> Tensor:
    """A tensor with the same data and a new shape (no copy; -1 infers one dim)."""
    if len(shape) == 1 and isinstance(shape[0], dt.dtype):
        raise NotImplementedError("ember: view(dtype) reinterpretation is not supported")
    return View.apply(self, shape=_shape_arg(shape))


def reshape(self: Tensor, *shape: Any) -> Tensor:
    """``input`` with a new shape: a view when possible, else a copy (as torch, recorded as
    a clone then UnsafeViewBackward0)."""
    target = _shape_arg(shape)
    data = self._data
    if data.flags.c_contiguous or _reshape_no_copy(data, infer_shape(target, data.size)) \
            is not None:
        return View.apply(self, shape=target)
    from .linalg import UnsafeView

    return UnsafeView.apply(Clone.apply(self), shape=target)


def flatten(self: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Flattens dims ``start_dim`` through ``end_dim`` into one."""
    shape = self._data.shape
    if not shape:
        return reshape(self, 1)
    start, end = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return self
    merged = int(np.prod(shape[start:end + 1]))
    return reshape(self, shape[:start] + (merged,) + shape[end + 1:])


@op("TransposeBackward0", samples=shape_samples("transpose"))
class Transpose(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
        ctx.dims = (dim0, dim1)
        return np.swapaxes(x, dim0, dim1)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.transpose(*ctx.dims)


def transpose(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swaps dims ``dim0`` and ``dim1`` (a view)."""
    ndim = self._data.ndim
    return Transpose.apply(self, dim0=wrap_dim(dim0, ndim), dim1=wrap_dim(dim1, ndim))


@op("TBackward0", samples=shape_samples("t"))
class T(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
        return x.T

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.t()


@op("PermuteBackward0", samples=shape_samples("permute"))
class Permute(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple) -> np.ndarray:
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.permute(*np.argsort(ctx.dims).tolist())


def permute(self: Tensor, *dims: Any) -> Tensor:
    """Reorders the dims (a view)."""
    dims = _shape_arg(dims)
    ndim = self._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
            f"equal to len(dims) = {len(dims)}")
    wrapped = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(wrapped)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(self, dims=wrapped)


@op("SqueezeBackward0", samples=shape_samples("squeeze"))
class Squeeze(ViewOp):
    """``x.squeeze()``: every dim of size 1."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.input_shape = x.shape
        return x.reshape(tuple(s for s in x.shape if s != 1))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.input_shape)


@op("SqueezeBackward1", samples=shape_samples("squeeze_dim"))
class SqueezeDim(Squeeze):
    """``x.squeeze(dim)``: that dim, if its size is 1."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:  # type: ignore[override]
        ctx.input_shape = x.shape
        if x.ndim and x.shape[dim] == 1:
            return x.reshape(x.shape[:dim] + x.shape[dim + 1:])
        return x.view()


@op("SqueezeBackward2", samples=shape_samples("squeeze_dims"))
class SqueezeDims(Squeeze):
    """``x.squeeze((d0, d1))``."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple) -> np.ndarray:  # type: ignore[override]
        ctx.input_shape = x.shape
        return x.reshape(tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))


def squeeze(self: Tensor, dim: Any = None) -> Tensor:
    """Removes dims of size 1 (all, or those in ``dim``)."""
    ndim = self._data.ndim
    if dim is None:
        return Squeeze.apply(self)
    if isinstance(dim, (tuple, list)):
        return SqueezeDims.apply(self, dims=tuple(wrap_dim(d, ndim) for d in dim))
    return SqueezeDim.apply(self, dim=wrap_dim(dim, ndim))


@op("UnsqueezeBackward0", samples=shape_samples("unsqueeze"))
class Unsqueeze(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.expand_dims(x, dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.squeeze(ctx.dim)


def unsqueeze(self: Tensor, dim: int) -> Tensor:
    """Inserts a dim of size 1 at ``dim``."""
    return Unsqueeze.apply(self, dim=wrap_dim(dim, self._data.ndim + 1))


@op("ExpandBackward0", samples=shape_samples("expand"))
class Expand(ViewOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple) -> np.ndarray:
        ctx.input_shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        from .reduction import sum_to_size

        return sum_to_size(grad, ctx.input_shape)


def expand(self: Tensor, *sizes: Any) -> Tensor:
    """Broadcasts to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = _shape_arg(sizes)
    shape = self._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of "
            "sizes provided (" + str(len(sizes)) + ") must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    "non-existing dimension 0")
            target.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            target.append(have)
        elif have == 1 or have == s:
            target.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) "
                f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}")
    target_t = tuple(target)
    if target_t == shape and not _state.enabled:
        return self
    return Expand.apply(self, shape=target_t)


@op("ToCopyBackward0", samples=shape_samples("cast"))
class Cast(UnaryOp):
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


@op("CloneBackward0", samples=shape_samples("clone"))
class Clone(UnaryOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


def clone(self: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``input`` that stays in the graph."""
    return Clone.apply(self)


def contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    """``self`` if its data is contiguous, else a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self)


# --- joining and splitting -------------------------------------------------------------------
@op("CatBackward0", samples=shape_samples("cat"))
class Cat(Primitive):
    @staticmethod
    def forward(ctx: Any, *arrays: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return tuple(grad.split(ctx.sizes, ctx.dim))


def cat(tensors: Any, dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Concatenates tensors along an existing dim.

    Args:
        tensors (sequence of Tensor): tensors of equal shape except in ``dim``.
        dim (int): the dim to join along.
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    # torch skips legacy empty 1-D tensors
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    ndim = tensors[0]._data.ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = wrap_dim(dim, ndim)
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        shape = t._data.shape
        if len(shape) != ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ndim} and {len(shape)}")
        for k in range(ndim):
            if k != d and shape[k] != ref[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref[k]} but got size {shape[k]} for tensor number {i} in the list.")
    common = dt.result_type_np(tuple(t._data for t in tensors))
    tensors = [t if t._data.dtype == common else cast(t, dt._BY_NUMPY[common]) for t in tensors]
    result = Cat.apply(*tensors, dim=d)
    if out is not None:
        from .arithmetic import _out

        return _out(result, out)
    return result


@op("StackBackward0", samples=shape_samples("stack"))
class Stack(Primitive):
    @staticmethod
    def forward(ctx: Any, *arrays: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return tuple(grad.unbind(ctx.dim))


def stack(tensors: Any, dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Joins tensors of equal shape along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}")
    common = dt.result_type_np(tuple(t._data for t in tensors))
    tensors = [t if t._data.dtype == common else cast(t, dt._BY_NUMPY[common]) for t in tensors]
    result = Stack.apply(*tensors, dim=wrap_dim(dim, len(ref) + 1))
    if out is not None:
        from .arithmetic import _out

        return _out(result, out)
    return result


class MultiOutput(Primitive):
    """A primitive returning several tensors (views of its input): one node, one output_nr
    per output, as torch's ``unbind``/``split`` record."""

    num_outputs = 1  # set per instance

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> tuple[Tensor, ...]:
            ctx = _new_node(cls)
            pieces = forward(ctx, x._data, **params)
            recording = x._requires_grad and _state.enabled
            outs = []
            base = x._base
            if base is None:
                base = x
            if recording:
                ctx.num_outputs = len(pieces)
                ctx.output_meta = [(p.shape, p.dtype) for p in pieces]
                first = record(ctx, (x,), pieces[0]) if pieces else None
                outs.append(first)
                for i, p in enumerate(pieces[1:], 1):
                    t = _make(p, ctx)
                    t._output_nr = i
                    outs.append(t)
            else:
                outs = [_make(p) for p in pieces]
            vc = shared_counter(x)
            for t in outs:
                t._vc = vc
                t._base = base
            return tuple(outs)

        return apply

    def _backward_multi(self, grads: list | None) -> Any:
        grads = list(grads) if grads is not None else [None] * self.num_outputs
        for i, (shape, np_dtype) in enumerate(self.output_meta):
            if grads[i] is None:
                grads[i] = _make(np.zeros(shape, dtype=np_dtype))
        return type(self).backward(self, *grads)


@op("UnbindBackward0", samples=shape_samples("unbind"))
class Unbind(MultiOutput):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> list:
        ctx.dim = dim
        return [x[(slice(None),) * dim + (i,)] for i in range(x.shape[dim])]

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:
        return stack(grads, ctx.dim)


def unbind(self: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Splits along ``dim`` into a tuple of tensors with that dim removed."""
    return Unbind.apply(self, dim=wrap_dim(dim, self._data.ndim))


@op("SplitWithSizesBackward0", samples=shape_samples("split"))
class Split(MultiOutput):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, sizes: tuple, dim: int) -> list:
        ctx.dim = dim
        bounds = np.cumsum(sizes)[:-1]
        return np.split(x, bounds, axis=dim)

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> Tensor:
        return cat(grads, ctx.dim)


def split(self: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Splits into chunks of ``split_size`` (the last may be smaller) or of the given sizes."""
    d = wrap_dim(dim, self._data.ndim)
    length = self._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and length:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {length}")
        sizes = tuple([size] * (length // size) + ([length % size] if length % size else []))
    else:
        sizes = tuple(int(s) for s in split_size_or_sections)
        if sum(sizes) != length:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's "
                f"size at dimension {d}), but got split_sizes={list(sizes)}")
    return Split.apply(self, sizes=sizes, dim=d)


for _name, _fn in (("view", view), ("reshape", reshape), ("flatten", flatten),
                   ("transpose", transpose), ("swapaxes", transpose), ("permute", permute),
                   ("squeeze", squeeze), ("unsqueeze", unsqueeze), ("expand", expand),
                   ("clone", clone), ("contiguous", contiguous), ("unbind", unbind),
                   ("split", split)):
    setattr(Tensor, _name, _fn)
Tensor.t = lambda self: T.apply(self)  # type: ignore[attr-defined]
Tensor.T = property(  # type: ignore[attr-defined]
    lambda self: Permute.apply(self, dims=tuple(range(self._data.ndim))[::-1]))
Tensor.mT = property(lambda self: transpose(self, -2, -1))  # type: ignore[attr-defined]
Tensor.view_as = lambda self, other: view(self, other._data.shape)  # type: ignore
Tensor.reshape_as = lambda self, other: reshape(self, other._data.shape)  # type: ignore
Tensor.expand_as = lambda self, other: expand(self, other._data.shape)  # type: ignore


def movedim(self: Tensor, source: Any, destination: Any) -> Tensor:
    """Moves dims from ``source`` positions to ``destination`` positions (a permute)."""
    ndim = self._data.ndim
    src = [wrap_dim(d, ndim) for d in ((source,) if isinstance(source, int) else source)]
    dst = [wrap_dim(d, ndim) for d in ((destination,) if isinstance(destination, int)
                                       else destination)]
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
            f"the same number of dims as destination ({dst} dims)")
    order: list[int | None] = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    return permute(self, [o if o is not None else next(rest) for o in order])


Tensor.movedim = Tensor.moveaxis = movedim  # type: ignore[attr-defined]


concat = cat
swapaxes = transpose
moveaxis = movedim
