"""Tensor factories: ``tensor``, ``zeros``, ``arange``, ``randn`` ... and ember's random
generator.

Every factory makes a leaf; ``requires_grad=True`` is honoured even inside ``no_grad``, as in
torch. ember's random stream is its own (NumPy's PCG64): ``manual_seed`` makes it repeatable,
but it does not reproduce torch's numbers.
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor, _make, bump_version, check_device

_DEFAULT_SEED = 67280421310721


class Generator:
    """A source of random numbers: ``ember.Generator().manual_seed(0)``."""

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device)
        self._seed = _DEFAULT_SEED
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.rng = np.random.default_rng(self._seed)
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        state = repr(self.rng.bit_generator.state).encode()
        return _make(np.frombuffer(state, dtype=np.uint8).copy())

    def set_state(self, state: Tensor) -> Generator:
        import ast

        self.rng.bit_generator.state = ast.literal_eval(bytes(state._data).decode())
        return self

    @property
    def device(self) -> Any:
        from ._tensor import CPU

        return CPU


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seeds ember's default random generator; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).rng


def _size(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"expected a sequence of integers or a single integer, got {s!r}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return tuple(int(s) for s in size)


def _leaf(data: np.ndarray, requires_grad: bool, out: Tensor | None = None) -> Tensor:
    if out is not None:
        out._data = data
        bump_version(out)
        return out
    t = _make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype: dt.dtype | None) -> np.dtype:
    return (dtype or dt.get_default_dtype()).np


# --- from data ---------------------------------------------------------------------------------
def _infer_array(data: Any) -> np.ndarray:
    """Python data -> ndarray with torch's dtype inference (floats become the default dtype)."""
    if isinstance(data, np.ndarray):
        dt.from_numpy_dtype(data.dtype)
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (list, tuple)) and _contains_tensor(data):
        data = _unwrap(data)
    try:
        arr = np.array(data)
    except ValueError as err:
        raise ValueError(f"expected sequence of equal lengths: {err}") from None
    if arr.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(_first(data)).__name__}")
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(dt.get_default_dtype().np)
    if kind == "c":
        return arr.astype(dt.get_default_dtype().to_complex().np)
    if kind in "iu":
        return arr.astype(np.int64)
    if kind == "b":
        return arr
    raise TypeError(f"Could not infer dtype of {type(_first(data)).__name__}")


def _first(data: Any) -> Any:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _contains_tensor(data: Any) -> bool:
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)):
        return builtins.any(_contains_tensor(d) for d in data)
    return False


