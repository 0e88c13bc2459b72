"""A fuzz program: a flat list of one-line Python statements that run unchanged under torch and
under ember (``lib`` is the library), so a program is its own repro.

Each statement records what it is (its op spelling, for attributing a difference) and which
variables it writes (observed right after it runs). Statements are compiled once and cached:
the shrinker reruns the same lines many times.
"""

from __future__ import annotations

import signal
import warnings
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Stmt:
    """One line of a program.

    Attributes:
        code: the Python line, with ``lib.`` standing for torch or ember.
        op: the spelling it exercises (``Tensor.add_``, ``lib.add(out=)``, ``op:+=``), used to
            attribute a difference and to match the allow-list.
        targets: variables the line writes (a new result, or an in-place receiver).
        view: the result is documented as a view of its input, so its strides are compared.
        phase: ``leaf`` (input creation), ``forward`` or ``backward``.
        source: for a view, the tensor it views: its strides are compared only where the
            source's strides agree (other ops' strides are not documented).
    """

    code: str
    op: str
    targets: tuple[str, ...] = ()
    view: bool = False
    phase: str = "forward"
    source: str = ""


@dataclass
class Program:
    stmts: list[Stmt] = field(default_factory=list)
    seed: int | None = None

    def code(self) -> str:
        return "\n".join(s.code for s in self.stmts)

    def ops(self) -> list[str]:
        return [s.op for s in self.stmts]

    def without(self, drop: set[int]) -> Program:
        return Program([s for i, s in enumerate(self.stmts) if i not in drop], self.seed)

    def script(self, lib: str = "torch") -> str:
        """The program as a standalone script for one library (``lib`` is torch or ember)."""
        return f"import {lib} as lib\n" + self.code()


_COMPILED: dict[str, Any] = {}


def compiled(code: str) -> Any:
    c = _COMPILED.get(code)
    if c is None:
        if len(_COMPILED) > 50_000:
            _COMPILED.clear()
        c = _COMPILED[code] = compile(code, "<fuzz>", "exec")
    return c


class Timeout(Exception):
    """A statement ran longer than the program's time limit (a hang is a difference too)."""


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout("statement timed out")


@dataclass
class Outcome:
    """What one statement did: the exception it raised (type name, message) or None."""

    exc: tuple[str, str] | None


def run_stmt(stmt: Stmt, ns: dict) -> Outcome:
    try:
        exec(compiled(stmt.code), ns)  # noqa: S102 - the program is generated here
    except Timeout:
        raise
    except BaseException as err:  # noqa: BLE001 - every exception is an observation
        if isinstance(err, KeyboardInterrupt):
            raise
        return Outcome((exc_name(err), str(err)[:300]))
    return Outcome(None)


def exc_name(err: BaseException) -> str:
    """The exception's type as a user catches it. LinAlgError is a RuntimeError subclass in
    both libraries (torch names it ``_LinAlgError`` internally)."""
    name = type(err).__name__
    return "LinAlgError" if name in ("_LinAlgError", "LinAlgError") else name


class time_limit:
    """Raises Timeout in the main thread after ``seconds`` (no-op off the main thread)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = False

    def __enter__(self) -> None:
        try:
            self.old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.active = True
        except ValueError:  # not the main thread
            pass

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)


def quiet() -> warnings.catch_warnings:
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore")
    return w
