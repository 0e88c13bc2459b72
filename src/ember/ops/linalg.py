"""Matrix products: dot, vdot, mv, mm, bmm, and ``matmul``/``@``, which decomposes into them
exactly as torch does (so ``v @ M`` is SqueezeBackward4 over MmBackward0, and a batched product
folds into bmm under UnsafeViewBackward0); the fused ``addmm`` family (``nn.Linear``'s hot
path); outer, kron, tensordot, cross and einsum."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._op import Primitive, UnaryOp, composite, op
from .samples import Sample, matmul_samples
from .samples import _values as _sample_values
from .shape import SqueezeDim, infer_shape

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "addmm", "addmv",
           "addbmm", "baddbmm", "addr", "einsum", "tensordot", "kron"]


def _values(shape: tuple, seed: int, domain: str = "real") -> np.ndarray:
    return _sample_values(shape, domain, seed + 100)


def _same_dtype(a: np.ndarray, b: np.ndarray, name: str) -> None:
    if a.dtype != b.dtype:
        from .. import _dtype as dt
        from .arithmetic import _kind_name

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
        return np.asarray(np.dot(a, b))

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
        return m @ v

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
        return a @ b

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
        return np.matmul(a, b)

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

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad.reshape(ctx.input_shape)


@op("SqueezeBackward4")
class SqueezeAfterMatmul(SqueezeDim):
    """torch records ``vector @ matrix``'s final squeeze under this overload's name."""


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product with NumPy's broadcasting rules for batches and vectors.

    Args:
        input (Tensor): at least 1-D.
        other (Tensor): at least 1-D.

    Example::

        >>> ember.ones(2, 3) @ ember.ones(3)
        tensor([3., 3.])
    """
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
        from .arithmetic import _out

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
    return _maybe_out(Mm.apply(input, mat2), out)


def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)`` tensors."""
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
    from .arithmetic import _out

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
    from ..autograd.grad_mode import state

    return state.enabled and any(t._requires_grad for t in tensors)


def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Outer product of two 1-D tensors: ``result[i, j] = input[i] * vec2[j]``.

    Example::

        >>> ember.outer(ember.tensor([1., 2.]), ember.tensor([1., 10., 100.]))
        tensor([[  1.,  10., 100.],
                [  2.,  20., 200.]])
    """
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return _maybe_out(input.reshape(-1, 1) * vec2, out)


ger = outer


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
        prod = prod * alpha if prod.dtype.kind in "fc" else (prod * alpha).astype(prod.dtype)
    if beta == 0:
        return prod
    if beta == 1:
        prod += bias
        return prod
    return (prod + beta * bias).astype(prod.dtype, copy=False)


def _scaled(t: Tensor | None, factor: Any) -> Tensor | None:
    return t if t is None or factor == 1 else t * factor


def _dtype_name(a: np.ndarray, lower: bool = False) -> str:
    from .. import _dtype as dt
    from .arithmetic import _kind_name

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
        return _add_scaled(ctx, m1 @ m2, bias, beta, alpha)

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
        return _add_scaled(ctx, np.matmul(b1, b2), bias, beta, alpha)

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
    return _maybe_out(Baddbmm.apply(input, batch1, batch2, beta=beta, alpha=alpha), out)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1,
           out: Tensor | None = None) -> Tensor:
    """``beta * input + alpha * sum over b of batch1[b] @ batch2[b]``.

    Example::

        >>> ember.addbmm(ember.zeros(1, 1), ember.ones(2, 1, 3), ember.ones(2, 3, 1))
        tensor([[6.]])
    """
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


for _name, _fn in (("matmul", matmul), ("__matmul__", matmul), ("mm", mm), ("bmm", bmm),
                   ("mv", mv), ("dot", dot), ("vdot", vdot), ("outer", outer), ("ger", outer),
                   ("addmm", addmm), ("addmv", addmv), ("baddbmm", baddbmm),
                   ("addbmm", addbmm), ("addr", addr)):
    setattr(Tensor, _name, _fn)
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)  # type: ignore[attr-defined]


