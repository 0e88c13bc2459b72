"""The launchers' command lines, and torch.multiprocessing's names (no MPI job started here;
the jobs themselves run in test_collectives.py, test_failures.py and test_main_job.py)."""

from __future__ import annotations

import os
import sys

import pytest

import ember
import ember.multiprocessing as mp
from ember.distributed import _mpi, run


@pytest.fixture
def fake_mpiexec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBER_MPIEXEC", "/opt/mpi/bin/mpiexec")
    monkeypatch.setattr(_mpi, "_flavour", lambda path: "openmpi")


def test_run_command_for_a_script(fake_mpiexec: None) -> None:
    args = run.get_args_parser().parse_args(
        ["--nproc-per-node", "3", "--standalone", "train.py", "--epochs", "2", "-m", "x"])
    command, nprocs = run.command(args)
    assert nprocs == 3
    assert command[0] == "/opt/mpi/bin/mpiexec"
    assert command[command.index("-n") + 1] == "3"
    tail = command[command.index("-n") + 2:]
    assert tail == [sys.executable, "-m", "ember.distributed._rank_main", "train.py",
                    "--epochs", "2", "-m", "x"]  # the script's own arguments pass through


def test_run_command_for_a_module_and_hosts(fake_mpiexec: None, tmp_path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("# two machines\nnode1 slots=4\nnode2 slots=4\n")
    args = run.get_args_parser().parse_args(
        ["--nproc_per_node=4", "--hostfile", str(hosts), "-m", "pkg.train"])
    command, nprocs = run.command(args)
    assert nprocs == 8
    assert command[command.index("--hostfile") + 1] == str(hosts)
    assert command[-3:] == ["ember.distributed._rank_main", "-m", "pkg.train"]
    assert command[command.index("--map-by") + 1] == "ppr:4:node"
    with pytest.raises(SystemExit, match="--hostfile"):
        run.command(run.get_args_parser().parse_args(["--nnodes", "2", "train.py"]))


def test_launch_env_allows_root_and_one_thread_per_rank() -> None:
    env = _mpi.launch_env({"PATH": "/bin"}, nprocs=2)
    assert env["OMP_NUM_THREADS"] == "1"
    assert env["PYTHONPATH"].split(":")[0].endswith("src")
    assert _mpi.launch_env({"OMP_NUM_THREADS": "2"}, nprocs=2)["OMP_NUM_THREADS"] == "2"


def test_launcher_env_is_read_from_mpiexec_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"):
        monkeypatch.delenv(key, raising=False)
    assert _mpi.launcher_env() is None
    monkeypatch.setenv("PMI_RANK", "2")
    monkeypatch.setenv("PMI_SIZE", "4")
    assert _mpi.launcher_env() == (2, 4, 2)
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK"):
        monkeypatch.setenv(key, "")  # recorded, so the test's values are undone after it
        monkeypatch.delenv(key)
    _mpi.set_torch_env()
    assert (os.environ["RANK"], os.environ["WORLD_SIZE"]) == ("2", "4")


def test_main_job_without_mpiexec_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from ember.__main__ import main

    def missing() -> str:
        raise RuntimeError("ember.distributed: mpiexec was not found. pip install ...")

    monkeypatch.setattr(_mpi, "find_mpiexec", missing)
    monkeypatch.delenv("OMPI_COMM_WORLD_RANK", raising=False)
    with pytest.raises(SystemExit, match="--nproc 2: .*mpiexec was not found"):
        main(["--nproc", "2", "--epochs", "1", "--no-progress"])


def test_torch_multiprocessing_names() -> None:
    import multiprocessing

    assert mp.Process is multiprocessing.Process and mp.Pipe is multiprocessing.Pipe
    assert mp.set_start_method is multiprocessing.set_start_method
    assert ember.multiprocessing is mp
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    error = mp.ProcessRaisedException("boom", 1, 123)
    assert (error.error_index, error.pid) == (1, 123)
