"""Statistical reductions: prod, cumulative sum and product, vector norms and logsumexp.
var/std and their ``_mean`` forms live in ``variance.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from .._op import UnaryOp, op
from ..samples import Sample, _values
from .common import Flip, Shift, reduction_jvp, where
from .sum_mean import _NO_DIM, _sum_dtype, kind_name, one_dim, reduce_dims, unreduce

__all__ = ["prod", "cumsum", "cumprod", "norm", "logsumexp"]


# --- product --------------------------------------------------------------------------------
def _prod_others(x: Tensor, dim: int) -> Tensor:
    """For each element, the product of the others along ``dim``, exact with zeros: the
    product of everything before it times the product of everything after it."""
    return _exclusive_cumprod(x, dim) * Flip.apply(
        _exclusive_cumprod(Flip.apply(x, dim=dim), dim), dim=dim)


def _exclusive_cumprod(x: Tensor, dim: int) -> Tensor:
    """``prod(x[:k])`` at each ``k`` along ``dim``."""
    return Shift.apply(cumprod(x, dim), dim=dim, forward_=True, fill=1.0)


def _prod_samples(whole: bool) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((2, 3), "nonzero", 5)
        one_zero = np.array([[2.0, 0.0, -3.0], [1.5, 0.5, 2.0]])
        two_zeros = np.array([[0.0, 0.0, 3.0], [1.0, 0.0, 2.0]])
        if whole:
            return [Sample(lambda lib, t: t.prod(), (x,), "all"),
                    Sample(lambda lib, t: t.prod(), (np.array(1.5),), "0-d"),
                    Sample(lambda lib, t: t.prod(), (one_zero,), "one-zero", gradcheck=False),
                    Sample(lambda lib, t: t.prod(), (two_zeros,), "two-zeros", gradcheck=False)]
        return [Sample(lambda lib, t: t.prod(1), (x,), "dim1"),
                Sample(lambda lib, t: t.prod(0, keepdim=True), (x,), "keepdim"),
                Sample(lambda lib, t: t.prod(1), (one_zero,), "one-zero"),
                Sample(lambda lib, t: t.prod(0), (two_zeros,), "zeros", gradcheck=False),
                Sample(lambda lib, t: t.prod(0), (np.zeros((0, 2)),), "empty")]

    return make


@op("ProdBackward0", samples=_prod_samples(True))
class Prod(UnaryOp):
    """``x.prod()``."""

    save_inputs = save_output = True
    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, None, False
        return np.asarray(x.prod(dtype=_sum_dtype(x, dtype, ctx)))

    formula = {"x": "grad * (the product of all other elements) = grad * result / x where x != 0"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, out = ctx.saved_tensors
        if ctx.dim is None:
            g = grad.expand(ctx.shape)
            if not (x._data == 0).any():
                return g * out / x
            return g * _prod_others(x.reshape(-1), 0).reshape(ctx.shape)
        g = unreduce(grad, ctx.shape, (ctx.dim,), ctx.keepdim)
        if not (x._data == 0).any():
            return g * unreduce(out, ctx.shape, (ctx.dim,), ctx.keepdim) / x
        return g * _prod_others(x, ctx.dim)


@op("ProdBackward1", samples=_prod_samples(False))
class ProdDim(Prod):
    """``x.prod(dim, keepdim)``."""
    formula = {"x": "grad * (the product of the other elements along dim)"}

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None, keepdim: bool,  # type: ignore
                dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        ctx.dims = () if dim is None else (dim,)
        axis = () if dim is None else dim
        return np.asarray(x.prod(axis=axis, keepdims=keepdim, dtype=_sum_dtype(x, dtype, ctx)))


def prod(input: Tensor, dim: Any = _NO_DIM, keepdim: bool = False, *,
         dtype: dt.dtype | None = None) -> Tensor:
    """The product of the elements of ``input``, over one ``dim`` if given.

    Args:
        input (Tensor): the input.
        dim (int, optional): the dim to reduce.
        keepdim (bool): keep the reduced dim with size 1.
        dtype (ember.dtype, optional): the accumulation and result dtype.

    Returns:
        Tensor: int64 for integer and bool inputs, else the input's dtype.

    Example::

        >>> ember.tensor([[1., 2.], [3., 4.]]).prod(1)
        tensor([ 2., 12.])
    """
    if dim is _NO_DIM:
        if keepdim:
            raise TypeError("prod(): keepdim needs a dim")
        return Prod.apply(input, dtype=dtype)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    return ProdDim.apply(input, dim=one_dim(dim, input._data.ndim), keepdim=keepdim,
                         dtype=dtype)


# --- cumulative sum and product -------------------------------------------------------------
def _cumulative_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4), "nonzero", 6)
        out = [Sample(lambda lib, t: getattr(t, name)(1), (x,), "dim1"),
               Sample(lambda lib, t: getattr(t, name)(-2), (x,), "dim0"),
               Sample(lambda lib, t: getattr(t, name)(0), (np.array(1.5),), "0-d"),
               Sample(lambda lib, t: getattr(t, name)(0), (np.zeros((0,)),), "empty")]
        if name == "cumprod":
            zeros = np.array([[2.0, 0.0, 3.0, 0.0, 4.0], [0.5, 1.5, 0.0, -2.0, 1.0]])
            out.append(Sample(lambda lib, t: t.cumprod(1), (zeros,), "zeros"))
        return out

    return make


def _cumulative(ctx: Any, x: np.ndarray, dim: int | None, dtype: dt.dtype | None,
                fn: Any) -> np.ndarray:
    result = _sum_dtype(x, dtype, ctx)
    if dim is None:  # 0-d
        return x.astype(result) if result is not None else x.copy()
    return fn(x, axis=dim, dtype=result)


def _reverse_cumsum(g: Tensor, dim: int) -> Tensor:
    return Flip.apply(cumsum(Flip.apply(g, dim=dim), dim), dim=dim)


@op("CumsumBackward0", samples=_cumulative_samples("cumsum"))
class Cumsum(UnaryOp):
    linear = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None,
                dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.dim, ctx.dtype = dim, x.dtype
        return _cumulative(ctx, x, dim, dtype, np.cumsum)

    formula = {"x": "flip(cumsum(flip(grad, dim), dim), dim)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if ctx.dim is None or grad._data.size == 0:
            return grad
        return _reverse_cumsum(grad, ctx.dim)


@op("CumprodBackward0", samples=_cumulative_samples("cumprod"))
class Cumprod(UnaryOp):
    save_inputs = save_output = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dim: int | None,
                dtype: dt.dtype | None = None) -> np.ndarray:
        ctx.dim = dim
        return _cumulative(ctx, x, dim, dtype, np.cumprod)

    formula = {"x": "sum over k >= i of grad[k] * result[k] / x[i] (without dividing by 0)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, out = ctx.saved_tensors
        d = ctx.dim
        if d is None or x._data.size == 0:
            return grad
        if not (x._data == 0).any():
            return _reverse_cumsum(grad * out, d) / x
        return _cumprod_backward_exact(x, grad, d)


def _cumprod_backward_exact(x: Tensor, grad: Tensor, d: int) -> Tensor:
    """d(cumprod)/dx with zeros in ``x``, where dividing by ``x`` is not possible:
    ``dx[k] = prod(x[:k]) * sum_{j >= k} grad[j] * prod(x[k+1:j+1])``, built on a (n, n) grid
    along the dim (rows k, columns j)."""
    xm, gm = x.movedim(d, -1), grad.movedim(d, -1)
    n = xm._data.shape[-1]
    lead = xm._data.shape[:-1]
    after = np.triu(np.ones((n, n), dtype=bool), 1)  # column i is after row k
    grid = where(after, xm.unsqueeze(-2).expand(*lead, n, n), 1.0)
    partial = cumprod(grid, -1)  # [k, j] = prod(x[k+1:j+1])
    upper_np = np.triu(np.ones((n, n), dtype=bool))  # j >= k
    inner = where(upper_np, gm.unsqueeze(-2) * partial, 0.0).sum(-1)
    return (_exclusive_cumprod(xm, xm._data.ndim - 1) * inner).movedim(-1, d)


def _cumulative_call(cls: type, name: str) -> Any:
    def call(input: Tensor, dim: int, *, dtype: dt.dtype | None = None) -> Tensor:
        if dim is None or isinstance(dim, (tuple, list)):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
        return cls.apply(input, dim=one_dim(dim, input._data.ndim), dtype=dtype)

    call.__name__ = name
    return call


cumsum = _cumulative_call(Cumsum, "cumsum")
cumsum.__doc__ = """The cumulative sum of ``input`` along ``dim``.

    Args:
        input (Tensor): the input.
        dim (int): the dim to accumulate along.
        dtype (ember.dtype, optional): the result dtype (int64 for integer inputs by default).

    Example::

        >>> ember.tensor([1., 2., 3.]).cumsum(0)
        tensor([1., 3., 6.])
    """
cumprod = _cumulative_call(Cumprod, "cumprod")
cumprod.__doc__ = """The cumulative product of ``input`` along ``dim``.

    Args:
        input (Tensor): the input.
        dim (int): the dim to accumulate along.
        dtype (ember.dtype, optional): the result dtype (int64 for integer inputs by default).

    Example::

        >>> ember.tensor([1., 2., 3.]).cumprod(0)
        tensor([1., 2., 6.])
    """


# --- vector norms ---------------------------------------------------------------------------
def _norm_samples(cls: type) -> list[Sample]:
    x = _values((3, 4), "real", 9)
    inf = float("inf")
    ties = np.array([[3.0, -3.0, 1.0], [0.5, -2.0, 2.0]])
    return [Sample(lambda lib, t: t.norm(), (x,), "fro"),
            Sample(lambda lib, t: t.norm(1), (x,), "1"),
            Sample(lambda lib, t: t.norm(inf), (x,), "inf"),
            Sample(lambda lib, t: t.norm(-inf, dim=1), (x,), "-inf"),
            Sample(lambda lib, t: t.norm(3, dim=0, keepdim=True), (x,), "3"),
            Sample(lambda lib, t: t.norm(0.5, dim=(0, 1)), (x,), "0.5"),
            Sample(lambda lib, t: lib.norm(t, p="fro", dim=1), (x,), "fro-dim"),
            Sample(lambda lib, t: lib.norm(t, 2, 1, True), (x,), "2-dim"),
            Sample(lambda lib, t: t.norm(0), (x,), "0", gradcheck=False),
            Sample(lambda lib, t: t.norm(inf, dim=1), (ties,), "inf-ties", gradcheck=False),
            Sample(lambda lib, t: t.norm(), (np.zeros((2, 2)),), "zero", gradcheck=False),
            Sample(lambda lib, t: t.norm(3, dim=1), (np.array([[0.0, 0.0], [0.0, 1.5]]),),
                   "3-zeros", gradcheck=False)]


@op("LinalgVectorNormBackward0", samples=_norm_samples)
class VectorNorm(UnaryOp):
    save_inputs = save_output = True
    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, ord: float, dims: tuple[int, ...], keepdim: bool,
                dtype: dt.dtype | None = None) -> np.ndarray:
        if dtype is not None and dtype.np != x.dtype:
            ctx.input_meta = ((x.shape, x.dtype),)
            x = x.astype(dtype.np)
        ctx.ord, ctx.shape, ctx.dims, ctx.keepdim = ord, x.shape, dims, keepdim
        a = np.abs(x)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if ord == 2:
                out = np.sqrt(np.sum(a * a, axis=dims, keepdims=keepdim))
            elif ord == 1:
                out = np.sum(a, axis=dims, keepdims=keepdim)
            elif ord == np.inf:
                out = np.max(a, axis=dims, keepdims=keepdim)
            elif ord == -np.inf:
                out = np.min(a, axis=dims, keepdims=keepdim)
            elif ord == 0:
                out = np.sum(a != 0, axis=dims, keepdims=keepdim)
            else:
                out = np.sum(a ** ord, axis=dims, keepdims=keepdim) ** (1.0 / ord)
        return np.asarray(out, dtype=x.dtype)

    formula = {
        "x": "grad * x * abs(x) ** (ord - 2) / result ** (ord - 1) (grad * x / result for ord 2; 0 "
            "where result is 0)",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor | None:
        x, out = ctx.saved_tensors
        p = ctx.ord
        if p == 0:
            return None  # torch: no gradient at all (not zeros)
        if x._data.dtype != out._data.dtype:  # dtype=: the norm was taken of the cast input
            x = x.to(out.dtype)
        g = unreduce(grad, ctx.shape, ctx.dims, ctx.keepdim)
        if p == 1:
            return g * x.sign()
        n = unreduce(out, ctx.shape, ctx.dims, ctx.keepdim)
        zero_norm = np.broadcast_to(n._data == 0, ctx.shape)
        if p == 2:
            return x * where(zero_norm, 0.0, g / n)
        if p in (np.inf, -np.inf):
            # the gradient is shared evenly by the elements at the max (min) |x|
            at = np.abs(x._data) == n._data
            weights = at / at.sum(axis=ctx.dims, keepdims=True)
            return g * x.sign() * _make(weights.astype(x._data.dtype))
        a = x.abs()
        nonzero = x._data != 0
        scale = where(zero_norm, 0.0, g / n ** (p - 1))
        return scale * where(nonzero, x.sign() * where(nonzero, a, 1.0) ** (p - 1), 0.0)


def _norm_ord(p: Any, dims: tuple[int, ...], ndim: int) -> float:
    if p is None or p == "fro":
        if p == "fro" and len(dims) > 2 and ndim > 2:
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(str(d) for d in dims))
        return 2.0
    if p == "nuc":
        raise NotImplementedError("ember.norm: p='nuc' (the nuclear norm) is not supported")
    if isinstance(p, str):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return float(p)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         out: Tensor | None = None, dtype: dt.dtype | None = None) -> Tensor:
    """The vector ``p``-norm of ``input`` over ``dim`` (all elements if None).

    Args:
        input (Tensor): a floating point input.
        p (float or str): the order: any number (``inf``, ``-inf`` and 0 included), or
            ``'fro'`` (the 2-norm). ``'nuc'`` is not supported.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        keepdim (bool): keep reduced dims with size 1.
        out (Tensor, optional): the output tensor.
        dtype (ember.dtype, optional): compute and return in this dtype.

    Example::

        >>> ember.tensor([3., 4.]).norm()
        tensor(5.)
    """
    x = input._data
    if x.dtype.kind not in "fcV":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {kind_name(x.dtype)}")
    dims = reduce_dims(dim, x.ndim)
    ord = _norm_ord(p, dims, x.ndim)
    if ord < 0 or ord == np.inf:
        label = "inf" if ord == np.inf else "-inf" if ord == -np.inf else f"{ord:g}"
        if dim is None and x.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {label} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in dims:
            if x.shape[d] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {label} norm on the dimension {d}"
                    "because this dimension is empty and the operation does not have an "
                    "identity")
    result = VectorNorm.apply(input, ord=ord, dims=dims, keepdim=keepdim, dtype=dtype)
    if out is not None:
        from ..pointwise.arithmetic import _out

        return _out(result, out)
    return result


# --- logsumexp ------------------------------------------------------------------------------
def _logsumexp_samples(cls: type) -> list[Sample]:
    x = _values((3, 4), "real", 10)
    big = np.array([[1000.0, 1000.5, -2.0], [-1000.0, -999.0, -1001.0]])
    return [Sample(lambda lib, t: t.logsumexp(1), (x,), "dim1"),
            Sample(lambda lib, t: lib.logsumexp(t, (0, 1), keepdim=True), (x,), "dims"),
            Sample(lambda lib, t: t.logsumexp(1), (big,), "large"),
            Sample(lambda lib, t: t.logsumexp(0), (np.array(1.5),), "0-d"),
            Sample(lambda lib, t: t.logsumexp(0), (np.zeros((0, 2)),), "empty")]


@op("LogsumexpBackward0", samples=_logsumexp_samples)
class Logsumexp(UnaryOp):
    save_inputs = save_output = True
    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], keepdim: bool) -> np.ndarray:
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if x.dtype.kind not in "fcV":
            x = x.astype(dt.get_default_dtype().np)
        shift = np.max(x, axis=dims, keepdims=True, initial=-np.inf)
        # all -inf (or +inf) slices: no shift, exp does the rest
        shift = np.where(np.isinf(shift), 0.0, shift).astype(x.dtype)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.log(np.sum(np.exp(x - shift), axis=dims, keepdims=True)) + shift
        return np.asarray(out if keepdim else out.reshape(
            tuple(s for i, s in enumerate(x.shape) if i not in dims)), dtype=x.dtype)

    formula = {"x": "grad * exp(x - result)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, out = ctx.saved_tensors
        kept = unreduce(out, ctx.shape, ctx.dims, ctx.keepdim)
        return unreduce(grad, ctx.shape, ctx.dims, ctx.keepdim) * (x - kept).exp()


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))``, computed without overflow.

    Args:
        input (Tensor): the input (integers give the default float dtype).
        dim (int or tuple of ints): the dims to reduce.
        keepdim (bool): keep reduced dims with size 1.

    Example::

        >>> ember.tensor([0., 0.]).logsumexp(0)
        tensor(0.6931)
    """
    ndim = input._data.ndim
    if dim is None:
        raise TypeError("logsumexp(): argument 'dim' must be tuple of ints, not NoneType")
    if isinstance(dim, (tuple, list)) and not dim and ndim and not keepdim:
        # torch's own (odd) error for an empty dim list
        raise RuntimeError(f"output with shape [] doesn't match the broadcast shape {[1] * ndim}")
    return Logsumexp.apply(input, dims=reduce_dims(dim, ndim), keepdim=keepdim)


def _norm_method(self: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
                 dtype: dt.dtype | None = None) -> Tensor:
    return norm(self, p, dim, keepdim, dtype=dtype)


for _name, _fn in (("prod", prod), ("cumsum", cumsum), ("cumprod", cumprod),
                   ("norm", _norm_method), ("logsumexp", logsumexp)):
    setattr(Tensor, _name, _fn)
