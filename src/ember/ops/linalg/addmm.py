"""The fused multiply-adds ``beta * input + alpha * (product)``: addmm (``nn.Linear``'s hot
path), addmv, baddbmm, addbmm and addr, each one node as in torch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...amp import autocast_mode as _amp
from ...amp.autocast_mode import lower
from ...amp.autocast_mode import state as _autocast
from .._op import Primitive, op
from ..samples import Sample
from .matmul import Bmm, Mm, Mv, _maybe_out, _values, bilinear_jvp, matmul

__all__ = ["addmm", "addmv", "addbmm", "baddbmm", "addr"]


# --- fused multiply-add: result = beta * input + alpha * (product) -----------------------------
def _expand_error(shape: tuple, target: tuple) -> RuntimeError:
    if len(shape) > len(target):
        return RuntimeError(
            f"expand(ember.FloatTensor{{{list(shape)}}}, size={list(target)}): the number of "
            f"sizes provided ({len(target)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    padded = (1,) * (len(target) - len(shape)) + tuple(shape)
    for d in range(len(target) - 1, -1, -1):
        if padded[d] != target[d] and padded[d] != 1:
            return RuntimeError(
                f"The expanded size of the tensor ({target[d]}) must match the existing size "
                f"({padded[d]}) at non-singleton dimension {d}.  Target sizes: {list(target)}.  "
                f"Tensor sizes: {list(shape)}")
    return RuntimeError("internal: shapes expand")


def _add_scaled(ctx: Any, prod: np.ndarray, bias: np.ndarray, beta: Any, alpha: Any) -> np.ndarray:
    """``beta * bias + alpha * prod``, reusing ``prod``'s fresh buffer; ``beta == 0`` ignores
    ``bias`` entirely (NaNs in it do not propagate), as in torch."""
    if bias.shape != prod.shape:
        if len(bias.shape) > prod.ndim or any(
                b not in (1, t) for b, t in zip(bias.shape[::-1], prod.shape[::-1])):
            raise _expand_error(bias.shape, prod.shape)
        ctx.input_meta = ((bias.shape, bias.dtype), None, None)
    ctx.beta, ctx.alpha = beta, alpha
    if alpha != 1:
        prod = prod * alpha if prod.dtype.kind in "fcV" else (prod * alpha).astype(prod.dtype)
    if beta == 0:
        return prod
    if beta == 1:
        prod += bias
        return prod
    return (prod + beta * bias).astype(prod.dtype, copy=False)


def _rounded_sum(ctx: Any, prod: np.ndarray, bias: np.ndarray, beta: Any,
                 alpha: Any) -> np.ndarray:
    """``_add_scaled`` for a product NumPy made in a wider dtype (bfloat16 matrices multiply in
    float32): the sum is formed there and rounded once, as torch's."""
    if prod.dtype == bias.dtype:
        return _add_scaled(ctx, prod, bias, beta, alpha)
    out = _add_scaled(ctx, prod, bias.astype(prod.dtype), beta, alpha).astype(bias.dtype)
    if bias.shape != prod.shape:  # the bias's gradient goes back in its own dtype
        ctx.input_meta = ((bias.shape, bias.dtype), None, None)
    return out


def _scaled(t: Tensor | None, factor: Any) -> Tensor | None:
    return t if t is None or factor == 1 else t * factor


def _dtype_name(a: np.ndarray, lower: bool = False) -> str:
    from ... import _dtype as dt
    from ..pointwise.arithmetic import _kind_name

    name = _kind_name(dt._BY_NUMPY[a.dtype])
    return {"Float": "float", "Double": "double", "Long": "long", "Int": "int",
            "Half": "half"}.get(name, name.lower()) if lower else name


def addmm_samples(cls: type) -> list[Sample]:
    b = _values((4,), 0)
    m1, m2 = _values((2, 3), 1), _values((3, 4), 2)
    return [Sample(lambda lib, c, x, y: lib.addmm(c, x, y), (b, m1, m2), "bias-1d"),
            Sample(lambda lib, c, x, y: lib.addmm(c, x, y, beta=0.5, alpha=2.0),
                   (_values((2, 4), 3), m1, m2), "beta-alpha"),
            Sample(lambda lib, c, x, y: c.addmm(x, y, beta=0.0), (_values((2, 1), 4), m1, m2),
                   "beta0"),
            Sample(lambda lib, c, x, y: lib.addmm(c, x, y.t()), (b, m1, _values((4, 3), 5)),
                   "linear")]


