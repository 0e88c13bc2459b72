"""ember.cuda.nccl: there is no NCCL (it needs CUDA); ``ember.distributed`` runs on MPI."""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["is_available", "version"]


def is_available(tensors: Any) -> bool:
    """False, with torch's warning: NCCL is not compiled in."""
    warnings.warn("PyTorch is not compiled with NCCL support", stacklevel=2)
    return False


def version() -> tuple[int, int, int]:
    """Raises: there is no NCCL library to report a version of."""
    raise RuntimeError(
        "ember.cuda.nccl.version(): NCCL is not available (it needs CUDA; ember computes on "
        "the CPU and its distributed backend is MPI)")
