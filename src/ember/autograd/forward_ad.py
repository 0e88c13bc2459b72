"""Forward-mode AD with dual tensors, as ``torch.autograd.forward_ad``.

Inside ``dual_level()``, ``make_dual(x, t)`` attaches the tangent ``t`` to ``x``; every op on
dual tensors then computes its output's tangent from its inputs' tangents, and
``unpack_dual(y)`` reads it back. How an op maps tangents is declared on the op (see
``ops/_op.py``): linear ops apply themselves to the tangents, elementwise ops reuse their
backward (their Jacobian is diagonal, so it is its own transpose), others give a ``jvp``.

Example::

    >>> with fwAD.dual_level():
    ...     x = fwAD.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 0.0]))
    ...     fwAD.unpack_dual(x.sin()).tangent
    tensor([0.5403, 0.0000])
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from typing import Any

from .._tensor import Tensor, _make, shared_counter

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level",
           "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

# per open level: the tensors holding its tangents, by id (a WeakSet would compare tensors
# with ==, which is elementwise for tensors)
_levels: list[dict[int, weakref.ref]] = []


def _set_active(active: bool) -> None:
    from ..ops import _op

    _op.forward_ad_enabled = active


def enter_dual_level() -> int:
    """Opens a new dual level (ember supports one at a time) and returns its index."""
    if _levels:
        raise RuntimeError(
            "Nested forward mode AD is not supported at the moment (ember supports one "
            "dual level at a time)")
    _levels.append({})
    _set_active(True)
    return len(_levels) - 1


def exit_dual_level(*, level: int | None = None) -> None:
    """Closes the current dual level; the tangents made inside it are dropped."""
    if not _levels:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one")
    for ref in _levels.pop().values():
        t = ref()
        if t is not None:
            t._fw_grad = None
    _set_active(False)


class dual_level:
    """Context manager for a forward-AD dual level: tangents exist only inside it."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _remember(t: Tensor) -> None:
    if _levels:
        _levels[-1][id(t)] = weakref.ref(t)


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A tensor with the values of ``tensor`` that carries ``tangent``.

    Args:
        tensor (Tensor): the primal (floating point).
        tangent (Tensor): the tangent, of the same shape.
    """
    if not _levels:
        raise RuntimeError(
            "To create a dual Tensor, you must be in a dual level context. Use "
            "`with ember.autograd.forward_ad.dual_level():`")
    if tensor._data.dtype.kind not in "fcV":
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}.")
    if tensor._requires_grad:
        from ..ops.indexing.getitem import Alias

        dual = Alias.apply(tensor)
    else:
        dual = _make(tensor._data)
        dual._vc = shared_counter(tensor)
    if tangent._data.dtype != tensor._data.dtype:
        tangent = tangent.to(tensor.dtype)
    dual._fw_grad = tangent
    _remember(dual)
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """Splits a dual tensor into its primal (a view without tangent) and its tangent."""
    tangent = tensor._fw_grad
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    from ..ops.indexing.getitem import Alias

    primal = Alias.apply(tensor) if tensor._requires_grad else _make(tensor._data)
    primal._fw_grad = None
    return UnpackedDualTensor(primal, tangent)


# ---------------------------------------------------------------------------------------------
# How ops propagate tangents; called from the ops' apply when a dual level is open.

def propagate(cls: Any, ctx: Any, inputs: tuple, params: dict, result: Any) -> None:
    """Sets the tangent of ``result`` (an op's output) from its ``inputs``' tangents;
    ``params`` are the op's keyword parameters, held fixed."""
    tangents = [x._fw_grad if isinstance(x, Tensor) else None for x in inputs]
    if all(t is None for t in tangents):
        return
    outputs = result if isinstance(result, tuple) else (result,)
    from ..ops import _op

    # The tangent arithmetic itself must not propagate tangents (its operands are dual
    # tensors too): one level of forward AD, as ember supports.
    _op.forward_ad_enabled = False
    try:
        out_tangent = _output_tangent(cls, ctx, inputs, params, tangents, outputs[0])
    finally:
        _op.forward_ad_enabled = True
    for out, tangent in zip(outputs, out_tangent if isinstance(out_tangent, tuple)
                            else (out_tangent,)):
        if tangent is None or not isinstance(out, Tensor):
            continue
        if tangent._data.dtype != out._data.dtype:
            tangent = tangent.to(out.dtype)
        if tangent._data.shape != out._data.shape:
            tangent = tangent.expand(out._data.shape)
        out._fw_grad = tangent
        _remember(out)


def _output_tangent(cls: Any, ctx: Any, inputs: tuple, params: dict, tangents: list,
                    output: Tensor) -> Any:
    if cls.linear:
        args = [_linear_arg(x, t) for x, t in zip(inputs, tangents)]
        return cls.apply(*args, **params)
    if cls.elementwise:
        return _elementwise_jvp(cls, ctx, inputs, tangents, output)
    if "jvp" in _class_attrs(cls):
        return cls.jvp(ctx, tuple(tangents), inputs, output)
    raise RuntimeError(
        f"Trying to use forward AD with {cls.__name__.replace('Backward0', '').lower()} "
        f"({cls.__name__}) that does not support it: ember has no forward-mode rule for "
        "this op yet.")


def _class_attrs(cls: type) -> set:
    names: set = set()
    for klass in cls.__mro__:
        names.update(vars(klass))
    return names


def _linear_arg(x: Any, tangent: Tensor | None) -> Any:
    if tangent is not None:
        return tangent
    if isinstance(x, Tensor):
        if x._data.dtype.kind in "fcV":
            from .._creation import zeros_like

            return zeros_like(x)
        return x  # masks and indices stay what they are
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, bool):
        return 0 * x  # a constant: the tangent of an affine op's constant term is zero
    return x


def _elementwise_jvp(cls: Any, ctx: Any, inputs: tuple, tangents: list, out: Tensor) -> Tensor:
    """For a diagonal Jacobian, J t = J^T t: run backward once per input with a tangent, on a
    scratch node that saves what the op's backward reads (the real tensors, so the tangent
    stays differentiable through the graph)."""
    from ..ops._op import version_of

    node = cls.__new__(cls)
    node.__dict__.update(getattr(ctx, "__dict__", {}))
    if cls.save_inputs:
        node._saved = inputs
        node._saved_versions = tuple(version_of(x) for x in inputs)
    node._fw_output = out
    total = None
    for i, tangent in enumerate(tangents):
        if tangent is None:
            continue
        # backward computes only the gradients whose edge is set: mark input i alone
        node._next = tuple(True if j == i else None for j in range(len(inputs)))
        if tangent._data.shape != out._data.shape:
            tangent = tangent.expand(out._data.shape)
        grads = cls.backward(node, tangent)
        part = grads[i] if isinstance(grads, tuple) else grads
        if part is not None:
            total = part if total is None else total + part
    node._next = (None,) * len(inputs)
    return total
