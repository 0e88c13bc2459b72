"""ember.futures: ``Future``, ``collect_all`` and ``wait_all`` as torch's, for code that passes
results around as futures. ember runs everything synchronously, so a future is complete once
its result is set, and callbacks run then (or at once if it already is)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["Future", "collect_all", "wait_all"]

T = TypeVar("T")
S = TypeVar("S")


class Future(Generic[T]):
    """The result of an asynchronous computation, set once with ``set_result`` (or
    ``set_exception``) and read with ``wait()``/``value()``.

    Example::

        >>> fut = ember.futures.Future()
        >>> chained = fut.then(lambda f: f.wait() + 1)
        >>> fut.set_result(1)
        >>> chained.wait()
        2
    """

    def __init__(self, *, devices: Any = None) -> None:
        self._done = threading.Event()
        self._result: Any = None
        self._exception: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] = []

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self) -> T:
        """Blocks until the result is set, then returns it (or raises the exception set)."""
        self._done.wait()
        if self._exception is not None:
            raise self._exception
        return self._result

    def value(self) -> T:
        """The result of a completed future (raises its exception if it has one)."""
        if self._exception is not None:
            raise self._exception
        return self._result

    def set_result(self, result: T) -> None:
        if self.done():
            raise RuntimeError(
                "Attempting to mark a completed Future as complete again. Note that a Future "
                "can only be marked completed once.")
        self._result = result
        self._finish()

    def set_exception(self, result: BaseException) -> None:
        if not isinstance(result, BaseException):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")
        self._exception = result
        self._finish()

    def _finish(self) -> None:
        self._done.set()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def add_done_callback(self, callback: Callable[[Future[T]], None]) -> None:
        """Runs ``callback(self)`` when the future completes (now, if it has)."""
        if self.done():
            callback(self)
        else:
            self._callbacks.append(callback)

    def then(self, callback: Callable[[Future[T]], S]) -> Future[S]:
        """A new future holding ``callback(self)`` once this one completes (or the exception
        the callback raised)."""
        chained: Future[S] = Future()

        def run(fut: Future[T]) -> None:
            try:
                chained.set_result(callback(fut))
            except Exception as error:  # the chained future carries it, worded as torch's
                wrapped = RuntimeError("Got the following error when running the callback: "
                                       f"{type(error).__name__}: {error}")
                wrapped.__cause__ = error
                chained.set_exception(wrapped)

        self.add_done_callback(run)
        return chained


def collect_all(futures: list[Future]) -> Future[list[Future]]:
    """A future completing when all of ``futures`` have, holding the list of them."""
    result: Future[list[Future]] = Future()
    remaining = [len(futures)]

    def one_done(_: Future) -> None:
        remaining[0] -= 1
        if remaining[0] == 0:
            result.set_result(list(futures))

    if not futures:
        result.set_result([])
    for fut in futures:
        fut.add_done_callback(one_done)
    return result


def wait_all(futures: list[Future]) -> list:
    """Waits for every future and returns their results (raising the first exception)."""
    return [fut.wait() for fut in futures]
