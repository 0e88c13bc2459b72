"""LeNet-5 training step (forward + backward), batch 64 on 1x32x32, ember vs torch.

Run: ``PYTHONPATH=src python bench/bench_conv.py`` (torch optional). On a busy machine compare
single-threaded: ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 ... bench_conv.py --threads 1``.
Prints the median time of a step for each library and ember's ratio to torch. Both
libraries get the same weights and inputs, and the losses are checked to agree before timing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.ops.nn import conv_functional as EF

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover
    torch = None

SHAPES = {"c1.w": (6, 1, 5, 5), "c1.b": (6,), "c2.w": (16, 6, 5, 5), "c2.b": (16,),
          "f1.w": (120, 400), "f1.b": (120,), "f2.w": (84, 120), "f2.b": (84,),
          "f3.w": (10, 84), "f3.b": (10,)}


def _params(lib: Any, arrays: dict) -> dict:
    return {k: lib.tensor(v, requires_grad=True) for k, v in arrays.items()}


def lenet_step(lib: Any, F: Any, conv: Any, p: dict, x: Any, y: Any) -> float:
    """One forward + backward of LeNet-5; returns the loss."""
    h = conv.max_pool2d(lib.relu(conv.conv2d(x, p["c1.w"], p["c1.b"])), 2)
    h = conv.max_pool2d(lib.relu(conv.conv2d(h, p["c2.w"], p["c2.b"])), 2)
    h = h.reshape(h.shape[0], -1)
    h = lib.relu(h @ p["f1.w"].t() + p["f1.b"])
    h = lib.relu(h @ p["f2.w"].t() + p["f2.b"])
    loss = F.cross_entropy(h @ p["f3.w"].t() + p["f3.b"], y)
    for t in p.values():
        t.grad = None
    loss.backward()
    return float(loss.item())


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main(batch: int = 64, repeat: int = 30) -> None:
    rng = np.random.default_rng(0)
    arrays = {k: (rng.standard_normal(s) * 0.1).astype(np.float32) for k, s in SHAPES.items()}
    xs = rng.standard_normal((batch, 1, 32, 32)).astype(np.float32)
    ys = rng.integers(0, 10, batch)
    ep, ex, ey = _params(ember, arrays), ember.tensor(xs), ember.tensor(ys)
    e_ms = _median_ms(lambda: lenet_step(ember, ember.nn.functional, EF, ep, ex, ey), repeat)
    print(f"LeNet-5 step, batch {batch}, 1x32x32 (median of {repeat})")
    print(f"  ember: {e_ms:8.2f} ms")
    if torch is None:
        return
    tp, tx, ty = _params(torch, arrays), torch.tensor(xs), torch.tensor(ys)
    e_loss = lenet_step(ember, ember.nn.functional, EF, ep, ex, ey)
    t_loss = lenet_step(torch, TF, TF, tp, tx, ty)
    assert abs(e_loss - t_loss) < 1e-4, (e_loss, t_loss)
    t_ms = _median_ms(lambda: lenet_step(torch, TF, TF, tp, tx, ty), repeat)
    print(f"  torch: {t_ms:8.2f} ms")
    print(f"  ratio ember/torch: {e_ms / t_ms:.2f}x")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args()
    if args.threads and torch is not None:
        torch.set_num_threads(args.threads)
    main(args.batch, args.repeat)
