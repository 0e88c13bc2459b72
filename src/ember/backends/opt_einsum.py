"""ember.backends.opt_einsum: ember's einsum lets NumPy choose the contraction order."""

enabled = False
strategy = None


def is_available() -> bool:
    """False: the opt_einsum package is not used."""
    return False
