"""ember against torch eager, side by side in one process, one thread each.

Usage::

    python bench/run.py                      # every workload, then the elementwise sweep
    python bench/run.py --quick              # 3 repeats each: a smoke run
    python bench/run.py --only gpt,crf       # some workloads (names below; "sweep" too)
    python bench/run.py --save after.json --baseline before.json   # a before/after table

Each workload runs under both libraries in this process, alternating (ember, torch, NumPy
floor, then the other way round), with the garbage collector on, as users run; the table gives
the median of each, ember's ratio to torch and to the NumPy floor (the same arithmetic in plain
NumPy calls, where one is written). Times are the process's CPU time by default (``--clock
cpu``): with one thread per library it equals the wall time of an idle machine, and unlike
wall time it does not count the time other processes hold the core, which on a shared
machine at a load above its core count triples a wall-clock median; ``--clock wall`` measures
wall time instead. Thread pools are pinned to one thread (OpenBLAS, OpenMP,
MKL and ``torch.set_num_threads``) before NumPy or torch load, for a per-core comparison that a
busy shared machine does not distort. Peak memory is measured per library in a subprocess that
imports that library alone: its peak resident set (VmHWM), and the rise above the resident set
it had once the library was imported.
"""

from __future__ import annotations

import argparse
import os
import sys


def _pin_threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[var] = str(n)


def _threads_from_argv(argv: list[str]) -> int:
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return 1


# before anything imports NumPy: its BLAS reads these once, when it loads
_pin_threads(_threads_from_argv(sys.argv))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import workloads_core as core  # noqa: E402
import workloads_real as real  # noqa: E402

# name -> (description, build(lib), NumPy floor or None, goal ratio or None, default repeats)
WORKLOADS: dict[str, tuple[str, Callable, Callable | None, float | None, int]] = {
    "chain_small": ("1,000 elementwise ops on (4,4), fwd+bwd",
                    lambda lib: core.build_chain(lib, 1000, (4, 4)),
                    lambda: core.floor_chain(1000, (4, 4)), 0.80, 21),
    "chain_long": ("20,000-op chain on (16,), fwd+bwd",
                   lambda lib: core.build_chain(lib, 20000, (16,)),
                   lambda: core.floor_chain(20000, (16,)), 0.70, 7),
    "mlp": ("MLP 784-256-128-10 step, batch 128, SGD", core.build_mlp, core.floor_mlp, 1.00, 21),
    "matmul": ("matmul 1024^2, fwd+bwd", core.build_matmul, core.floor_matmul, 1.00, 11),
    "cnn": ("small CNN (2 conv, pool, linear), batch 32", core.build_cnn, core.floor_cnn,
            1.00, 11),
    "lenet": ("LeNet-5 step, batch 64", core.build_lenet, None, None, 11),
    "gpt": ("char-GPT step (2 layers, 64 wide, T=64, B=16), AdamW", real.build_gpt, None,
            1.00, 11),
    "lstm_lm": ("LSTM LM step (2x128, T=35, B=20), clip + SGD", real.build_lstm_lm, None,
                1.00, 11),
    "crf": ("BiLSTM-CRF, 2 sentences, scalar loops", real.build_crf, None, 1.00, 11),
    "dynamic_poly": ("dynamic-depth polynomial, 10 SGD steps", real.build_dynamic_poly, None,
                     1.00, 21),
}
SWEEP = "sweep"


# --- timing --------------------------------------------------------------------------------------


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def measure(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Seconds of ``repeat`` calls of each function, run in turn (the order reversed every
    other round, so drift in the machine's speed hits all alike), after one warm-up call
    each."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for i in range(repeat):
        for name in (order if i % 2 == 0 else order[::-1]):
            fn = fns[name]
            start = clock()
            fn()
            times[name].append(clock() - start)
    return times


def medians(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(ts) for name, ts in times.items()}


def _as_array(value: Any) -> np.ndarray:
    if value is None:
        return np.zeros(0)
    if hasattr(value, "detach"):
        value = value.detach()
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64)


def agree(ours: Any, theirs: Any) -> bool:
    """Whether the first step of each library gave the same loss (float32 tolerance)."""
    a, b = _as_array(ours), _as_array(theirs)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=2e-3, atol=1e-4))


