"""safetensors files: what ``ember.save`` writes for a ``.safetensors`` path.

NOTE [ember's safetensors files]
    A safetensors file is an 8-byte little-endian header length, a JSON header naming each
    tensor's dtype, shape and byte range, and the tensors' bytes. Each tensor in ``obj`` is
    one safetensors tensor, named by its path of keys and indices joined with dots: a model's
    ``{"fc.weight": W}`` stores ``"fc.weight"``, an optimizer state dict stores
    ``"state.0.exp_avg"``, a lone tensor ``"tensor"`` (a name already taken gets a ``#n``
    suffix; a tensor object met twice is stored once). So a flat dict of tensors saved by
    ember is what ``safetensors.torch.load_file`` expects, and the other way round.

    Everything else (the nesting, dict key types, tuples, Python scalars, strings, None,
    ``requires_grad``) is a JSON document in the header's ``__metadata__`` under the key
    ``"ember"``: ``{"format": "ember", "version": 1, "root": <node>}``. A node is a JSON
    null, bool, int, str or finite float, a JSON list (a Python list), or an object with one
    tag: ``{"tensor": name}`` (plus ``"requires_grad"``/``"parameter"`` flags),
    ``{"tuple": [...]}``, ``{"dict": [[key, value], ...], "type": "dict" | "OrderedDict" |
    "Counter"}``, ``{"float": "inf" | "-inf" | "nan"}``, ``{"size": [...]}`` or
    ``{"dtype": name}``. A file without the ``"ember"`` metadata (e.g. written by
    ``safetensors.torch.save_file``) loads as a dict of its tensors.

    Reading parses JSON and copies bytes, checking every name, dtype, shape and range.
"""

from __future__ import annotations

import json
import math
import struct
from collections import Counter, OrderedDict
from typing import IO, Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Size, Tensor, _make
from ._common import DTYPES_BY_NAME, CheckpointError, fail

_KEY = "ember"
_VERSION = 1
_ROOT_NAME = "tensor"
_MAX_HEADER = 100_000_000  # safetensors' own limit
_DICT_TYPES: dict[type, str] = {dict: "dict", OrderedDict: "OrderedDict", Counter: "Counter"}
_DICT_BY_NAME = {name: cls for cls, name in _DICT_TYPES.items()}
_CODES = {dt.float16: "F16", dt.float32: "F32", dt.float64: "F64", dt.int8: "I8",
          dt.int16: "I16", dt.int32: "I32", dt.int64: "I64", dt.uint8: "U8", dt.bool: "BOOL",
          dt.complex64: "C64"}
