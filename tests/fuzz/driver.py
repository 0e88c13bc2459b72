"""Runs seeds: generate, compare, shrink, classify against the allow-list.

Programs run in a worker process. torch 2.13 itself can crash (a segfault registering a hook on
a view whose base was written in place, and use-after-free crashes that depend on what ran
before), so a crash must cost one program, not the test session: the worker is restarted, the
seed rerun once in a fresh worker, and a crash that repeats is reported as torch's.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from .observe import Diff, differences
from .program import Program


@dataclass
class Finding:
    """One program's difference, shrunk: what the allow-list matches and a fixer reads."""

    seed: int
    kind: tuple[str, str]
    program: Program
    diffs: list[Diff]
    original_size: int

    @property
    def category(self) -> str:
        return self.kind[0]

    @property
    def op(self) -> str:
        return self.kind[1]

    @property
    def code(self) -> str:
        return self.program.code()

    def report(self) -> str:
        first = self.diffs[0] if self.diffs else None
        lines = [f"difference {self.category} in {self.op} (seed {self.seed}, "
                 f"{self.original_size} statements shrunk to {len(self.program.stmts)}):",
                 "", "import torch as lib   # or: import ember as lib", self.code, ""]
        if first is not None:
            lines.append(str(first))
        return "\n".join(lines)


@dataclass
class Result:
    seed: int
    statements: int = 0
    finding: Finding | None = None
    info: list[Diff] = field(default_factory=list)
    crash: str | None = None
    seconds: float = 0.0
    cpu: float = 0.0


def check(seed: int, shrink_kinds: set | None = None, max_shrink: int = 400,
          announce: Any = None) -> Result:
    """Generates the program of ``seed``, runs it in both libraries, and shrinks its first
    difference unless that kind is in ``shrink_kinds`` already (then the finding keeps the
    unshrunk program)."""
    import torch

    import ember

    from .generate import generate
    from .shrink import shrink

    start, cpu = time.perf_counter(), time.process_time()
    program = generate(seed)
    if announce is not None:
        announce(program)
    diffs, info = differences(program, torch, ember)
    result = Result(seed, len(program.stmts), info=info)
    if diffs:
        kind = diffs[0].kind
        small = program
        if shrink_kinds is None or kind not in shrink_kinds:
            small = shrink(program, kind, torch, ember, max_runs=max_shrink,
                           heartbeat=(lambda: announce("alive")) if announce else None)
        small_diffs = [d for d in differences(small, torch, ember)[0] if d.kind == kind]
        result.finding = Finding(seed, kind, small, small_diffs or diffs,
                                 len(program.stmts))
    result.seconds = time.perf_counter() - start
    result.cpu = time.process_time() - cpu
    return result


def _serve(conn: Any, progress: Any) -> None:
    import warnings

    import torch  # noqa: F401 - imported before "ready", so startup is not timed as a program

    import ember  # noqa: F401

    from . import generate, observe  # noqa: F401

    warnings.simplefilter("ignore")
    observe.PROGRESS = progress
    conn.send("ready")
    while True:
        msg = conn.recv()
        if msg is None:
            return
        seed, shrink_kinds, max_shrink = msg
        progress.value = 0
        try:
            conn.send(check(seed, shrink_kinds, max_shrink, announce=conn.send))
        except Exception:  # noqa: BLE001 - a fuzzer bug is reported, not fatal
            conn.send(Result(seed, crash="fuzzer error:\n" + traceback.format_exc()))


class Worker:
    """A process running ``check``; restarted when torch crashes it. When it dies or hangs,
    the shared ``progress`` says in which library and at which statement: ember hanging (NumPy's
    SVD loops forever on non-finite input) is a finding; torch crashing is torch's."""

    def __init__(self, recycle: int = 400, timeout: float = 20.0,
                 startup: float = 600.0) -> None:
        self.timeout = timeout
        self.startup = startup
        self.ctx = mp.get_context("spawn")
        self.proc: Any = None
        self.conn: Any = None
        self.recycle = recycle
        self.served = 0

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.progress = self.ctx.Value("i", 0, lock=False)
        self.proc = self.ctx.Process(target=_serve, args=(child, self.progress), daemon=True)
        self.proc.start()
        self.conn = parent
        self.served = 0
        # importing torch can take long on a busy machine: wait for it apart from programs
        if not (parent.poll(self.startup) and parent.recv() == "ready"):
            raise RuntimeError(f"the fuzz worker did not start in {self.startup:.0f} s")

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            self.proc.join(timeout=5)
            if self.proc.is_alive():
                self.proc.kill()
            self.proc = None

    def run(self, seed: int, shrink_kinds: set, max_shrink: int = 400) -> Result:
        for attempt in range(2):
            if self.proc is None or self.served >= self.recycle:
                self.stop()
                self.start()
            self.served += 1
            program = None
            try:
                self.conn.send((seed, shrink_kinds, max_shrink))
                while self.conn.poll(self.timeout):
                    msg = self.conn.recv()
                    if isinstance(msg, Result):
                        return msg
                    if isinstance(msg, Program):
                        program = msg
                reason = f"no answer in {self.timeout:.0f} s"
            except (EOFError, OSError, BrokenPipeError):
                reason = f"worker died (exit code {self.proc.exitcode})"
            where = self.progress.value
            self.proc.kill()
            self.proc = None
            if where // 100_000 == 2 and program is not None:  # ember was running
                return _ember_stuck(seed, program, where % 100_000, reason)
            if attempt == 1:
                return Result(seed, crash=f"{reason} twice, in torch: torch crashed")
        raise AssertionError("unreachable")


def _ember_stuck(seed: int, program: Program, index: int, reason: str) -> Result:
    """ember hung or died at statement ``index``: a finding of kind ('timeout', op)."""
    index = min(index, len(program.stmts) - 1)
    stmt = program.stmts[index]
    small = Program(program.stmts[:index + 1], seed)
    diff = Diff("timeout", stmt.op, index, f"line {index + 1}", "returns",
                f"ember {reason} at this line")
    return Result(seed, len(program.stmts),
                  finding=Finding(seed, diff.kind, small, [diff], len(program.stmts)))


def run_seeds(seeds: Any, on_result: Any = None, deadline: float | None = None,
              per_kind: int = 1, max_shrink: int = 400) -> list[Result]:
    """Checks ``seeds`` in a worker; shrinks the first ``per_kind`` programs of each kind."""
    worker = Worker()
    results = []
    counts: dict = {}
    try:
        for seed in seeds:
            if deadline is not None and time.monotonic() > deadline:
                break
            done = {k for k, n in counts.items() if n >= per_kind}
            r = worker.run(seed, done, max_shrink)
            if r.finding is not None:
                counts[r.finding.kind] = counts.get(r.finding.kind, 0) + 1
            results.append(r)
            if on_result is not None:
                on_result(r)
    finally:
        worker.stop()
    return results
