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


def _size(size: tuple, name: str = "zeros") -> tuple[int, ...]:
    """A factory's size, given as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``, checked with
    torch's errors."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Tensor)):
        size = tuple(size[0].tolist() if isinstance(size[0], Tensor) else size[0])
    for s in size:
        if isinstance(s, Tensor) and s._data.ndim == 0 and s._data.dtype.kind in "iu":
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, "
                            f"not {type(s).__name__}")
    dims = tuple(int(s) for s in size)
    for s in dims:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(dims)}")
    return dims


def _need_size(size: tuple, name: str) -> None:
    if not size:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')


def _leaf(data: np.ndarray, requires_grad: bool, out: Tensor | None = None) -> Tensor:
    if out is not None:
        out._data = data
        bump_version(out)
        return out
    t = _make(data)
    if requires_grad:
        if data.dtype.kind not in "fcV":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
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
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.dtype == object:
        _check_nested(data, 0)
        raise RuntimeError(f"Could not infer dtype of {type(_first(data)).__name__}")
    if arr.dtype.kind in "US":
        raise ValueError(f"too many dimensions '{type(_first(data)).__name__}'")
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 or arr.dtype.kind == "O":
        raise ValueError("Overflow when unpacking long long")
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


def _check_nested(data: Any, dim: int) -> None:
    """Raises torch's error for ragged nested sequences (or a scalar where a list should be)."""
    if not isinstance(data, (list, tuple)):
        return
    kinds = [isinstance(d, (list, tuple)) for d in data]
    if any(kinds) and not all(kinds):
        if kinds[0]:
            raise TypeError("not a sequence")
        raise TypeError("'list' object cannot be interpreted as an integer")
    if data and kinds[0]:
        length = len(data[0])
        for d in data:
            if len(d) != length:
                raise ValueError(
                    f"expected sequence of length {length} at dim {dim + 1} (got {len(d)})")
        for d in data:
            _check_nested(d, dim + 1)
    for d in data:
        if d is None or isinstance(d, str):
            if isinstance(d, str):
                raise ValueError("too many dimensions 'str'")
            raise RuntimeError(f"Could not infer dtype of {type(d).__name__}")


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
        if data._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data._data.item()
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
    _need_size(size, "zeros")
    return _leaf(np.zeros(_size(size, "zeros"), dtype=_float_dtype(dtype)), requires_grad, out)


def ones(*size: Any, dtype: dt.dtype | None = None, device: Any = None,
         requires_grad: bool = False, out: Tensor | None = None, layout: Any = None) -> Tensor:
    """A tensor of ones of the given size."""
    check_device(device)
    _need_size(size, "ones")
    return _leaf(np.ones(_size(size, "ones"), dtype=_float_dtype(dtype)), requires_grad, out)


def empty(*size: Any, dtype: dt.dtype | None = None, device: Any = None,
          requires_grad: bool = False, out: Tensor | None = None, layout: Any = None,
          memory_format: Any = None, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of the given size."""
    check_device(device)
    _need_size(size, "empty")
    return _leaf(np.empty(_size(size, "empty"), dtype=_float_dtype(dtype)), requires_grad, out)


def full(size: Sequence[int], fill_value: Any, *, dtype: dt.dtype | None = None,
         device: Any = None, requires_grad: bool = False, out: Tensor | None = None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype inferred from the value)."""
    check_device(device)
    if not isinstance(size, (tuple, list, Tensor)):
        raise TypeError("full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if isinstance(fill_value, Tensor):
        if dtype is None:
            dtype = fill_value.dtype
        fill_value = fill_value.item()
    np_dtype = dt.to_numpy_dtype(dtype) if dtype is not None else dt.scalar_dtype(fill_value)
    return _leaf(np.full(_size((size,), "full"), fill_value, dtype=np_dtype), requires_grad, out)


def _like(input: Tensor, dtype: dt.dtype | None, device: Any = None) -> tuple[tuple, np.dtype]:
    if device is not None:  # None: the input's device (the CPU), not the default device
        check_device(device)
    return input._data.shape, (dtype.np if dtype is not None else input._data.dtype)


def zeros_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype, device)
    return _leaf(np.zeros(shape, dtype=np_dtype), requires_grad)


def ones_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype, device)
    return _leaf(np.ones(shape, dtype=np_dtype), requires_grad)


