"""The elementwise sweep: every pointwise op of ember's op table, forward and backward, on a
(12, 64, 512) float32 tensor, under ember and torch.

The op list comes from the registry (``ember.ops._op.REGISTRY``): each primitive that is a
binary elementwise op or has a diagonal Jacobian (``elementwise``), plus neg, rsub, softmax
and log_softmax, whose first smooth sample keeps its input's shape. The call is the op's own
test sample (``lib.nn.functional.gelu(x)``, ``x.erf()``, ``lib.remainder(a, b)``), fed large
inputs drawn uniformly from the range its samples use, so each op sees its own domain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

SHAPE = (12, 64, 512)


# linear unary ops that are pointwise (other linear unary ops reshape, flip or accumulate), and
# the row-wise ops the speed issue tracks with the pointwise ones
EXTRA = ("NegBackward0", "RsubBackward1", "SoftmaxBackward0", "LogSoftmaxBackward0")


def _pointwise(cls: type) -> bool:
    from ember.ops._op import BinaryOp

    if cls.__name__.endswith("BackwardBackward0"):  # double-backward helpers: no public call
        return False
    if cls.samples is None:
        return False
    return issubclass(cls, BinaryOp) or cls.elementwise or cls.__name__ in EXTRA


def _float_arrays(sample: Any) -> bool:
    return all(not isinstance(a, np.ndarray) or a.dtype.kind == "f" for a in sample.inputs)


def _case(name: str, cls: type, ember: Any) -> tuple[Callable, list] | None:
    """The op's first smooth sample (its call) and, per input, the value range its smooth
    samples use; None when the op takes non-float tensors or changes its input's shape."""
    samples = [s for s in cls.samples(cls) if s.gradcheck and _float_arrays(s)]
    if not samples:
        return None
    first = samples[0]
    ranges: list = []
    for i, a in enumerate(first.inputs):
        if not isinstance(a, np.ndarray):
            ranges.append(a)
            continue
        values = np.concatenate([np.ravel(s.inputs[i]) for s in samples
                                 if len(s.inputs) > i and isinstance(s.inputs[i], np.ndarray)])
        ranges.append((float(values.min()), float(values.max())))
    probe = [ember.ones(2, 3) if isinstance(r, tuple) else r for r in ranges]
    try:
        out = first.call(ember, *probe)
    except Exception:  # the call wants a specific shape: not a plain pointwise call
        return None
    if not hasattr(out, "shape") or tuple(out.shape) != (2, 3):
        return None
    node = out.grad_fn
    if node is not None and node.name() != name:
        return None  # the sample reaches the op through another op's node
    return first.call, ranges


def cases(ember: Any) -> list[tuple[str, Callable, list]]:
    """(node name, call, input ranges) for every pointwise op in the table."""
    import ember.nn.functional  # noqa: F401 - registers nn's ops
    from ember.ops._op import REGISTRY, Primitive

    found = []
    for name, cls in sorted(REGISTRY.items()):
        if not (isinstance(cls, type) and issubclass(cls, Primitive)):
            continue
        if not _pointwise(cls):
            continue
        case = _case(name, cls, ember)
        if case is not None:
            found.append((name, *case))
    return found


def inputs(ranges: list, seed: int = 0) -> list:
    """Large float32 arrays, one per tensor input, uniform over the sample's range."""
    rng = np.random.default_rng(seed)
    arrays: list = []
    for r in ranges:
        if isinstance(r, tuple):
            low, high = r
            if high - low < 1e-6:  # a single sample value: spread around it
                low, high = low - 0.5, high + 0.5
            arrays.append(rng.uniform(low, high, SHAPE).astype(np.float32))
        else:
            arrays.append(r)
    return arrays


def build(lib: Any, call: Callable, arrays: list, backward: bool = True) -> Callable[[], Any]:
    """One forward (and backward, with a ones gradient) of ``call`` on ``arrays``."""
    tensors = [lib.tensor(a, requires_grad=backward) if isinstance(a, np.ndarray) else a
               for a in arrays]
    leaves = [t for t in tensors if hasattr(t, "grad")]
    grad = lib.ones(SHAPE)

    def step() -> Any:
        out = call(lib, *tensors)
        if backward:
            out.backward(grad)
            for t in leaves:
                t.grad = None
        return out

    return step
