"""Where ember's time goes: a sampling profile of one workload, sorted into the costs of an op.

Usage::

    python bench/profile_ops.py chain_small          # py-spy --native over 200 steps, by category
    python bench/profile_ops.py gpt --steps 5 --top 20
    python bench/profile_ops.py --calls              # NumPy's and torch's own per-call costs

The workload runs under ember in a child process that py-spy samples with native frames (so
time inside NumPy's C code is told apart from the Python that calls it). Each sample is put in
one category by its innermost frame: NumPy's C code, the engine loop, dispatch and dtype checks
in ``apply``, node creation, saved-tensor handling, tensor wrapping (``_make``), the op bodies'
own Python, the garbage collector, or the workload's own code. Imports and model set-up are left
out. Without py-spy (``pip install py-spy``) it falls back to cProfile's flat listing.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))

# category -> substrings of the innermost ember function name (or file) it covers
CATEGORIES = [
    ("engine loop", ("autograd/engine.py",)),
    ("saved tensors (unpack, version check, release)", ("saved_tensors", "release", "_unpack")),
    ("node creation / recording", ("record", "_input_node", "set_edges", "accumulator_of",
                                   "save_output", "shared_counter", "version_of", "_pack_all")),
    ("tensor wrapping (_make)", ("_make", "_rebuild")),
    ("dispatch, dtype and broadcast checks", ("_build_apply.<locals>.apply", "scalar_result",
                                              "_scalar_dtype", "_as_number", "_promote_pair",
                                              "_floating", "_check_float", "_meta",
                                              "broadcast_error", "_like")),
]
NATIVE_LIBS = ("numpy", "libm", "libc", "openblas", "scipy", "libgomp")
FRAME = re.compile(r"(.*) \((.*?)(?::(\d+))?\)$")


def _parse(frame: str) -> tuple[str, str, int]:
    m = FRAME.match(frame)
    if not m:
        return frame, "", 0
    return m.group(1), m.group(2), int(m.group(3) or 0)


def _is_ember(path: str) -> bool:
    return path.startswith("ember/") or "/ember/" in path


def categorise(raw_path: str) -> tuple[collections.Counter, collections.Counter,
                                       collections.Counter, int]:
    """Reads py-spy's raw output: (category counts, (category, phase) counts, NumPy C time by
    the ember line that called it, total samples)."""
    cats: collections.Counter = collections.Counter()
    phases: collections.Counter = collections.Counter()
    numpy_lines: collections.Counter = collections.Counter()
    with open(raw_path, encoding="utf-8") as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack:
                continue
            frames = [_parse(fr) for fr in stack.split(";")]
            if any((fn == "<module>" and not path.endswith("profile_ops.py"))
                   or (fn.startswith("build_") and "<locals>" not in fn)
                   or "_find_and_load" in fn for fn, path, _ in frames):
                continue  # imports and workload set-up
            n = int(count)
            leaf_fn, leaf_path, _ = frames[-1]
            python = [fr for fr in frames if fr[1].endswith(".py")]
            if any(fn == "run_backward" for fn, _, _ in frames):
                phase = "backward"
            elif any("optim/" in path for _, path, _ in frames):
                phase = "optimizer"
            else:
                phase = "forward"
            if any("gc_collect" in fn for fn, _, _ in frames[-4:]):
                cat = "garbage collector"
            elif not leaf_path.endswith(".py") and any(s in leaf_path for s in NATIVE_LIBS):
                cat = "NumPy (C code)"
                ember_frames = [fr for fr in python if _is_ember(fr[1])]
                if ember_frames:
                    fn, path, lineno = ember_frames[-1]
                    numpy_lines[f"{fn} ({path.split('ember/', 1)[-1]}:{lineno})"] += n
            elif not python:
                cat = "interpreter"
            else:
                fn, path, _ = python[-1]
                cat = _python_category(fn, path)
            cats[cat] += n
            phases[cat, phase] += n
    return cats, phases, numpy_lines, sum(cats.values())


def _python_category(fn: str, path: str) -> str:
    if not _is_ember(path):
        return "NumPy (Python wrappers)" if "numpy/" in path else "workload's own code"
    for name, keys in CATEGORIES:
        if any(key in fn or key in path for key in keys):
            return name
    short = path.split("ember/", 1)[-1]
    if short.startswith("ops"):
        return "op bodies (Python in forward/backward)"
    if short.startswith(("nn", "optim")):
        return "nn / optim Python"
    return "other ember Python"


def report(raw_path: str, top: int) -> None:
    cats, phases, numpy_lines, total = categorise(raw_path)
    if not total:
        print("no samples")
        return
    print(f"{total} samples (imports and set-up left out); share of the step's time:")
    print(f"{'':6} {'category':48} {'fwd':>6} {'bwd':>6} {'optim':>6}")
    for cat, n in cats.most_common():
        shares = " ".join(f"{100 * phases[cat, p] / total:6.1f}"
                          for p in ("forward", "backward", "optimizer"))
        print(f"{100 * n / total:5.1f}% {cat:48} {shares}")
    print(f"\nNumPy's C time by the ember line calling it (top {top}):")
    for where, n in numpy_lines.most_common(top):
        print(f"{100 * n / total:5.1f}%  {where}")


def child(name: str, steps: int) -> None:
    """Runs ``steps`` steps of a workload under ember (what py-spy samples)."""
    sys.argv = [sys.argv[0]]
    sys.path.insert(0, HERE)
    import run

    step = run.WORKLOADS[name][1](run._import("ember"))
    step()
    for _ in range(steps):
        step()


def profile(name: str, steps: int, top: int, rate: int) -> None:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--steps", str(steps)]
    spy = shutil.which("py-spy")
    if spy is None:
        print("py-spy is not installed: cProfile's flat listing instead")
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(child, name, steps)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
        return
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "samples.txt")
        subprocess.run([spy, "record", "--native", "-r", str(rate), "-f", "raw", "-o", raw,
                        "--", *cmd], env=env, check=True, capture_output=True, timeout=1800)
        report(raw, top)


def _per_call_ns(fn: Any, n: int = 20000) -> float:
    fn()
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n)
    return best * 1e9


def call_costs() -> None:
    """NumPy's own per-call costs on a (4, 4) float32 array, next to torch's and ember's: the
    floor under any NumPy-based library's per-op time."""
    import numpy as np

    import ember

    a = np.random.default_rng(0).random((4, 4), dtype=np.float32)

    def errstate() -> None:
        with np.errstate(over="ignore"):
            pass

    b, out = a.copy(), np.empty_like(a)
    rows: list[tuple[str, Any]] = [
        ("np.multiply(a, b)", lambda: np.multiply(a, b)),
        ("np.multiply(a, b, out=out)", lambda: np.multiply(a, b, out=out)),
        ("a * 1.0001 (Python float)", lambda: a * 1.0001),
        ("np.tanh(a)", lambda: np.tanh(a)),
        ("np.ones_like(a)", lambda: np.ones_like(a)),
        ("np.empty_like(a)", lambda: np.empty_like(a)),
        ("a.sum()", lambda: a.sum()),
        ("np.where(a > 0, a, 0)", lambda: np.where(a > 0, a, 0)),
        ("with np.errstate(over='ignore')", errstate),
    ]
    ea, eb = ember.tensor(a), ember.tensor(b)
    rows += [("ember a * b (no grad)", lambda: ea * eb),
             ("ember.tanh(a) (no grad)", lambda: ember.tanh(ea))]
    try:
        import torch

        torch.set_num_threads(1)
        ta, tb = torch.tensor(a), torch.tensor(b)
        rows += [("torch a * b (no grad)", lambda: ta * tb),
                 ("torch.tanh(a) (no grad)", lambda: torch.tanh(ta))]
    except ImportError:
        pass
    for label, fn in rows:
        print(f"{label:36} {_per_call_ns(fn):7.0f} ns")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="a workload of bench/run.py")
    parser.add_argument("--steps", type=int, default=0, help="steps to sample (by workload)")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--rate", type=int, default=500, help="samples per second")
    parser.add_argument("--calls", action="store_true", help="per-call costs instead")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps)
    elif args.calls:
        call_costs()
    elif args.name:
        profile(args.name, args.steps or 20, args.top, args.rate)
    else:
        parser.error("name a workload, or --calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