def empty_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype, device)
    return _leaf(np.empty(shape, dtype=np_dtype), requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: dt.dtype | None = None,
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    shape, np_dtype = _like(input, dtype, device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
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
    if values[2] == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in values[:2]):
        raise RuntimeError(f"unsupported range: {values[0]} -> {values[1]}")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
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
    for name, v in (("n", n), ("m", m)):
        if v is None:
            continue
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"eye(): argument '{name}' (position {1 if name == 'n' else 2}) must "
                            f"be int, not {type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    return _leaf(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, out)


# --- random ------------------------------------------------------------------------------------
def rand(*size: Any, generator: Generator | None = None, dtype: dt.dtype | None = None,
         device: Any = None, requires_grad: bool = False, out: Tensor | None = None,
         **kwargs: Any) -> Tensor:
    """Uniform samples on [0, 1)."""
    check_device(device)
    if "size" in kwargs:
        size = (kwargs.pop("size"),)
    if not size:
        raise TypeError("rand() received an invalid combination of arguments - got (), but "
                        "expected one of: (tuple of ints size, ...)")
    np_dtype = _random_float(dtype, "check_uniform_bounds")
    data = _rng(generator).random(_size(size, "rand")).astype(np_dtype)
    return _leaf(data, requires_grad, out)


def randn(*size: Any, generator: Generator | None = None, dtype: dt.dtype | None = None,
          device: Any = None, requires_grad: bool = False, out: Tensor | None = None,
          **kwargs: Any) -> Tensor:
    """Standard normal samples."""
    check_device(device)
    if "size" in kwargs:
        size = (kwargs.pop("size"),)
    if not size:
        raise TypeError("randn() received an invalid combination of arguments - got (), but "
                        "expected one of: (tuple of ints size, ...)")
    np_dtype = _random_float(dtype, "normal_kernel_cpu")
    data = _rng(generator).standard_normal(_size(size, "randn")).astype(np_dtype)
    return _leaf(data, requires_grad, out)


def _random_float(dtype: dt.dtype | None, kernel: str) -> np.dtype:
    np_dtype = _float_dtype(dtype)
    if np_dtype.kind not in "fcV":
        from .ops.pointwise.arithmetic import _kind_name

        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{_kind_name(dt._BY_NUMPY[np_dtype])}\'')
    return np_dtype


def randint(*args: Any, size: Any = None, generator: Generator | None = None,
            dtype: dt.dtype | None = None, device: Any = None, requires_grad: bool = False,
            low: int | None = None, high: int | None = None,
            out: Tensor | None = None) -> Tensor:
    """Integers uniform on ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` says otherwise.

    Example::

        >>> ember.randint(3, 10, (2,)).dtype
        ember.int64
    """
    check_device(device)
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if not isinstance(size, (tuple, list, Tensor)):
        raise TypeError(f"randint(): argument 'size' (position {len(args) + 1}) must be tuple "
                        f"of ints, not {type(size).__name__}")
    if low is not None:
        args.insert(0, low)
    if high is not None:
        args.append(high)
    lo, hi = (0, args[0]) if len(args) == 1 else args
    if hi <= lo:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    data = _rng(generator).integers(lo, hi, size=_size((size,), "randint"))
    return _leaf(data.astype(dtype.np if dtype is not None else np.int64), requires_grad, out)


def randperm(n: int, *, generator: Generator | None = None, dtype: dt.dtype | None = None,
             device: Any = None, requires_grad: bool = False,
             out: Tensor | None = None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 by default).

    Example::

        >>> sorted(ember.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    check_device(device)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    data = _rng(generator).permutation(n).astype(dtype.np if dtype is not None else np.int64)
    return _leaf(data, requires_grad, out)


def rand_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None,
              generator: Generator | None = None) -> Tensor:
    """Uniform samples on [0, 1) with ``input``'s shape and dtype."""
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                generator=generator)


def randn_like(input: Tensor, *, dtype: dt.dtype | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None,
               generator: Generator | None = None) -> Tensor:
    """Standard normal samples with ``input``'s shape and dtype."""
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 generator=generator)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *,
                 dtype: dt.dtype | None = None, device: Any = None,
                 requires_grad: bool = False, memory_format: Any = None,
                 generator: Generator | None = None) -> Tensor:
    """Integers uniform on ``[low, high)`` with ``input``'s shape and dtype."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype,
                   requires_grad=requires_grad, generator=generator)


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
