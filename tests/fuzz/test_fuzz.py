"""The differential fuzzer in the suite: random programs from the op table run in torch and in
ember, compared on everything a user observes. Green only when every difference found is in
the allow-list (``allowlist.py``), and every KNOWN_UNFIXED entry still reproduces.

The budget is a fixed range of seeds (``FUZZ_PROGRAMS``, about 2 minutes on a quiet 2-core
machine); ``python tests/fuzz/run.py --seconds N --seed S`` runs new seeds for longer.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from typing import Any

import pytest

from tests.conftest import requires_torch

from .allowlist import DELIBERATE, KNOWN_UNFIXED, classify
from .driver import run_seeds

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


@pytest.fixture(scope="module")
def isolated() -> Any:
    """One spawned process for the tests below (see isolated.py for why)."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        yield pool


@requires_torch
@pytest.mark.parametrize("entry", [e for e in DELIBERATE + KNOWN_UNFIXED if e.repro],
                         ids=lambda e: e.id)
def test_allow_list_entry_still_reproduces(entry: Any, isolated: Any) -> None:
    """A fixed difference leaves the list: its repro must still differ, and as the entry says."""
    from .isolated import repro_findings

    findings = isolated.apply_async(repro_findings, (entry.repro,)).get(timeout=600)
    assert findings, (f"{entry.id} no longer reproduces (ember now matches torch): remove it "
                      "from tests/fuzz/allowlist.py")
    assert any(entry.match(f) for f in findings), (
        f"{entry.id}'s repro now differs otherwise: {[str(f.diffs[0]) for f in findings]}")


@requires_torch
def test_fuzzer_finds_and_shrinks_a_planted_bug(isolated: Any) -> None:
    """The fuzzer can fail: a wrong exp gradient planted in ember is found among the first
    programs that call exp, shrunk to a few lines, and the shrunk program agrees with torch
    once the plant is removed."""
    from .isolated import planted_exp_bug

    got = isolated.apply_async(planted_exp_bug).get(timeout=900)
    assert got["found"], f"the planted exp gradient bug was not found in {got['tried']} programs"
    assert got["lines"] <= 6, got["code"]
    assert "exp(" in got["code"], got["code"]
    assert got["clean_without_bug"], got["code"]
