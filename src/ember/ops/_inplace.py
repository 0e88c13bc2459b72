"""In-place ops (``x += y``, ``x.mul_(2)``, ``x.exp_()``) expressed through their out-of-place
primitive.

NOTE [In-place through the out-of-place op]
    An in-place op computes the out-of-place result from a stand-in for the tensor's *old*
    value (same data, same place in the graph), writes the result into the tensor's own
    storage (so views of it see the change), then gives the tensor the new node and bumps its
    version counter. Backward therefore uses the very same formula as the out-of-place op.
    If the op saves its inputs, the stand-in holds a copy of the old values, so the formula
    sees what the forward saw.

Checks happen before anything is written, so a failed in-place op leaves its tensor as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, bump_version, shared_counter
from ..autograd import grad_mode
from ._op import save_output

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_ERROR = ("a view of a leaf Variable that requires grad is being used in an "
                       "in-place operation.")


def check_inplace(target: Tensor) -> None:
    """Raises torch's errors for in-place ops that autograd cannot allow."""
    if not grad_mode.state.enabled:
        return
    base = target._base
    if target.grad_fn is None and target._requires_grad:
        raise RuntimeError(_VIEW_OF_LEAF_ERROR if base is not None else _LEAF_ERROR)
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError(_VIEW_OF_LEAF_ERROR)


def _stand_in(target: Tensor, copy: bool) -> Tensor:
    old = _make(target._data.copy() if copy else target._data, target.grad_fn)
    old._requires_grad = target._requires_grad
    old._output_nr = target._output_nr
    if not copy:
        old._vc = shared_counter(target)
    return old


def _check_cast(result: np.ndarray, target: Tensor) -> None:
    if result.dtype == target._data.dtype and result.shape == target._data.shape:
        return
    src, dst = dt._BY_NUMPY[result.dtype], dt._BY_NUMPY[target._data.dtype]
    if not dt.can_cast(src, dst):
        raise RuntimeError(
            f"result type {dt.kind_name(src)} can't be cast to the desired output type "
            f"{dt.kind_name(dst)}")
    if result.shape != target._data.shape:
        raise RuntimeError(
            f"output with shape {list(target._data.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}")


def write_result(target: Tensor, result: Tensor) -> Tensor:
    """Writes ``result`` into ``target``'s storage and moves ``target`` to ``result``'s place
    in the graph."""
    _check_cast(result._data, target)
    if result.grad_fn is not None and target._base is not None:
        from .views import check_replayable

        check_replayable(target)  # before writing: a failed in-place op changes nothing
    if target._data.flags.writeable:
        np.copyto(target._data, result._data, casting="unsafe")
    else:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")
    bump_version(target)
    node = result.grad_fn
    if node is not None:
        _rebase(target, node)
    return target


def _rebase(target: Tensor, node: Any) -> None:
    base = target._base
    if base is not None and (base._requires_grad or node is not None):
        from .views import rebase_view

        rebase_view(target, node)
        return
    target.grad_fn = node
    target._requires_grad = True
    target._output_nr = 0
    if getattr(node, "save_output", False):
        save_output(node, target)


_UFUNCS: dict[str, np.ufunc] = {"AddBackward0": np.add, "SubBackward0": np.subtract,
                                 "MulBackward0": np.multiply, "DivBackward0": np.true_divide}


def _write_directly(target: Tensor, primitive: type | None, other: Any) -> bool:
    """The common no-grad case (optimizer updates): a float tensor combined with a same-dtype
    tensor or a number, written straight into ``target``'s memory by the NumPy ufunc, with
    no temporary. False when anything about it is unusual; the general path then runs."""
    ufunc = _UFUNCS.get(primitive.__name__) if primitive is not None else None
    data = target._data
    if ufunc is None or data.dtype.kind not in "fV" or not data.flags.writeable:
        return False
    if isinstance(other, Tensor):
        value = other._data
        if value.dtype != data.dtype or value.ndim > data.ndim:
            return False
    elif isinstance(other, (int, float)) and not isinstance(other, bool):
        value = other
    else:
        return False
    try:
        ufunc(data, value, out=data)
    except ValueError:  # shapes that do not broadcast into target: the general path says so
        return False
    bump_version(target)
    return True


