"""``ember.cuda.amp.autocast``: deprecated, and disabled without CUDA, as in torch."""

from __future__ import annotations

import warnings
from typing import Any

from ... import _dtype as dt
from ...amp import autocast_mode as _amp


class autocast(_amp.autocast):
    """``ember.amp.autocast('cuda', ...)``: warns as torch does, then runs as a disabled region
    (ember has no CUDA)."""

    def __init__(self, enabled: bool = True, dtype: dt.dtype = dt.float16,
                 cache_enabled: bool = True) -> None:
        warnings.warn(
            "`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
            "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            super().__init__("cuda", dtype=dtype, enabled=False, cache_enabled=cache_enabled)
        if enabled:
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          stacklevel=2)

    def __call__(self, func: Any) -> Any:
        return super().__call__(func)