_BY_CODE = {code: d for d, code in _CODES.items()}
_UNSUPPORTED_CODES = {"BF16": "bfloat16", "U16": "uint16", "U32": "uint32", "U64": "uint64",
                      "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}
_FLOATS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class _Writer:
    """Collects the tensors of an object while turning its structure into JSON."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.names: dict[int, str] = {}  # id(tensor) -> name: a tensor met twice is one entry
        self.keep: list[Tensor] = []  # keeps ids valid while saving

    def tensor_name(self, t: Tensor, path: list[str]) -> str:
        known = self.names.get(id(t))
        if known is not None:
            return known
        base = ".".join(path) if path else _ROOT_NAME
        name, n = base, 0
        while name in self.arrays:
            n += 1
            name = f"{base}#{n}"
        if t.dtype not in _CODES:
            raise TypeError(f"ember.save: safetensors cannot store {t.dtype} tensors ({name!r})")
        self.arrays[name] = t._data.copy(order="C")  # copy(): 0-d arrays stay 0-d
        self.names[id(t)] = name
        self.keep.append(t)
        return name

    def encode(self, obj: Any, path: list[str]) -> Any:
        if isinstance(obj, Tensor):
            node: dict[str, Any] = {"tensor": self.tensor_name(obj, path)}
            if obj._requires_grad:
                node["requires_grad"] = True
            from ..nn.parameter import Parameter

            if isinstance(obj, Parameter):
                node["parameter"] = True
            return node
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            value = float(obj)
            return value if math.isfinite(value) else {"float": repr(value)}
        if isinstance(obj, Size):
            return {"size": list(obj)}
        if isinstance(obj, dt.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, list):
            return [self.encode(v, [*path, str(i)]) for i, v in enumerate(obj)]
        if type(obj) is tuple:
            return {"tuple": [self.encode(v, [*path, str(i)]) for i, v in enumerate(obj)]}
        if type(obj) in _DICT_TYPES:
            items = [[self.encode_key(k), self.encode(v, [*path, str(k)])]
                     for k, v in obj.items()]
            return {"dict": items, "type": _DICT_TYPES[type(obj)]}
        hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
        raise TypeError(
            f"ember.save cannot store an object of type {type(obj).__name__} in a safetensors "
            f"file{hint}: these hold tensors, dicts, lists, tuples, numbers, strings, bools "
            "and None. Save to a .pt path for torch's format, which holds any object")

    def encode_key(self, key: Any) -> Any:
        if isinstance(key, Tensor):
            raise TypeError("ember.save: tensors cannot be dict keys in a saved object")
        return self.encode(key, [])


def save_safetensors(obj: Any, out: IO[bytes]) -> None:
    """Writes ``obj`` as a safetensors file with ember's structure metadata."""
    writer = _Writer()
    document = {"format": "ember", "version": _VERSION, "root": writer.encode(obj, [])}
    header: dict[str, Any] = {"__metadata__": {
        _KEY: json.dumps(document, allow_nan=False, separators=(",", ":"))}}
    # largest elements first keeps every tensor aligned to its element size
    order = sorted(writer.arrays, key=lambda n: (-writer.arrays[n].itemsize, n))
    offset = 0
    for name in order:
        array = writer.arrays[name]
        header[name] = {"dtype": _CODES[dt.from_numpy_dtype(array.dtype)],
                        "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    out.write(struct.pack("<Q", len(text)))
    out.write(text)
    for name in order:
        out.write(memoryview(writer.arrays[name].reshape(-1).view(np.uint8)))


def looks_like_safetensors(head: bytes, size: int) -> bool:
    """Whether a file starting with ``head`` (and ``size`` bytes long) is safetensors."""
    return (len(head) >= 9 and head[8:9] == b"{"
            and struct.unpack("<Q", head[:8])[0] <= size - 8)


def _arrays(body: bytearray, header: dict[str, Any], what: str) -> dict[str, np.ndarray]:
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise fail(what, f"has a malformed safetensors entry {name!r}")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code in _UNSUPPORTED_CODES:
            raise fail(what, f"holds a {_UNSUPPORTED_CODES[code]} tensor {name!r}, and ember "
                             f"has no {_UNSUPPORTED_CODES[code]} dtype")
        if type(code) is not str or code not in _BY_CODE:
            raise fail(what, f"gives tensor {name!r} an unknown dtype {str(code)[:20]!r}")
        if (type(shape) is not list or len(shape) > 64
                or any(type(n) is not int or n < 0 for n in shape)):
            raise fail(what, f"gives tensor {name!r} an invalid shape")
        if (type(offsets) is not list or len(offsets) != 2
                or any(type(n) is not int for n in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= len(body)):
            raise fail(what, f"gives tensor {name!r} byte offsets outside the file")
        dtype = _BY_CODE[code]
        if offsets[1] - offsets[0] != math.prod(shape) * dtype.itemsize:
            raise fail(what, f"gives tensor {name!r} {offsets[1] - offsets[0]} bytes for shape "
                             f"{shape} of {dtype}")
        spans.append((offsets[0], offsets[1], name, dtype, shape))
    spans.sort(key=lambda span: span[:2])
    arrays = {}
    end = 0
    for start, stop, name, dtype, shape in spans:
        if start < end:
            raise fail(what, f"has overlapping tensors ({name!r})")
        end = stop
        count = (stop - start) // dtype.itemsize
        arrays[name] = np.frombuffer(body, dtype.np, count, start).reshape(shape)
    return arrays


class _Reader:
    def __init__(self, arrays: dict[str, np.ndarray], what: str) -> None:
        self.arrays = arrays
        self.what = what
        self.tensors: dict[str, Tensor] = {}

    def tensor(self, name: str, requires_grad: bool = False, parameter: bool = False) -> Tensor:
        made = self.tensors.get(name)
        if made is not None:
            return made
        if type(name) is not str or name not in self.arrays:
            raise fail(self.what, f"refers to a tensor {str(name)[:40]!r} it does not hold")
        t = _make(self.arrays[name])
        if parameter:
            from ..nn.parameter import Parameter

            t = Parameter(t, requires_grad=requires_grad)
        elif requires_grad:
            t.requires_grad_(True)
        self.tensors[name] = t
        return t

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or len(node) < 1:
            raise ValueError("a node is neither a value nor a tagged object")
        if "tensor" in node and set(node) <= {"tensor", "requires_grad", "parameter"}:
            return self.tensor(node["tensor"], node.get("requires_grad") is True,
                               node.get("parameter") is True)
        if set(node) == {"tuple"} and isinstance(node["tuple"], list):
            return tuple(self.decode(v) for v in node["tuple"])
        if set(node) == {"dict", "type"} and node["type"] in _DICT_BY_NAME:
            out = _DICT_BY_NAME[node["type"]]()
            for key, value in node["dict"]:  # item by item: Counter(pairs) would count them
                out[self.decode(key)] = self.decode(value)
            return out
        if set(node) == {"float"} and node["float"] in _FLOATS:
            return _FLOATS[node["float"]]
        if set(node) == {"size"} and isinstance(node["size"], list) and all(
                type(n) is int for n in node["size"]):
            return Size(node["size"])
        if set(node) == {"dtype"} and node["dtype"] in DTYPES_BY_NAME:
            return DTYPES_BY_NAME[node["dtype"]]
        raise ValueError(f"unknown node {str(node)[:60]}")


def load_safetensors(data: bytes, what: str) -> Any:
    """Reads a safetensors file: ember's saved object, or a dict of the tensors sorted by
    name (as ``safetensors.torch.load_file`` returns them)."""
    if len(data) < 8:
        raise fail(what, "is not a safetensors file (it is too short)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8 or size > _MAX_HEADER or data[8:9] != b"{":
        raise fail(what, "is not a safetensors file (its header length is wrong)")
    try:
        header = json.loads(data[8:8 + size])
    except RecursionError:
        raise fail(what, "has a safetensors header nested too deeply") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise fail(what, f"has a corrupt safetensors header ({error})") from None
    if not isinstance(header, dict):
        raise fail(what, "has a safetensors header that is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise fail(what, "has a safetensors __metadata__ that is not a JSON object")
    body = bytearray(memoryview(data)[8 + size:])  # one writable copy the tensors share
    reader = _Reader(_arrays(body, header, what), what)
    if _KEY not in metadata:
        return {name: reader.tensor(name) for name in sorted(reader.arrays)}
    try:
        document = json.loads(metadata[_KEY])
        if not isinstance(document, dict) or document.get("format") != "ember":
            raise ValueError("the ember metadata is not ember's document")
        version = document.get("version")
        if type(version) is int and version > _VERSION:
            raise fail(what, f"was written by a newer ember (format version {version}); "
                             "upgrade ember to read it")
        return reader.decode(document["root"])
    except CheckpointError:
        raise
    except RecursionError:
        raise fail(what, "nests its saved object too deeply") from None
    except Exception as error:  # malformed structure: KeyError, TypeError, ValueError, ...
        raise fail(what, f"has a corrupt ember structure ({type(error).__name__}: "
                         f"{str(error)[:200]})") from None
