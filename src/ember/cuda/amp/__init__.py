"""ember.cuda.amp: torch's deprecated CUDA spellings of ``ember.amp``. Without CUDA, the
autocast region and the scaler are disabled with torch's warnings (use
``ember.amp.autocast('cpu')`` and ``ember.amp.GradScaler('cpu')`` for the CPU)."""

from ...amp.autocast_mode import custom_bwd, custom_fwd
from .autocast_mode import autocast
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]
