"""Checkpoints cross between torch and ember both ways: torch.save -> ember.load and
ember.save -> torch.load (with torch's default weights_only=True), for a model's state dict,
an optimizer's state dict and a mixed checkpoint, in both of torch's formats."""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import ember
from ember.serialization import CheckpointError
from tests.conftest import requires_torch, torch

pytestmark = requires_torch

FORMATS = [True, False]  # _use_new_zipfile_serialization: zip, legacy


def dtype_name(t: Any) -> str:
    return str(t.dtype).split(".")[-1]


def assert_same_tensor(ours: Any, theirs: Any) -> None:
    """An ember tensor and a torch tensor with the same dtype, shape, strides and values."""
    assert dtype_name(ours) == dtype_name(theirs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    if theirs.numel():  # (ember gives empty tensors NumPy's zero strides)
        assert tuple(ours.stride()) == tuple(theirs.stride())
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def assert_same(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor)
        assert isinstance(ours, ember.nn.Parameter) == isinstance(theirs, torch.nn.Parameter)
        assert_same_tensor(ours, theirs)
    elif isinstance(theirs, torch.Size):
        assert type(ours) is ember.Size and tuple(ours) == tuple(theirs)
    elif isinstance(theirs, torch.dtype):
        assert ours is getattr(ember, str(theirs).split(".")[-1])
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            assert_same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def mixed(lib: Any) -> dict[str, Any]:
    """The same checkpoint built in either library."""
    base = lib.arange(24.0).reshape(4, 6)
    shared = lib.ones(3)
    return {
        "epoch": 12, "loss": 0.125, "name": "run-3", "done": False, "none": None,
        "config": {"lr": 1e-3, "betas": (0.9, 0.999), "milestones": [3, 6]},
        "bytes": b"\x00\xff", "tags": {"a", "b"}, "phase": 1 - 2j,
        "base": base, "transposed": base.t(), "rows": base[1:3], "strided": base[:, ::2],
        "expanded": lib.ones(1, 3).expand(2, 3), "shared": [shared, shared],
        "param": lib.nn.Parameter(lib.full((2,), 0.5)),
        "frozen": lib.nn.Parameter(lib.zeros(1), requires_grad=False),
        "tracked": lib.ones(2, requires_grad=True), "scalar": lib.tensor(7),
        "empty": lib.zeros(0, 4), "half": lib.tensor([1.5, -2.0], dtype=lib.float16),
        "int8": lib.tensor([-3, 4], dtype=lib.int8), "uint8": lib.tensor([200], dtype=lib.uint8),
        "int16": lib.tensor([9], dtype=lib.int16), "int32": lib.tensor([9], dtype=lib.int32),
        "mask": lib.tensor([True, False]), "c64": lib.tensor([1 + 2j], dtype=lib.complex64),
        "c128": lib.tensor([3 - 1j], dtype=lib.complex128),
        "f64": lib.tensor([1 / 3], dtype=lib.float64), "size": lib.Size([2, 3]),
        "dtype": lib.float16, "ordered": OrderedDict([("b", 1), ("a", 2)]),
    }


def torch_saved(obj: Any, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    torch.save(obj, out, **kwargs)
    return out.getvalue()


def ember_saved(obj: Any, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    ember.save(obj, out, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize("zipped", FORMATS)
def test_mixed_checkpoint_from_torch(zipped: bool) -> None:
    theirs = mixed(torch)
    ours = ember.load(torch_saved(theirs, _use_new_zipfile_serialization=zipped))
    assert_same(ours, theirs)
    assert ours["shared"][0] is ours["shared"][1]
    ours["base"][1, 0] = -1.0  # views share memory as they did in torch
    assert ours["transposed"][0, 1].item() == ours["rows"][0, 0].item() == -1.0


@pytest.mark.parametrize("zipped", FORMATS)
def test_mixed_checkpoint_to_torch(zipped: bool) -> None:
    ours = mixed(ember)
    theirs = torch.load(io.BytesIO(ember_saved(ours, _use_new_zipfile_serialization=zipped)))
    assert_same(ours, theirs)
    assert theirs["shared"][0] is theirs["shared"][1]
    assert theirs["rows"].untyped_storage().data_ptr() == theirs["base"].untyped_storage(
        ).data_ptr()
    theirs["base"][1, 0] = -1.0
    assert theirs["transposed"][0, 1].item() == theirs["rows"][0, 0].item() == -1.0


def _models(lib: Any) -> Any:
    return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.ReLU(),
                             lib.nn.Flatten(), lib.nn.Linear(8, 3))


@pytest.mark.parametrize("zipped", FORMATS)
def test_model_state_dict_both_ways(zipped: bool) -> None:
    torch.manual_seed(0)
    theirs = _models(torch)
    theirs(torch.randn(4, 1, 4, 4))  # running statistics move
    theirs.eval()
    ours = _models(ember)
    ours.load_state_dict(ember.load(torch_saved(theirs.state_dict(),
                                                _use_new_zipfile_serialization=zipped)))
    ours.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)

    back = _models(torch)
    state = torch.load(io.BytesIO(ember_saved(ours.state_dict(),
                                              _use_new_zipfile_serialization=zipped)))
    assert state._metadata == theirs.state_dict()._metadata
    back.load_state_dict(state)
    back.eval()
    for name, value in theirs.state_dict().items():
        assert torch.equal(back.state_dict()[name], value), name


def _optimizer(lib: Any, params: Any) -> Any:
    return lib.optim.AdamW(params, lr=0.1, betas=(0.8, 0.9), weight_decay=0.01, amsgrad=True)


def _steps(lib: Any, w: Any, opt: Any, n: int) -> None:
    for _ in range(n):
        opt.zero_grad()
        (w ** 2).sum().backward()
        opt.step()


@pytest.mark.parametrize("zipped", FORMATS)
def test_optimizer_state_dict_both_ways(zipped: bool) -> None:
    start = [[1.0, -2.0], [0.5, 3.0]]  # float64: the trajectories agree to rounding
    tw = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    topt = _optimizer(torch, [tw])
    _steps(torch, tw, topt, 3)

    ew = ember.tensor(tw.detach().numpy(), requires_grad=True)
    eopt = _optimizer(ember, [ew])
    eopt.load_state_dict(ember.load(torch_saved(topt.state_dict(),
                                                _use_new_zipfile_serialization=zipped)))
    _steps(torch, tw, topt, 2)
    _steps(ember, ew, eopt, 2)
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-12)

    back_w = torch.tensor(ew.detach().numpy(), requires_grad=True)
    back = _optimizer(torch, [back_w])
    back.load_state_dict(torch.load(io.BytesIO(ember_saved(
        eopt.state_dict(), _use_new_zipfile_serialization=zipped))))
    _steps(torch, tw, topt, 1)
    _steps(torch, back_w, back, 1)
    np.testing.assert_allclose(back_w.detach().numpy(), tw.detach().numpy(), rtol=1e-12)


def test_training_checkpoint_both_ways(tmp_path: Any) -> None:
    """The usual `{"model", "optimizer", "epoch"}` checkpoint, through files on disk."""
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 4},
               tmp_path / "torch.pt")
    ckpt = ember.load(tmp_path / "torch.pt")
    ours = ember.nn.Linear(3, 2)
    ours.load_state_dict(ckpt["model"])
    our_opt = ember.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    our_opt.load_state_dict(ckpt["optimizer"])
    ember.save({"model": ours.state_dict(), "optimizer": our_opt.state_dict(),
                "epoch": ckpt["epoch"] + 1}, tmp_path / "ember.pt")
    back = torch.load(tmp_path / "ember.pt")
    assert back["epoch"] == 5
    assert all(torch.equal(back["model"][k], v) for k, v in model.state_dict().items())
    momentum = back["optimizer"]["state"][0]["momentum_buffer"]
    assert torch.equal(momentum, opt.state_dict()["state"][0]["momentum_buffer"])


