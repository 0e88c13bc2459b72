"""``x[key]`` and ``x[key] = value``: keys, errors, gradients and node names beyond the op
table's samples. Compared with torch where it is installed; the core runs without it."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message

SHAPE = (3, 4, 5)


def _base(lib: Any, requires_grad: bool = True) -> Any:
    data = np.arange(60, dtype=np.float64).reshape(SHAPE) / 7 - 3
    return lib.tensor(data, requires_grad=requires_grad)


# --- keys given as builders, so each library gets its own tensors ------------------------------
def _t(values: Any, dtype: str = "int64") -> Any:
    return lambda lib: lib.tensor(values, dtype=getattr(lib, dtype))


def _random_item(rng: np.random.Generator, size: int) -> Any:
    kind = rng.integers(0, 9)
    if kind == 0:
        return int(rng.integers(-size, size))
    if kind == 1:
        start, stop = sorted(rng.integers(-size - 1, size + 2, size=2).tolist())
        return slice(start if rng.random() < 0.7 else None, stop if rng.random() < 0.7 else None,
                     int(rng.integers(1, 4)) if rng.random() < 0.5 else None)
    if kind == 2:
        return slice(None)
    if kind == 3:
        return rng.integers(-size, size, size=int(rng.integers(0, 4))).tolist()
    if kind == 4:
        return _t(rng.integers(-size, size, size=(2, 1)).tolist())
    if kind == 5:
        return _t(rng.random(size) < 0.5, "bool")
    if kind == 6:
        return _t(int(rng.integers(-size, size)))
    if kind == 7:
        return bool(rng.random() < 0.7)
    return _t(rng.integers(0, size, size=2).tolist(), "int32")


def _random_key(rng: np.random.Generator) -> tuple:
    items: list[Any] = []
    dims = list(SHAPE)
    ellipsis = rng.random() < 0.2
    while dims and rng.random() < 0.85:
        if rng.random() < 0.15:
            items.append(None)
            continue
        items.append(_random_item(rng, dims.pop(0)))
        if isinstance(items[-1], bool):
            continue
    if ellipsis:
        items.insert(int(rng.integers(0, len(items) + 1)), Ellipsis)
    return tuple(items)


def _build(key: tuple, lib: Any) -> tuple:
    return tuple(k(lib) if callable(k) else k for k in key)


def _outcome(lib: Any, key: tuple) -> Any:
    x = _base(lib) * 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x[_build(key, lib)]
    except (IndexError, ValueError, RuntimeError, TypeError) as err:
        return type(err).__name__, str(err).replace("torch.", "ember.")
    return y


KEYS = [_random_key(np.random.default_rng(seed)) for seed in range(400)]


@requires_torch
@pytest.mark.parametrize("key", KEYS, ids=[f"key{i}" for i in range(len(KEYS))])
def test_random_keys_match_torch(key: tuple) -> None:
    e, t = _outcome(ember, key), _outcome(torch, key)
    if isinstance(t, tuple):
        assert e == t
        return
    assert not isinstance(e, tuple), e
    assert tuple(e.shape) == tuple(t.shape)
    assert_close(e, t)
    assert e.grad_fn.name() == t.grad_fn.name()
    assert (e._base is not None) == (t._base is not None)
    seed = np.random.default_rng(0).standard_normal(tuple(t.shape))
    xe, xt = _base(ember), _base(torch)
    ge, = ember.autograd.grad(xe[_build(key, ember)], xe, ember.tensor(seed))
    gt, = torch.autograd.grad(xt[_build(key, torch)], xt, torch.tensor(seed))
    assert_close(ge, gt)


FIXED_KEYS = [
    0, -1, slice(None), slice(1, None), (slice(None),), Ellipsis, None, (None, None), True,
    False, [0, 2], [[0, 1], [1, 2]], [True, False, True], (0, [1, 2]), ([0, 1], [1, 2]),
    ([0, 1], slice(None), [1, 2]), (slice(None), [0, 1], [1, 2]), ([0, 1], 0, [1, 2]),
    (None, [0, 1], None, [1, 2]), (Ellipsis, [1, 2]), (1, Ellipsis, 2), [[0, 1]], [0], [],
    ([],), slice(0, 0), slice(5, 10), (True, 0), (slice(None), True), (None, True, [0, 1]),
    [0.5], [True, 1], ([0, 1], [[1], [2]]), (slice(0, 100), 0), (slice(-3, None), 0),
    (Ellipsis, Ellipsis), (0, 0, 0, None), (0, 0, 0, True),
    # errors
    3, -4, (0, 4), (0, 0, 5), slice(None, None, -1), slice(None, None, 0), [3], [0, -4],
    (0, [5]), ([0, 1], [1, 2, 3]), 1.5, (0, 0, 0, 0), (None, 0, 0, 0, 0), (None, 0, 4),
    (Ellipsis, 7), (0, None, 0, 9), (slice(None), slice(None), [7]), ([0], [9]),
    ([0], slice(None), [9]), (slice(None), [9], [0]), ([0], [0], [-6]), (False, [0, 1]),
    ([True, False, True], [0, 1], [0, 9]), (slice(None), [True, False]), "a",
]
TENSOR_KEYS = [
    _t(1), _t(True, "bool"), _t(False, "bool"), _t([[0, 1]]), _t([0, 1], "int32"),
    _t([1, 0, 1], "uint8"), _t([0.0], "float32"), _t(1.0, "float32"), _t([], "float32"),
    _t([0, 1], "int16"), _t([True, False], "bool"), _t([[True]], "bool"), _t(5), _t([5]),
    _t([-4]), (slice(None), _t(7)), (_t(1), _t(2)), ([0, 1], _t(True, "bool")),
    ([0, 1], _t(False, "bool")), (_t(True, "bool"), [0, 1]), ([0, 1], None, _t(True, "bool")),
    (_t([0, 1]), _t([[1], [2]])), (0, _t([[True] * 5] * 4, "bool")),
    (0, _t([[True] * 5] * 3, "bool")), (slice(None), _t([True, False, True, True], "bool")),
]


@requires_torch
@pytest.mark.parametrize("key", FIXED_KEYS + TENSOR_KEYS,
                         ids=[f"fixed{i}" for i in range(len(FIXED_KEYS + TENSOR_KEYS))])
def test_fixed_keys_match_torch(key: Any) -> None:
    key = key if isinstance(key, tuple) else (key,)
    test_random_keys_match_torch(key)


@requires_torch
@pytest.mark.parametrize("key", [0, slice(None), (0,), [0], Ellipsis, None, True, ()])
def test_zero_dim(key: Any) -> None:
    def outcome(lib: Any) -> Any:
        try:
            y = lib.tensor(3.0, requires_grad=True)[key]
        except IndexError as err:
            return torch_message(str(err))
        return tuple(y.shape), y.grad_fn.name() if y.grad_fn else None

    assert outcome(ember) == outcome(torch)


def test_core_without_torch() -> None:
    x = ember.arange(12.0).reshape(3, 4).requires_grad_()
    assert x[1].grad_fn.name() == "SelectBackward0"
    assert x[:, 1:3].grad_fn.name() == "SliceBackward0"
    assert x[...].grad_fn.name() == "AliasBackward0"
    assert x[None].shape == (1, 3, 4)
    assert x[[0, 0, 2]].grad_fn.name() == "IndexBackward0"
    assert x[[0, 2], [1, 3]].tolist() == [1.0, 11.0]
    assert x[x > 9].tolist() == [10.0, 11.0]
    assert x[:, [True, False, True, False]].shape == (3, 2)
    assert x[[[0], [2]], [1, 3]].shape == (2, 2)
    x[[0, 0, 2], [1, 1, 3]].sum().backward()
    assert x.grad[0, 1].item() == 2.0 and x.grad[2, 3].item() == 1.0
    assert x.grad.sum().item() == 3.0
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        x[ember.tensor([0.0])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]


def test_views_share_storage() -> None:
    x = ember.zeros(3, 4)
    row = x[1]
    row.add_(1.0)
    assert x.sum().item() == 4.0 and row._version == x._version == 1
    copy = x[[1]]
    copy.add_(1.0)
    assert x.sum().item() == 4.0
    v = ember.zeros(3)
    element = v[1]  # a 0-d result is still a view
    element.add_(2.0)
    assert v.tolist() == [0.0, 2.0, 0.0]


def test_double_backward() -> None:
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x[[0, 0, 2]] ** 2).sum()
    g, = ember.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [4.0, 0.0, 6.0]
    h, = ember.autograd.grad(g.sum(), x)
    assert h.tolist() == [4.0, 0.0, 2.0]


def test_uint8_mask_warns() -> None:
    x = ember.arange(3.0)
    with pytest.warns(UserWarning, match="uint8"):
        assert x[ember.tensor([1, 0, 1], dtype=ember.uint8)].tolist() == [0.0, 2.0]


# --- setitem --------------------------------------------------------------------------------------
SET_CASES = [
    (lambda lib: 0, lambda lib: 5.0),
    (lambda lib: (slice(None), 1), lambda lib: lib.tensor([1.0, 2.0, 3.0])),
    (lambda lib: [0, 2], lambda lib: lib.tensor([1.0, 2.0, 3.0, 4.0])),
    (lambda lib: ([0, 0], [1, 1]), lambda lib: lib.tensor([7.0, 8.0])),
    (lambda lib: lib.tensor([[True, False, True, False]] * 3), lambda lib: -1.0),
    (lambda lib: (Ellipsis, None, 2), lambda lib: lib.tensor([[1.0], [2.0], [3.0]])),
    (lambda lib: 1, lambda lib: lib.ones(1, 1, 4)),
    (lambda lib: [[0, 1]], lambda lib: lib.ones(1, 4)),
    (lambda lib: (True, 0), lambda lib: 3.0),
    (lambda lib: (slice(1, None, 2), [1, 3]), lambda lib: lib.tensor([[5.0, 6.0]])),
    (lambda lib: Ellipsis, lambda lib: 2.0),
    (lambda lib: 0, lambda lib: lib.ones(3)),
    (lambda lib: [0, 1], lambda lib: lib.ones(3)),
    (lambda lib: [0, 1], lambda lib: lib.ones(3, 2, 4)),
    (lambda lib: 0, lambda lib: lib.ones(2, 4)),
    (lambda lib: (0, 0), lambda lib: lib.ones(2)),
    (lambda lib: [5], lambda lib: 1.0),
    (lambda lib: (0, 9), lambda lib: 1.0),
    (lambda lib: [0], lambda lib: lib.ones(4, dtype=lib.float64)),
]


def _set_outcome(lib: Any, key_fn: Any, value_fn: Any, grad: bool) -> Any:
    base = lib.arange(12.0).reshape(3, 4).requires_grad_(grad)
    x = base * 1 if grad else base.clone()
    value = value_fn(lib)
    if grad and isinstance(value, lib.Tensor) and value.dtype == x.dtype:
        value.requires_grad_()
    before = x.detach().clone()
    try:
        x[key_fn(lib)] = value
    except (IndexError, RuntimeError) as err:
        assert np.array_equal(x.detach().numpy(), before.numpy())  # untouched
        return type(err).__name__, torch_message(str(err))
    assert x._version == 1 or grad
    if not grad:
        return x, None, None
    seed = lib.tensor(np.arange(12.0).reshape(3, 4) - 5, dtype=x.dtype)
    inputs = [base] + ([value] if isinstance(value, lib.Tensor) and value.requires_grad else [])
    grads = lib.autograd.grad(x, inputs, seed)
    return x, x.grad_fn.name(), grads


@requires_torch
@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize(("key", "value"), SET_CASES,
                         ids=[f"set{i}" for i in range(len(SET_CASES))])
def test_setitem_matches_torch(key: Any, value: Any, grad: bool) -> None:
    e, t = _set_outcome(ember, key, value, grad), _set_outcome(torch, key, value, grad)
    if isinstance(t[0], str):
        assert e == t
        return
    assert_close(e[0], t[0])
    assert e[1] == t[1] or (t[1] in ("FillBackward3", "torch::autograd::CopyBackwards")
                            and e[1] == "torch::autograd::CopySlices")
    if grad:
        for ge, gt in zip(e[2], t[2]):
            assert_close(ge, gt)


@requires_torch
def test_setitem_errors_match_torch() -> None:
    for key in (0, [0], Ellipsis, slice(None)):
        messages = []
        for lib in (ember, torch):
            leaf = lib.ones(3, requires_grad=True)
            with pytest.raises(RuntimeError) as info:
                leaf[key] = 1.0
            messages.append(str(info.value))
        assert messages[0] == messages[1]
    for lib_dtype in ("int64",):
        messages = []
        for lib in (ember, torch):
            x = lib.zeros(3, 4, dtype=getattr(lib, lib_dtype))
            with pytest.raises(RuntimeError) as info:
                x[[0]] = lib.tensor([1.5, 2.0, 3.0, 4.0])
            messages.append(torch_message(str(info.value)))
        assert messages[0] == messages[1]


def test_setitem_core() -> None:
    x = ember.zeros(3, 4, dtype=ember.int64)
    x[0] = ember.tensor([1.7, 2.2, 3.0, 4.0])  # basic keys cast the value
    assert x[0].tolist() == [1, 2, 3, 4] and x._version == 1
    x[x > 2] = 0
    assert x.sum().item() == 3
    flags = ember.zeros(3, dtype=ember.bool)
    flags[1] = 2.5
    assert flags.tolist() == [False, True, False]

    value = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.zeros(2, 3)
    y[:, 1] = value
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    (y * ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert value.grad.tolist() == [2.0, 5.0]

    w = ember.ones(2, 3, requires_grad=True)
    z = w * 2
    z[[0, 0], [1, 1]] = value
    assert z.grad_fn.name() == "IndexPutBackward0"
    z.sum().backward()
    assert w.grad.tolist() == [[2.0, 0.0, 2.0], [2.0, 2.0, 2.0]]

    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        w[0] = 1.0
    with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape"):
        y[[0, 1]] = ember.ones(2)
    with ember.no_grad():
        w[0] = 5.0
    assert w[0].tolist() == [5.0, 5.0, 5.0]
