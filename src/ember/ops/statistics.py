"""Statistical reductions: prod, max/min and arg forms, var/std, norm, logsumexp, cumulative
ops, all/any, count_nonzero.
"""

from __future__ import annotations

__all__: list[str] = []
