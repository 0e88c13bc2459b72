"""Matrix products: dot, vdot, mv, mm, bmm, and ``matmul``/``@``, which decomposes into them
exactly as torch does (so ``v @ M`` is SqueezeBackward4 over MmBackward0, and a batched product
folds into bmm under UnsafeViewBackward0). The fused ``addmm`` family lives in ``addmm.py``;
outer, kron, tensordot and einsum in ``contractions.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from ...amp import autocast_mode as _amp
from ...amp.autocast_mode import lower
from ...amp.autocast_mode import state as _autocast
from .._op import Primitive, UnaryOp, op
from ..samples import Sample, matmul_samples
from ..samples import _values as _sample_values
from ..shape.reshape import SqueezeDim, infer_shape

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot"]


def _values(shape: tuple, seed: int, domain: str = "real") -> np.ndarray:
    return _sample_values(shape, domain, seed + 100)


def rounded(product: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A product in ``like``'s dtype: NumPy multiplies bfloat16 matrices in float32 (as torch
    accumulates them), and the result is rounded back once, as torch's."""
    return product if product.dtype == like.dtype else product.astype(like.dtype)


def _same_dtype(a: np.ndarray, b: np.ndarray, name: str) -> None:
    if a.dtype != b.dtype:
        from ... import _dtype as dt
        from ..pointwise.arithmetic import _kind_name

        ka, kb = _kind_name(dt._BY_NUMPY[a.dtype]), _kind_name(dt._BY_NUMPY[b.dtype])
        if name == "dot":
            raise RuntimeError(
                f"dot : expected both vectors to have same dtype, but found {ka} and {kb}")
        if name == "bmm":
            raise RuntimeError(f"expected scalar type {ka} but found {kb}")
        if name == "mv":
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {kb}, "
                               f"{ka}, and {kb}")
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {dt._BY_NUMPY[a.dtype].name} "
            f"!= {dt._BY_NUMPY[b.dtype].name}".replace("float32", "float").replace(
                "float64", "double").replace("int64", "long"))


