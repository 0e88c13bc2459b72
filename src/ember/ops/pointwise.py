"""Elementwise math beyond the basics: more transcendental functions, rounding, clamping,
min/max, interpolation and predicates.
"""

from __future__ import annotations

__all__: list[str] = []
