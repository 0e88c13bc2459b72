"""torch's checkpoint formats, written and read without torch.

NOTE [torch's checkpoint format]
    ``torch.save`` writes a zip archive (records stored uncompressed, data aligned to 64
    bytes) holding, under one top-level directory:

    - ``data.pkl``: the object, pickled (protocol 2 by default). A tensor pickles as
      ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
      OrderedDict())`` (a Parameter wraps that in ``_rebuild_parameter``), and its storage
      as the persistent id ``("storage", torch.FloatStorage, key, "cpu", numel)``;
    - ``data/<key>``: each storage's raw bytes, in the order ``byteorder`` names;
    - ``version``, ``.format_version``, ``.storage_alignment``, ``.data/serialization_id``.

    Tensors sharing memory share a storage (views keep their offset and strides), so a
    loaded checkpoint shares memory exactly where the saved one did.

    The legacy format (``_use_new_zipfile_serialization=False``, torch before 1.6) is a
    sequence of pickles: a magic number, the protocol version 1001, a dict describing the
    machine, the object (persistent ids carry a sixth field, a storage view or None), the
    list of storage keys; then each storage as an 8-byte element count and its bytes.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import struct
import sys
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Size, Tensor, device
from ._common import STORAGE_NAME_OF, fail
from ._policy import WeightsOnlyHooks, trusted_load
from ._rebuild import LoadedStorage, StorageType
from ._unpickler import PassThrough, RestrictedUnpickler
from ._zip import ZipReader, ZipWriter

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
_ARCHIVE = "archive"


# --- saving -------------------------------------------------------------------------------
class TorchGlobal:
    """A name in torch (``torch._utils._rebuild_tensor_v2``) that a pickle refers to; written
    as a ``GLOBAL`` opcode, so saving never imports torch."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, *args: Any) -> Any:  # pickle requires a reduce function be callable
        raise TypeError(f"{self.module}.{self.name} is a name in torch, not callable in ember")


_REBUILD_TENSOR = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
_SIZE = TorchGlobal("torch", "Size")
_DEVICE = TorchGlobal("torch", "device")
_STORAGE_TYPES = {d: TorchGlobal("torch", name) for d, name in STORAGE_NAME_OF.items()}
_DTYPES = {d: TorchGlobal("torch", d.name) for d in dt.all_dtypes}


class SavedStorage:
    """A block of memory to be written as one storage record, and its key."""

    __slots__ = ("key", "dtype", "array")

    def __init__(self, key: str, dtype: dt.dtype, array: np.ndarray) -> None:
        self.key = key
        self.dtype = dtype
        self.array = array  # C- or F-contiguous; its memory is the storage

    def numel(self) -> int:
        return int(self.array.size)

    def bytes(self) -> memoryview:
        block = self.array if self.array.flags.c_contiguous else self.array.T
        return memoryview(block.reshape(-1).view(np.uint8))


