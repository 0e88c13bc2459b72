"""The seed notebook (../shared/seed/autograd_notebook.txt), every cell, with the import
swapped: ``import ember as torch``. Printed reprs must match the notebook's exactly, random
values aside (for those the values are checked against the formula instead)."""

from __future__ import annotations

import numpy as np

import ember as torch


def test_leaf_pow_backward() -> None:
    a = torch.tensor(3.0, requires_grad=True)
    b = a**2
    assert repr(a) == "tensor(3., requires_grad=True)"
    assert repr(b) == "tensor(9., grad_fn=<PowBackward0>)"
    b.backward()
    assert repr(a.grad) == "tensor(6.)"


def test_non_scalar_backward_with_gradient() -> None:
    x = torch.randn((4, 4), requires_grad=True)
    y = x + 32
    z = (y**2 / 3)
    z.backward(torch.ones_like(z))
    expected = 2 * (x.detach().numpy() + 32) / 3
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    text = repr(x.grad)
    assert text.startswith("tensor([[") and text.count("\n") == 3 and "grad_fn" not in text


def test_scalar_mean_backward_needs_no_gradient() -> None:
    x = torch.randn((4, 4), requires_grad=True)
    z = ((x + 32) ** 2 / 3).mean()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x.detach().numpy() + 32) / 3 / 16,
                               rtol=1e-5)


def test_gradients_accumulate_then_zero() -> None:
    x1 = torch.tensor(5.0, requires_grad=True)
    y1 = x1**3
    y1.backward()
    assert repr(x1.grad) == "tensor(75.)"
    y1 = x1**3
    y1.backward()
    assert repr(x1.grad) == "tensor(150.)"
    assert repr(x1.grad.zero_()) == "tensor(0.)"
    assert repr(x1.grad) == "tensor(0.)"


def test_requires_grad_false() -> None:
    x2 = torch.tensor(5.0, requires_grad=True)
    assert repr(x2) == "tensor(5., requires_grad=True)"
    x2.requires_grad_(False)
    assert repr(x2) == "tensor(5.)"


def test_detach() -> None:
    x = torch.randn((4, 4), requires_grad=True)
    x2 = x.detach()
    assert not x2.requires_grad and x2.grad_fn is None
    assert "requires_grad" not in repr(x2)
    assert np.shares_memory(x2.numpy(), x.detach().numpy())


def test_no_grad() -> None:
    x = torch.randn((4, 4), requires_grad=True)
    with torch.no_grad():
        y = x * 2
    assert not y.requires_grad


def test_training_with_gradient_descent() -> None:
    xs = torch.linspace(-1, 1, 32)
    ys = 2 * xs + 1
    w = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _ in range(200):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()
    assert abs(w.item() - 2) < 1e-3 and abs(b.item() - 1) < 1e-3
    assert repr(loss).endswith("grad_fn=<MeanBackward0>)")


def test_main_job_replays_the_tour(capsys: object) -> None:
    from ember.__main__ import main

    assert main(["tour"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    for shown in ("tensor(3., requires_grad=True)", "tensor(9., grad_fn=<PowBackward0>)",
                  "tensor(6.)", "tensor(75.)", "tensor(150.)", "tensor(0.)", "tensor(5.)"):
        assert shown in out
