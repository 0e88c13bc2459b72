"""The seed notebook's autograd walkthrough, replayed step by step with ember.

Run it with ``python -m ember tour``: each step prints its code and what it shows, exactly as
the notebook does with torch (random values aside).
"""

from __future__ import annotations

import sys
from typing import TextIO

STEPS: list[tuple[str, str]] = [
    ("A leaf tensor that requires grad",
     "a = ember.tensor(3.0, requires_grad=True)\nshow(a)"),
    ("An op records its backward function", "b = a**2\nshow(b)"),
    ("backward() fills .grad of the leaves", "b.backward()\nshow(a.grad)"),
    ("Non-scalar outputs need a gradient argument",
     "x = ember.randn((4, 4), requires_grad=True)\ny = x + 32\nz = (y**2 / 3)\n"
     "z.backward(ember.ones_like(z))\nshow(x.grad)"),
    ("Gradients accumulate across backward calls",
     "x1 = ember.tensor(5.0, requires_grad=True)\nfor _ in range(2):\n"
     "    y1 = x1**3\n    y1.backward()\n    show(x1.grad)"),
    ("...so clear them between steps", "show(x1.grad.zero_())"),
    ("Stop tracking: requires_grad_(False)",
     "x2 = ember.tensor(5.0, requires_grad=True)\nshow(x2)\nx2.requires_grad_(False)\nshow(x2)"),
    ("Stop tracking: detach()", "x2 = x.detach()\nshow(x2)"),
    ("Stop tracking: no_grad()",
     "with ember.no_grad():\n    w = x * 2\nshow(w.requires_grad)"),
    ("Training with gradient descent: fit y = 2x + 1",
     "ember.manual_seed(0)\nxs = ember.linspace(-1, 1, 32)\nys = 2 * xs + 1\n"
     "w = ember.zeros(1, requires_grad=True)\nbias = ember.zeros(1, requires_grad=True)\n"
     "for step in range(200):\n    loss = ((w * xs + bias - ys) ** 2).mean()\n"
     "    loss.backward()\n    with ember.no_grad():\n        w -= 0.1 * w.grad\n"
     "        bias -= 0.1 * bias.grad\n    w.grad.zero_()\n    bias.grad.zero_()\n"
     "show(loss)\nshow(w)\nshow(bias)"),
]


# With --explain, these steps narrate their backward pass (ember.autograd.explain) instead
# of running it silently.
EXPLAINED: dict[int, str] = {
    3: "ember.autograd.explain(b)\nshow(a.grad)",
    4: "x = ember.randn((4, 4), requires_grad=True)\ny = x + 32\nz = (y**2 / 3)\n"
       "ember.autograd.explain(z, ember.ones_like(z))\nshow(x.grad)",
}


def run(out: TextIO | None = None, explain: bool = False) -> None:
    """Prints every step of the walkthrough: its code, then what it shows.

    Args:
        out (TextIO, optional): where to print (default: standard output).
        explain (bool): narrate the backward passes of the first examples node by node.
    """
    import contextlib

    import ember

    out = out if out is not None else sys.stdout

    def show(value: object) -> None:
        print(value, file=out)

    namespace: dict = {"ember": ember, "show": show}
    for number, (title, code) in enumerate(STEPS, 1):
        if explain:
            code = EXPLAINED.get(number, code)
        print(f"\n[{number}] {title}", file=out)
        for line in code.splitlines():
            print(f">>> {line}" if not line.startswith(" ") else f"... {line}", file=out)
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"<tour step {number}>", "exec"), namespace)  # noqa: S102
