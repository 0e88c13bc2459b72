"""What every checkpoint format shares: the one load error, and the names torch gives dtypes."""

from __future__ import annotations

import os
import pickle
from typing import IO, Any

from .. import _dtype as dt

FileLike = str | os.PathLike | IO[bytes]


class CheckpointError(pickle.UnpicklingError, RuntimeError):
    """The error :func:`ember.load` raises for a file it cannot or will not load: malformed
    (truncated, bad zip, bad sizes, bad JSON), holding what ember cannot represent (bfloat16,
    quantized tensors), or, under ``weights_only``, naming a global that is not allowed.

    It is both a ``pickle.UnpicklingError`` (what torch raises when its weights-only loader
    refuses a file) and a ``RuntimeError`` (what torch raises for a corrupt archive), so code
    written against either of torch's errors catches it.
    """


def source_name(f: Any) -> str:
    """How an error names the file being loaded."""
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    if isinstance(f, (bytes, bytearray, memoryview)):
        return "the given bytes"
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, (str, bytes)) else "the file object"


def fail(what: str, problem: str) -> CheckpointError:
    """The error for ``what`` (the file's name): ``raise fail(what, "is truncated")``."""
    return CheckpointError(f"ember.load: {what} {problem}")


# torch's legacy storage classes, by the dtype of their elements ('torch.FloatStorage')
STORAGE_NAMES: dict[str, dt.dtype] = {
    "FloatStorage": dt.float32, "DoubleStorage": dt.float64, "HalfStorage": dt.float16,
    "LongStorage": dt.int64, "IntStorage": dt.int32, "ShortStorage": dt.int16,
    "CharStorage": dt.int8, "ByteStorage": dt.uint8, "BoolStorage": dt.bool,
    "ComplexFloatStorage": dt.complex64, "ComplexDoubleStorage": dt.complex128,
}
STORAGE_NAME_OF: dict[dt.dtype, str] = {d: name for name, d in STORAGE_NAMES.items()}

# torch dtypes and storages ember has no counterpart for: named in errors rather than
# reported as unknown globals
UNSUPPORTED_DTYPES = frozenset({
    "bfloat16", "complex32", "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e4m3fnuz",
    "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8",
    "qint32", "quint4x2", "quint2x4", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
    *(f"int{n}" for n in range(1, 8)), *(f"uint{n}" for n in range(1, 8)),
})
UNSUPPORTED_STORAGES = {
    "BFloat16Storage": "bfloat16", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
}

DTYPES_BY_NAME: dict[str, dt.dtype] = {d.name: d for d in dt.all_dtypes}


def unsupported_dtype(what: str, name: str) -> CheckpointError:
    hint = (" (convert it in torch first, e.g. `{k: v.float() for k, v in state.items()}`)"
            if name == "bfloat16" else "")
    return fail(what, f"holds torch.{name} data, and ember has no {name} dtype{hint}")
