"""The pieces the reduction families (``prod_cumsum_norm``, ``variance``, ``extrema``, ``sorting``)
share: torch's named-tuple results (``values``/``indices``), forward-mode AD for reductions, a
primitive base for ops returning (differentiable values, integer indices), and gather/scatter
along a dim written as primitives, so that the backward of an index-selecting reduction (max
over a dim, sort, median) is itself differentiable."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .. import _op
from .._op import Primitive, UnaryOp, _new_node, record_unary
from .sum_mean import SumDim, _state, unreduce

__all__ = []


# --- named-tuple results -----------------------------------------------------------------------
_RETURN_TYPES: dict[str, type] = {}


def return_type(name: str) -> type:
    """torch's ``torch.return_types.<name>``: a tuple with ``.values`` and ``.indices``."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        def __new__(klass: type, values: Tensor, indices: Tensor) -> Any:
            return tuple.__new__(klass, (values, indices))

        def __repr__(self: Any) -> str:
            return f"ember.return_types.{name}(\nvalues={self[0]!r},\nindices={self[1]!r})"

        def __reduce__(self: Any) -> Any:
            return (return_type_of, (name, tuple(self)))

        cls = type(name, (tuple,), {
            "__slots__": (), "__new__": __new__, "__repr__": __repr__, "__reduce__": __reduce__,
            "values": property(lambda self: self[0]), "indices": property(lambda self: self[1]),
            "n_fields": 2, "n_sequence_fields": 2, "__module__": "ember.return_types"})
        _RETURN_TYPES[name] = cls
    return cls


def return_type_of(name: str, items: tuple) -> Any:
    return return_type(name)(*items)


class ValuesIndices(Primitive):
    """An op of one tensor returning (values, indices): one node, recorded on ``values`` only,
    as torch records max(dim), sort, topk. ``forward`` returns both arrays and stores on ``ctx``
    whatever backward needs."""

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> tuple[Tensor, Tensor]:
            ctx = _new_node(cls)
            values, indices = forward(ctx, x._data, **params)
            if x._requires_grad and _state.enabled:
                result = record_unary(ctx, x, values), _make(indices)
            else:
                result = _make(values), _make(indices)
            if _op.forward_ad_enabled:
                _propagate(cls, ctx, x, params, result)
            return result

        return apply

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
        """The tangent of the values: the input's tangent at the selected indices."""
        tangent = TakeAlong.apply(tangents[0], indices=ctx.indices, dim=ctx.dim)
        if ctx.dim is not None and not ctx.keepdim and tangent._data.ndim > output._data.ndim:
            tangent = tangent.squeeze(ctx.dim)
        return tangent


def _propagate(cls: type, ctx: Any, x: Tensor, params: dict, result: Any) -> None:
    from ...autograd import forward_ad

    forward_ad.propagate(cls, ctx, (x,), params, result)


def reduction_jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor:
    """Forward-mode rule of a reduction whose backward is ``grad * D`` with ``D`` not depending
    on ``grad``: the tangent is ``sum(t * D)`` over the reduced dims. ``D`` comes from running
    the op's backward with a gradient of ones on a scratch node holding the real tensors (so
    the tangent stays differentiable)."""
    from .._op import version_of

    cls = type(ctx)
    node = cls.__new__(cls)
    node.__dict__.update(ctx.__dict__)
    if cls.save_inputs:
        node._saved = inputs
        node._saved_versions = tuple(version_of(x) for x in inputs)
    node._fw_output = output
    node._next = (True,)
    with no_forward_ad():
        ones = _make(np.ones(output._data.shape, dtype=output._data.dtype))
        local = cls.backward(node, ones)
        if local is None:
            return _make(np.zeros(output._data.shape, dtype=output._data.dtype))
        product = tangents[0] * local
        dims = ctx.__dict__.get("dims")
        if dims is None:  # whole-tensor forms
            dims = tuple(range(product._data.ndim))
        if not dims:
            return product
        return SumDim.apply(product, dims=dims, keepdim=bool(ctx.__dict__.get("keepdim")))


class no_forward_ad:  # noqa: N801 - used like torch's context managers
    """Computes a tangent without propagating tangents-of-tangents through its own ops (one
    dual level, as torch's non-nested forward AD)."""

    def __enter__(self) -> None:
        self.previous = _op.forward_ad_enabled
        _op.forward_ad_enabled = False

    def __exit__(self, *exc: Any) -> None:
        _op.forward_ad_enabled = self.previous


class MultiResult(Primitive):
    """An op of one tensor returning several differentiable tensors (var_mean): one node with
    an output number per result; ``backward(ctx, *grads)`` gets zeros for unused outputs."""

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> tuple[Tensor, ...]:
            ctx = _new_node(cls)
            pieces = forward(ctx, x._data, **params)
            if not (x._requires_grad and _state.enabled):
                result = tuple(_make(p) for p in pieces)
            else:
                ctx.num_outputs = len(pieces)
                ctx.output_meta = [(p.shape, p.dtype) for p in pieces]
                outs = [record_unary(ctx, x, pieces[0])]
                for i, p in enumerate(pieces[1:], 1):
                    t = _make(p, ctx)
                    t._output_nr = i
                    outs.append(t)
                result = tuple(outs)
            if _op.forward_ad_enabled:
                _propagate(cls, ctx, x, params, result)
            return result

        return apply

    def _backward_multi(self, grads: list | None) -> Any:
        grads = list(grads) if grads is not None else [None] * self.num_outputs
        for i, (shape, np_dtype) in enumerate(self.output_meta):
            if grads[i] is None:
                grads[i] = _make(np.zeros(shape, dtype=np_dtype))
        return type(self).backward(self, *grads)


