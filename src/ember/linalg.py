"""ember.linalg: torch.linalg's functions (norms, inverses, decompositions, solvers).

The decompositions are primitives in ``ops/linalg/decompositions.py``; the norms live here: the
vector norm is one primitive, matrix norms are built from it, from ``svdvals`` and from
max/min reductions, so their nodes are the ones torch records.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor, _make, wrap_dim
from .ops._op import UnaryOp, composite
from .ops.linalg.cross_multi_dot import linalg_cross, multi_dot
from .ops.linalg.decompositions import Cholesky, Det, Inv, LinAlgError, Qr, Slogdet, Solve
from .ops.linalg.matmul import _maybe_out, _values, matmul, vdot
from .ops.linalg.spectral import Eigh, Pinv, Svd
from .ops.reduction.prod_cumsum_norm import VectorNorm
from .ops.samples import Sample

__all__ = ["LinAlgError", "norm", "vector_norm", "matrix_norm", "inv", "inv_ex", "det",
           "slogdet", "solve", "cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "svd",
           "svdvals", "pinv", "matrix_rank", "cross", "multi_dot", "matmul", "vecdot"]

SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SvdResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
QrResult = namedtuple("linalg_qr", ["Q", "R"])
InvExResult = namedtuple("linalg_inv_ex", ["inverse", "info"])
CholeskyExResult = namedtuple("linalg_cholesky_ex", ["L", "info"])


def _float_check(name: str, x: Tensor) -> None:
    if x._data.dtype.kind not in "fcV":
        from .ops.pointwise.arithmetic import _kind_name

        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {_kind_name(x.dtype)}")


# --- vector norm --------------------------------------------------------------------------------
def _vector_norm_samples(cls: type) -> list[Sample]:
    x = _values((3, 4), 0)
    ties = np.array([[1.0, -2.0, 2.0], [0.5, 0.0, -0.5]])
    return [Sample(lambda lib, t: lib.linalg.vector_norm(t), (x,), "2"),
            Sample(lambda lib, t: lib.linalg.vector_norm(t, 1, dim=1), (x,), "1-dim"),
            Sample(lambda lib, t: lib.linalg.vector_norm(t, 3, dim=0, keepdim=True), (x,),
                   "3-keepdim"),
            Sample(lambda lib, t: lib.linalg.vector_norm(t, 0.5, dim=(0, 1)), (x,), "0.5"),
            Sample(lambda lib, t: lib.linalg.vector_norm(t, float("inf"), dim=1), (x,), "inf"),
            Sample(lambda lib, t: lib.linalg.vector_norm(t, -float("inf")), (x,), "-inf"),
            Sample(lambda lib, t: lib.linalg.vector_norm(t, float("inf"), dim=1), (ties,),
                   "inf-ties", gradcheck=False),
            Sample(lambda lib, t: lib.linalg.vector_norm(t, 0), (x,), "0"),
            Sample(lambda lib, t: lib.linalg.norm(t, dim=1), (np.zeros((2, 3)),), "zeros",
                   gradcheck=False),
            Sample(lambda lib, t: t.norm(), (x,), "Tensor.norm"),
            Sample(lambda lib, t: lib.norm(t, p=3, dim=0), (x,), "ember.norm-p")]


composite("linalg.vector_norm", _vector_norm_samples)


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: dt.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements if None).

    Args:
        x (Tensor): a floating tensor.
        ord (int, float, inf, -inf): 2 (default), 1, 0 (count of nonzeros), inf (max abs),
            -inf (min abs), or any other p: ``sum(|x|^p)^(1/p)``.
        dim (int or tuple of ints, optional): the dims to reduce.
        keepdim (bool): keep the reduced dims with size 1.
        dtype (ember.dtype, optional): compute and return in this dtype.

    Example::

        >>> ember.linalg.vector_norm(ember.tensor([3., 4.]))
        tensor(5.)
    """
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, "
                        f"not {type(ord).__name__}")
    _float_check("linalg.vector_norm", x)
    if dtype is not None:
        x = x.to(dtype)
    ndim = x._data.ndim
    if dim is None:
        dims: tuple = tuple(range(ndim))
    else:
        dims = tuple(sorted(wrap_dim(d, ndim) for d in ((dim,) if isinstance(dim, int)
                                                        else dim)))
    if x._data.size == 0 and ord < 0 or (ord == math.inf and x._data.size == 0):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_name(ord)} norm on an "
                           "empty tensor because the operation does not have an identity")
    return _maybe_out(VectorNorm.apply(x, ord=float(ord), dims=dims, keepdim=keepdim), out)


