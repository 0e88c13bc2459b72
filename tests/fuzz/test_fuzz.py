"""The differential fuzzer in the suite: random programs from the op table run in torch and in
ember, compared on everything a user observes. Green only when every difference found is in
the allow-list (``allowlist.py``), and every KNOWN_UNFIXED entry still reproduces.

The budget is a fixed range of seeds (``FUZZ_PROGRAMS``, about 2 minutes on a quiet 2-core
machine); ``python tests/fuzz/run.py --seconds N --seed S`` runs new seeds for longer.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.conftest import requires_torch

from .allowlist import DELIBERATE, KNOWN_UNFIXED, classify
from .driver import Finding, run_seeds

PROGRAMS = int(os.environ.get("FUZZ_PROGRAMS", "2500"))


@requires_torch
def test_every_public_op_is_drawn_or_excluded() -> None:
    from .spec import unlisted

    missing = unlisted()
    assert not missing, (f"public ops the fuzzer neither draws nor excludes: {missing}; add "
                         "each to tests/fuzz/spec.py SPEC (its kind) or EXCLUDED (why)")


@requires_torch
def test_random_programs_match_torch() -> None:
    results = run_seeds(range(PROGRAMS), per_kind=1, max_shrink=250)
    errors = [r for r in results if r.crash and r.crash.startswith("fuzzer error")]
    assert not errors, errors[0].crash
    unexplained: dict = {}
    for r in results:
        if r.finding is not None and classify(r.finding) == "UNEXPLAINED":
            unexplained.setdefault(r.finding.kind, r.finding)
    assert len(results) == PROGRAMS
    assert not unexplained, (
        f"{len(unexplained)} kinds of difference from torch outside the allow-list "
        "(tests/fuzz/allowlist.py); each shrunk:\n\n"
        + "\n\n".join(f.report() for f in unexplained.values()))


def _finding(entry_repro: str) -> list[Finding]:
    import torch

    import ember

    from .observe import differences
    from .repro import parse

    program = parse(entry_repro)
    diffs, _ = differences(program, torch, ember)
    return [Finding(-1, d.kind, program, [d], len(program.stmts)) for d in diffs]


@requires_torch
@pytest.mark.parametrize("entry", [e for e in DELIBERATE + KNOWN_UNFIXED if e.repro],
                         ids=lambda e: e.id)
def test_allow_list_entry_still_reproduces(entry) -> None:
    """A fixed difference leaves the list: its repro must still differ, and as the entry says."""
    findings = _finding(entry.repro)
    assert findings, (f"{entry.id} no longer reproduces (ember now matches torch): remove it "
                      "from tests/fuzz/allowlist.py")
    assert any(entry.match(f) for f in findings), (
        f"{entry.id}'s repro now differs otherwise: {[str(f.diffs[0]) for f in findings]}")


def test_fuzzer_finds_and_shrinks_a_planted_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzzer can fail: a wrong gradient planted in ember's exp is found among the first
    seeds that use exp and shrunk to a few lines."""
    torch = pytest.importorskip("torch")
    import ember
    from ember.ops._op import REGISTRY

    from .generate import generate
    from .observe import differences
    from .shrink import shrink

    exp = REGISTRY["ExpBackward0"]
    original = exp.backward

    planted = [True]

    def wrong(ctx, grad):  # noqa: ANN001, ANN202 - the planted bug: d exp = 2 exp
        return original(ctx, grad) * (2 if planted[0] else 1)

    def kinds(program: Any) -> set:
        return {d.kind for d in differences(program, torch, ember)[0]}

    monkeypatch.setattr(exp, "backward", staticmethod(wrong))
    tried = 0
    for seed in range(2000):
        program = generate(seed)
        if not any(".exp(" in s.code or "lib.exp(" in s.code for s in program.stmts):
            continue
        tried += 1
        with_bug = kinds(program)
        planted[0] = False
        new = with_bug - kinds(program)
        planted[0] = True
        if new:
            small = shrink(program, sorted(new)[0], torch, ember)
            assert len(small.stmts) <= 6, small.code()
            assert "exp(" in small.code(), small.code()
            planted[0] = False
            assert sorted(new)[0] not in kinds(small), "the shrunk program differs without the bug"
            return
    pytest.fail(f"the planted exp gradient bug was not found in {tried} programs using exp")
