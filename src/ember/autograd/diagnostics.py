"""Why a tensor has no graph: the explanation added to torch's "element 0 of tensors does not
require grad and does not have a grad_fn".

Two sources, neither on the recording path:

* marks set where history is cut on purpose: ``detach()``, ``.data`` and
  ``requires_grad_(False)`` set ``tensor._why`` (and, with anomaly mode on, ``_why_at``, the
  line), a single attribute on calls that are rare next to ops;
* when the error is raised, the caller's source: the statement that made the tensor (found
  through its name, following assignments back a few steps), whether it sits inside a
  ``with no_grad()`` block, and what the names it uses hold now.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from .._tensor import Tensor
from . import anomaly_mode

DETACH = "made by .detach()"
DETACH_ = "cut from its graph by .detach_()"
DATA = "read through .data"
REQUIRES_GRAD_FALSE = "set to requires_grad=False (requires_grad_(False))"
_GRAD_OFF = ("no_grad", "inference_mode", "set_grad_enabled")
_MAX_DEPTH = 4


def _install() -> None:
    """Lets Tensor mark where history is cut without importing autograd."""
    from .. import _tensor

    _tensor._mark_cut = mark  # type: ignore[attr-defined]


def mark(t: Tensor, cause: str) -> Tensor:
    """Records why ``t`` has no history: the kind always, the line with anomaly mode on."""
    t._why = cause  # type: ignore[attr-defined]
    if anomaly_mode._enabled:
        from .graph_walk import user_frame

        frame = user_frame()
        if frame is not None:
            t._why_at = f"{frame.f_code.co_filename}:{frame.f_lineno}"  # type: ignore
    return t


def no_graph_error(index: int, t: Tensor) -> RuntimeError:
    """torch's error for a root without a graph, with what ember can tell of why."""
    from .graph_walk import user_frame

    text = f"element {index} of tensors does not require grad and does not have a grad_fn"
    try:
        why = explain_no_graph(t, user_frame())
    except Exception:  # never let the explanation hide the error itself
        why = None
    return RuntimeError(text + "\n" + (why or _GENERIC))


_GENERIC = (
    "ember: it has no history. Either it was computed while grad mode was off (inside `with "
    "ember.no_grad()`, `ember.inference_mode()` or `ember.set_grad_enabled(False)`), or by "
    "`.detach()`, or only from tensors that do not require grad (create the leaves you want "
    "gradients for with requires_grad=True). With ember.autograd.set_detect_anomaly(True), "
    "detach() and requires_grad_(False) record their line.")


def explain_no_graph(t: Tensor, frame: Any) -> str | None:
    """Why ``t`` has no graph, in words, or None when nothing specific is known."""
    direct = _own_cause(t, "it")
    if direct:
        return "ember: " + direct
    source = _Source.of(frame) if frame is not None else None
    if source is None:
        return None
    name = _name_in(frame, t)
    if name is not None:
        found = source.trace(name, frame, depth=0)
    else:  # a temporary: read the statement calling backward
        stmt = source.statement_at(frame.f_lineno)
        found = source.trace_expression(stmt, frame, 0) if stmt is not None else []
    if not found:
        return None
    return "ember: " + " ".join(dict.fromkeys(found))


def _own_cause(t: Tensor, called: str) -> str | None:
    if t._data.dtype.kind not in "fcV":
        return (f"{called} is an integer or bool tensor ({t.dtype}); only floating point and "
                "complex tensors can require gradients, and ops returning integers (argmax, "
                "comparisons, .long()) are not differentiable.")
    why = getattr(t, "_why", None)
    if why is None:
        return None
    at = getattr(t, "_why_at", None)
    where = f" at {at}" if at else ""
    fix = (" Call backward on the tensor before it was cut from the graph."
           if why in (DETACH, DETACH_, DATA) else
           " Call .requires_grad_() on it (or leave the flag on) to record its history again.")
    return f"{called} was {why}{where}.{fix}"


def _name_in(frame: Any, t: Tensor) -> str | None:
    for scope in (frame.f_locals, frame.f_globals):
        for name, value in scope.items():
            if value is t:
                return name
    return None


def _lookup(frame: Any, name: str) -> Any:
    if name in frame.f_locals:
        return frame.f_locals[name]
    return frame.f_globals.get(name)


