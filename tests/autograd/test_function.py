"""Custom autograd Functions (autograd/function.py), against torch's behaviour."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from tests.conftest import assert_close, requires_torch, torch


def make_functions(lib: Any) -> dict:
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):  # type: ignore[no-untyped-def]
            (result,) = ctx.saved_tensors
            return grad * result

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k, y):  # type: ignore[no-untyped-def]
            ctx.k = k
            return x * k + y

        @staticmethod
        def backward(ctx, grad):  # type: ignore[no-untyped-def]
            return grad * ctx.k, None, grad

    class MulSetup(lib.autograd.Function):
        @staticmethod
        def forward(x, y):  # type: ignore[no-untyped-def]
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):  # type: ignore[no-untyped-def]
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad):  # type: ignore[no-untyped-def]
            x, y = ctx.saved_tensors
            return grad * y, grad * x

    class SortWithIndex(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            idx = lib.argsort(x) if hasattr(lib, "argsort") else None
            out = x * 2
            ctx.mark_non_differentiable(idx) if idx is not None else None
            return out, idx

        @staticmethod
        def backward(ctx, grad, grad_idx):  # type: ignore[no-untyped-def]
            return grad * 2

    class AddOneInPlace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):  # type: ignore[no-untyped-def]
            return grad

    return {"Exp": Exp, "Scale": Scale, "MulSetup": MulSetup, "AddOneInPlace": AddOneInPlace,
            "SortWithIndex": SortWithIndex}


E = make_functions(ember)


def test_custom_function_basics() -> None:
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    y = E["Exp"].apply(x)
    assert repr(y) == "tensor([1.0000, 2.7183], grad_fn=<ExpBackward>)"
    assert y.grad_fn.name() == "ExpBackward" and type(y.grad_fn).__name__ == "ExpBackward"
    y.sum().backward()
    assert_close(x.grad, np.exp([0.0, 1.0]))


def test_non_tensor_arguments_and_needs_input_grad() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    out = E["Scale"].apply(x, 3, ember.ones(2))
    assert out.grad_fn.needs_input_grad == (True, False, False)
    assert len(out.grad_fn.next_functions) == 2  # tensor inputs only, as torch
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_setup_context_style() -> None:
    x = ember.tensor([2.0], requires_grad=True)
    y = ember.tensor([5.0], requires_grad=True)
    E["MulSetup"].apply(x, y).sum().backward()
    assert x.grad.item() == 5.0 and y.grad.item() == 2.0


def test_mark_dirty() -> None:
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    out = E["AddOneInPlace"].apply(b)
    assert out is b and b.tolist() == [2.0, 3.0] and b.grad_fn.name() == "AddOneInPlaceBackward"
    out.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_wrong_number_of_gradients() -> None:
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            return x * 2

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return g, g

    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number "
                                           r"of gradients \(expected 1, got 2\)"):
        Bad.apply(ember.ones(2, requires_grad=True)).sum().backward()


def test_wrong_gradient_shape() -> None:
    class BadShape(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            return x * 2

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return ember.ones(3)

    with pytest.raises(RuntimeError, match=r"Function BadShapeBackward returned an invalid "
                                           r"gradient at index 0 - got \[3\] but expected shape "
                                           r"compatible with \[2\]"):
        BadShape.apply(ember.ones(2, requires_grad=True)).sum().backward()


def test_once_differentiable() -> None:
    class Square(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.function.once_differentiable
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = ember.tensor(3.0, requires_grad=True)
    (g,) = ember.autograd.grad(Square.apply(x) ** 2, x, create_graph=True)
    assert g.item() == 108.0 and g.grad_fn.name() == "Error"
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        g.backward()


def test_materialize_grads_off_passes_none() -> None:
    seen = []

    class Two(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):  # type: ignore[no-untyped-def]
            seen.append(g2)
            return g1 * 2

    a, _ = Two.apply(ember.ones(2, requires_grad=True))
    a.sum().backward()
    assert seen == [None]


def test_saved_tensor_modified_in_place_raises() -> None:
    x = ember.ones(2, requires_grad=True)
    y = E["Exp"].apply(x * 1)
    with ember.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@requires_torch
def test_custom_functions_match_torch() -> None:
    T = make_functions(torch)
    data = np.array([0.5, -1.0, 2.0])
    ex, tx = ember.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    for name in ("Exp",):
        E[name].apply(ex).sum().backward()
        T[name].apply(tx).sum().backward()
        assert_close(ex.grad, tx.grad)
        assert E[name].apply(ex).grad_fn.name() == T[name].apply(tx).grad_fn.name()


def test_custom_function_jvp_in_forward_mode() -> None:
    import ember.autograd.forward_ad as fwAD

    class Cube(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            ctx.save_for_forward(x)
            ctx.x = x
            return x ** 3

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return 3 * g * ctx.x ** 2

        @staticmethod
        def jvp(ctx, t):  # type: ignore[no-untyped-def]
            return 3 * ctx.x ** 2 * t

    with fwAD.dual_level():
        x = fwAD.make_dual(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))
        assert fwAD.unpack_dual(Cube.apply(x)).tangent.tolist() == [3.0, 12.0]
