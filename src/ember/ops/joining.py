"""Joining, splitting, repeating and rearranging tensors: hstack, vstack, chunk, repeat, tile,
flip, roll, narrow, tril/triu, diag.
"""

from __future__ import annotations

__all__: list[str] = []
