"""ember.backends.mkl: whether NumPy was built against MKL (ember's BLAS is NumPy's)."""


def is_available() -> bool:
    """True if NumPy's BLAS is MKL."""
    import numpy as np

    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.25 has no dict mode
        return False
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return "mkl" in str(blas.get("name", "")).lower()
