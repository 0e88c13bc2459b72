"""ember's main job: train a small network on the 8x8 handwritten digits that ship with ember.

Written exactly as a PyTorch training script would be (``ember`` in place of ``torch``):
a Dataset and DataLoader, an nn.Module, a loss, an optimizer with a learning-rate schedule,
then evaluation on held-out digits, a loss/accuracy plot and the trained weights.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

import ember
from ember import nn
from ember.datasets import load_digits
from ember.utils.data import DataLoader, TensorDataset

__all__ = ["build_model", "train", "add_arguments"]


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
    ember.manual_seed(seed)
    train_set, test_set = _datasets(seed)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True,
                              generator=ember.Generator().manual_seed(seed))
    eval_train = DataLoader(train_set, batch_size=512)
    test_loader = DataLoader(test_set, batch_size=512)
    model = build_model(model_kind)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = ember.optim.Adam(model.parameters(), lr=lr)
    scheduler = ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history: dict[str, list] = {"train_loss": [], "train_acc": [], "test_loss": [],
                                "test_acc": []}
    bar = _progress(range(epochs), progress)
    for _ in bar:
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
        for split, loader in (("train", eval_train), ("test", test_loader)):
            split_loss, split_acc = _evaluate(model, loader, loss_fn)
            history[f"{split}_loss"].append(split_loss)
            history[f"{split}_acc"].append(split_acc)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}",
                            acc=f"{history['test_acc'][-1]:.3f}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plotted = _plot(history, out / "metrics.png")
    ember.save(model.state_dict(), out / "model.safetensors")
    metrics = {"model": model_kind, "epochs": epochs, "test_accuracy": history["test_acc"][-1],
               "test_loss": history["test_loss"][-1], "seconds": time.perf_counter() - start,
               "plot": str(out / "metrics.png") if plotted else None,
               "weights": str(out / "model.safetensors"), "history": history}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


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


def run(args: argparse.Namespace) -> int:
    metrics = train(args.model, args.epochs, args.lr, args.batch_size, args.out, args.seed,
                    progress=not args.no_progress)
    print(f"test accuracy: {metrics['test_accuracy']:.2%} ({metrics['model']}, "
          f"{metrics['epochs']} epochs, {metrics['seconds']:.1f} s)")
    if metrics["plot"]:
        print(f"loss/accuracy plot: {metrics['plot']}")
    else:
        print("(install matplotlib for the loss/accuracy plot)")
    print(f"trained weights: {metrics['weights']}")
    return 0
