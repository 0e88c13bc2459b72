"""ember.jit: TorchScript's decorators as documented pass-throughs.

TorchScript compiles a module or function into a graph that computes the same values. ember has
no TorchScript: ``script`` and ``trace`` return the callable they are given (so it does the same
thing, eagerly), the decorators (``ignore``, ``unused``, ``export``) return their function, and
``is_scripting()`` is False, as in eager torch. Reading or writing TorchScript archives
(``load``, ``save``) raises a clear error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "Final", "annotate", "load", "save", "freeze", "optimize_for_inference",
           "ScriptModule", "ScriptFunction", "Attribute", "interface", "fork", "wait",
           "enable_onednn_fusion", "set_fusion_strategy"]

F = TypeVar("F", bound=Callable[..., Any])

# ``ember.jit.Final[int]`` is typing's Final, as TorchScript reads it in eager code.
Final = Final  # noqa: PLW0127 - re-exported under torch's name


class ScriptModule:
    """Placeholder type: ember never makes ScriptModules (``script`` returns modules as they
    are), so no object is an instance of it."""


class ScriptFunction:
    """Placeholder type: ember never makes ScriptFunctions."""


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """Returns ``obj`` itself: a pass-through (there is no TorchScript compiler; a scripted
    function computes what the eager one computes, so calling ``obj`` gives the same values)."""
    return obj


def trace(func: Any, example_inputs: Any = None, optimize: Any = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-5, strict: bool = True,
          _force_outplace: bool = False, _module_class: Any = None,
          _compilation_unit: Any = None, example_kwarg_inputs: Any = None,
          _store_inputs: bool = True) -> Any:
    """Returns ``func`` itself: a pass-through (a traced function replays the operations the
    example ran, which the eager function computes too; data-dependent control flow, which a
    trace would freeze, keeps working)."""
    return func


def trace_module(mod: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    """Returns ``mod`` itself (see ``trace``)."""
    return mod


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Decorator leaving a function to Python: on ember everything is Python, so it returns the
    function (used bare or as ``@ignore(drop=True)``)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: F) -> F:
    """Decorator: returns ``fn`` (nothing is compiled)."""
    return fn


def export(fn: F) -> F:
    """Decorator: returns ``fn`` (nothing is compiled)."""
    return fn


def interface(obj: Any) -> Any:
    return obj


def is_scripting() -> bool:
    """False: code never runs under TorchScript on ember."""
    return False


def is_tracing() -> bool:
    """False: code never runs under the TorchScript tracer on ember."""
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """Returns ``the_value`` (the type is for TorchScript's compiler)."""
    return the_value


class Attribute:
    """``ember.jit.Attribute(value, type)``: in eager code, the value itself."""

    def __new__(cls, value: Any, type: Any = None) -> Any:  # noqa: A002 - torch's name
        return value


def fork(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Runs ``func`` now and returns a completed ``ember.futures.Future`` of its result."""
    from .futures import Future

    future: Future = Future()
    future.set_result(func(*args, **kwargs))
    return future


def wait(future: Any) -> Any:
    return future.wait()


def freeze(mod: Any, preserved_attrs: Any = None, optimize_numerics: bool = True) -> Any:
    """Returns ``mod`` (freezing folds a ScriptModule's constants; the values stay the same)."""
    return mod


def optimize_for_inference(mod: Any, other_methods: Any = None) -> Any:
    """Returns ``mod`` (the optimisation targets TorchScript graphs)."""
    return mod


def enable_onednn_fusion(enabled: bool) -> None:
    """Accepted: there is no TorchScript fuser."""


def set_fusion_strategy(strategy: Any) -> list:
    """Accepted: there is no TorchScript fuser."""
    return []


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    """Raises: a TorchScript archive holds a compiled program that only the TorchScript runtime
    can run. Load a state dict with ``ember.load`` into an ember model instead."""
    raise RuntimeError(
        "ember.jit.load: TorchScript archives cannot be loaded (ember has no TorchScript "
        "runtime). Save the model's state_dict with torch.save and load it with ember.load "
        "into the same model written in ember.")


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """Raises: writing a TorchScript archive needs a compiled program, which ember does not
    make. Use ``ember.save(model.state_dict(), f)``."""
    raise RuntimeError(
        "ember.jit.save: TorchScript archives cannot be written (ember has no TorchScript "
        "compiler); use ember.save(model.state_dict(), f) instead.")