# --- kron, tensordot ----------------------------------------------------------------------------
def kron(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Kronecker product: blocks ``input[i, j] * other`` laid out in a grid.

    Example::

        >>> ember.kron(ember.eye(2), ember.ones(1, 2))
        tensor([[1., 1., 0., 0.],
                [0., 0., 1., 1.]])
    """
    n = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (n - input._data.ndim) + input._data.shape
    sb = (1,) * (n - other._data.ndim) + other._data.shape
    # interleave the dims (a0, b0, a1, b1, ...): one broadcast product, then one reshape
    a = input.reshape(tuple(x for d in sa for x in (d, 1)))
    b = other.reshape(tuple(x for d in sb for x in (1, d)))
    result = UnsafeView.apply(a * b, shape=tuple(x * y for x, y in zip(sa, sb)))
    return _maybe_out(result, out)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Tensor | None = None) -> Tensor:
    """Contracts ``dims`` dims of ``a`` with dims of ``b``.

    Args:
        a (Tensor): left operand.
        b (Tensor): right operand.
        dims (int or pair of lists): an int ``d`` contracts the last ``d`` dims of ``a`` with
            the first ``d`` of ``b``; a pair ``([da...], [db...])`` names them.

    Example::

        >>> ember.tensordot(ember.ones(2, 3), ember.ones(3, 4), dims=1)
        tensor([[3., 3., 3., 3.],
                [3., 3., 3., 3.]])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a._data.ndim or dims > b._data.ndim:
            raise RuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-int(dims), 0)), list(range(int(dims)))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    from .._tensor import wrap_dim

    ca = [wrap_dim(d, a._data.ndim) for d in dims_a]
    cb = [wrap_dim(d, b._data.ndim) for d in dims_b]
    for da, db, i, j in zip(dims_a, dims_b, ca, cb):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[i]} "
                f"in dim {da} and second has size {b._data.shape[j]} in dim {db}")
    free_a = [d for d in range(a._data.ndim) if d not in ca]
    free_b = [d for d in range(b._data.ndim) if d not in cb]
    k = int(np.prod([a._data.shape[d] for d in ca]))
    shape_a = [a._data.shape[d] for d in free_a]
    shape_b = [b._data.shape[d] for d in free_b]
    left = a.permute(free_a + ca).reshape(int(np.prod(shape_a)), k)
    right = b.permute(cb + free_b).reshape(k, int(np.prod(shape_b)))
    return _maybe_out(Mm.apply(left, right).view(shape_a + shape_b), out)


# --- einsum ------------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Checks ``equation`` against the operands' shapes (torch's errors) and spells it with
    explicit letters: ellipses become fresh letters, implicit outputs are made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    for i, ch in enumerate(lhs + "->" + rhs if arrow else lhs):
        allowed = _LETTERS + (",." if i < len(lhs) else ".")
        if ch not in allowed and not (arrow and len(lhs) <= i < len(lhs) + 2):
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    used = set(eq)
    fresh = [c for c in _LETTERS if c not in used]
    ell_dims = 0
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." in term:
            ell_dims = max(ell_dims, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({named}) does not match "
                f"the number of dimensions ({len(shape)}) for operand {i} and no ellipsis was "
                "given")
    ell = "".join(fresh[:ell_dims])
    subs = [t.replace("...", ell[ell_dims - (len(s) - len(t.replace("...", ""))):]
                      if ell_dims else "")
            for t, s in zip(terms, shapes)]
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if c not in lhs and c not in ell:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    else:
        counts = "".join(terms).replace(".", "")
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    return subs, out


def _einsum_node(subs: list[str], out: str) -> type:
    """torch's top node for this equation: einsum is a chain of views, mul, sum and bmm
    there, and which one comes last depends only on whether anything is summed."""
    summed = bool(set("".join(subs)) - set(out))
    if len(subs) == 1:
        return EinsumSum if summed else EinsumPermute
    return EinsumView if summed else EinsumMul


