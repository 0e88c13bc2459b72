"""ember.save and ember.load: tensors and state dicts in safetensors files, never pickle.

NOTE [File format]
    A file is a plain safetensors file. Each tensor in ``obj`` is one safetensors tensor,
    named by its path of keys and indices joined with dots: a model's
    ``{"fc.weight": W}`` stores ``"fc.weight"``, an optimizer state dict stores
    ``"state.0.exp_avg"``, a lone tensor ``"tensor"`` (a name already taken gets a ``#n``
    suffix; a tensor object met twice is stored once). So a flat dict of tensors saved by
    ember is what ``safetensors.torch.load_file`` expects, and the other way round.

    Everything else (the nesting, dict key types, tuples, Python scalars, strings, None,
    ``requires_grad``) is a JSON document in the safetensors metadata under the key
    ``"ember"``: ``{"format": "ember", "version": 1, "root": <node>}``. A node is a JSON
    null, bool, int, str or finite float, a JSON list (a Python list), or an object with one
    tag: ``{"tensor": name}`` (plus ``"requires_grad"``/``"parameter"`` flags),
    ``{"tuple": [...]}``, ``{"dict": [[key, value], ...], "type": "dict" | "OrderedDict" |
    "Counter"}``, ``{"float": "inf" | "-inf" | "nan"}``, ``{"size": [...]}`` or
    ``{"dtype": name}``. Loading only parses JSON and copies arrays: it never runs code
    from the file. A file without the ``"ember"`` metadata (e.g. written by
    ``safetensors.torch.save_file``) loads as a dict of its tensors.

    safetensors is an optional dependency, imported on first use.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections import Counter, OrderedDict
from typing import IO, Any

import numpy as np

from . import _dtype as dt
from ._tensor import Size, Tensor, _make, check_device

__all__ = ["save", "load"]

_KEY = "ember"
_VERSION = 1
_ROOT_NAME = "tensor"
_DICT_TYPES: dict[type, str] = {dict: "dict", OrderedDict: "OrderedDict", Counter: "Counter"}
_DICT_BY_NAME = {name: cls for cls, name in _DICT_TYPES.items()}
FileLike = str | os.PathLike | IO[bytes]


def _safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ember.save and ember.load store tensors in the safetensors format, which needs "
            "the safetensors package: pip install safetensors") from error
    return safetensors.numpy


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
        if t._data.dtype.kind == "c" and t._data.dtype != np.complex64:
            raise TypeError(f"ember.save: safetensors cannot store {t.dtype} tensors ({name!r})")
        data = t._data  # (np.ascontiguousarray would turn a 0-d array into a 1-d one)
        self.arrays[name] = data if data.flags.c_contiguous else data.copy(order="C")
        self.names[id(t)] = name
        self.keep.append(t)
        return name

    def encode(self, obj: Any, path: list[str]) -> Any:
        if isinstance(obj, Tensor):
            node: dict[str, Any] = {"tensor": self.tensor_name(obj, path)}
            if obj._requires_grad:
                node["requires_grad"] = True
            from .nn.parameter import Parameter

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
            f"ember.save cannot store an object of type {type(obj).__name__}{hint}: files hold "
            "tensors, dicts, lists, tuples, numbers, strings, bools and None")

    def encode_key(self, key: Any) -> Any:
        if isinstance(key, Tensor):
            raise TypeError("ember.save: tensors cannot be dict keys in a saved object")
        return self.encode(key, [])


def save(obj: Any, f: FileLike, pickle_module: Any = None, pickle_protocol: Any = None,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Saves tensors, or dicts/lists/tuples of them with Python scalars, to a safetensors file.

    Args:
        obj: a tensor, a state dict (of a model, optimizer or scheduler) or any nesting of
            dicts, lists and tuples of tensors, numbers, strings, bools and None.
        f: a path, or a binary file-like object to write to.
        pickle_module, pickle_protocol: not supported (ember never pickles).

    Example::

        >>> ember.save({"w": ember.ones(2)}, "weights.safetensors")
        >>> ember.load("weights.safetensors")
        {'w': tensor([1., 1.])}
    """
    if pickle_module is not None or pickle_protocol is not None:
        raise TypeError("ember.save: pickle_module and pickle_protocol are not supported: ember "
                        "writes safetensors files and never pickles")
    writer = _Writer()
    root = writer.encode(obj, [])
    document = {"format": "ember", "version": _VERSION, "root": root}
    metadata = {_KEY: json.dumps(document, allow_nan=False, separators=(",", ":"))}
    data = _safetensors().save(writer.arrays, metadata=metadata)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as file:
            file.write(data)
    else:
        f.write(data)


