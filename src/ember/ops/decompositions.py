"""Matrix decompositions and solvers behind ember.linalg: inv, det, slogdet, solve, cholesky,
qr, eigh, svd, pinv, matrix_rank, plus linalg.cross and linalg.multi_dot.

Every op takes leading batch dims. Backward formulas are written with ember ops on the saved
outputs *as nodes of this op* (``_outputs``), so differentiating a backward again (double
backward) sees how the outputs depend on the input.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, wrap_dim
from ..autograd import grad_mode
from ..autograd.graph import set_edges
from ._op import Primitive, _new_node, broadcast_error, op
from .linalg import _maybe_out, _values, composite, matmul
from .samples import Sample

__all__ = ["det", "logdet", "slogdet", "inverse", "pinverse", "svd", "qr", "cross", "norm"]


class LinAlgError(RuntimeError):
    """A linear algebra failure (singular or non positive-definite input)."""


# --- checks with torch's messages ---------------------------------------------------------------
def _kind(a: np.ndarray) -> str:
    from .arithmetic import _kind_name

    return _kind_name(dt._BY_NUMPY[a.dtype])


def _check_matrix(name: str, a: np.ndarray, square: bool = True) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {_kind(a)}")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def _first_bad(a: np.ndarray, ok: Any) -> tuple[int | None, np.ndarray]:
    """The first batch element (flat index, or None if unbatched) for which ``ok`` fails.
    Only called once a batched LAPACK call has already failed."""
    flat = a.reshape(-1, *a.shape[-2:])
    for i, m in enumerate(flat):
        if not ok(m):
            return (i if a.ndim > 2 else None), m
    return None, flat[0]


def _batch_prefix(index: int | None) -> str:
    return "" if index is None else f"(Batch element {index}): "


def _zero_pivot(m: np.ndarray) -> int:
    """1-based index of the first zero pivot of LU with partial pivoting (LAPACK's getrf info).
    A loop over the columns of one matrix: used only to word an error."""
    u = m.astype(np.float64, copy=True)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:] -= np.outer(u[k + 1:, k] / u[k, k], u[k])
    return n


def _invertible(m: np.ndarray) -> bool:
    try:
        np.linalg.inv(m)
        return True
    except np.linalg.LinAlgError:
        return False


def _positive_definite(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


def _eye_like(a: Tensor) -> Tensor:
    return _make(np.eye(a._data.shape[-1], dtype=a._data.dtype))


# --- several outputs from one node -------------------------------------------------------------
class Decomposition(Primitive):
    """A primitive of one matrix input returning several tensors (Q and R, eigenvalues and
    eigenvectors ...): one node, one output number per result. ``backward`` receives one
    gradient per output, None for those that got none."""

    @classmethod
    def _build_apply(cls) -> Any:
        forward = cls.forward

        def apply(x: Tensor, **params: Any) -> tuple[Tensor, ...]:
            ctx = _new_node(cls)
            pieces = forward(ctx, x._data, **params)
            if not (x._requires_grad and grad_mode.state.enabled):
                return tuple(_make(p) for p in pieces)
            set_edges(ctx, (x,))
            ctx.num_outputs = len(pieces)
            ctx._outs = pieces
            ctx._input = x
            outs = []
            for i, p in enumerate(pieces):
                t = _make(p, ctx)
                t._output_nr = i
                outs.append(t)
            return tuple(outs)

        return apply

    def _outputs(self) -> tuple[Tensor, ...]:
        """The outputs, as tensors of this node (so a backward through them is recorded)."""
        if self._outs is None:
            raise self._freed_error()
        outs = []
        for i, p in enumerate(self._outs):
            t = _make(p, self)
            t._output_nr = i
            outs.append(t)
        return tuple(outs)

    def _backward_multi(self, grads: list | None) -> Any:
        grads = list(grads) if grads is not None else [None] * self.num_outputs
        return type(self).backward(self, *grads)

    def release(self, where: str | None) -> None:
        self._outs = None
        self._input = None
        self._freed_at = where


def _zero_if_none(g: Tensor | None, like: Tensor) -> Tensor:
    return g if g is not None else _make(np.zeros_like(like._data))


def _tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle, as a product with a constant mask (differentiable twice)."""
    n, m = x._data.shape[-2:]
    return x * _make(np.tri(n, m, diagonal, dtype=x._data.dtype))


def _diag_embed(v: Tensor) -> Tensor:
    return v.unsqueeze(-1) * _eye_like(v.unsqueeze(-1).expand(*v._data.shape, v._data.shape[-1]))


# --- inverse, determinants, solve ---------------------------------------------------------------
def _square_samples(call: Any, extra: tuple = ()) -> Any:
    def make(cls: type) -> list[Sample]:
        a = _values((3, 3), 0) + 3 * np.eye(3)
        b = _values((2, 3, 3), 1) + 3 * np.eye(3)
        return [Sample(call, (a,) + extra, "3x3"), Sample(call, (b,) + extra, "batched")]

    return make


@op("LinalgInvExBackward0", samples=_square_samples(lambda lib, a: lib.linalg.inv(a)))
class Inv(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray) -> np.ndarray:
        _check_matrix("linalg.inv", a)
        try:
            return np.linalg.inv(a)
        except np.linalg.LinAlgError:
            index, m = _first_bad(a, _invertible)
            raise LinAlgError(
                f"linalg.inv: {_batch_prefix(index)}The diagonal element {_zero_pivot(m)} is "
                "zero, the inversion could not be completed because the input matrix is "
                "singular.") from None

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        xt = x.mT
        return -matmul(matmul(xt, grad), xt)


@op("LinalgDetBackward0", samples=_square_samples(lambda lib, a: lib.linalg.det(a)))
class Det(Primitive):
    save_inputs = True
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray) -> np.ndarray:
        _check_matrix("linalg.det", a)
        return np.asarray(np.linalg.det(a))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        a, d = ctx.saved_tensors
        if np.all(d._data != 0):
            return (grad * d).unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT
        # torch gives a singular matrix a zero gradient here; so do we (first order only)
        return _make(np.zeros(a._data.shape, dtype=a._data.dtype))


