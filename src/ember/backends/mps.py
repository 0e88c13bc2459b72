"""ember.backends.mps: Apple's GPU backend is not built (``is_available()`` is False)."""


def is_available() -> bool:
    """False: ember has no MPS backend."""
    return False


def is_built() -> bool:
    """False: ember is not built with MPS."""
    return False


def is_macos13_or_newer(minor: int = 0) -> bool:
    return False
