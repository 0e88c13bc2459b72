"""Automatic mixed precision on the CPU, as torch's CPU autocast.

Inside ``with ember.autocast('cpu'):`` (bfloat16 by default, or ``dtype=ember.float16``) the
ops torch lists as safe in lower precision (matrix products, ``linear``, convolutions, ``prelu``,
``scaled_dot_product_attention``) cast their floating inputs to that dtype first, recording
``ToCopyBackward0`` nodes as torch does; the ops torch lists as needing float32 (the losses)
cast lower-precision inputs up to float32; ``cat`` and ``stack`` promote mixed inputs to their
widest dtype. Every other op runs in the dtype of its inputs. The tables below are ember's part
of torch's CPU lists (the ops ember has).

A CUDA region (``autocast('cuda')``, ``ember.cuda.amp.autocast()``) is disabled with torch's
warning, as on a torch built without CUDA.

The ops read one module global, ``cpu_regions``, at entry: nothing else is paid outside a
region.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from .. import _dtype as dt
from .._device import DEVICE_TYPES

__all__ = ["autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]

F = TypeVar("F", bound=Callable[..., Any])

# torch's CPU lists, restricted to the ops ember has.
LOWER_PRECISION_OPS = ("conv1d", "conv2d", "conv3d", "bmm", "mm", "linalg_vecdot", "baddbmm",
                       "addmm", "addbmm", "linear", "matmul", "conv_transpose1d",
                       "conv_transpose2d", "conv_transpose3d", "prelu",
                       "scaled_dot_product_attention")
FP32_OPS = ("mse_loss", "nll_loss", "cross_entropy", "l1_loss", "smooth_l1_loss", "huber_loss",
            "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
            "poisson_nll_loss", "margin_ranking_loss", "soft_margin_loss",
            "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
            "multi_margin_loss", "multilabel_margin_loss")
PROMOTE_OPS = ("cat", "stack", "index_copy")


class _State(threading.local):
    # ``cpu`` is the dtype ops cast to inside an enabled CPU region, else None: the one thing
    # the ops read. Per thread, as in torch.
    cpu: dt.dtype | None = None
    cpu_dtype: dt.dtype = dt.bfloat16 if hasattr(dt, "bfloat16") else dt.float16
    cuda_dtype: dt.dtype = dt.float16
    cache_enabled = True


state = _State()

# How many enabled CPU regions are open, in any thread: the ops test this module global first
# (a few nanoseconds), and read the thread-local ``state.cpu`` only while a region is open.
cpu_regions = 0


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast knows ``device_type`` (torch answers for the CUDA type too)."""
    return device_type in ("cpu", "cuda", "xpu", "mps", "hpu", "mtia", "maia", "xla", "ipu",
                           "privateuseone")


class autocast:
    """A region (context manager or decorator) where chosen ops run in lower precision.

    Args:
        device_type (str): ``'cpu'``; ``'cuda'`` (and other accelerators) is accepted and
            disabled with torch's warning, as on a torch built without them.
        dtype (ember.dtype, optional): ``ember.bfloat16`` (the CPU default) or
            ``ember.float16``; another dtype disables the region with torch's warning.
        enabled (bool): False makes the region a no-op (and disables an enclosing one).
        cache_enabled (bool, optional): accepted (torch caches casts of weights; the results
            are the same).

    Example::

        >>> with ember.autocast('cpu'):
        ...     y = ember.ones(2, 3) @ ember.ones(3, 4)
        >>> y.dtype
        ember.bfloat16
    """

    def __init__(self, device_type: str, dtype: dt.dtype | None = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(
                f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                f"string: {device_type}")
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else (
            state.cpu_dtype if device_type == "cpu" else state.cuda_dtype)
        self._cache_enabled = state.cache_enabled if cache_enabled is None else cache_enabled
        if enabled and device_type != "cpu":
            warnings.warn(
                "CUDA is not available or torch_xla is imported. Disabling autocast.",
                stacklevel=2)
            enabled = False
        if enabled and self.fast_dtype not in _CPU_DTYPES:
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of ember.bfloat16, ember.float16 currently.",
                stacklevel=2)
            enabled = False
        self._enabled = enabled

    def __enter__(self) -> autocast:
        global cpu_regions
        self._previous = (state.cpu, state.cache_enabled)
        self._counted = self.device == "cpu" and self._enabled
        if self.device == "cpu":
            state.cpu = self.fast_dtype if self._enabled else None
            state.cache_enabled = self._cache_enabled
        if self._counted:
            cpu_regions += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        global cpu_regions
        state.cpu, state.cache_enabled = self._previous
        if self._counted:
            cpu_regions -= 1

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return decorated  # type: ignore[return-value]