# --- peak memory, one library per subprocess ---------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def memory_child(name: str, lib_name: str, steps: int = 3) -> None:
    """Imports one library, resets the peak, builds workload ``name``, runs ``steps`` steps
    and prints {"peak": kB, "rise": kB} as JSON: the peak resident set, and its rise above
    the resident set the process had once the library was imported (model, data, graph,
    gradients and optimizer state: what the workload costs under that library)."""
    lib = _import(lib_name)
    gc.collect()
    base = _status_kb("VmRSS")
    try:  # writing 5 resets VmHWM to the current RSS (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        pass
    step = WORKLOADS[name][1](lib)
    for _ in range(steps):
        step()
    peak = _status_kb("VmHWM")
    print(json.dumps({"peak": peak, "rise": peak - base}))


def peak_memory(name: str, lib_name: str, threads: int) -> dict | None:
    cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(threads),
           "--memory-child", name, lib_name]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError) as err:
        print(f"  (memory of {name} under {lib_name} not measured: {err})", file=sys.stderr)
        return None


def _import(lib_name: str) -> Any:
    if lib_name == "torch":
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
        return torch
    import ember

    return ember


# --- reports ------------------------------------------------------------------------------------


def machine_info(torch: Any) -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = "unknown BLAS"
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{deps.get('name')} {deps.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict mode
        pass
    parts = [f"{cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}",
             f"Python {platform.python_version()}, NumPy {np.__version__} ({blas})",
             f"threads: {os.environ['OMP_NUM_THREADS']} (OpenBLAS/OpenMP/MKL env"
             + (f", torch.set_num_threads; torch {torch.__version__})" if torch else ")")]
    return "\n".join(parts)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.2f}"


def _mb(kb: dict | None) -> str:
    return "-" if kb is None else f"{kb['peak'] / 1024:.0f} (+{kb['rise'] / 1024:.0f})"


def run_workloads(names: list[str], ember: Any, torch: Any, args: argparse.Namespace,
                  baseline: dict) -> dict:
    results: dict[str, dict] = {}
    header = (f"{'workload':50} {'ember ms':>9} {'torch ms':>9} {'ratio':>6} {'goal':>5} "
              f"{'floor ms':>9} {'e/floor':>7} {'check':>5}")
    if baseline:
        header += f" {'before':>6}"
    print(header)
    for name in names:
        desc, build, floor, goal, default_repeat = WORKLOADS[name]
        repeat = 3 if args.quick else (args.repeat or default_repeat)
        fns = {"ember": build(ember)}
        check = "-"
        if torch is not None:
            fns["torch"] = build(torch)
            check = "ok" if agree(fns["ember"](), fns["torch"]()) else "DIFF"
        if floor is not None and not args.no_floor:
            fns["floor"] = floor()
        gc.collect()
        t = medians(measure(fns, repeat))
        row = {"ember": t["ember"], "torch": t.get("torch"), "floor": t.get("floor"),
               "repeat": repeat, "check": check}
        row["ratio"] = row["torch"] and row["ember"] / row["torch"]
        results[name] = row
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        over_floor = "-" if row["floor"] is None else f"{row['ember'] / row['floor']:.2f}"
        line = (f"{desc[:50]:50} {_ms(row['ember']):>9} {_ms(row['torch']):>9} {ratio:>6} "
                f"{'-' if goal is None else f'{goal:.2f}':>5} {_ms(row['floor']):>9} "
                f"{over_floor:>7} {check:>5}")
        before = baseline.get("workloads", {}).get(name, {}).get("ratio")
        if baseline:
            line += f" {'-' if before is None else f'{before:.2f}':>6}"
        print(line, flush=True)
        del fns
    if not args.no_memory:
        print("\npeak RSS, MB (rise above the imported library's RSS while building the workload "
              "and running 3 steps), one library per process")
        print(f"{'workload':50} {'ember':>14} {'torch':>14}")
        for name in names:
            mem = {lib: peak_memory(name, lib, args.threads)
                   for lib in (("ember", "torch") if torch is not None else ("ember",))}
            results[name]["memory"] = mem
            print(f"{WORKLOADS[name][0][:50]:50} {_mb(mem['ember']):>14} "
                  f"{_mb(mem.get('torch')):>14}", flush=True)
    return results


