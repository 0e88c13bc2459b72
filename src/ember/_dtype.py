"""dtypes, the default dtype, and torch's type promotion rules expressed over NumPy dtypes.

NumPy and torch disagree on promotion in a few places that matter to users:

* ``int64 tensor * 2.5`` is float32 in torch (the default dtype), float64 in NumPy;
* a 0-d tensor ranks below a dimensioned one of the same category in torch
  (``float64 0-d * float32 vector`` stays float32), while NumPy 2 treats it as a full array;
* ``int64 + float16`` is float16 in torch, float64 in NumPy.

So ember computes the result dtype itself (``result_type``) and NumPy only ever sees operands
that already share it.
"""

from __future__ import annotations

import builtins
from functools import cache, lru_cache

import ml_dtypes
import numpy as np

# Categories, ordered: a higher category always wins a promotion.
_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, spelled and printed like torch's (``ember.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize",
                 "category")

    def __init__(self, name: str, np_dtype: type) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        # ml_dtypes' bfloat16 is a NumPy extension type (kind "V"); it is a float for torch
        kind = "f" if name == "bfloat16" else self.np.kind
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "ifc"
        self.itemsize = self.np.itemsize
        self.category = {"b": _BOOL, "u": _INT, "i": _INT, "f": _FLOAT, "c": _COMPLEX}[kind]

    def __repr__(self) -> str:
        return "ember." + self.name

    __str__ = __repr__

    def __reduce__(self) -> str:
        # Pickled by name so that unpickling yields the module-level singleton.
        return self.name

    def to_complex(self) -> dtype:
        return complex128 if self is float64 else complex64

    def to_real(self) -> dtype:
        return float64 if self is complex128 else float32 if self is complex64 else self


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001 - torch spells it ember.bool
# NumPy has no bfloat16; the ml_dtypes extension supplies the storage type and its casts
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16)

# torch's aliases
half = float16
float = float32  # noqa: A001
double = float64
cfloat = complex64
cdouble = complex128
short = int16
int = int32  # noqa: A001
long = int64

all_dtypes = (float16, float32, float64, complex64, complex128, uint8, int8, int16, int32, int64,
              bool, bfloat16)
_BY_NUMPY: dict[np.dtype, dtype] = {d.np: d for d in all_dtypes}

_default_dtype = float32


def get_default_dtype() -> dtype:
    """Returns the dtype a Python float becomes (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Sets the dtype Python floats become. Only float32 and float64 are allowed, as in torch.

    Args:
        d (ember.dtype): the new default floating point dtype.
    """
    global _default_dtype
    if d not in (float32, float64, float16, bfloat16):
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = d
    # promotion results involving Python floats depend on the default dtype
    binary_result_np.cache_clear()
    scalar_results.clear()


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported "
            "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, "
            "int8, uint8, and bool.") from None


def to_numpy_dtype(d: dtype | np.dtype | type | str | None) -> np.dtype | None:
    """Accepts an ember dtype (or a NumPy dtype, or a Python type) and gives the NumPy dtype."""
    if d is None:
        return None
    if isinstance(d, dtype):
        return d.np
    if d is builtins.float:
        return _default_dtype.np
    if d is builtins.int:
        return int64.np
    if d is builtins.bool:
        return bool.np
    return from_numpy_dtype(np.dtype(d)).np


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both ``a`` and ``b`` convert to without loss of
    category (a float beats any integer, whatever their sizes)."""
    return _BY_NUMPY[_promote_np(a.np, b.np)]


@cache
def _promote_np(a: np.dtype, b: np.dtype) -> np.dtype:
    if a == b:
        return a
    ca, cb = _BY_NUMPY[a].category, _BY_NUMPY[b].category
    if ca != cb and max(ca, cb) >= _FLOAT:
        high, low = (a, b) if ca > cb else (b, a)
        if high.kind == "c" and low.kind in "fV":
            return np.promote_types(high, low)
        return high
    return np.promote_types(a, b)


def scalar_category(value: object) -> builtins.int:
    if isinstance(value, builtins.bool):
        return _BOOL
    if isinstance(value, builtins.int):
        return _INT
    if isinstance(value, builtins.float):
        return _FLOAT
    if isinstance(value, builtins.complex):
        return _COMPLEX
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def scalar_dtype(value: object) -> np.dtype:
    """The dtype a Python scalar becomes when it is made into a tensor on its own."""
    category = scalar_category(value)
    if category == _FLOAT:
        return _default_dtype.np
    if category == _COMPLEX:
        return (complex128 if _default_dtype is float64 else complex64).np
    return int64.np if category == _INT else bool.np


_CATEGORY_DTYPE = {_BOOL: bool.np, _INT: int64.np}


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """Merges a result from a higher-priority class of operands (dimensioned tensors over 0-d
    tensors over Python scalars) with one from a lower class: the lower only matters when it
    is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _BY_NUMPY[higher].category, _BY_NUMPY[lower].category
    if cl > ch:
        if ch == _FLOAT and cl == _COMPLEX:
            return _BY_NUMPY[higher].to_complex().np
        if cl == _FLOAT and ch == _BOOL:
            return lower
        return _promote_np(higher, lower) if ch == _BOOL or cl >= _FLOAT else higher
    return higher


