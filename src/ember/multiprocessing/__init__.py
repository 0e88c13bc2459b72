"""ember.multiprocessing: torch.multiprocessing's names, with ``spawn`` starting MPI ranks.

Everything of Python's ``multiprocessing`` is here (``Process``, ``Pipe``, ``Queue``,
``set_start_method``, ...), as in torch. ``spawn(fn, args, nprocs)`` runs ``fn(rank, *args)``
in ``nprocs`` processes started by mpiexec, so that ``ember.distributed.init_process_group``
inside ``fn`` joins them into one process group; see ``spawn``.
"""

from __future__ import annotations

import multiprocessing as _multiprocessing
from multiprocessing import *  # noqa: F403 - torch.multiprocessing re-exports them all

from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

_sharing_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set[str]:
    """Accepted for compatibility: ember's tensors are NumPy arrays, pickled when sent."""
    return {"file_descriptor", "file_system"}


def get_sharing_strategy() -> str:
    return _sharing_strategy


def set_sharing_strategy(new_strategy: str) -> None:
    global _sharing_strategy
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"invalid sharing strategy {new_strategy!r}")
    _sharing_strategy = new_strategy


__all__ = [
    *_multiprocessing.__all__, "ProcessContext", "ProcessException", "ProcessExitedException",
    "ProcessRaisedException", "SpawnContext", "get_all_sharing_strategies",
    "get_sharing_strategy", "set_sharing_strategy", "spawn", "start_processes",
]