def _unwrap(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def tensor(data: Any, *, dtype: dt.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Makes a leaf tensor holding a copy of ``data``.

    Args:
        data: a Python number, nested list/tuple, NumPy array or Tensor.
        dtype (ember.dtype, optional): inferred if None: Python floats become the default
            dtype (float32), ints int64, bools bool; NumPy arrays keep their dtype.
        device: ``'cpu'`` or None.
        requires_grad (bool): record operations on the result.

    Example::

        >>> ember.tensor(3.0, requires_grad=True)
        tensor(3., requires_grad=True)
    """
    check_device(device)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
            "rather than torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        arr = data._data
    else:
        arr = _infer_array(data)
    np_dtype = dt.to_numpy_dtype(dtype)
    arr = np.array(arr, dtype=np_dtype if np_dtype is not None else arr.dtype, copy=True)
    return _leaf(arr, requires_grad)


def as_tensor(data: Any, dtype: dt.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or Tensor when it can."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data.dtype else data.to(dtype)
    arr = data if isinstance(data, np.ndarray) else _infer_array(data)
    np_dtype = dt.to_numpy_dtype(dtype)
    if np_dtype is not None and arr.dtype != np_dtype:
        arr = arr.astype(np_dtype)
    dt.from_numpy_dtype(arr.dtype)
    return _make(arr)


def asarray(obj: Any, *, dtype: dt.dtype | None = None, device: Any = None,
            copy: bool | None = None, requires_grad: bool = False) -> Tensor:
    result = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        result = _make(result._data.copy())
    return result.requires_grad_(requires_grad) if requires_grad else result


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dt.from_numpy_dtype(array.dtype)
    return _make(array)


# --- filled ------------------------------------------------------------------------------------
def zeros(*size: Any, dtype: dt.dtype | None = None, device: Any = None,
          requires_grad: bool = False, out: Tensor | None = None, layout: Any = None) -> Tensor:
    """A tensor of zeros of the given size."""
    check_device(device)
    return _leaf(np.zeros(_size(size), dtype=_float_dtype(dtype)), requires_grad, out)


def ones(*size: Any, dtype: dt.dtype | None = None, device: Any = None,
         requires_grad: bool = False, out: Tensor | None = None, layout: Any = None) -> Tensor:
    """A tensor of ones of the given size."""
    check_device(device)
    return _leaf(np.ones(_size(size), dtype=_float_dtype(dtype)), requires_grad, out)


def empty(*size: Any, dtype: dt.dtype | None = None, device: Any = None,
          requires_grad: bool = False, out: Tensor | None = None, layout: Any = None,
          memory_format: Any = None, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of the given size."""
    check_device(device)
    return _leaf(np.empty(_size(size), dtype=_float_dtype(dtype)), requires_grad, out)


def full(size: Sequence[int], fill_value: Any, *, dtype: dt.dtype | None = None,
         device: Any = None, requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype inferred from the value)."""
    check_device(device)
    np_dtype = dt.to_numpy_dtype(dtype) if dtype is not None else dt.scalar_dtype(fill_value)
    return _leaf(np.full(_size((size,)), fill_value, dtype=np_dtype), requires_grad, out)


def _like(input: Tensor, dtype: dt.dtype | None) -> tuple[tuple, np.dtype]:
    return input._data.shape, (dtype.np if dtype is not None else input._data.dtype)


def zeros_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype)
    return _leaf(np.zeros(shape, dtype=np_dtype), requires_grad)


def ones_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype)
    return _leaf(np.ones(shape, dtype=np_dtype), requires_grad)


def empty_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype)
    return _leaf(np.empty(shape, dtype=np_dtype), requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: dt.dtype | None = None,
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype)
    return _leaf(np.full(shape, fill_value, dtype=np_dtype), requires_grad)


# --- ranges ------------------------------------------------------------------------------------
def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: dt.dtype | None = None,
           device: Any = None, requires_grad: bool = False,
           out: Tensor | None = None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 if all are ints."""
    check_device(device)
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is not None:
        np_dtype = dtype.np
    elif builtins.all(isinstance(v, (int, np.integer)) for v in values):
        np_dtype = np.dtype(np.int64)
    else:
        np_dtype = dt.get_default_dtype().np
    count = math.ceil((values[1] - values[0]) / values[2])
    data = (values[0] + np.arange(max(count, 0), dtype=np.float64) * values[2])
    return _leaf(data.astype(np_dtype), requires_grad, out)


def linspace(start: Any, end: Any, steps: int, *, dtype: dt.dtype | None = None,
             device: Any = None, requires_grad: bool = False,
             out: Tensor | None = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    check_device(device)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    data = np.linspace(float(start), float(end), steps).astype(_float_dtype(dtype))
    return _leaf(data, requires_grad, out)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *,
             dtype: dt.dtype | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    data = np.logspace(float(start), float(end), steps, base=base).astype(_float_dtype(dtype))
    return _leaf(data, requires_grad)


def eye(n: int, m: int | None = None, *, dtype: dt.dtype | None = None, device: Any = None,
        requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """The ``n`` x ``m`` identity matrix."""
    check_device(device)
    return _leaf(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, out)


# --- random ------------------------------------------------------------------------------------
def rand(*size: Any, generator: Generator | None = None, dtype: dt.dtype | None = None,
         device: Any = None, requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """Uniform samples on [0, 1)."""
    check_device(device)
    data = _rng(generator).random(_size(size)).astype(_float_dtype(dtype))
    return _leaf(data, requires_grad, out)


def randn(*size: Any, generator: Generator | None = None, dtype: dt.dtype | None = None,
          device: Any = None, requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """Standard normal samples."""
    check_device(device)
    data = _rng(generator).standard_normal(_size(size)).astype(_float_dtype(dtype))
    return _leaf(data, requires_grad, out)


def randint(*args: Any, size: Any = None, generator: Generator | None = None,
            dtype: dt.dtype | None = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``.
    """
    check_device(device)
    if size is None:
        *bounds, size = args
    else:
        bounds = list(args)
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    if high <= low:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    data = _rng(generator).integers(low, high, size=_size((size,)))
    return _leaf(data.astype(dtype.np if dtype is not None else np.int64), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype: dt.dtype | None = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    data = _rng(generator).permutation(n).astype(dtype.np if dtype is not None else np.int64)
    return _leaf(data, requires_grad)


def rand_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,
                 dtype: dt.dtype | None = None, device: Any = None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype)


# --- legacy typed constructors ------------------------------------------------------------------
def _typed(dtype: dt.dtype, name: str) -> type:
    def new(cls: type, *args: Any) -> Tensor:
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = args[0]
            data = np.array(src._data if isinstance(src, Tensor) else src, dtype=dtype.np)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            data = np.empty(_size(tuple(shape)), dtype=dtype.np)
        return _make(data)

    def instancecheck(cls: type, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == dtype.np

    meta = type(name + "Meta", (type,), {"__instancecheck__": instancecheck})
    return meta(name, (), {"__new__": new, "dtype": dtype})


FloatTensor = _typed(dt.float32, "FloatTensor")
DoubleTensor = _typed(dt.float64, "DoubleTensor")
HalfTensor = _typed(dt.float16, "HalfTensor")
LongTensor = _typed(dt.int64, "LongTensor")
IntTensor = _typed(dt.int32, "IntTensor")
ShortTensor = _typed(dt.int16, "ShortTensor")
CharTensor = _typed(dt.int8, "CharTensor")
ByteTensor = _typed(dt.uint8, "ByteTensor")
BoolTensor = _typed(dt.bool, "BoolTensor")