# --- gather/scatter along a dim, for the backward of index-selecting reductions ---------------
# Not registered as ops of their own (gather.py owns torch's gather/scatter); named as the
# nodes torch's double backward shows.
class TakeAlong(UnaryOp):
    """``x`` gathered along ``dim`` at ``indices`` (an int64 array shaped like the result)."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, indices: np.ndarray, dim: int | None) -> np.ndarray:
        ctx.shape, ctx.indices, ctx.dim = x.shape, indices, dim
        if dim is None:
            return x.copy()
        return np.take_along_axis(x, indices, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return PutAlong.apply(grad, indices=ctx.indices, dim=ctx.dim, shape=ctx.shape)


class PutAlong(UnaryOp):
    """Zeros of ``shape`` with ``grad`` added along ``dim`` at ``indices``: the gradient of
    ``TakeAlong``."""

    linear = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, indices: np.ndarray, dim: int | None,
                shape: tuple) -> np.ndarray:
        ctx.indices, ctx.dim = indices, dim
        if dim is None:
            return np.broadcast_to(grad, shape).copy()
        out = np.zeros(shape, dtype=grad.dtype)
        if indices.size:
            # indices along a dim may repeat only for TakeAlong's own double backward
            lead = np.indices(indices.shape, sparse=True)
            key = tuple(indices if i == dim else ix for i, ix in enumerate(lead))
            np.add.at(out, key, grad)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return TakeAlong.apply(grad, indices=ctx.indices, dim=ctx.dim)


TakeAlong.__name__ = TakeAlong.__qualname__ = "GatherBackward0"
PutAlong.__name__ = PutAlong.__qualname__ = "ScatterAddBackward0"


class Flip(UnaryOp):
    """Reverses ``dim``: the building block of reversed cumulative sums and products."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.flip(x, dim).copy()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Flip.apply(grad, dim=ctx.dim)


Flip.__name__ = Flip.__qualname__ = "FlipBackward0"


class Shift(UnaryOp):
    """Moves ``x`` one step along ``dim`` (towards the end if ``forward_``), dropping the
    element that falls off and filling the vacated place with ``fill``: exclusive cumulative
    products are a shift of inclusive ones."""

    linear = True  # in x; the fill is a constant that only the forward of cumprod uses

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int, forward_: bool, fill: float) -> np.ndarray:
        ctx.dim, ctx.forward_ = dim, forward_
        out = np.full_like(x, fill)
        n = x.shape[dim]
        keep = [slice(None)] * x.ndim
        put = list(keep)
        keep[dim], put[dim] = (slice(0, n - 1), slice(1, n)) if forward_ else (
            slice(1, n), slice(0, n - 1))
        out[tuple(put)] = x[tuple(keep)]
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return Shift.apply(grad, dim=ctx.dim, forward_=not ctx.forward_, fill=0.0)


Shift.__name__ = Shift.__qualname__ = "ConstantPadNdBackward0"


def where(condition: np.ndarray, a: Any, b: Any) -> Tensor:
    """``ember.where`` with a constant NumPy mask (looked up late: another module owns it)."""
    import ember

    return ember.where(_make(condition), a, b)


def select_backward(grad: Tensor, ctx: Any) -> Tensor:
    """The gradient of a (values, indices) reduction: ``grad`` lands at the selected indices
    (``ctx.indices`` kept-dim shaped, ``ctx.dim``, ``ctx.shape``, ``ctx.keepdim``)."""
    if ctx.dim is not None and not ctx.keepdim and ctx.indices.ndim > grad._data.ndim:
        grad = grad.unsqueeze(ctx.dim)
    return PutAlong.apply(grad, indices=ctx.indices, dim=ctx.dim, shape=ctx.shape)


def evenly_distribute(grad: Tensor, x: np.ndarray, result: np.ndarray, dims: tuple[int, ...],
                      keepdim: bool, nan_equal: bool = True) -> Tensor:
    """torch's gradient for a whole-tensor max/min/median and for amax/amin: split evenly
    among the elements equal to the result. A NaN result counts as equal to the NaNs
    (``nan_equal``, max/median) or to nothing, making the gradient NaN (amax)."""
    kept = result if keepdim or not dims else np.expand_dims(result, dims)
    mask = x == kept
    if nan_equal and x.dtype.kind in "fV":
        mask |= np.isnan(x) & np.isnan(kept)
    count = mask.sum(axis=dims, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = mask / count
    grad = unreduce(grad, x.shape, dims, keepdim)
    return grad * _make(weights.astype(grad._data.dtype, copy=False))
