"""Random ops: dtypes, shapes, distributions, generator/seed reproducibility, errors, nodes."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch, torch_message


def test_normal_overloads_shapes_dtypes_and_nodes() -> None:
    m = ember.zeros(3, requires_grad=True)
    s = ember.ones(3, requires_grad=True)
    assert ember.normal(m, 1.0).grad_fn.name() == "NormalBackward1"
    assert ember.normal(0.0, s).grad_fn.name() == "NormalBackward2"
    y = ember.normal(m, s)
    assert y.grad_fn.name() == "NormalBackward3"
    y.sum().backward()
    assert_close(m.grad, np.zeros(3))
    assert ember.normal(0.0, 1.0, size=(2, 3)).dtype == ember.float32
    assert ember.normal(0.0, 1.0, (2,), dtype=ember.float64).dtype == ember.float64
    assert ember.normal(ember.zeros(2, 3), ember.ones(3)).shape == (2, 3)


def test_distributions() -> None:
    g = ember.Generator().manual_seed(0)
    x = ember.normal(2.0, 3.0, size=(20000,), generator=g).numpy()
    assert abs(x.mean() - 2.0) < 0.1 and abs(x.std() - 3.0) < 0.1
    u = ember.empty(20000).uniform_(-1, 3, generator=g).numpy()
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1.0) < 0.05
    b = ember.bernoulli(ember.full((20000,), 0.3), generator=g).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    e = ember.empty(20000).exponential_(2.0, generator=g).numpy()
    assert abs(e.mean() - 0.5) < 0.03
    r = ember.empty(1000).random_(3, 7, generator=g).numpy()
    assert set(np.unique(r)) == {3.0, 4.0, 5.0, 6.0}


def test_multinomial() -> None:
    g = ember.Generator().manual_seed(1)
    w = ember.tensor([[0.0, 1.0, 3.0], [1.0, 0.0, 0.0]])
    s = ember.multinomial(w, 4000, replacement=True, generator=g)
    assert s.dtype == ember.int64 and s.shape == (2, 4000)
    s_np = s.numpy()
    assert not (s_np[0] == 0).any() and (s_np[1] == 0).all()
    assert abs((s_np[0] == 2).mean() - 0.75) < 0.03
    perm = ember.multinomial(ember.ones(5), 5, generator=g)
    assert sorted(perm.tolist()) == [0, 1, 2, 3, 4]
    no_zero = ember.multinomial(ember.tensor([0.0, 1.0, 1.0]), 2, generator=g)
    assert sorted(no_zero.tolist()) == [1, 2]


def test_reproducible_under_seed_and_generator() -> None:
    ember.manual_seed(3)
    a = (ember.rand(3), ember.randn(3), ember.randint(0, 10, (3,)), ember.randperm(5),
         ember.normal(0.0, 1.0, (2,)), ember.bernoulli(ember.full((4,), 0.5)))
    ember.manual_seed(3)
    b = (ember.rand(3), ember.randn(3), ember.randint(0, 10, (3,)), ember.randperm(5),
         ember.normal(0.0, 1.0, (2,)), ember.bernoulli(ember.full((4,), 0.5)))
    for x, y in zip(a, b):
        assert np.array_equal(x.numpy(), y.numpy())
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    assert np.array_equal(ember.empty(4).normal_(generator=g1).numpy(),
                          ember.empty(4).normal_(generator=g2).numpy())
    assert np.array_equal(ember.multinomial(ember.ones(6), 3, generator=g1).numpy(),
                          ember.multinomial(ember.ones(6), 3, generator=g2).numpy())


def test_fillers_nodes_and_leaf_error() -> None:
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        ember.zeros(2, requires_grad=True).uniform_()
    x = ember.zeros(2, requires_grad=True) * 2
    assert x.uniform_().grad_fn.name() == "UniformBackward0"
    assert (ember.zeros(2, requires_grad=True) * 2).normal_().grad_fn.name() == "NormalBackward0"
    with ember.no_grad():
        w = ember.zeros(3, requires_grad=True)
        w.uniform_(-1, 1)
    assert w.is_leaf and w.requires_grad


def test_grids_and_indices() -> None:
    assert ember.tril_indices(3, 4, 1).tolist() == np.stack(np.tril_indices(3, 1, 4)).tolist()
    assert ember.triu_indices(4, 3, -1).tolist() == np.stack(np.triu_indices(4, -1, 3)).tolist()
    a, b = ember.meshgrid(ember.arange(2), ember.arange(3), indexing="xy")
    assert a.shape == (3, 2) and b.shape == (3, 2)
    with pytest.warns(UserWarning):
        ember.meshgrid(ember.arange(2), ember.arange(3))
    assert ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4])).tolist() == [
        [1, 3], [1, 4], [2, 3], [2, 4]]


ERROR_CASES = [
    ("normal-std", lambda L: L.normal(L.zeros(2), -1.0)),
    ("normal-std-tensor", lambda L: L.normal(L.zeros(2), -L.ones(2))),
    ("normal-std-float", lambda L: L.normal(0.0, -1.0, size=(2,))),
    ("normal-int", lambda L: L.normal(L.zeros(2, dtype=L.long), 1.0)),
    ("normal-broadcast", lambda L: L.normal(L.zeros(2, 3), L.ones(4))),
    ("bernoulli-p", lambda L: L.bernoulli(L.full((3,), 1.5))),
    ("bernoulli-int", lambda L: L.bernoulli(L.ones(3, dtype=L.long))),
    ("multinomial-too-many", lambda L: L.multinomial(L.ones(3), 4)),
    ("multinomial-negative", lambda L: L.multinomial(L.tensor([1.0, -1.0]), 1)),
    ("multinomial-zero", lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1)),
    ("multinomial-3d", lambda L: L.multinomial(L.ones(2, 2, 2), 1)),
    ("multinomial-0", lambda L: L.multinomial(L.ones(3), 0)),
    ("multinomial-int", lambda L: L.multinomial(L.ones(3, dtype=L.long), 1)),
    ("tril-indices-neg", lambda L: L.tril_indices(-1, 3)),
    ("tril-indices-dtype", lambda L: L.tril_indices(3, 3, dtype=L.float32)),
    ("meshgrid-indexing", lambda L: L.meshgrid(L.arange(2), L.arange(3), indexing="zz")),
    ("meshgrid-dtype", lambda L: L.meshgrid(L.ones(2), L.arange(3), indexing="ij")),
    ("uniform-range", lambda L: L.zeros(2).uniform_(2, 1)),
    ("uniform-int", lambda L: L.zeros(2, dtype=L.long).uniform_()),
    ("normal_-std", lambda L: L.zeros(2).normal_(0, -1)),
    ("exponential-lambda", lambda L: L.zeros(2).exponential_(-2.0)),
    ("exponential-int", lambda L: L.zeros(2, dtype=L.long).exponential_()),
    ("random-range", lambda L: L.zeros(4).random_(5, 2)),
    ("geometric-p", lambda L: L.zeros(2).geometric_(0)),
    ("log-normal-std", lambda L: L.zeros(2).log_normal_(0, -1)),
    ("randint-range", lambda L: L.randint(5, 3, (2,))),
    ("randint-size", lambda L: L.randint(10, 3)),
    ("randint-requires-grad", lambda L: L.randint(5, (2,), requires_grad=True)),
    ("randperm-negative", lambda L: L.randperm(-1)),
    ("randperm-float", lambda L: L.randperm(3.5)),
    ("rand-int", lambda L: L.rand(2, dtype=L.long)),
    ("randn-int", lambda L: L.randn(2, dtype=L.long)),
    ("rand-like-int", lambda L: L.rand_like(L.zeros(2, dtype=L.long))),
]


@requires_torch
@pytest.mark.parametrize(("name", "fn"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_match_torch(name: str, fn: object) -> None:
    with pytest.raises(Exception) as t_info:
        fn(torch)  # type: ignore[operator]
    with pytest.raises(Exception) as e_info:
        fn(ember)  # type: ignore[operator]
    assert e_info.type is t_info.type
    assert str(e_info.value) == torch_message(str(t_info.value).split("\n")[0])


def test_dtypes() -> None:
    assert ember.randint(5, (2,)).dtype == ember.int64
    assert ember.randint(5, (2,), dtype=ember.float32).dtype == ember.float32
    assert ember.rand(2, 3).dtype == ember.float32 and ember.rand(size=(2,)).shape == (2,)
    assert ember.randperm(3, dtype=ember.float32).dtype == ember.float32
    assert ember.randint_like(ember.zeros(2), 5).dtype == ember.float32
    assert ember.bernoulli(ember.zeros(3), 0.3).dtype == ember.float32
    assert ember.zeros(3, dtype=ember.long).bernoulli_(ember.full((3,), 0.5)).dtype == ember.int64
    assert ember.zeros(5, dtype=ember.uint8).random_().dtype == ember.uint8
