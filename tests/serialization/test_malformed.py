"""Malformed, truncated and hostile files: each raises CheckpointError naming the file and
the problem (never UnicodeDecodeError, JSONDecodeError, KeyError, RecursionError or an
internal object), and thousands of seeded byte mutations prove nothing else escapes."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ember
from ember.serialization import CheckpointError, load
from tests.serialization.test_torch_format import records, rezip, saved

ROOT = Path(__file__).resolve().parents[2]


def fails(data: bytes, match: str, tmp_path: Any, name: str = "bad.pt") -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=match) as info:
        load(path)
    assert f"ember.load: {str(path)!r}" in str(info.value)  # names the file


def test_truncated_and_garbled_zip_files(tmp_path: Any) -> None:
    good = saved({"w": ember.arange(100.0), "n": 3})
    fails(good[:len(good) // 2], "not a readable zip archive", tmp_path)
    fails(good[:-10], "not a readable zip archive", tmp_path)
    fails(b"PK\x03\x04" + b"\x00" * 40, "not a readable zip archive", tmp_path)
    fails(b"PK\x05\x06" + b"\x00" * 18, "not a checkpoint", tmp_path)
    corrupt = bytearray(good)
    at = good.index(struct.pack("<f", 50.0))
    corrupt[at] ^= 0xFF
    fails(bytes(corrupt), "record 'archive/data/0' fails its CRC check", tmp_path)
    fails(b"", "is empty", tmp_path)
    fails(b"\x00" * 300 + b"ustar", "not a checkpoint", tmp_path)


def test_wrong_sizes_and_missing_records(tmp_path: Any) -> None:
    entries = records(saved({"w": ember.arange(4.0)}))
    fails(rezip({k: v for k, v in entries.items() if not k.endswith("data.pkl")}),
          "has no data.pkl record", tmp_path)
    fails(rezip({**entries, "archive/data/0": b"\x00" * 12}),
          "record '0' of 12 bytes where its id says 4 elements of 4 bytes", tmp_path)
    fails(rezip({**entries, "archive/byteorder": b"middle"}), "unknown byte order", tmp_path)
    fails(rezip({**entries, "archive/data.pkl": entries["archive/data.pkl"][:-20]}),
          "truncated", tmp_path)


def test_pickle_payloads_and_unsupported_opcodes(tmp_path: Any) -> None:
    entries = records(saved(ember.ones(1)))

    def with_pickle(pkl: bytes) -> bytes:
        return rezip({**entries, "archive/data.pkl": pkl})

    fails(with_pickle(b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R."),
          "Unsupported global: GLOBAL os.system", tmp_path)
    fails(with_pickle(b"\x80\x02cbuiltins\neval\n."), "GLOBAL builtins.eval", tmp_path)
    fails(with_pickle(b"(cos\nsystem\nX\x04\x00\x00\x00echoi\n."), "GLOBAL os.system", tmp_path)
    fails(with_pickle(b"\x80\x02(X\x04\x00\x00\x00echoo."), "opcode OBJ", tmp_path)
    fails(with_pickle(b"\x80\x02\x82\x01."), "opcode EXT1", tmp_path)
    fails(with_pickle(b"\x80\x02\xff."), "unknown opcode 0xff", tmp_path)
    fails(with_pickle(b"\x80\x02K\x01}b."), r"state of a builtins.int object \(BUILD\)",
          tmp_path)
    fails(with_pickle(b"\x80\x02ccollections\nOrderedDict\n)RK\x01b."),
          "bad attributes for a dict", tmp_path)
    fails(with_pickle(b"\x80\x02ctorch\nSize\nK\x01\x85R."), "invalid arguments for torch.Size",
          tmp_path)
    fails(with_pickle(b"\x80\x02cbuiltins\nbytearray\nJ\x00\x00\x00\x7f\x85R."),
          "invalid arguments", tmp_path)  # a file may not choose an allocation's size
    fails(with_pickle(b"\x80\x02]h\x05."), "memo entry 5 was never stored", tmp_path)
    fails(with_pickle(b"\x80\x02K\x01K\x02."), "values left over", tmp_path)
    fails(with_pickle(b"\x80\x02K\x01"), "no STOP", tmp_path)
    fails(with_pickle(b"\x80\x02X\xff\xff\xff\x7f."), "truncated", tmp_path)
    fails(with_pickle(b"\x80\x02X\x02\x00\x00\x00\xff\xfe."), "UnicodeDecodeError", tmp_path)
    fails(with_pickle(b"\x80\x02ctorch\nqint8\n."), "no qint8 dtype", tmp_path)
    fails(with_pickle(b"\x80\x02ctorch._utils\n_rebuild_qtensor\n."), "a quantized tensor",
          tmp_path)
    fails(with_pickle(b"\x80\x02Q."), "a value is missing", tmp_path)
    fails(with_pickle(b"\x80\x02X\x03\x00\x00\x00abcQ."), "corrupt storage id 'abc'", tmp_path)


def test_deep_nesting(tmp_path: Any) -> None:
    depth = 100_000  # far past Python's recursion limit: the pickle reader is a loop
    entries = records(saved(ember.ones(1)))
    pkl = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."
    path = tmp_path / "deep.pt"
    path.write_bytes(rezip({**entries, "archive/data.pkl": pkl}))
    value, levels = load(path), 0
    while value:
        value, levels = value[0], levels + 1
    assert levels == depth - 1
    nested = json.dumps({"format": "ember", "version": 1, "root": [[[]]]}).replace(
        "[[[]]]", "[" * depth + "]" * depth)
    fails(_safetensors({"ember": nested}), "too deeply", tmp_path, "deep.safetensors")
    deep_header = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
    fails(struct.pack("<Q", len(deep_header)) + deep_header, "nested too deeply", tmp_path,
          "deep2.safetensors")


def _safetensors(metadata: dict[str, str], tensors: dict[str, Any] | None = None,
                 body: bytes = b"") -> bytes:
    head = json.dumps({"__metadata__": metadata, **(tensors or {})}).encode()
    return struct.pack("<Q", len(head)) + head + body


def test_malformed_safetensors(tmp_path: Any) -> None:
    def bad(data: bytes, match: str) -> None:
        fails(data, match, tmp_path, "bad.safetensors")

    entry = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    bad(b"\x01\x00", "too short")
    bad(struct.pack("<Q", 1000) + b"{}", "header length is wrong")
    bad(struct.pack("<Q", 3) + b"{\xff}", "corrupt safetensors header")
    bad(struct.pack("<Q", 3) + b'{"a', "corrupt safetensors header")
    bad(struct.pack("<Q", 2) + b"[]", "header length is wrong")
    bad(_safetensors({}, {"w": {**entry, "dtype": "Q9"}}, b"\x00" * 8), "unknown dtype 'Q9'")
    bad(_safetensors({}, {"w": {**entry, "dtype": "BF16"}}, b"\x00" * 8), "bfloat16")
    bad(_safetensors({}, {"w": {**entry, "shape": [3]}}, b"\x00" * 8), r"8 bytes for shape \[3\]")
    bad(_safetensors({}, {"w": {**entry, "data_offsets": [0, 16]}}, b"\x00" * 8),
        "byte offsets outside the file")
    bad(_safetensors({}, {"w": {**entry, "shape": [-2]}}, b"\x00" * 8), "invalid shape")
    bad(_safetensors({}, {"w": entry, "v": entry}, b"\x00" * 8), "overlapping")
    bad(_safetensors({}, {"w": "F32"}, b"\x00" * 8), "malformed safetensors entry")

    def document(root: Any) -> bytes:
        return _safetensors({"ember": json.dumps({"format": "ember", "version": 1,
                                                  "root": root})}, {"w": entry}, b"\x00" * 8)

    # metadata naming internal attributes used to return the numpy module, builtins.dict
    bad(document({"dtype": "np"}), "corrupt ember structure")
    bad(document({"dtype": "__builtins__"}), "corrupt ember structure")
    bad(document({"dict": [], "type": "__class__"}), "corrupt ember structure")
    bad(document({"tensor": "missing"}), "does not hold")
    bad(document({"dict": [[[1], 2]], "type": "dict"}), "unhashable")
    bad(document({"dict": [[1]], "type": "dict"}), "corrupt ember structure")
    bad(document({"float": "1e999"}), "corrupt ember structure")
    bad(_safetensors({"ember": "{not json"}, {"w": entry}, b"\x00" * 8), "JSONDecodeError")
    bad(_safetensors({"ember": json.dumps({"format": "ember", "version": 99, "root": 1})}),
        "newer ember")
    assert load(document({"dtype": "float16"})) is ember.float16


def test_malformed_legacy_files(tmp_path: Any) -> None:
    good = saved({"w": ember.arange(4.0)}, _use_new_zipfile_serialization=False)
    fails(pickle.dumps({"w": 1}), "not a checkpoint ember can read", tmp_path)
    fails(good[:-3], "truncated in the data of storage '0'", tmp_path)
    cut = good.rindex(struct.pack("<q", 4))
    fails(good[:cut], "corrupt size for storage '0'", tmp_path)
    fails(good.replace(struct.pack("<q", 4), struct.pack("<q", 5)), "corrupt size", tmp_path)
    fails(good.replace(b"M\xe9\x03", b"M\xea\x03"), "legacy protocol version 1002", tmp_path)


def test_mutated_files_raise_only_checkpoint_errors() -> None:
    """Seeded byte mutations of every format: each file loads or raises CheckpointError;
    no other exception, hang, crash, code run or import. The count is small to keep the
    suite fast; `python -m tests.serialization.mutate_load --count N` runs more."""
    env = dict(os.environ)
    src = str(Path(ember.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), src, env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "tests.serialization.mutate_load", "--count", "3000",
         "--seed", "0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["files"] == 3000 == report["loaded"] + report["rejected"]
    assert report["failure_count"] == 0 and report["code_ran"] == 0
    assert report["modules_imported"] == []
    assert min(report["by_format"].values()) > 300  # every format is exercised
    assert report["loaded"] > 100  # mutations that keep a file valid still load


def test_load_from_bytes_and_errors_name_the_source() -> None:
    with pytest.raises(CheckpointError, match="ember.load: the given bytes is not"):
        load(b"\x00" * 20)
    with pytest.raises(CheckpointError, match="ember.load: the file object"):
        load(io.BytesIO(b"\x00" * 20))
    with pytest.raises(FileNotFoundError):
        load("/nonexistent/x.pt")
