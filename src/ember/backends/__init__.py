"""ember.backends: accelerator probes that torch code checks; none are available."""

from types import SimpleNamespace


def _unavailable() -> bool:
    return False


mps = SimpleNamespace(is_available=_unavailable, is_built=_unavailable)
cudnn = SimpleNamespace(enabled=False, benchmark=False, deterministic=False,
                        is_available=_unavailable)
