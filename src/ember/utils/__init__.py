"""ember.utils: data loading, checkpointing."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
