"""torch's checkpoint format without torch: the archive ember writes, weights-only loading
(nothing in the file runs), the allowlist, map_location, mmap, pickle arguments, zip64, byte
order, and the legacy format's details. Files torch wrote are in test_torch_interop.py."""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from typing import Any

import numpy as np
import pytest

import ember
from ember.serialization import CheckpointError, load, save
from ember.serialization import _zip as zip_module
from ember.serialization._zip import ZipWriter

RAN: list[Any] = []


def sentinel(*args: Any) -> None:
    RAN.append(args)


class Payload:
    """Pickles as a call of ``sentinel``, as a malicious checkpoint would call os.system."""

    def __reduce__(self) -> Any:
        return (sentinel, ("ran",))


def records(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    writer = ZipWriter(out)
    for name, data in entries.items():
        writer.write(name, data)
    writer.close()
    return out.getvalue()


def saved(obj: Any, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    save(obj, out, **kwargs)
    return out.getvalue()


def test_archive_layout_matches_torchs() -> None:
    base = ember.arange(6.0).reshape(2, 3)
    data = saved({"a": base, "t": base.t(), "n": ember.tensor([1, 2])})
    entries = records(data)
    assert list(entries) == ["archive/data.pkl", "archive/.format_version",
                             "archive/.storage_alignment", "archive/byteorder",
                             "archive/data/0", "archive/data/1", "archive/version",
                             "archive/.data/serialization_id"]
    assert entries["archive/byteorder"] == b"little"
    assert entries["archive/version"] == b"3\n"
    assert np.frombuffer(entries["archive/data/0"], np.float32).tolist() == list(range(6))
    pkl = entries["archive/data.pkl"]
    assert pkl.startswith(b"\x80\x02")
    assert b"ctorch._utils\n_rebuild_tensor_v2\n" in pkl and b"ctorch\nFloatStorage\n" in pkl
    assert b"ctorch\nLongStorage\n" in pkl
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # every record's data is 64-aligned
        assert archive.testzip() is None
        for info in archive.infolist():
            at = info.header_offset
            name_length, extra_length = struct.unpack("<HH", data[at + 26:at + 30])
            assert (at + 30 + name_length + extra_length) % 64 == 0, info.filename
    assert saved({"a": base}) == saved({"a": base})  # files are reproducible


def test_default_load_runs_no_code_from_the_file(tmp_path: Any) -> None:
    RAN.clear()
    path = tmp_path / "evil.pt"
    save({"w": ember.ones(2), "x": Payload()}, path)
    with pytest.raises(CheckpointError, match=r"'.*evil.pt' cannot be loaded with "
                       r"weights_only=True: Unsupported global: GLOBAL "
                       r"tests.serialization.test_torch_format.sentinel") as info:
        load(path)
    assert RAN == []
    assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, RuntimeError)
    # the same with a plain pickle and the usual payload, os.system
    marker = tmp_path / "marker"
    evil = pickle.dumps(_SystemCall(f"touch {marker}"), protocol=2)
    entries = records(saved(ember.ones(1)))
    entries["archive/data.pkl"] = evil
    (tmp_path / "evil2.pt").write_bytes(rezip(entries))
    with pytest.raises(CheckpointError, match="GLOBAL (posix|nt).system"):
        load(tmp_path / "evil2.pt")
    assert not marker.exists()
    # trusted files: weights_only=False unpickles anything, as torch does
    assert load(path, weights_only=False)["x"] is None
    assert RAN == [("ran",)]
    RAN.clear()


class _SystemCall:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> Any:
        return (os.system, (self.command,))


def test_numpy_and_other_objects_need_weights_only_false_or_an_allowlist(tmp_path: Any) -> None:
    path = tmp_path / "np.pt"
    obj = {"array": np.arange(3.0), "tensor": ember.ones(1)}
    save(obj, path)
    with pytest.raises(CheckpointError, match="numpy._core.multiarray._reconstruct"):
        load(path)
    assert load(path, weights_only=False)["array"].tolist() == [0.0, 1.0, 2.0]
    assert load(path, pickle_module=pickle)["array"].tolist() == [0.0, 1.0, 2.0]
    allow = [np._core.multiarray._reconstruct, np.ndarray, np.dtype,
             type(np.dtype(np.float64))]
    with ember.serialization.safe_globals(allow):
        assert load(path)["array"].tolist() == [0.0, 1.0, 2.0]
    assert ember.serialization.get_safe_globals() == []
    ember.serialization.add_safe_globals(allow)
    try:
        assert ember.serialization.get_safe_globals() == allow
        assert load(path)["array"].dtype == np.float64
    finally:
        ember.serialization.clear_safe_globals()
    with pytest.raises(CheckpointError):
        load(path)


def test_pickle_arguments_follow_torch(tmp_path: Any) -> None:
    path = tmp_path / "x.pt"
    save({"w": ember.ones(1)}, path)
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit "
                       "pickle_module is specified"):
        load(path, pickle_module=pickle, weights_only=True)
    with pytest.raises(TypeError, match="fix_imports"):
        load(path, fix_imports=False)
    assert load(path, weights_only=False, fix_imports=False)["w"].tolist() == [1.0]
    with pytest.raises(TypeError, match="standard pickle module"):
        save(ember.ones(1), path, pickle_module=object())


