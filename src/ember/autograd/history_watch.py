"""A warning when a training loop keeps the history of every step alive.

``total += loss`` in a loop makes ``total`` a tensor whose graph holds every step's graph:
memory grows each step and nothing says why. ``losses.append(loss)`` does the same through a
list. After each ``backward()`` this module keeps a weak reference to the graph's root; if the
roots of backward calls 10 and 20 calls ago are both still alive, it looks (once in a while,
never on the recording path) for what holds them: a variable of the calling frames whose graph
reaches both, or a list of such tensors. Only then does it warn, once, naming the variable and
the line that accumulates it. An ordinary loop, where each step's ``loss`` replaces the last,
lets each root die and costs one weak reference per backward call.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import warnings
import weakref
from collections import deque
from typing import Any

from .._tensor import Tensor
from .graph import Node

_WINDOW = 20            # look at the roots of this many past backward calls
_MAX_WALK = 200_000     # nodes walked per candidate graph, at most
_FRAMES = 4             # user frames searched for what holds the old graphs

_roots: deque = deque(maxlen=_WINDOW)
_state = {"warned": False, "next_look": _WINDOW, "looks": 0}
_calls = 0


def reset() -> None:
    """Forgets what was seen (and that a warning was given); for tests."""
    global _calls
    _roots.clear()
    _calls = 0
    _state.update(warned=False, next_look=_WINDOW, looks=0)


def note_backward(root: Node | None) -> None:
    """Called after each ``backward()`` with the graph's root node."""
    global _calls
    if _state["warned"] or root is None:
        return
    _calls += 1
    if _roots and _roots[-1]() is root:  # backward again through the same graph
        return
    _roots.append(weakref.ref(root))
    if _calls < _state["next_look"] or len(_roots) < _WINDOW:
        return
    old, older = _roots[_WINDOW // 2](), _roots[0]()
    if old is None or older is None:
        return
    _state["next_look"] = _calls + _WINDOW  # what holds them may show up later
    _state["looks"] += 1
    found = _find_holder(old, older)
    if found is not None:
        _state["warned"] = True
        warnings.warn(found, UserWarning, stacklevel=4)


def _find_holder(old: Node, older: Node) -> str | None:
    """The warning's text if a variable of the user's frames holds both old graphs."""
    from .graph_walk import user_frame

    frame = user_frame()
    for _ in range(_FRAMES):
        if frame is None:
            return None
        for name, value in list(frame.f_locals.items()):
            if isinstance(value, Tensor) and value.grad_fn is not None:
                size = _reaches_both(value.grad_fn, old, older)
                if size:
                    return _message(frame, name, size, kind="tensor")
            elif isinstance(value, (list, deque)) and len(value) >= _WINDOW // 2:
                held = {t.grad_fn for t in list(value)[-(_WINDOW + 1):]
                        if isinstance(t, Tensor) and t.grad_fn is not None}
                if old in held and older in held:
                    return _message(frame, name, len(value), kind="list")
        frame = frame.f_back
    return None


def _reaches_both(start: Node, a: Node, b: Node) -> int:
    """The number of nodes walked from ``start`` when both ``a`` and ``b`` were reached,
    else 0."""
    seen = {start}
    stack = [start]
    found = 0
    while stack and len(seen) < _MAX_WALK:
        node = stack.pop()
        if node is a or node is b:
            found += 1
        for nxt in node._next:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return len(seen) if found == 2 else 0


def _message(frame: Any, name: str, size: int, kind: str) -> str:
    where = _accumulating_line(frame, name)
    if kind == "tensor":
        adds = f"{where} adds to it each step, and " if where else ""
        return (
            f"ember: `{name}` keeps the history of every training step alive: {adds}its graph "
            f"reaches back through the last {_WINDOW} backward calls and grows each step "
            f"({size} nodes now), and memory with it. To add up a loss for logging, accumulate "
            f"a number (`{name} += loss.item()`) or a detached tensor "
            f"(`{name} += loss.detach()`).")
    adds = f"{where} appends to it each step, and " if where else ""
    return (
        f"ember: the list `{name}` keeps the history of every training step alive: {adds}it "
        f"holds {size} tensors that each keep their step's graph, and memory grows with it. "
        f"Store numbers (`{name}.append(loss.item())`) or detached tensors "
        f"(`{name}.append(loss.detach())`).")


def _accumulating_line(frame: Any, name: str) -> str | None:
    """``file:line: source`` of the statement that adds to ``name`` in ``frame``'s code:
    ``name += ...``, ``name = name + ...`` or ``name.append(...)``."""
    try:
        if frame.f_code.co_name == "<module>":  # a script's top level: the whole file
            lines, first = inspect.findsource(frame.f_code)[0], 1
        else:
            lines, first = inspect.getsourcelines(frame.f_code)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    offset = max(first, 1) - 1
    for node in ast.walk(tree):
        if _accumulates(node, name):
            line = node.lineno + offset
            text = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
            return f"{frame.f_code.co_filename}:{line} (`{text}`)"
    return None


def _accumulates(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.AugAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    if isinstance(node, ast.Assign):
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        uses = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        return name in targets and name in uses
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        return (node.func.attr in ("append", "extend", "appendleft")
                and isinstance(owner, ast.Name) and owner.id == name)
    return False
