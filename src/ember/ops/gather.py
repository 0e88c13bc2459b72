"""Index-based gathering and scattering: gather, scatter, index_select, index_add, masked ops,
take.
"""

from __future__ import annotations

__all__: list[str] = []
