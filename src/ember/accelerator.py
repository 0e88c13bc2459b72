"""ember.accelerator: the device-generic accelerator API, as torch answers it on a machine with
no accelerator: ``is_available()`` is False, ``current_accelerator()`` None, ``device_count()``
0; selecting a device raises torch's error."""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "device_index", "synchronize", "current_device_idx",
           "set_device_idx"]

_NONE = "Cannot access accelerator device when none is available."


def is_available(check_available: bool = False) -> bool:
    """False: ember computes on the CPU only."""
    return False


def current_accelerator(check_available: bool = False) -> Any:
    """None: there is no accelerator."""
    return None


def device_count() -> int:
    """0: there is no accelerator."""
    return 0


def current_device_index() -> int:
    raise RuntimeError(_NONE)


current_device_idx = current_device_index


def set_device_index(device: Any) -> None:
    raise RuntimeError(_NONE)


set_device_idx = set_device_index


def synchronize(device: Any = None) -> None:
    raise RuntimeError(_NONE)


class device_index:
    """``with ember.accelerator.device_index(i)``: None is a no-op; an index raises torch's
    error, as there is no accelerator."""

    def __init__(self, device: Any) -> None:
        self.idx = device

    def __enter__(self) -> None:
        if self.idx is not None:
            raise RuntimeError(_NONE)

    def __exit__(self, *exc: Any) -> None:
        return None