@op("LinalgSlogdetBackward0",
    samples=_square_samples(lambda lib, a: lib.linalg.slogdet(a)[1]))
class Slogdet(Decomposition):
    @staticmethod
    def forward(ctx: Any, a: np.ndarray) -> tuple:
        _check_matrix("linalg.slogdet", a)
        sign, logabs = np.linalg.slogdet(a)
        return np.asarray(sign), np.asarray(logabs)

    @staticmethod
    def backward(ctx: Any, grad_sign: Tensor | None, grad_logabs: Tensor | None) -> Tensor:
        a = ctx._input
        if grad_logabs is None:
            return _make(np.zeros_like(a._data))
        return grad_logabs.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


def _is_vector_rhs(a: np.ndarray, b: np.ndarray) -> bool:
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


def _solve_samples(cls: type) -> list[Sample]:
    a = _values((3, 3), 0) + 3 * np.eye(3)
    call = lambda lib, x, y: lib.linalg.solve(x, y)  # noqa: E731
    return [Sample(call, (a, _values((3, 2), 1)), "matrix"),
            Sample(call, (a, _values((3,), 2)), "vector"),
            Sample(call, (_values((2, 3, 3), 3) + 3 * np.eye(3), _values((3, 1), 4)),
                   "broadcast")]


@op("LinalgSolveExBackward0", samples=_solve_samples)
class Solve(Primitive):
    save_inputs = True
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        _check_matrix("linalg.solve", a)
        if a.dtype != b.dtype:
            raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but "
                               f"found A of type {_kind(a)} and B of type {_kind(b)} instead")
        vector = ctx.vector = _is_vector_rhs(a, b)
        bm = b[..., None] if vector else b
        if bm.shape[-2] != a.shape[-1]:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                               f"AX = B ({a.shape[-2]}x{a.shape[-1]} and {bm.shape[-2]}x"
                               f"{bm.shape[-1]})")
        try:
            batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
        except ValueError as err:
            raise broadcast_error(a[..., 0, 0], bm[..., 0, 0], err) from None
        ctx.input_meta = ((a.shape, a.dtype), (b.shape, b.dtype))
        try:
            x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                                np.broadcast_to(bm, batch + bm.shape[-2:]))
        except np.linalg.LinAlgError:
            raise LinAlgError("ember.linalg.solve: The solver failed because the input matrix "
                              "is singular.") from None
        return x[..., 0] if vector else x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, _, x = ctx.saved_tensors
        grad_b = Solve.apply(a.mT, grad)
        grad_a = None
        if ctx._next[0]:
            if ctx.vector:
                grad_a = -(grad_b.unsqueeze(-1) * x.unsqueeze(-2))
            else:
                grad_a = -matmul(grad_b, x.mT)
        return grad_a, grad_b if ctx._next[1] else None


