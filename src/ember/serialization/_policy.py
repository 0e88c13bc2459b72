"""What a checkpoint may make: torch's ``weights_only`` rules, and the user's allowlist.

With ``weights_only=True`` (the default) the restricted unpickler of ``_unpickler.py`` asks
``WeightsOnlyHooks`` for every global, call and ``BUILD``: only ember's stand-ins for what
torch's weights-only loader admits (tensors, parameters, storages, dtypes, ``torch.Size``,
``torch.device``, ``OrderedDict``, ``Counter``, ``set``, ``complex``, ``bytes``) and what
the user allowlisted with :func:`add_safe_globals` get through. With ``weights_only=False``
the caller's pickle module unpickles anything, as torch does, with torch's names mapped to
ember's.
"""

from __future__ import annotations

import io
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .._tensor import Tensor
from ._common import CheckpointError, fail
from ._rebuild import CALLS, GLOBALS, PYTHON2_MODULES, RebuildError, set_tensor_state, torch_global

_CALLS_BY_ID = {id(key): (key, impl) for key, impl in CALLS.items()}
_FILE_NAMES: dict[int, str] = {}  # ember's stand-ins by the name a file gives them
for (_module, _name), _obj in GLOBALS.items():
    _FILE_NAMES.setdefault(id(_obj), f"{_module}.{_name}")
_safe_globals: list[Any] = []


def add_safe_globals(safe_globals: list[Callable | tuple[Callable, str]]) -> None:
    """Marks globals as safe for ``weights_only`` loading, as
    ``torch.serialization.add_safe_globals`` does: a checkpoint may then name them, call
    them, and set the state of their instances.

    Args:
        safe_globals: functions and classes, or ``(obj, "module.name")`` pairs for objects
            pickled under another name.

    Example::

        >>> import numpy as np
        >>> ember.serialization.add_safe_globals([np._core.multiarray._reconstruct,
        ...                                       np.ndarray, np.dtype, type(np.dtype("f8"))])
    """
    _safe_globals.extend(safe_globals)


def clear_safe_globals() -> None:
    """Forgets every global marked safe by :func:`add_safe_globals`."""
    _safe_globals.clear()


def get_safe_globals() -> list[Callable | tuple[Callable, str]]:
    """The globals marked safe by :func:`add_safe_globals`."""
    return list(_safe_globals)


@contextmanager
def safe_globals(safe_globals: list[Callable | tuple[Callable, str]]) -> Iterator[None]:
    """Marks globals as safe for ``weights_only`` loading inside a ``with`` block only.

    Example::

        >>> with ember.serialization.safe_globals([MyConfig]):
        ...     ckpt = ember.load("run.pt")
    """
    saved = list(_safe_globals)
    _safe_globals.extend(safe_globals)
    try:
        yield
    finally:
        _safe_globals[:] = saved


def _qualified_name(obj: Any) -> str:
    if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[1], str):
        return obj[1]
    if id(obj) in _FILE_NAMES:  # (GLOBALS' objects live as long as the module: ids are theirs)
        return _FILE_NAMES[id(obj)]
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _refusal(what: str, problem: str, name: str) -> CheckpointError:
    return fail(what, (
        f"cannot be loaded with weights_only=True: {problem}. Re-running ember.load with "
        "weights_only=False will likely succeed, but it can run arbitrary code: do it only "
        "if you trust the file. Or, if you trust this class/function, allowlist it with "
        f"`ember.serialization.add_safe_globals([{name}])`."))


class WeightsOnlyHooks:
    """The weights-only rules, as hooks of the restricted unpickler."""

    def __init__(self, what: str, persistent_load: Callable[[Any], Any]) -> None:
        self.what = what
        self.persistent_load = persistent_load
        self.user: dict[str, Any] = {}
        for entry in _safe_globals:
            self.user[_qualified_name(entry)] = entry[0] if isinstance(entry, tuple) else entry
        self.user_ids = {id(obj) for obj in self.user.values()}

    def find_global(self, module: str, name: str) -> Any:
        full = f"{PYTHON2_MODULES.get(module, module)}.{name}"
        if full in self.user:
            return self.user[full]
        found = torch_global(module, name, self.what)
        if found is None:
            raise _refusal(self.what, f"Unsupported global: GLOBAL {full} was not an allowed "
                                      "global by default", full)
        return found

    def call(self, func: Any, args: tuple) -> Any:
        known = _CALLS_BY_ID.get(id(func))
        if known is not None and known[0] is func:
            run = known[1]
        elif id(func) in self.user_ids:
            run = func  # allowlisted by the user: trusted, as in torch
        else:
            raise _refusal(self.what, f"it calls {_qualified_name(func)}, which the "
                                      "weights-only loader does not call", _qualified_name(func))
        try:
            return run(*args)
        except CheckpointError:
            raise
        except Exception as error:
            raise fail(self.what, f"has invalid arguments for {_qualified_name(func)} "
                                  f"({type(error).__name__}: {str(error)[:200]})") from None

    def new(self, cls: Any, args: tuple, kwargs: dict) -> Any:
        if not isinstance(cls, type) or id(cls) not in self.user_ids:
            raise _refusal(self.what, f"it creates a {_qualified_name(cls)} object (NEWOBJ)",
                           _qualified_name(cls))
        return cls.__new__(cls, *args, **kwargs)

    def build(self, obj: Any, state: Any) -> None:
        if type(obj) in (OrderedDict, Counter):
            # a state dict's `_metadata` (per-module versions) travels this way
            if not isinstance(state, dict) or not all(type(k) is str for k in state):
                raise fail(self.what, "has corrupt pickle data (bad attributes for a dict)")
            obj.__dict__.update(state)
        elif isinstance(obj, Tensor):
            try:
                set_tensor_state(obj, state)
            except RebuildError as error:
                raise fail(self.what, f"has an invalid tensor state ({error})") from None
        elif id(type(obj)) in self.user_ids:
            _build_trusted(obj, state)
        else:
            raise _refusal(self.what, f"it sets the state of a {_qualified_name(type(obj))} "
                                      "object (BUILD)", _qualified_name(type(obj)))


def _build_trusted(obj: Any, state: Any) -> None:
    """pickle's own BUILD, for instances of classes the user allowlisted."""
    setstate = getattr(obj, "__setstate__", None)
    if setstate is not None:
        setstate(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        obj.__dict__.update(state)
    if slots:
        for name, value in slots.items():
            setattr(obj, name, value)


def trusted_load(pickle_module: Any, data: bytes, what: str,
                 persistent_load: Callable[[Any], Any], load_args: dict[str, Any],
                 start: int = 0) -> tuple[Any, int]:
    """Unpickles anything (``weights_only=False``), with torch's names mapped to ember's.
    Returns the object and the position after its pickle."""

    class TrustedUnpickler(pickle_module.Unpickler):  # type: ignore[misc, name-defined]
        def find_class(self, module: str, name: str) -> Any:
            found = torch_global(module, name, what)
            if found is not None:
                return found
            if module == "torch" or module.startswith("torch."):
                raise fail(what, f"holds a torch object ({module}.{name}) with no ember "
                                 "counterpart; in torch, save its state_dict() instead")
            return super().find_class(module, name)

        def persistent_load(self, pid: Any) -> Any:
            return persistent_load(pid)

    stream = io.BytesIO(data)
    stream.seek(start)
    try:
        return TrustedUnpickler(stream, **load_args).load(), stream.tell()
    except RebuildError as error:
        raise fail(what, f"describes an invalid tensor ({error})") from None
