"""The five core workloads of the speed issue, written as PyTorch code that runs unchanged under
ember and torch, each with a NumPy floor: the same arithmetic in plain NumPy calls, the least
any NumPy-based library can spend on it.

Every ``build_*(lib)`` returns a ``step()`` that runs one timed unit and returns a loss (or
output) tensor, so the runner can check both libraries compute the same thing. Inputs and
weights come from a seeded NumPy generator, identical for both libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Step = Callable[[], Any]


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def sync_parameters(lib: Any, module: Any, seed: int = 0) -> None:
    """Sets every parameter of ``module`` from a seeded generator, so that the ember and the
    torch copy of a model start from the same weights (parameters come in the same order)."""
    rng = _rng(seed)
    with lib.no_grad():
        for name, p in module.named_parameters():
            shape = tuple(p.shape)
            if len(shape) >= 2:
                value = rng.standard_normal(shape) / np.sqrt(shape[-1])
            elif name.endswith("weight"):
                value = np.ones(shape)
            else:
                value = rng.uniform(-0.05, 0.05, shape)
            p.copy_(lib.tensor(value.astype(np.float32)))


# --- (a), (b): chains of tiny elementwise ops -----------------------------------------------------


def build_chain(lib: Any, n_ops: int, shape: tuple) -> Step:
    """``n_ops`` elementwise ops (mul, add, tanh, sub repeated), then sum and backward."""
    rng = _rng()
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal(shape).astype(np.float32))

    def step() -> Any:
        y = x
        for _ in range(n_ops // 4):
            y = y * 1.0001
            y = y + w
            y = lib.tanh(y)
            y = y - 0.5
        loss = y.sum()
        loss.backward()
        x.grad = None
        return loss

    return step


def floor_chain(n_ops: int, shape: tuple) -> Step:
    """The chain's forward and backward as the NumPy calls they need: one per forward op, one
    per backward rule (tanh's takes three), no graph."""
    rng = _rng()
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(shape).astype(np.float32)
    scale, shift = np.float32(1.0001), np.float32(0.5)

    def step() -> Any:
        y = x
        tanh_outputs = []
        for _ in range(n_ops // 4):
            y = np.multiply(y, scale)
            y = np.add(y, w)
            y = np.tanh(y)
            tanh_outputs.append(y)
            y = np.subtract(y, shift)
        total = y.sum()
        grad = np.ones_like(x)
        for t in reversed(tanh_outputs):
            grad = np.multiply(grad, np.subtract(1, np.multiply(t, t)))
            grad = np.multiply(grad, scale)
        return total

    return step


# --- (c): MLP training step ----------------------------------------------------------------------


def _mlp_arrays() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    rng = _rng()
    params = []
    for shape in [(784, 256), (256,), (256, 128), (128,), (128, 10), (10,)]:
        scale = 1 / np.sqrt(shape[0])
        params.append(rng.uniform(-scale, scale, size=shape).astype(np.float32))
    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    return params, x, y


def build_mlp(lib: Any) -> Step:
    """MLP 784-256-128-10 (ReLU, log_softmax + NLL), batch 128, one SGD step by hand."""
    arrays, xs, ys = _mlp_arrays()
    params = [lib.tensor(a, requires_grad=True) for a in arrays]
    x, y = lib.tensor(xs), lib.tensor(ys)
    F = lib.nn.functional

    def step() -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h = F.relu(x @ w1 + b1)
        h = F.relu(h @ w2 + b2)
        loss = F.nll_loss(F.log_softmax(h @ w3 + b3, dim=1), y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
        return loss

    return step


def floor_mlp() -> Step:
    """The MLP step in NumPy: 3 matmuls forward, 5 backward, the same elementwise work."""
    params, x, y = _mlp_arrays()
    rows = np.arange(len(y))

    def step() -> Any:
        w1, b1, w2, b2, w3, b3 = params
        z1 = x @ w1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ w2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ w3 + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        logp = shifted - np.log(total)
        loss = -logp[rows, y].mean()
        g3 = exp / total
        g3[rows, y] -= 1
        g3 /= len(y)
        grads = [None] * 6
        grads[4], grads[5] = h2.T @ g3, g3.sum(0)
        g2 = (g3 @ w3.T) * (z2 > 0)
        grads[2], grads[3] = h1.T @ g2, g2.sum(0)
        g1 = (g2 @ w2.T) * (z1 > 0)
        grads[0], grads[1] = x.T @ g1, g1.sum(0)
        for p, g in zip(params, grads):
            p -= np.float32(0.01) * g
        return loss

    return step


# --- (d): one big matmul -------------------------------------------------------------------------


def build_matmul(lib: Any, n: int = 1024) -> Step:
    """``a @ b`` on (n, n) float32, backward with a given output gradient."""
    rng = _rng()
    a = lib.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((n, n)).astype(np.float32))

    def step() -> Any:
        out = a @ b
        out.backward(g)
        a.grad = b.grad = None
        return out[0, :4]

    return step


def floor_matmul(n: int = 1024) -> Step:
    rng = _rng()
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    g = rng.standard_normal((n, n)).astype(np.float32)

    def step() -> Any:
        out = a @ b
        _ = g @ b.T
        _ = a.T @ g
        return out[0, :4]

    return step


# --- (e): small CNN ------------------------------------------------------------------------------


def _cnn_data(batch: int) -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(1)
    return (rng.standard_normal((batch, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, batch))


def build_cnn(lib: Any, batch: int = 32) -> Step:
    """conv(1->8, 3x3) ReLU, conv(8->16, 3x3) ReLU, max-pool 2, linear to 10 classes, cross
    entropy; forward and backward on a batch of 28x28 images."""
    nn, F = lib.nn, lib.nn.functional

    class SmallCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.fc = nn.Linear(16 * 14 * 14, 10)

        def forward(self, x: Any) -> Any:
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            return self.fc(x.flatten(1))

    model = SmallCNN()
    sync_parameters(lib, model)
    xs, ys = _cnn_data(batch)
    return classifier_step(lib, model, lib.tensor(xs), lib.tensor(ys))


def classifier_step(lib: Any, model: Any, x: Any, y: Any) -> Step:
    """A forward and backward of ``model`` on ``x`` with cross entropy against ``y``."""
    F = lib.nn.functional

    def step() -> Any:
        model.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss

    return step


def _im2col3(x: np.ndarray) -> np.ndarray:
    """(N, C*9, H*W): every 3x3 window (padding 1) of ``x`` as a column, one copy."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, h * w)


def _conv_np(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """3x3 convolution with padding 1 as im2col and one matmul; returns the output and the
    columns (the weight gradient reuses them)."""
    n, _, h, width = x.shape
    cols = _im2col3(x)
    out = np.matmul(w.reshape(w.shape[0], -1), cols) + b[:, None]
    return out.reshape(n, -1, h, width), cols


def _conv_np_backward(grad: np.ndarray, cols: np.ndarray, w: np.ndarray,
                      need_input: bool) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    n, o, h, width = grad.shape
    flat = grad.reshape(n, o, h * width)
    grad_w = np.matmul(flat, cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
    grad_b = flat.sum((0, 2))
    grad_x = None
    if need_input:  # col2im: the columns' gradient added back, one strided add per offset
        c = w.shape[1]
        dcols = np.matmul(w.reshape(o, -1).T, flat).reshape(n, c, 3, 3, h, width)
        padded = np.zeros((n, c, h + 2, width + 2), grad.dtype)
        for i in range(3):
            for j in range(3):
                padded[:, :, i:i + h, j:j + width] += dcols[:, :, i, j]
        grad_x = padded[:, :, 1:-1, 1:-1]
    return grad_x, grad_w, grad_b


def floor_cnn(batch: int = 32) -> Step:
    """The small CNN's forward and backward in NumPy (im2col + matmul, col2im by strided
    adds)."""
    rng = _rng()
    w1 = (rng.standard_normal((8, 1, 3, 3)) / 3).astype(np.float32)
    b1 = np.zeros(8, np.float32)
    w2 = (rng.standard_normal((16, 8, 3, 3)) / 3).astype(np.float32)
    b2 = np.zeros(16, np.float32)
    wf = (rng.standard_normal((10, 16 * 14 * 14)) / 56).astype(np.float32)
    bf = np.zeros(10, np.float32)
    x, y = _cnn_data(batch)
    rows = np.arange(batch)

    def step() -> Any:
        z1, win1 = _conv_np(x, w1, b1)
        h1 = np.maximum(z1, 0)
        z2, win2 = _conv_np(h1, w2, b2)
        h2 = np.maximum(z2, 0)
        corners = [h2[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
        pooled = np.maximum(np.maximum(corners[0], corners[1]),
                            np.maximum(corners[2], corners[3]))
        flat = pooled.reshape(batch, -1)
        logits = flat @ wf.T + bf
        shifted = logits - logits.max(1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / exp.sum(1, keepdims=True)
        loss = -np.log(probs[rows, y]).mean()
        g = probs
        g[rows, y] -= 1
        g /= batch
        _ = g.T @ flat, g.sum(0)
        g_pool = (g @ wf).reshape(pooled.shape)
        g_h2 = np.zeros_like(h2)
        unclaimed = np.ones(pooled.shape, bool)
        for (i, j), corner in zip([(0, 0), (0, 1), (1, 0), (1, 1)], corners):
            first_max = (corner == pooled) & unclaimed  # the first maximum takes the gradient
            g_h2[:, :, i::2, j::2] = g_pool * first_max
            unclaimed &= ~first_max
        g_z2 = g_h2 * (z2 > 0)
        g_h1, _, _ = _conv_np_backward(g_z2, win2, w2, True)
        g_z1 = g_h1 * (z1 > 0)
        _conv_np_backward(g_z1, win1, w1, False)
        return loss

    return step


# --- LeNet-5 (bench_conv.py's workload, kept for continuity) --------------------------------------


def build_lenet(lib: Any, batch: int = 64) -> Step:
    """LeNet-5 on 1x32x32, batch 64: two 5x5 convs with pooling, three linear layers."""
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
            self.f1, self.f2, self.f3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

        def forward(self, x: Any) -> Any:
            h = F.max_pool2d(F.relu(self.c1(x)), 2)
            h = F.max_pool2d(F.relu(self.c2(h)), 2)
            h = F.relu(self.f1(h.reshape(h.shape[0], -1)))
            return self.f3(F.relu(self.f2(h)))

    model = LeNet()
    sync_parameters(lib, model)
    rng = _rng(2)
    x = lib.tensor(rng.standard_normal((batch, 1, 32, 32)).astype(np.float32))
    return classifier_step(lib, model, x, lib.tensor(rng.integers(0, 10, batch)))