_CPU_DTYPES = tuple(d for d in (getattr(dt, "bfloat16", None), dt.float16) if d is not None)


# --- what the ops call --------------------------------------------------------------------------
def lower(*tensors: Any) -> tuple:
    """The floating tensors among ``tensors`` cast to the region's dtype (others unchanged);
    called by the lower-precision ops when ``state.cpu`` is set."""
    target = state.cpu
    return tuple(_cast_floating(t, target) for t in tensors)


def to_float32(*tensors: Any) -> tuple:
    """Lower-precision floating tensors among ``tensors`` cast up to float32 (the float32 ops)."""
    return tuple(_cast_floating(t, dt.float32) if _is_low(t) else t for t in tensors)


def widest(tensors: Any) -> list:
    """Floating tensors of a sequence cast to their widest floating dtype (cat, stack)."""
    from .._tensor import Tensor

    floats = [t for t in tensors if isinstance(t, Tensor) and t.dtype.is_floating_point]
    if len({t.dtype for t in floats}) < 2:
        return list(tensors)
    target = floats[0].dtype
    for t in floats[1:]:
        target = dt.promote_types(target, t.dtype)
    return [_cast_floating(t, target) for t in tensors]


def fp32_op(fn: F) -> F:
    """Marks ``fn`` as one of torch's float32 autocast ops: inside a region, its lower-precision
    tensor arguments are cast up to float32 first."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if cpu_regions and state.cpu is not None:
            args = to_float32(*args)
            kwargs = dict(zip(kwargs, to_float32(*kwargs.values())))
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _is_low(t: Any) -> bool:
    from .._tensor import Tensor

    return isinstance(t, Tensor) and t.dtype in _CPU_DTYPES


def _cast_floating(t: Any, target: dt.dtype) -> Any:
    from .._tensor import Tensor

    if isinstance(t, Tensor) and t.dtype.is_floating_point and t.dtype is not target:
        return t.to(target)
    return t


# --- custom autograd Functions ------------------------------------------------------------------
def custom_fwd(fwd: Callable | None = None, *, device_type: str = "cpu",
               cast_inputs: dt.dtype | None = None) -> Any:
    """Decorator for a custom ``Function.forward``: with ``cast_inputs``, the forward runs
    outside autocast with its floating inputs cast to that dtype (when a region is active)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        if cast_inputs is None or state.cpu is None:
            return fwd(*args, **kwargs)
        args = tuple(_cast_floating(a, cast_inputs) for a in args)
        kwargs = {k: _cast_floating(v, cast_inputs) for k, v in kwargs.items()}
        with autocast(device_type, enabled=False):
            return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str = "cpu") -> Any:
    """Decorator for a custom ``Function.backward``: accepted; ember runs backward in the
    dtypes its forward recorded, as torch does."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


# --- the module-level queries torch exports -----------------------------------------------------
def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an autocast region is active for ``device_type`` (CUDA's when omitted, as in
    torch; never on ember, which has no CUDA)."""
    if device_type == "cpu":
        return state.cpu is not None
    return False


def is_autocast_cpu_enabled() -> bool:
    """Deprecated spelling of ``is_autocast_enabled('cpu')``."""
    warnings.warn(
        "ember.is_autocast_cpu_enabled() is deprecated. Please use "
        "ember.is_autocast_enabled('cpu') instead.", DeprecationWarning, stacklevel=2)
    return state.cpu is not None


def get_autocast_dtype(device_type: str) -> dt.dtype:
    """The dtype a region on ``device_type`` casts to by default."""
    return state.cpu_dtype if device_type == "cpu" else state.cuda_dtype


def get_autocast_cpu_dtype() -> dt.dtype:
    """Deprecated spelling of ``get_autocast_dtype('cpu')``."""
    warnings.warn(
        "ember.get_autocast_cpu_dtype() is deprecated. Please use "
        "ember.get_autocast_dtype('cpu') instead.", DeprecationWarning, stacklevel=2)
    return state.cpu_dtype


def get_autocast_gpu_dtype() -> dt.dtype:
    """Deprecated spelling of ``get_autocast_dtype('cuda')``."""
    warnings.warn(
        "ember.get_autocast_gpu_dtype() is deprecated. Please use "
        "ember.get_autocast_dtype('cuda') instead.", DeprecationWarning, stacklevel=2)
    return state.cuda_dtype


def set_autocast_dtype(device_type: str, dtype: dt.dtype) -> None:
    if device_type == "cpu":
        state.cpu_dtype = dtype
    else:
        state.cuda_dtype = dtype


def is_autocast_cache_enabled() -> bool:
    return state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    state.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    """Accepted: ember keeps no cache of cast weights."""
