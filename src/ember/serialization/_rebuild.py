"""ember's stand-ins for the globals torch's checkpoints name, and the storages they read.

A torch pickle rebuilds a tensor by calling ``torch._utils._rebuild_tensor_v2(storage,
offset, size, stride, requires_grad, backward_hooks)``, where ``storage`` comes from a
persistent id naming a record of raw bytes. ``GLOBALS`` maps each such name to an ember
function doing the same with NumPy (so loading never imports torch); ``CALLS`` says which of
them a pickle may call, each checking its arguments first: a file controls every argument.
"""

from __future__ import annotations

import codecs
import math
from collections import Counter, OrderedDict
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._creation import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .._tensor import Size, Tensor, _make
from .._tensor import device as ember_device
from ._common import (
    DTYPES_BY_NAME,
    STORAGE_NAMES,
    UNSUPPORTED_DTYPES,
    UNSUPPORTED_STORAGES,
    fail,
    unsupported_dtype,
)

_MAX_DIMS = 64  # NumPy's limit


class RebuildError(ValueError):
    """A rebuild function's arguments do not describe a valid object."""


class StorageType:
    """What ``torch.FloatStorage`` (or ``torch.storage.UntypedStorage``: ``dtype`` None)
    stands for inside a persistent id."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: dt.dtype | None) -> None:
        self.name = name
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class LoadedStorage:
    """A storage read from a checkpoint: its bytes (a 1-D uint8 array, writable unless the
    file was mapped read-only) and the dtype its persistent id gave (None: untyped).

    A ``map_location`` callable receives one; ``cpu()`` and ``device`` are what such
    callables use.
    """

    __slots__ = ("data", "dtype")

    def __init__(self, data: np.ndarray, dtype: dt.dtype | None) -> None:
        self.data = data
        self.dtype = dtype

    @property
    def device(self) -> ember_device:
        return ember_device("cpu")

    def cpu(self) -> LoadedStorage:
        return self

    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def __len__(self) -> int:
        return self.nbytes() // (self.dtype.itemsize if self.dtype is not None else 1)


def _int(value: Any, what: str) -> int:
    if type(value) is not int:
        raise RebuildError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _ints(values: Any, what: str) -> tuple[int, ...]:
    if not isinstance(values, (tuple, list)) or len(values) > _MAX_DIMS:
        raise RebuildError(f"{what} must be a tuple of at most {_MAX_DIMS} ints")
    return tuple(_int(v, what) for v in values)


def _array(storage: Any, offset: Any, size: Any, stride: Any,
           dtype: dt.dtype | None = None) -> np.ndarray:
    """The NumPy view of ``storage`` a tensor rebuild describes, after checking it fits."""
    if type(storage) is not LoadedStorage:
        raise RebuildError(f"expected a storage, got {type(storage).__name__}")
    dtype = dtype or storage.dtype
    if dtype is None:
        raise RebuildError("an untyped storage needs a dtype")
    offset = _int(offset, "storage_offset")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if len(size) != len(stride):
        raise RebuildError(f"size {size} and stride {stride} differ in length")
    if offset < 0 or min(size + stride, default=0) < 0:
        raise RebuildError(f"negative offset, size or stride ({offset}, {size}, {stride})")
    item = dtype.itemsize
    numel = storage.data.nbytes // item
    if math.prod(size) == 0:
        if offset > numel:
            raise RebuildError(f"storage offset {offset} is past the storage ({numel})")
        return np.empty(size, dtype.np)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= numel:
        raise RebuildError(f"size {size} with stride {stride} at offset {offset} reaches "
                           f"element {last} of a storage of {numel} elements")
    return np.ndarray(size, dtype.np, buffer=storage.data, offset=offset * item,
                      strides=tuple(s * item for s in stride))


def _finish(array: np.ndarray, storage: LoadedStorage, requires_grad: Any,
            metadata: Any = None) -> Tensor:
    if metadata:
        if not isinstance(metadata, dict) or not set(metadata) <= {"neg", "conj"}:
            raise RebuildError(f"unknown tensor metadata {metadata!r}")
        if array.nbytes > storage.data.nbytes:
            # materialising an expanded view could allocate far more than the file holds
            raise RebuildError("cannot apply neg/conj metadata to a view larger than its "
                               "storage")
        if metadata.get("neg"):
            array = np.negative(array)
        if metadata.get("conj"):
            array = np.conjugate(array)
    t = _make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any) -> Tensor:
    """``torch._utils._rebuild_tensor``."""
    return _make(_array(storage, offset, size, stride))


def rebuild_tensor_v2(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                      backward_hooks: Any, metadata: Any = None) -> Tensor:
    """``torch._utils._rebuild_tensor_v2`` (backward hooks are not restored, as in torch)."""
    return _finish(_array(storage, offset, size, stride), storage, requires_grad, metadata)


def rebuild_tensor_v3(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                      backward_hooks: Any, dtype: Any, metadata: Any = None) -> Tensor:
    """``torch._utils._rebuild_tensor_v3``: an untyped storage read as ``dtype``."""
    if not isinstance(dtype, dt.dtype):
        raise RebuildError(f"expected a dtype, got {type(dtype).__name__}")
    return _finish(_array(storage, offset, size, stride, dtype), storage, requires_grad,
                   metadata)


def _parameter(data: Any, requires_grad: Any) -> Tensor:
    from ..nn.parameter import Parameter

    if not isinstance(data, Tensor):
        raise RebuildError(f"a Parameter's data must be a tensor, not {type(data).__name__}")
    return Parameter(data, requires_grad=bool(requires_grad))


def rebuild_parameter(data: Any, requires_grad: Any, backward_hooks: Any) -> Tensor:
    """``torch._utils._rebuild_parameter``."""
    return _parameter(data, requires_grad)


def rebuild_parameter_with_state(data: Any, requires_grad: Any, backward_hooks: Any,
                                 state: Any) -> Tensor:
    """``torch._utils._rebuild_parameter_with_state``: a Parameter with Python attributes."""
    param = _parameter(data, requires_grad)
    set_tensor_state(param, state)
    return param


def rebuild_from_type_v2(func: Any, new_type: Any, args: Any, state: Any) -> Tensor:
    """``torch._tensor._rebuild_from_type_v2``: a tensor with Python attributes."""
    from ..nn.parameter import Parameter

    if not any(func is f for f in _TENSOR_REBUILDERS) or type(args) is not tuple:
        raise RebuildError("expected a tensor rebuild function and its arguments")
    if new_type is not Tensor and new_type is not Parameter:
        raise RebuildError(f"cannot rebuild a tensor as {new_type!r}")
    t = func(*args)
    if new_type is Parameter and not isinstance(t, Parameter):
        t = Parameter(t, requires_grad=t.requires_grad)
    set_tensor_state(t, state)
    return t


def set_tensor_state(t: Tensor, state: Any) -> None:
    """Sets the user attributes torch saved with a tensor (``t.note = ...``). ember's own
    attributes all start with an underscore or live on the class, so a file cannot reach
    them."""
    if isinstance(state, tuple) and len(state) == 2:
        state = {**(state[0] or {}), **(state[1] or {})}
    if not state:
        return
    if not isinstance(state, dict):
        raise RebuildError(f"a tensor's state must be a dict, not {type(state).__name__}")
    for name, value in state.items():
        if type(name) is not str or name.startswith("_") or hasattr(type(t), name):
            raise RebuildError(f"cannot restore the tensor attribute {name!r}")
        t.__dict__[name] = value


def _size(values: Any) -> Size:
    return Size(_ints(values, "torch.Size"))


def _device(type_: Any, index: Any = None) -> ember_device:
    if type(type_) is not str or (index is not None and type(index) is not int):
        raise RebuildError("torch.device takes a string and an optional int")
    return ember_device(type_, index)


def _pairs(args: tuple, kind: type) -> Any:
    if not args:
        return kind()
    if len(args) == 1 and type(args[0]) in (list, tuple, dict):
        return kind(args[0])
    raise RebuildError(f"{kind.__name__} takes a list of pairs")


def _set(*args: Any) -> set:
    if len(args) > 1 or (args and type(args[0]) not in (list, tuple)):
        raise RebuildError("set takes a list")
    return set(*args)


def _complex(real: Any = 0.0, imag: Any = 0.0) -> complex:
    if type(real) not in (int, float) or type(imag) not in (int, float):
        raise RebuildError("complex takes two numbers")
    return complex(real, imag)


_TEXT_ENCODINGS = {"latin1", "latin-1", "utf-8", "utf8", "ascii"}


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    if type(text) is not str or encoding not in _TEXT_ENCODINGS:
        raise RebuildError("_codecs.encode takes a string and a text encoding")
    return codecs.encode(text, encoding)


def _bytearray(*args: Any) -> bytearray:
    # never bytearray(n): a file must not choose the size of an allocation
    if not args:
        return bytearray()
    if len(args) == 1 and type(args[0]) in (bytes, bytearray):
        return bytearray(args[0])
    if len(args) == 2:
        return bytearray(_encode(*args))
    raise RebuildError("bytearray takes bytes, or a string and its encoding")


_TENSOR_REBUILDERS = (rebuild_tensor, rebuild_tensor_v2, rebuild_tensor_v3)

# What a pickle may call (REDUCE), by the object GLOBALS gives it, and the function run.
CALLS: dict[Any, Any] = {
    rebuild_tensor: rebuild_tensor, rebuild_tensor_v2: rebuild_tensor_v2,
    rebuild_tensor_v3: rebuild_tensor_v3, rebuild_parameter: rebuild_parameter,
    rebuild_parameter_with_state: rebuild_parameter_with_state,
    rebuild_from_type_v2: rebuild_from_type_v2, Size: _size, ember_device: _device,
    OrderedDict: lambda *a: _pairs(a, OrderedDict), Counter: lambda *a: _pairs(a, Counter),
    set: _set, complex: _complex, bytearray: _bytearray, codecs.encode: _encode,
}

GLOBALS: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter_with_state,
    ("torch._tensor", "_rebuild_from_type_v2"): rebuild_from_type_v2,
    ("torch", "Size"): Size, ("torch", "device"): ember_device, ("torch", "Tensor"): Tensor,
    ("torch.storage", "UntypedStorage"): StorageType("UntypedStorage", None),
    ("torch", "UntypedStorage"): StorageType("UntypedStorage", None),
    ("collections", "OrderedDict"): OrderedDict, ("collections", "Counter"): Counter,
    ("builtins", "set"): set, ("builtins", "complex"): complex,
    ("builtins", "bytearray"): bytearray, ("_codecs", "encode"): codecs.encode,
}
# how protocol 0-2 pickles (and Python 2) spell some modules
PYTHON2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
GLOBALS.update({("torch", name): d for name, d in DTYPES_BY_NAME.items()})
for _module in ("torch", "torch.cuda"):
    GLOBALS.update({(_module, name): StorageType(name, d) for name, d in STORAGE_NAMES.items()})
GLOBALS.update({
    ("torch", "FloatTensor"): FloatTensor, ("torch", "DoubleTensor"): DoubleTensor,
    ("torch", "HalfTensor"): HalfTensor, ("torch", "LongTensor"): LongTensor,
    ("torch", "IntTensor"): IntTensor, ("torch", "ShortTensor"): ShortTensor,
    ("torch", "CharTensor"): CharTensor, ("torch", "ByteTensor"): ByteTensor,
    ("torch", "BoolTensor"): BoolTensor})

# torch globals its weights-only loader admits that ember has nothing to rebuild with
_UNSUPPORTED: dict[str, str] = {
    "_rebuild_qtensor": "a quantized tensor", "_rebuild_sparse_tensor": "a sparse tensor",
    "_rebuild_nested_tensor": "a nested tensor", "_rebuild_wrapper_subclass": "a tensor subclass",
    "_rebuild_meta_tensor_no_storage": "a meta tensor",
    "_rebuild_device_tensor_from_numpy": "a tensor on a non-CPU device",
    "_rebuild_device_tensor_from_cpu_tensor": "a tensor on a non-CPU device",
    "_get_layout": "a sparse layout",
}


def torch_global(module: str, name: str, what: str) -> Any:
    """ember's object for a global a torch checkpoint names, ``None`` if there is none, or
    an error for a torch feature ember cannot represent."""
    module = PYTHON2_MODULES.get(module, module)
    found = GLOBALS.get((module, name))
    if found is not None:
        return found
    if module in ("torch", "torch.cuda"):
        if name in UNSUPPORTED_DTYPES:
            raise unsupported_dtype(what, name)
        if name in UNSUPPORTED_STORAGES:
            raise unsupported_dtype(what, UNSUPPORTED_STORAGES[name])
    if name in _UNSUPPORTED and module.startswith("torch"):
        raise fail(what, f"holds {_UNSUPPORTED[name]} ({module}.{name}), which ember cannot "
                         "represent")
    if name.startswith("per_") and module == "torch":
        raise fail(what, f"holds a quantization scheme (torch.{name}), which ember cannot "
                         "represent")
    return None
