"""Random sampling ops: normal, bernoulli, multinomial, and index/grid factories."""

from __future__ import annotations

__all__: list[str] = []
