"""Every check of mpi_checks.py on 2 ranks (under mpiexec) and on 3 (under
``python -m ember.distributed.run``, oversubscribing the 2 cores): collectives against NumPy,
DistributedDataParallel against one process with the global batch, DistributedSampler shards.

One MPI job per world size runs all the checks; each test reads its check's lines.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from . import helpers
from .mpi_checks import CHECKS

pytestmark = helpers.requires_mpi
SCRIPT = helpers.HERE / "mpi_checks.py"
_jobs: dict[int, subprocess.CompletedProcess] = {}


def job(world: int) -> subprocess.CompletedProcess:
    """The output of all checks on ``world`` ranks (run once, on first need)."""
    if world not in _jobs:
        if world == 2:
            _jobs[world] = helpers.mpiexec(2, SCRIPT)
        else:
            _jobs[world] = helpers.run([sys.executable, "-m", "ember.distributed.run",
                                        "--nproc-per-node", str(world), str(SCRIPT)])
    return _jobs[world]


@pytest.mark.parametrize("world", [2, 3])
@pytest.mark.parametrize("name", list(CHECKS))
def test_check(name: str, world: int) -> None:
    result = job(world)
    failures = [line for line in result.stdout.splitlines() if line.startswith(f"FAIL {name}:")]
    assert not failures, "\n".join(failures)
    passed = helpers.lines_starting(result.stdout, f"PASS {name} rank ")
    assert len(passed) == world, (
        f"check {name} did not pass on every rank (the job may have ended before it ran)\n"
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")


@pytest.mark.parametrize("world", [2, 3])
def test_job_ends_cleanly(world: int) -> None:
    result = job(world)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(helpers.lines_starting(result.stdout, "DONE rank")) == world


def test_launcher_sets_torchrun_environment() -> None:
    lines = sorted(helpers.lines_starting(job(3).stdout, "ENV "))
    assert len(lines) == 3
    for rank, line in enumerate(lines):
        fields = dict(item.split("=") for item in line.split()[1:])
        assert fields["rank"] == fields["RANK"] == str(rank)
        assert fields["WORLD_SIZE"] == "3" and fields["elastic"] == "True"
    local_ranks = sorted(int(line.split("LOCAL_RANK=")[1].split()[0]) for line in lines)
    assert local_ranks == [0, 1, 2]


def test_plain_mpiexec_sets_no_torchrun_environment() -> None:
    for line in helpers.lines_starting(job(2).stdout, "ENV "):
        assert "RANK=None" in line and "elastic=False" in line
