"""ember.backends.cuda: CUDA's matmul and attention flags, kept and read back as a torch built
without CUDA keeps them; ``is_built()`` is False."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

from ._flags import FlagModule

__all__ = ["is_built", "matmul", "flash_sdp_enabled", "enable_flash_sdp",
           "mem_efficient_sdp_enabled", "enable_mem_efficient_sdp", "math_sdp_enabled",
           "enable_math_sdp", "cudnn_sdp_enabled", "enable_cudnn_sdp", "sdp_kernel",
           "SDPBackend", "preferred_linalg_library"]


def is_built() -> bool:
    """False: ember is not built with CUDA."""
    return False


class _Matmul(FlagModule):
    """``ember.backends.cuda.matmul``: cuBLAS's flags. ``allow_tf32`` follows
    ``ember.set_float32_matmul_precision`` ('highest' is False) as in torch."""

    def __getattr__(self, name: str) -> object:
        if name == "allow_tf32":
            from .. import _matmul_precision

            return _matmul_precision.get() != "highest"
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "allow_tf32":
            from .. import _matmul_precision

            _matmul_precision.set_legacy("high" if value else "highest")
            return
        super().__setattr__(name, value)


matmul = _Matmul(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                 allow_bf16_reduced_precision_reduction=True, fp32_precision="none")


class SDPBackend(IntEnum):
    """The kernels of ``scaled_dot_product_attention``; ember always computes the math one."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    """Sets the flag (ember's attention computes the math kernel whatever it says)."""
    _sdp["flash"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp["cudnn"] = bool(enabled)


@contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True) -> Iterator[dict]:
    """Deprecated (torch warns too): sets the attention kernel flags for the block."""
    warnings.warn(
        "`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager "
        "will be removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context "
        "manager, with updated signature.", FutureWarning, stacklevel=3)
    old = dict(_sdp)
    _sdp.update(flash=bool(enable_flash), math=bool(enable_math),
                mem_efficient=bool(enable_mem_efficient), cudnn=bool(enable_cudnn))
    try:
        yield {}
    finally:
        _sdp.update(old)


def preferred_linalg_library(backend: object = None) -> str:
    """'default': there is one linear algebra library (NumPy's LAPACK)."""
    return "default"


