"""The list of supported ops, generated from the op table for the README.

``python -m ember.ops.catalog`` prints it; a test checks the README's copy is current.
"""

from __future__ import annotations

import sys

from . import MODULES
from ._op import REGISTRY

# README section, by op module
FAMILIES = {
    "arithmetic": "Arithmetic and comparison", "unary": "Elementwise functions",
    "pointwise": "Elementwise functions", "elementwise": "Elementwise functions",
    "reduction": "Reductions", "statistics": "Reductions", "sorting": "Reductions",
    "activation": "Reductions", "shape": "Shape and joining", "joining": "Shape and joining",
    "gather": "Indexing", "indexing": "Indexing", "linalg": "Linear algebra",
    "decompositions": "Linear algebra", "random": "Random sampling and factories",
}


def markdown() -> str:
    """The op list as Markdown: each family's public functions, then the node names."""
    sections: dict[str, set[str]] = {}
    for module in MODULES:
        family = FAMILIES.get(module.__name__.rsplit(".", 1)[-1])
        if family is None:
            continue
        sections.setdefault(family, set()).update(getattr(module, "__all__", ()))
    lines = []
    for family in dict.fromkeys(FAMILIES.values()):
        names = sorted(sections.get(family, ()))
        if names:
            lines.append(f"- **{family}** ({len(names)}): " + ", ".join(f"`{n}`" for n in names))
    nodes = sorted(n for n, cls in REGISTRY.items() if cls.samples is not None)
    lines.append(f"- **Backward nodes with generated tests** ({len(nodes)}): "
                 + ", ".join(f"`{n}`" for n in nodes))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import ember  # noqa: F401 - registers every op, nn's included

    sys.stdout.write(markdown())