class StorageTable:
    """Finds the storage behind each tensor, so views of one array share one record."""

    def __init__(self) -> None:
        self.storages: list[SavedStorage] = []
        self.by_root: dict[int, SavedStorage] = {}

    def locate(self, array: np.ndarray) -> tuple[SavedStorage, int, tuple[int, ...]]:
        """The storage holding ``array``, its offset and strides there (in elements)."""
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        found = _place_in(array, root)
        if found is None:  # empty, or not expressible as a torch view of its base: a copy
            root = array.copy(order="C")
            found = 0, _contiguous_strides(array.shape)
        storage = self.by_root.get(id(root))
        if storage is None:
            storage = SavedStorage(str(len(self.storages)), dt.from_numpy_dtype(root.dtype),
                                   root)
            self.storages.append(storage)
            self.by_root[id(root)] = storage
        return storage, found[0], found[1]


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _place_in(array: np.ndarray, root: np.ndarray) -> tuple[int, tuple[int, ...]] | None:
    """``array``'s offset and strides in elements within ``root``'s memory, if torch can
    express it (same dtype, whole elements, no negative strides)."""
    if (root.dtype != array.dtype or not array.dtype.isnative or array.size == 0
            or not (root.flags.c_contiguous or root.flags.f_contiguous)):
        return None
    item = array.itemsize
    delta = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    strides = []
    for n, s in zip(array.shape, array.strides):
        if n == 1:
            s = 0 if s % item or s < 0 else s  # a size-1 dim's stride is never used
        if s < 0 or s % item:
            return None
        strides.append(s // item)
    if delta < 0 or delta % item:
        return None
    return delta // item, tuple(strides)


class TorchPickler(pickle._Pickler):  # type: ignore[name-defined, misc]
    """Pickles like ``torch.save``: ember tensors as torch tensors, ember dtypes, sizes and
    devices as torch's. Python's pure-Python pickler, because only it lets a subclass write a
    ``GLOBAL`` for a name it cannot import."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

    def __init__(self, file: IO[bytes], protocol: int, table: StorageTable,
                 legacy: bool = False) -> None:
        super().__init__(file, protocol)
        self.table = table
        self.legacy = legacy

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is not SavedStorage:
            return None
        pid = ("storage", _STORAGE_TYPES[obj.dtype], obj.key, "cpu", obj.numel())
        return (*pid, None) if self.legacy else pid

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            from ..nn.parameter import Parameter

            if isinstance(obj, Parameter):
                return (_REBUILD_PARAMETER,
                        (_TensorData(obj), obj.requires_grad, OrderedDict()))
            return self.reduce_tensor(obj, obj.requires_grad)
        if type(obj) is _TensorData:
            return self.reduce_tensor(obj.tensor, False)
        if type(obj) is Size:
            return (_SIZE, (tuple(obj),))
        if type(obj) is device:
            return (_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def reduce_tensor(self, t: Tensor, requires_grad: bool) -> tuple:
        storage, offset, strides = self.table.locate(t._data)
        return (_REBUILD_TENSOR, (storage, offset, tuple(t._data.shape), strides,
                                  requires_grad, OrderedDict()))

    def save_torch_global(self, obj: TorchGlobal) -> None:
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def save_dtype(self, obj: dt.dtype) -> None:
        self.save_torch_global(_DTYPES[obj])

    dispatch[TorchGlobal] = save_torch_global
    dispatch[dt.dtype] = save_dtype


class _TensorData:
    """A Parameter's data, pickled as the plain tensor ``_rebuild_parameter`` wraps."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor


def _pickle(obj: Any, protocol: int, legacy: bool) -> tuple[bytes, StorageTable]:
    table = StorageTable()
    out = io.BytesIO()
    TorchPickler(out, protocol, table, legacy).dump(obj)
    return out.getvalue(), table


def save_zip(obj: Any, out: IO[bytes], protocol: int, byteorder_record: bool = True) -> None:
    """Writes ``obj`` in torch's zip checkpoint format."""
    payload, table = _pickle(obj, protocol, legacy=False)
    writer = ZipWriter(out)
    writer.write(f"{_ARCHIVE}/data.pkl", payload)
    writer.write(f"{_ARCHIVE}/.format_version", b"1")
    writer.write(f"{_ARCHIVE}/.storage_alignment", b"64")
    if byteorder_record:
        writer.write(f"{_ARCHIVE}/byteorder", sys.byteorder.encode())
    for storage in table.storages:
        writer.write(f"{_ARCHIVE}/data/{storage.key}", storage.bytes())
    writer.write(f"{_ARCHIVE}/version", b"3\n")
    # torch writes a random 40-digit id; a digest of the pickle keeps files reproducible
    digest = int.from_bytes(hashlib.sha256(payload).digest(), "big") % 10**40
    writer.write(f"{_ARCHIVE}/.data/serialization_id", f"{digest:040d}".encode())
    writer.close()


def save_legacy(obj: Any, out: IO[bytes], protocol: int) -> None:
    """Writes ``obj`` in torch's legacy (pre-1.6) format."""
    system = {"protocol_version": LEGACY_PROTOCOL, "little_endian": sys.byteorder == "little",
              "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (LEGACY_MAGIC, LEGACY_PROTOCOL, system):
        out.write(pickle.dumps(header, protocol))
    payload, table = _pickle(obj, protocol, legacy=True)
    out.write(payload)
    out.write(pickle.dumps([s.key for s in table.storages], protocol))
    for storage in table.storages:
        out.write(struct.pack("<q", storage.numel()))
        out.write(storage.bytes())


# --- loading ------------------------------------------------------------------------------
class LoadOptions:
    """What ``ember.load`` was asked for, as the readers need it."""

    def __init__(self, what: str, weights_only: bool, map_location: Any, pickle_module: Any,
                 load_args: dict[str, Any]) -> None:
        self.what = what
        self.weights_only = weights_only
        self.map_location = map_location
        self.pickle_module = pickle_module
        self.load_args = load_args

    def unpickle(self, data: bytes, persistent_load: Any, start: int = 0) -> tuple[Any, int]:
        """The object pickled in ``data`` at ``start`` and where its pickle ends."""
        try:
            if self.weights_only:
                hooks = WeightsOnlyHooks(self.what, persistent_load)
                encoding = self.load_args.get("encoding", "ASCII")
                return RestrictedUnpickler(data, hooks, self.what, encoding, start).load()
            return trusted_load(self.pickle_module, data, self.what, persistent_load,
                                self.load_args, start)
        except PassThrough as carrier:
            raise carrier.error from None

    def restore(self, storage: LoadedStorage, location: Any) -> LoadedStorage:
        """Applies ``map_location`` to a storage saved at ``location``."""
        if type(location) is not str:
            raise fail(self.what, "has a corrupt storage id (its location is not a string)")
        target: Any = location
        mapping = self.map_location
        if isinstance(mapping, dict):
            target = mapping.get(location, location)
        elif callable(mapping) and not isinstance(mapping, (str, device)):
            try:
                result = mapping(storage, location)
            except Exception as error:  # the user's function failed: show its own error
                raise PassThrough(error) from error
            if result is not None and result is not storage:
                raise PassThrough(TypeError(
                    "ember.load: a map_location function must return the storage it was given "
                    "(ember loads every tensor to the CPU) or None"))
            if result is storage:
                return storage
        elif mapping is not None:
            return storage  # a CPU device, checked when load was called
        name = str(target)
        if name.startswith("cuda"):
            raise fail(self.what, "holds tensors saved on a CUDA device, and ember computes "
                                  "on the CPU only. Attempting to deserialize object on a CUDA "
                                  "device but torch.cuda.is_available() is False; use "
                                  "map_location='cpu' to map the storages to the CPU.")
        if name != "cpu" and not name.startswith("cpu:"):
            raise fail(self.what, f"holds tensors saved on device {name!r}; pass "
                                  "map_location='cpu' to load them to the CPU")
        return storage


def _storage_id(pid: Any, what: str, fields: int) -> tuple[StorageType, str, str, int, Any]:
    if (type(pid) is not tuple or len(pid) != fields or pid[0] != "storage"
            or type(pid[1]) is not StorageType or type(pid[2]) is not str
            or type(pid[4]) is not int or pid[4] < 0):
        raise fail(what, f"has a corrupt storage id {_short(pid)}")
    return pid[1], pid[2], pid[3], pid[4], pid[5] if fields == 6 else None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_zip(file: IO[bytes], options: LoadOptions, mapped: Any = None) -> Any:
    """Loads torch's zip format; ``mapped`` is the file mapped in memory (``mmap=True``)."""
    what = options.what
    reader = ZipReader(file, what)
    names = reader.names()
    prefix = names[0].split("/", 1)[0] if names else ""
    if reader.has(f"{prefix}/constants.pkl"):
        raise fail(what, "is a TorchScript archive (torch.jit.save), which ember cannot run; "
                         "in torch, save the model's state_dict() instead")
    if not reader.has(f"{prefix}/data.pkl"):
        raise fail(what, "is a zip archive but not a checkpoint (it has no data.pkl record)")
    byteorder = "little"
    if reader.has(f"{prefix}/byteorder"):
        byteorder = bytes(reader.read(f"{prefix}/byteorder")).decode("latin-1")
        if byteorder not in ("little", "big"):
            raise fail(what, f"names an unknown byte order {byteorder[:20]!r}")
    payload = bytes(reader.read(f"{prefix}/data.pkl"))
    records: dict[str, np.ndarray] = {}

    def persistent_load(pid: Any) -> LoadedStorage:
        storage_type, key, location, numel, _ = _storage_id(pid, what, 5)
        dtype = storage_type.dtype
        item = dtype.itemsize if dtype is not None else 1
        data = records.get(key)
        if data is None:
            name = f"{prefix}/data/{key}"
            if mapped is not None:
                start, size = reader.data_offset(name)
                data = np.frombuffer(mapped, np.uint8, size, start)
            else:
                data = np.frombuffer(reader.read(name), np.uint8)
            if byteorder != sys.byteorder and item > 1 and data.nbytes % item == 0:
                data = data.view(dtype.np).byteswap().view(np.uint8)
            records[key] = data
        if data.nbytes != numel * item:
            raise fail(what, f"has a storage record {key!r} of {data.nbytes} bytes where its "
                             f"id says {numel} elements of {item} bytes")
        return options.restore(LoadedStorage(data, dtype), location)

    return options.unpickle(payload, persistent_load)[0]


def _plain(data: bytes, what: str, start: int) -> tuple[Any, int]:
    """A pickle of plain data (no globals at all), e.g. the legacy format's headers."""
    return RestrictedUnpickler(data, _NoGlobals(what), what, "ASCII", start).load()


class _NoGlobals:
    def __init__(self, what: str) -> None:
        self.what = what

    def refuse(self, *args: Any) -> Any:
        raise fail(self.what, "is not a checkpoint: its header names Python objects")

    find_global = call = new = build = persistent_load = refuse


def load_legacy(data: bytes, options: LoadOptions) -> Any:
    """Loads torch's legacy (pre-1.6) format from the file's bytes."""
    what = options.what
    try:
        magic, pos = _plain(data, what, 0)
    except Exception:
        magic = None
    if type(magic) is not int or magic != LEGACY_MAGIC:
        raise fail(what, "is not a checkpoint ember can read: not a zip archive (torch.save's "
                         "format), not torch's legacy format and not a safetensors file")
    version, pos = _plain(data, what, pos)
    if version != LEGACY_PROTOCOL:
        raise fail(what, f"uses legacy protocol version {_short(version)}, not 1001")
    system, pos = _plain(data, what, pos)
    if type(system) is not dict or type(system.get("little_endian", True)) is not bool:
        raise fail(what, "has a corrupt legacy header")
    byteorder = "little" if system.get("little_endian", True) else "big"
    roots: dict[str, tuple[np.ndarray, Any]] = {}  # key -> (bytes, dtype)
    budget = [len(data)]  # storages cannot hold more bytes than the file

    def persistent_load(pid: Any) -> LoadedStorage:
        if type(pid) is tuple and pid[:1] == ("module",):
            raise fail(what, "holds a pickled torch module from torch before 0.4, which ember "
                             "cannot rebuild")
        storage_type, key, location, numel, view = _storage_id(pid, what, 6)
        dtype = storage_type.dtype
        item = dtype.itemsize if dtype is not None else 1
        if key not in roots:
            if numel * item > budget[0]:
                raise fail(what, f"is truncated: storage {key!r} claims {numel * item} bytes")
            budget[0] -= numel * item
            roots[key] = (np.zeros(numel * item, np.uint8), dtype)
        block, _ = roots[key]
        if view is not None:  # (view key, offset, size) of a storage slice, torch < 1.0
            if (type(view) is not tuple or len(view) != 3 or type(view[1]) is not int
                    or type(view[2]) is not int or not 0 <= view[1] <= view[1] + view[2]
                    <= block.nbytes // item):
                raise fail(what, f"has a corrupt storage view {_short(view)}")
            block = block[view[1] * item:(view[1] + view[2]) * item]
        return options.restore(LoadedStorage(block, dtype), location)

    obj, pos = options.unpickle(data, persistent_load, pos)
    keys, pos = _plain(data, what, pos)
    if type(keys) is not list:
        raise fail(what, "has a corrupt list of storage keys")
    filled = set()
    for key in keys:
        if type(key) is not str or key not in roots or key in filled:
            raise fail(what, f"lists an unknown storage key {_short(key)}")
        block, dtype = roots[key]
        item = dtype.itemsize if dtype is not None else 1
        header = data[pos:pos + 8]
        if len(header) < 8 or struct.unpack("<q", header)[0] * item != block.nbytes:
            raise fail(what, f"has a corrupt size for storage {key!r}")
        if pos + 8 + block.nbytes > len(data):
            raise fail(what, f"is truncated in the data of storage {key!r}")
        block[:] = np.frombuffer(data, np.uint8, block.nbytes, pos + 8)
        if byteorder != sys.byteorder and item > 1:
            block.view(dtype.np).byteswap(inplace=True)
        pos += 8 + block.nbytes
        filled.add(key)
    if len(filled) != len(roots):
        raise fail(what, "is truncated: some storages have no data")
    return obj
