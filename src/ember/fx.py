"""ember.fx: only what works without a symbolic tracer.

``wrap`` (used as a decorator or with a function's name) marks a function as a leaf of torch's
symbolic tracing; on ember, which has no tracer, it returns its argument, so model code that
declares leaves runs unchanged. Symbolic tracing itself (``symbolic_trace``, ``Tracer``,
``Graph``, ``GraphModule``, ``Proxy``, ``Node``) is not implemented: each raises a clear
``NotImplementedError`` naming it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["wrap", "symbolic_trace", "Tracer", "Graph", "GraphModule", "Proxy", "Node",
           "replace_pattern", "Interpreter", "Transformer"]


def wrap(fn_or_name: Any) -> Any:
    """Marks a function as a leaf of symbolic tracing; returns it unchanged (ember has no
    tracer, so there is nothing to keep it out of)."""
    return fn_or_name


def _not_implemented(feature: str) -> NotImplementedError:
    return NotImplementedError(
        f"ember.fx.{feature}: torch.fx symbolic tracing is not implemented in ember (it needs a "
        "tracer that records Python calls into a Graph); run the model eagerly")


def symbolic_trace(root: Any, concrete_args: Any = None) -> Any:
    raise _not_implemented("symbolic_trace")


def replace_pattern(gm: Any, pattern: Any, replacement: Any) -> Any:
    raise _not_implemented("replace_pattern")


class _Unsupported:
    _feature = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _not_implemented(self._feature or type(self).__name__)


class Tracer(_Unsupported):
    """Not implemented: see the module docstring."""


class Graph(_Unsupported):
    """Not implemented: see the module docstring."""


class GraphModule(_Unsupported):
    """Not implemented: see the module docstring."""


class Proxy(_Unsupported):
    """Not implemented: see the module docstring."""


class Node(_Unsupported):
    """Not implemented: see the module docstring."""


class Interpreter(_Unsupported):
    """Not implemented: see the module docstring."""


class Transformer(_Unsupported):
    """Not implemented: see the module docstring."""