# --- Cholesky, QR --------------------------------------------------------------------------------
def _spd(shape: tuple, seed: int) -> np.ndarray:
    a = _values(shape, seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _chol_samples(cls: type) -> list[Sample]:
    # symmetrised in the call: cholesky reads one triangle, finite differences move both
    return [Sample(lambda lib, a: lib.linalg.cholesky((a + a.mT) / 2), (_spd((3, 3), 0),), "L"),
            Sample(lambda lib, a: lib.linalg.cholesky((a + a.mT) / 2, upper=True),
                   (_spd((2, 3, 3), 1),), "upper-batched")]


@op("LinalgCholeskyExBackward0", samples=_chol_samples)
class Cholesky(Primitive):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, upper: bool = False) -> np.ndarray:
        _check_matrix("linalg.cholesky", a)
        ctx.upper = upper
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            index, m = _first_bad(a, _positive_definite)
            order = next(k for k in range(1, m.shape[0] + 1)
                         if not _positive_definite(m[:k, :k]))
            raise LinAlgError(
                f"linalg.cholesky: {_batch_prefix(index)}The factorization could not be "
                "completed because the input is not positive-definite (the leading minor of "
                f"order {order} is not positive-definite).") from None
        return np.swapaxes(low, -1, -2).copy() if upper else low

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        low, g = (out.mT, grad.mT) if ctx.upper else (out, grad)
        # A = L L^T gives L^-1 dA L^-T = Phi^-1(L^-1 dL), Phi = lower triangle, half diagonal
        phi = _tril(matmul(low.mT, g))
        phi = phi - 0.5 * _diag_embed(_diagonal(phi))
        inv_low = Inv.apply(low)
        grad_a = matmul(matmul(inv_low.mT, phi), inv_low)
        return 0.5 * (grad_a + grad_a.mT)


def _diagonal(x: Tensor) -> Tensor:
    return (x * _eye_like(x)).sum(-1)


def _qr_samples(cls: type) -> list[Sample]:
    def q_times_r(lib: Any, a: Any) -> Any:
        q, r = lib.linalg.qr(a)
        # signs of the columns of Q and rows of R are a convention: use sign-free functions
        return q @ r, r.mT @ r, q[..., :1] @ q[..., :1].mT
    return [Sample(q_times_r, (_values((4, 3), 0),), "tall"),
            Sample(q_times_r, (_values((3, 3), 1),), "square"),
            Sample(q_times_r, (_values((2, 2, 4), 2),), "wide-batched")]


@op("LinalgQrBackward0", samples=_qr_samples)
class Qr(Decomposition):
    @staticmethod
    def forward(ctx: Any, a: np.ndarray, mode: str = "reduced") -> tuple:
        if mode not in ("reduced", "complete", "r"):
            raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                               "'reduced' (default), 'r', or 'complete'")
        _check_matrix("linalg.qr", a, square=False)
        ctx.mode = mode
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        if mode == "r":
            return np.empty((0,), dtype=a.dtype), r
        return q, r

    @staticmethod
    def backward(ctx: Any, grad_q: Tensor | None, grad_r: Tensor | None) -> Tensor:
        a = ctx._input
        m, n = a._data.shape[-2:]
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        q, r = ctx._outputs()
        grad_q, grad_r = _zero_if_none(grad_q, q), _zero_if_none(grad_r, r)
        if m >= n:
            return _qr_tall_grad(q, r, grad_q, grad_r)
        # wide: A = Q [R1 | R2] with (Q, R1) the QR of A's first m columns and R2 = Q^T A2
        a2, r1 = a[..., m:], r[..., :m]
        g_r1, g_r2 = grad_r[..., :m], grad_r[..., m:]
        grad_a1 = _qr_tall_grad(q, r1, grad_q + matmul(a2, g_r2.mT), g_r1)
        from .shape import cat

        return cat([grad_a1, matmul(q, g_r2)], -1)


def _qr_tall_grad(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor) -> Tensor:
    """For A = QR with Q (m, n) orthonormal, R (n, n) upper triangular: with
    M = Q^T gQ - gR R^T, gA = (gQ + Q (tril(M - M^T, -1) - M)) R^-T."""
    mm = matmul(q.mT, gq) - matmul(gr, r.mT)
    b = gq + matmul(q, _tril(mm - mm.mT, -1) - mm)
    return Solve.apply(r, b.mT).mT


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


# --- cross, multi_dot ----------------------------------------------------------------------
def _cross_samples(cls: type) -> list[Sample]:
    return [Sample(lambda lib, a, b: lib.linalg.cross(a, b), (_values((2, 3), 0),
                                                           _values((2, 3), 1)), "last"),
            Sample(lambda lib, a, b: lib.cross(a, b, dim=0), (_values((3, 2), 2),
                                                           _values((3, 1), 3)), "dim0-broadcast")]


