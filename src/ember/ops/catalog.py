"""The list of supported ops, generated from the op table for the README.

``python -m ember.ops.catalog`` prints it; ``python -m ember.ops.catalog README.md`` rewrites
the README's copy (between its ``ops:start``/``ops:end`` markers); a test checks it is current.
"""

from __future__ import annotations

import sys

from . import MODULES
from ._op import REGISTRY, Composite

# README section of each op module, by its path under ember.ops; the longest matching prefix
# wins, so a new module in a subpackage lands in that subpackage's section.
FAMILIES = {
    "pointwise.arithmetic": "Arithmetic and comparison",
    "pointwise": "Elementwise functions",
    "reduction": "Reductions",
    "nn.softmax": "Reductions",
    "shape": "Shape and joining",
    "indexing": "Indexing",
    "linalg": "Linear algebra",
    "random": "Random sampling and factories",
}


def section_of(module_name: str) -> str | None:
    """The README section of the op module ``module_name`` (None: not listed)."""
    path = module_name.removeprefix("ember.ops.")
    while path:
        if path in FAMILIES:
            return FAMILIES[path]
        path = path.rpartition(".")[0]
    return None


def markdown() -> str:
    """The op list as Markdown: each family's public functions, then the node names."""
    sections: dict[str, set[str]] = {}
    for module in MODULES:
        family = section_of(module.__name__)
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
