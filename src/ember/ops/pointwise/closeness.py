"""isclose and allclose: elementwise closeness within tolerances, as torch's.

``|input - other| <= atol + rtol * |other|``, with equal values (infinities of one sign
included) always close and NaNs close only with ``equal_nan``. Not differentiable (the result
is boolean), so there is no primitive: the work is a few NumPy passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from .._op import composite
from ..samples import Sample

__all__ = ["isclose", "allclose"]


def _close(name: str, input: Any, other: Any, rtol: float, atol: float,
           equal_nan: bool) -> np.ndarray:
    for position, (arg, value) in enumerate((("input", input), ("other", other)), start=1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                            f"not {type(value).__name__}")
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{dt.kind_name(dt._BY_NUMPY[a.dtype])} did not match "
                           f"{dt.kind_name(dt._BY_NUMPY[b.dtype])}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    if a.dtype == np.bool_:
        return np.broadcast_to(a == b, np.broadcast_shapes(a.shape, b.shape)).copy()
    if not dt.is_floating_np(a.dtype) and a.dtype.kind != "c":
        a, b = a.astype(np.float64), b.astype(np.float64)  # integers: exact arithmetic
    elif a.dtype in (np.float16, dt.BFLOAT16):
        a, b = a.astype(np.float32), b.astype(np.float32)  # torch's opmath for half types
    with np.errstate(invalid="ignore", over="ignore"):
        close = a == b
        finite = np.isfinite(a) & np.isfinite(b)
        diff = np.abs(a - b)
        tolerance = atol + rtol * np.abs(b)
        close |= finite & (diff <= tolerance)
    if equal_nan:
        close |= np.isnan(a) & np.isnan(b)
    return close


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (broadcast), as a bool tensor.

    Args:
        input (Tensor): first tensor.
        other (Tensor): second tensor, of the same dtype.
        rtol (float): relative tolerance.
        atol (float): absolute tolerance.
        equal_nan (bool): whether two NaNs are close.

    Example::

        >>> ember.isclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.1]))
        tensor([ True, False])
    """
    return _make(_close("isclose", input, other, rtol, atol, equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True if every element of ``input`` is close to ``other``'s (see ``isclose``).

    Example::

        >>> ember.allclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.000001]))
        True
    """
    return bool(_close("allclose", input, other, rtol, atol, equal_nan).all())


Tensor.isclose = isclose  # type: ignore[attr-defined]
Tensor.allclose = allclose  # type: ignore[attr-defined]


def _closeness_samples(cls: type) -> list[Sample]:
    base = np.array([1.0, 2.0, -3.0, 0.0, np.inf, np.nan, 1e-9])
    near = np.array([1.0, 2.0001, -3.0, 1e-9, np.inf, np.nan, 0.0])
    return [
        Sample(lambda lib, a, b: lib.isclose(a, b), (base, near), "isclose", gradcheck=False,
               nondiff=(0, 1)),
        Sample(lambda lib, a, b: a.isclose(b, rtol=1e-3, atol=1e-6, equal_nan=True),
               (base, near), "tolerances", gradcheck=False, nondiff=(0, 1)),
        Sample(lambda lib, a, b: lib.tensor([lib.allclose(a, b), a.allclose(b[:1]),
                                             lib.allclose(a, a * 1.0000001)]),
               (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])),
               "allclose", gradcheck=False, nondiff=(0, 1)),
    ]


composite("isclose", _closeness_samples)