@op("AddmmBackward0", samples=addmm_samples)
class Addmm(Primitive):
    """``beta * input + alpha * (mat1 @ mat2)``: nn.Linear's forward in one BLAS call."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, bias: np.ndarray, m1: np.ndarray, m2: np.ndarray, beta: Any = 1,
                alpha: Any = 1) -> np.ndarray:
        for name, m in (("mat1", m1), ("mat2", m2)):
            if m.ndim != 2:
                raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
        if bias.dtype != m2.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{_dtype_name(bias)} and {_dtype_name(m2)}")
        if m1.dtype != m2.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{_dtype_name(m1)} and {_dtype_name(m2)}")
        if m1.shape[1] != m2.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({m1.shape[0]}x{m1.shape[1]} and "
                f"{m2.shape[0]}x{m2.shape[1]})")
        return _rounded_sum(ctx, m1 @ m2, bias, beta, alpha)

    formula = {"bias": "beta * grad", "m1": "alpha * grad @ m2.T", "m2": "alpha * m1.T @ grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, m1, m2 = ctx.saved_tensors
        nxt = ctx._next
        return (_scaled(grad, ctx.beta) if nxt[0] else None,
                _scaled(Mm.apply(grad, m2.t()), ctx.alpha) if nxt[1] else None,
                _scaled(Mm.apply(m1.t(), grad), ctx.alpha) if nxt[2] else None)

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        prod = _scaled(bilinear_jvp(Mm.apply, tangents, inputs), ctx.alpha)
        tb = _scaled(tangents[0], ctx.beta) if ctx.beta != 0 else None
        return prod if tb is None else tb if prod is None else prod + tb


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``, ``input`` broadcast to the product's shape.

    Args:
        input (Tensor): added to the product (broadcastable to ``(n, p)``).
        mat1 (Tensor): ``(n, m)``.
        mat2 (Tensor): ``(m, p)``.
        beta (Number): multiplier of ``input``; with 0, ``input`` is ignored (even NaNs).
        alpha (Number): multiplier of the product.

    Example::

        >>> ember.addmm(ember.zeros(3), ember.ones(2, 4), ember.ones(4, 3))
        tensor([[4., 4., 4.],
                [4., 4., 4.]])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, mat1, mat2 = lower(input, mat1, mat2)
    return _maybe_out(Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha), out)


def addmv_samples(cls: type) -> list[Sample]:
    return [Sample(lambda lib, c, m, v: lib.addmv(c, m, v), (_values((2,), 0), _values((2, 3), 1),
                                                         _values((3,), 2)), "addmv"),
            Sample(lambda lib, c, m, v: c.addmv(m, v, beta=2.0, alpha=-0.5),
                   (_values((), 3), _values((2, 3), 4), _values((3,), 5)), "beta-alpha")]


@op("AddmvBackward0", samples=addmv_samples)
class Addmv(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, bias: np.ndarray, m: np.ndarray, v: np.ndarray, beta: Any = 1,
                alpha: Any = 1) -> np.ndarray:
        if m.ndim != 2 or v.ndim != 1 or bias.ndim > 1:
            raise RuntimeError(
                f"vector + matrix @ vector expected, got {bias.ndim}, {m.ndim}, {v.ndim}")
        if not bias.dtype == m.dtype == v.dtype:
            raise RuntimeError("addmv input tensors must have the same dtype, but got "
                               f"{_dtype_name(bias)}, {_dtype_name(m)}, and {_dtype_name(v)}")
        if m.shape[1] != v.shape[0] or (bias.ndim == 1 and bias.shape[0] not in (1, m.shape[0])):
            size = bias.shape[0] if bias.ndim else 1
            raise RuntimeError(f"size mismatch, got input ({size}), mat ({m.shape[0]}x"
                               f"{m.shape[1]}), vec ({v.shape[0]})")
        return _add_scaled(ctx, m @ v, bias, beta, alpha)

    formula = {"bias": "beta * grad", "m": "alpha * outer(grad, v)", "v": "alpha * m.T @ grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, m, v = ctx.saved_tensors
        nxt = ctx._next
        return (_scaled(grad, ctx.beta) if nxt[0] else None,
                _scaled(grad.unsqueeze(1) * v, ctx.alpha) if nxt[1] else None,
                _scaled(Mv.apply(m.t(), grad), ctx.alpha) if nxt[2] else None)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1,
          out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    Example::

        >>> ember.addmv(ember.ones(2), ember.ones(2, 3), ember.ones(3))
        tensor([4., 4.])
    """
    return _maybe_out(Addmv.apply(input, mat, vec, beta=beta, alpha=alpha), out)


def _check_batches(bias: np.ndarray, b1: np.ndarray, b2: np.ndarray, fused: bool) -> None:
    for name, b in (("batch1", b1), ("batch2", b2)):
        if b.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if b1.dtype != b2.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(b1)} but found {_dtype_name(b2)}")
    if bias.dtype != b1.dtype:
        if fused:
            raise RuntimeError(
                f"Input dtypes must be the same, got: input {_dtype_name(bias, True)}, batch1: "
                f"{_dtype_name(b1, True)}, batch2: {_dtype_name(b2, True)}")
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_dtype_name(bias)} and {_dtype_name(b2)}")


def batched_samples(kind: str) -> Any:
    def make(cls: type) -> list[Sample]:
        b1, b2 = _values((3, 2, 4), 1), _values((3, 4, 5), 2)
        bias = _values((2, 5) if kind == "addbmm" else (3, 2, 5), 0)
        fn = getattr
        return [Sample(lambda lib, c, x, y: fn(lib, kind)(c, x, y), (bias, b1, b2), kind),
                Sample(lambda lib, c, x, y: fn(c, kind)(x, y, beta=0.5, alpha=-2.0),
                       (_values((5,), 3), b1, b2), "broadcast-beta-alpha")]

    return make


