"""Sample inputs for the op table: each op's ``@op(samples=...)`` names a factory from here.

A sample is a call that works unchanged on ember and on torch (``call(lib, *tensors)``), plus
its inputs as float64 NumPy arrays (or plain values). The generated tests turn the arrays into
tensors of the dtype under test and compare values, gradients (finite differences in float64,
and torch), second-order gradients and grad_fn names. Only NumPy is imported here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Sample:
    """One call of an op under test.

    Attributes:
        call: ``call(lib, *inputs)`` with ``lib`` the ember or torch module.
        inputs: float arrays become tensors requiring grad; int/bool arrays become tensors that
            don't; anything else is passed as is.
        name: shown in the test id.
        gradcheck: whether finite differences apply (False at kinks and for integer results).
        nondiff: positions of float arrays that should not require grad.
    """

    call: Callable[..., Any]
    inputs: tuple
    name: str = ""
    gradcheck: bool = True
    nondiff: tuple = field(default_factory=tuple)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _values(shape: tuple, domain: str, seed: int) -> np.ndarray:
    rng = _rng(seed)
    x = rng.uniform(-2.0, 2.0, size=shape)
    if domain == "positive":
        x = np.abs(x) + 0.5
    elif domain == "nonzero":
        x = np.where(np.abs(x) < 0.3, 0.7, x)
    elif domain == "unit":
        x = np.clip(x / 2.5, -0.9, 0.9)
    return np.asarray(x)


def _method_call(name: str) -> Callable[..., Any]:
    def call(lib: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(x, name)(*args, **kwargs)

    return call


def unary_samples(domain: str = "real", edge: tuple = (),
                  call: Callable | None = None) -> Callable[[type], list[Sample]]:
    """Samples for an elementwise op of one tensor: 0-d, 1-D and 2-D inputs, plus edge values
    (checked for value and torch's gradient, not by finite differences)."""

    def make(cls: type) -> list[Sample]:
        fn = call if call is not None else _method_call(cls.methods[0])
        samples = [Sample(fn, (_values(shape, domain, i),), f"shape{shape}")
                   for i, shape in enumerate([(), (5,), (2, 3)])]
        if edge:
            samples.append(Sample(fn, (np.array(edge + (1.5, -1.5)),), "edge", gradcheck=False))
        return samples

    return make


_OPERATORS = {"__add__": operator.add, "__sub__": operator.sub, "__mul__": operator.mul,
              "__truediv__": operator.truediv, "__pow__": operator.pow}


def binary_samples(positive_lhs: bool = False, positive_rhs: bool = False,
                   call: Callable | None = None) -> Callable[[type], list[Sample]]:
    """Samples for a broadcasting elementwise op of two operands, tensors or Python numbers."""

    def make(cls: type) -> list[Sample]:
        if call is not None:
            fn = call
        elif cls.methods and cls.methods[0] in _OPERATORS:
            op_fn = _OPERATORS[cls.methods[0]]

            def fn(lib: Any, a: Any, b: Any) -> Any:
                return op_fn(a, b)
        else:
            fn = _method_call(cls.methods[0])
        lhs = "positive" if positive_lhs else "real"
        rhs = "positive" if positive_rhs else "real"
        pairs = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((4,), ())]
        samples = [Sample(fn, (_values(sa, lhs, 2 * i), _values(sb, rhs, 2 * i + 1)),
                          f"{sa}x{sb}") for i, (sa, sb) in enumerate(pairs)]
        samples.append(Sample(fn, (_values((2, 3), lhs, 11), 1.5), "tensor-scalar"))
        samples.append(Sample(fn, (2.5, _values((3,), rhs, 12)), "scalar-tensor"))
        return samples

    return make


def pow_samples() -> Callable[[type], list[Sample]]:
    def make(cls: type) -> list[Sample]:
        x = _values((2, 3), "real", 0)
        pos = _values((2, 3), "positive", 1)
        return [
            Sample(lambda lib, t: t ** 2, (x,), "square"),
            Sample(lambda lib, t: t ** 3, (x,), "cube"),
            Sample(lambda lib, t: t ** 0.5, (pos,), "sqrt"),
            Sample(lambda lib, t: t ** -1.5, (pos,), "negative"),
            Sample(lambda lib, t: t ** 0, (np.array([0.0, 1.0, -2.0]),), "zero-exponent"),
        ]

    return make


def reduction_samples(name: str, whole: bool = False) -> Callable[[type], list[Sample]]:
    def make(cls: type) -> list[Sample]:
        x = _values((2, 3, 4), "real", 0)
        if whole:
            return [Sample(lambda lib, t: getattr(t, name)(), (x,), "all"),
                    Sample(lambda lib, t: getattr(t, name)(), (np.array(1.5),), "0-d")]
        return [
            Sample(lambda lib, t: getattr(t, name)(1), (x,), "dim1"),
            Sample(lambda lib, t: getattr(t, name)(-1, keepdim=True), (x,), "keepdim"),
            Sample(lambda lib, t: getattr(t, name)((0, 2)), (x,), "dims"),
            Sample(lambda lib, t: getattr(t, name)(0), (_values((5,), "real", 1),), "1-D"),
        ]

    return make


