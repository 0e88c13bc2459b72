"""ember.autograd.explain: a backward pass narrated node by node, with numbers."""

from __future__ import annotations

import io

import numpy as np

import ember
from tests.conftest import assert_close

explain = ember.autograd.explain


def test_scalar_example_transcript() -> None:
    a = ember.tensor(3.0, requires_grad=True)
    b = a ** 2
    out = io.StringIO()
    result = explain(b, file=out)
    assert out.getvalue() == str(result) + "\n"
    lines = str(result).splitlines()
    assert lines[0] == ("Backward pass from b (PowBackward0, () float32): 2 steps, in the order "
                        "the engine runs them.")
    body = "\n".join(lines[3:])
    assert body.startswith(
        "\nStep 1: [1] PowBackward0    b = a ** 2\n")
    assert ("    incoming gradient  db/db = 1\n"
            "    rule for a         grad * exponent * a ** (exponent - 1), with exponent = 2\n"
            "    local derivative   db/da = 6\n"
            "    product            db/da = 1 × 6 = 6\n"
            "    -> to [2], the leaf a: it goes into a.grad\n\n"
            "Step 2: [2] AccumulateGrad for the leaf a () float32\n"
            "    incoming gradient  db/da = 6\n"
            "    a.grad was None: it becomes this gradient\n\n"
            "Chain rule, multiplied out: db/da = 1 × 6 = 6") in body
    assert a.grad.item() == 6.0


def test_seed_example_reads_as_a_worked_chain_rule() -> None:
    x = ember.tensor(np.arange(16, dtype=np.float32).reshape(4, 4), requires_grad=True)
    y = x + 32
    z = (y ** 2 / 3)
    result = explain(z, ember.ones_like(z), quiet=True)
    text = str(result)
    assert_close(x.grad, 2 * (x.detach() + 32) / 3)  # what backward gives, unchanged
    assert "Step 1: [1] DivBackward0    z = t2 / 3" in text
    assert "Step 2: [2] PowBackward0    t2 = y ** 2" in text
    assert "Step 3: [3] AddBackward0    y = x + (a constant)" in text
    assert "rule for t2        grad / b, with b = 3" in text
    assert "rule for y         grad * exponent * y ** (exponent - 1), with exponent = 2" in text
    assert "rule for x         grad\n" in text
    assert "local derivative   dz/dt2 = 0.3333 in every element" in text
    assert "local derivative   dt2/dy = 64 at [0, 0]" in text  # 2 * (0 + 32)
    assert "product            dz/dy = 0.3333 × 64 = 21.33 at [0, 0]" in text
    assert "local derivative   dy/dx = 1 in every element" in text
    assert "x.grad was None: it becomes this gradient" in text
    assert text.endswith("Chain rule, multiplied out: dz/dx = 1 × 0.3333 × 64 × 1 = 21.33 at "
                         "[0, 0]")


def test_steps_hold_the_numbers() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x + 32
    z = y ** 2 / 3
    steps = explain(z, ember.ones(2), quiet=True).steps
    assert [s.node.name for s in steps] == ["DivBackward0", "PowBackward0", "AddBackward0", "x"]
    div, pow_, add, leaf = steps
    assert_close(div.local[0], ember.full((2,), 1 / 3))
    assert div.local[1] is None and div.targets[1] is None
    assert_close(pow_.incoming, ember.full((2,), 1 / 3))
    assert_close(pow_.local[0], 2 * y.detach())
    assert_close(pow_.products[0], 2 * y.detach() / 3)
    assert add.targets[0] is leaf.node
    assert_close(leaf.incoming, x.grad) and leaf.grad_before is None


def test_accumulation_and_fan_in_are_told() -> None:
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w + w.exp()).sum()
    text = str(explain(loss, quiet=True))
    assert "Step 1: [1] SumBackward0    loss = sum(t2)" in text
    assert "gradient sent      dloss/dt2 = 1 in every element" in text
    assert "rule for w         grad * t3\n" in text  # exp's rule: grad * result
    assert "local derivative   dt3/dw = [2.718, 7.389]" in text
    assert "(summed with the other 2 gradients arriving there)" in text
    assert "Chain rule" not in text  # not one chain: no product to multiply out
    again = (w * 3).sum()
    text = str(explain(again, quiet=True))
    assert "w.grad was [4.718, 11.39]: the gradient is added to it" in text
    assert_close(w.grad, ember.tensor([7.7183, 14.3891]), atol=1e-4, rtol=0)


def test_hooks_are_removed_and_graph_freed_as_backward_would() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).exp()
    explain(y.sum(), quiet=True)
    assert not y.grad_fn._pre_hooks and not y.grad_fn._hooks and not x._hooks
    assert y.grad_fn._freed_at is not None  # as after y.sum().backward()


def test_tour_explains_the_seed_notebook() -> None:
    from ember.tour import run

    out = io.StringIO()
    run(out, explain=True)
    text = out.getvalue()
    assert ">>> ember.autograd.explain(z, ember.ones_like(z))" in text
    assert "Step 2: [2] PowBackward0    t2 = y ** 2" in text
    assert "Chain rule, multiplied out: dz/dx = 1 × 0.3333 ×" in text
    plain = io.StringIO()
    run(plain)
    assert "Chain rule" not in plain.getvalue()
