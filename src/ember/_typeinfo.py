"""``ember.finfo`` and ``ember.iinfo``: the numeric limits of a dtype, as torch reports them."""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _dtype as dt

__all__ = ["finfo", "iinfo"]


def _as_dtype(type_: object, caller: str) -> dt.dtype:
    if type_ is None:
        return dt.get_default_dtype()
    if type_ is builtins.float:
        return dt.float64
    if type_ is builtins.int:
        return dt.int64
    if type_ is builtins.bool:
        return dt.bool
    if not isinstance(type_, dt.dtype):
        raise TypeError(f"{caller}(): argument 'type' must be ember.dtype, not "
                        f"{type(type_).__name__}")
    return type_


class finfo:
    """The limits of a floating dtype (of its real part for a complex one).

    Attributes:
        bits (int), eps (float): the difference between 1.0 and the next number,
        max, min (float): the largest and most negative finite numbers,
        tiny, smallest_normal (float): the smallest positive normal number,
        resolution (float): ``10 ** -(decimal digits of precision)``,
        dtype (str): the dtype's name.

    Example::

        >>> ember.finfo(ember.float16).max
        65504.0
    """

    bits: int
    eps: float
    max: float
    min: float
    tiny: float
    smallest_normal: float
    resolution: float
    dtype: str

    def __init__(self, type: dt.dtype | None = None) -> None:  # noqa: A002 - torch's name
        d = _as_dtype(type, "finfo")
        if d.is_complex:
            d = d.to_real()
        if not d.is_floating_point:
            raise TypeError("ember.finfo() requires a floating point input type. Use "
                            "ember.iinfo to handle 'ember.finfo'")
        info = np.finfo(d.np)
        self.bits = d.itemsize * 8
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = -self.max
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = builtins.float(10.0 ** -math.floor(-math.log10(self.eps)))
        self.dtype = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment] - unhashable, as torch's


class iinfo:
    """The limits of an integer dtype.

    Attributes:
        bits (int), max, min (int): the largest and smallest values, dtype (str): its name.

    Example::

        >>> ember.iinfo(ember.int8).min
        -128
    """

    bits: int
    max: int
    min: int
    dtype: str

    def __init__(self, type: dt.dtype) -> None:  # noqa: A002 - torch's name
        d = _as_dtype(type, "iinfo")
        if d is dt.bool:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if d.category != dt._INT:
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to "
                            "handle 'ember.iinfo'")
        info = np.iinfo(d.np)
        self.bits = d.itemsize * 8
        self.max = builtins.int(info.max)
        self.min = builtins.int(info.min)
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment]
