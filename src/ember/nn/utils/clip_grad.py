"""Gradient clipping, in place on the ``.grad`` of parameters."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..._tensor import Tensor, _make, bump_version

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"]


def _grads(parameters: Any) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scales the gradients of ``parameters`` so their total norm (the norm of all of them
    concatenated) is at most ``max_norm``.

    Args:
        parameters (Tensor or iterable of Tensor): whose ``.grad`` to clip.
        max_norm (float): the largest norm allowed.
        norm_type (float): the p of the norm; ``inf`` for the largest absolute value.
        error_if_nonfinite (bool): raise if the total norm is nan or inf.
        foreach (bool, optional): accepted for compatibility; ember has one implementation.

    Returns:
        The total norm before clipping, a 0-d tensor.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return _make(np.asarray(0.0, dtype=np.float32))
    dtype = grads[0]._data.dtype
    if math.isinf(norm_type):
        norms = [np.abs(g._data).max() if g._data.size else 0.0 for g in grads]
        total = np.max(norms)
    else:
        norms = [np.linalg.norm(g._data.ravel().astype(np.float64), ord=norm_type)
                 for g in grads]
        total = np.linalg.norm(np.asarray(norms), ord=norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = np.minimum(max_norm / (total.astype(np.float64) + 1e-6), 1.0)
    for g in grads:
        g._data *= coef.astype(g._data.dtype)
        bump_version(g)
    return _make(total)


def clip_grad_norm(parameters: Any, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated spelling of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamps every gradient of ``parameters`` to ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        bump_version(g)
