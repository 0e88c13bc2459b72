"""Fused multiply-adds of elementwise tensors: lerp (``start + weight * (end - start)``),
addcmul and addcdiv."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor
from .._op import Primitive, broadcast_error, op
from ..samples import Sample, _values
from .where_division import _C_NAMES, _meta, _not_implemented, _out, inplace_many

__all__ = ["lerp", "addcmul", "addcdiv"]


# --- interpolation and fused multiply-adds ------------------------------------------------------
def _lerp_check(start: np.ndarray, end: np.ndarray, weight: Any, kernel: str) -> Any:
    if start.dtype != end.dtype:
        raise RuntimeError(f"expected dtype {_C_NAMES[start.dtype.name]} for `end` but got "
                           f"dtype {_C_NAMES[end.dtype.name]}")
    if isinstance(weight, np.ndarray) and weight.dtype != start.dtype:
        if weight.ndim:  # a 0-d weight is converted; a dimensioned one must match
            raise RuntimeError(f"expected dtype {_C_NAMES[start.dtype.name]} for `weight` but "
                               f"got dtype {_C_NAMES[weight.dtype.name]}")
        weight = weight.astype(start.dtype)
    if start.dtype.kind not in "fcV":
        raise _not_implemented(kernel, start)
    return weight


def _lerp_forward(ctx: Any, start: np.ndarray, end: np.ndarray, weight: Any) -> np.ndarray:
    tensor_weight = isinstance(weight, np.ndarray)
    kernel = "lerp_kernel_tensor" if tensor_weight and weight.ndim else "lerp_kernel_scalar"
    weight = _lerp_check(start, end, weight, kernel)
    ctx.input_meta = _meta((start, end, weight))
    if not tensor_weight:
        ctx.weight = weight
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            return _lerp_values(start, end, weight, tensor_weight)
    except ValueError as err:
        raise broadcast_error(start, end, err) from None


def _lerp_values(start: np.ndarray, end: np.ndarray, weight: Any,
                 tensor_weight: bool) -> np.ndarray:
    diff = end - start
    # from whichever end is nearer, so that weight 1 gives exactly ``end``
    if not tensor_weight:
        return start + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight)
    return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))


@op("LerpBackward0", samples=lambda cls: [
    Sample(lambda lib, a, b: lib.lerp(a, b, 0.3), (_values((2, 3), "real", 0),
                                                  _values((3,), "real", 1)), "0.3"),
    Sample(lambda lib, a, b: a.lerp(b, 0.8), (_values((2, 1), "real", 2),
                                             _values((1, 3), "real", 3)), "0.8")])
class Lerp(Primitive):
    """``start + weight * (end - start)`` for a Python number ``weight``."""

    elementwise = True
    forward = staticmethod(_lerp_forward)

    formula = {"start": "grad * (1 - weight)", "end": "grad * weight"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        w = ctx.weight
        return (grad * (1 - w) if ctx._next[0] else None, grad * w if ctx._next[1] else None)


@op("LerpBackward1", samples=lambda cls: [
    Sample(lambda lib, a, b, w: lib.lerp(a, b, w), (_values((2, 3), "real", 0),
           _values((3,), "real", 1), _values((2, 3), "real", 2)), "tensor-weight"),
    Sample(lambda lib, a, b, w: a.lerp(b, w), (_values((3,), "real", 3),
           _values((3,), "real", 4), np.array(0.7)), "0-d-weight"),
    Sample(lambda lib, a, b, w: (a * 1).lerp_(b, w), (_values((3,), "real", 5),
           _values((3,), "real", 6), _values((3,), "real", 7)), "lerp_")])
class LerpTensor(Primitive):
    save_inputs = True
    elementwise = True
    forward = staticmethod(_lerp_forward)

    formula = {
        "start": "grad * (1 - weight)",
        "end": "grad * weight",
        "weight": "grad * (end - start)",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        start, end, w = ctx.saved_tensors
        return (grad * (1 - w) if ctx._next[0] else None, grad * w if ctx._next[1] else None,
                grad * (end - start) if ctx._next[2] else None)


def lerp(input: Tensor, end: Tensor, weight: Any, *, out: Tensor | None = None) -> Tensor:
    """Linear interpolation: ``input + weight * (end - input)``, elementwise.

    Args:
        input (Tensor): the start points.
        end (Tensor): the end points (same dtype as ``input``).
        weight (Number or Tensor): the interpolation weights.
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.lerp(ember.tensor([0.0, 1.0]), ember.tensor([10.0, 2.0]), 0.5)
        tensor([5.0000, 1.5000])
    """
    if isinstance(weight, Tensor):
        return _out(LerpTensor.apply(input, end, weight), out)
    return _out(Lerp.apply(input, end, weight=weight), out)


def _addc_forward(ctx: Any, x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any,
                  divide: bool) -> np.ndarray:
    if divide and t1.dtype.kind in "iub" and t2.dtype.kind in "iub":
        raise RuntimeError(_ADDCDIV_INTEGER)
    common = x.dtype if x.dtype == t1.dtype == t2.dtype else dt.result_type_np((x, t1, t2))
    if common == np.bool_:
        raise _not_implemented("addcdiv_cpu_out" if divide else "addcmul_cpu_out", x)
    ctx.input_meta = _meta((x, t1, t2))
    ctx.value = value
    if common.kind in "iu":
        value = int(value)  # torch converts the scalar to the integer dtype first
    x, t1, t2 = (a.astype(common, copy=False) for a in (x, t1, t2))
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return x + value * t1 / t2 if divide else x + value * t1 * t2
    except ValueError as err:
        raise broadcast_error(x, t1 * t2, err) from None


def _addc_samples(name: str) -> Any:
    rhs = "nonzero" if name == "addcdiv" else "real"
    return lambda cls: [
        Sample(lambda lib, x, a, b: getattr(lib, name)(x, a, b, value=0.5),
               (_values((2, 3), "real", 0), _values((3,), "real", 1),
                _values((2, 1), rhs, 2)), "broadcast"),
        Sample(lambda lib, x, a, b: getattr(x, name)(a, b), (_values((), "real", 3),
               _values((4,), "real", 4), _values((4,), rhs, 5)), "0-d-input"),
        Sample(lambda lib, x, a, b: getattr(x * 1, name + "_")(a, b, value=2),
               (_values((4,), "real", 6), _values((4,), "real", 7), _values((4,), rhs, 8)),
               "in-place")]


@op("AddcmulBackward0", samples=_addc_samples("addcmul"))
class Addcmul(Primitive):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, t1: np.ndarray, t2: np.ndarray,
                value: Any) -> np.ndarray:
        return _addc_forward(ctx, x, t1, t2, value, divide=False)

    formula = {"x": "grad", "t1": "grad * value * t2", "t2": "grad * value * t1"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, t1, t2 = ctx.saved_tensors
        value = ctx.value
        return (grad if ctx._next[0] else None,
                grad * t2 * value if ctx._next[1] else None,
                grad * t1 * value if ctx._next[2] else None)


@op("AddcdivBackward0", samples=_addc_samples("addcdiv"))
class Addcdiv(Primitive):
    save_inputs = True
    elementwise = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, t1: np.ndarray, t2: np.ndarray,
                value: Any) -> np.ndarray:
        return _addc_forward(ctx, x, t1, t2, value, divide=True)

    formula = {"x": "grad", "t1": "grad * value / t2", "t2": "-grad * value * t1 / t2 ** 2"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, t1, t2 = ctx.saved_tensors
        value = ctx.value
        return (grad if ctx._next[0] else None,
                grad * value / t2 if ctx._next[1] else None,
                -grad * value * t1 / (t2 * t2) if ctx._next[2] else None)


_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * ember.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
    "for all dtypes.")


def _addc(primitive: type, name: str) -> Any:
    def function(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1,
                 out: Tensor | None = None) -> Tensor:
        args = (("input", input), ("tensor1", tensor1), ("tensor2", tensor2))
        for position, (arg, given) in enumerate(args, 1):
            if not isinstance(given, Tensor):
                raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be "
                                f"Tensor, not {type(given).__name__}")
        return _out(primitive.apply(input, tensor1, tensor2, value=value), out)

    def method_(self: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return inplace_many(self, lambda t: function(t, tensor1, tensor2, value=value),
                            (tensor1, tensor2))

    function.__name__ = function.__qualname__ = name
    setattr(Tensor, name, function)
    setattr(Tensor, name + "_", method_)
    return function


addcmul = _addc(Addcmul, "addcmul")
addcmul.__doc__ = """``input + value * tensor1 * tensor2``, elementwise with broadcasting.

    Args:
        input (Tensor): the tensor added to.
        tensor1 (Tensor): the first factor.
        tensor2 (Tensor): the second factor.
        value (Number): the multiplier (truncated for integer results, as torch does).
        out (Tensor, optional): the output tensor.

    Example::

        >>> ember.addcmul(ember.zeros(2), ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor([3., 8.])
    """
addcdiv = _addc(Addcdiv, "addcdiv")
addcdiv.__doc__ = """``input + value * tensor1 / tensor2``, elementwise with broadcasting;
    ``tensor1`` and ``tensor2`` may not both be integer.

    Example::

        >>> ember.addcdiv(ember.zeros(2), ember.tensor([1.0, 2.0]), ember.tensor([4.0, 4.0]))
        tensor([0.2500, 0.5000])
    """

Tensor.lerp = lerp  # type: ignore[attr-defined]
Tensor.lerp_ = lambda self, end, weight: inplace_many(  # type: ignore[attr-defined]
    self, lambda t: lerp(t, end, weight), (end, weight))
