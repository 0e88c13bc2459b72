"""ember.backends.openmp: ember does not use OpenMP threads of its own."""


def is_available() -> bool:
    """False: ember's parallelism is NumPy's BLAS's."""
    return False
