"""ember.backends.mha: the fast path of MultiheadAttention (ember always takes the math path)."""

_fastpath_enabled = True


def get_fastpath_enabled() -> bool:
    return _fastpath_enabled


def set_fastpath_enabled(value: bool) -> None:
    """Sets the flag (ember's MultiheadAttention computes the same math path either way)."""
    global _fastpath_enabled
    _fastpath_enabled = bool(value)
