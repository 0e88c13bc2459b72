"""``set_float32_matmul_precision``: the precision float32 matrix products may use.

On a CPU torch the setting changes no result (the reduced precisions are GPU TensorFloat-32 and
bfloat16 passes); ember keeps and reports it the same way, and
``ember.backends.cuda.matmul.allow_tf32`` reads and writes it as torch's does.
"""

from __future__ import annotations

import warnings

__all__ = ["set_float32_matmul_precision", "get_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")
_precision = "highest"


def get() -> str:
    return _precision


def set_legacy(precision: str) -> None:
    global _precision
    _precision = precision


def set_float32_matmul_precision(precision: str) -> None:
    """Sets the internal precision of float32 matrix products: ``'highest'`` (the default),
    ``'high'`` or ``'medium'``. Kept and reported; on the CPU all three give the same results,
    as in torch. Another value warns and changes nothing, as in torch.

    Args:
        precision (str): ``'highest'``, ``'high'`` or ``'medium'``.
    """
    global _precision
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _precision = precision


def get_float32_matmul_precision() -> str:
    """The current float32 matmul precision: ``'highest'``, ``'high'`` or ``'medium'``."""
    return _precision
