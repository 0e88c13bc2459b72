"""Tensor basics (ember/_tensor.py): metadata, conversions, printing hooks, legacy spellings."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import ember
from tests.conftest import requires_torch, torch


def test_metadata() -> None:
    x = ember.zeros(2, 3)
    assert x.shape == (2, 3) and isinstance(x.shape, ember.Size)
    assert repr(x.shape) == "ember.Size([2, 3])" and x.shape.numel() == 6
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6 and len(x) == 2
    assert x.dtype is ember.float32 and str(x.device) == "cpu"
    assert repr(x.device) == "device(type='cpu')"
    assert x.to("cpu") is x and x.cpu() is x and x.to(ember.float32) is x
    assert x.is_leaf and not x.requires_grad and x.grad_fn is None
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        x.size(2)


def test_devices() -> None:
    assert not ember.cuda.is_available() and not ember.backends.mps.is_available()
    ember.set_default_device("cpu")
    assert ember.zeros(1, device="cpu").device == ember.device("cpu")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ember.zeros(1, device="cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ember.ones(2).to("cuda")


def test_conversions() -> None:
    x = ember.tensor([[1.5, -2.0]])
    assert x.tolist() == [[1.5, -2.0]]
    assert ember.tensor(2.5).item() == 2.5 and float(ember.tensor([3.0])) == 3.0
    assert int(ember.tensor(7)) == 7 and bool(ember.tensor([True]))
    assert [1, 2, 3][ember.tensor(1)] == 2
    assert x.long().dtype is ember.int64 and x.double().dtype is ember.float64
    assert x.int().dtype is ember.int32 and x.bool().dtype is ember.bool
    assert x.half().dtype is ember.float16 and x.float().dtype is ember.float32
    assert x.type() == "ember.FloatTensor" and x.type(ember.float64).dtype is ember.float64
    assert x.type("torch.LongTensor").dtype is ember.int64
    a = np.arange(3.0)
    shared = ember.from_numpy(a)
    a[0] = 9
    assert shared[0].item() == 9 and shared.dtype is ember.float64
    assert np.asarray(x).shape == (1, 2)
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value "
                                           "is ambiguous"):
        bool(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to "
                                           "Scalar"):
        ember.tensor([1.0, 2.0]).item()


def test_numpy_requires_grad_error() -> None:
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_iteration_and_unbind() -> None:
    rows = list(ember.arange(6).reshape(2, 3))
    assert [r.tolist() for r in rows] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ember.tensor(1.0))


def test_requires_grad_rules() -> None:
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype "
                                           "can require gradients"):
        ember.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        ember.tensor([1, 2]).requires_grad_()
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                                           "variables."):
        y.requires_grad = False
    with ember.no_grad():
        z = ember.zeros(2, requires_grad=True)  # factories honour requires_grad in no_grad
    assert z.requires_grad and z.is_leaf


def test_legacy_constructors() -> None:
    assert ember.Tensor([1, 2]).dtype is ember.float32
    assert ember.Tensor(2, 3).shape == (2, 3)
    assert ember.FloatTensor([1]).dtype is ember.float32
    assert ember.LongTensor([1.7]).tolist() == [1]
    assert isinstance(ember.ones(1), ember.FloatTensor)
    assert not isinstance(ember.ones(1), ember.LongTensor)
    v = ember.autograd.Variable(ember.ones(2), requires_grad=True)
    assert v.requires_grad and isinstance(v, ember.Tensor)


def test_tensor_from_tensor_warns_and_copies() -> None:
    src = ember.ones(2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        copy_ = ember.tensor(src)
    assert "sourceTensor.detach().clone()" in str(caught[0].message)
    copy_[0] = 5
    assert src[0].item() == 1


def test_copy_and_pickle() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    clone = copy.deepcopy(x)
    assert clone.requires_grad and clone.tolist() == [1.0, 2.0] and clone is not x
    restored = pickle.loads(pickle.dumps(x))
    assert restored.requires_grad and restored.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


def test_numpy_arrays_defer_to_tensor_operators() -> None:
    out = np.ones(2) * ember.ones(2)
    assert isinstance(out, ember.Tensor)


def test_grad_assignment_checks() -> None:
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = ember.ones(3)
    x.grad = ember.ones(2)
    assert x.grad.tolist() == [1.0, 1.0]


@requires_torch
def test_reprs_match_torch() -> None:
    cases = [
        lambda lib: lib.tensor(3.0, requires_grad=True),
        lambda lib: lib.tensor(3.0, requires_grad=True) ** 2,
        lambda lib: lib.tensor([1.0, 2.5], dtype=lib.float64),
        lambda lib: lib.tensor([1, 2], dtype=lib.int32),
        lambda lib: lib.tensor([True, False]),
        lambda lib: lib.tensor([], dtype=lib.int64),
        lambda lib: lib.zeros(0, 3),
        lambda lib: lib.arange(2000.0),
        lambda lib: lib.tensor([[1e-5, 1.0], [100.0, 1e5]]),
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).sum(),
        lambda lib: lib.nn.Parameter(lib.ones(2)),
    ]
    for make in cases:
        assert repr(make(ember)) == repr(make(torch)).replace("torch.", "ember.")
