"""The embedding lookup of nn.Embedding (EmbeddingBackward0) and its dense backward, written as
a primitive of its own so that it differentiates again."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._op import UnaryOp, op
from ..samples import Sample, _values


def _embedding_samples(cls: type) -> list[Sample]:
    w = _values((5, 3), "real", 0)
    idx = np.array([[0, 2, 4], [2, 2, 1]])
    return [
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w), (idx, w), "2-D"),
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w, padding_idx=2), (idx, w),
               "padding", gradcheck=False),  # by design not the true gradient: torch agrees
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w, scale_grad_by_freq=True),
               (idx, w), "freq", gradcheck=False),
        Sample(lambda lib, i, w: lib.nn.functional.embedding(i, w), (np.array(3), w), "0-d"),
    ]


@op("EmbeddingBackward0", samples=_embedding_samples)
class Embedding(UnaryOp):
    """Rows of ``weight`` picked by integer ``indices``. The gradient of a row used several
    times is the sum of its gradients; the ``padding_idx`` row gets none."""

    @staticmethod
    def forward(ctx: Any, weight: np.ndarray, indices: np.ndarray, padding_idx: int = -1,
                scale_grad_by_freq: bool = False, zero_padding: bool = False) -> np.ndarray:
        ctx.indices, ctx.padding_idx, ctx.freq = indices, padding_idx, scale_grad_by_freq
        ctx.num_weights = weight.shape[0]
        out = weight[indices]
        if zero_padding:  # the adjoint of the dense backward, which skips padding rows
            out = out * (indices != padding_idx)[..., None]
        return out

    formula = {"weight": "zeros like weight with the rows of grad added at indices "
                         "(the padding_idx row stays 0)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return EmbeddingDenseBackward.apply(grad, indices=ctx.indices,
                                            num_weights=ctx.num_weights,
                                            padding_idx=ctx.padding_idx, freq=ctx.freq)


class EmbeddingDenseBackward(UnaryOp):
    """Sums the rows of ``grad`` into the rows of ``weight`` they came from."""

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, indices: np.ndarray, num_weights: int,
                padding_idx: int, freq: bool) -> np.ndarray:
        ctx.indices, ctx.padding_idx, ctx.freq = indices, padding_idx, freq
        flat = indices.reshape(-1)
        rows = grad.reshape(flat.size, -1)
        if freq:
            counts = np.bincount(flat, minlength=num_weights)
            rows = rows / counts[flat][:, None]
            ctx.scale = (1 / counts[flat]).astype(grad.dtype)
        out = np.zeros((num_weights, grad.shape[-1]), dtype=grad.dtype)
        keep = flat != padding_idx
        np.add.at(out, flat[keep], rows[keep])
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        out = Embedding.apply(grad, indices=ctx.indices, padding_idx=ctx.padding_idx,
                              zero_padding=True)
        if ctx.freq:
            out = out * _make(ctx.scale.reshape(ctx.indices.shape + (1,)))
        return out


EmbeddingDenseBackward.__name__ = EmbeddingDenseBackward.__qualname__ = \
    "EmbeddingDenseBackwardBackward0"
