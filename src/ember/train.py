"""ember's main job: train a small network on the 8x8 handwritten digits that ship with ember.

Written exactly as a PyTorch training script would be (``ember`` in place of ``torch``):
a Dataset and DataLoader, an nn.Module, a loss, an optimizer with a learning-rate schedule,
then evaluation on held-out digits, a loss/accuracy plot and the trained weights.

Started as several MPI ranks (``python -m ember --nproc 2``, or under mpiexec), it trains
data-parallel, as a torch script does under torchrun: a DistributedSampler gives each rank its
share of every batch (the global batch stays ``batch_size``), DistributedDataParallel averages
the gradients, and rank 0 writes the outputs. The sampler's order is the same at any number of
ranks, so the updates and the test accuracy match one process up to float rounding.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

import ember
from ember import distributed as dist
from ember import nn
from ember.datasets import load_digits
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset

__all__ = ["build_model", "train", "add_arguments", "launch"]


def build_model(kind: str) -> nn.Module:
    """The network: an MLP on the 64 pixels, or a small CNN on the 1x8x8 image."""
    if kind == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(64, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 10),
        )
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 2 * 2, 10),
        )
    raise ValueError(f"unknown model '{kind}': choose mlp or cnn")


def _datasets(seed: int) -> tuple[TensorDataset, TensorDataset]:
    images, labels = load_digits()
    x = ember.tensor(images.astype(np.float32)[:, None] / 16.0)  # (N, 1, 8, 8) in [0, 1]
    y = ember.tensor(labels.astype(np.int64))
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = len(labels) // 5
    test, train = order[:n_test], order[n_test:]
    return (TensorDataset(x[ember.tensor(train)], y[ember.tensor(train)]),
            TensorDataset(x[ember.tensor(test)], y[ember.tensor(test)]))


def _evaluate(model: nn.Module, loader: DataLoader, loss_fn: Any) -> tuple[float, float]:
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with ember.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += int((logits.argmax(dim=1) == y).sum().item())
            count += len(y)
    return total_loss / count, correct / count


def _progress(iterable: Any, enabled: bool) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc="training", unit="epoch", disable=not enabled)


def _plot(history: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history["train_acc"], label="train")
    ax_acc.plot(epochs, history["test_acc"], label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    fig.suptitle("ember on 8x8 digits")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def train(model_kind: str = "mlp", epochs: int = 30, lr: float = 3e-3, batch_size: int = 64,
          out: str | Path = "out", seed: int = 0, progress: bool = True) -> dict:
    """Trains on the digits, writes the plot and weights to ``out``, returns the metrics.

    Args:
        model_kind (str): "mlp" or "cnn".
        epochs (int): passes over the training set.
        lr (float): Adam's learning rate (cosine-annealed to 0).
        batch_size (int): examples per step.
        out (str or Path): folder for metrics.png, model.safetensors and metrics.json.
        seed (int): seeds the split, the initial weights and the shuffling.
        progress (bool): show a progress bar (tqdm).
    """
    start = time.perf_counter()
    world, rank = _join_ranks()
    if batch_size % world:
        raise ValueError(f"batch size {batch_size} does not split over {world} processes")
    ember.manual_seed(seed)
    train_set, test_set = _datasets(seed)
    # each rank takes every world-th example of one shuffled order: global batch k is the
    # same set of examples at any number of ranks
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, seed=seed)
    train_loader = DataLoader(train_set, batch_size=batch_size // world, sampler=sampler)
    eval_train = DataLoader(train_set, batch_size=512)
    test_loader = DataLoader(test_set, batch_size=512)
    net = build_model(model_kind)
    model = nn.parallel.DistributedDataParallel(net) if world > 1 else net
    loss_fn = nn.CrossEntropyLoss()
    optimizer = ember.optim.Adam(model.parameters(), lr=lr)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history: dict[str, list] = {"train_loss": [], "train_acc": [], "test_loss": [],
                                "test_acc": []}
    bar = _progress(range(epochs), progress and rank == 0)
    for epoch in bar:
        sampler.set_epoch(epoch)
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
        for split, loader in (("train", eval_train), ("test", test_loader)):
            split_loss, split_acc = _evaluate(net, loader, loss_fn)
            history[f"{split}_loss"].append(split_loss)
            history[f"{split}_acc"].append(split_acc)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}",
                            acc=f"{history['test_acc'][-1]:.3f}")
    out = Path(out)
    metrics = {"model": model_kind, "epochs": epochs, "processes": world,
               "test_accuracy": history["test_acc"][-1], "test_loss": history["test_loss"][-1],
               "seconds": time.perf_counter() - start, "plot": None,
               "weights": str(out / "model.safetensors"), "history": history}
    if rank == 0:  # every rank holds the same weights; one writes them
        out.mkdir(parents=True, exist_ok=True)
        if _plot(history, out / "metrics.png"):
            metrics["plot"] = str(out / "metrics.png")
        ember.save(net.state_dict(), out / "model.safetensors")
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def _join_ranks() -> tuple[int, int]:
    """(world size, rank): joins the process group when started as several ranks."""
    if dist.is_initialized():
        return dist.get_world_size(), dist.get_rank()
    launched = dist._mpi.launcher_env()
    if launched is None or launched[1] == 1:
        return 1, 0
    dist.init_process_group("gloo")
    return dist.get_world_size(), dist.get_rank()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp",
                        help="network to train (default: mlp)")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (default: 30)")
    parser.add_argument("--lr", type=float, default=3e-3,
                        help="Adam learning rate, cosine-annealed (default: 3e-3)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch size (default: 64)")
    parser.add_argument("--out", default="out",
                        help="output folder for the plot, weights and metrics (default: out)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--nproc", type=int, default=1,
                        help="train data-parallel on this many processes, started with "
                             "mpiexec (default: 1; needs ember[distributed])")


def launched_ranks() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) when mpiexec started this process, else None."""
    return dist._mpi.launcher_env()


def launch(nproc: int, argv: list[str]) -> int:
    """Runs ``python -m ember ARGV`` as ``nproc`` MPI ranks; returns mpiexec's exit code."""
    import subprocess
    import sys

    try:
        command = dist._mpi.mpiexec_command(
            nproc, [sys.executable, "-m", "ember.distributed._rank_main", "-m", "ember", *argv])
    except RuntimeError as error:  # no mpiexec: say what to install
        raise SystemExit(f"--nproc {nproc}: {error}") from error
    return subprocess.run(command, env=dist._mpi.launch_env(nprocs=nproc)).returncode


def run(args: argparse.Namespace) -> int:
    launched = launched_ranks()
    if launched is not None and args.nproc not in (1, launched[1]):
        raise SystemExit(f"--nproc {args.nproc} inside an MPI job of {launched[1]} processes")
    metrics = train(args.model, args.epochs, args.lr, args.batch_size, args.out, args.seed,
                    progress=not args.no_progress)
    if dist.is_initialized() and dist.get_rank() != 0:
        return 0
    ranks = f", {metrics['processes']} processes" if metrics["processes"] > 1 else ""
    print(f"test accuracy: {metrics['test_accuracy']:.2%} ({metrics['model']}, "
          f"{metrics['epochs']} epochs{ranks}, {metrics['seconds']:.1f} s)")
    if metrics["plot"]:
        print(f"loss/accuracy plot: {metrics['plot']}")
    else:
        print("(install matplotlib for the loss/accuracy plot)")
    print(f"trained weights: {metrics['weights']}")
    return 0
