"""Matrix decompositions and solvers behind ember.linalg: inv, det, slogdet, solve, cholesky,
qr, eigh, svd, pinv, norms.
"""

from __future__ import annotations

__all__: list[str] = []
