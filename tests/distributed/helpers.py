"""Running multi-process tests: mpiexec as a subprocess with a hard timeout.

Nothing here imports mpi4py, so the pytest process never initialises MPI; every rank is a
fresh process. Tests skip (with the reason) where mpi4py or mpiexec is missing.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ember.distributed import _mpi

SRC = str(Path(__file__).resolve().parents[2] / "src")
HERE = Path(__file__).resolve().parent
TIMEOUT = 90  # seconds for one launch; a hang fails the test instead of the suite


def _missing() -> str | None:
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install -e '.[distributed]')"
    try:
        _mpi.find_mpiexec()
    except RuntimeError as error:
        return str(error)
    return None


MISSING = _missing()
requires_mpi = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def env(**extra: str) -> dict[str, str]:
    """The ranks' environment: this checkout's ember first on the path."""
    base = dict(os.environ)
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "TORCHELASTIC_RUN_ID"):
        base.pop(key, None)
    base["PYTHONPATH"] = os.pathsep.join([SRC, str(HERE.parents[1])]
                                         + ([base["PYTHONPATH"]] if base.get("PYTHONPATH")
                                            else []))
    base.update(extra)
    return _mpi.launch_env(base, nprocs=2)


def run(command: list[str], timeout: float = TIMEOUT, **extra: str) -> subprocess.CompletedProcess:
    """Runs ``command`` in a session of its own, capturing its output; after ``timeout``
    seconds the whole session is killed (mpiexec's launcher daemon and the ranks too)."""
    process = subprocess.Popen(command, env=env(**extra), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"{command} did not finish in {timeout} s: it hung.\nstdout:\n{stdout}"
                    f"\nstderr:\n{stderr}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def mpiexec(nprocs: int, script: Path | str, *args: str, timeout: float = TIMEOUT,
            **extra: str) -> subprocess.CompletedProcess:
    """``mpiexec -n nprocs python script args`` with a hard timeout."""
    command = _mpi.mpiexec_command(nprocs, [sys.executable, str(script), *args])
    return run(command, timeout, **extra)


def lines_starting(output: str, prefix: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(prefix)]
