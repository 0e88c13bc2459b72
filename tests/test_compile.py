"""ember.compile, Module.compile, ember.jit, ember.onnx and ember.fx: the documented
pass-throughs give the eager results; what cannot work raises clearly."""

from __future__ import annotations

import pytest

import ember
from tests.conftest import requires_torch, torch


def _model() -> ember.nn.Module:
    ember.manual_seed(0)
    return ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))


def test_compile_returns_a_callable_doing_the_same() -> None:
    model = _model()
    x = ember.randn(5, 3)
    compiled = ember.compile(model, mode="max-autotune", fullgraph=True)
    assert ember.equal(compiled(x), model(x))
    assert compiled._orig_mod is model and list(compiled.state_dict())[0] == "_orig_mod.0.weight"
    assert compiled.training and ember.compile(ember.nn.Linear(3, 4)).in_features == 3

    @ember.compile
    def f(t):
        return t.sin() * 2

    assert ember.equal(f(x), x.sin() * 2) and f.__name__ == "f"
    assert ember.equal(ember.compile(backend="eager")(f)(x), f(x))
    assert model.compile() is None and ember.equal(model(x), compiled(x))


@requires_torch
@pytest.mark.parametrize("kwargs", [{"mode": "foo"}, {"backend": "foo"},
                                    {"mode": "default", "options": {}}], ids=str)
def test_compile_checks_arguments_as_torch(kwargs) -> None:
    errors = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info:
            lib.compile(lib.nn.Linear(1, 1), **kwargs)
        errors.append(str(info.value).replace("torch.", "ember.").split("`")[0])
    assert errors[0] == errors[1]


def test_jit_pass_throughs() -> None:
    model = _model()
    x = ember.randn(2, 3)
    assert ember.jit.script(model) is model
    assert ember.jit.trace(model, x) is model
    fn = ember.jit.script(lambda t: t * 2)
    assert ember.equal(fn(x), x * 2)
    assert not ember.jit.is_scripting() and not ember.jit.is_tracing()

    class WithFinal(ember.nn.Module):
        scale: ember.jit.Final[int] = 3

        @ember.jit.ignore
        def helper(self, t):
            return t + 1

        @ember.jit.unused
        def unused(self, t):
            return t

        @ember.jit.export
        def forward(self, t):
            return self.helper(t) * self.scale

    assert ember.equal(WithFinal()(x), (x + 1) * 3)
    assert ember.jit.ignore(drop=True)(len) is len
    assert ember.jit.annotate(list[int], []) == []
    assert ember.jit.fork(lambda a: a + 1, 1).wait() == 2
    with pytest.raises(RuntimeError, match="TorchScript archives cannot be loaded"):
        ember.jit.load("model.pt")
    with pytest.raises(RuntimeError, match="TorchScript archives cannot be written"):
        ember.jit.save(model, "model.pt")


def test_onnx_and_fx() -> None:
    assert ember.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="ember.onnx.export"):
        ember.onnx.export(_model(), (ember.randn(1, 3),), "model.onnx")

    @ember.fx.wrap
    def leaf(t):
        return t * 2

    assert leaf(3) == 6 and ember.fx.wrap("len") == "len"
    for make in (lambda: ember.fx.symbolic_trace(_model()), ember.fx.Tracer, ember.fx.Graph,
                 lambda: ember.fx.GraphModule(_model(), None)):
        with pytest.raises(NotImplementedError, match="symbolic tracing is not implemented"):
            make()
