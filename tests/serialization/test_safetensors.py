"""safetensors files: what ember.save writes for a .safetensors path, readable by the
safetensors package and back, with ember's structure in the metadata."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import numpy as np
import pytest

import ember
from ember.serialization import CheckpointError, load, save
from tests.conftest import requires_torch, torch

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64"]


def header(path: Any) -> dict[str, Any]:
    data = open(path, "rb").read()
    size = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + size])


def test_layout_is_plain_safetensors(tmp_path: Any) -> None:
    path = tmp_path / "ckpt.safetensors"
    w = ember.ones(2, 3)
    save({"model": {"w": w}, "optim": {"state": {0: {"exp_avg": ember.zeros(3)}}}, "n": 3}, path)
    head = header(path)
    assert head["model.w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert "optim.state.0.exp_avg" in head
    document = json.loads(head["__metadata__"]["ember"])  # the structure is JSON
    assert document["format"] == "ember" and document["root"]["dict"][2] == ["n", 3]
    assert (8 + int.from_bytes(path.read_bytes()[:8], "little")) % 8 == 0  # data aligned


def test_safetensors_needs_no_package(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    save({"w": ember.arange(3)}, tmp_path / "x.safetensors")
    assert load(tmp_path / "x.safetensors")["w"].tolist() == [0, 1, 2]


def test_unsupported_objects_and_arguments(tmp_path: Any) -> None:
    with pytest.raises(TypeError, match="cannot store an object of type set in a safetensors"):
        save({1, 2}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="complex128"):
        save(ember.ones(1, dtype=ember.complex128), tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="do not apply to a .safetensors file"):
        save(ember.ones(1), tmp_path / "x.safetensors", pickle_protocol=4)
    save(ember.ones(1), tmp_path / "ok.safetensors")
    assert load(tmp_path / "ok.safetensors", map_location="cpu").tolist() == [1.0]
    with pytest.raises(RuntimeError, match="CPU only"):
        load(tmp_path / "ok.safetensors", map_location="cuda:0")
    with pytest.raises(RuntimeError, match="mmap can only be used with zip checkpoints"):
        load(tmp_path / "ok.safetensors", mmap=True)


def test_files_whose_header_length_starts_with_0x80_load(tmp_path: Any) -> None:
    # the first byte of a safetensors file is its header length's low byte; 0x80 must not be
    # mistaken for a pickle's protocol marker when the file is read from bytes
    for n in range(1, 600):
        name = "w" * n  # header lengths grow with the name, through a low byte of 0x80
        path = tmp_path / "w.safetensors"
        save({name: ember.zeros(2)}, path)
        data = path.read_bytes()
        if data[:1] == b"\x80":
            assert load(io.BytesIO(data))[name].shape == (2,)
            return
    raise AssertionError("no header of length 0x..80 produced; widen the search")


@requires_torch
def test_flat_state_dict_readable_by_torch_safetensors(tmp_path: Any) -> None:
    from safetensors.torch import load_file

    state = {f"layer.{d}": ember.from_numpy((np.arange(6).reshape(2, 3) % 3).astype(d))
             for d in DTYPES}
    state["scalar"] = ember.tensor(1.5)
    state["transposed"] = ember.arange(6.0).reshape(2, 3).t()
    path = tmp_path / "ember.safetensors"
    save(state, path)
    theirs = load_file(str(path))
    assert set(theirs) == set(state)
    for name, t in state.items():
        assert str(theirs[name].dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(theirs[name].numpy(), t.numpy())


@requires_torch
def test_reads_a_state_dict_saved_by_torch_safetensors(tmp_path: Any) -> None:
    from safetensors.torch import save_file

    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    state["counter"] = torch.tensor(3)
    state["half"] = torch.ones(3, dtype=torch.float16)
    path = tmp_path / "torch.safetensors"
    save_file(state, str(path), metadata={"note": "from torch"})
    loaded = load(path)
    assert list(loaded) == sorted(state)
    for name, t in state.items():
        assert loaded[name].dtype == getattr(ember, str(t.dtype).split(".")[-1])
        np.testing.assert_array_equal(loaded[name].numpy(), t.numpy())
    save_file({"bf": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(CheckpointError, match="bfloat16"):
        load(path)