class _Source:
    """The parsed source of a frame's code, with a parent map to find enclosing blocks."""

    def __init__(self, tree: ast.AST, lines: list[str], offset: int, filename: str) -> None:
        self.tree, self.lines, self.offset, self.filename = tree, lines, offset, filename
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent

    @classmethod
    def of(cls, frame: Any) -> _Source | None:
        try:
            if frame.f_code.co_name == "<module>":
                lines, first = inspect.findsource(frame.f_code)[0], 1
            else:
                lines, first = inspect.getsourcelines(frame.f_code)
            tree = ast.parse(textwrap.dedent("".join(lines)))
        except (OSError, TypeError, SyntaxError, IndexError):
            return None
        return cls(tree, lines, first - 1, frame.f_code.co_filename)

    def where(self, node: ast.AST) -> str:
        line = node.lineno  # type: ignore[attr-defined]
        text = self.lines[line - 1].strip() if line <= len(self.lines) else ""
        return f"{self.filename}:{line + self.offset} (`{text}`)"

    def statement_at(self, lineno: int) -> ast.AST | None:
        line = lineno - self.offset
        for node in ast.walk(self.tree):
            if isinstance(node, ast.stmt) and node.lineno <= line <= (
                    node.end_lineno or node.lineno) and not isinstance(
                    node, (ast.For, ast.While, ast.With, ast.If, ast.FunctionDef, ast.Try)):
                return node
        return None

    def assignment_of(self, name: str, before: int) -> ast.AST | None:
        """The last statement assigning ``name`` at or before line ``before``."""
        best = None
        for node in ast.walk(self.tree):
            targets: list = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                continue
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                if node.lineno <= before and (best is None or node.lineno > best.lineno):
                    best = node
        return best

    def grad_off_block(self, node: ast.AST) -> ast.AST | None:
        """The ``with no_grad()``-like block enclosing ``node``, if any."""
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, ast.With):
                for item in current.items:
                    if _turns_grad_off(item.context_expr):
                        return current
            current = self.parents.get(current)
        return None

    def flag_off_line(self, name: str) -> ast.AST | None:
        """A ``name.requires_grad_(False)`` / ``name.requires_grad = False`` / detach_ call."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                    isinstance(node.func.value, ast.Name) and node.func.value.id == name):
                if node.func.attr == "detach_" or (node.func.attr == "requires_grad_" and any(
                        isinstance(a, ast.Constant) and a.value is False for a in node.args)):
                    return node
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Attribute) and t.attr == "requires_grad"
                    and isinstance(t.value, ast.Name) and t.value.id == name
                    for t in node.targets) and isinstance(node.value, ast.Constant) and (
                    node.value.value is False):
                return node
        return None

    # --- following the data back -----------------------------------------------------------
    def trace(self, name: str, frame: Any, depth: int) -> list[str]:
        value = _lookup(frame, name)
        if isinstance(value, Tensor) and value._requires_grad:
            return []
        if isinstance(value, Tensor):
            own = _own_cause(value, f"`{name}`")
            if own:
                if getattr(value, "_why_at", None) is None:
                    line = self.flag_off_line(name) or self.assignment_of(
                        name, frame.f_lineno - self.offset)
                    if line is not None:
                        own += f" See {self.where(line)}."
                return [own]
        stmt = self.assignment_of(name, frame.f_lineno - self.offset)
        if stmt is None:
            return []
        if (isinstance(value, Tensor) and value.grad_fn is None and self.grad_off_block(stmt)
                is None and _makes_leaf(getattr(stmt, "value", None))):
            return [f"`{name}` is a leaf created at {self.where(stmt)} without "
                    f"requires_grad=True, so nothing computed from it records a graph. Create "
                    f"it with requires_grad=True, or call `{name}.requires_grad_()`."]
        return self.trace_expression(stmt, frame, depth, f"`{name}`")

    def trace_expression(self, stmt: ast.AST, frame: Any, depth: int,
                         called: str = "It") -> list[str]:
        """Why the value of ``stmt`` (``called`` in the text) has no graph."""
        block = self.grad_off_block(stmt)
        if block is not None:
            return [f"{called} was computed at {self.where(stmt)} inside "
                    f"`{_with_text(block)}` (line {block.lineno + self.offset}), where grad mode "
                    "is off and no graph is recorded. Compute it outside that block."]
        value_node = getattr(stmt, "value", stmt)
        for node in ast.walk(value_node):
            cut = (_is_call_to(node, "detach") and ".detach()") or (
                isinstance(node, ast.Attribute) and node.attr == "data" and ".data")
            if cut:
                return [f"{called} was computed at {self.where(stmt)} from "
                        f"`{ast.unparse(node)}`, and {cut} cuts the graph. Call backward on "
                        "the tensor before it was cut from the graph."]
        if depth >= _MAX_DEPTH:
            return []
        names = [n.id for n in ast.walk(value_node)
                 if isinstance(n, ast.Name) and isinstance(_lookup(frame, n.id), Tensor)]
        found: list[str] = []
        for name in dict.fromkeys(names):
            found.extend(self.trace(name, frame, depth + 1))
        if found:
            used = ", ".join(f"`{n}`" for n in dict.fromkeys(names))
            found.insert(0, f"{called} was computed at {self.where(stmt)} from {used}.")
        return found


def _with_text(block: ast.With) -> str:
    return "with " + ", ".join(ast.unparse(item.context_expr) for item in block.items)


def _turns_grad_off(expr: ast.AST) -> bool:
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in _GRAD_OFF:
        return False
    if name == "set_grad_enabled":
        return bool(expr.args) and isinstance(expr.args[0], ast.Constant) and (
            expr.args[0].value is False)
    if name == "inference_mode" and expr.args and isinstance(expr.args[0], ast.Constant):
        return expr.args[0].value is not False
    return True


def _is_call_to(node: Any, attr: str) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == attr)


def _makes_leaf(node: Any) -> bool:
    """A call of a factory (``ember.tensor(...)``, ``torch.randn(...)``, ``zeros_like``): not
    a method on a tensor, and no operator."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return isinstance(func.value, ast.Name) and func.value.id in ("ember", "torch", "np")
    return isinstance(func, ast.Name)


_install()
