"""Variance and standard deviation: var, std, var_mean and std_mean, with ``correction`` (or
``unbiased``) and torch's warning when the degrees of freedom are not positive."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..._tensor import Tensor
from .._op import UnaryOp, op
from ..samples import Sample, _values
from .common import MultiResult, no_forward_ad, reduction_jvp, where
from .sum_mean import reduce_dims, unreduce

__all__ = ["var", "std", "var_mean", "std_mean"]


# --- variance and standard deviation --------------------------------------------------------
def _moments(ctx: Any, x: np.ndarray, dims: tuple[int, ...], correction: float, keepdim: bool,
             name: str) -> tuple[np.ndarray, np.ndarray]:
    """(variance, mean) over ``dims`` with ``correction``, warning as torch does when the
    degrees of freedom are not positive."""
    if x.dtype.kind not in "fcV":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    count = int(np.prod([x.shape[d] for d in dims]))
    dof = max(0.0, count - correction)
    if dof <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=4)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.mean(axis=dims, keepdims=True) if count else np.full(
            _kept_dims(x.shape, dims), np.nan, dtype=x.dtype)
        dev = x - mean
        var = np.asarray(np.sum(dev * dev, axis=dims, keepdims=keepdim) / np.float64(dof),
                         dtype=x.dtype)
        scale = np.float64(2.0) / np.float64(dof)
    ctx.shape, ctx.dims, ctx.keepdim, ctx.count, ctx.scale = x.shape, dims, keepdim, count, scale
    return var, mean if keepdim else np.asarray(mean.reshape(var.shape))


def _kept_dims(shape: tuple, dims: tuple[int, ...]) -> tuple:
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _var_grad(ctx: Any, x: Tensor, grad: Tensor) -> Tensor:
    centred = x - x.mean(ctx.dims, keepdim=True)
    return unreduce(grad, ctx.shape, ctx.dims, ctx.keepdim) * centred * float(ctx.scale)


def _std_grad(ctx: Any, x: Tensor, std: Tensor, grad: Tensor) -> Tensor:
    # d std = d var / (2 std); torch gives 0 (not NaN) where the std is 0
    return _var_grad(ctx, x, where(std._data == 0, 0.0, grad / (std * 2.0)))


def _var_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4), "real", 7)
        fn = getattr
        return [Sample(lambda lib, t: fn(t, name)(), (x,), "all"),
                Sample(lambda lib, t: fn(t, name)(1), (x,), "dim1"),
                Sample(lambda lib, t: fn(t, name)(0, keepdim=True, correction=0), (x,), "c0"),
                Sample(lambda lib, t: fn(t, name)((0, 1), unbiased=False), (x,), "biased"),
                Sample(lambda lib, t: fn(t, name)(dim=1, correction=2.5), (x,), "c2.5"),
                Sample(lambda lib, t: fn(t, name)(1), (np.ones((2, 3)),), "constant",
                       gradcheck=False)]

    return make


@op("VarBackward0", samples=_var_samples("var"))
class Var(UnaryOp):
    save_inputs = True
    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], correction: float,
                keepdim: bool) -> np.ndarray:
        return _moments(ctx, x, dims, correction, keepdim, "var")[0]

    formula = {"x": "grad * 2 * (x - mean(x)) / (N - correction)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return _var_grad(ctx, x, grad)


@op("StdBackward0", samples=_var_samples("std"))
class Std(UnaryOp):
    save_inputs = save_output = True
    jvp = staticmethod(reduction_jvp)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], correction: float,
                keepdim: bool) -> np.ndarray:
        return np.sqrt(_moments(ctx, x, dims, correction, keepdim, "std")[0])

    formula = {"x": "grad * (x - mean(x)) / ((N - correction) * result)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        x, std = ctx.saved_tensors
        return _std_grad(ctx, x, std, grad)


def _pair_samples(name: str) -> Any:
    def make(cls: type) -> list[Sample]:
        x = _values((3, 4), "real", 8)
        fn = getattr
        return [Sample(lambda lib, t: fn(lib, name)(t), (x,), "all"),
                Sample(lambda lib, t: fn(lib, name)(t, 1, keepdim=True), (x,), "dim1"),
                Sample(lambda lib, t: fn(lib, name)(t, 0, correction=0)[0], (x,), "first"),
                Sample(lambda lib, t: fn(lib, name)(t, 0, unbiased=False)[1], (x,), "second")]

    return make


@op("VarMeanBackward0", samples=_pair_samples("var_mean"))
class VarMean(MultiResult):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], correction: float,
                keepdim: bool) -> tuple:
        return _moments(ctx, x, dims, correction, keepdim, "var_mean")

    formula = {"x": "grad_var * 2 * (x - mean(x)) / (N - correction) + grad_mean / N"}

    @staticmethod
    def backward(ctx: Any, grad_var: Tensor, grad_mean: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        mean_part = unreduce(grad_mean, ctx.shape, ctx.dims, ctx.keepdim) / float(ctx.count)
        return _var_grad(ctx, x, grad_var) + mean_part

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> tuple:
        return _moments_jvp(ctx, tangents[0], inputs[0], None)


@op("StdMeanBackward0", samples=_pair_samples("std_mean"))
class StdMean(MultiResult):
    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dims: tuple[int, ...], correction: float,
                keepdim: bool) -> tuple:
        var, mean = _moments(ctx, x, dims, correction, keepdim, "std_mean")
        ctx.correction = correction
        return np.sqrt(var), mean

    formula = {"x": "grad_std * (x - mean(x)) / ((N - correction) * std) + grad_mean / N"}

    @staticmethod
    def backward(ctx: Any, grad_std: Tensor, grad_mean: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        std = Std.apply(x, dims=ctx.dims, correction=ctx.correction, keepdim=ctx.keepdim)
        mean_part = unreduce(grad_mean, ctx.shape, ctx.dims, ctx.keepdim) / float(ctx.count)
        return _std_grad(ctx, x, std, grad_std) + mean_part

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> tuple:
        x = inputs[0]
        with no_forward_ad():
            std = Std.apply(x, dims=ctx.dims, correction=ctx.correction, keepdim=ctx.keepdim)
        return _moments_jvp(ctx, tangents[0], x, std)


def _moments_jvp(ctx: Any, t: Tensor, x: Tensor, std: Tensor | None) -> tuple:
    with no_forward_ad():
        centred = x - x.mean(ctx.dims, keepdim=True)
        var_t = (t * centred).sum(ctx.dims, keepdim=ctx.keepdim) * float(ctx.scale)
        mean_t = t.mean(ctx.dims, keepdim=ctx.keepdim)
        if std is None:
            return var_t, mean_t
        return where(std._data == 0, 0.0, var_t / (std * 2.0)), mean_t


def _var_args(name: str, input: Tensor, dim: Any, unbiased: Any, correction: Any) -> tuple:
    if isinstance(dim, bool):  # x.var(False): the legacy unbiased-only form
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): pass either 'unbiased' or 'correction', not both")
    if unbiased is not None and not isinstance(unbiased, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument 'unbiased' must be bool, not "
                        f"{type(unbiased).__name__}")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return reduce_dims(dim, input._data.ndim), float(correction)


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None) -> Tensor:
    """The variance of ``input`` over ``dim``: ``sum((x - mean)**2) / max(0, N - correction)``.

    Args:
        input (Tensor): a floating point input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        unbiased (bool, optional): legacy form of ``correction`` (True is 1, False is 0).
        keepdim (bool): keep reduced dims with size 1.
        correction (float, optional): subtracted from the sample count (default 1, Bessel's).

    Example::

        >>> ember.tensor([1., 2., 3., 4.]).var()
        tensor(1.6667)
    """
    dims, c = _var_args("var", input, dim, unbiased, correction)
    return Var.apply(input, dims=dims, correction=c, keepdim=keepdim)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None) -> Tensor:
    """The standard deviation of ``input`` over ``dim``: the square root of :func:`var`.

    Args:
        input (Tensor): a floating point input.
        dim (int or tuple of ints, optional): the dims to reduce; all if None.
        unbiased (bool, optional): legacy form of ``correction`` (True is 1, False is 0).
        keepdim (bool): keep reduced dims with size 1.
        correction (float, optional): subtracted from the sample count (default 1).

    Example::

        >>> ember.tensor([1., 2., 3., 4.]).std()
        tensor(1.2910)
    """
    dims, c = _var_args("std", input, dim, unbiased, correction)
    return Std.apply(input, dims=dims, correction=c, keepdim=keepdim)


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """The variance and the mean of ``input`` over ``dim``, in one pass.

    Args: as :func:`var`.

    Returns:
        (Tensor, Tensor): the variance and the mean.

    Example::

        >>> ember.var_mean(ember.tensor([1., 2., 3., 4.]))
        (tensor(1.6667), tensor(2.5000))
    """
    dims, c = _var_args("var_mean", input, dim, unbiased, correction)
    return VarMean.apply(input, dims=dims, correction=c, keepdim=keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple[Tensor, Tensor]:
    """The standard deviation and the mean of ``input`` over ``dim``, in one pass.

    Args: as :func:`std`.

    Returns:
        (Tensor, Tensor): the standard deviation and the mean.

    Example::

        >>> ember.std_mean(ember.tensor([1., 2., 3., 4.]))
        (tensor(1.2910), tensor(2.5000))
    """
    dims, c = _var_args("std_mean", input, dim, unbiased, correction)
    return StdMean.apply(input, dims=dims, correction=c, keepdim=keepdim)


Tensor.var = var  # type: ignore[attr-defined]
Tensor.std = std  # type: ignore[attr-defined]
