"""ember.backends.cudnn: cuDNN's flags, kept and read back as a torch without CUDA keeps them
(they change nothing on the CPU); ``is_available()`` is False and ``version()`` None."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._flags import set_flags

enabled = True
benchmark = False
benchmark_limit: int | None = None
deterministic = False
allow_tf32 = True
fp32_precision = "none"


def is_available() -> bool:
    """False: there is no cuDNN without CUDA."""
    return False


def version() -> int | None:
    """None: cuDNN is not present."""
    return None


def is_acceptable(tensor: Any) -> bool:
    """False: no tensor can use cuDNN here."""
    return False


@contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True) -> Iterator[None]:
    """Sets the flags for the block and restores them after, as torch's."""
    import sys

    module = sys.modules[__name__]
    with set_flags(module, enabled=enabled, benchmark=benchmark,
                   benchmark_limit=benchmark_limit, deterministic=deterministic,
                   allow_tf32=allow_tf32):
        yield
