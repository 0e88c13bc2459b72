"""``ember.compile`` and ``Module.compile``: documented pass-throughs.

torch.compile traces a function into optimised kernels that compute the same values. ember has
no compiler: ``compile`` checks its arguments as torch does and returns a callable that runs the
original code, so the results are the same ones eager code gives (as torch's eager fallback).
A compiled module is wrapped as torch wraps it (``OptimizedModule`` holding ``_orig_mod``, whose
state dict keys start with ``_orig_mod.``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .nn.modules.module import Module

__all__ = ["compile"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs", "tvm", "openxla", "onnxrt")


class OptimizedModule(Module):
    """What ``ember.compile(module)`` returns: a module that calls the original one."""

    def __init__(self, mod: Module) -> None:
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)


def _check(mode: str | None, backend: Any, options: dict | None) -> None:
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified "
                           "at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if not callable(backend) and backend not in _BACKENDS:
        raise RuntimeError(
            f"Invalid backend: '{backend}', see `ember._dynamo.list_backends()` for available "
            "backends.")


def compile(model: Callable | None = None, *, fullgraph: bool = False,
            dynamic: bool | None = None, backend: str | Callable = "inductor",
            mode: str | None = None, options: dict | None = None,
            disable: bool = False) -> Any:
    """Returns ``model`` ready to run "compiled": on ember, a callable that runs the original
    code unchanged (there is no compiler; the values are those eager code gives, as torch's
    compiled code gives them too).

    Args:
        model (Module or callable, optional): what to compile; omitted, ``compile`` returns a
            decorator.
        fullgraph, dynamic, options, disable: accepted (nothing is traced).
        backend (str or callable): checked against torch's names.
        mode (str, optional): ``'default'``, ``'reduce-overhead'``, ``'max-autotune'``...,
            checked as torch checks it.

    Returns:
        An ``OptimizedModule`` wrapping a module (as torch's), or a function calling ``model``.

    Example::

        >>> model = ember.compile(ember.nn.Linear(2, 2))
        >>> model(ember.ones(1, 2)).shape
        ember.Size([1, 2])
    """
    _check(mode, backend, options)
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options, disable=disable)
    if not callable(model):
        raise RuntimeError("model must be callable")
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args: Any, **kwargs: Any) -> Any:
        return model(*args, **kwargs)

    return compiled


def _module_compile(self: Module, *args: Any, **kwargs: Any) -> None:
    """Compiles this module's forward in place (``ember.compile``'s checks); on ember the module
    then runs exactly as before, as there is no compiler."""
    _check(kwargs.get("mode"), kwargs.get("backend", "inductor"), kwargs.get("options"))


Module.compile = _module_compile  # type: ignore[attr-defined]
