"""ember.amp: automatic mixed precision (``autocast``, ``GradScaler``) on the CPU, as torch's
CPU autocast; CUDA regions and scalers are disabled with torch's warnings."""

from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]
