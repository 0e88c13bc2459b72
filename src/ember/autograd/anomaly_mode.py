"""Anomaly detection: find the first NaN a backward function produces, and the forward call
that created that function.

When enabled, every recorded op keeps the stack of the line that called it (slow, as in torch:
a debugging tool), and every backward function's outputs are checked for NaN.
"""

from __future__ import annotations

import traceback
import warnings
from typing import Any

import numpy as np

_enabled = False
_check_nan = True


def is_enabled() -> bool:
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan


class detect_anomaly:
    """Context manager (and decorator) that enables anomaly detection.

    Args:
        check_nan (bool): raise when a backward function returns NaN (default True).

    Example::

        >>> with ember.autograd.detect_anomaly():
        ...     loss.backward()   # a NaN gradient raises, naming the node and its forward line
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = (False, True)
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self.prev = (_enabled, _check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        _set(*self.prev)

    def __call__(self, func: Any) -> Any:
        import functools

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turns anomaly detection on or off, as a call or a context manager.

    Args:
        mode (bool): on or off.
        check_nan (bool): raise when a backward function returns NaN.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (_enabled, _check_nan)
        _set(bool(mode), check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set(*self.prev)


def _set(enabled: bool, check_nan: bool) -> None:
    global _enabled, _check_nan
    from .. import _tensor
    from .anomaly_explain import _warned_at, record_inplace

    if enabled and not _enabled:
        _warned_at.clear()  # "the first" NaN or Inf of this anomaly session
    _enabled, _check_nan = enabled, check_nan
    # in-place changes record their line only while anomaly mode is on
    _tensor._on_inplace = record_inplace if enabled else None


def capture_forward_stack() -> list[str]:
    return traceback.format_stack()[:-3]


def check_forward(node: Any, inputs: tuple, out: Any) -> None:
    """Warns at the first op of a forward pass whose output holds NaN or Inf while its inputs
    hold none (a -inf mask filled in on purpose is an input's, so it is not flagged)."""
    if _check_nan:
        from .anomaly_explain import check_forward as check

        check(node, inputs, out)


def check_backward(node: Any, grads: tuple, grad_in: Any = None) -> None:
    """Raises torch's error at the first backward function returning NaN, with ember's
    explanation (its inputs' statistics, the forward line, the known traps); warns once at the
    first returning Inf (which torch lets pass)."""
    if not _check_nan:
        return
    from .anomaly_explain import explain_backward, warn_backward_inf

    for i, g in enumerate(grads):
        if g is None or g._data.dtype.kind not in "fcV":
            continue
        if np.isnan(g._data).any():
            stack = node._anomaly_trace
            origin = ("\nThe forward call that created this node:\n" + "".join(stack)
                      if stack else "")
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.{origin}\n"
                + explain_backward(node, i, grad_in, "NaN"))
        if np.isinf(g._data).any():
            warn_backward_inf(node, i, grad_in)
