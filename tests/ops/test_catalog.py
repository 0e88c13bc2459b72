"""The README's op list is generated from the op table (ember/ops/catalog.py)."""

from __future__ import annotations

from pathlib import Path

import ember  # noqa: F401 - registers every op
from ember.ops.catalog import derivatives, with_catalog

README = Path(__file__).resolve().parents[2] / "README.md"
DERIVATIVES = README.parent / "docs" / "derivatives.md"


def test_readme_op_list_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert text == with_catalog(text), (
        "README's op list is stale: run `python -m ember.ops.catalog README.md`")


def test_derivatives_table_is_current() -> None:
    text = DERIVATIVES.read_text(encoding="utf-8")
    assert text == derivatives(), (
        "docs/derivatives.md is stale: run `python -m ember.ops.catalog docs/derivatives.md`")
    assert "| `PowBackward0` | `x` | `grad * exponent * x ** (exponent - 1)` |" in text
