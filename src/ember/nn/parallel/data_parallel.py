"""DataParallel, as CPU-only torch has it: with no GPUs to split a batch over, it runs the
wrapped module as it is. For several processes use DistributedDataParallel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps ``module`` (``self.module``); on the CPU the forward is the module's own, and
    ``device_ids`` is ``[]``, as in torch without GPUs.

    Args:
        module (Module): the module to wrap.
        device_ids, output_device, dim: accepted and unused, as in CPU-only torch.
    """

    def __init__(self, module: Module, device_ids: Sequence[Any] | None = None,
                 output_device: Any = None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list[int] = []

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs: Any, device_ids: Sequence[Any] | None = None,
                  output_device: Any = None, dim: int = 0,
                  module_kwargs: Any = None) -> Any:
    """Raises as CPU-only torch does: the functional form needs GPUs."""
    raise RuntimeError("device type could not be determined")
