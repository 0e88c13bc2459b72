"""ember.linalg: torch.linalg's functions (norms, inverses, decompositions, solvers)."""

from __future__ import annotations

__all__: list[str] = []
