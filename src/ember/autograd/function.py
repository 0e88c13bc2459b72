"""Custom autograd Functions, as in torch: subclass ``Function``, write ``forward`` and
``backward`` as static methods, call ``MyFn.apply(...)``.

The node a custom Function records is an instance of a class made once per Function subclass,
named ``<ClassName>Backward`` (no digit, as torch names it). That node is also the ``ctx``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, _make, bump_version, shared_counter
from . import grad_mode
from .graph import Node, _saved_hooks_stack, set_edges

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) can tell ``backward``."""

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Saves tensors (inputs, outputs or intermediates) for ``backward``; version-checked
        so an in-place change before backward raises."""
        self._to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        self.saved_for_forward = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Declares inputs that ``forward`` modified in place."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Declares outputs that carry no gradient (indices, masks)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether None output gradients reach ``backward`` as zeros (the default) or None."""
        self._materialize_grads = value


class BackwardFunction(FunctionCtx, Node):
    """The node (and ctx) of one call of a custom Function."""

    _forward_cls: Any = None

    @property
    def saved_tensors(self) -> tuple:
        saved = getattr(self, "_saved", ())
        if saved is None:
            raise self._freed_error()
        result = []
        for entry in saved:
            if entry is None:
                result.append(None)
                continue
            t, version, unpack = entry
            if unpack is not None:
                t = unpack(t)
            elif t._version != version:
                from ..ops._op import _modified_error

                raise _modified_error(self, t, version)
            result.append(t)
        return tuple(result)

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:  # type: ignore[override]
        return self._needs_input_grad

    def release(self, where: str | None) -> None:
        if getattr(self, "_saved", ()):
            self._saved = None
            self._freed_at = where

    @property
    def num_outputs(self) -> int:  # type: ignore[override]
        return len(self._output_meta)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        """Called by the engine with one gradient per output (zeros for missing ones unless
        ``set_materialize_grads(False)``); returns one gradient per tensor input."""
        return ctx._call_user_backward(grads)

    def _backward_multi(self, grads: list | None) -> tuple:
        return self._call_user_backward(grads if grads is not None else [None] * self.num_outputs)

    def _call_user_backward(self, grads: Any) -> tuple:
        grads = list(grads)
        if getattr(self, "_materialize_grads", True):
            from .._creation import zeros

            for i, (shape, dtype) in enumerate(self._output_meta):
                if grads[i] is None:
                    grads[i] = zeros(shape, dtype=dtype)
        fn = self._forward_cls
        result = fn.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._arg_is_tensor)
        if len(result) != n_args:
            # torch tolerates extra trailing Nones
            if len(result) > n_args and all(r is None for r in result[n_args:]):
                result = result[:n_args]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n_args}, got {len(result)})")
        out = []
        for i, (is_tensor, g) in enumerate(zip(self._arg_is_tensor, result)):
            if not is_tensor:
                continue
            if g is not None:
                if not isinstance(g, Tensor):
                    raise TypeError(f"function {self.name()} returned a gradient at index {i} "
                                    f"that is not a Tensor: {type(g).__name__}")
                shape = self._input_shapes[i]
                if g._data.shape != shape:
                    if g._data.size != int(np.prod(shape)) and not _broadcastable(shape,
                                                                                  g._data.shape):
                        raise RuntimeError(
                            f"Function {self.name()} returned an invalid gradient at index {i} "
                            f"- got {list(g._data.shape)} but expected shape compatible with "
                            f"{list(shape)}")
                    from ..ops.reduction.sum_mean import sum_to_size

                    g = sum_to_size(g, shape) if _broadcastable(shape, g._data.shape) \
                        else g.reshape(shape)
            out.append(g)
        return tuple(out)


