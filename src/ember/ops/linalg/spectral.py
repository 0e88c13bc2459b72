"""Spectral decompositions behind ember.linalg: eigh, svd and pinv (through the SVD), with the
backward formulas of the symmetric eigenproblem and the SVD."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, _make
from .._op import Primitive, op
from ..samples import Sample
from .decompositions import Decomposition, _check_matrix, _diag_embed, _eye_like
from .matmul import _values, matmul

__all__ = []


# --- eigh, svd ---------------------------------------------------------------------------------
def _eigh_samples(cls: type) -> list[Sample]:
    def sym(lib: Any, a: Any) -> Any:
        w, v = lib.linalg.eigh(a + a.mT)
        return w, (v * w.unsqueeze(-2)) @ v.mT

    def vecs(lib: Any, a: Any) -> Any:
        w, v = lib.linalg.eigh(a + a.mT)
        return (v * v).sum(-2), (v[..., :1] @ v[..., :1].mT)
    return [Sample(sym, (_values((3, 3), 0),), "values"),
            Sample(vecs, (_values((2, 3, 3), 1),), "vectors"),
            Sample(lambda lib, a: lib.linalg.eigvalsh(a + a.mT), (_values((4, 4), 2),),
                   "eigvalsh")]


@op("LinalgEighBackward0", samples=_eigh_samples)
class Eigh(Decomposition):
    @staticmethod
    def forward(ctx: Any, a: np.ndarray, UPLO: str = "L") -> tuple:  # noqa: N803 - torch's
        if UPLO not in ("L", "U"):
            raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
        _check_matrix("linalg.eigh", a)
        w, v = np.linalg.eigh(a, UPLO=UPLO)
        return w, v

    formula = {
        "a": "V (diag(grad_L) + (V^T grad_V) / (L_j - L_i) off the diagonal) V^T, symmetrised",
    }

    @staticmethod
    def backward(ctx: Any, grad_w: Tensor | None, grad_v: Tensor | None) -> Tensor:
        w, v = ctx._outputs()
        inner = _diag_embed(grad_w) if grad_w is not None else 0.0
        if grad_v is not None:
            x = matmul(v.mT, grad_v)
            gap = w.unsqueeze(-2) - w.unsqueeze(-1)
            off = 1.0 - _eye_like(gap)
            # the gaps are nonzero off the diagonal for distinct eigenvalues
            inner = inner + (x - x.mT) * 0.5 * off / (gap + _eye_like(gap))
        return matmul(matmul(v, inner), v.mT)


def _svd_samples(cls: type) -> list[Sample]:
    def invariant(lib: Any, a: Any) -> Any:
        u, s, vh = lib.linalg.svd(a, full_matrices=False)
        return s, u @ vh, u[..., :1] @ u[..., :1].mT
    return [Sample(invariant, (_values((4, 3), 0),), "tall"),
            Sample(invariant, (_values((2, 2, 3), 1),), "wide-batched"),
            Sample(lambda lib, a: lib.linalg.svdvals(a), (_values((3, 3), 2),), "svdvals")]


@op("LinalgSvdBackward0", samples=_svd_samples)
class Svd(Decomposition):
    @staticmethod
    def forward(ctx: Any, a: np.ndarray, full_matrices: bool = True) -> tuple:
        _check_matrix("linalg.svd", a, square=False)
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh

    formula = {
        "a": "U (diag(grad_S) + the F-weighted skew parts of U^T grad_U and V^T grad_V) V^T, plus "
            "the parts outside U's and V's span",
    }

    @staticmethod
    def backward(ctx: Any, gu: Tensor | None, gs: Tensor | None, gvh: Tensor | None) -> Tensor:
        u, s, vh = ctx._outputs()
        m, n = ctx._input._data.shape[-2:]
        k = min(m, n)
        u, vh = u[..., :k], vh[..., :k, :]
        if gu is not None:
            gu = gu[..., :k]
        if gvh is not None:
            gvh = gvh[..., :k, :]
        v = vh.mT
        inner = _diag_embed(gs) if gs is not None else None
        if gu is None and gvh is None:
            return matmul(matmul(u, inner), vh)
        s2 = s * s
        gap = s2.unsqueeze(-2) - s2.unsqueeze(-1)
        eye = _eye_like(gap)
        f = (1.0 - eye) / (gap + eye)
        s_mat = _diag_embed(s)
        terms = [] if inner is None else [inner]
        extra = []
        s_inv = (1.0 / s).unsqueeze(-2)
        if gu is not None:
            ut_gu = matmul(u.mT, gu)
            terms.append(matmul(f * (ut_gu - ut_gu.mT), s_mat))
            if m > k:
                extra.append(matmul(gu - matmul(u, ut_gu), vh * s_inv.mT))
        if gvh is not None:
            gv = gvh.mT
            vt_gv = matmul(v.mT, gv)
            terms.append(matmul(s_mat, f * (vt_gv - vt_gv.mT)))
            if n > k:
                extra.append(matmul(u * s_inv, (gv - matmul(v, vt_gv)).mT))
        core = terms[0]
        for t in terms[1:]:
            core = core + t
        result = matmul(matmul(u, core), vh)
        for t in extra:
            result = result + t
        return result


def _pinv_samples(cls: type) -> list[Sample]:
    call = lambda lib, a: lib.linalg.pinv(a)  # noqa: E731
    return [Sample(call, (_values((3, 2), 0),), "tall"),
            Sample(call, (_values((2, 2, 4), 1),), "wide-batched")]


@op("LinalgPinvBackward0", samples=_pinv_samples)
class Pinv(Primitive):
    save_inputs = True
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, rtol: Any = None, hermitian: bool = False) -> np.ndarray:
        if a.ndim < 2:
            raise RuntimeError("linalg.pinv(" + str(a.dtype) + "{" + str(list(a.shape)) +
                               "}): expected a tensor with 2 or more dimensions of float, "
                               "double, cfloat or cdouble types")
        if rtol is None:
            rtol = np.finfo(a.dtype).eps * max(a.shape[-2:])
        return np.linalg.pinv(a, rcond=rtol, hermitian=hermitian).astype(a.dtype, copy=False)

    formula = {"a": "-P^T grad P^T + (I - A P)^T ... (Golub and Pereyra's formula)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        a, x = ctx.saved_tensors
        # dX = -X dA X + X X^T dA^T (I - A X) + (I - X A) dA^T X^T X, transposed onto dA
        xt = x.mT
        eye_m = _make(np.eye(a._data.shape[-2], dtype=a._data.dtype))
        eye_n = _make(np.eye(a._data.shape[-1], dtype=a._data.dtype))
        gt = grad.mT
        return (-matmul(matmul(xt, grad), xt)
                + matmul(matmul(eye_m - matmul(a, x), gt), matmul(x, xt))
                + matmul(matmul(xt, x), matmul(gt, eye_n - matmul(x, a))))
