"""Runs a program in one library, records everything a user can observe, and compares two such
records: exceptions (type; the message only as information), and for every tensor its values
(tolerance by dtype, NaN equal to NaN), dtype, shape, strides of documented views,
``requires_grad``, ``is_leaf``, ``grad_fn`` name, and ``.grad``.

Observations are taken right after each statement (its targets, so a difference is pinned to
the statement that made it) and once more at the end (every variable, so aliasing mistakes show:
a view that misses a later in-place write) together with every tensor's ``.grad``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .program import Outcome, Program, Timeout, exc_name, quiet, run_stmt, time_limit

VAR = re.compile(r"^[a-z]\d+$")
PROGRAM_SECONDS = 20.0


@dataclass(frozen=True)
class TensorObs:
    dtype: str
    shape: tuple
    values: np.ndarray
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    strides: tuple


@dataclass
class Trace:
    """One library's run of a program."""

    outcomes: list[Outcome] = field(default_factory=list)
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, Any] = field(default_factory=dict)
    grads: dict[str, Any] = field(default_factory=dict)


def is_tensor(v: Any) -> bool:
    return type(v).__name__ in ("Tensor", "Parameter")


def _read(fn: Any) -> Any:
    """An attribute as the user reads it; reading may raise (torch refuses some views made
    in inference mode), which is an observation too."""
    try:
        return fn()
    except Exception as err:  # noqa: BLE001
        return f"<raises {exc_name(err)}>"


def _grad_fn_name(v: Any) -> Any:
    fn = v.grad_fn
    return None if fn is None else fn.name()


def observe(v: Any) -> Any:
    """A copy of what a user sees of ``v`` (a tensor, a sequence of them, a number)."""
    if is_tensor(v):
        # torch marks a tensor's storage unresizable once .numpy() has seen it (an out= tensor
        # could then no longer grow): read a clone
        values = _read(lambda: np.array(v.detach().clone().numpy(), copy=True))
        if isinstance(values, str):
            values = np.array(values)
        return TensorObs(str(_read(lambda: v.dtype)).split(".")[-1], tuple(v.shape), values,
                         _read(lambda: bool(v.requires_grad)), _read(lambda: bool(v.is_leaf)),
                         _read(lambda: _grad_fn_name(v)), tuple(v.stride()))
    if isinstance(v, (tuple, list)):
        return ("seq", type(v).__name__, tuple(observe(x) for x in v))
    if isinstance(v, (bool, int, float, complex)) or v is None:
        return ("scalar", type(v).__name__, v)
    return ("other", type(v).__name__)


SOURCE = "<source strides>"
# set by the driver's worker: which library runs which statement, read when a worker hangs
PROGRESS: Any = None
LIBRARY_CODES = {"torch": 1, "ember": 2}


def _strides(ref: str, ns: dict) -> Any:
    try:
        return tuple(eval(ref, ns).stride())  # noqa: S307 - a variable or [i] subscript
    except Exception:  # noqa: BLE001
        return None


def run(program: Program, lib: Any) -> Trace:
    """Runs ``program`` with ``lib`` bound to torch or ember."""
    ns: dict[str, Any] = {"lib": lib}
    trace = Trace()
    w = quiet()
    try:
        with time_limit(PROGRAM_SECONDS):
            code = LIBRARY_CODES.get(lib.__name__, 0) * 100_000
            for i, stmt in enumerate(program.stmts):
                if PROGRESS is not None:
                    PROGRESS.value = code + i
                outcome = run_stmt(stmt, ns)
                trace.outcomes.append(outcome)
                snap = {t: observe(ns[t]) for t in stmt.targets if t in ns} if (
                    outcome.exc is None) else {}
                if stmt.source and outcome.exc is None:
                    snap[SOURCE] = _strides(stmt.source, ns)
                trace.snapshots.append(snap)
            for name, v in ns.items():
                if VAR.match(name):
                    trace.final[name] = observe(v)
                    if is_tensor(v):
                        trace.grads[name] = observe(_read(lambda v=v: v.grad))
    except Timeout:
        trace.outcomes.append(Outcome(("Timeout", "the program ran too long")))
    finally:
        w.__exit__(None, None, None)
        lib.set_grad_enabled(True)
        state = getattr(getattr(lib.autograd, "grad_mode", None), "state", None)
        if state is not None:  # ember's inference flag, should a program leave it set
            state.inference = False
    return trace


# ---------------------------------------------------------------------------------------------
# Comparison

