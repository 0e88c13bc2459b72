"""Padding of nn.functional.pad: constant padding (ConstantPadNdBackward0) and the reflect,
replicate and circular modes, which gather through precomputed index maps."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from .._op import UnaryOp, op
from ..samples import Sample, _values


def _pad_samples(cls: type) -> list[Sample]:
    x = _values((2, 3, 4), "real", 0)
    return [
        Sample(lambda lib, t: lib.nn.functional.pad(t, (1, 2)), (x,), "last"),
        Sample(lambda lib, t: lib.nn.functional.pad(t, (1, 0, 0, 2), value=1.5), (x,), "value"),
        Sample(lambda lib, t: lib.nn.functional.pad(t, (-1, 2, 1, -1)), (x,), "negative"),
    ]


@op("ConstantPadNdBackward0", samples=_pad_samples)
class ConstantPadNd(UnaryOp):
    """Pads (or, with negative amounts, crops) the last dims; ``pad`` pairs run from the last
    dim backwards, as in torch."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, pad: tuple, value: float = 0.0) -> np.ndarray:
        ctx.pad = pad
        pairs = [(0, 0)] * x.ndim
        crops = [slice(None)] * x.ndim
        for i in range(len(pad) // 2):
            dim = x.ndim - 1 - i
            left, right = pad[2 * i], pad[2 * i + 1]
            pairs[dim] = (max(left, 0), max(right, 0))
            size = x.shape[dim] + max(left, 0) + max(right, 0)
            crops[dim] = slice(max(-left, 0), size - max(-right, 0))
        padded = np.pad(x, pairs, mode="constant", constant_values=value)
        return np.ascontiguousarray(padded[tuple(crops)])

    formula = {"x": "grad with the padding cut off"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # cropping is the adjoint of zero-padding and the other way round
        return ConstantPadNd.apply(grad, pad=tuple(-p for p in ctx.pad), value=0.0)


def _index_pad_samples(mode: str, k: int) -> Any:
    def make(cls: type) -> list[Sample]:
        shape = {1: (2, 3, 4), 2: (1, 2, 3, 4), 3: (1, 2, 3, 3, 4)}[k]
        pad = (2, 1, 1, 2, 1, 0)[: 2 * k]
        return [Sample(lambda lib, t: lib.nn.functional.pad(t, pad, mode=mode),
                       (_values(shape, "real", k),), f"{mode}{k}d")]

    return make


class _IndexPad(UnaryOp):
    """Reflect/replicate padding: each output element copies one input element, found by an
    index map per padded dim."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, maps: tuple) -> np.ndarray:
        ctx.maps, ctx.in_shape = maps, x.shape
        out = x
        for dim, idx in maps:
            out = np.take(out, idx, axis=dim)
        return out

    @classmethod
    def _adjoint(cls, ctx: Any, grad: Tensor) -> Tensor:
        return _IndexPadAdjoint.apply(grad, maps=ctx.maps, in_shape=ctx.in_shape, forward=cls)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return type(ctx)._adjoint(ctx, grad)


class _IndexPadAdjoint(UnaryOp):
    """Sums each output gradient back into the input element it was copied from."""

    linear = True

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, maps: tuple, in_shape: tuple,
                forward: type) -> np.ndarray:
        ctx.maps, ctx.forward_cls = maps, forward
        out = grad
        for dim, idx in reversed(maps):
            shape = list(out.shape)
            shape[dim] = in_shape[dim]
            acc = np.zeros(shape, dtype=grad.dtype)
            key = (slice(None),) * dim + (idx,)
            np.add.at(acc, key, out)
            out = acc
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return ctx.forward_cls.apply(grad, maps=ctx.maps)


_IndexPadAdjoint.__name__ = _IndexPadAdjoint.__qualname__ = "PadBackwardBackward0"

_PAD_FORMULAS = {
    "reflect": {"x": "grad with each padded element added onto the one it mirrors"},
    "replicate": {"x": "grad with each padded element added onto the edge it copies"},
}
PAD_NODES: dict[tuple[str, int], type] = {}
for _mode, _title in (("reflect", "Reflection"), ("replicate", "Replication")):
    for _k in (1, 2, 3):
        _cls = type(f"{_title}Pad{_k}d", (_IndexPad,), {"formula": _PAD_FORMULAS[_mode]})
        PAD_NODES[(_mode, _k)] = op(f"{_title}Pad{_k}DBackward0",
                                    samples=_index_pad_samples(_mode, _k))(_cls)


def pad_index_maps(shape: tuple, pad: tuple, mode: str) -> tuple:
    """For each padded dim ``(dim, index array)``: which input element each output copies."""
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    maps = []
    for i in range(len(pad) // 2):
        dim = len(shape) - 1 - i
        idx = np.pad(np.arange(shape[dim]), (pad[2 * i], pad[2 * i + 1]), mode=np_mode)
        maps.append((dim, idx))
    return tuple(maps)
