"""``python -m ember.distributed.run``: torchrun's command line, launching with mpiexec.

    python -m ember.distributed.run --nproc-per-node 2 train.py --epochs 3
    python -m ember.distributed.run --nproc-per-node 2 -m mypackage.train
    python -m ember.distributed.run --hostfile hosts --nproc-per-node 4 train.py  # machines

Each rank gets torchrun's environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
``LOCAL_WORLD_SIZE``, ``GROUP_RANK``, and ``OMP_NUM_THREADS=1`` when several ranks share a
machine), so scripts written for torchrun run unchanged. An exception on one rank prints its
traceback and stops every rank; the launcher exits with mpiexec's exit code.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from ._mpi import launch_env, mpiexec_command

__all__ = ["main", "get_args_parser"]


def get_args_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ember.distributed.run",
        description="Starts a training script as several ranks with mpiexec (torchrun's "
                    "options where they apply).")
    parser.add_argument("--nproc-per-node", "--nproc_per_node", default="1",
                        help="ranks per machine: a number, or 'cpu'/'auto' for one per core")
    parser.add_argument("--nnodes", default="1",
                        help="machines; more than one needs --hostfile (default: 1)")
    parser.add_argument("--hostfile", default=None,
                        help="an MPI host file naming the machines to run on")
    parser.add_argument("--mpiexec-arg", action="append", default=[], metavar="ARG",
                        help="an extra argument for mpiexec (repeatable)")
    parser.add_argument("-m", "--module", action="store_true",
                        help="run the target as a module, as `python -m` does")
    for ignored in ("--standalone",):
        parser.add_argument(ignored, action="store_true", help="accepted; MPI needs no "
                            "rendezvous")
    for ignored in ("--node-rank", "--node_rank", "--master-addr", "--master_addr",
                    "--master-port", "--master_port", "--rdzv-backend", "--rdzv_backend",
                    "--rdzv-endpoint", "--rdzv_endpoint", "--rdzv-id", "--rdzv_id",
                    "--max-restarts", "--max_restarts", "--monitor-interval",
                    "--monitor_interval"):
        parser.add_argument(ignored, default=None, help=argparse.SUPPRESS)
    parser.add_argument("training_script", help="the script (or module, with -m) to run")
    parser.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return parser


def _per_node(value: str) -> int:
    if value in ("cpu", "auto"):
        return os.cpu_count() or 1
    count = int(value)
    if count < 1:
        raise SystemExit("--nproc-per-node must be at least 1")
    return count


def _hosts(hostfile: str) -> int:
    with open(hostfile) as lines:
        return sum(1 for line in lines if line.split("#")[0].strip())


def command(args: argparse.Namespace) -> tuple[list[str], int]:
    """The mpiexec command for parsed arguments, and the number of ranks."""
    per_node = _per_node(args.nproc_per_node)
    nodes = int(str(args.nnodes).split(":")[-1])
    if args.hostfile is None and nodes != 1:
        raise SystemExit("ember.distributed.run: several machines (--nnodes) need an MPI host "
                         "file naming them: --hostfile FILE")
    if args.hostfile is not None:
        nodes = _hosts(args.hostfile)
    nprocs = per_node * nodes
    target = ["-m", args.training_script] if args.module else [args.training_script]
    argv = [sys.executable, "-m", "ember.distributed._rank_main", *target,
            *args.training_script_args]
    return mpiexec_command(nprocs, argv, per_node=per_node if args.hostfile else None,
                           hostfile=args.hostfile, extra=args.mpiexec_arg), nprocs


def main(argv: list[str] | None = None) -> int:
    args = get_args_parser().parse_args(argv)
    cmd, nprocs = command(args)
    env = launch_env(nprocs=nprocs)
    env.setdefault("TORCHELASTIC_RUN_ID", f"ember-{os.getpid()}")
    if args.master_addr or args.master_port:
        env.setdefault("MASTER_ADDR", args.master_addr or "127.0.0.1")
        env.setdefault("MASTER_PORT", str(args.master_port or 29500))
    process = subprocess.Popen(cmd, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


if __name__ == "__main__":
    sys.exit(main())