TOLERANCE = {"float16": (1e-2, 1e-3), "bfloat16": (5e-2, 1e-2), "float32": (1e-4, 1e-5),
             "float64": (1e-7, 1e-10)}


@dataclass(frozen=True)
class Diff:
    """One difference. ``category`` says what differs (value, dtype, raise, ...); ``op`` is the
    spelling of the statement it is attributed to; ``stmt`` that statement's index (the
    program's length for the end state)."""

    category: str
    op: str
    stmt: int
    where: str
    torch: str
    ember: str

    @property
    def kind(self) -> tuple[str, str]:
        return (self.category, self.op)

    def __str__(self) -> str:
        return (f"{self.category} at {self.where} ({self.op})\n  torch: {self.torch}\n"
                f"  ember: {self.ember}")


def values_match(a: np.ndarray, b: np.ndarray, dtype: str, loosest: str = "float64") -> bool:
    """``a`` (ember's) against ``b`` (torch's), both of ``dtype``: exact for integers and bools,
    else NaN where NaN, the same infinities, and close finite values (tolerance relative to each
    value and to the tensor's scale, so cancellation in a long float chain is not flagged)."""
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "US" or b.dtype.kind in "US":
        return bool(np.array_equal(a, b))
    if dtype not in TOLERANCE:
        return bool(np.array_equal(a, b))
    rtol, atol = TOLERANCE[dtype]
    if loosest in TOLERANCE:  # a float32 value promoted to float64 keeps float32's rounding
        rtol, atol = max(rtol, TOLERANCE[loosest][0]), max(atol, TOLERANCE[loosest][1])
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not np.array_equal(np.isnan(a64), np.isnan(b64)):
        return False
    inf_a, inf_b = np.isinf(a64), np.isinf(b64)
    if not np.array_equal(inf_a, inf_b) or not np.array_equal(a64[inf_a], b64[inf_b]):
        return False
    finite = np.isfinite(b64)
    if not finite.any():
        return True
    scale = max(1.0, float(np.abs(b64[finite]).max()))
    return bool(np.all(np.abs(a64[finite] - b64[finite])
                       <= atol * scale + rtol * np.abs(b64[finite])))


def show(obs: Any) -> str:
    if isinstance(obs, TensorObs):
        vals = np.array2string(obs.values, precision=6, threshold=40, separator=", ")
        return (f"tensor({vals}, dtype={obs.dtype}, shape={list(obs.shape)}, "
                f"requires_grad={obs.requires_grad}, is_leaf={obs.is_leaf}, "
                f"grad_fn={obs.grad_fn}, stride={obs.strides})")
    if isinstance(obs, tuple) and obs and obs[0] == "seq":
        return f"{obs[1]}(" + ", ".join(show(o) for o in obs[2]) + ")"
    if isinstance(obs, tuple) and obs and obs[0] == "scalar":
        return repr(obs[2])
    return repr(obs)


def _strides_differ(t: TensorObs, e: TensorObs) -> bool:
    """Strides of a view, where they mean something: a dim of size 1 can have any stride, and
    an empty tensor has no elements to lay out."""
    if 0 in t.shape:
        return False
    return any(a != b for a, b, n in zip(t.strides, e.strides, t.shape) if n != 1)


def compare_obs(t: Any, e: Any, strides: bool = False,
                loosest: str = "float64") -> list[tuple[str, str, str]]:
    """What differs between torch's observation ``t`` and ember's ``e``: (category, torch's
    side, ember's side) for each attribute. Float values are compared with the tolerance of
    their dtype or of ``loosest``, the least precise float dtype in the program, whichever is
    looser."""
    if isinstance(t, TensorObs) and isinstance(e, TensorObs):
        out = []
        if t.shape != e.shape:
            out.append(("shape", str(list(t.shape)), str(list(e.shape))))
        elif t.dtype != e.dtype:
            out.append(("dtype", t.dtype, e.dtype))
        elif not values_match(e.values, t.values, t.dtype, loosest):
            out.append((f"value({t.dtype})", show(t), show(e)))
        elif strides and _strides_differ(t, e):
            out.append(("stride", str(t.strides), str(e.strides)))
        if t.requires_grad != e.requires_grad:
            out.append(("requires_grad", show(t), show(e)))
        elif t.is_leaf != e.is_leaf:
            out.append(("is_leaf", show(t), show(e)))
        elif t.grad_fn != e.grad_fn:
            out.append(("grad_fn", str(t.grad_fn), str(e.grad_fn)))
        return out
    if isinstance(t, tuple) and isinstance(e, tuple) and t[:1] == e[:1] == ("seq",):
        if len(t[2]) != len(e[2]):
            return [("structure", show(t), show(e))]
        return [d for a, b in zip(t[2], e[2]) for d in compare_obs(a, b, strides, loosest)]
    if isinstance(t, tuple) and isinstance(e, tuple) and t[:2] == e[:2] == ("scalar", "float"):
        if values_match(np.array(e[2]), np.array(t[2]), "float64", loosest):
            return []
        return [("value", show(t), show(e))]
    if isinstance(t, TensorObs) or isinstance(e, TensorObs) or t != e:
        return [("structure", show(t), show(e))]
    return []