def _ord_name(ord: Any) -> str:
    return {math.inf: "inf", -math.inf: "-inf"}.get(ord, str(ord))


# --- matrix norms -------------------------------------------------------------------------------
class _Extreme(UnaryOp):
    """amax / amin over dims; ties share the gradient evenly, as in torch."""

    reduce: Any = None

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple, keepdim: bool) -> np.ndarray:
        out = np.asarray(ctx.reduce(x, axis=dims, keepdims=True))
        mask = (x == out).astype(x.dtype)
        ctx.share = mask / mask.sum(axis=dims, keepdims=True)
        ctx.kept = out.shape
        return out if keepdim else out.reshape(
            tuple(s for d, s in enumerate(x.shape) if d not in dims))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.kept) * _make(ctx.share)


class _Amax(_Extreme):
    reduce = staticmethod(np.amax)


class _Amin(_Extreme):
    reduce = staticmethod(np.amin)


_Amax.__name__ = _Amax.__qualname__ = "AmaxBackward0"
_Amin.__name__ = _Amin.__qualname__ = "AminBackward0"
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False, *,
                dtype: dt.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """A matrix norm of ``A`` (or of each matrix in a batch).

    Args:
        A (Tensor): at least 2-D.
        ord: ``'fro'`` (default), ``'nuc'`` (sum of singular values), ``2``/``-2`` (largest /
            smallest singular value), ``1``/``-1`` (max / min column abs sum), ``inf``/``-inf``
            (max / min row abs sum).
        dim (pair of ints): the matrix dims.
        keepdim (bool): keep them with size 1.

    Example::

        >>> ember.linalg.matrix_norm(ember.eye(3), "nuc")
        tensor(3.)
    """
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    _float_check("linalg.matrix_norm", A)
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {_ord_name(ord)} not supported.")
    d0, d1 = (wrap_dim(d, A._data.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, out=out)
    if ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        if ord == "nuc":
            result = s.sum(-1)
        else:
            result = (_Amax if ord == 2 else _Amin).apply(s, dims=(s._data.ndim - 1,),
                                                         keepdim=False)
        if keepdim:
            result = result.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return _maybe_out(result, out)
    summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = A.abs().sum(summed, keepdim=True)
    extreme = _Amax if ord > 0 else _Amin
    return _maybe_out(extreme.apply(sums, dims=tuple(sorted((summed, other))),
                                    keepdim=keepdim), out)


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: dt.dtype | None = None, out: Tensor | None = None) -> Tensor:
    """A vector or matrix norm: a matrix norm if ``dim`` is a pair (or ``A`` is 2-D and
    ``ord`` is given without ``dim``), else a vector norm; with neither ``ord`` nor ``dim``,
    the 2-norm of all elements.

    Example::

        >>> ember.linalg.norm(ember.tensor([[3., 0.], [0., 4.]]))
        tensor(5.)
    """
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
        if len(dim) == 1:
            dim = dim[0]
    if dim is None and ord is not None:
        if A._data.ndim not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input "
                               f"must be 1D or 2D. Got {A._data.ndim}D.")
        dim = (-2, -1) if A._data.ndim == 2 else 0
    if isinstance(dim, tuple):
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype,
                           out=out)
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def tensor_norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
                dtype: dt.dtype | None = None) -> Tensor:
    """``ember.norm`` / ``Tensor.norm``: torch's older spelling of the norms."""
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        return matrix_norm(input, "nuc", dim if dim is not None else (-2, -1), keepdim,
                           dtype=dtype)
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm: Order {p} not supported.")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


