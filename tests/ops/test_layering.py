"""The layering reads one way: ``ember.nn`` builds on ``ember.ops``, never the reverse. Every
import in every module under ``src/ember/ops`` (also those inside functions) is checked."""

from __future__ import annotations

import ast
from pathlib import Path

import ember.ops

OPS = Path(ember.ops.__file__).parent


def _module_name(path: Path) -> str:
    parts = ("ember", "ops", *path.relative_to(OPS).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of each import in ``path``; ``from X import y`` counts as
    importing ``X.y`` too, since ``y`` may be a module."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _reaches_nn(module: str) -> bool:
    return module == "ember.nn" or module.startswith("ember.nn.")


def test_resolves_relative_imports() -> None:
    path = OPS / "nn" / "conv.py"
    modules = {m for _, m in _imported(path)}
    assert "ember._tensor" in modules and "ember.ops._op" in modules


def test_no_module_under_ops_imports_nn() -> None:
    offenders = [f"{path.relative_to(OPS.parent)}:{line}: {module}"
                 for path in sorted(OPS.rglob("*.py"))
                 for line, module in _imported(path) if _reaches_nn(module)]
    assert not offenders, "ember.ops must not import ember.nn:\n" + "\n".join(offenders)
