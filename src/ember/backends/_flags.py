"""Flag holders that read and write like torch.backends' module objects."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class FlagModule:
    """A namespace of named flags: reading or writing a name it does not hold raises torch's
    ``AttributeError: Unknown attribute <name>``."""

    def __init__(self, **flags: Any) -> None:
        object.__setattr__(self, "_flags", dict(flags))

    def __getattr__(self, name: str) -> Any:
        flags = object.__getattribute__(self, "_flags")
        if name in flags:
            return flags[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._flags:
            raise AttributeError(f"Unknown attribute {name}")
        self._flags[name] = value

    def __dir__(self) -> list[str]:
        return sorted(self._flags)


@contextlib.contextmanager
def set_flags(holder: Any, **values: Any) -> Iterator[None]:
    """Sets attributes of ``holder`` for the block and restores them after (None: unchanged)."""
    old = {name: getattr(holder, name) for name, value in values.items() if value is not None}
    for name in old:
        setattr(holder, name, values[name])
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(holder, name, value)
