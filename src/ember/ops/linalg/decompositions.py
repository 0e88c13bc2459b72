"""Matrix decompositions and solvers behind ember.linalg: inv, det, slogdet, solve, cholesky and
qr, and the base class of the decomposition ops. eigh, svd and pinv live in ``spectral.py``,
linalg.cross and linalg.multi_dot in ``cross_multi_dot.py``, the ``ember.<name>`` spellings
(det, svd, qr, ...) in ``spellings.py``.

Every op takes leading batch dims. Backward formulas are written with ember ops on the saved
outputs *as nodes of this op* (``_outputs``), so differentiating a backward again (double
backward) sees how the outputs depend on the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...autograd import grad_mode
from ...autograd.graph import set_edges
from .._op import Primitive, _new_node, broadcast_error, op
from ..samples import Sample
from .matmul import _values, matmul

__all__ = []


class LinAlgError(RuntimeError):
    """A linear algebra failure (singular or non positive-definite input)."""


# --- checks with torch's messages ---------------------------------------------------------------
def _kind(a: np.ndarray) -> str:
    from ..pointwise.arithmetic import _kind_name

    return _kind_name(dt._BY_NUMPY[a.dtype])


def _check_matrix(name: str, a: np.ndarray, square: bool = True) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind not in "fcV":
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

    formula = {"a": "-result.mT @ grad @ result.mT"}

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

    formula = {"a": "grad * result * inverse(a).mT (0 for a singular a)"}

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

    formula = {"a": "grad_logabsdet * inverse(a).mT"}

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

    formula = {"a": "-solve(a.mT, grad) @ result.mT", "b": "solve(a.mT, grad)"}

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

    formula = {
        "a": "sym(L^-T Φ(L^T grad) L^-1), Φ = lower triangle with half its diagonal, L = result",
    }

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

    formula = {"a": "Q (grad_R + copyltu(M) R^-T) with M = R grad_R^T - grad_Q^T Q, for m >= n"}

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
        from ..shape.joining import cat

        return cat([grad_a1, matmul(q, g_r2)], -1)


def _qr_tall_grad(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor) -> Tensor:
    """For A = QR with Q (m, n) orthonormal, R (n, n) upper triangular: with
    M = Q^T gQ - gR R^T, gA = (gQ + Q (tril(M - M^T, -1) - M)) R^-T."""
    mm = matmul(q.mT, gq) - matmul(gr, r.mT)
    b = gq + matmul(q, _tril(mm - mm.mT, -1) - mm)
    return Solve.apply(r, b.mT).mT
