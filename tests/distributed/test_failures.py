"""Failing fast: a rank that raises ends the whole job with its traceback, promptly, instead of
leaving the other ranks waiting; and what happens without MPI."""

from __future__ import annotations

import sys
import time

import pytest

import ember
import ember.distributed as dist
from ember.distributed import _mpi

from . import helpers

RAISES_AFTER_INIT = """
import ember, ember.distributed as dist
dist.init_process_group("gloo")
if dist.get_rank() == 1:
    raise ValueError("rank 1 fails here")
dist.all_reduce(ember.ones(3))  # rank 0 waits here for rank 1, which never comes
print("rank 0 went on", flush=True)
"""

RAISES_BEFORE_INIT = """
import os
import ember.distributed as dist
if os.environ["RANK"] == "1":
    raise RuntimeError("rank 1 fails before init")
dist.init_process_group("gloo")  # rank 0 would wait here for rank 1
dist.barrier()
print("rank 0 went on", flush=True)
"""

SPAWNED = """
import ember, ember.distributed as dist, ember.multiprocessing as mp

def work(rank, world):
    dist.init_process_group("gloo", rank=rank, world_size=world,
                            init_method="tcp://127.0.0.1:23456")
    t = ember.ones(2) * (rank + 1)
    dist.all_reduce(t)
    print(f"SUM rank {rank} {t.tolist()}", flush=True)
    if rank == 1:
        raise KeyError("spawned rank 1 fails")
    dist.barrier()  # rank 0 waits here

if __name__ == "__main__":
    try:
        mp.spawn(work, args=(2,), nprocs=2)
    except mp.ProcessRaisedException as error:
        print("RAISED", error.error_index, type(error).__name__, flush=True)
        print(error, flush=True)
"""


@helpers.requires_mpi
def test_a_raising_rank_aborts_the_others(tmp_path) -> None:
    script = tmp_path / "fails.py"
    script.write_text(RAISES_AFTER_INIT)
    start = time.monotonic()
    result = helpers.mpiexec(2, script, timeout=60)
    assert time.monotonic() - start < 60
    assert result.returncode != 0
    assert "rank 0 went on" not in result.stdout
    assert "[rank1]: ValueError: rank 1 fails here" in result.stderr


@helpers.requires_mpi
def test_launcher_ends_the_job_when_a_rank_fails_before_init(tmp_path) -> None:
    script = tmp_path / "fails_early.py"
    script.write_text(RAISES_BEFORE_INIT)
    result = helpers.run([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node",
                          "2", str(script)], timeout=60)
    assert result.returncode != 0
    assert "rank 0 went on" not in result.stdout
    assert "[rank1]: RuntimeError: rank 1 fails before init" in result.stderr


@helpers.requires_mpi
def test_spawn_runs_ranks_and_reraises_their_error(tmp_path) -> None:
    script = tmp_path / "spawned.py"
    script.write_text(SPAWNED)
    result = helpers.run([sys.executable, str(script)], timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(helpers.lines_starting(result.stdout, "SUM")) == [
        "SUM rank 0 [3.0, 3.0]", "SUM rank 1 [3.0, 3.0]"]
    assert "RAISED 1 ProcessRaisedException" in result.stdout
    assert "Process 1 terminated with the following error" in result.stdout
    assert "KeyError: 'spawned rank 1 fails'" in result.stdout


def test_without_mpi4py_init_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # makes `import mpi4py` fail
    with pytest.raises(RuntimeError, match=r"mpi4py is not installed: pip install"):
        dist.init_process_group("gloo")
    assert not dist.is_initialized()


def test_before_init() -> None:
    message = "Default process group has not been initialized"
    for call in (dist.get_rank, dist.get_world_size, dist.barrier, dist.get_backend,
                 lambda: dist.all_reduce(ember.ones(1)), lambda: dist.new_group([0])):
        with pytest.raises(ValueError, match=message):
            call()
    assert not dist.is_initialized()
    assert dist.is_nccl_available() is False
    assert dist.group.WORLD is None


def test_backends() -> None:
    assert dist.Backend("GLOO") == "gloo" and dist.Backend.MPI == "mpi"
    assert dist.get_default_backend_for_device("cpu") == "gloo"
    with pytest.raises(RuntimeError, match="needs GPUs"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="unknown backend"):
        dist.init_process_group("carrier-pigeon")


def test_reduce_op() -> None:
    assert repr(dist.ReduceOp.SUM) == "<RedOpType.SUM: 0>"
    assert dist.ReduceOp(dist.ReduceOp.MAX) == dist.ReduceOp.MAX
    assert dist.ReduceOp.AVG != dist.ReduceOp.SUM


def test_mpiexec_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBER_MPIEXEC", "/opt/mpi/bin/mpiexec")
    monkeypatch.setattr(_mpi, "_flavour", lambda path: "openmpi")
    command = _mpi.mpiexec_command(3, ["python", "x.py"])
    assert command[0] == "/opt/mpi/bin/mpiexec" and "--oversubscribe" in command
    assert command[-4:] == ["-n", "3", "python", "x.py"]
    hosts = _mpi.mpiexec_command(8, ["python", "x.py"], per_node=4, hostfile="hosts")
    assert "--oversubscribe" not in hosts
    assert hosts[hosts.index("--hostfile") + 1] == "hosts" and "ppr:4:node" in hosts
    monkeypatch.setattr(_mpi, "_flavour", lambda path: "mpich")
    hosts = _mpi.mpiexec_command(8, ["python", "x.py"], per_node=4, hostfile="hosts")
    assert hosts[hosts.index("-f") + 1] == "hosts" and hosts[hosts.index("-ppn") + 1] == "4"
    assert "--allow-run-as-root" not in hosts


@helpers.requires_mpi
def test_mpiexec_is_found() -> None:
    from pathlib import Path

    assert Path(_mpi.find_mpiexec()).is_file()
