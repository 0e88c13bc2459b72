"""Random programs, reproducible from a seed.

The generator runs each statement in torch as it writes it, so every next op is drawn knowing
the shapes, dtypes and grad flags of the values so far (torch is the oracle for metadata too).
Most statements are valid; some raise in torch on purpose (a dim out of range, an in-place op
on a leaf, a cast an in-place op cannot do): ember must then raise the same exception type.
"""

from __future__ import annotations

import random
import re
from typing import Any

import torch

from .program import Program, Stmt, quiet, run_stmt, time_limit

DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"]
DTYPE_WEIGHTS = [30, 14, 6, 10, 4, 4, 4]
FLOATS = ("float32", "float64", "float16")
MAX_NUMEL = 24


def fmt(x: Any) -> str:
    """A Python literal for a number (floats keep their exact value)."""
    if isinstance(x, bool):
        return repr(x)
    if isinstance(x, float):
        if x != x:
            return "float('nan')"
        if x in (float("inf"), float("-inf")):
            return "float('inf')" if x > 0 else "-float('inf')"
        return repr(x)
    return repr(x)


def nested(values: list, shape: tuple) -> str:
    if not shape:
        return fmt(values[0])
    step = len(values) // shape[0]
    return "[" + ", ".join(nested(values[i * step:(i + 1) * step], shape[1:])
                           for i in range(shape[0])) + "]"


