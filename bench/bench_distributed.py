"""Data-parallel benchmark: the main model (ember/train.py's MLP on the 8x8 digits, global batch
64, Adam) trained by DistributedDataParallel at 1 and 2 processes, ember and torch side by
side.

For each library and process count it reports:

- steps per second of a whole training step (forward, backward with the gradient allreduce,
  optimizer step), and the speed-up over 1 process;
- for 2 processes, how much of the allreduce backward hides: with ``t_local`` the backward
  without communication (under ``no_sync()``), ``t_comm`` the allreduce of the same buckets
  alone and ``t_ddp`` the backward with DDP, the hidden share is
  ``(t_local + t_comm - t_ddp) / t_comm`` (1: communication entirely overlapped; 0: none;
  below 0: DDP's backward costs more than its two parts, from hook and copy overheads and
  from waiting for the slower rank).
  The MLP's 69 KB of gradients fit in one bucket (torch's first bucket is 1 MiB), which
  starts only when backward is over, so it is measured with small buckets too.

Every process runs one BLAS thread (OMP_NUM_THREADS=1), so 1 and 2 processes use 1 and 2
cores. Ranks are started with mpiexec (torch's ranks use gloo on 127.0.0.1). Steps are timed
between barriers, medians over ``--steps``. Usage::

    python bench/bench_distributed.py [--steps 200] [--rounds 3] [--quick] [--no-torch]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

GLOBAL_BATCH = 64
LAUNCH_TIMEOUT = 300  # seconds for one job


# ---------------------------------------------------------------------------------------------
# one rank


def _import(lib_name: str) -> Any:
    if lib_name == "torch":
        import torch

        torch.set_num_threads(1)
        return torch
    import ember

    return ember


def _init(lib: Any, lib_name: str) -> tuple[int, int]:
    from ember.distributed import _mpi

    found = _mpi.launcher_env()
    world = found[1] if found else 1
    if world == 1:
        return 0, 1
    if lib_name == "torch":  # torch's gloo finds its peers through a TCP store on this host
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=os.environ["BENCH_PORT"],
                          RANK=str(found[0]), WORLD_SIZE=str(world))
    lib.distributed.init_process_group("gloo")
    return lib.distributed.get_rank(), world


def _model(lib: Any) -> Any:
    nn = lib.nn
    lib.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64),
                         nn.ReLU(), nn.Linear(64, 10))


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def worker(lib_name: str, steps: int, bucket_mb: float | None) -> None:
    from ember.datasets import load_digits

    lib = _import(lib_name)
    rank, world = _init(lib, lib_name)
    images, labels = load_digits()
    per_rank = GLOBAL_BATCH // world
    x_all = lib.tensor(images.astype(np.float32)[:, None] / 16.0)
    y_all = lib.tensor(labels.astype(np.int64))
    net = _model(lib)
    model = net
    if world > 1:
        kwargs = {} if bucket_mb is None else {"bucket_cap_mb": bucket_mb}
        model = lib.nn.parallel.DistributedDataParallel(net, **kwargs)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()

    def batch(step: int) -> tuple[Any, Any]:
        start = (step * GLOBAL_BATCH + rank * per_rank) % (len(labels) - GLOBAL_BATCH)
        return x_all[start:start + per_rank], y_all[start:start + per_rank]

    def barrier() -> None:
        if world > 1:
            lib.distributed.barrier()

    def timed_step(step: int) -> float:
        x, y = batch(step)
        barrier()
        start = time.perf_counter()
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        return time.perf_counter() - start

    for step in range(20):
        timed_step(step)
    step_times = [timed_step(step) for step in range(steps)]
    result: dict[str, Any] = {"lib": lib_name, "world": world, "bucket_mb": bucket_mb,
                              "step_ms": _median_ms(step_times)}
    if world > 1:
        result.update(_overlap(lib, model, loss_fn, batch, barrier, steps))
    # every rank measured; rank 0 reports the slowest rank's medians (the job's pace)
    gathered: list[Any] = [None] * world if world > 1 else [result]
    if world > 1:
        lib.distributed.all_gather_object(gathered, result)
    if rank == 0:
        slowest = max(gathered, key=lambda r: r["step_ms"])
        if world > 1:
            slowest["buckets"] = _bucket_count(model)
        print("RESULT " + json.dumps(slowest), flush=True)
    if world > 1:
        lib.distributed.destroy_process_group()


def _bucket_count(model: Any) -> int:
    return len(_bucket_sizes(model))


def _bucket_sizes(model: Any) -> list[int]:
    """Elements per DDP bucket: ember's own, or torch's as its rebuilt buckets group them
    (reverse parameter order, closed at the byte cap)."""
    if hasattr(model, "reducer") and hasattr(model.reducer, "buckets"):
        return [b.flat.size for b in model.reducer.buckets]
    cap = getattr(model, "bucket_bytes_cap", 25 * 1024 ** 2)
    first = 1024 ** 2 if cap == 25 * 1024 ** 2 else cap
    sizes, current = [], 0
    for p in reversed(list(model.parameters())):
        current += p.numel()
        if current * 4 >= (first if not sizes else cap):
            sizes.append(current)
            current = 0
    return sizes + ([current] if current else [])


def _overlap(lib: Any, model: Any, loss_fn: Any, batch: Any, barrier: Any,
             steps: int) -> dict[str, float]:
    """Backward alone, allreduce alone and backward with DDP, in ms (medians)."""
    local, ddp, comm = [], [], []
    for step in range(steps):
        x, y = batch(step)
        model.zero_grad()
        with model.no_sync():
            loss = loss_fn(model(x), y)
            barrier()
            start = time.perf_counter()
            loss.backward()
            local.append(time.perf_counter() - start)
        flats = _bucket_buffers(model, lib)
        barrier()
        start = time.perf_counter()
        works = [lib.distributed.all_reduce(f, async_op=True) for f in flats]
        for work in works:
            work.wait()
        comm.append(time.perf_counter() - start)
        model.zero_grad()
        loss = loss_fn(model(x), y)
        barrier()
        start = time.perf_counter()
        loss.backward()
        ddp.append(time.perf_counter() - start)
    t_local, t_comm, t_ddp = _median_ms(local), _median_ms(comm), _median_ms(ddp)
    return {"backward_local_ms": t_local, "allreduce_ms": t_comm, "backward_ddp_ms": t_ddp,
            "hidden_share": (t_local + t_comm - t_ddp) / t_comm}


def _bucket_buffers(model: Any, lib: Any) -> list:
    """Flat float32 tensors the size of the DDP buckets, one per bucket."""
    return [lib.ones(n) for n in _bucket_sizes(model)]


# ---------------------------------------------------------------------------------------------
# the driver


def launch(lib_name: str, world: int, bucket_mb: float | None, steps: int,
           port: int) -> dict[str, Any] | None:
    from ember.distributed import _mpi

    argv = [sys.executable, __file__, "--worker", lib_name, "--steps", str(steps)]
    if bucket_mb is not None:
        argv += ["--bucket-mb", str(bucket_mb)]
    env = _mpi.launch_env(nprocs=world)
    env["OMP_NUM_THREADS"] = "1"
    env["BENCH_PORT"] = str(port)
    command = _mpi.mpiexec_command(world, argv) if world > 1 else argv
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=LAUNCH_TIMEOUT)
    except subprocess.TimeoutExpired:  # a hung job: kill mpiexec's daemon and ranks too
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n(killed after {LAUNCH_TIMEOUT} s)"
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    print(f"{lib_name} at {world} processes failed:\n{stdout[-2000:]}\n{stderr[-2000:]}",
          file=sys.stderr)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3,
                        help="repeat every launch, interleaved; report the medians")
    parser.add_argument("--quick", action="store_true", help="50 steps, 1 round")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--worker", choices=("ember", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--bucket-mb", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    steps, rounds = (50, 1) if args.quick else (args.steps, args.rounds)
    if args.worker:
        worker(args.worker, steps, args.bucket_mb)
        return
    libs = ["ember"] + ([] if args.no_torch else ["torch"])
    small = 0.02  # MiB: the MLP's gradients in several buckets
    cases = [(lib, world, bucket) for lib in libs
             for world, bucket in ((1, None), (2, None), (2, small))]
    print(f"main model (MLP 64-128-64-10), global batch {GLOBAL_BATCH}, Adam; "
          f"{os.cpu_count()} cores, 1 BLAS thread per process; medians of {steps} steps, "
          f"median of {rounds} rounds; load average {os.getloadavg()[0]:.1f} (other work on "
          "the machine skews the 2-process rows most)\n")
    results: dict[tuple, list[dict]] = {case: [] for case in cases}
    for round_ in range(rounds):
        for i, case in enumerate(cases):
            result = launch(*case, steps=steps, port=29600 + 10 * round_ + i)
            if result is not None:
                results[case].append(result)
    print(f"{'library':8} {'processes':>9} {'buckets':>14} {'steps/s':>8} {'speed-up':>8} "
          f"{'bwd local':>10} {'allreduce':>10} {'bwd DDP':>8} {'hidden':>7}")
    for lib, world, bucket_mb in cases:
        runs = results[(lib, world, bucket_mb)]
        if not runs:
            continue
        row = {key: statistics.median(r[key] for r in runs) for key in runs[0]
               if isinstance(runs[0][key], float)}
        one = results[(lib, 1, None)]
        one_ms = statistics.median(r["step_ms"] for r in one) if one else float("nan")
        buckets = "-" if world == 1 else (
            f"{runs[0].get('buckets', '?')} x "
            + ("default" if bucket_mb is None else f"{bucket_mb:g} MiB"))
        line = (f"{lib:8} {world:>9} {buckets:>14} {1e3 / row['step_ms']:>8.0f} "
                f"{one_ms / row['step_ms']:>7.2f}x")
        if world > 1:
            line += (f" {row['backward_local_ms']:>8.2f}ms {row['allreduce_ms']:>8.2f}ms"
                     f" {row['backward_ddp_ms']:>6.2f}ms {row['hidden_share']:>6.0%}")
        print(line, flush=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
