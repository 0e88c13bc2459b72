"""Devices: descriptors of every device type, and torch's errors where memory is asked of a
device a CPU-only build lacks."""

from __future__ import annotations

import pickle

import pytest

import ember
from tests.conftest import requires_torch, torch

DESCRIPTORS = [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("mps",), ("xpu",), ("meta",),
               ("cpu:0",), ("cpu", 0)]
BAD = [("foo",), ("cuda:x",), ("cuda:-1",), ("cuda", -1), ("cuda:0", 1), ("CUDA",), (" cuda",),
       ("cuda:01",), (0,), (None,)]


def _outcome(fn):
    try:
        return "ok", str(fn()).replace("ember.", "torch.")
    except BaseException as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error).replace("torch.", "ember.").split("\n")[0]


def test_descriptors_torch_free() -> None:
    d = ember.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 1, "cuda:1",
                                                  "device(type='cuda', index=1)")
    assert ember.device("cuda") != ember.device("cuda:0") and ember.device("cuda") != "cuda"
    assert ember.device(ember.device("mps")) == ember.device("mps")
    assert len({ember.device("cuda"), ember.device("cuda"), ember.device("cuda", 0)}) == 2
    assert pickle.loads(pickle.dumps(ember.device("cuda", 2))) == ember.device("cuda:2")
    assert ember.zeros(1).device == ember.device("cpu") and ember.zeros(1).device.type == "cpu"


@requires_torch
@pytest.mark.parametrize("args", DESCRIPTORS + BAD, ids=str)
def test_descriptors_match_torch(args) -> None:
    ours = _outcome(lambda: repr(ember.device(*args)))
    theirs = _outcome(lambda: repr(torch.device(*args)))
    if args == (None,):  # TypeError either way; torch lists its C++ overloads
        assert ours[0] == theirs[0] == "TypeError"
        return
    assert ours == theirs


ALLOCATIONS = {
    "zeros": lambda lib: lib.zeros(2, device="cuda"),
    "tensor": lambda lib: lib.tensor([1.0], device="cuda:0"),
    "randn": lambda lib: lib.randn(2, device=lib.device("cuda")),
    "ones_like": lambda lib: lib.ones_like(lib.zeros(1), device="cuda"),
    "Tensor.cuda": lambda lib: lib.zeros(2).cuda(),
    "Tensor.to": lambda lib: lib.zeros(2).to("cuda"),
    "Tensor.to dtype": lambda lib: lib.zeros(2).to("cuda", lib.float64),
    "Tensor.to kw": lambda lib: lib.zeros(2).to(device="cuda"),
    "Tensor.to xpu": lambda lib: lib.zeros(2).to("xpu"),
    "Tensor.to mps": lambda lib: lib.zeros(2).to("mps"),
    "Tensor.to cpu:1": lambda lib: lib.zeros(2).to("cpu:1").tolist(),
    "Module.cuda": lambda lib: lib.nn.Linear(2, 2).cuda(),
    "Module.to": lambda lib: lib.nn.Linear(2, 2).to("cuda"),
    "Module.to mps": lambda lib: lib.nn.Linear(2, 2).to("mps"),
    "Linear(device)": lambda lib: lib.nn.Linear(2, 2, device="cuda"),
    "pin_memory": lambda lib: lib.zeros(2).pin_memory(),
    "is_pinned": lambda lib: lib.zeros(2).is_pinned(),
    "flags": lambda lib: [lib.zeros(1).is_cuda, lib.zeros(1).is_xpu, lib.zeros(1).is_mps],
    "type()": lambda lib: lib.zeros(2).type(),
    "type cuda name": lambda lib: lib.zeros(2).type("torch.cuda.FloatTensor"),
    "type cuda class": lambda lib: lib.zeros(2).type(lib.cuda.FloatTensor),
    "type class": lambda lib: lib.zeros(2).type(lib.DoubleTensor).tolist(),
    "type name": lambda lib: lib.zeros(2).type("torch.LongTensor").tolist(),
    "type bad name": lambda lib: lib.zeros(2).type("torch.Foo"),
    "type int": lambda lib: lib.zeros(2).type(3),
    "Module.type cuda": lambda lib: lib.nn.Linear(1, 1).type(lib.cuda.FloatTensor),
}


@requires_torch
@pytest.mark.parametrize("name", list(ALLOCATIONS))
def test_allocation_errors_match_torch(name: str) -> None:
    ours, theirs = _outcome(lambda: ALLOCATIONS[name](ember)), _outcome(
        lambda: ALLOCATIONS[name](torch))
    if name in ("Tensor.cuda", "Module.cuda"):  # ember adds why after torch's sentence
        ours = (ours[0], ours[1].split(" (")[0])
    if name.startswith("Module"):
        theirs = ("ok", ours[1]) if theirs[0] == "ok" else theirs  # module reprs differ
    assert ours[0] == theirs[0], (ours, theirs)
    assert ours[1].split(". ")[0] == theirs[1].split(". ")[0], (ours, theirs)


def test_default_device() -> None:
    assert ember.get_default_device() == ember.device("cpu")
    ember.set_default_device("cuda")
    try:
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            ember.zeros(1)
        with pytest.raises(AssertionError):
            ember.get_default_device()
    finally:
        ember.set_default_device(None)
    assert ember.zeros(1).device.type == "cpu"
    with ember.device("cuda"):
        with pytest.raises(AssertionError, match="CUDA"):
            ember.nn.Linear(1, 1)
    with ember.device("cpu"):
        assert ember.ones(1).tolist() == [1.0]
    assert ember.zeros(1).tolist() == [0.0]


def test_meta_is_refused_clearly() -> None:
    with pytest.raises(NotImplementedError, match="meta"):
        ember.zeros(2, device="meta")


def test_pinned_memory_without_an_accelerator() -> None:
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(ember.zeros(2)),
                                         pin_memory=True)
    with pytest.warns(UserWarning, match="no accelerator is found"):
        assert [b[0].tolist() for b in loader] == [[0.0], [0.0]]
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        ember.zeros(1).pin_memory()


def test_legacy_default_tensor_type() -> None:
    with pytest.warns(UserWarning, match="deprecated"):
        ember.set_default_tensor_type("torch.DoubleTensor")
    assert ember.get_default_dtype() is ember.float64
    with pytest.warns(UserWarning), pytest.raises(TypeError, match="only floating-point types"):
        ember.set_default_tensor_type(ember.LongTensor)
    with pytest.warns(UserWarning), pytest.raises(TypeError, match="Torch not compiled with CUDA"):
        ember.set_default_tensor_type(ember.cuda.FloatTensor)
    ember.set_default_tensor_type(ember.FloatTensor)
    assert ember.get_default_dtype() is ember.float32
    assert ember.nn.Linear(2, 2).bfloat16().weight.dtype is ember.bfloat16