@op("BaddbmmBackward0", samples=batched_samples("baddbmm"))
class Baddbmm(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, bias: np.ndarray, b1: np.ndarray, b2: np.ndarray, beta: Any = 1,
                alpha: Any = 1) -> np.ndarray:
        _check_batches(bias, b1, b2, fused=True)
        if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{b1.shape[0]}, {b1.shape[2]}] but got: [{b2.shape[0]}, {b2.shape[1]}].")
        return _rounded_sum(ctx, np.matmul(b1, b2), bias, beta, alpha)

    formula = {"bias": "beta * grad", "b1": "alpha * grad @ b2.mT", "b2": "alpha * b1.mT @ grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, b1, b2 = ctx.saved_tensors
        nxt = ctx._next
        return (_scaled(grad, ctx.beta) if nxt[0] else None,
                _scaled(Bmm.apply(grad, b2.transpose(1, 2)), ctx.alpha) if nxt[1] else None,
                _scaled(Bmm.apply(b1.transpose(1, 2), grad), ctx.alpha) if nxt[2] else None)


@op("AddbmmBackward0", samples=batched_samples("addbmm"))
class Addbmm(Primitive):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``, as one GEMM over the batch."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, bias: np.ndarray, b1: np.ndarray, b2: np.ndarray, beta: Any = 1,
                alpha: Any = 1) -> np.ndarray:
        _check_batches(bias, b1, b2, fused=False)
        (nb, n, k), (nb2, k2, p) = b1.shape, b2.shape
        if nb != nb2:
            raise RuntimeError(
                f"batch1 and batch2 must have same number of batches, got {nb} and {nb2}")
        if k != k2:
            raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k} and {k2}x{p})")
        prod = b1.transpose(1, 0, 2).reshape(n, nb * k) @ b2.reshape(nb * k, p)
        return _add_scaled(ctx, prod, bias, beta, alpha)

    formula = {
        "bias": "beta * grad",
        "b1": "alpha * grad @ b2[i].mT for each batch i",
        "b2": "alpha * b1[i].mT @ grad for each batch i",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, b1, b2 = ctx.saved_tensors
        nxt = ctx._next
        return (_scaled(grad, ctx.beta) if nxt[0] else None,
                _scaled(matmul(grad, b2.transpose(1, 2)), ctx.alpha) if nxt[1] else None,
                _scaled(matmul(b1.transpose(1, 2), grad), ctx.alpha) if nxt[2] else None)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
            out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``.

    Example::

        >>> ember.baddbmm(ember.zeros(2, 1, 1), ember.ones(2, 1, 3), ember.ones(2, 3, 1))
        tensor([[[3.]],
        <BLANKLINE>
                [[3.]]])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, batch1, batch2 = lower(input, batch1, batch2)
    return _maybe_out(Baddbmm.apply(input, batch1, batch2, beta=beta, alpha=alpha), out)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
           out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * sum over b of batch1[b] @ batch2[b]``.

    Example::

        >>> ember.addbmm(ember.zeros(1, 1), ember.ones(2, 1, 3), ember.ones(2, 3, 1))
        tensor([[6.]])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, batch1, batch2 = lower(input, batch1, batch2)
    return _maybe_out(Addbmm.apply(input, batch1, batch2, beta=beta, alpha=alpha), out)


def addr_samples(cls: type) -> list[Sample]:
    return [Sample(lambda lib, c, x, y: lib.addr(c, x, y, beta=0.5, alpha=2.0),
                   (_values((2, 3), 0), _values((2,), 1), _values((3,), 2)), "addr")]


@op("AddrBackward0", samples=addr_samples)
class Addr(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, bias: np.ndarray, v1: np.ndarray, v2: np.ndarray, beta: Any = 1,
                alpha: Any = 1) -> np.ndarray:
        if v1.ndim != 1 or v2.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument vec{1 if v1.ndim != 1 else 2}, "
                               f"but got {v1.ndim if v1.ndim != 1 else v2.ndim}-D")
        return _add_scaled(ctx, np.multiply.outer(v1, v2), bias, beta, alpha)

    formula = {"bias": "beta * grad", "v1": "alpha * grad @ v2", "v2": "alpha * grad.T @ v1"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        _, v1, v2 = ctx.saved_tensors
        nxt = ctx._next
        return (_scaled(grad, ctx.beta) if nxt[0] else None,
                _scaled(Mv.apply(grad, v2), ctx.alpha) if nxt[1] else None,
                _scaled(Mv.apply(grad.t(), v1), ctx.alpha) if nxt[2] else None)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1,
         out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _maybe_out(Addr.apply(input, vec1, vec2, beta=beta, alpha=alpha), out)


for _name, _fn in (("addmm", addmm), ("addmv", addmv), ("baddbmm", baddbmm),
                   ("addbmm", addbmm), ("addr", addr)):
    setattr(Tensor, _name, _fn)
