"""Grad modes: whether ops record a graph. Thread-local, as in torch.

Each mode works as a context manager and as a decorator; ``no_grad``, ``enable_grad`` and
``inference_mode`` also work as a bare decorator (``@ember.no_grad``).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    # Class attributes are the per-thread defaults; assignment makes them thread-local.
    enabled = True
    inference = False


state = _State()


def is_grad_enabled() -> bool:
    """Returns True if ops currently record a graph."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeBase:
    """Shared context-manager-and-decorator machinery of the grad modes."""

    def __call__(self, func: F) -> F:
        if inspect.isclass(func):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")
        mode = self

        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                with mode.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        gen.close()
                        raise
                    with mode.clone():
                        try:
                            response = gen.send(request)
                        except StopIteration as stop:
                            return stop.value

            return generator_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode.clone():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def clone(self) -> _GradModeBase:
        return type(self)()

    def __enter__(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        raise NotImplementedError


class no_grad(_GradModeBase):
    """Context manager and decorator that disables gradient recording.

    Tensors created inside have ``requires_grad=False`` unless a factory is explicitly asked
    for ``requires_grad=True``.

    Example::

        >>> x = ember.tensor([1.], requires_grad=True)
        >>> with ember.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __new__(cls, func: Callable | None = None) -> Any:
        self = super().__new__(cls)
        if func is not None:  # used as a bare decorator: @ember.no_grad
            return self(func)
        return self

    def __init__(self, func: Callable | None = None) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.prev


class enable_grad(no_grad):
    """Context manager and decorator that enables gradient recording (inside a ``no_grad``)."""

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = True


class set_grad_enabled(_GradModeBase):
    """Sets gradient recording on or off: as a function call, a context manager or a decorator.

    Args:
        mode (bool): whether to record.
    """

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.prev


class inference_mode(_GradModeBase):
    """Like ``no_grad`` (ember has no separate inference tensors, so it is no_grad that also
    reports ``is_inference_mode_enabled()``).

    Args:
        mode (bool): whether to enable inference mode (default True).
    """

    def __new__(cls, mode: bool | Callable = True) -> Any:
        self = super().__new__(cls)
        if callable(mode):  # bare decorator
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode: bool | Callable = True) -> None:
        self.mode = bool(mode) if not callable(mode) else True
        self.prev = (False, True)

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)

    def __enter__(self) -> None:
        self.prev = (state.inference, state.enabled)
        if self.mode:
            state.inference = True
            state.enabled = False

    def __exit__(self, *exc: object) -> None:
        state.inference, state.enabled = self.prev