@op("DotBackward0", samples=matmul_samples("dot"))
class Dot(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim != 1 or b.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                f"[{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} and "
                f"{b.shape[0]} elements respectively")
        _same_dtype(a, b, "dot")
        return rounded(np.asarray(np.dot(a, b)), a)

    formula = {"a": "grad * b", "b": "grad * a"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (grad * b if ctx._next[0] else None,
                grad * a if ctx._next[1] else None)

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        return bilinear_jvp(Dot.apply, tangents, inputs)


@op("MvBackward0", samples=matmul_samples("mv"))
class Mv(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, m: np.ndarray, v: np.ndarray) -> np.ndarray:
        if m.ndim != 2 or v.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {m.ndim}, {v.ndim}")
        if m.shape[1] != v.shape[0]:
            raise RuntimeError(
                f"size mismatch, got input ({m.shape[0]}), mat ({m.shape[0]}x{m.shape[1]}), vec "
                f"({v.shape[0]})")
        _same_dtype(m, v, "mv")
        return rounded(m @ v, m)

    formula = {"m": "outer(grad, v)", "v": "m.T @ grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        m, v = ctx.saved_tensors
        grad_m = grad.unsqueeze(1) * v if ctx._next[0] else None
        grad_v = Mv.apply(m.t(), grad) if ctx._next[1] else None
        return grad_m, grad_v

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        return bilinear_jvp(Mv.apply, tangents, inputs)


@op("MmBackward0", samples=matmul_samples("mm"))
class Mm(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim != 2 or b.ndim != 2:
            which, nd = ("self", a.ndim) if a.ndim != 2 else ("mat2", b.ndim)
            raise RuntimeError(f"{which} must be a matrix")
        if a.shape[1] != b.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                f"{b.shape[0]}x{b.shape[1]})")
        _same_dtype(a, b, "mm")
        return rounded(a @ b, a)

    formula = {"a": "grad @ b.T", "b": "a.T @ grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (Mm.apply(grad, b.t()) if ctx._next[0] else None,
                Mm.apply(a.t(), grad) if ctx._next[1] else None)

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        return bilinear_jvp(Mm.apply, tangents, inputs)


@op("BmmBackward0", samples=matmul_samples("bmm"))
class Bmm(Primitive):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim != 3 or b.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor" if a.ndim != 3
                               else "batch2 must be a 3D tensor")
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
        _same_dtype(a, b, "bmm")
        return rounded(np.matmul(a, b), a)

    formula = {"a": "grad @ b.mT", "b": "a.mT @ grad"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return (Bmm.apply(grad, b.transpose(1, 2)) if ctx._next[0] else None,
                Bmm.apply(a.transpose(1, 2), grad) if ctx._next[1] else None)

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        return bilinear_jvp(Bmm.apply, tangents, inputs)


@op("UnsafeViewBackward0")
class UnsafeView(UnaryOp):
    """A reshape of a fresh result (matmul's last step); not a view of anything the user has."""

    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, shape: tuple) -> np.ndarray:
        ctx.input_shape = x.shape
        return x.reshape(infer_shape(shape, x.size))

    formula = {"x": "grad.reshape(x.shape)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.input_shape)


@op("SqueezeBackward4")
class SqueezeAfterMatmul(SqueezeDim):
    """torch records ``vector @ matrix``'s final squeeze under this overload's name."""
    formula = {"x": "grad.unsqueeze(dim)"}


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with NumPy's broadcasting rules for batches and vectors.

    Args:
        input (Tensor): at least 1-D.
        other (Tensor): at least 1-D.

    Example::

        >>> ember.ones(2, 3) @ ember.ones(3)
        tensor([3., 3.])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, other = lower(input, other)
    if not isinstance(other, Tensor) or not isinstance(input, Tensor):
        raise TypeError(
            f"matmul(): argument 'other' (position 1) must be Tensor, not "
            f"{type(other).__name__ if isinstance(input, Tensor) else type(input).__name__}")
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        result = Dot.apply(input, other)
    elif da == 2 and db == 1:
        result = Mv.apply(input, other)
    elif da == 1 and db == 2:
        result = SqueezeAfterMatmul.apply(Mm.apply(input.unsqueeze(0), other), dim=0)
    elif da == 2 and db == 2:
        result = Mm.apply(input, other)
    elif da >= 3 and db <= 2:
        result = _fold_left(input, other)
    else:
        result = _batched(input, other)
    if out is not None:
        from ..pointwise.arithmetic import _out

        return _out(result, out)
    return result


def _fold_left(a: Tensor, b: Tensor) -> Tensor:
    """(..., n, k) @ (k, m) or (k,): fold the batch into the rows of one mm/mv."""
    lead = a._data.shape[:-1]
    k = a._data.shape[-1]
    folded = a.reshape(-1, k)
    if b._data.ndim == 1:
        if b._data.shape[0] != k:
            raise RuntimeError(
                f"size mismatch, got input ({folded.shape[0]}), mat "
                f"({folded.shape[0]}x{k}), vec ({b._data.shape[0]})")
        return UnsafeView.apply(Mv.apply(folded, b), shape=lead)
    if b._data.shape[0] != k:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({folded.shape[0]}x{k} and "
            f"{b._data.shape[0]}x{b._data.shape[1]})")
    return UnsafeView.apply(Mm.apply(folded, b), shape=lead + (b._data.shape[1],))


def _batched(a: Tensor, b: Tensor) -> Tensor:
    """Broadcast the batch dims, fold them into one, bmm, unfold."""
    squeeze_a = a._data.ndim == 1
    squeeze_b = b._data.ndim == 1
    if squeeze_a:
        a = a.unsqueeze(0)
    if squeeze_b:
        b = b.unsqueeze(-1)
    n, k = a._data.shape[-2:]
    k2, m = b._data.shape[-2:]
    if k != k2:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{int(np.prod(a._data.shape[:-2]))}, {k}] but got: "
            f"[{int(np.prod(b._data.shape[:-2]))}, {k2}].")
    try:
        batch = np.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({a._data.shape[-3]}) must match the size of tensor b "
            f"({b._data.shape[-3]}) at non-singleton dimension 0") from None
    size = int(np.prod(batch)) if batch else 1
    a3 = a.expand(batch + (n, k)).reshape(size, n, k)
    b3 = b.expand(batch + (k, m)).reshape(size, k, m)
    shape = batch + ((n,) if not squeeze_a else ()) + ((m,) if not squeeze_b else ())
    return UnsafeView.apply(Bmm.apply(a3, b3), shape=shape)


