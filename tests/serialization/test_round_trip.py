"""ember.save then ember.load, in every format ember writes: torch's zip format (a path or a
file object), torch's legacy format, and safetensors. Values, dtypes, shapes, Python values,
parameters, requires_grad and optimizer state come back as they were saved."""

from __future__ import annotations

import io
import math
from collections import Counter, OrderedDict
from typing import Any

import numpy as np
import pytest

import ember
from ember.serialization import load, save

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64", "complex128"]
FORMATS = ["pt", "buffer", "legacy", "safetensors"]


def same(a: Any, b: Any) -> None:
    """Equal values of equal types, recursively; tensors by dtype, shape and elements."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def round_trip(obj: Any, fmt: str, tmp_path: Any) -> Any:
    if fmt == "buffer":
        buffer = io.BytesIO()
        save(obj, buffer)
        buffer.seek(0)
        return load(buffer)
    if fmt == "legacy":
        path = tmp_path / "obj.pt"
        save(obj, path, _use_new_zipfile_serialization=False)
    else:
        path = tmp_path / f"obj.{fmt}"
        save(obj, path)
    return load(path)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_round_trips(dtype: str, fmt: str, tmp_path: Any) -> None:
    if fmt == "safetensors" and dtype == "complex128":
        pytest.skip("safetensors has no complex128")
    data = (np.arange(-3, 9).reshape(3, 4) % 5).astype(dtype)
    obj = {"t": ember.from_numpy(data), "zero_d": ember.from_numpy(np.array(data[1, 2]))}
    loaded = round_trip(obj, fmt, tmp_path)
    same(loaded, obj)
    assert loaded["zero_d"].shape == ()


@pytest.mark.parametrize("fmt", FORMATS)
def test_views_empty_and_shared_tensors(fmt: str, tmp_path: Any) -> None:
    base = ember.arange(12.0).reshape(3, 4)
    view = base.t()
    loaded = round_trip(view, fmt, tmp_path)
    same(loaded, ember.tensor(view.tolist()))
    same(round_trip(ember.zeros(0, 3), fmt, tmp_path), ember.zeros(0, 3))
    same(round_trip(ember.tensor(2.5), fmt, tmp_path), ember.tensor(2.5))
    shared = ember.ones(2)
    loaded = round_trip({"a": shared, "b": [shared]}, fmt, tmp_path)
    assert loaded["a"] is loaded["b"][0]
    loaded["a"].add_(1)  # loaded tensors are writable
    assert loaded["a"].tolist() == [2.0, 2.0]


@pytest.mark.parametrize("fmt", ["pt", "buffer", "legacy"])
def test_torch_formats_keep_strides_and_shared_memory(fmt: str, tmp_path: Any) -> None:
    base = ember.arange(24.0).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "rows": base[1:3], "every_other": base[:, ::2],
           "expanded": ember.ones(1, 3).expand(4, 3), "flipped": base.flip(0)}
    loaded = round_trip(obj, fmt, tmp_path)
    for name, t in obj.items():
        assert loaded[name].stride() == t.stride() or name == "flipped", name
        np.testing.assert_array_equal(loaded[name].numpy(), t.numpy())
    loaded["base"][1, 0] = -1.0  # the views share the loaded base's memory
    assert loaded["t"][0, 1].item() == -1.0
    assert loaded["rows"][0, 0].item() == -1.0
    assert loaded["every_other"][1, 0].item() == -1.0
    assert loaded["flipped"][2, 0].item() == 6.0  # negative strides were saved as a copy


def test_safetensors_files_hold_contiguous_copies(tmp_path: Any) -> None:
    base = ember.arange(12.0).reshape(3, 4)
    loaded = round_trip({"base": base, "t": base.t()}, "safetensors", tmp_path)
    assert loaded["t"].is_contiguous()
    loaded["base"].zero_()
    assert loaded["t"].sum().item() == 66.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_model_like_state_dict_round_trip(fmt: str, tmp_path: Any) -> None:
    state = OrderedDict([("fc1.weight", ember.randn(4, 3)), ("fc1.bias", ember.zeros(4)),
                         ("bn.running_mean", ember.zeros(4)),
                         ("bn.num_batches_tracked", ember.tensor(7)),
                         ("fc2.weight", ember.randn(2, 4, dtype=ember.float64))])
    loaded = round_trip(state, fmt, tmp_path)
    assert type(loaded) is OrderedDict
    same(loaded, state)


@pytest.mark.parametrize("fmt", FORMATS)
def test_nested_python_values_round_trip(fmt: str, tmp_path: Any) -> None:
    obj = {"epoch": 3, "loss": 0.25, "best": math.inf, "worst": -math.inf, "nan": math.nan,
           "name": "run", "flag": True, "none": None, "betas": (0.9, 0.999),
           "milestones": Counter({2: 1, 5: 2}), "lists": [[1, 2], (3, [ember.ones(1)])],
           1: "int key", (1, "a"): "tuple key", 2.5: "float key", "size": ember.Size([2, 3]),
           "dtype": ember.float16, "a.b": ember.zeros(1), "a": {"b": ember.ones(1)}}
    loaded = round_trip(obj, fmt, tmp_path)
    same(loaded, obj)
    assert type(loaded["size"]) is ember.Size


@pytest.mark.parametrize("fmt", ["pt", "buffer", "legacy"])
def test_torch_formats_hold_more_python_values(fmt: str, tmp_path: Any) -> None:
    obj = {"bytes": b"\x00\xff", "set": {1, 2}, "complex": 1 - 2j, "big": 2**100,
           "device": ember.device("cpu"), "bytearray": bytearray(b"ab"),
           "state": ember.nn.Linear(2, 2).state_dict()}
    loaded = round_trip(obj, fmt, tmp_path)
    same({k: v for k, v in loaded.items() if k != "device"},
         {k: v for k, v in obj.items() if k != "device"})
    assert loaded["device"] == ember.device("cpu")
    assert loaded["state"]._metadata == obj["state"]._metadata  # per-module versions


@pytest.mark.parametrize("fmt", FORMATS)
def test_parameters_and_requires_grad_round_trip(fmt: str, tmp_path: Any) -> None:
    p = ember.nn.Parameter(ember.ones(2))
    leaf = ember.zeros(2, requires_grad=True)
    frozen = ember.nn.Parameter(ember.ones(1), False)
    loaded = round_trip({"p": p, "leaf": leaf, "frozen": frozen, "result": leaf * 2},
                        fmt, tmp_path)
    assert isinstance(loaded["p"], ember.nn.Parameter) and loaded["p"].requires_grad
    assert loaded["leaf"].requires_grad and not isinstance(loaded["leaf"], ember.nn.Parameter)
    assert isinstance(loaded["frozen"], ember.nn.Parameter)
    assert not loaded["frozen"].requires_grad
    assert loaded["result"].requires_grad and loaded["result"].is_leaf  # as in torch


@pytest.mark.parametrize("fmt", FORMATS)
def test_optimizer_state_dict_round_trip_and_resume(fmt: str, tmp_path: Any) -> None:
    def make() -> Any:
        w = ember.tensor([1.0, -1.0, 0.5], requires_grad=True)
        return w, ember.optim.Adam([w], lr=0.1, amsgrad=True)

    w, opt = make()
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2)
    for _ in range(3):
        w.grad = w.detach() * 2
        opt.step()
        sched.step()
    ckpt = round_trip({"model": {"w": w}, "optim": opt.state_dict(),
                       "sched": sched.state_dict()}, fmt, tmp_path)
    same(ckpt["optim"], opt.state_dict())
    assert ckpt["sched"] == sched.state_dict()
    w2, opt2 = make()
    w2.data = ckpt["model"]["w"]
    opt2.load_state_dict(ckpt["optim"])
    for weight, o in ((w, opt), (w2, opt2)):
        weight.grad = weight.detach() * 2
        o.step()
    assert w.tolist() == w2.tolist()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols(protocol: int, tmp_path: Any) -> None:
    obj = {"w": ember.arange(3.0), "p": ember.nn.Parameter(ember.ones(1)), "n": 3,
           "dtype": ember.int8, "size": ember.Size([1])}
    save(obj, tmp_path / "p.pt", pickle_protocol=protocol)
    same(load(tmp_path / "p.pt"), obj)


def test_module_state_dict_loads_into_a_module(tmp_path: Any) -> None:
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    model(ember.randn(5, 3))  # running stats move
    save(model.state_dict(), tmp_path / "model.pt")
    other = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    other.load_state_dict(load(tmp_path / "model.pt"))
    model.eval()
    other.eval()
    x = ember.randn(2, 3)
    assert model(x).tolist() == other(x).tolist()


def test_exported_from_ember() -> None:
    assert ember.save is save and ember.load is load
    assert ember.serialization.CheckpointError is not None
