"""ember.backends.cpu: the CPU's vector capability, as torch names it."""


def get_cpu_capability() -> str:
    """'DEFAULT': ember computes through NumPy, which picks its own kernels at run time."""
    return "DEFAULT"
