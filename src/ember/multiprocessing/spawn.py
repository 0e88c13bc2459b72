"""``spawn(fn, args, nprocs)``: run ``fn(rank, *args)`` as the ranks of an MPI job.

torch's ``spawn`` starts worker processes and lets ``init_process_group`` find them through a
TCP rendezvous. MPI processes must be started by mpiexec to form one world, so here ``spawn``
starts ``mpiexec -n nprocs``; each rank loads the calling script's main module as Python's own
``spawn`` start method does (the ``if __name__ == "__main__":`` guard keeps it from spawning
again), unpickles ``fn`` and ``args`` and calls ``fn(rank, *args)``. ``fn`` must therefore be
picklable: a module-level function. A rank that raises stops the others, and ``spawn`` raises
``ProcessRaisedException`` with its traceback, as torch does.

Called inside a job that mpiexec already started with ``nprocs`` ranks, ``spawn`` just calls
``fn(rank, *args)`` in this process.
"""

from __future__ import annotations

import multiprocessing.spawn as _mp_spawn
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..distributed._mpi import launch_env, launcher_env, mpiexec_command

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "SpawnContext", "spawn", "start_processes"]


class ProcessException(Exception):
    def __init__(self, msg: str, error_index: int, pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.pid = pid

    def __reduce__(self) -> Any:
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A rank raised an exception; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A rank (or mpiexec) exited with a non-zero code without a Python exception."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self) -> Any:
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code,
                            self.signal_name)


class ProcessContext:
    """The running job of a ``spawn(..., join=False)``: ``join()`` waits for it."""

    def __init__(self, process: subprocess.Popen | None, folder: Path | None,
                 nprocs: int) -> None:
        self.process = process
        self.folder = folder
        self.nprocs = nprocs

    def pids(self) -> list[int]:
        """The process ids of the ranks that have started."""
        if self.folder is None:
            return []
        return [int(p.read_text()) for p in sorted(self.folder.glob("pid-*"))]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Waits for the job (at most ``timeout`` seconds): True once every rank has exited
        cleanly. Raises ``ProcessRaisedException`` or ``ProcessExitedException`` if one
        failed."""
        if self.process is None:
            return True
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        try:
            if code != 0:
                raise self._failure(code)
        finally:
            self._clean_up()
        return True

    def _failure(self, code: int) -> ProcessException:
        assert self.folder is not None
        errors = sorted(self.folder.glob("error-*"), key=lambda p: int(p.name.split("-")[1]))
        pids = {int(p.name.split("-")[1]): int(p.read_text())
                for p in self.folder.glob("pid-*")}
        if errors:
            rank = int(errors[0].name.split("-")[1])
            message = (f"\n\n-- Process {rank} terminated with the following error:\n"
                       + errors[0].read_text())
            return ProcessRaisedException(message, rank, pids.get(rank, -1))
        assert self.process is not None
        return ProcessExitedException(f"process 0 terminated with exit code {code}", 0,
                                      self.process.pid, code)

    def _clean_up(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


SpawnContext = ProcessContext


def start_processes(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1,
                    join: bool = True, daemon: bool = False,
                    start_method: str = "spawn") -> ProcessContext | None:
    """``spawn`` for any ``start_method``: ranks are always fresh processes started by
    mpiexec, as with ``"spawn"``."""
    inside = launcher_env()
    if inside is not None:
        rank, size, _ = inside
        if size != nprocs:
            raise RuntimeError(f"ember.multiprocessing.spawn: asked for {nprocs} processes "
                               f"inside an MPI job of {size}; start the script without "
                               "mpiexec, or with as many ranks as spawn asks for")
        fn(rank, *args)
        return None if join else ProcessContext(None, None, nprocs)
    folder = Path(tempfile.mkdtemp(prefix="ember-spawn-"))
    main = _mp_spawn.get_preparation_data("ember")
    main.pop("authkey", None)  # the ranks share no multiprocessing manager with this process
    (folder / "main.pkl").write_bytes(pickle.dumps(main))
    (folder / "fn.pkl").write_bytes(pickle.dumps((fn, tuple(args))))
    cmd = mpiexec_command(nprocs, [sys.executable, "-m", "ember.multiprocessing._spawn_main",
                                   str(folder)])
    process = subprocess.Popen(cmd, env=launch_env(nprocs=nprocs))
    context = ProcessContext(process, folder, nprocs)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1, join: bool = True,
          daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Runs ``fn(i, *args)`` for ``i`` in ``range(nprocs)``, each in its own MPI rank.

    Args:
        fn (Callable): a module-level function; its first argument is the rank.
        args (tuple): the other arguments (picklable).
        nprocs (int): the number of processes.
        join (bool): wait for them (default); else return a ``ProcessContext``.
        daemon, start_method: accepted for compatibility.

    Example::

        >>> def train(rank, world_size):
        ...     dist.init_process_group("gloo", rank=rank, world_size=world_size)
        ...     ...
        >>> if __name__ == "__main__":
        ...     ember.multiprocessing.spawn(train, args=(2,), nprocs=2)
    """
    return start_processes(fn, args, nprocs, join, daemon, start_method)
