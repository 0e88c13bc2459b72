"""The ``ember.<name>`` (``torch.<name>``) spellings of the linalg ops: det, slogdet, logdet,
inverse, pinverse, svd (returning V, not Vh), qr and norm, also bound as Tensor methods."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._op import composite
from ..samples import Sample
from .cross_multi_dot import cross
from .decompositions import Det, Inv, Qr, Slogdet
from .matmul import _maybe_out, _values
from .spectral import Pinv, Svd

__all__ = ["det", "logdet", "slogdet", "inverse", "pinverse", "svd", "qr", "norm"]


# --- the ember.<name> (torch.<name>) spellings -------------------------------------------------
def det(input: Tensor) -> Tensor:
    """The determinant of a square matrix (or of each in a batch)."""
    return Det.apply(input)


def slogdet(input: Tensor) -> tuple[Tensor, Tensor]:
    """``(sign, log|det|)`` of a square matrix: stable where ``det`` under/overflows."""
    return Slogdet.apply(input)


def logdet(input: Tensor) -> Tensor:
    """``log(det(input))``: NaN for a negative determinant, -inf for a zero one."""
    from ..pointwise.where_division import where

    sign, logabs = Slogdet.apply(input)
    return where(sign < 0, float("nan"), logabs)


def inverse(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The inverse of a square matrix (``ember.linalg.inv``)."""
    return _maybe_out(Inv.apply(input), out)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """The Moore-Penrose pseudo-inverse, singular values below ``rcond * max`` cut."""
    return Pinv.apply(input, rtol=rcond)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> tuple:
    """``U, S, V`` with ``input = U diag(S) V^T`` (note: V, not ``Vh`` as in linalg.svd)."""
    if not compute_uv:
        s = Svd.apply(input, full_matrices=False)[1]
        n, m = input._data.shape[-2:]
        zeros = input._data.dtype
        return (_make(np.zeros((*input._data.shape[:-2], n, n), zeros)), s,
                _make(np.zeros((*input._data.shape[:-2], m, m), zeros)))
    u, s, vh = Svd.apply(input, full_matrices=not some)
    return u, s, vh.mT


def qr(input: Tensor, some: bool = True) -> tuple[Tensor, Tensor]:
    """``Q, R`` with ``input = Q R`` (reduced if ``some``, else complete)."""
    return Qr.apply(input, mode="reduced" if some else "complete")


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """The Frobenius / p-norm (``ember.linalg`` has the full set: vector_norm, matrix_norm)."""
    from ...linalg import tensor_norm

    return tensor_norm(input, p, dim, keepdim, dtype)


for _name, _fn in (("det", det), ("slogdet", slogdet), ("logdet", logdet),
                   ("inverse", inverse), ("pinverse", pinverse), ("svd", svd), ("qr", qr),
                   ("cross", cross), ("norm", norm)):
    setattr(Tensor, _name, _fn)


def _spelling_samples(cls: Any) -> list[Sample]:
    a = _values((3, 3), 0) + 3 * np.eye(3)
    v, m, b = _values((3,), 1), _values((2, 3), 2), _values((2, 3, 3), 3)
    u_s_v = lambda lib, x: (lambda u, s, w: (s, u @ w.mT))(*x.svd())  # noqa: E731
    return [Sample(lambda lib, x: (x.det(), lib.det(x)), (a,), "det"),
            Sample(lambda lib, x: (x.slogdet()[1], lib.slogdet(x)[1]), (a,), "slogdet"),
            Sample(lambda lib, x: (x.logdet(), lib.logdet(x)), (a,), "logdet"),
            Sample(lambda lib, x: (x.inverse(), lib.inverse(x)), (a,), "inverse"),
            Sample(lambda lib, x: (x.pinverse(), lib.pinverse(x)), (m,), "pinverse"),
            Sample(u_s_v, (a,), "Tensor.svd"),
            Sample(lambda lib, x: lib.svd(x)[1], (m,), "ember.svd"),
            Sample(lambda lib, x: (lambda q, r: q @ r)(*x.qr()), (a,), "Tensor.qr"),
            Sample(lambda lib, x: (lambda q, r: q @ r)(*lib.qr(x)), (a,), "ember.qr"),
            Sample(lambda lib, x, y: (x.mv(y), lib.mv(x, y)), (a, v), "mv"),
            Sample(lambda lib, x, y: (x.dot(y), lib.dot(x, y)), (v, v * 2), "dot"),
            Sample(lambda lib, x, y: (x.bmm(y), lib.bmm(x, y)), (b, b * 0.5), "bmm")]


composite("linalg_spellings", _spelling_samples)