def _broadcastable(target: tuple, shape: tuple) -> bool:
    """Whether a gradient of ``shape`` can be summed down to ``target``."""
    if len(shape) < len(target):
        return False
    for t, s in zip(reversed(target), reversed(shape)):
        if t != s and t != 1:
            return False
    return True


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardFunction,), {"_forward_cls": cls})


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base of custom differentiable operations.

    Example::

        >>> class Exp(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         result = x.exp()
        ...         ctx.save_for_backward(result)
        ...         return result
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (result,) = ctx.saved_tensors
        ...         return grad * result
        >>> Exp.apply(ember.tensor([0.], requires_grad=True))
        tensor([1.], grad_fn=<ExpBackward>)
    """

    generate_vmap_rule = False

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        node = cls._backward_cls()
        uses_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if uses_setup:
                raw = cls.forward(*args, **kwargs)
                cls.setup_context(node, args, raw)
            else:
                raw = cls.forward(node, *args, **kwargs)
        result = _wrap_outputs(node, args, raw)
        from ..ops import _op

        if _op.forward_ad_enabled:
            _forward_tangents(cls, node, args, result)
        return result


def _wrap_outputs(node: BackwardFunction, args: tuple, raw: Any) -> Any:
    is_tuple = isinstance(raw, tuple)
    outputs = raw if is_tuple else (raw,)
    arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
    tensor_args = [a for a in args if isinstance(a, Tensor)]
    record = grad_mode.state.enabled and any(a._requires_grad for a in tensor_args)
    non_diff = {id(t) for t in getattr(node, "_non_differentiable", ())}
    dirty = {id(t) for t in getattr(node, "_dirty", ())}
    input_ids = {id(a) for a in tensor_args}

    wrapped = []
    for out in outputs:
        if not isinstance(out, Tensor):
            wrapped.append(out)
            continue
        if id(out) in dirty:
            t = out  # modified in place: the input itself takes the new history
            bump_version(t)
        elif id(out) in input_ids:
            t = _make(out._data)  # an input returned as is becomes a view of it
            t._base = out
            t._vc = shared_counter(out)
        elif out.grad_fn is not None or out._requires_grad:
            t = _make(out._data)
            t._vc = shared_counter(out)
        else:
            t = out
        wrapped.append(t)

    if record:
        set_edges(node, tuple(tensor_args))
        node._needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        node._arg_is_tensor = arg_is_tensor
        node._input_shapes = tuple(a._data.shape if isinstance(a, Tensor) else None
                                   for a in args)
        node._output_meta = tuple((t._data.shape, t.dtype) for t in wrapped
                                  if isinstance(t, Tensor))
        index = 0
        for t in wrapped:
            if not isinstance(t, Tensor):
                continue
            if id(t) not in non_diff and t._data.dtype.kind in "fcV":
                if id(t) in dirty and t.grad_fn is None and t._requires_grad:
                    raise RuntimeError(
                        "a leaf Variable that requires grad is being used in an in-place "
                        "operation.")
                t.grad_fn = node
                t._requires_grad = True
                t._output_nr = index
            index += 1
    to_save = getattr(node, "_to_save", None)
    if to_save is not None:
        node._saved = tuple(_pack(t, args, outputs, wrapped) for t in to_save)
        del node._to_save
    result = tuple(wrapped)
    return result if is_tuple else result[0]


def _forward_tangents(cls: Any, ctx: Any, args: tuple, result: Any) -> None:
    """Forward-mode AD through a custom Function: its ``jvp(ctx, *tangents)`` gives the
    outputs' tangents from one tangent per input (zeros for tensors without one)."""
    from .._creation import zeros_like
    from ..ops import _op
    from .forward_ad import _remember

    tangents = [a._fw_grad if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tangents):
        return
    tangents = [zeros_like(a) if isinstance(a, Tensor) and t is None else t
                for a, t in zip(args, tangents)]
    _op.forward_ad_enabled = False
    try:
        out_tangents = cls.jvp(ctx, *tangents)
    finally:
        _op.forward_ad_enabled = True
    outputs = result if isinstance(result, tuple) else (result,)
    out_tangents = out_tangents if isinstance(out_tangents, tuple) else (out_tangents,)
    for out, tangent in zip(outputs, out_tangents):
        if isinstance(out, Tensor) and tangent is not None:
            out._fw_grad = tangent
            _remember(out)


def _pack(t: Tensor | None, args: tuple, raw_outputs: tuple, wrapped: list) -> Any:
    if t is None:
        return None
    for raw, w in zip(raw_outputs, wrapped):
        if raw is t:
            t = w
            break
    if _saved_hooks_stack:
        pack, unpack = _saved_hooks_stack[-1]
        return (pack(t), None, unpack)
    return (t, t._version, None)


def once_differentiable(fn: Callable) -> Callable:
    """Marks a ``backward`` as not differentiable itself: it runs without recording, and a
    second-order gradient through it raises."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.state.enabled:
            return outputs
        connected = [a for a in args if isinstance(a, Tensor) and a._requires_grad]
        if not connected:
            return outputs
        from ..ops.misc import DelayedError

        single = not isinstance(outputs, tuple)
        items = (outputs,) if single else outputs
        items = tuple(
            DelayedError.apply(o, *connected, message="trying to differentiate twice a function "
                               "that was marked with @once_differentiable")
            if isinstance(o, Tensor) else o for o in items)
        return items[0] if single else items

    return wrapper
