"""Shrinking a failing program to a minimal one that still shows the same kind of difference
(delta debugging over statements, then simpler spellings of what is left)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .observe import Diff, differences
from .program import Program, Stmt


def keeps_kind(kind: tuple[str, str], torch_lib: Any, ember_lib: Any) -> Callable:
    def test(program: Program) -> bool:
        diffs, _ = differences(program, torch_lib, ember_lib)
        return any(d.kind == kind for d in diffs)

    return test


def shrink(program: Program, kind: tuple[str, str], torch_lib: Any, ember_lib: Any,
           max_runs: int = 400, heartbeat: Callable | None = None) -> Program:
    """The smallest program found (within ``max_runs`` trials) showing a difference of
    ``kind``. ``heartbeat`` is called before each trial (the driver's worker says it is
    alive, so a hang is told from a long shrink)."""
    test = keeps_kind(kind, torch_lib, ember_lib)
    runs = [0]

    def ok(stmts: list[Stmt]) -> bool:
        if runs[0] >= max_runs:
            return False
        runs[0] += 1
        if heartbeat is not None:
            heartbeat()
        return test(Program(stmts, program.seed))

    stmts = ddmin(list(program.stmts), ok)
    shorter = bypass(stmts, ok)
    if shorter is not stmts:
        stmts = ddmin(shorter, ok)
    stmts = simplify(stmts, ok)
    return Program(stmts, program.seed)


REF = re.compile(r"\b[a-z]\d+(?:\[\d+\])?")
ASSIGNED = re.compile(r"^([a-z]\d+) = (.*)$")


def bypass(stmts: list[Stmt], ok: Callable[[list[Stmt]], bool]) -> list[Stmt]:
    """Shortens chains: ``tK = f(tJ)`` becomes ``tK = tJ`` where the difference survives, so
    the ops between a leaf and the op at fault drop out (ddmin then removes dead lines)."""
    for i in range(len(stmts) - 1, -1, -1):
        m = ASSIGNED.match(stmts[i].code)
        if not m or stmts[i].phase != "forward":
            continue
        for ref in dict.fromkeys(REF.findall(m.group(2))):
            s = stmts[i]
            alias = Stmt(f"{m.group(1)} = {ref}", "alias", s.targets, phase=s.phase)
            candidate = stmts[:i] + [alias] + stmts[i + 1:]
            if ok(candidate):
                stmts = candidate
                break
    return stmts


def ddmin(stmts: list[Stmt], ok: Callable[[list[Stmt]], bool]) -> list[Stmt]:
    """Zeller's delta debugging over the statement list (complements only)."""
    n = 2
    while len(stmts) >= 2:
        size = -(-len(stmts) // n)
        for start in range(0, len(stmts), size):
            candidate = stmts[:start] + stmts[start + size:]
            if candidate and ok(candidate):
                stmts = candidate
                n = max(n - 1, 2)
                break
        else:
            if n >= len(stmts):
                break
            n = min(len(stmts), 2 * n)
    return stmts


WITH = re.compile(r"^with lib\.[a-z_]+\([^)]*\): ")


def simplify(stmts: list[Stmt], ok: Callable[[list[Stmt]], bool]) -> list[Stmt]:
    """Drops grad-mode wrappers and terms of sums where the difference survives."""
    for i in range(len(stmts)):
        s = stmts[i]
        if WITH.match(s.code):
            candidate = _replace(stmts, i, WITH.sub("", s.code))
            if ok(candidate):
                stmts = candidate
        s = stmts[i]
        if " + " in s.code and s.op == "loss":
            head, _, expr = s.code.partition(" = ")
            terms = expr.split(" + ")
            j = 0
            while len(terms) > 1 and j < len(terms):
                fewer = terms[:j] + terms[j + 1:]
                candidate = _replace(stmts, i, f"{head} = {' + '.join(fewer)}")
                if ok(candidate):
                    stmts, terms = candidate, fewer
                else:
                    j += 1
    return stmts


def _replace(stmts: list[Stmt], i: int, code: str) -> list[Stmt]:
    s = stmts[i]
    return stmts[:i] + [Stmt(code, s.op, s.targets, s.view, s.phase, s.source)] + stmts[i + 1:]


def primary(diffs: list[Diff]) -> Diff:
    """The difference a program is filed under: the first in program order."""
    return diffs[0]
