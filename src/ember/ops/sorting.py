"""Order statistics: sort, argsort, topk, kthvalue, median."""

from __future__ import annotations

__all__: list[str] = []
