"""The Tensor: an ndarray payload plus what autograd needs to know about it.

Ops are not defined here: each op module binds its own methods onto Tensor next to the op's
forward and backward (``grep __mul__`` lands on the op). This file holds what a tensor *is*:
its data, its place in the graph, conversions, printing, and the entry to ``backward``.
"""

from __future__ import annotations

import builtins
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import _dtype as dt
from ._device import CPU, check_device, device, unavailable
from ._printing import format_tensor

_new = object.__new__


def _mark_cut(t: Tensor, cause: str) -> Tensor:
    """Records why ``t`` has no history, for the error a backward from it raises; returns
    ``t``. autograd/diagnostics.py puts its ``mark`` here."""
    return t


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``ember.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item: Any) -> Any:
        result = super().__getitem__(item)
        return Size(result) if isinstance(item, slice) else result


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    ``ember.Tensor(list)`` and ``ember.Tensor(*sizes)`` are torch's legacy constructors (a float
    tensor from data, or an uninitialised one of that size); prefer ``ember.tensor``.
    """

    # Defaults for what most tensors never set; _make() sets only what every op needs, and
    # reading a class attribute costs less than a getattr() with a default on a missing slot.
    grad_fn: Any = None
    _requires_grad = False
    _output_nr = 0
    _grad: Tensor | None = None
    _base: Tensor | None = None
    _accumulator: Any = None
    _retains_grad = False
    _post_hooks: dict | None = None
    _hooks: dict | None = None  # a leaf's gradient hooks (a non-leaf's live on its grad_fn)
    _fw_grad: Tensor | None = None  # the tangent, inside a forward-AD dual level
    # how a view replays from its parent: (parent, apply, params, output index); ops/views.py
    _view_src: tuple | None = None
    _name: str | None = None
    # The version counter, shared with views: a one-element list, made on first need.
    _vc: list[int] | None = None
    __array_priority__ = 1000  # NumPy defers binary operators to ours: ndarray * Tensor works

    def __init__(self, *args: Any, dtype: dt.dtype | None = None, device: Any = None) -> None:
        check_device(device)
        target = (dtype or dt.get_default_dtype()).np
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            src = args[0]
            data = np.array(src._data if isinstance(src, Tensor) else src, dtype=target)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            data = np.empty(tuple(builtins.int(s) for s in shape), dtype=target)
        _init(self, data)

    # --- identity and metadata --------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The same data, detached from the graph."""
        return _mark_cut(_make(self._data), "read through .data")

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        shape = self._data.shape
        if dim is None:
            return Size(shape)
        return shape[wrap_dim(dim, len(shape))]

    def dim(self) -> int:
        return self._data.ndim

    ndim = property(dim)

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def dtype(self) -> dt.dtype:
        return dt._BY_NUMPY[self._data.dtype]

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    is_sparse = False
    is_quantized = False
    is_meta = False
    # ember computes on the CPU only (see _device.py)
    is_xpu = is_mps = is_ipu = is_mkldnn = is_nested = False

    @property
    def is_floating_point_type(self) -> bool:
        return dt.is_floating_np(self._data.dtype)

    def is_floating_point(self) -> bool:
        return dt.is_floating_np(self._data.dtype)

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None) -> Any:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[wrap_dim(dim, len(strides))]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def get_device(self) -> int:
        return -1

    @property
    def _version(self) -> int:
        vc = self._vc
        return 0 if vc is None else vc[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Sets whether autograd records operations on this leaf tensor; returns it."""
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind not in "fcV" and not self.is_floating_point():
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if not requires_grad and self._requires_grad:
            _mark_cut(self, "set to requires_grad=False (requires_grad_(False))")
        self._requires_grad = builtins.bool(requires_grad)
        return self

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
                "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
                "for more information.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def name(self) -> str | None:
        return self._name

    # --- autograd ---------------------------------------------------------------------------
    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> None:
        """Computes the gradient of this tensor with respect to the graph's leaves and adds it
        into their ``.grad``.

        Args:
            gradient (Tensor, optional): the gradient of some scalar with respect to this
                tensor; may be omitted only when this tensor has one element.
            retain_graph (bool, optional): keep saved tensors so backward can run again.
                Defaults to ``create_graph``.
            create_graph (bool): record the backward pass, for higher-order derivatives.
            inputs (sequence of Tensor, optional): accumulate only into these tensors.

        Example::

            >>> a = ember.tensor(3.0, requires_grad=True)
            >>> (a ** 2).backward()
            >>> a.grad
            tensor(6.)
        """
        from .autograd import backward as _backward

        _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Registers ``hook(grad)`` to run when this tensor's gradient is computed; it may return
        a replacement gradient. Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._register_tensor_hook(self._output_nr, hook)
        from .autograd.graph import _RemovableHandle

        if self._hooks is None:
            self._hooks = {}
        handle = _RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """Registers ``hook(tensor)`` to run after ``.grad`` of this leaf has been updated."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .autograd.graph import _RemovableHandle

        hooks = self._post_hooks
        if hooks is None:
            hooks = self._post_hooks = {}
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def retain_grad(self) -> None:
        """Makes backward fill ``.grad`` of this non-leaf tensor too."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)  # weak: the graph must not keep its outputs alive

        def store_grad(grad: Tensor) -> None:
            tensor = ref()
            if tensor is None:
                return
            old = tensor._grad
            tensor._grad = _make(grad._data.copy()) if old is None else old + grad

        self.grad_fn._register_tensor_hook(self._output_nr, _RetainGradHook(store_grad))

    def detach(self) -> Tensor:
        """A new tensor sharing this one's data, outside the graph."""
        out = _make(self._data)
        out._vc = shared_counter(self)  # shares the version counter; not a view for autograd
        return _mark_cut(out, "made by .detach()")

    def detach_(self) -> Tensor:
        """Detaches this tensor from the graph in place."""
        self.grad_fn = None
        self._requires_grad = False
        return _mark_cut(self, "cut from its graph by .detach_()")

    # --- conversions --------------------------------------------------------------------------
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The tensor's data as an ndarray that shares its memory."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self.numpy()
        return data if dtype is None else data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def _scalar(self, kind: str) -> Any:
        if self._data.size != 1:
            if kind == "bool":
                raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def __bool__(self) -> bool:
        return builtins.bool(self._scalar("bool"))

    def __float__(self) -> float:
        return builtins.float(self._scalar("float"))

    def __int__(self) -> int:
        return builtins.int(self._scalar("int"))

    def __complex__(self) -> complex:
        return builtins.complex(self._scalar("complex"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return builtins.int(self._data.reshape(()).item())

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a module, "
                "this may be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001")
        out = type(self).__new__(type(self))
        _init(out, self._data.copy(), self._requires_grad)
        grad = self._grad
        if grad is not None:
            out._grad = _make(grad._data.copy())
        memo[id(self)] = out
        return out

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Converts dtype (devices other than the CPU raise). Returns ``self`` if nothing
        changes, as torch does."""
        target = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for arg in args:
            if isinstance(arg, dt.dtype):
                target = arg
            elif isinstance(arg, Tensor):
                target = arg.dtype
            elif isinstance(arg, (str, device)):
                check_device(arg)
            elif arg is not None and not isinstance(arg, builtins.bool):
                raise TypeError(f"to() received an invalid combination of arguments: {arg!r}")
        if target is None or target.np == self._data.dtype:
            return self.clone() if copy else self
        from .ops.shape.reshape import cast

        return cast(self, target)

    def type(self, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
        """With no argument, the legacy type name (``'ember.FloatTensor'``); otherwise this
        tensor cast to ``dtype`` (a dtype, a legacy type such as ``ember.DoubleTensor``, or
        its name). CUDA types raise torch's error: ember computes on the CPU."""
        if dtype is None:
            return _legacy_type_name(self.dtype)
        return self.to(legacy_type_dtype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(dt.float32)

    def double(self) -> Tensor:
        return self.to(dt.float64)

    def half(self) -> Tensor:
        return self.to(dt.float16)

    def bfloat16(self) -> Tensor:
        """This tensor as bfloat16 (ember.bfloat16: 8 exponent bits, 7 mantissa bits)."""
        return self.to(dt.bfloat16)

    def long(self) -> Tensor:
        return self.to(dt.int64)

    def int(self) -> Tensor:
        return self.to(dt.int32)

    def short(self) -> Tensor:
        return self.to(dt.int16)

    def char(self) -> Tensor:
        return self.to(dt.int8)

    def byte(self) -> Tensor:
        return self.to(dt.uint8)

    def bool(self) -> Tensor:
        return self.to(dt.bool)

    def cpu(self, memory_format: Any = None) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Raises torch's error for a build without CUDA: ember computes on the CPU."""
        raise unavailable(device("cuda"))

    def pin_memory(self, device: Any = None) -> Tensor:
        """Raises torch's error: pinned memory needs an accelerator, and there is none."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device: Any = None) -> bool:
        return False

    def record_stream(self, stream: Any) -> None:
        """Raises: there are no CUDA streams (ember computes on the CPU)."""
        raise RuntimeError("record_stream: ember has no CUDA streams; it computes on the CPU")

    def share_memory_(self) -> Tensor:
        return self

    # --- printing -----------------------------------------------------------------------------
    def __repr__(self, *, tensor_contents: Any = None) -> str:
        tail = []
        if self.grad_fn is not None:
            # torch prints the node's class name (CopySlices), not name() (which may be
            # qualified: torch::autograd::CopySlices)
            tail.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self._requires_grad:
            tail.append("requires_grad=True")
        return format_tensor(self._data, dtype_suffix(self._data), tail)

    __str__ = __repr__


class _RetainGradHook:
    """Marks the retain_grad hook so the engine runs it after the user's hooks."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __call__(self, grad: Tensor) -> None:
        self.fn(grad)


def dtype_suffix(data: np.ndarray) -> str | None:
    """torch's rule: the default float dtype never shows; int64, bool and the default complex
    dtype show only on empty tensors."""
    np_dtype = data.dtype
    default = dt.get_default_dtype()
    if np_dtype == default.np:
        return None
    implied = (np.int64, np.bool_, default.to_complex().np)
    if data.size and np_dtype in implied:
        return None
    return f"dtype={dt._BY_NUMPY[np_dtype]!r}"


_LEGACY_NAMES = {
    "FloatTensor": dt.float32, "DoubleTensor": dt.float64, "HalfTensor": dt.float16,
    "LongTensor": dt.int64, "IntTensor": dt.int32, "ShortTensor": dt.int16,
    "CharTensor": dt.int8, "ByteTensor": dt.uint8, "BoolTensor": dt.bool,
    "BFloat16Tensor": dt.bfloat16,
}


_CUDA_LIBRARY = (
    "Cannot initialize CUDA without ATen_cuda library. (ember computes on the CPU only: it has "
    "no CUDA tensor types.)")


def legacy_type_dtype(t: Any) -> dt.dtype:
    """The dtype of a ``Tensor.type``/``Module.type`` argument: a dtype, a legacy tensor type
    (``ember.DoubleTensor``) or its name (``'torch.DoubleTensor'``)."""
    if isinstance(t, dt.dtype):
        return t
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        if module not in ("torch", "ember", "torch.cuda", "ember.cuda") or (
                name not in _LEGACY_NAMES):
            raise ValueError(f"invalid type: '{t}'")
        if module.endswith("cuda"):
            raise RuntimeError(_CUDA_LIBRARY)
        return _LEGACY_NAMES[name]
    if isinstance(t, builtins.type) and isinstance(getattr(t, "dtype", None), dt.dtype):
        if getattr(t, "is_cuda", False):
            raise RuntimeError(_CUDA_LIBRARY)
        return t.dtype
    raise TypeError("dtype must be a type, str, or dtype object")


def _legacy_type_name(d: dt.dtype) -> str:
    for name, value in _LEGACY_NAMES.items():
        if value is d:
            return "ember." + name
    return "ember." + d.name


def _init(t: Tensor, data: np.ndarray, requires_grad: bool = False) -> None:
    t._data = data
    t.grad_fn = None
    t._requires_grad = requires_grad
    t._output_nr = 0


def shared_counter(t: Tensor) -> list[int]:
    """The tensor's version counter, made now if it has none, to be shared with a view."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


# Set while anomaly mode is on (autograd/anomaly_mode.py): records where in-place changes
# happen, so a saved tensor changed in place can be traced to its line.
_on_inplace: Callable[[Tensor], None] | None = None


def bump_version(t: Tensor) -> None:
    """Records an in-place change of ``t`` (and so of every view sharing its counter)."""
    vc = t._vc
    if vc is None:
        t._vc = [1]
    else:
        vc[0] += 1
    if _on_inplace is not None:
        _on_inplace(t)


def _make(data: np.ndarray, grad_fn: Any = None) -> Tensor:
    """Wraps an ndarray as a Tensor; the hot path of every op, so it sets only what differs
    from the class defaults."""
    if data.__class__ is not np.ndarray:  # NumPy gives scalars for 0-d results
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    if grad_fn is not None:
        t.grad_fn = grad_fn
        t._requires_grad = True
    return t


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(data)
    t._requires_grad = requires_grad
    return t


def wrap_dim(dim: int, ndim: int) -> int:
    """Normalises a possibly negative dim, with torch's error for one out of range."""
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
    return dim + ndim if dim < 0 else dim if ndim else 0