# --- decompositions and solvers -----------------------------------------------------------------
def inv(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The inverse of a square matrix (batched). Raises ``LinAlgError`` if singular.

    Example::

        >>> ember.linalg.inv(ember.tensor([[2., 0.], [0., 4.]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return _maybe_out(Inv.apply(A), out)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvExResult:
    """``(inverse, info)``; info is 0 where the inverse exists."""
    result = Inv.apply(A)
    return InvExResult(result, _make(np.zeros(A._data.shape[:-2], dtype=np.int32)))


def det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The determinant of a square matrix (batched)."""
    return _maybe_out(Det.apply(A), out)


def slogdet(A: Tensor) -> SlogdetResult:
    """``(sign, logabsdet)`` of the determinant."""
    return SlogdetResult(*Slogdet.apply(A))


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    """Solves ``A X = B`` (batch dims broadcast; ``B`` may be a vector).

    Example::

        >>> ember.linalg.solve(ember.tensor([[2., 0.], [0., 4.]]), ember.tensor([2., 2.]))
        tensor([1.0000, 0.5000])
    """
    if not left:
        return _maybe_out(Solve.apply(A.mT, B.mT).mT, out)
    return _maybe_out(Solve.apply(A, B), out)


def cholesky(A: Tensor, *, upper: bool = False, out: Tensor | None = None) -> Tensor:
    """The Cholesky factor ``L`` (lower triangular, ``A = L L^T``) of a symmetric
    positive-definite matrix; ``U = L^T`` if ``upper``. Reads the lower triangle only."""
    return _maybe_out(Cholesky.apply(A, upper=upper), out)


def cholesky_ex(A: Tensor, *, upper: bool = False,
                check_errors: bool = False) -> CholeskyExResult:
    result = Cholesky.apply(A, upper=upper)
    return CholeskyExResult(result, _make(np.zeros(A._data.shape[:-2], dtype=np.int32)))


def qr(A: Tensor, mode: str = "reduced") -> QrResult:
    """``Q, R`` with ``A = Q R``: mode ``'reduced'``, ``'complete'`` or ``'r'`` (Q empty)."""
    return QrResult(*Qr.apply(A, mode=mode))


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:  # noqa: N803 - torch's name
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, read from
    its lower (``'L'``) or upper (``'U'``) triangle."""
    return EighResult(*Eigh.apply(A, UPLO=UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues of a symmetric matrix, ascending."""
    return Eigh.apply(A, UPLO=UPLO)[0]


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> SvdResult:
    """``U, S, Vh`` with ``A = U diag(S) Vh``, singular values descending.

    Example::

        >>> ember.linalg.svd(ember.eye(2)).S
        tensor([1., 1.])
    """
    if driver is not None:
        raise RuntimeError("linalg.svd: keyword argument `driver=` is only supported on CUDA "
                           "inputs with cuSOLVER backend.")
    return SvdResult(*Svd.apply(A, full_matrices=full_matrices))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """The singular values of ``A``, descending."""
    return Svd.apply(A, full_matrices=False)[1]


def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
         hermitian: bool = False, out: Tensor | None = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse (singular values below ``rtol * max`` are cut)."""
    if atol is not None:
        raise NotImplementedError("linalg.pinv: atol= is not supported; use rtol=")
    return _maybe_out(Pinv.apply(A, rtol=rtol, hermitian=hermitian), out)


def matrix_rank(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
                hermitian: bool = False, tol: float | None = None) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)`` (int64, no grad)."""
    _float_check("linalg.matrix_rank", A)
    s = np.linalg.svd(A._data, compute_uv=False) if A._data.size else np.zeros(
        A._data.shape[:-2] + (0,), A._data.dtype)
    if tol is not None:
        atol, rtol = tol, 0.0
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else (
            np.finfo(A._data.dtype).eps * max(A._data.shape[-2:]))
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    threshold = np.maximum(atol or 0.0, rtol * smax)
    return _make(np.asarray((s > threshold).sum(axis=-1), dtype=np.int64))


def cross(input: Tensor, other: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim``, inputs broadcast."""
    return linalg_cross(input, other, dim=dim, out=out)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """``sum(conj(x) * y, dim)``."""
    if x._data.ndim == 1 and y._data.ndim == 1 and dim in (0, -1):
        return vdot(x, y)
    return (x * y).sum(dim)


def _matrix_norm_samples(cls: Any) -> list[Sample]:
    a = _values((3, 4), 3)
    out = [Sample(lambda lib, t, o=o: lib.linalg.matrix_norm(t, o), (a,), str(o))
           for o in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)]
    out.append(Sample(lambda lib, t: lib.linalg.norm(t, 1, dim=(2, 0)), (_values((3, 2, 4), 4),),
                      "dims-batched"))
    out.append(Sample(lambda lib, t: lib.linalg.matrix_rank(t), (a,), "rank"))
    return out


composite("matrix_norm", _matrix_norm_samples)