@op("LinalgCrossBackward0", samples=_cross_samples)
class Cross(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray, dim: int = -1,
                shown: int = -1) -> np.ndarray:
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {_kind(a)} but found {_kind(b)}")
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError as err:
            raise broadcast_error(a, b, err) from None
        d = wrap_dim(dim, len(shape))
        ad = a.shape[d - len(shape) + a.ndim] if a.ndim > len(shape) - d - 1 + 0 else 1
        bd = b.shape[d - len(shape) + b.ndim] if b.ndim > len(shape) - d - 1 + 0 else 1
        if ad != 3 or bd != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {shown} must have length 3. "
                               f"Got {ad} and {bd}")
        ctx.dim = d
        if a.shape != shape or b.shape != shape:
            ctx.input_meta = ((a.shape, a.dtype), (b.shape, b.dtype))
        return np.cross(np.broadcast_to(a, shape), np.broadcast_to(b, shape), axis=d)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        d = ctx.dim
        return (Cross.apply(b, grad, dim=d) if ctx._next[0] else None,
                Cross.apply(grad, a, dim=d) if ctx._next[1] else None)


def cross(input: Tensor, other: Tensor, dim: int | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (inputs broadcast).

    Args:
        input (Tensor): first operand.
        other (Tensor): second operand.
        dim (int, optional): the dim of size 3; if None, the first dim of size 3 (deprecated
            in torch: pass it, or use ``ember.linalg.cross`` whose default is -1).

    Example::

        >>> ember.cross(ember.tensor([1., 0., 0.]), ember.tensor([0., 1., 0.]), dim=0)
        tensor([0., 0., 1.])
    """
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or simply use torch.linalg.cross.",
                      UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return _maybe_out(Cross.apply(input, other, dim=dim, shown=dim), out)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1,
                 out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default -1), inputs broadcast."""
    return _maybe_out(Cross.apply(input, other, dim=dim, shown=dim), out)


def multi_dot(tensors: Any, *, out: Tensor | None = None) -> Tensor:
    """The product of a chain of matrices, multiplied in the cheapest order. The first and
    last may be 1-D (a row and a column vector).

    Example::

        >>> ember.linalg.multi_dot([ember.ones(3), ember.ones(3, 2), ember.ones(2)])
        tensor(6.)
    """
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0]._data.ndim, tensors[-1]._data.ndim
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    mats = list(tensors)
    if first == 1:
        mats[0] = mats[0].unsqueeze(0)
    if last == 1:
        mats[-1] = mats[-1].unsqueeze(-1)
    from .linalg import _dtype_name

    for i, t in enumerate(mats[1:], 1):
        if t._data.dtype != mats[0]._data.dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_dtype_name(mats[0]._data, True)} and tensor {i} "
                f"{_dtype_name(t._data, True)}")
        if t._data.shape[0] != mats[i - 1]._data.shape[1]:
            raise RuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes "
                f"{list(tensors[i - 1]._data.shape)} and {list(tensors[i]._data.shape)} cannot "
                "be multiplied")
    result = _chain(mats, _chain_order([m._data.shape[0] for m in mats]
                                       + [mats[-1]._data.shape[1]]), 0, len(mats) - 1)
    shape = mats[0]._data.shape[:1] * (first == 2) + mats[-1]._data.shape[1:] * (last == 2)
    return _maybe_out(result.view(shape), out)


def _chain_order(dims: list[int]) -> list[list[int]]:
    """The classic matrix-chain dynamic programme: split[i][j] is where to split i..j."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1], k)
                for k in range(i, j))
    return split


def _chain(mats: list[Tensor], split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return _chain(mats, split, i, k).mm(_chain(mats, split, k + 1, j))


def _multi_dot_samples(cls: Any) -> list[Sample]:
    return [Sample(lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
                   (_values((2, 3), 0), _values((3, 4), 1), _values((4, 2), 2)), "3"),
            Sample(lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]),
                   (_values((3,), 3), _values((3, 4), 4), _values((4,), 5)), "vectors")]


composite("multi_dot", _multi_dot_samples)


# --- the ember.<name> (torch.<name>) spellings -------------------------------------------------
def det(input: Tensor) -> Tensor:
    """The determinant of a square matrix (or of each in a batch)."""
    return Det.apply(input)


def slogdet(input: Tensor) -> tuple[Tensor, Tensor]:
    """``(sign, log|det|)`` of a square matrix: stable where ``det`` under/overflows."""
    return Slogdet.apply(input)


def logdet(input: Tensor) -> Tensor:
    """``log(det(input))``: NaN for a negative determinant, -inf for a zero one."""
    from .elementwise import where

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
    from ..linalg import tensor_norm

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
