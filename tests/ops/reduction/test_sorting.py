"""Order statistics beyond the op table: named-tuple results, where the gradient of ties goes,
index choices (stable sorting, NaN), integer and bool inputs, and torch's errors for empty
inputs and out-of-range k. Torch-free expectations first; torch's answers when installed."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message

X = np.array([[1.0, 3.0, 3.0, 2.0], [3.0, 3.0, 3.0, 0.0]])


def _grad_of(lib: Any, fn: Any, data: Any) -> Any:
    x = lib.tensor(np.asarray(data), dtype=lib.float64, requires_grad=True)
    y = fn(x)
    y.backward(lib.ones_like(y))
    return x.grad


# --- named tuples ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "call"), [
    ("max", lambda t: t.max(1)), ("min", lambda t: ember.min(t, 0, True)),
    ("sort", lambda t: t.sort()), ("topk", lambda t: t.topk(2)),
    ("kthvalue", lambda t: t.kthvalue(1)), ("median", lambda t: t.median(0)),
    ("nanmedian", lambda t: t.nanmedian(1))])
def test_named_tuple_results(name: str, call: Any) -> None:
    x = ember.tensor(X, requires_grad=True)
    result = call(x)
    assert type(result).__name__ == name and isinstance(result, tuple) and len(result) == 2
    values, indices = result
    assert values is result.values and indices is result.indices
    assert indices.dtype == ember.int64 and indices.grad_fn is None
    assert not indices.requires_grad and values.requires_grad
    assert repr(result).startswith(f"ember.return_types.{name}(\nvalues=tensor(")
    assert pickle.loads(pickle.dumps(result.values.detach())) is not None


@requires_torch
def test_named_tuple_repr_matches_torch() -> None:
    ours = repr(ember.tensor([[1.0, 5.0], [4.0, 2.0]]).max(1))
    theirs = repr(torch.tensor([[1.0, 5.0], [4.0, 2.0]]).max(1))
    assert ours == torch_message(theirs)


# --- grad_fn names --------------------------------------------------------------------------
NAMED = [
    ("max()", lambda t: t.max(), "MaxBackward1"), ("max(dim)", lambda t: t.max(0)[0],
                                                   "MaxBackward0"),
    ("min()", lambda t: t.min(), "MinBackward1"), ("min(dim)", lambda t: t.min(1).values,
                                                   "MinBackward0"),
    ("amax", lambda t: t.amax(), "AmaxBackward0"), ("amin", lambda t: t.amin(0), "AminBackward0"),
    ("sort", lambda t: t.sort()[0], "SortBackward0"),
    ("sort-stable", lambda t: t.sort(stable=True)[0], "SortBackward1"),
    ("msort", lambda t: t.msort(), "SortBackward0"),
    ("topk", lambda t: t.topk(2)[0], "TopkBackward0"),
    ("kthvalue", lambda t: t.kthvalue(2)[0], "KthvalueBackward0"),
    ("median()", lambda t: t.median(), "MedianBackward0"),
    ("median(dim)", lambda t: t.median(1)[0], "MedianBackward1"),
    ("nanmedian()", lambda t: t.nanmedian(), "NanmedianBackward0"),
    ("nanmedian(dim)", lambda t: t.nanmedian(0)[0], "NanmedianBackward1"),
]


@pytest.mark.parametrize(("label", "fn", "name"), NAMED, ids=[n[0] for n in NAMED])
def test_grad_fn_names(label: str, fn: Any, name: str) -> None:
    assert fn(ember.tensor(X, requires_grad=True)).grad_fn.name() == name
    if torch is not None:
        assert fn(torch.tensor(X, requires_grad=True)).grad_fn.name() == name


# --- ties -----------------------------------------------------------------------------------
TIES = [
    ("max()", lambda t: t.max(), [[0, 0.2, 0.2, 0], [0.2, 0.2, 0.2, 0]]),
    ("amax(1)", lambda t: t.amax(1), [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3, 0]]),
    ("max(1)", lambda t: t.max(1)[0], [[0, 1, 0, 0], [1, 0, 0, 0]]),
    ("min()", lambda t: t.min(), [[0, 0, 0, 0], [0, 0, 0, 1]]),
    ("median()", lambda t: t.median(), [[0, 0.2, 0.2, 0], [0.2, 0.2, 0.2, 0]]),
    ("argmax-free max", lambda t: t.amin(), [[0, 0, 0, 0], [0, 0, 0, 1]]),
]


@pytest.mark.parametrize(("label", "fn", "expected"), TIES, ids=[c[0] for c in TIES])
def test_tied_gradients(label: str, fn: Any, expected: Any) -> None:
    ours = _grad_of(ember, fn, X)
    np.testing.assert_allclose(ours.numpy(), expected)
    if torch is not None:
        assert_close(ours, _grad_of(torch, fn, X))


def test_first_index_among_ties() -> None:
    x = ember.tensor(X)
    assert x.max(1).indices.tolist() == [1, 0]
    assert x.argmax(1).tolist() == [1, 0]
    assert x.argmin().item() == 7
    assert x.sort(1, descending=True).indices.tolist() == [[1, 2, 3, 0], [0, 1, 2, 3]]
    assert x.sort(1).indices.tolist() == [[0, 3, 1, 2], [3, 0, 1, 2]]


# --- NaN ------------------------------------------------------------------------------------
NAN = np.array([1.0, np.nan, 3.0, np.nan, -1.0])

NAN_CASES = [
    ("max", lambda lib, t: t.max()), ("max-dim", lambda lib, t: t.max(0)),
    ("argmin", lambda lib, t: t.argmin()), ("amax", lambda lib, t: t.amax()),
    ("sort", lambda lib, t: t.sort(stable=True)),
    ("sort-desc", lambda lib, t: t.sort(descending=True, stable=True)),
    ("argsort", lambda lib, t: t.argsort(stable=True)), ("topk", lambda lib, t: t.topk(2)),
    ("median", lambda lib, t: t.median()), ("median-dim", lambda lib, t: t.median(0)),
    ("nanmedian", lambda lib, t: t.nanmedian()), ("nanmedian-dim", lambda lib, t: t.nanmedian(0)),
    ("kthvalue", lambda lib, t: t.kthvalue(4)),
]


@pytest.mark.parametrize(("label", "fn"), NAN_CASES, ids=[c[0] for c in NAN_CASES])
def test_nan(label: str, fn: Any) -> None:
    ours = fn(ember, ember.tensor(NAN))
    if label == "median":
        assert np.isnan(ours.item())
    if label == "nanmedian":
        assert ours.item() == 1.0
    if torch is not None:
        theirs = fn(torch, torch.tensor(NAN))
        pairs = zip(ours, theirs) if isinstance(theirs, tuple) else [(ours, theirs)]
        for o, t in pairs:
            assert_close(o, t)


@requires_torch
@pytest.mark.parametrize("fn", [lambda t: t.max(), lambda t: t.median(), lambda t: t.amax(),
                                lambda t: t.nanmedian(), lambda t: t.sort()[0]])
def test_nan_gradients_match_torch(fn: Any) -> None:
    assert_close(_grad_of(ember, fn, NAN), _grad_of(torch, fn, NAN))


def test_nanmedian_of_all_nan() -> None:
    values, indices = ember.tensor([[np.nan, np.nan], [1.0, np.nan]]).nanmedian(1)
    assert np.isnan(values[0].item()) and values[1].item() == 1.0
    assert indices.tolist() == [0, 0]


# --- integer and bool inputs ----------------------------------------------------------------
INTS = np.array([[1, 5, 3], [4, 2, 6]])

INT_CASES = [
    ("max", lambda lib, t: t.max()), ("max-dim", lambda lib, t: t.int().max(0)),
    ("argmax", lambda lib, t: t.argmax()), ("amax", lambda lib, t: t.amax(0)),
    ("sort", lambda lib, t: t.sort(1)), ("topk", lambda lib, t: t.topk(1)),
    ("median", lambda lib, t: t.median()), ("kthvalue", lambda lib, t: t.int().kthvalue(1)),
    ("bool-max", lambda lib, t: (t > 2).max()), ("bool-sort", lambda lib, t: (t > 2).sort()),
    ("bool-amax", lambda lib, t: (t > 3).amax(1)),
]


@pytest.mark.parametrize(("label", "fn"), INT_CASES, ids=[c[0] for c in INT_CASES])
def test_integer_inputs(label: str, fn: Any) -> None:
    ours = fn(ember, ember.tensor(INTS))
    if label == "median":
        assert ours.item() == 3 and ours.dtype == ember.int64
    if torch is not None:
        theirs = fn(torch, torch.tensor(INTS))
        pairs = zip(ours, theirs) if isinstance(theirs, tuple) else [(ours, theirs)]
        for o, t in pairs:
            assert str(o.dtype).replace("ember.", "") == str(t.dtype).replace("torch.", "")
            assert_close(o, t)


# --- errors ---------------------------------------------------------------------------------
ERRORS = [
    ("max-empty", lambda lib: lib.zeros(0).max(), RuntimeError),
    ("min-empty", lambda lib: lib.zeros(0, 2).min(), RuntimeError),
    ("max-empty-dim", lambda lib: lib.zeros(0, 3).max(0), IndexError),
    ("amax-empty", lambda lib: lib.zeros(0).amax(), RuntimeError),
    ("amin-empty-dim", lambda lib: lib.zeros(0, 3).amin(0), IndexError),
    ("argmax-empty", lambda lib: lib.zeros(0).argmax(), IndexError),
    ("argmin-empty-dim", lambda lib: lib.zeros(0, 3).argmin(0), IndexError),
    ("argmax-bool", lambda lib: lib.ones(2, dtype=lib.bool).argmax(), RuntimeError),
    ("median-empty-dim", lambda lib: lib.zeros(0, 3).median(0), IndexError),
    ("median-bool", lambda lib: lib.ones(2, dtype=lib.bool).median(), NotImplementedError),
    ("topk-k", lambda lib: lib.ones(3).topk(4), RuntimeError),
    ("topk-empty", lambda lib: lib.zeros(0).topk(1), RuntimeError),
    ("topk-bool", lambda lib: lib.ones(3, dtype=lib.bool).topk(1), RuntimeError),
    ("kthvalue-0", lambda lib: lib.ones(3).kthvalue(0), RuntimeError),
    ("kthvalue-4", lambda lib: lib.ones(2, 3).kthvalue(4), RuntimeError),
    ("kthvalue-empty", lambda lib: lib.zeros(0).kthvalue(1), IndexError),
    ("max-dim-range", lambda lib: lib.tensor(3.0).max(1), IndexError),
    ("sort-dim-range", lambda lib: lib.ones(2, 2).sort(2), IndexError),
]


@pytest.mark.parametrize(("label", "fn", "kind"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(label: str, fn: Any, kind: type) -> None:
    with pytest.raises(kind) as ours:
        fn(ember)
    if torch is not None:
        with pytest.raises(kind) as theirs:
            fn(torch)
        assert str(ours.value) == torch_message(str(theirs.value))


def test_bad_dim_arguments_name_the_op() -> None:
    with pytest.raises(TypeError, match="max"):
        ember.ones(2).max(None)
    with pytest.raises(TypeError, match="median"):
        ember.ones(2).median(None)


# --- shapes and empty inputs ----------------------------------------------------------------
SHAPES = [
    ("0-d max", lambda lib, t: t[0, 0].max(0)), ("0-d sort", lambda lib, t: t[0, 0].sort()),
    ("0-d topk", lambda lib, t: t[0, 0].topk(1)), ("0-d argmax", lambda lib, t: t[0, 0].argmax(0)),
    ("0-d kthvalue", lambda lib, t: t[0, 0].kthvalue(1)),
    ("argmax keepdim", lambda lib, t: t.argmax(keepdim=True)),
    ("empty sort", lambda lib, t: t[:0].sort()), ("empty topk", lambda lib, t: t[:, :0].topk(0)),
    ("empty median", lambda lib, t: t[:0].median()),
    ("empty max(1)", lambda lib, t: t[:0].max(1)),
    ("empty argmax(1)", lambda lib, t: t[:0].argmax(1)),
    ("argsort desc", lambda lib, t: t.argsort(1, True)),
    ("topk smallest", lambda lib, t: lib.topk(t, 2, 1, largest=False)),
    ("kthvalue keepdim", lambda lib, t: t.kthvalue(2, 0, keepdim=True)),
    ("median even", lambda lib, t: t.median(1)), ("msort", lambda lib, t: lib.msort(t)),
]


@pytest.mark.parametrize(("label", "fn"), SHAPES, ids=[c[0] for c in SHAPES])
def test_shapes_and_values(label: str, fn: Any) -> None:
    data = np.array([[0.5, 2.0, -1.0, 4.0], [3.0, 1.0, 2.5, -2.0]])
    ours = fn(ember, ember.tensor(data))
    if torch is not None:
        theirs = fn(torch, torch.tensor(data))
        pairs = zip(ours, theirs) if isinstance(theirs, tuple) else [(ours, theirs)]
        for o, t in pairs:
            assert_close(o, t)


def test_median_is_the_lower_middle() -> None:
    assert ember.tensor([1.0, 4.0, 2.0, 3.0]).median().item() == 2.0
    values, indices = ember.tensor([[1.0, 4.0, 2.0, 3.0]]).median(1)
    assert values.tolist() == [2.0] and indices.tolist() == [2]
    assert np.isnan(ember.zeros(0).median().item())


def test_binary_max_min() -> None:
    if not hasattr(ember, "maximum"):
        with pytest.raises(NotImplementedError, match="maximum"):
            ember.max(ember.ones(2), ember.zeros(2))
        return
    a, b = ember.tensor([1.0, 5.0]), ember.tensor([3.0, 2.0])
    assert ember.max(a, b).tolist() == [3.0, 5.0]
    assert a.min(b).tolist() == [1.0, 2.0]


def test_sort_gradient_double_backward() -> None:
    x = ember.tensor(np.array([[0.3, -1.2, 2.2], [1.1, 0.4, -0.7]]), requires_grad=True)
    for fn in (lambda t: t.sort(1)[0] * t.sort(1)[0], lambda t: t.topk(2)[0] ** 2,
               lambda t: t.max(0)[0] ** 3, lambda t: t.median(1)[0].exp()):
        assert ember.autograd.gradgradcheck(fn, (x,))


@requires_torch
@pytest.mark.parametrize("call", [
    lambda t: t.max(), lambda t: t.max(1)[0], lambda t: t.amin(0), lambda t: t.sort(1)[0],
    lambda t: t.topk(2)[0], lambda t: t.kthvalue(2, 0, True)[0], lambda t: t.median(),
    lambda t: t.median(1)[0], lambda t: t.nanmedian()])
def test_forward_ad_matches_torch(call: Any) -> None:
    import torch.autograd.forward_ad as tfwad

    import ember.autograd.forward_ad as efwad

    data = np.array([[0.5, 2.0, -1.0, 4.0], [3.0, 1.0, 2.5, -2.0], [0.0, 2.0, 2.0, 1.0]])
    tangent = np.arange(12.0).reshape(3, 4) - 5
    results = []
    for lib, fwad in ((ember, efwad), (torch, tfwad)):
        with fwad.dual_level():
            x = fwad.make_dual(lib.tensor(data), lib.tensor(tangent))
            results.append(fwad.unpack_dual(call(x)).tangent)
    assert_close(*results)