def _read_bytes(f: FileLike) -> tuple[bytes, str]:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return file.read(), repr(os.fspath(f))
    if isinstance(f, (bytes, bytearray)):
        return bytes(f), "the data"
    data = f.read()
    return data, repr(getattr(f, "name", "the file"))


def _header(data: bytes, what: str) -> dict[str, Any]:
    """The safetensors JSON header, with errors that say what the file is instead."""
    looks_safetensors = len(data) >= 9 and data[8:9] == b"{" and struct.unpack(
        "<Q", data[:8])[0] <= len(data) - 8
    if not looks_safetensors and (data[:4] == b"PK\x03\x04" or data[:1] == b"\x80"):
        raise RuntimeError(
            f"ember.load: {what} is a PyTorch pickle checkpoint (torch.save's format). ember "
            "reads only safetensors files, because loading a pickle can run arbitrary code. "
            "Convert it in PyTorch: `from safetensors.torch import save_file; "
            "save_file(torch.load(path, weights_only=True), 'model.safetensors')` (for a flat "
            "dict of tensors, e.g. a model's state_dict()).")
    if len(data) < 8:
        raise RuntimeError(f"ember.load: {what} is not a safetensors file (it is too short)")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8 or data[8:9] != b"{":
        raise RuntimeError(f"ember.load: {what} is not a safetensors file")
    return json.loads(data[8:8 + size])


def _check_map_location(map_location: Any) -> None:
    if map_location is None:
        return
    if isinstance(map_location, dict):
        for target in map_location.values():
            check_device(target)
        return
    if callable(map_location):
        raise TypeError("ember.load: a callable map_location is not supported (ember loads "
                        "every tensor to the CPU); pass None or 'cpu'")
    check_device(map_location)


class _Reader:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.tensors: dict[str, Tensor] = {}

    def tensor(self, node: dict[str, Any]) -> Tensor:
        name = node["tensor"]
        made = self.tensors.get(name)
        if made is not None:
            return made
        data = self.arrays[name]
        if not data.flags.writeable:
            data = data.copy()
        if node.get("parameter"):
            from .nn.parameter import Parameter

            t: Tensor = Parameter(_make(data), requires_grad=bool(node.get("requires_grad")))
        else:
            t = _make(data)
            if node.get("requires_grad"):
                t.requires_grad_(True)
        self.tensors[name] = t
        return t

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            raise RuntimeError(f"ember.load: malformed structure node {node!r}")
        if "tensor" in node:
            return self.tensor(node)
        if "tuple" in node:
            return tuple(self.decode(v) for v in node["tuple"])
        if "dict" in node:
            out = _DICT_BY_NAME.get(node.get("type", "dict"), dict)()
            for key, value in node["dict"]:  # item by item: Counter(pairs) would count them
                out[self.decode_key(key)] = self.decode(value)
            return out
        if "float" in node:
            return float(node["float"])
        if "size" in node:
            return Size(node["size"])
        if "dtype" in node:
            return getattr(dt, node["dtype"])
        raise RuntimeError(f"ember.load: malformed structure node {node!r}")

    def decode_key(self, node: Any) -> Any:
        return self.decode(node)


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: bool | None = None, **pickle_load_args: Any
         ) -> Any:
    """Loads an object saved by :func:`save`, or the tensors of any safetensors file.

    Loading never executes code from the file: the structure is JSON and the tensors are
    raw arrays. PyTorch pickle checkpoints (``.pt`` files from ``torch.save``) are refused
    with an explanation.

    Args:
        f: a path, a binary file-like object, or the bytes of a file.
        map_location: None or the CPU (ember's only device).
        pickle_module: not supported.
        weights_only (bool, optional): accepted; ember's loading is always weights-only safe.
        mmap (bool, optional): accepted; the file is read into memory.

    Returns:
        the saved object; for a safetensors file not written by ember, a dict of tensors.

    Example::

        >>> ember.save(ember.arange(3), "t.safetensors")
        >>> ember.load("t.safetensors")
        tensor([0, 1, 2])
    """
    if pickle_module is not None or pickle_load_args:
        raise TypeError("ember.load: pickle_module and pickle load arguments are not "
                        "supported: ember reads safetensors files and never unpickles")
    _check_map_location(map_location)
    data, what = _read_bytes(f)
    header = _header(data, what)
    arrays = _safetensors().load(data)
    metadata = header.get("__metadata__") or {}
    reader = _Reader(arrays)
    if _KEY not in metadata:
        # as safetensors.torch.load_file returns them: sorted by name
        return {name: reader.tensor({"tensor": name}) for name in sorted(arrays)}
    document = json.loads(metadata[_KEY])
    if document.get("format") != "ember" or document.get("version", 0) > _VERSION:
        raise RuntimeError(f"ember.load: {what} was written by a newer ember (format version "
                           f"{document.get('version')}); upgrade ember to read it")
    return reader.decode(document["root"])
