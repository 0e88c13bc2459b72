"""ember.cuda: torch.cuda as a torch built without CUDA answers it.

``is_available()`` is False and ``device_count()`` 0; memory queries answer 0; seeding and
``empty_cache`` are accepted; whatever needs a GPU to do real work (``synchronize``,
``current_device``, ``get_device_name``, streams and events, ``set_device`` of a real ordinal)
raises torch's own error, ``AssertionError: Torch not compiled with CUDA enabled``. The legacy
type names (``ember.cuda.FloatTensor``) exist for ``isinstance`` and ``.type(...)`` checks.
"""

# ruff: noqa: I001 - the legacy type names are imported on two lines, not ten
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any

from .._device import NO_CUDA
from .._device import device as _device
from . import amp, nccl
from ._types import (
    BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,
    IntTensor, LongTensor, ShortTensor,
)

__all__ = [
    "is_available", "device_count", "is_initialized", "init", "current_device", "set_device",
    "synchronize", "empty_cache", "ipc_collect", "memory_allocated", "memory_reserved",
    "max_memory_allocated", "max_memory_reserved", "memory_cached", "max_memory_cached",
    "memory_stats", "memory_summary", "reset_peak_memory_stats", "reset_max_memory_allocated",
    "reset_accumulated_memory_stats", "mem_get_info", "get_device_name",
    "get_device_properties", "get_device_capability", "is_bf16_supported", "is_tf32_supported",
    "get_arch_list", "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed",
    "get_rng_state", "get_rng_state_all", "set_rng_state", "set_rng_state_all", "device",
    "device_of", "Event", "Stream", "StreamContext", "stream", "current_stream",
    "default_stream", "OutOfMemoryError", "amp", "nccl", "FloatTensor", "DoubleTensor",
    "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
    "ByteTensor", "BoolTensor",
]


def _no_cuda() -> AssertionError:
    return AssertionError(NO_CUDA)


class OutOfMemoryError(RuntimeError):
    """What a CUDA allocation raises when the GPU is full (never raised by ember; here so that
    ``except ember.cuda.OutOfMemoryError`` works)."""


# --- availability -----------------------------------------------------------------------------
def is_available() -> bool:
    """False: ember has no GPU backend."""
    return False


def device_count() -> int:
    """0: there are no CUDA devices."""
    return 0


def is_initialized() -> bool:
    return False


def init() -> None:
    """Raises torch's error: there is no CUDA to initialise."""
    raise _no_cuda()


def _is_compiled() -> bool:
    return False


def current_device() -> int:
    """Raises torch's error: there is no current CUDA device."""
    raise _no_cuda()


def _ordinal(device: Any, optional: bool = True) -> int:
    """The CUDA ordinal a ``device`` argument names (-1: none), with torch's checks."""
    if device is None:
        return -1
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    parsed = device if isinstance(device, _device) else _device(device)
    if parsed.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {parsed}")
    return -1 if parsed.index is None else parsed.index


def set_device(device: Any) -> None:
    """A negative ordinal is accepted and ignored, as in torch; a CUDA device raises torch's
    error for a build without CUDA (torch itself fails there on a missing internal function)."""
    if _ordinal(device) >= 0:
        raise _no_cuda()


def synchronize(device: Any = None) -> None:
    """Raises torch's error: there is no GPU to wait for."""
    raise _no_cuda()


def ipc_collect() -> None:
    raise _no_cuda()


# --- memory: nothing is ever allocated on a GPU ------------------------------------------------
def empty_cache() -> None:
    """Accepted: there is no CUDA cache to empty (a no-op in torch without CUDA too)."""


def memory_allocated(device: Any = None) -> int:
    """0: no CUDA memory is ever allocated (torch without CUDA answers the same)."""
    return 0


def memory_reserved(device: Any = None) -> int:
    """0: no CUDA memory is ever reserved."""
    return 0


def max_memory_allocated(device: Any = None) -> int:
    """0: no CUDA memory is ever allocated."""
    return 0


def max_memory_reserved(device: Any = None) -> int:
    """0: no CUDA memory is ever reserved."""
    return 0


def memory_cached(device: Any = None) -> int:
    """Deprecated spelling of ``memory_reserved``."""
    warnings.warn("`ember.cuda.memory_cached` has been renamed to `ember.cuda.memory_reserved`",
                  FutureWarning, stacklevel=2)
    return 0


def max_memory_cached(device: Any = None) -> int:
    """Deprecated spelling of ``max_memory_reserved``."""
    warnings.warn(
        "`ember.cuda.max_memory_cached` has been renamed to `ember.cuda.max_memory_reserved`",
        FutureWarning, stacklevel=2)
    return 0


