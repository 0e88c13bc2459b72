"""ember.utils: data loading and helpers."""

from . import data

__all__ = ["data"]