def compare(program: Program, tt: Trace, et: Trace) -> tuple[list[Diff], list[Diff]]:
    """The differences between torch's run ``tt`` and ember's ``et`` of ``program``, in program
    order, and the informational ones (same exception type, other message)."""
    diffs: list[Diff] = []
    info: list[Diff] = []
    stmts = program.stmts
    loosest = loosest_float(program)
    creator = {}
    reported: set[tuple[str, str]] = set()
    for i, stmt in enumerate(stmts):
        for t in stmt.targets:
            creator.setdefault(t, stmt.op)
        if i >= len(tt.outcomes) or i >= len(et.outcomes):
            if len(tt.outcomes) != len(et.outcomes):
                tx, ex = tt.outcomes[-1].exc, et.outcomes[-1].exc
                diffs.append(Diff("timeout", stmt.op, i, f"line {i + 1}", str(tx), str(ex)))
            break
        to, eo = tt.outcomes[i], et.outcomes[i]
        where = f"line {i + 1}"
        if to.exc and not eo.exc:
            diffs.append(Diff("no_raise", stmt.op, i, where, f"{to.exc[0]}: {to.exc[1]}",
                              "no exception"))
        elif eo.exc and not to.exc:
            diffs.append(Diff(f"raise:{eo.exc[0]}", stmt.op, i, where, "no exception",
                              f"{eo.exc[0]}: {eo.exc[1]}"))
        elif to.exc and eo.exc:
            if to.exc[0] != eo.exc[0]:
                diffs.append(Diff(f"exc_type:{to.exc[0]}->{eo.exc[0]}", stmt.op, i, where,
                                  f"{to.exc[0]}: {to.exc[1]}", f"{eo.exc[0]}: {eo.exc[1]}"))
            elif _message(to.exc[1]) != _message(eo.exc[1]):
                info.append(Diff("message", stmt.op, i, where, to.exc[1], eo.exc[1]))
        else:
            ts, es = tt.snapshots[i], et.snapshots[i]
            strides = stmt.view and ts.get(SOURCE) is not None and ts.get(SOURCE) == es.get(
                SOURCE)
            for name in stmt.targets:
                if name in ts and name in es:
                    for cat, a, b in compare_obs(ts[name], es[name], strides, loosest):
                        diffs.append(Diff(cat, stmt.op, i, f"{name} after line {i + 1}", a, b))
                        reported.add((name, cat))
    end = len(stmts)
    for name in sorted(set(tt.final) | set(et.final)):
        t, e = tt.final.get(name), et.final.get(name)
        op = creator.get(name, "?")
        if t is None or e is None:
            if not diffs:
                diffs.append(Diff("end_missing", op, end, name, show(t), show(e)))
            continue
        for cat, a, b in compare_obs(t, e, loosest=loosest):
            if (name, cat) not in reported:
                diffs.append(Diff(f"end_{cat}", op, end, f"{name} at the end", a, b))
        if name in tt.grads and name in et.grads:
            for cat, a, b in compare_obs(tt.grads[name], et.grads[name], loosest=loosest):
                diffs.append(Diff(f"grad_{cat}", op, end, f"{name}.grad", a, b))
    return diffs, info


def loosest_float(program: Program) -> str:
    """The least precise float dtype a program uses (float32 also where a value defaults to
    it: integer inputs of float functions)."""
    code = program.code()
    if "float16" in code:
        return "float16"
    if "float32" in code or "int" in code or "bool" in code or "dtype=" not in code:
        return "float32"
    return "float64"


def _message(text: str) -> str:
    return text.replace("torch.", "ember.").replace("torch", "ember").strip()


def differences(program: Program, torch_lib: Any, ember_lib: Any) -> tuple[list[Diff],
                                                                           list[Diff]]:
    return compare(program, run(program, torch_lib), run(program, ember_lib))
