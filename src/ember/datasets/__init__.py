"""Small data sets shipped with ember, so examples and the main job run without downloads."""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_digits"]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits (1,797 images, UCI, CC BY 4.0; see DIGITS_LICENSE.txt).

    Returns:
        (images, labels): uint8 arrays of shape (1797, 8, 8) with values 0..16, and (1797,)
        with values 0..9.
    """
    with resources.files(__package__).joinpath("digits.npz").open("rb") as f:
        data = np.load(f)
        return data["images"], data["labels"]
