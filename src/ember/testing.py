"""ember.testing: ``assert_close`` with torch's default tolerances and messages.

Tensors are compared for shape, dtype (``check_dtype``) and values: ``|actual - expected| <=
atol + rtol * |expected|`` elementwise, with the tolerances of the dtype when both are omitted
(float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7 each; integers and bool: exact). Python numbers
compare as scalars, and sequences and mappings element by element.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _dtype as dt
from ._tensor import Tensor

__all__ = ["assert_close", "assert_allclose"]

# (rtol, atol) per dtype, as torch's defaults
_TOLERANCES = {
    dt.float16: (1e-3, 1e-5), dt.bfloat16: (1.6e-2, 1e-5), dt.float32: (1.3e-6, 1e-5),
    dt.float64: (1e-7, 1e-7), dt.complex64: (1.3e-6, 1e-5), dt.complex128: (1e-7, 1e-7),
}


def _default_tolerances(*dtypes: dt.dtype) -> tuple[float, float]:
    rtols, atols = zip(*(_TOLERANCES.get(d, (0.0, 0.0)) for d in dtypes))
    return max(rtols), max(atols)


def _tolerances(rtol: float | None, atol: float | None, *dtypes: dt.dtype) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol  # type: ignore[return-value]
    return _default_tolerances(*dtypes)


def _fail(message: str, msg: Any, path: str) -> AssertionError:
    if msg is not None:
        return AssertionError(msg(message) if callable(msg) else msg)
    if path:
        message += f"\n\nThe failure occurred for item {path}"
    return AssertionError(message)


def _compare_scalars(actual: Any, expected: Any, rtol: float | None, atol: float | None,
                     equal_nan: bool, msg: Any, path: str) -> None:
    both_integers = not isinstance(actual, (builtins.float, builtins.complex)) and not isinstance(
        expected, (builtins.float, builtins.complex))
    rtol, atol = _tolerances(rtol, atol, dt.int64 if both_integers else dt.float64)
    _scalar_check(actual, expected, rtol, atol, equal_nan, msg, path)


def _scalar_check(actual: Any, expected: Any, rtol: float, atol: float, equal_nan: bool,
                  msg: Any, path: str) -> None:
    import cmath

    a, e = complex(actual), complex(expected)
    if a == e or (equal_nan and cmath.isnan(a) and cmath.isnan(e)):
        return
    diff = abs(actual - expected)
    if cmath.isfinite(a) and cmath.isfinite(e) and diff <= atol + rtol * abs(expected):
        return
    exact = rtol == 0 and atol == 0
    if expected != 0:
        relative = diff / abs(expected)
    else:
        relative = builtins.float("nan") if diff != diff else builtins.float("inf")
    lines = [f"Scalars are not {'equal' if exact else 'close'}!", "",
             f"Expected {expected} but got {actual}.",
             f"Absolute difference: {diff}" + ("" if exact else f" (up to {atol} allowed)"),
             f"Relative difference: {relative}" + ("" if exact else f" (up to {rtol} allowed)")]
    raise _fail("\n".join(lines), msg, path)


def _compare_tensors(actual: Tensor, expected: Tensor, rtol: float | None, atol: float | None,
                     equal_nan: bool, check_dtype: bool, msg: Any, path: str) -> None:
    if actual.shape != expected.shape:
        raise _fail(f"The values for attribute 'shape' do not match: {actual.shape} != "
                    f"{expected.shape}.", msg, path)
    if check_dtype and actual.dtype is not expected.dtype:
        raise _fail(f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                    f"{expected.dtype}.", msg, path)
    rtol, atol = _tolerances(rtol, atol, actual.dtype, expected.dtype)
    a, e = actual._data, expected._data
    if a.dtype != e.dtype:
        common = dt._BY_NUMPY[dt._promote_np(a.dtype, e.dtype)].np
        a, e = a.astype(common), e.astype(common)
    if a.ndim == 0:
        _scalar_check(a.item(), e.item(), rtol, atol, equal_nan, msg, path)
        return
    if a.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    # closeness is judged in float32 for the half types; the differences reported are
    # computed in the tensors' own dtype, as torch's
    wide = (a.astype(np.float32), e.astype(np.float32)) if a.dtype in (
        np.float16, dt.BFLOAT16) else (a, e)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        close = wide[0] == wide[1]
        close |= np.isfinite(wide[0]) & np.isfinite(wide[1]) & (
            np.abs(wide[0] - wide[1]) <= atol + rtol * np.abs(wide[1]))
        if equal_nan:
            close |= np.isnan(wide[0]) & np.isnan(wide[1])
        if close.all():
            return
        abs_diff = np.abs(a - e)
        if a.dtype.kind in "fcV":
            rel_diff = abs_diff / np.abs(e)
        else:  # integer differences divide in the default float dtype, as torch's division
            default = dt.get_default_dtype().np
            rel_diff = abs_diff.astype(default) / np.abs(e).astype(default)
    exact = rtol == 0 and atol == 0
    mismatches = int((~close).sum())
    total = close.size
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {mismatches} / {total} ({mismatches / total:.1%})"]
    for label, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        flat = diff.reshape(-1)
        nans = np.isnan(flat)
        where = int(np.argmax(nans)) if nans.any() else int(np.argmax(flat))
        index = np.unravel_index(where, diff.shape)
        value = flat[where].item()
        line = f"Greatest {label} difference: {value} at index {tuple(int(i) for i in index)}"
        lines.append(line + ("" if exact else f" (up to {tol} allowed)"))
    raise _fail("\n".join(lines), msg, path)


def _compare(actual: Any, expected: Any, rtol: float | None, atol: float | None,
             equal_nan: bool, check_dtype: bool, msg: Any, path: str) -> None:
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path)
    elif isinstance(actual, (builtins.int, builtins.float, builtins.complex)) and isinstance(
            expected, (builtins.int, builtins.float, builtins.complex)) and not isinstance(
            actual, Tensor):
        if check_dtype and type(actual) is not type(expected):
            raise _fail(f"The values for attribute 'dtype' do not match: {type(actual)} != "
                        f"{type(expected)}.", msg, path)
        _compare_scalars(actual, expected, rtol, atol, equal_nan, msg, path)
    elif isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        from ._creation import from_numpy

        _compare_tensors(from_numpy(actual), from_numpy(expected), rtol, atol, equal_nan,
                         check_dtype, msg, path)
    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise _fail(f"The keys of the mappings do not match:\n\nExpected keys "
                        f"{sorted(map(str, expected))} but got {sorted(map(str, actual))}.",
                        msg, path)
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, msg,
                     f"{path}[{key!r}]")
    elif (isinstance(actual, Sequence) and isinstance(expected, Sequence)
          and not isinstance(actual, str) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _fail(f"The length of the sequences mismatch: {len(actual)} != "
                        f"{len(expected)}", msg, path)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_dtype, msg, f"{path}[{i}]")
    else:
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                        f"and {type(expected)}.")


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: Any = None) -> None:
    """Asserts that ``actual`` and ``expected`` are close, with torch's rules and messages.

    Args:
        actual, expected: tensors, Python numbers, NumPy arrays, or sequences/mappings of them.
        rtol, atol (float, optional): tolerances; both or neither (then the dtype's defaults:
            float32 1.3e-6 and 1e-5, float64 1e-7 and 1e-7, float16 1e-3 and 1e-5, bfloat16
            1.6e-2 and 1e-5, integers exact).
        equal_nan (bool): NaNs compare equal.
        check_dtype (bool): the dtypes must match.
        msg (str or callable, optional): replaces the message (a callable receives it).
        allow_subclasses, check_device, check_layout, check_stride: accepted (ember has one
            device and one layout).

    Raises:
        AssertionError: naming the mismatched elements and the greatest differences.

    Example::

        >>> ember.testing.assert_close(ember.tensor([1.0]), ember.tensor([1.0 + 1e-7]))
    """
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, "")


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated: ``assert_close`` with the old defaults (rtol 1e-4 for float32, NaNs equal,
    dtypes free), as torch keeps it."""
    warnings.warn(
        "`ember.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a "
        "future release. Please use `ember.testing.assert_close()` instead.", FutureWarning,
        stacklevel=2)
    from ._creation import as_tensor

    if not isinstance(actual, Tensor):
        actual = as_tensor(actual)
    if not isinstance(expected, Tensor):
        expected = as_tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        old = {dt.float16: (1e-3, 1e-3), dt.float32: (1e-4, 1e-5), dt.float64: (1e-5, 1e-8)}
        rtol, atol = old.get(actual.dtype, (0.0, 0.0))
    _compare(actual, expected, rtol, atol, equal_nan, False, msg or None, "")
