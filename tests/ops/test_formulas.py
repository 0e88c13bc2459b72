"""Each primitive declares its local derivative (``formula``) next to its backward.

Every registered primitive has one, keyed by the names of its forward's inputs, and
``help(Node)`` / ``node.formula`` show it. For elementwise ops the formula is an expression
this test evaluates on the op's samples and compares with what ``backward`` returns, so the
text cannot drift from the code.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import numpy as np
import pytest

import ember
from ember.autograd.graph_walk import forward_arg_names
from ember.ops._op import REGISTRY, Primitive
from tests.conftest import to_ember

PRIMITIVES = sorted((name, cls) for name, cls in REGISTRY.items()
                    if isinstance(cls, type) and issubclass(cls, Primitive))

# Elementwise ops whose formula reads a parameter the node stores under another name, or a
# case the expression leaves out (both are listed, not skipped silently).
NOT_EVALUATED = {
    "ClampBackward1": "min/max are kept on the node as ctx.bounds",
    "ClampMinBackward0": "min is kept on the node as ctx.bounds",
    "ClampMaxBackward0": "max is kept on the node as ctx.bounds",
    "GeluBackward0": "the formula names Phi and phi, the normal cdf and pdf",
    "NanToNumBackward0": "nan/posinf/neginf are replaced in forward, not kept",
}
NOT_EVALUATED_SAMPLES = {
    ("PowBackward0", "zero-exponent"): "backward defines d/dx x**0 = 0 at x = 0 too, where the "
                                       "formula reads 0 * 0**-1",
}


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + np.exp(-x))


NAMESPACE = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "sign": np.sign, "where": np.where,
    "isfinite": np.isfinite, "isnan": np.isnan, "floor": np.floor, "trunc": np.trunc,
    "abs": np.abs, "pi": math.pi, "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0, x), "erf": np.vectorize(math.erf),
}


def test_every_primitive_declares_its_formula() -> None:
    missing = [name for name, cls in PRIMITIVES if "formula" not in cls.__dict__]
    assert not missing, f"primitives without a formula next to their backward: {missing}"


@pytest.mark.parametrize(("name", "cls"), PRIMITIVES, ids=[n for n, _ in PRIMITIVES])
def test_formula_names_the_forward_inputs(name: str, cls: type) -> None:
    formula = cls.__dict__["formula"]
    assert isinstance(formula, dict) and formula
    args = forward_arg_names(cls) or ("tensors",)  # cat and stack take a sequence
    assert set(formula) <= set(args) | {"base", "tensors"}, (name, formula, args)
    assert all(isinstance(text, str) and text for text in formula.values())


def test_help_and_node_show_the_formula() -> None:
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    node = (x ** 3).grad_fn
    assert node.formula == {"x": "grad * exponent * x ** (exponent - 1)"}
    doc = type(node).__doc__
    assert "Derivative (the backward rule, per input):" in doc
    assert "x: grad * exponent * x ** (exponent - 1)" in doc


def _elementwise_cases() -> list:
    cases = []
    for name, cls in PRIMITIVES:
        if not cls.elementwise or cls.samples is None or name in NOT_EVALUATED:
            continue
        for i, sample in enumerate(cls.samples(cls)):
            if sample.gradcheck and (name, sample.name) not in NOT_EVALUATED_SAMPLES:
                cases.append(pytest.param(cls, sample, id=f"{name}-{sample.name or i}"))
    return cases


def _sum_to(array: np.ndarray, shape: tuple) -> np.ndarray:
    while array.ndim > len(shape):
        array = array.sum(0)
    for axis, size in enumerate(shape):
        if size == 1 and array.shape[axis] != 1:
            array = array.sum(axis, keepdims=True)
    return array


@pytest.mark.parametrize(("cls", "sample"), _elementwise_cases())
def test_elementwise_formula_matches_backward(cls: Any, sample: Any) -> None:
    inputs = tuple(to_ember(x, ember.float64) for x in sample.inputs)
    out = sample.call(ember, *inputs)
    node = out.grad_fn
    if node is None:
        pytest.skip("no differentiable input")
    if type(node) is not cls:
        pytest.skip(f"the sample's output node is {node.name()}")  # a composite around it
    grad = np.random.default_rng(0).uniform(0.5, 1.5, size=out.shape)
    names = forward_arg_names(cls)
    incoming = "gg" if "grad" in names else "grad"
    scope: dict[str, Any] = dict(NAMESPACE)
    scope.update({k: v for k, v in vars(node).items() if not k.startswith("_")})
    saved = node._saved if cls.save_inputs else ()
    for i, edge in enumerate(node._next):
        if i < len(names):
            if saved and i < len(saved):
                value = saved[i]
            elif edge is not None and hasattr(edge, "variable"):
                value = edge.variable
            else:
                continue
            scope[names[i]] = value._data if isinstance(value, ember.Tensor) else value
    scope["result"] = out._data
    scope[incoming] = grad
    with ember.no_grad():
        expected = node.backward(node, ember.tensor(grad))
    expected = expected if isinstance(expected, tuple) else (expected,)
    checked = 0
    for i, edge in enumerate(node._next):
        key = names[i] if i < len(names) else None
        if edge is None or key not in cls.formula:
            continue
        used = {n.id for n in ast.walk(ast.parse(cls.formula[key])) if isinstance(n, ast.Name)}
        if any(scope.get(n, 0) is None for n in used):
            continue  # an optional input left out (clamp with one bound)
        value = eval(cls.formula[key], scope)  # noqa: S307 - the op's own declaration
        target = np.shape(scope.get(key, grad))
        value = _sum_to(np.broadcast_to(value, grad.shape) * 1.0, target)
        want = _sum_to(expected[i]._data, target)
        np.testing.assert_allclose(value, want, rtol=1e-7, atol=1e-10, err_msg=key)
        checked += 1
    if not checked:
        pytest.skip("each input's formula names an optional input this sample leaves out")
