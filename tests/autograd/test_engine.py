"""The backward engine and autograd entry points (autograd/engine.py, autograd/__init__.py)."""

from __future__ import annotations

import gc
import sys
import warnings

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch


def test_accumulation_across_backward_calls() -> None:
    x = ember.tensor(5.0, requires_grad=True)
    (x ** 3).backward()
    (x ** 3).backward()
    assert x.grad.item() == 150.0


def test_second_backward_through_freed_graph_raises_and_says_where() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time") \
            as info:
        z.backward()
    assert "test_engine.py" in str(info.value)  # ember says which backward freed the graph


def test_graph_without_saved_tensors_can_run_twice() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = (x + 1).sum()
    w.backward()
    w.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_graph() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_implicit_gradient_only_for_scalars() -> None:
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"ember.Size\(\[3\]\) and output\[0\] has a shape of "
                                           r"ember.Size\(\[2\]\)."):
        y.backward(ember.ones(3))


def test_nothing_requires_grad() -> None:
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does "
                                           "not have a grad_fn"):
        (ember.tensor(1.0) * 2).backward()


def test_non_leaf_grad_warns_and_retain_grad() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = y * 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert z.grad is None
    assert "is not a leaf Tensor is being accessed" in str(caught[0].message)
    z.sum().backward()
    assert y.grad.tolist() == [3.0, 3.0] and x.grad.tolist() == [6.0, 6.0]


def test_hooks_can_replace_gradients() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    handle = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0] and seen == [[20.0, 20.0]]
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_post_accumulate_grad_hook() -> None:
    x = ember.tensor([1.0], requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    (x * 3).sum().backward()
    assert calls == [3.0]


def test_autograd_grad() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([3.0, 4.0], requires_grad=True)
    out = (x * y).sum()
    gx, gy = ember.autograd.grad(out, (x, y))
    assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
    assert x.grad is None  # grad() does not accumulate
    unused = ember.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not "
                                           "have been used in the graph. Set allow_unused=True"):
        ember.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = ember.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None
    gx, gu = ember.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.item() == 0.0


def test_grad_of_non_leaf_and_create_graph() -> None:
    x = ember.tensor(3.0, requires_grad=True)
    y = x ** 3
    (dy,) = ember.autograd.grad(y, x, create_graph=True)
    assert dy.item() == 27.0 and dy.requires_grad
    (d2y,) = ember.autograd.grad(dy, x)
    assert d2y.item() == 18.0
    h = x * 2
    (dh,) = ember.autograd.grad((h * h).sum(), h)
    assert dh.item() == 12.0


def test_backward_inputs_argument() -> None:
    x = ember.tensor([1.0], requires_grad=True)
    y = ember.tensor([2.0], requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and y.grad is None


def test_create_graph_accumulates_differentiable_grad() -> None:
    x = ember.tensor(2.0, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 12.0


def test_broadcast_gradients_are_summed_back() -> None:
    a = ember.ones(2, 3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    c = ember.tensor(2.0, dtype=ember.float64, requires_grad=True)
    ((a * b) * c).sum().backward()
    assert b.grad.shape == (3,) and b.grad.tolist() == [4.0, 4.0, 4.0]
    assert c.grad.dtype is ember.float64 and c.grad.item() == 6.0


def test_long_chain_has_no_recursion_and_is_freed_without_cycles() -> None:
    x = ember.ones(4, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    y.sum().backward()
    assert sys.getrecursionlimit() == limit and x.grad.tolist() == [1.0] * 4
    # graphs hold no reference cycles: dropping the output frees every node by refcount
    gc.collect()
    gc.disable()
    try:
        z = x * 2
        node = z.grad_fn
        import weakref

        ref = weakref.ref(node)
        del z, node
        assert ref() is None
    finally:
        gc.enable()


def test_diamond_graph_accumulates_once_per_path() -> None:
    x = ember.tensor(2.0, requires_grad=True)
    a = x * 3
    b = a + a
    c = b * a
    c.backward()
    # c = 2a * a = 2 * 9 x^2 -> dc/dx = 36 x = 72
    assert x.grad.item() == 72.0


@requires_torch
def test_gradients_match_torch_on_a_small_network() -> None:
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype(np.float32) for s in ((5, 4), (4, 3), (3,))]

    def run(lib: object) -> list:
        x, w, b = (lib.tensor(d, requires_grad=True) for d in data)
        out = ((x @ w + b).tanh() ** 2).mean() + (x.exp() / (1 + x.abs())).sum()
        out.backward()
        return [x.grad, w.grad, b.grad]

    for ours, theirs in zip(run(ember), run(torch)):
        assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_leaf_grads_never_alias_other_tensors() -> None:
    # .grad may take over a fresh gradient's memory (as torch steals buffers), but never one
    # that another leaf, the user, or a saved tensor still holds
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    x = ember.ones(3, requires_grad=True)
    seed = ember.full((3,), 2.0)
    x.backward(seed)
    x.grad.zero_()
    assert seed.tolist() == [2.0, 2.0, 2.0]
    y = ember.ones(3, requires_grad=True)
    kept = []
    y.register_hook(lambda g: kept.append(g))
    (y * 4).sum().backward()
    y.grad.zero_()
    assert kept[0].tolist() == [4.0, 4.0, 4.0]


def _modify_saved_input(lib: object) -> str:
    x = lib.ones(2, requires_grad=True)
    a = x.exp()
    b = a * 2
    a.add_(1)
    with pytest.raises(RuntimeError) as info:
        b.sum().backward()
    return str(info.value)


def _modify_saved_output(lib: object) -> str:
    x = lib.ones(2, requires_grad=True)
    b = (x * 1).exp()
    b.mul_(2)
    with pytest.raises(RuntimeError) as info:
        b.sum().backward()
    return str(info.value)


def test_modified_saved_tensor_error_names_the_producer() -> None:
    text = _modify_saved_input(ember)
    assert "[ember.FloatTensor [2]], which is output 0 of Exp, is at version 1; expected " \
           "version 0 instead." in text
    assert "output 0 of Exp," in _modify_saved_output(ember)


@requires_torch
@pytest.mark.parametrize("case", [_modify_saved_input, _modify_saved_output])
def test_modified_saved_tensor_error_matches_torch(case: object) -> None:
    assert case(ember) == case(torch).replace("torch.", "ember.")