def test_torch_files_ember_reads_beyond_the_default(tmp_path: Any) -> None:
    # pickle protocol 4 (which torch's own weights-only loader refuses)
    assert ember.load(torch_saved({"w": torch.ones(2)}, pickle_protocol=4))["w"].tolist() == [
        1.0, 1.0]
    # conjugate and negative views, saved as flags on the storage
    c = ember.load(torch_saved(torch.tensor([1 + 2j]).conj()))
    assert c.tolist() == [1 - 2j]
    assert ember.load(torch_saved(torch.tensor([1.0, -2.0])._neg_view())).tolist() == [-1.0, 2.0]
    # a tensor with a Python attribute
    t = torch.ones(2)
    t.note = "hello"
    assert ember.load(torch_saved(t)).note == "hello"
    # a storage shared by tensors of one dtype, at offsets
    base = torch.arange(10.0)
    loaded = ember.load(torch_saved([base[2:5], base[4:]]))
    loaded[0][2] = -1.0
    assert loaded[1][0].item() == -1.0
    # a file mapped from disk
    torch.save({"base": base, "tail": base[6:]}, tmp_path / "t.pt")
    mapped = ember.load(tmp_path / "t.pt", mmap=True)
    assert mapped["tail"].tolist() == [6.0, 7.0, 8.0, 9.0]
    mapped["base"][6] = 0.0
    assert mapped["tail"][0].item() == 0.0 and torch.load(tmp_path / "t.pt")["tail"][0] == 6.0


def test_torch_files_ember_refuses_clearly() -> None:
    with pytest.raises(CheckpointError, match="bfloat16"):
        ember.load(torch_saved(torch.ones(2, dtype=torch.bfloat16)))
    with pytest.raises(CheckpointError, match="uint16"):
        ember.load(torch_saved(torch.ones(2, dtype=torch.uint16)))
    with pytest.raises(CheckpointError, match="torch.nn.modules.linear.Linear"):
        ember.load(torch_saved(torch.nn.Linear(2, 2)))  # a whole module: refused by default
    with pytest.raises(CheckpointError, match="no ember counterpart"):
        ember.load(torch_saved(torch.nn.Linear(2, 2)), weights_only=False)
    script = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), script)
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        ember.load(script.getvalue())
    numpy_file = torch_saved({"a": np.ones(2)})
    with pytest.raises(CheckpointError, match="numpy._core.multiarray._reconstruct"):
        ember.load(numpy_file)  # as torch.load refuses it
    assert ember.load(numpy_file, weights_only=False)["a"].tolist() == [1.0, 1.0]


def test_torch_reads_ember_files_it_must_map_or_widen(tmp_path: Any, monkeypatch: Any) -> None:
    path = tmp_path / "e.pt"
    ember.save({"w": ember.arange(6.0).reshape(2, 3)}, path)
    assert torch.load(path, mmap=True)["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert ember.load(tmp_path / "e.pt", mmap=True)["w"].stride() == (3, 1)
    from ember.serialization import _zip

    monkeypatch.setattr(_zip, "_ZIP64_LIMIT", 16)
    ember.save({"w": ember.arange(64.0), "b": ember.ones(1)}, path)
    assert torch.load(path)["w"].tolist() == list(range(64))
    # numpy arrays ember saves are pickled as torch pickles them
    ember.save({"a": np.arange(3)}, path)
    assert torch.load(path, weights_only=False)["a"].tolist() == [0, 1, 2]
