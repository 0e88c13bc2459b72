"""bfloat16 (ml_dtypes' storage type): casts, promotion with every dtype, printing, and the
values of common ops (computed in float32 and rounded, as torch's)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.conftest import requires_torch, torch

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128"]
VALUES = np.array([1.0, 2.5, 3.14159, 1e-3, 100.7, -0.3333, 0.0, -7.25, 1e10, 3e-20],
                  dtype=np.float32)


def test_torch_free_core() -> None:
    b = ember.tensor([1.0, 3.14159], dtype=ember.bfloat16)
    assert b.dtype is ember.bfloat16 and b.is_floating_point() and b.element_size() == 2
    assert b.tolist() == [1.0, 3.140625]  # 8 bits of mantissa
    assert ember.ones(2).bfloat16().dtype is ember.bfloat16
    assert b.type() == "ember.BFloat16Tensor" and b.float().dtype is ember.float32
    assert b.requires_grad_().requires_grad
    y = (b * 2).sum()
    y.backward()
    assert b.grad.dtype is ember.bfloat16 and b.grad.tolist() == [2.0, 2.0]
    assert ember.bfloat16.is_floating_point and ember.bfloat16.itemsize == 2
    assert ember.promote_types(ember.bfloat16, ember.float16) is ember.float32
    assert repr(ember.tensor([1.5, 2.0], dtype=ember.bfloat16)) == (
        "tensor([1.5000, 2.0000], dtype=ember.bfloat16)")


@requires_torch
@pytest.mark.parametrize("other", NAMES)
def test_promotion_with_every_dtype_matches_torch(other: str) -> None:
    for lib_pair in ((ember, torch),):
        ours, theirs = (lib.promote_types(lib.bfloat16, getattr(lib, other)) for lib in lib_pair)
        assert str(ours).split(".")[-1] == str(theirs).split(".")[-1]
    # and in arithmetic, with dimensioned, 0-d and Python-number operands
    results = []
    for lib in (ember, torch):
        b = lib.ones(3, dtype=lib.bfloat16)
        o = lib.ones(3, dtype=getattr(lib, other))
        o0 = lib.ones((), dtype=getattr(lib, other))
        results.append([str(t.dtype).split(".")[-1]
                        for t in (b + o, o + b, b + o0, b[0] + o, b * 2, b * 2.5, b + True)])
    assert results[0] == results[1]


@requires_torch
@pytest.mark.parametrize("source", NAMES)
def test_casts_match_torch(source: str) -> None:
    data = np.array([0, 1, 2, 3, 100, 127], dtype=np.float64)
    there = ember.tensor(data).to(getattr(ember, source)).bfloat16()
    theirs = torch.tensor(data).to(getattr(torch, source)).bfloat16()
    assert there.tolist() == theirs.tolist() and there.dtype is ember.bfloat16
    back = there.to(getattr(ember, source))
    assert back.tolist() == theirs.to(getattr(torch, source)).tolist()


@requires_torch
def test_printing_matches_torch() -> None:
    for data in (VALUES, VALUES[:4], np.array([[1.0, 2.0], [3.0, 4.0]]), np.array(3.14159),
                 np.array([]), np.array([1e10, 1e-10])):
        ours = repr(ember.tensor(data).bfloat16())
        assert ours == repr(torch.tensor(data).bfloat16()).replace("torch.", "ember.")


OPS = {
    "add": lambda L, b: b + 1, "mul": lambda L, b: b * b, "div": lambda L, b: b / 3,
    "exp": lambda L, b: (b / 100).exp(), "tanh": lambda L, b: b.tanh(),
    "relu": lambda L, b: b.relu(), "sqrt": lambda L, b: b.abs().sqrt(),
    "sum": lambda L, b: b.sum(), "sum dim": lambda L, b: b.reshape(2, 5).sum(1),
    "mean": lambda L, b: b.mean(), "mean dim": lambda L, b: b.reshape(2, 5).mean(0),
    "max": lambda L, b: b.max(), "sort": lambda L, b: b.sort().values,
    "mm": lambda L, b: b.reshape(2, 5) @ b.reshape(5, 2), "dot": lambda L, b: b @ b,
    "linear": lambda L, b: L.nn.functional.linear(b.reshape(2, 5), b.reshape(2, 5), b[:2]),
    "softmax": lambda L, b: (b / 100).softmax(0), "where": lambda L, b: L.where(b > 0, b, 0.0),
    "cat": lambda L, b: L.cat([b, b]), "index": lambda L, b: b[[0, 2]],
}


@requires_torch
@pytest.mark.parametrize("name", list(OPS))
def test_op_values_match_torch(name: str) -> None:
    ours = OPS[name](ember, ember.tensor(VALUES).bfloat16())
    theirs = OPS[name](torch, torch.tensor(VALUES).bfloat16())
    assert ours.dtype is ember.bfloat16 and theirs.dtype is torch.bfloat16
    # within one bfloat16 step: sums may accumulate in another order
    np.testing.assert_allclose(ours.float().numpy(), theirs.float().numpy(), rtol=2 ** -7,
                               atol=1e-30)