def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product of two 2-D tensors (no broadcasting: see ``matmul``).

    Args:
        input (Tensor): ``(n, m)``.
        mat2 (Tensor): ``(m, p)``.

    Returns:
        Tensor: ``(n, p)``.

    Example::

        >>> ember.mm(ember.ones(2, 3), ember.ones(3, 4)).shape
        ember.Size([2, 4])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, mat2 = lower(input, mat2)
    return _maybe_out(Mm.apply(input, mat2), out)


def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)`` tensors."""
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, mat2 = lower(input, mat2)
    return _maybe_out(Bmm.apply(input, mat2), out)


def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix-vector product of ``(n, m)`` and ``(m,)`` tensors."""
    return _maybe_out(Mv.apply(input, vec), out)


def dot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Dot product of two 1-D tensors of the same dtype."""
    return _maybe_out(Dot.apply(input, other), out)


def _maybe_out(result: Tensor, out: Tensor | None) -> Tensor:
    if out is None:
        return result
    from ..pointwise.arithmetic import _out

    return _out(result, out)


def bilinear_jvp(fn: Any, tangents: tuple, inputs: tuple) -> Tensor | None:
    """Tangent of a product bilinear in its two inputs: ``f(ta, b) + f(a, tb)``."""
    (ta, tb), (a, b) = tangents[-2:], inputs[-2:]
    terms = [fn(ta, b) if ta is not None else None, fn(a, tb) if tb is not None else None]
    terms = [t for t in terms if t is not None]
    return None if not terms else terms[0] if len(terms) == 1 else terms[0] + terms[1]


@op("VdotBackward0", samples=lambda cls: [Sample(lambda lib, a, b: lib.vdot(a, b),
                                               (_values((4,), 0), _values((4,), 1)), "vdot")])
class Vdot(Dot):
    """``conj(a) . b``: the same as dot for real tensors."""
    formula = {"a": "grad * b", "b": "grad * a"}

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        Dot.forward(ctx, a, b)
        return np.asarray(np.vdot(a, b))

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        return bilinear_jvp(Vdot.apply, tangents, inputs)


def vdot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Dot product of two 1-D tensors, conjugating the first (``sum(conj(a) * b)``).

    Example::

        >>> ember.vdot(ember.tensor([1., 2.]), ember.tensor([3., 4.]))
        tensor(11.)
    """
    if input.is_complex() and _grad_wanted(input, other):
        raise NotImplementedError("vdot: gradients of complex inputs are not supported yet")
    return _maybe_out(Vdot.apply(input, other), out)


def _grad_wanted(*tensors: Tensor) -> bool:
    from ...autograd.grad_mode import state

    return state.enabled and any(t._requires_grad for t in tensors)


for _name, _fn in (("matmul", matmul), ("__matmul__", matmul), ("mm", mm), ("bmm", bmm),
                   ("mv", mv), ("dot", dot), ("vdot", vdot)):
    setattr(Tensor, _name, _fn)
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)  # type: ignore[attr-defined]
