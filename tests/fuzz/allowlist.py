"""The differences the fuzz test tolerates, in two parts.

* ``DELIBERATE``: differences ember keeps on purpose, each with its reason. Keep it short.
* ``KNOWN_UNFIXED``: real differences not fixed yet, each naming its row of
  ``../shared/findings/torch_differences.py`` or a new finding (F-numbers, in the fuzz notes),
  with a minimal program that shows it. ``test_fuzz.py`` fails when an entry's program stops
  showing its difference, so a fix removes its entry instead of leaving it to hide the next
  bug. Fixers empty this list.

An entry matches a finding (a shrunk program and its first difference) by the difference's
category, the op it is attributed to, and patterns in the shrunk code.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Pred = Callable[[Any], bool]


@dataclass(frozen=True)
class Entry:
    id: str
    why: str
    match: Pred
    repro: str = ""


def cat(*prefixes: str) -> Pred:
    return lambda f: f.category.startswith(prefixes)


def op(*patterns: str) -> Pred:
    """The attributed op spelling, by shell-style patterns (``*(out=)``, ``Tensor.*_``)."""
    return lambda f: any(fnmatch.fnmatchcase(f.op, p) for p in patterns)


def code(pattern: str) -> Pred:
    rx = re.compile(pattern)
    return lambda f: bool(rx.search(f.code))


def detail(pattern: str) -> Pred:
    """Matches the ember side of the first difference (an exception's text, a value)."""
    rx = re.compile(pattern)
    return lambda f: bool(f.diffs) and bool(rx.search(f.diffs[0].ember + " " + f.diffs[0].torch))


def all_(*preds: Pred) -> Pred:
    return lambda f: all(p(f) for p in preds)


def any_(*preds: Pred) -> Pred:
    return lambda f: any(p(f) for p in preds)


GRAD_MODE = r"with lib\.(no_grad|inference_mode|set_grad_enabled\(False\))"

DELIBERATE: list[Entry] = [
    Entry("D1", "torch's functions reject what its methods accept (lib.permute(x, 0, 1), "
          "lib.reshape(x, 2, 3), keyword clamp_(min=number, max=tensor)); ember's spellings share "
          "one signature, which is more lenient and never gives a different result",
          all_(cat("no_raise"), detail(r"TypeError: \w+\(\) (takes|missing|received an "
                                        r"invalid combination)"))),
]

KNOWN_UNFIXED: list[Entry] = [
    Entry("N1", "grad_fn names after in-place ops on views (torch AsStridedBackward0/"
          "CopySlices), zero_ (ZeroBackward0), in-place unary (AcoshBackward1) and higher order",
          all_(cat("grad_fn", "end_grad_fn"),
               detail(r"AsStridedBackward0|ZeroBackward0|Backward1|CopySlices|"
                      r"BackwardBackward")),
          "x1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
          "t2 = x1 * 1\nt3 = t2[1:]\nt4 = t3.mul_(2)"),
    Entry("F1", "Tensor methods torch has and ember lacks (cumsum_, cumprod_, tril_, triu_, "
          "bitwise_*_, comparison in-place forms, broadcast_to, ...): AttributeError",
          all_(cat("raise:AttributeError", "exc_type:"), detail("has no attribute")),
          "x1 = lib.tensor([1.0, 2.0])\nt2 = x1.cumsum_(0)"),
    Entry("F2", "out= is accepted by few ember functions (unary math, reductions, pow, "
          "cumsum, diag, ...): TypeError 'unexpected keyword argument out'",
          all_(op("*(out=)"), detail("unexpected keyword argument 'out'")),
          "x1 = lib.tensor([1.0, 2.0])\no2 = lib.zeros((2,))\nt3 = lib.exp(x1, out=o2)"),
    Entry("E1", "dtype-dispatch errors are RuntimeError (torch NotImplementedError) and name "
          "the wrong dtype",
          cat("exc_type:NotImplementedError"),
          "x1 = lib.tensor([1.5])\nt2 = x1 & 1"),
    Entry("S4", "unbind (and iteration) return copies, not views: later in-place writes to "
          "the base are not seen, and torch's view errors are not raised",
          all_(cat("end_"), code(r"unbind\(")),
          "x1 = lib.tensor([1.0, 2.0])\nt2 = x1.unbind(0)\nt3 = x1.mul_(2)"),
    Entry("F3", "a view made under no_grad / inference_mode / set_grad_enabled(False) of a "
          "tensor requiring grad: torch keeps requires_grad=True (a leaf), ember False",
          all_(cat("requires_grad"), code(GRAD_MODE)),
          "x1 = lib.tensor([1.0, 2.0], requires_grad=True)\n"
          "with lib.no_grad(): t2 = x1[0:1]"),
    Entry("F4", "in-place ops whose output overlaps an input in memory (x.mul_(x[0]) with "
          "x[0] a view of x, writes into expanded tensors) run in ember; torch refuses them",
          all_(cat("no_raise"), detail("single memory location")),
          "x1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]])\nt2 = x1.mul_(x1[0])"),
    Entry("C14", "inference tensors: in-place updates outside inference mode and saving "
          "them for backward are allowed in ember (torch raises)",
          all_(cat("no_raise", "raise"), code(r"inference_mode")),
          "with lib.inference_mode(): x1 = lib.ones(2)\nt2 = x1.add_(1)"),
]


def classify(finding: Any) -> str:
    """The id of the first entry matching ``finding``, or ``UNEXPLAINED``."""
    for entry in DELIBERATE + KNOWN_UNFIXED:
        try:
            if entry.match(finding):
                return entry.id
        except Exception:  # noqa: BLE001 - a predicate that cannot read the finding: no match
            continue
    return "UNEXPLAINED"
