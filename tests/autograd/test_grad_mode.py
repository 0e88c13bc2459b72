"""no_grad, enable_grad, set_grad_enabled, inference_mode (autograd/grad_mode.py)."""

from __future__ import annotations

import threading

import ember


def test_no_grad_context_and_decorators() -> None:
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ember.no_grad()
    def with_parens() -> bool:
        return (x * 2).requires_grad

    @ember.no_grad
    def bare() -> bool:
        return (x * 2).requires_grad

    assert not with_parens() and not bare() and ember.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context() -> None:
    x = ember.ones(1, requires_grad=True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_inference_mode() -> None:
    x = ember.ones(1, requires_grad=True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad and ember.is_inference_mode_enabled()
    assert not ember.is_inference_mode_enabled()

    @ember.inference_mode
    def f() -> bool:
        return (x * 2).requires_grad

    assert not f()


def test_grad_mode_is_thread_local() -> None:
    seen = []
    with ember.no_grad():
        t = threading.Thread(target=lambda: seen.append(ember.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_generator_functions_keep_the_mode() -> None:
    x = ember.ones(1, requires_grad=True)

    @ember.no_grad()
    def gen():  # type: ignore[no-untyped-def]
        yield (x * 2).requires_grad
        yield (x * 2).requires_grad

    assert list(gen()) == [False, False] and ember.is_grad_enabled()