class Gen:
    """State of one program being generated: the rng, torch's namespace, the tensors usable as
    inputs (``pool``), and the statements so far."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.ns: dict[str, Any] = {"lib": torch}
        self.pool: list[str] = []
        self.stmts: list[Stmt] = []
        self.vals: dict[str, Any] = {}
        self.counter = 0
        self.errors = 0

    # --- values ------------------------------------------------------------------------------
    def val(self, ref: str) -> Any:
        v = self.vals.get(ref)
        if v is None:
            v = self.vals[ref] = eval(ref, self.ns)  # noqa: S307 - names and [i] subscripts
        return v

    def new(self, prefix: str = "t") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def choice(self, items: Any) -> Any:
        return self.rng.choice(list(items))

    def pick(self, pred: Any = None, prefer_grad: bool = False) -> str | None:
        """A usable tensor (ref) whose torch value satisfies ``pred``."""
        refs = [r for r in self.pool if pred is None or _holds(pred, self.val(r))]
        if not refs:
            return None
        if prefer_grad:
            grads = [r for r in refs if self.val(r).requires_grad]
            if grads and self.chance(0.7):
                refs = grads
        # recent values are likelier inputs, so programs chain instead of fanning out
        weights = [1 + i for i in range(len(refs))]
        return self.rng.choices(refs, weights)[0]

    def dim(self, t: Any, allow_bad: bool = True) -> int:
        n = max(t.dim(), 1)
        if allow_bad and self.chance(0.02):
            return n + 1
        d = self.rng.randrange(n)
        return d - n if self.chance(0.3) else d

    def shape(self, ndim: int | None = None, max_numel: int = MAX_NUMEL) -> tuple:
        if ndim is None:
            ndim = self.rng.choices([0, 1, 2, 3, 4], [12, 30, 36, 18, 4])[0]
        while True:
            shape = tuple(self.rng.choices([0, 1, 2, 3, 4], [3, 18, 30, 30, 19])[0]
                          for _ in range(ndim))
            n = 1
            for s in shape:
                n *= s
            if n <= max_numel:
                return shape

    def dtype(self) -> str:
        return self.rng.choices(DTYPES, DTYPE_WEIGHTS)[0]

    def number(self, dtype: str) -> Any:
        """A scalar suited to ``dtype``: mostly exact in every float type."""
        r = self.rng.random()
        if dtype == "bool":
            return self.chance(0.5)
        if dtype == "uint8":
            return self.rng.randint(250, 255) if r < 0.05 else self.rng.randint(0, 9)
        if dtype in ("int64", "int32"):
            return self.rng.randint(-6, 9)
        if r < 0.03:
            return self.choice([float("nan"), float("inf"), -float("inf")])
        if r < 0.06:
            return self.choice([0.0, -0.0])
        if r < 0.1:
            return round(self.rng.uniform(-3, 3), 6)  # not exact in float32
        return self.rng.randint(-12, 12) / 4

    def scalar(self, t: Any = None, kinds: str = "fib") -> Any:
        """A Python number operand: of the tensor's kind mostly, sometimes another."""
        kind = "f" if t is None or t.dtype.is_floating_point else (
            "b" if t.dtype == torch.bool else "i")
        if self.chance(0.25):
            kind = self.choice(kinds)
        if kind == "f":
            return self.number("float64")
        if kind == "b":
            return self.chance(0.5)
        return self.rng.randint(-3, 5)

    # --- statements ----------------------------------------------------------------------------
    def emit(self, code: str, op: str, targets: tuple[str, ...] = (), view: bool = False,
             phase: str = "forward", keep_error: float = 0.4, source: str = "") -> bool:
        """Runs ``code`` in torch and keeps it; a statement that raises is kept only sometimes
        (each kept one tests that ember raises alike). Returns whether it ran."""
        stmt = Stmt(code, op, targets, view, phase, source if view else "")
        with time_limit(10.0):
            outcome = run_stmt(stmt, self.ns)
        if outcome.exc is not None:
            if self.errors >= 2 or not self.chance(keep_error):
                return False
            self.errors += 1
            self.stmts.append(stmt)
            return False
        self.stmts.append(stmt)
        return True

    def assign(self, expr: str, op: str, view: bool = False, keep_error: float = 0.4,
               prefix: str = "t", source: str = "") -> str | None:
        """``tN = expr``; adds the result's tensors to the pool."""
        name = self.new(prefix)
        if self.chance(0.08) and "lib.no_grad" not in expr:
            mode = self.choice(["lib.no_grad()", "lib.enable_grad()",
                                "lib.set_grad_enabled(False)", "lib.inference_mode()",
                                "lib.inference_mode(False)"])
            code = f"with {mode}: {name} = {expr}"
        else:
            code = f"{name} = {expr}"
        if view and not source:
            m = re.match(r"[a-z]\d+(\[\d+\])?", expr)
            source = m.group(0) if m else ""
            if source.endswith("]") and not isinstance(self.ns.get(source.split("[")[0]),
                                                       (tuple, list)):
                source = source.split("[")[0]
        if not self.emit(code, op, (name,), view, keep_error=keep_error, source=source):
            return None
        self.add_to_pool(name)
        return name

    def add_to_pool(self, name: str) -> None:
        v = self.ns[name]
        if isinstance(v, torch.Tensor):
            self.pool.append(name)
        elif isinstance(v, (tuple, list)):
            self.pool.extend(f"{name}[{i}]" for i, x in enumerate(v[:3])
                             if isinstance(x, torch.Tensor))

    # --- inputs -------------------------------------------------------------------------------
    def leaf(self, shape: tuple | None = None, dtype: str | None = None) -> str:
        dtype = dtype or self.dtype()
        shape = self.shape() if shape is None else shape
        n = 1
        for s in shape:
            n *= s
        values = [self.number(dtype) for _ in range(n)]
        if self.chance(0.15) and n > 1:  # ties for sort, max and friends
            values = [values[0] if self.chance(0.5) else v for v in values]
        grad = dtype in FLOATS and self.chance(0.75)
        name = self.new("x")
        lit = nested(values, shape) if shape and 0 not in shape else None
        if lit is None and shape:
            expr = f"lib.zeros({shape}, dtype=lib.{dtype})"
        else:
            expr = f"lib.tensor({lit if shape else fmt(values[0])}, dtype=lib.{dtype})"
        if grad:
            expr = expr[:-1] + ", requires_grad=True)"
        self.emit(f"{name} = {expr}", "lib.tensor", (name,), phase="leaf")
        self.add_to_pool(name)
        return name

    def program(self) -> Program:
        return Program(list(self.stmts), self.seed)


def _holds(pred: Any, value: Any) -> bool:
    try:
        return bool(pred(value))
    except Exception:  # noqa: BLE001 - torch refuses some reads (inference-mode views)
        return False


def spellings(name: str) -> dict[str, bool]:
    """Which of torch's spellings exist for ``name``: method, function, in-place, out=."""
    cached = _SPELLINGS.get(name)
    if cached is None:
        fn = getattr(torch, name, None)
        doc = (getattr(fn, "__doc__", None) or "").split("\n\n", 1)[0]
        cached = _SPELLINGS[name] = {
            "method": hasattr(torch.Tensor, name),
            "function": fn is not None,
            "inplace": hasattr(torch.Tensor, name + "_"),
            "out": "out=None" in doc or "out (Tensor" in (getattr(fn, "__doc__", "") or ""),
        }
    return cached


_SPELLINGS: dict[str, dict[str, bool]] = {}


def quiet_torch() -> Any:
    return quiet()
