"""The list of supported ops, generated from the op table for the README.

``python -m ember.ops.catalog`` prints it; ``python -m ember.ops.catalog README.md`` rewrites
the README's copy (between its ``ops:start``/``ops:end`` markers); a test checks it is current.
"""

from __future__ import annotations

import sys

from . import MODULES
from ._op import REGISTRY, Composite

# README section, by op module
FAMILIES = {
    "arithmetic": "Arithmetic and comparison", "unary": "Elementwise functions",
    "pointwise": "Elementwise functions", "elementwise": "Elementwise functions",
    "reduction": "Reductions", "statistics": "Reductions", "sorting": "Reductions",
    "activation": "Reductions", "shape": "Shape and joining", "joining": "Shape and joining",
    "gather": "Indexing", "indexing": "Indexing", "linalg": "Linear algebra",
    "decompositions": "Linear algebra", "random": "Random sampling and factories",
    "trigonometric": "Elementwise functions", "special": "Elementwise functions",
    "rounding": "Elementwise functions", "clamp": "Elementwise functions",
    "interpolation": "Elementwise functions", "moments": "Reductions", "extrema": "Reductions",
    "transpose": "Shape and joining", "broadcast": "Shape and joining",
    "diagonal": "Shape and joining", "repeat": "Shape and joining", "masked": "Indexing",
    "index_ops": "Indexing", "fused": "Linear algebra", "contractions": "Linear algebra",
    "spectral": "Linear algebra", "linalg_products": "Linear algebra",
    "linalg_spellings": "Linear algebra",
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
    nodes = sorted(n for n, cls in REGISTRY.items()
                   if cls.samples is not None and not issubclass(cls, Composite))
    lines.append(f"- **Backward nodes with generated tests** ({len(nodes)}): "
                 + ", ".join(f"`{n}`" for n in nodes))
    return "\n".join(lines) + "\n"


START, END = "<!-- ops:start -->\n", "<!-- ops:end -->"


def with_catalog(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the current op list."""
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return head + START + markdown() + END + tail


if __name__ == "__main__":
    import ember  # noqa: F401 - registers every op, nn's included

    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as f:
            text = f.read()
        with open(sys.argv[1], "w", encoding="utf-8") as f:
            f.write(with_catalog(text))
    else:
        sys.stdout.write(markdown())
