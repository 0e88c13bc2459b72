"""ember.cuda: present so that device checks in torch code run; ember computes on the CPU."""


def is_available() -> bool:
    """Always False: ember has no GPU backend."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator)."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator)."""