class Einsum(Primitive):
    """One NumPy einsum; the gradient of each operand is again an einsum (of the output
    gradient with the other operands), so every order of derivative is an einsum."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, *arrays: np.ndarray, subs: list[str], out: str) -> np.ndarray:
        ctx.subs, ctx.out = subs, out
        return np.asarray(np.einsum(",".join(subs) + "->" + out, *arrays,
                                    optimize=len(arrays) > 2))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        inputs = ctx.saved_tensors
        subs, out = ctx.subs, ctx.out
        return tuple(_einsum_grad(grad, inputs, subs, out, i) if ctx._next[i] else None
                     for i in range(len(inputs)))

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                ops = list(inputs[:i]) + [t] + list(inputs[i + 1:])
                term = _einsum_apply(ops, ctx.subs, ctx.out)
                total = term if total is None else total + term
        return total


def _einsum_apply(operands: list, subs: list[str], out: str) -> Tensor:
    return _einsum_node(subs, out).apply(*operands, subs=subs, out=out)


def _einsum_grad(grad: Tensor, inputs: tuple, subs: list[str], out: str, i: int) -> Tensor:
    """d out / d operand i, contracted with ``grad``: an einsum of ``grad`` and the other
    operands. A letter repeated in operand i (a diagonal) is renamed and tied to the original
    by an identity matrix; a letter only operand i has is broadcast by a vector of ones."""
    from .._tensor import _make

    target = subs[i]
    others = [s for j, s in enumerate(subs) if j != i]
    ops: list = [grad] + [t for j, t in enumerate(inputs) if j != i]
    terms = [out] + others
    size = dict(zip(target, inputs[i]._data.shape))
    np_dtype = inputs[i]._data.dtype
    used = set("".join(subs) + out)
    fresh = iter(c for c in _LETTERS if c not in used)
    renamed = []
    for c in target:
        if c in renamed:
            new = next(fresh)
            ops.append(_make(np.eye(size[c], dtype=np_dtype)))
            terms.append(c + new)
            c = new
        renamed.append(c)
    present = set("".join(terms))
    for c in dict.fromkeys(renamed):
        if c not in present:
            ops.append(_make(np.ones(size[c], dtype=np_dtype)))
            terms.append(c)
    return _einsum_apply(ops, terms, "".join(renamed))


class EinsumView(Einsum):
    pass


class EinsumMul(Einsum):
    pass


class EinsumSum(Einsum):
    pass


class EinsumPermute(Einsum):
    pass


for _cls, _name in ((EinsumView, "ViewBackward0"), (EinsumMul, "MulBackward0"),
                    (EinsumSum, "SumBackward1"), (EinsumPermute, "PermuteBackward0")):
    _cls.__name__ = _cls.__qualname__ = _name


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sums products of operand elements over the indices the Einstein-notation ``equation``
    names, e.g. ``"ij,jk->ik"`` for a matrix product.

    Args:
        equation (str): subscripts of each operand (letters, ``...`` for broadcast dims),
            optionally ``->`` and the output's subscripts.
        *operands (Tensor): the operands (or one list of them), all of one dtype.

    Example::

        >>> ember.einsum("ii", ember.eye(3))
        tensor(3.)

    Note:
        The result is one node whose name is torch's last node for the same equation
        (``ViewBackward0``, ``MulBackward0``, ``SumBackward1`` or ``PermuteBackward0``).
    """
    if not isinstance(equation, str):
        raise NotImplementedError("einsum: the sublist format is not supported; pass the "
                                  "equation as a string")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    shapes = [t._data.shape for t in operands]
    subs, out = _parse_einsum(equation, shapes)
    sizes: dict[str, int] = {}
    for n, (s, t) in enumerate(zip(subs, operands)):
        seen: dict[str, int] = {}
        for c, d in zip(s, t._data.shape):
            if c in seen and seen[c] != d:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {n} but "
                                   f"the sizes don't match, {d} != {seen[c]}")
            seen[c] = d
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = d
            elif d not in (1, prev):
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {d} for operand {n} which does not "
                    f"broadcast with previously seen size {prev}")
    ref = operands[0]._data.dtype
    for t in operands[1:]:
        if t._data.dtype != ref:
            raise RuntimeError(f"expected scalar type {_dtype_name(operands[0]._data)} but "
                               f"found {_dtype_name(t._data)}")
    # size-1 dims broadcast against the other operands' (torch allows it, NumPy does not)
    operands = tuple(t.expand([sizes[c] for c in s]) if any(
        sizes[c] != d for c, d in zip(s, t._data.shape)) else t for s, t in zip(subs, operands))
    return _einsum_apply(list(operands), subs, out)


def einsum_samples(cls: type) -> list[Sample]:
    m, n, sq = _values((2, 3), 0), _values((3, 4), 1), _values((3, 3), 2)
    v, w, b1, b2 = _values((3,), 3), _values((4,), 4), _values((2, 2, 3), 5), _values((2, 3, 4), 6)
    eq = [("ij,jk->ik", (m, n)), ("ii", (sq,)), ("ii->i", (sq,)), ("ij->ji", (m,)),
          ("ij->", (m,)), ("i,j->ij", (v, w)), ("i,i->", (v, v)), ("bij,bjk->bik", (b1, b2)),
          ("i,ij,jk->k", (v, sq, n)), ("...ij,jk->...ik", (b1, n)), ("ii,i->i", (sq, v)),
          ("ij,kj", (m, m)), ("ij,jk->j", (m, n)), ("ij,j", (_values((2, 1), 7), v))]

    def call(e: str) -> Any:
        return lambda lib, *xs: lib.einsum(e, *xs)

    return [Sample(call(e), xs, e) for e, xs in eq]


def product_samples(cls: Any) -> list[Sample]:
    v, w, m = _values((3,), 0), _values((4,), 1), _values((2, 3), 2)
    return [Sample(lambda lib, a, b: lib.outer(a, b), (v, w), "outer"),
            Sample(lambda lib, a, b: a.ger(b), (v, w), "ger"),
            Sample(lambda lib, a, b: lib.kron(a, b), (m, _values((2, 2), 3)), "kron"),
            Sample(lambda lib, a, b: lib.kron(a, b), (v, m), "kron-mixed-ndim"),
            Sample(lambda lib, a, b: lib.tensordot(a, b, dims=1), (m, _values((3, 4), 4)),
                   "tensordot-1"),
            Sample(lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 2])),
                   (m, _values((3, 4, 2), 5)), "tensordot-lists"),
            Sample(lambda lib, a, b: lib.tensordot(a, b, dims=0), (v, w), "tensordot-0")]


composite("einsum", einsum_samples)
composite("products", product_samples)
Tensor.kron = kron  # type: ignore[attr-defined]
