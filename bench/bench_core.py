"""Core benchmark: ember against torch, side by side in one process.

(a) a chain of 1,000 elementwise ops on (4, 4) tensors, then sum and backward;
(b) a 20,000-op chain on a (16,) vector (checks the engine is iterative and lean);
(c) one training step of an MLP 784-256-128-10 (ReLU, log_softmax + NLL, batch 128, manual SGD).

Prints the median time of each library and the ratio ember/torch. The garbage collector stays
on, as users run. Usage: ``python bench/bench_core.py [--repeat N] [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def chain(lib: Any, n_ops: int, shape: tuple) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal(shape).astype(np.float32))

    def run() -> None:
        y = x
        for _ in range(n_ops // 4):
            y = y * 1.0001
            y = y + w
            y = lib.tanh(y)
            y = y - 0.5
        y.sum().backward()
        x.grad = None

    return run


def mlp_step(lib: Any) -> Callable[[], None]:
    rng = np.random.default_rng(0)

    def param(*shape: int) -> Any:
        scale = 1 / np.sqrt(shape[0])
        data = rng.uniform(-scale, scale, size=shape).astype(np.float32)
        return lib.tensor(data, requires_grad=True)

    params = [param(784, 256), param(256), param(256, 128), param(128), param(128, 10),
              param(10)]
    x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))
    F = lib.nn.functional

    def run() -> None:
        w1, b1, w2, b2, w3, b3 = params
        h = F.relu(x @ w1 + b1)
        h = F.relu(h @ w2 + b2)
        loss = F.nll_loss(F.log_softmax(h @ w3 + b3, dim=1), y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    return run


def measure_pair(ours: Callable[[], None], theirs: Callable[[], None] | None,
                 repeat: int) -> tuple[float, float | None]:
    """Median times of two functions run alternately, so that the machine's drift (other
    load, frequency changes) hits both alike."""
    ours()
    if theirs is not None:
        theirs()
    ours_t: list[float] = []
    theirs_t: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        ours_t.append(time.perf_counter() - start)
        if theirs is not None:
            start = time.perf_counter()
            theirs()
            theirs_t.append(time.perf_counter() - start)
    return statistics.median(ours_t), (statistics.median(theirs_t) if theirs_t else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for CI smoke runs")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else args.repeat

    import ember

    try:
        import torch

    except ImportError:
        torch = None
        print("torch is not installed: printing ember's times only")

    cases = [("(a) 1,000-op chain (4,4) + backward", lambda lib: chain(lib, 1000, (4, 4)), 1.2),
             ("(b) 20,000-op chain (16,) + backward", lambda lib: chain(lib, 20000, (16,)), 1.5),
             ("(c) MLP 784-256-128-10 step, batch 128", mlp_step, 1.3)]
    print(f"{'case':42} {'ember ms':>10} {'torch ms':>10} {'ratio':>7} {'target':>7}")
    failed = False
    for name, make, target in cases:
        reps = max(5, repeat // 3) if "20,000" in name else repeat
        ember_t, torch_t = measure_pair(make(ember), make(torch) if torch else None, reps)
        if torch_t is not None:
            ratio = ember_t / torch_t
            failed |= ratio > target
            print(f"{name:42} {ember_t * 1e3:10.2f} {torch_t * 1e3:10.2f} {ratio:7.2f} "
                  f"{target:7.1f}")
        else:
            print(f"{name:42} {ember_t * 1e3:10.2f}")
    if failed:
        print("some ratios are above target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