def shape_samples(kind: str) -> Callable[[type], list[Sample]]:
    x = _values((2, 3, 4), "real", 0)
    m = _values((3, 4), "real", 1)
    table: dict[str, list[Sample]] = {
        "view": [Sample(lambda lib, t: t.view(4, 6), (x,), "view"),
                 Sample(lambda lib, t: t.reshape(-1), (x,), "reshape"),
                 Sample(lambda lib, t: t.transpose(0, 1).reshape(6, 4), (x,), "reshape-copy"),
                 Sample(lambda lib, t: t.flatten(1), (x,), "flatten")],
        "transpose": [Sample(lambda lib, t: t.transpose(0, 2), (x,), "transpose"),
                      Sample(lambda lib, t: t.mT, (x,), "mT")],
        "t": [Sample(lambda lib, t: t.t(), (m,), "2-D"),
              Sample(lambda lib, t: t.t(), (_values((3,), "real", 2),), "1-D")],
        "permute": [Sample(lambda lib, t: t.permute(2, 0, 1), (x,), "permute"),
                    Sample(lambda lib, t: t.T, (m,), "T")],
        "squeeze": [Sample(lambda lib, t: t.squeeze(), (_values((1, 3, 1), "real", 3),), "all")],
        "squeeze_dim": [Sample(lambda lib, t: t.squeeze(0), (_values((1, 3), "real", 3),),
                               "dim")],
        "squeeze_dims": [Sample(lambda lib, t: t.squeeze((0, 2)),
                                (_values((1, 3, 1), "real", 3),), "dims")],
        "unsqueeze": [Sample(lambda lib, t: t.unsqueeze(1), (m,), "dim1"),
                      Sample(lambda lib, t: t.unsqueeze(-1), (m,), "last")],
        "expand": [Sample(lambda lib, t: t.expand(2, 3, 4), (_values((3, 1), "real", 4),),
                          "expand"),
                   Sample(lambda lib, t: t.expand(-1, 4), (_values((3, 1), "real", 5),), "-1")],
        "cast": [Sample(lambda lib, t: t.double() * 1, (m,), "double")],
        "clone": [Sample(lambda lib, t: t.clone(), (m,), "clone")],
        "cat": [Sample(lambda lib, a, b: lib.cat([a, b], 1), (m, _values((3, 2), "real", 6)),
                       "cat")],
        "stack": [Sample(lambda lib, a, b: lib.stack([a, b], 0), (m, _values((3, 4), "real", 7)),
                         "stack")],
        "unbind": [Sample(lambda lib, t: t.unbind(1)[2], (m,), "unbind")],
        "split": [Sample(lambda lib, t: t.split([1, 3], 1)[1], (m,), "split")],
    }
    return lambda cls: table[kind]


def index_samples(kind: str) -> Callable[[type], list[Sample]]:
    x = _values((3, 4), "real", 0)
    table: dict[str, list[Sample]] = {
        "select": [Sample(lambda lib, t: t[1], (x,), "int"),
                   Sample(lambda lib, t: t[:, -1], (x,), "column")],
        "slice": [Sample(lambda lib, t: t[1:], (x,), "rows"),
                  Sample(lambda lib, t: t[:, ::2], (x,), "step")],
        "advanced": [Sample(lambda lib, t: t[[0, 2, 0]], (x,), "list-repeat"),
                     Sample(lambda lib, t: t[t > 0], (x,), "mask")],
    }
    return lambda cls: table[kind]


def matmul_samples(kind: str) -> Callable[[type], list[Sample]]:
    def mm(lib: Any, a: Any, b: Any) -> Any:
        return a @ b

    shapes = {"dot": [((3,), (3,))], "mv": [((2, 3), (3,))],
              "mm": [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 2, 3), (3, 4))],
              "bmm": [((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 2)),
                      ((2, 1, 2, 3), (3, 3, 2))]}[kind]
    return lambda cls: [Sample(mm, (_values(sa, "real", 2 * i), _values(sb, "real", 2 * i + 1)),
                               f"{sa}@{sb}") for i, (sa, sb) in enumerate(shapes)]


def softmax_samples(name: str) -> Callable[[type], list[Sample]]:
    x = _values((3, 4), "real", 0)
    return lambda cls: [Sample(lambda lib, t: getattr(t, name)(1), (x,), "dim1"),
                        Sample(lambda lib, t: getattr(t, name)(0), (x,), "dim0")]


def where_samples() -> Callable[[type], list[Sample]]:
    cond = np.array([[True, False, True], [False, False, True]])
    return lambda cls: [
        Sample(lambda lib, c, a, b: lib.where(c, a, b),
               (cond, _values((2, 3), "real", 0), _values((3,), "real", 1)), "broadcast"),
        Sample(lambda lib, c, a: lib.where(c, a, 0.0), (cond, _values((2, 3), "real", 2)),
               "scalar")]
