"""Work the fuzz tests hand to a separate process, so torch never runs in the test process:
torch's once-per-process warnings (``v.T`` on a 1-D tensor, ...) would otherwise be spent
before the tests that expect them, and torch can crash."""

from __future__ import annotations

from typing import Any

from .driver import Finding


def repro_findings(code: str) -> list[Finding]:
    """The differences a pasted repro shows, one Finding per difference."""
    import torch

    import ember

    from .observe import differences
    from .repro import parse

    program = parse(code)
    diffs, _ = differences(program, torch, ember)
    return [Finding(-1, d.kind, program, [d], len(program.stmts)) for d in diffs]


def planted_exp_bug(max_seeds: int = 2000) -> dict[str, Any]:
    """Plants a wrong exp gradient (twice the right one) in ember, fuzzes until a difference
    appears that the plant causes, shrinks it, and reports the shrunk program and whether it
    agrees with torch once the plant is removed."""
    import torch

    import ember
    from ember.ops._op import REGISTRY

    from .generate import generate
    from .observe import differences
    from .shrink import shrink

    exp = REGISTRY["ExpBackward0"]
    original = exp.backward
    planted = [True]

    def wrong(ctx: Any, grad: Any) -> Any:
        return original(ctx, grad) * (2 if planted[0] else 1)

    def kinds(program: Any) -> set:
        return {d.kind for d in differences(program, torch, ember)[0]}

    exp.backward = staticmethod(wrong)
    tried = 0
    try:
        for seed in range(max_seeds):
            program = generate(seed)
            if not any(".exp(" in s.code or "lib.exp(" in s.code for s in program.stmts):
                continue
            tried += 1
            with_bug = kinds(program)
            planted[0] = False
            new = sorted(with_bug - kinds(program))
            planted[0] = True
            if new:
                small = shrink(program, new[0], torch, ember)
                planted[0] = False
                clean = new[0] not in kinds(small)
                return {"found": True, "seed": seed, "tried": tried, "code": small.code(),
                        "lines": len(small.stmts), "clean_without_bug": clean}
    finally:
        exp.backward = staticmethod(original)
    return {"found": False, "tried": tried}
