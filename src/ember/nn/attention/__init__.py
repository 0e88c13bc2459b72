"""ember.nn.attention: choosing the kernels of ``scaled_dot_product_attention``.

On the CPU torch has two kernels, the math one and a flash one, giving the same results;
ember computes the math one. ``sdpa_kernel`` enables the listed kernels for its block, as in
torch: a block that allows neither the math nor the flash kernel makes attention raise torch's
"No viable backend" error, as on a CPU torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ...backends.cuda import SDPBackend, _sdp

__all__ = ["SDPBackend", "sdpa_kernel"]

_FLAGS = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
          SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.CUDNN_ATTENTION: "cudnn"}


@contextmanager
def sdpa_kernel(backends: SDPBackend | list[SDPBackend],
                set_priority: bool = False) -> Iterator[None]:
    """Enables only ``backends`` for attention inside the block.

    Args:
        backends (SDPBackend or list of SDPBackend): the kernels allowed.
        set_priority (bool): accepted (the order of preference; ember has one kernel).

    Example::

        >>> with sdpa_kernel(SDPBackend.MATH):
        ...     out = ember.nn.functional.scaled_dot_product_attention(q, k, v)
    """
    if isinstance(backends, SDPBackend):
        backends = [backends]
    if not isinstance(backends, (list, set, tuple)) or not all(
            isinstance(b, SDPBackend) for b in backends):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend "
                             f"instances, got {type(backends).__name__}")
    old = dict(_sdp)
    for backend, flag in _FLAGS.items():
        _sdp[flag] = backend in backends
    try:
        yield
    finally:
        _sdp.update(old)


def check_cpu_kernel() -> None:
    """Raises torch's error when neither CPU kernel (math, flash) is enabled."""
    if not (_sdp["math"] or _sdp["flash"]):
        raise RuntimeError(
            "No viable backend for scaled_dot_product_attention was found. This is likely due "
            "to turning off both the math kernel and the fused kernels.")