def test_python2_strings_and_encoding(tmp_path: Any) -> None:
    entries = records(saved(ember.ones(1)))
    entries["archive/data.pkl"] = b"\x80\x02(U\x03abcU\x01\xe9t."  # SHORT_BINSTRING
    path = tmp_path / "py2.pt"
    path.write_bytes(rezip(entries))
    with pytest.raises(CheckpointError, match="UnicodeDecodeError"):
        load(path)
    assert load(path, encoding="latin1") == ("abc", "\xe9")
    assert load(path, encoding="bytes") == (b"abc", b"\xe9")


def _with_location(location: str) -> bytes:
    entries = records(saved({"w": ember.arange(3.0)}))
    entries["archive/data.pkl"] = entries["archive/data.pkl"].replace(
        b"X\x03\x00\x00\x00cpu", b"X" + struct.pack("<I", len(location)) + location.encode())
    return rezip(entries)


def test_map_location(tmp_path: Any) -> None:
    path = tmp_path / "gpu.pt"
    path.write_bytes(_with_location("cuda:0"))
    with pytest.raises(CheckpointError, match="CUDA device.*map_location='cpu'"):
        load(path)
    for mapping in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"},
                    lambda storage, location: storage):
        assert load(path, map_location=mapping)["w"].tolist() == [0.0, 1.0, 2.0]
    seen = []
    load(path, map_location=lambda storage, location: seen.append(location) or storage)
    assert seen == ["cuda:0"]
    with pytest.raises(CheckpointError, match="CUDA"):
        load(path, map_location=lambda storage, location: None)  # None: the saved device
    with pytest.raises(TypeError, match="must return the storage"):
        load(path, map_location=lambda storage, location: 3)
    with pytest.raises(ZeroDivisionError):  # the function's own error, not a file error
        load(path, map_location=lambda storage, location: 1 / 0)
    with pytest.raises(RuntimeError, match="CPU only"):
        load(path, map_location="cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        load(path, map_location={"cuda:0": "cuda:1"})
    with pytest.raises(TypeError, match="map_location"):
        load(path, map_location=3)
    path.write_bytes(_with_location("mps"))
    with pytest.raises(CheckpointError, match="device 'mps'"):
        load(path)
    assert load(path, map_location="cpu")["w"].tolist() == [0.0, 1.0, 2.0]


def test_mmap_maps_copy_on_write(tmp_path: Any) -> None:
    path = tmp_path / "m.pt"
    base = ember.arange(8.0)
    save({"base": base, "view": base[2:5]}, path)
    loaded = load(path, mmap=True)
    assert loaded["view"].tolist() == [2.0, 3.0, 4.0]
    loaded["base"][3] = -1.0
    assert loaded["view"][1].item() == -1.0  # shared memory
    assert load(path)["base"][3].item() == 3.0  # the file is unchanged
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap"):
        load(io.BytesIO(path.read_bytes()), mmap=True)
    save(base, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used with zip checkpoints"):
        load(tmp_path / "legacy.pt", mmap=True)


def test_zip64_records(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(zip_module, "_ZIP64_LIMIT", 40)
    obj = {"big": ember.arange(64.0), "small": ember.ones(2)}
    data = saved(obj)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.getinfo("archive/data/0").file_size == 256
    loaded = load(data)
    assert loaded["big"].tolist() == list(range(64)) and loaded["small"].tolist() == [1.0, 1.0]
    path = tmp_path / "z64.pt"
    path.write_bytes(data)
    assert load(path, mmap=True)["big"][63].item() == 63.0


def test_big_endian_files(tmp_path: Any) -> None:
    obj = {"f": ember.arange(4.0), "i": ember.arange(3, dtype=ember.int16),
           "c": ember.tensor([1 + 2j]), "b": ember.tensor([True, False])}
    entries = records(saved(obj))
    entries["archive/byteorder"] = b"big"
    for key, dtype in (("0", ">f4"), ("1", ">i2"), ("2", ">c8")):
        name = f"archive/data/{key}"
        entries[name] = np.frombuffer(entries[name], dtype[1:]).astype(dtype).tobytes()
    loaded = load(rezip(entries))
    for name, t in obj.items():
        np.testing.assert_array_equal(loaded[name].numpy(), t.numpy())
    assert "archive/byteorder" not in records(saved(obj, _disable_byteorder_record=True))
    assert load(saved(obj, _disable_byteorder_record=True))["f"].tolist() == [0, 1, 2, 3]


def test_streams_without_seek_and_files_with_a_prefix() -> None:
    class WriteOnly:
        def __init__(self) -> None:
            self.chunks: list[bytes] = []

        def write(self, data: Any) -> int:
            self.chunks.append(bytes(data))
            return len(data)

    sink = WriteOnly()
    save({"w": ember.ones(2)}, sink)
    data = b"".join(sink.chunks)

    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self.stream = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            return self.stream.read(n)

    assert load(ReadOnly(data))["w"].tolist() == [1.0, 1.0]
    prefixed = io.BytesIO(b"header" + data)
    prefixed.seek(6)
    assert load(prefixed)["w"].tolist() == [1.0, 1.0]


def test_legacy_format_layout() -> None:
    data = saved({"a": ember.arange(3.0)}, _use_new_zipfile_serialization=False)
    stream = io.BytesIO(data)
    assert pickle.load(stream) == 0x1950A86A20F9469CFC6C
    assert pickle.load(stream) == 1001
    assert pickle.load(stream)["little_endian"] is True
    stream.seek(data.index(b"]q\x00X\x01\x00\x00\x000q\x01a."))
    assert pickle.load(stream) == ["0"]
    assert struct.unpack("<q", stream.read(8)) == (3,)
    assert np.frombuffer(stream.read(), np.float32).tolist() == [0.0, 1.0, 2.0]


def _tensor_pickle(storage: str, size: int, shape: tuple, stride: tuple, extra: bytes = b"",
                   offset: int = 0) -> bytes:
    def text(s: str) -> bytes:
        return b"X" + struct.pack("<I", len(s)) + s.encode()

    def ints(values: tuple) -> bytes:
        return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"

    pid = (b"(" + text("storage") + f"ctorch\n{storage}\n".encode() + text("0") + text("cpu")
           + b"J" + struct.pack("<i", size) + b"tQ")
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"J"
            + struct.pack("<i", offset) + ints(shape) + ints(stride)
            + b"\x89ccollections\nOrderedDict\n)R" + extra + b"tR.")


def _checkpoint(pkl: bytes, data: bytes) -> bytes:
    return rezip({"archive/data.pkl": pkl, "archive/data/0": data,
                  "archive/version": b"3\n"})


def test_handwritten_checkpoints() -> None:
    data = np.arange(6, dtype=np.float32).tobytes()
    assert load(_checkpoint(_tensor_pickle("FloatStorage", 6, (2, 3), (3, 1)), data)).tolist() \
        == [[0, 1, 2], [3, 4, 5]]
    t = load(_checkpoint(_tensor_pickle("FloatStorage", 6, (3, 2), (1, 3)), data))
    assert t.stride() == (1, 3) and t.tolist() == [[0, 3], [1, 4], [2, 5]]
    t = load(_checkpoint(_tensor_pickle("FloatStorage", 6, (2,), (2,), offset=1), data))
    assert t.tolist() == [1.0, 3.0]
    neg = _tensor_pickle("FloatStorage", 6, (6,), (1,), b"}X\x03\x00\x00\x00neg\x88s")
    assert load(_checkpoint(neg, data)).tolist() == [0, -1, -2, -3, -4, -5]
    with pytest.raises(CheckpointError, match="reaches element 6 of a storage of 6"):
        load(_checkpoint(_tensor_pickle("FloatStorage", 6, (7,), (1,)), data))
    with pytest.raises(CheckpointError, match="24 bytes where its id says 7 elements"):
        load(_checkpoint(_tensor_pickle("FloatStorage", 7, (6,), (1,)), data))
    with pytest.raises(CheckpointError, match="bfloat16 dtype"):
        load(_checkpoint(_tensor_pickle("BFloat16Storage", 12, (12,), (1,)), data))
    with pytest.raises(CheckpointError, match="has no record 'archive/data/0'"):
        load(rezip({"archive/data.pkl": _tensor_pickle("FloatStorage", 6, (6,), (1,))}))