def memory_stats(device: Any = None) -> OrderedDict:
    """An empty dict: there are no CUDA allocator statistics (as torch without CUDA)."""
    return OrderedDict()


def memory_summary(device: Any = None, abbreviated: bool = False) -> str:
    """A one-line summary saying there is no CUDA memory (torch without CUDA fails here on a
    missing statistic; the summary it would print is all zeros)."""
    return "No CUDA memory: ember computes on the CPU (0 bytes allocated, 0 bytes reserved).\n"


def reset_peak_memory_stats(device: Any = None) -> None:
    """Accepted: the peak statistics are always 0 (``max_memory_allocated`` answers 0). torch
    without CUDA fails here on a missing internal function; ember lets the usual
    reset-then-measure pattern run and measure 0."""


def reset_max_memory_allocated(device: Any = None) -> None:
    """Deprecated spelling of ``reset_peak_memory_stats``."""
    warnings.warn(
        "ember.cuda.reset_max_memory_allocated now calls ember.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)


def reset_accumulated_memory_stats(device: Any = None) -> None:
    """Accepted: the statistics are always 0."""


def mem_get_info(device: Any = None) -> tuple[int, int]:
    raise _no_cuda()


def set_per_process_memory_fraction(fraction: float, device: Any = None) -> None:
    raise _no_cuda()


# --- device properties -------------------------------------------------------------------------
def get_device_name(device: Any = None) -> str:
    """Raises torch's error: there is no CUDA device to name."""
    raise _no_cuda()


def get_device_properties(device: Any = None) -> Any:
    raise _no_cuda()


def get_device_capability(device: Any = None) -> tuple[int, int]:
    raise _no_cuda()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: no CUDA device supports anything here (ember's CPU bfloat16 is
    ``ember.bfloat16`` and works without one)."""
    return False


def is_tf32_supported() -> bool:
    return False


def get_arch_list() -> list[str]:
    return []


# --- random numbers: accepted, as torch accepts them without CUDA -----------------------------
def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator; torch defers it the same way)."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator)."""


def seed() -> None:
    """Accepted and ignored (there is no CUDA generator)."""


def seed_all() -> None:
    """Accepted and ignored (there is no CUDA generator)."""


def initial_seed() -> int:
    raise _no_cuda()


def get_rng_state(device: Any = "cuda") -> Any:
    raise _no_cuda()


def get_rng_state_all() -> list:
    """No CUDA generators: an empty list."""
    return []


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    """Accepted and ignored, as torch defers it until CUDA starts (it never does)."""


def set_rng_state_all(new_states: Any) -> None:
    """Accepted and ignored."""


# --- device contexts, streams, events ----------------------------------------------------------
class device:
    """Context manager selecting a CUDA device: entering it for a real ordinal raises torch's
    error; a negative ordinal (``device_of`` a CPU tensor) is a no-op."""

    def __init__(self, device: Any) -> None:
        self.idx = _ordinal(device)

    def __enter__(self) -> None:
        if self.idx >= 0:
            raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, *exc: Any) -> bool:
        return False


class device_of(device):
    """``device`` of a tensor's device: a no-op for ember's CPU tensors."""

    def __init__(self, obj: Any) -> None:
        self.idx = -1


class Event:
    """A CUDA event: constructing one raises torch's error (there are no CUDA events), so its
    methods are never reached; they raise torch's error too."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Event:
        raise RuntimeError("Tried to instantiate dummy base class Event")

    def record(self, stream: Any = None) -> None:
        raise _no_cuda()

    def wait(self, stream: Any = None) -> None:
        raise _no_cuda()

    def query(self) -> bool:
        raise _no_cuda()

    def synchronize(self) -> None:
        raise _no_cuda()

    def elapsed_time(self, end_event: Event) -> float:
        raise _no_cuda()


class Stream:
    """A CUDA stream: constructing one raises torch's error."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Stream:
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class StreamContext:
    """``with ember.cuda.stream(s)``: a no-op for ``None``, as in torch (no real stream can
    exist here)."""

    def __init__(self, stream: Any) -> None:
        if stream is not None:
            raise _no_cuda()
        self.stream = stream

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def stream(stream: Any) -> StreamContext:
    return StreamContext(stream)


def current_stream(device: Any = None) -> Stream:
    raise _no_cuda()


def default_stream(device: Any = None) -> Stream:
    raise _no_cuda()