def run_sweep(ember: Any, torch: Any, args: argparse.Namespace, baseline: dict) -> dict:
    import sweep

    repeat = 3 if args.quick else (args.repeat or 5)
    print(f"\nelementwise sweep: forward + backward on {sweep.SHAPE} float32, median of "
          f"{repeat} (ratio) and best of {repeat} (best); sorted by ratio")
    rows = []
    for node, call, ranges in sweep.cases(ember):
        if args.ops and not any(key.lower() in node.lower() for key in args.ops.split(",")):
            continue
        arrays = sweep.inputs(ranges)
        fns = {"ember": sweep.build(ember, call, arrays)}
        if torch is not None:
            fns["torch"] = sweep.build(torch, call, arrays)
        gc.collect()
        times = measure(fns, repeat)
        t = medians(times)
        ratio = best = None
        if torch is not None:
            ratio = t["ember"] / t["torch"]
            best = min(times["ember"]) / min(times["torch"])
        rows.append((node, t["ember"], t.get("torch"), ratio, best))
    rows.sort(key=lambda r: -(r[3] or 0))
    header = f"{'op':28} {'ember ms':>9} {'torch ms':>9} {'ratio':>7} {'best':>7}"
    print(header + (f" {'before':>7}" if baseline else ""))
    before_rows = baseline.get("sweep", {})
    for node, e, t, ratio, best in rows:
        flag = " <- over 2x" if ratio is not None and ratio > 2 else ""
        line = (f"{node:28} {_ms(e):>9} {_ms(t):>9} {'-' if ratio is None else f'{ratio:.2f}':>7}"
                f" {'-' if best is None else f'{best:.2f}':>7}")
        if baseline:
            before = before_rows.get(node, {}).get("ratio")
            line += f" {'-' if before is None else f'{before:.2f}':>7}"
        print(line + flag)
    over = [r for r in rows if r[3] is not None and r[3] > 2]
    print(f"{len(rows)} ops, {len(over)} over 2x torch")
    return {node: {"ember": e, "torch": t, "ratio": ratio, "best": best}
            for node, e, t, ratio, best in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats each (a smoke run)")
    parser.add_argument("--only", default="", help="comma-separated workload names; "
                        f"from: {', '.join(WORKLOADS)}, {SWEEP}")
    parser.add_argument("--ops", default="", help="sweep: only ops whose node contains one "
                        "of these comma-separated strings (e.g. gelu,erf)")
    parser.add_argument("--repeat", type=int, default=0, help="repeats per workload")
    parser.add_argument("--threads", type=int, default=1, help="threads per library (1)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="process CPU time (default) or wall time")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-RSS runs")
    parser.add_argument("--no-floor", action="store_true", help="skip the NumPy floors")
    parser.add_argument("--save", help="write the results as JSON here")
    parser.add_argument("--baseline", help="a --save file: adds its ratios as 'before'")
    parser.add_argument("--memory-child", nargs=2, metavar=("NAME", "LIB"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0

    global clock
    clock = CLOCKS[args.clock]
    names = [n for n in args.only.split(",") if n] or [*WORKLOADS, SWEEP]
    unknown = [n for n in names if n not in WORKLOADS and n != SWEEP]
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(unknown)}")
    import ember

    try:
        torch = _import("torch")
    except ImportError:
        torch = None
        print("torch is not installed: ember's times only")
    baseline = {}
    if args.baseline:
        with open(args.baseline, encoding="utf-8") as f:
            baseline = json.load(f)
    print(machine_info(torch) + f"\nclock: {args.clock}\n")
    results: dict[str, Any] = {"machine": machine_info(torch)}
    workload_names = [n for n in names if n != SWEEP]
    if workload_names:
        results["workloads"] = run_workloads(workload_names, ember, torch, args, baseline)
    if SWEEP in names:
        results["sweep"] = run_sweep(ember, torch, args, baseline)
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