def result_type_np(operands: tuple) -> np.dtype:
    """torch.result_type over ndarrays and Python scalars, as a NumPy dtype.

    0-d arrays count as 0-d tensors; Python numbers are 'wrapped' scalars whose float
    category maps to the default dtype.
    """
    dim_result = zero_result = scalar_result = None
    for op in operands:
        if isinstance(op, np.ndarray):
            if op.ndim:
                dim_result = op.dtype if dim_result is None else _promote_np(dim_result, op.dtype)
            else:
                zero_result = op.dtype if zero_result is None else _promote_np(zero_result,
                                                                               op.dtype)
        elif op is not None:
            d = scalar_dtype(op)
            scalar_result = d if scalar_result is None else _promote_np(scalar_result, d)
    result = _combine(dim_result, _combine(zero_result, scalar_result))
    assert result is not None, "result_type needs at least one operand"
    return result


@lru_cache(maxsize=4096)
def binary_result_np(a: np.dtype, a_zero_dim: builtins.bool, b: np.dtype | type,
                     b_zero_dim: builtins.bool) -> np.dtype:
    """Cached promotion for the common two-operand case. ``b`` may be a Python scalar type
    (``float``, ``int``, ``bool``, ``complex``) standing for a wrapped scalar."""
    if isinstance(b, np.dtype):
        dims = [d for d, z in ((a, a_zero_dim), (b, b_zero_dim)) if not z]
        zeros = [d for d, z in ((a, a_zero_dim), (b, b_zero_dim)) if z]
        dim_r = _promote_np(*dims) if len(dims) == 2 else (dims[0] if dims else None)
        zero_r = _promote_np(*zeros) if len(zeros) == 2 else (zeros[0] if zeros else None)
        result = _combine(dim_r, zero_r)
    else:
        scalar = scalar_dtype(b(0) if b is not builtins.bool else False)
        result = _combine(a, scalar)
    assert result is not None
    return result


# (array dtype, Python scalar type) -> result dtype; the hot path of tensor-scalar ops
scalar_results: dict[tuple, np.dtype] = {}


def can_cast(src: dtype, dst: dtype) -> builtins.bool:
    """torch.can_cast as used by in-place ops and ``out=``: only a category downgrade fails."""
    return src.category <= dst.category


_KIND_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
               "bfloat16": "BFloat16"}


def kind_name(d: dtype) -> str:
    """torch's C++ name of a dtype, as its error messages spell it ('Float', 'Long')."""
    return _KIND_NAMES[d.name]


# NOTE [bfloat16's kind]
#     ml_dtypes' bfloat16 is a NumPy extension type whose ``dtype.kind`` is "V". ember's checks
#     of floating-ness on NumPy dtypes therefore read ``kind in "fV"`` (floating) and
#     ``kind in "fcV"`` (floating or complex): no other "V" dtype is ever a tensor's.
BFLOAT16 = bfloat16.np


def is_floating_np(np_dtype: np.dtype) -> builtins.bool:
    """Whether a NumPy dtype is one of ember's floating dtypes (bfloat16 included, whose NumPy
    kind is "V")."""
    return np_dtype.kind in "fV"


def finfo_eps(np_dtype: np.dtype) -> builtins.float:
    return builtins.float(np.finfo(np_dtype).eps)
