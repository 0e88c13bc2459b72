"""ember.backends.mkldnn: ember does not use oneDNN; ``is_available()`` is False and ``enabled``
a flag that is kept and read back."""

enabled = True
deterministic = False


def is_available() -> bool:
    """False: ember computes with NumPy, not oneDNN."""
    return False
