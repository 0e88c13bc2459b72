"""Random sampling ops: normal, bernoulli, multinomial, the in-place fillers nn.init uses
(``uniform_``, ``normal_`` ...), and the index/grid factories (tril_indices, meshgrid).

Samples are drawn from ember's own generator (``_creation.Generator``): reproducible under
``manual_seed`` and per Generator, but not torch's numbers. A sample has no gradient: torch
records a node whose backward gives zeros, and so do we.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._creation import Generator, _leaf, _rng
from .._tensor import Tensor, _make, bump_version
from ..autograd import grad_mode
from ._inplace import _stand_in, check_inplace, write_result
from ._op import Primitive, UnaryOp, broadcast_error
from .pointwise.arithmetic import _kind_name, _out

__all__ = ["normal", "bernoulli", "multinomial", "poisson", "tril_indices", "triu_indices",
           "meshgrid", "cartesian_prod"]


def _not_implemented(kernel: str, x: np.ndarray) -> NotImplementedError:
    return NotImplementedError(
        f'"{kernel}" not implemented for \'{_kind_name(dt._BY_NUMPY[x.dtype])}\'')


class _Sampled(Primitive):
    """A random draw recorded in the graph: its gradient is zero for every input."""

    @staticmethod
    def forward(ctx: Any, *inputs: Any, values: np.ndarray) -> np.ndarray:
        ctx.shapes = [(np.shape(x), np.asarray(x).dtype) for x in inputs]
        return values

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        return tuple(_make(np.zeros(s, dtype=d)) if n is not None else None
                     for (s, d), n in zip(ctx.shapes, ctx._next))


def _sampled(name: str) -> type:
    cls = type(name, (_Sampled,), {})
    return cls


NormalBackward1, NormalBackward2, NormalBackward3 = (_sampled(f"NormalBackward{i}")
                                                     for i in (1, 2, 3))
BernoulliBackward0 = _sampled("BernoulliBackward0")
PoissonBackward0 = _sampled("PoissonBackward0")


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           out: Tensor | None = None, dtype: dt.dtype | None = None,
           requires_grad: bool = False) -> Tensor:
    """Normal samples with the given mean and standard deviation, each a tensor (elementwise,
    broadcast) or a number (then ``size`` gives the shape).

    Args:
        mean (Tensor or float): the means.
        std (Tensor or float): the standard deviations (>= 0).
        size (tuple of ints): the shape, when both are numbers.
        generator (ember.Generator, optional): the source of randomness.

    Example::

        >>> ember.normal(0.0, 1.0, size=(2,)).shape
        ember.Size([2])
    """
    rng = _rng(generator)
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                            "of: (Tensor mean, Tensor std), (float mean, float std, tuple of "
                            "ints size)")
        _check_std(std)
        from .._creation import _float_dtype, _size

        shape = _size((size,), "normal")
        data = (mean + std * rng.standard_normal(shape)).astype(_float_dtype(dtype))
        return _leaf(data, requires_grad, out)
    m = mean._data if mean_t else mean
    s = std._data if std_t else std
    for x in (m, s):
        if isinstance(x, np.ndarray) and x.dtype.kind not in "fcV" and x is m:
            raise _not_implemented("normal_kernel_cpu", x)
    if std_t:
        if np.any(s < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        _check_std(s)
    if mean_t and std_t:
        try:
            shape = np.broadcast_shapes(m.shape, s.shape)
        except ValueError as err:
            raise broadcast_error(m, s, err) from None
        np_dtype = dt.result_type_np((m, s))
        node = NormalBackward3
    else:
        shape = np.shape(m if mean_t else s)
        np_dtype = (m if mean_t else s).dtype
        node = NormalBackward1 if mean_t else NormalBackward2
    values = (m + s * rng.standard_normal(shape)).astype(np_dtype)
    inputs = tuple(x for x in (mean, std) if isinstance(x, Tensor))
    return _out(node.apply(*inputs, values=values), out) if out is not None else node.apply(
        *inputs, values=values)


def _check_std(std: float) -> None:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def _check_p(p: np.ndarray) -> None:
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")


def bernoulli(input: Tensor, p: float | None = None, *, generator: Generator | None = None,
              out: Tensor | None = None) -> Tensor:
    """0/1 samples: 1 with probability ``input`` (elementwise), or ``p`` if given.

    Example::

        >>> ember.bernoulli(ember.ones(3))
        tensor([1., 1., 1.])
    """
    x = input._data
    if x.dtype.kind not in "fcV":
        raise _not_implemented("bernoulli_tensor_cpu_p_", x)
    probs = x if p is None else np.full(x.shape, p)
    _check_p(probs)
    values = (_rng(generator).random(x.shape) < probs).astype(x.dtype)
    if p is not None:
        return _out(_make(values), out) if out is not None else _make(values)
    result = BernoulliBackward0.apply(input, values=values)
    return _out(result, out) if out is not None else result


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson samples with rates ``input``."""
    values = _rng(generator).poisson(input._data).astype(input._data.dtype)
    return PoissonBackward0.apply(input, values=values)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out: Tensor | None = None) -> Tensor:
    """Indices drawn from the categorical distribution(s) in the rows of ``input`` (weights,
    not necessarily normalised), with or without replacement.

    Example::

        >>> ember.multinomial(ember.tensor([0., 1., 0.]), 2, replacement=True)
        tensor([1, 1])
    """
    w = input._data
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if w.dtype.kind not in "fV":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_kind_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = w.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, k).astype(np.float64)
    if np.any(rows.sum(-1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng(generator)
    if replacement:
        # one searchsorted for all rows: row r's CDF is shifted into [r, r + 1]
        cdf = np.cumsum(rows, -1) / rows.sum(-1, keepdims=True)
        offsets = np.arange(len(rows))[:, None]
        u = rng.random((len(rows), num_samples)) + offsets
        idx = np.searchsorted((cdf + offsets).ravel(), u.ravel(), side="right")
        samples = np.minimum(idx.reshape(u.shape) - offsets * k, k - 1)
    else:
        if np.any((rows > 0).sum(-1) < num_samples):
            raise RuntimeError("invalid multinomial distribution (with replacement=False, not "
                               "enough non-negative category to sample)")
        # Gumbel top-k: the k largest of log(w) + Gumbel noise are a draw without replacement
        with np.errstate(divide="ignore"):
            keys = np.log(rows) - np.log(-np.log(rng.random(rows.shape)))
        samples = np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    result = _make(samples.reshape(w.shape[:-1] + (num_samples,)).astype(np.int64))
    return _out(result, out) if out is not None else result


# --- in-place fillers ---------------------------------------------------------------------------
class _Fill(UnaryOp):
    """The recorded form of ``x.uniform_()`` and friends on a non-leaf: zero gradient."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, values: np.ndarray) -> np.ndarray:
        ctx.shape, ctx.dtype = x.shape, x.dtype
        return values

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return _make(np.zeros(ctx.shape, dtype=ctx.dtype))


_FILL_NODES: dict[str, type] = {}


def _fill_node(name: str) -> type:
    if name not in _FILL_NODES:
        _FILL_NODES[name] = type(name, (_Fill,), {})
    return _FILL_NODES[name]


def _fill(target: Tensor, values: np.ndarray, node: str) -> Tensor:
    values = values.astype(target._data.dtype, copy=False)
    if not (grad_mode.state.enabled and target._requires_grad):
        target._data[...] = values
        bump_version(target)
        return target
    check_inplace(target)
    return write_result(target, _fill_node(node).apply(_stand_in(target, False), values=values))


def _float_only(target: Tensor, kernel: str) -> None:
    if target._data.dtype.kind not in "fcV":
        raise _not_implemented(kernel, target._data)


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *,
             generator: Generator | None = None, **kwargs: Any) -> Tensor:
    """Fills with samples uniform on ``[from, to)``, in place."""
    from_ = kwargs.pop("from", from_)
    _float_only(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from="
                           f"{from_:g} > to={to:g}")
    values = from_ + (to - from_) * _rng(generator).random(self._data.shape)
    return _fill(self, values, "UniformBackward0")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fills with normal samples, in place."""
    _float_only(self, "normal_kernel_cpu")
    _check_std(std)
    values = mean + std * _rng(generator).standard_normal(self._data.shape)
    return _fill(self, values, "NormalBackward0")


def _random_bound(np_dtype: np.dtype) -> int:
    if np_dtype.kind in "fV":
        return 2 ** (np.finfo(np_dtype).nmant + 1)
    if np_dtype.kind == "b":
        return 2
    return int(np.iinfo(np_dtype).max) + 1


def random_(self: Tensor, from_: int = 0, to: int | None = None, *,
            generator: Generator | None = None) -> Tensor:
    """Fills with integers uniform on ``[from, to)`` (``to`` defaults to the dtype's range),
    in place; ``random_(to)`` is ``random_(0, to)``."""
    # torch's overloads: random_(from, to), random_(to), random_()
    node = "RandomBackward0" if to is not None else "RandomBackward2"
    if to is None and from_ != 0:
        from_, to, node = 0, from_, "RandomBackward1"
    high = _random_bound(self._data.dtype) if to is None else to
    if from_ >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={high}")
    values = _rng(generator).integers(from_, high, size=self._data.shape)
    return _fill(self, values, node)


def exponential_(self: Tensor, lambd: float = 1.0, *,
                 generator: Generator | None = None) -> Tensor:
    """Fills with exponential samples of rate ``lambd``, in place."""
    if self._data.dtype.kind not in "fcV":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{_kind_name(self.dtype)}")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    values = _rng(generator).exponential(1.0 / lambd, size=self._data.shape)
    return _fill(self, values, "ExponentialBackward0")


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fills with 0/1 samples, 1 with probability ``p`` (a number or a tensor), in place."""
    probs = np.broadcast_to(p._data if isinstance(p, Tensor) else p, self._data.shape)
    _check_p(np.asarray(probs))
    values = _rng(generator).random(self._data.shape) < probs
    return _fill(self, values, "BernoulliBackward1" if isinstance(p, Tensor)
                 else "BernoulliBackward2")


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fills with geometric samples (trials until the first success), in place."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill(self, _rng(generator).geometric(p, size=self._data.shape),
                 "GeometricBackward0")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Generator | None = None) -> Tensor:
    """Fills with samples whose log is normal(mean, std), in place."""
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _fill(self, _rng(generator).lognormal(mean, std, size=self._data.shape),
                 "LogNormalBackward0")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fills with Cauchy samples, in place."""
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    values = median + sigma * _rng(generator).standard_cauchy(self._data.shape)
    return _fill(self, values, "CauchyBackward0")


for _name, _fn in (("uniform_", uniform_), ("normal_", normal_), ("random_", random_),
                   ("exponential_", exponential_), ("bernoulli_", bernoulli_),
                   ("geometric_", geometric_), ("log_normal_", log_normal_),
                   ("cauchy_", cauchy_), ("bernoulli", bernoulli),
                   ("multinomial", multinomial)):
    setattr(Tensor, _name, _fn)


# --- index and grid factories ------------------------------------------------------------------
def _indices(kind: str, row: int, col: int, offset: int, dtype: dt.dtype | None) -> Tensor:
    for name, v in (("row", row), ("col", col)):
        if v < 0:
            raise RuntimeError(f"{name} must be non-negative, got{v}")
    np_dtype = np.dtype(np.int64) if dtype is None else dtype.np
    if np_dtype.kind not in "iu":
        raise NotImplementedError(f'"{kind}" not implemented for \'{_kind_name(dtype)}\'')
    fn = np.tril_indices if kind == "tril_indices" else np.triu_indices
    rows, cols = fn(row, offset, col)
    return _make(np.stack([rows, cols]).astype(np_dtype).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: dt.dtype | None = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a ``row`` x ``col`` matrix, row by row.

    Example::

        >>> ember.tril_indices(2, 2)
        tensor([[0, 1, 1],
                [0, 0, 1]])
    """
    return _indices("tril_indices", row, col, offset, dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: dt.dtype | None = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a ``row`` x ``col`` matrix."""
    return _indices("triu_indices", row, col, offset, dtype)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: output ``i`` repeats ``tensors[i]`` along its axis.

    Args:
        *tensors (Tensor): 0-D or 1-D tensors of one dtype (or one list of them).
        indexing (str): ``'ij'`` (matrix: output shape ``(len(t0), len(t1), ...)``) or
            ``'xy'`` (Cartesian: the first two dims swapped).

    Example::

        >>> x, y = ember.meshgrid(ember.tensor([1, 2]), ember.tensor([3, 4, 5]), indexing="ij")
        >>> x.shape
        ember.Size([2, 3])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('ember.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("ember.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got:  {' '.join(str(s) for s in t._data.shape)}")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    n = len(tensors)
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0
    sizes = [t._data.size for t in tensors]
    shape = [0] * n
    for i, ax in enumerate(axes):
        shape[ax] = sizes[i]
    outs = []
    for i, t in enumerate(tensors):
        view = [1] * n
        view[axes[i]] = -1
        outs.append(t.reshape(view).expand(shape))
    return tuple(outs)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of the elements of 1-D tensors, one per row (like itertools.product).

    Example::

        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    if len(tensors) == 1:
        return tensors[0]
    from .shape.joining import stack

    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def _grid_samples(cls: Any) -> list:
    from .linalg.matmul import Sample, _values

    a, b, c = _values((2,), 0), _values((3,), 1), _values((), 2)
    return [Sample(lambda lib, x, y: lib.meshgrid(x, y, indexing="ij"), (a, b), "ij"),
            Sample(lambda lib, x, y, z: lib.meshgrid(x, y, z, indexing="xy"), (a, b, c), "xy"),
            Sample(lambda lib, x, y: lib.cartesian_prod(x, y), (a, b), "cartesian_prod")]


def _register() -> None:
    from ._op import composite

    composite("grids", _grid_samples)


_register()


def _deterministic_samples(cls: Any) -> list:
    """Draws whose value does not depend on the random stream (std 0, p in {0, 1} ...), so
    the table can compare them with torch."""
    from .linalg.matmul import Sample, _values

    x = _values((2, 3), 0)
    p = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    onehot = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    return [
        Sample(lambda lib, m: lib.normal(m, 0.0), (x,), "normal-std0", gradcheck=False),
        Sample(lambda lib, s: lib.normal(1.5, s * 0), (x,), "normal-mean-float",
               gradcheck=False),
        Sample(lambda lib, m, s: lib.normal(m, s * 0), (x, x), "normal-tensors",
               gradcheck=False),
        Sample(lambda lib, q: (lib.bernoulli(q), q.bernoulli()), (p,), "bernoulli",
               gradcheck=False),
        Sample(lambda lib, w: (lib.multinomial(w, 1), w.multinomial(1)), (onehot,),
               "multinomial", gradcheck=False),
        Sample(lambda lib, t: lib.poisson(t * 0), (x,), "poisson", gradcheck=False),
        Sample(lambda lib, t: t * (lib.tril_indices(3, 4, 1).sum()
                                   + lib.triu_indices(3, 4, -1).sum()), (x,), "indices"),
        Sample(lambda lib, t: (t.clone().uniform_(0.5, 0.5), t.clone().normal_(2.0, 0.0),
                               t.clone().random_(3, 4), t.clone().bernoulli_(1.0),
                               t.clone().exponential_() * 0, t.clone().geometric_(0.5) * 0,
                               t.clone().log_normal_() * 0, t.clone().cauchy_() * 0),
               (x,), "fillers", gradcheck=False),
    ]


def _register_draws() -> None:
    from ._op import composite

    composite("random_draws", _deterministic_samples)


_register_draws()