def inplace_binary(target: Tensor, primitive: type | None, other: Any, name: str,
                   fn: Callable | None = None) -> Tensor:
    """``target <op>= other`` through ``primitive.apply`` (or ``fn``)."""
    compute = fn if fn is not None else primitive.apply  # type: ignore[union-attr]
    recording = grad_mode.state.enabled and (
        target._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
    if not recording:
        if _write_directly(target, primitive, other):
            return target
        result = compute(target, other)
        _check_cast(result._data, target)
        np.copyto(target._data, result._data, casting="unsafe")
        bump_version(target)
        return target
    check_inplace(target)
    saves = primitive is None or primitive.save_inputs
    result = compute(_stand_in(target, copy=saves), other)
    return write_result(target, result)


def inplace_unary(target: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """``target = compute(target)`` in place, for ops of one tensor (``exp_``, ``clamp_``)."""
    if not (grad_mode.state.enabled and target._requires_grad):
        result = compute(target)
        _check_cast(result._data, target)
        np.copyto(target._data, result._data, casting="unsafe")
        bump_version(target)
        return target
    check_inplace(target)
    result = compute(_stand_in(target, copy=True))
    return write_result(target, result)


def fill_(target: Tensor, value: Any) -> Tensor:
    """Fills ``target`` with ``value`` (a number or a 0-d tensor), in place."""
    from .pointwise.where_division import Fill

    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            "fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value._data.ndim} dimensions.")
    recording = grad_mode.state.enabled and (
        target._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if not recording:
        target._data[...] = value._data if isinstance(value, Tensor) else value
        bump_version(target)
        return target
    check_inplace(target)
    return write_result(target, Fill.apply(_stand_in(target, copy=False), value))


def zero_(target: Tensor) -> Tensor:
    """Fills ``target`` with zeros, in place."""
    return fill_(target, 0)


Tensor.fill_ = fill_  # type: ignore[attr-defined]
Tensor.zero_ = zero_  # type: ignore[attr-defined]


def copy_(target: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copies ``src`` (broadcast and cast) into ``target``, in place; returns ``target``."""
    from .misc import Copy

    if not isinstance(src, Tensor):
        raise TypeError(
            f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    try:
        values = np.broadcast_to(src._data, target._data.shape)
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(target._data.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(src._data.shape, target._data.shape))}") from None
    if not (grad_mode.state.enabled and (target._requires_grad or src._requires_grad)):
        np.copyto(target._data, values, casting="unsafe")
        bump_version(target)
        return target
    check_inplace(target)
    return write_result(target, Copy.apply(_stand_in(target, copy=False), src))


Tensor.copy_ = copy_  # type: ignore[attr-defined]


# --- in-place shape changes: the tensor becomes a differently shaped view of its own data ------
def _inplace_view(method: str) -> Callable:
    def reshape_in_place(self: Tensor, *args: Any) -> Tensor:
        check_inplace(self)
        result = getattr(self, method)(*args)  # recorded as the out-of-place view op
        self._data = result._data
        bump_version(self)
        if result.grad_fn is not None:
            self.grad_fn = result.grad_fn
            self._output_nr = result._output_nr
        return self

    reshape_in_place.__name__ = method + "_"
    reshape_in_place.__doc__ = f"``{method}`` in place: this tensor takes the new shape."
    return reshape_in_place


for _method in ("unsqueeze", "squeeze", "t", "transpose", "swapaxes", "swapdims"):
    setattr(Tensor, _method + "_", _inplace_view(_method))


def _inplace_view_samples(cls: type) -> list:
    from .samples import Sample, _values

    x = _values((2, 3), "real", 60)
    return [Sample(lambda lib, t: (t * 1).unsqueeze_(0) * 2, (x,), "unsqueeze_"),
            Sample(lambda lib, t: (t * 1).unsqueeze_(1).squeeze_(1) * 2, (x,), "squeeze_"),
            Sample(lambda lib, t: (t * 1).t_() * 2, (x,), "t_"),
            Sample(lambda lib, t: (t * 1).transpose_(0, 1) * 2, (x,), "transpose_"),
            Sample(lambda lib, t: (t * 1).swapaxes_(0, 1) * 2, (x,), "swapaxes_"),
            Sample(lambda lib, t: (t * 1).swapdims_(0, 1) * 2, (x,), "swapdims_")]


def _register_samples() -> None:
    from ._op import composite

    composite("in-place shape methods", _inplace_view_samples)


_register_samples()
