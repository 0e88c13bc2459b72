"""A pickle reader that never runs code from the file: the weights-only loader.

NOTE [Weights-only unpickling]
    Python's unpickler calls whatever a pickle names (``os.system`` included). This one is a
    small stack machine over the pickle opcodes that build data (numbers, strings, bytes,
    lists, tuples, dicts, sets, memo references, persistent ids) and hands the three opcodes
    that make objects to the caller's hooks:

    - ``GLOBAL``/``STACK_GLOBAL`` -> ``hooks.find_global(module, name)``, which returns only
      allowed objects (ember's stand-ins for torch's rebuild functions, ``OrderedDict``, ...)
      and raises for anything else;
    - ``REDUCE``/``NEWOBJ`` -> ``hooks.call(func, args)`` / ``hooks.new(cls, args, kwargs)``,
      which call only what ``find_global`` allowed;
    - ``BUILD`` -> ``hooks.build(obj, state)``.

    ``APPEND``/``SETITEM``/``ADDITEMS`` act on lists, dicts and sets only (never an
    object's own ``append``), and the machine is a loop with an explicit stack: no recursion,
    and every value it makes is bounded by the bytes of the file. Opcodes that call by
    other routes (``INST``, ``OBJ``, ``EXT*``, out-of-band buffers) are refused.
"""

from __future__ import annotations

import codecs
import struct
from collections import Counter, OrderedDict
from typing import Any, Protocol

from ._common import CheckpointError, fail

_DICTS = (dict, OrderedDict, Counter)
_U8, _U16, _I32 = struct.Struct("<B"), struct.Struct("<H"), struct.Struct("<i")
_U32, _U64, _F64 = struct.Struct("<I"), struct.Struct("<Q"), struct.Struct(">d")


class UnpicklerHooks(Protocol):
    def find_global(self, module: str, name: str) -> Any: ...
    def call(self, func: Any, args: tuple) -> Any: ...
    def new(self, cls: Any, args: tuple, kwargs: dict) -> Any: ...
    def build(self, obj: Any, state: Any) -> None: ...
    def persistent_load(self, pid: Any) -> Any: ...


class PassThrough(Exception):  # noqa: N818 - a carrier, never seen by users
    """Carries an exception raised by user code (a ``map_location`` callable) out of the
    machine unchanged, instead of reporting it as a damaged file."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class _Mark:
    """What ``MARK`` pushes: distinguishable from every value a pickle can make."""


_MARK = _Mark()


class RestrictedUnpickler:
    """Reads one pickle from ``data`` starting at ``start``.

    Args:
        data: the bytes holding the pickle (and possibly more after it).
        hooks: how globals, calls, ``BUILD`` and persistent ids are resolved.
        what: the file's name, for errors.
        encoding: how Python 2 ``str`` values decode (``"bytes"`` keeps them as bytes).
        start: where the pickle starts in ``data``.

    Example::

        >>> obj, end = RestrictedUnpickler(data, hooks, "'x.pt'").load()
    """

    def __init__(self, data: bytes | bytearray | memoryview, hooks: UnpicklerHooks, what: str,
                 encoding: str = "ASCII", start: int = 0) -> None:
        self.data = bytes(data)
        self.hooks = hooks
        self.what = what
        self.encoding = encoding
        self.pos = start
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}

    # --- reading the byte stream --------------------------------------------------------
    def read(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise fail(self.what, "is truncated: its pickle data ends in the middle of a value")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def unpack(self, fmt: struct.Struct) -> Any:
        try:
            (value,) = fmt.unpack_from(self.data, self.pos)
        except struct.error:
            raise fail(self.what, "is truncated: its pickle data ends in the middle of a "
                                  "value") from None
        self.pos += fmt.size
        return value

    def readline(self) -> bytes:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise fail(self.what, "is truncated: its pickle data ends in the middle of a line")
        line = self.data[self.pos:end]
        self.pos = end + 1
        return line

    # --- the stack ------------------------------------------------------------------------
    def pop(self) -> Any:
        if not self.stack or self.stack[-1] is _MARK:
            raise fail(self.what, "has corrupt pickle data (a value is missing)")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack or self.stack[-1] is _MARK:
            raise fail(self.what, "has corrupt pickle data (a value is missing)")
        return self.stack[-1]

    def pop_mark(self) -> list[Any]:
        stack = self.stack
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is _MARK:
                items = stack[i + 1:]
                del stack[i:]
                return items
        raise fail(self.what, "has corrupt pickle data (no MARK to pop to)")

    def load(self) -> tuple[Any, int]:
        """The unpickled object, and the position just after its ``STOP``."""
        handlers = _HANDLERS
        start = self.pos
        try:
            data, size = self.data, len(self.data)
            while self.pos < size:
                code = data[self.pos]
                self.pos += 1
                handler = handlers.get(code)
                if handler is None:
                    raise fail(self.what, _unsupported(code))
                if handler is _stop:
                    result = self.pop()
                    if self.stack:
                        raise fail(self.what, "has corrupt pickle data (values left over)")
                    return result, self.pos
                handler(self)
            raise fail(self.what, "is truncated: its pickle data has no STOP")
        except (CheckpointError, PassThrough):
            raise
        except RecursionError:
            raise fail(self.what, "nests values too deeply") from None
        except Exception as error:  # a malformed value: report the file, not our internals
            raise fail(self.what, f"has corrupt pickle data at byte {self.pos - start} "
                                  f"({type(error).__name__}: {str(error)[:200]})") from None


def _unsupported(code: int) -> str:
    names = {ord("i"): "INST", ord("o"): "OBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
             0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER", ord("P"): "PERSID"}
    if code in names:
        return (f"uses the pickle opcode {names[code]}, which the weights-only loader does "
                "not run")
    return f"has corrupt pickle data (unknown opcode {code:#04x})"


# --- opcode handlers ----------------------------------------------------------------------
def _stop(u: RestrictedUnpickler) -> None:  # handled in the loop; here to be recognised
    raise AssertionError


def _proto(u: RestrictedUnpickler) -> None:
    version = u.read(1)[0]
    if version > 5:
        raise fail(u.what, f"uses pickle protocol {version}, newer than any Python writes")


def _frame(u: RestrictedUnpickler) -> None:
    u.unpack(_U64)  # frames only group opcodes; the data is already in memory


def _push(value: Any) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        u.stack.append(value)
    return handler


def _push_new(kind: type) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        u.stack.append(kind())
    return handler


def _push_read(fmt: struct.Struct) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        u.stack.append(u.unpack(fmt))
    return handler


def _int(u: RestrictedUnpickler) -> None:
    line = u.readline()  # protocol 0 spells booleans as INT 00 and 01
    u.stack.append(False if line == b"00" else True if line == b"01" else int(line))


def _long(u: RestrictedUnpickler) -> None:
    line = u.readline()
    u.stack.append(int(line[:-1] if line.endswith(b"L") else line))


def _long_n(fmt: struct.Struct) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        u.stack.append(int.from_bytes(u.read(u.unpack(fmt)), "little", signed=True))
    return handler


def _float(u: RestrictedUnpickler) -> None:
    u.stack.append(float(u.readline()))


def _unicode_n(fmt: struct.Struct) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        u.stack.append(u.read(u.unpack(fmt)).decode("utf-8", "surrogatepass"))
    return handler


def _unicode(u: RestrictedUnpickler) -> None:
    u.stack.append(u.readline().decode("raw-unicode-escape"))


def _python2_str(u: RestrictedUnpickler, raw: bytes) -> None:
    u.stack.append(raw if u.encoding == "bytes" else raw.decode(u.encoding, "strict"))


def _string(u: RestrictedUnpickler) -> None:
    line = u.readline()
    if len(line) < 2 or line[:1] not in (b'"', b"'") or line[-1:] != line[:1]:
        raise fail(u.what, "has corrupt pickle data (a badly quoted STRING)")
    _python2_str(u, codecs.escape_decode(line[1:-1])[0])


def _string_n(fmt: struct.Struct) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        _python2_str(u, u.read(u.unpack(fmt)))
    return handler


def _bytes_n(fmt: struct.Struct, kind: type = bytes) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        u.stack.append(kind(u.read(u.unpack(fmt))))
    return handler


def _tuple_n(n: int) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        if len(u.stack) < n or any(v is _MARK for v in u.stack[len(u.stack) - n:]):
            raise fail(u.what, "has corrupt pickle data (a tuple is missing items)")
        items = tuple(u.stack[len(u.stack) - n:])
        del u.stack[len(u.stack) - n:]
        u.stack.append(items)
    return handler


def _tuple(u: RestrictedUnpickler) -> None:
    u.stack.append(tuple(u.pop_mark()))


def _list(u: RestrictedUnpickler) -> None:
    u.stack.append(u.pop_mark())


def _frozenset(u: RestrictedUnpickler) -> None:
    u.stack.append(frozenset(u.pop_mark()))


def _dict_from_mark(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    if len(items) % 2:
        raise fail(u.what, "has corrupt pickle data (a dict with an odd number of items)")
    u.stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})


def _append(u: RestrictedUnpickler) -> None:
    value = u.pop()
    _extend(u, u.top(), [value])


def _appends(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    _extend(u, u.top(), items)


def _extend(u: RestrictedUnpickler, target: Any, items: list) -> None:
    if type(target) is not list:
        raise fail(u.what, f"has corrupt pickle data (APPEND to a {type(target).__name__})")
    target.extend(items)


def _setitem(u: RestrictedUnpickler) -> None:
    value = u.pop()
    key = u.pop()
    _update(u, u.top(), [key, value])


def _setitems(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    if len(items) % 2:
        raise fail(u.what, "has corrupt pickle data (SETITEMS with an odd number of items)")
    _update(u, u.top(), items)


def _update(u: RestrictedUnpickler, target: Any, items: list) -> None:
    if type(target) not in _DICTS:
        raise fail(u.what, f"has corrupt pickle data (SETITEM on a {type(target).__name__})")
    for i in range(0, len(items), 2):
        target[items[i]] = items[i + 1]


def _additems(u: RestrictedUnpickler) -> None:
    items = u.pop_mark()
    target = u.top()
    if type(target) is not set:
        raise fail(u.what, f"has corrupt pickle data (ADDITEMS on a {type(target).__name__})")
    target.update(items)


def _pop(u: RestrictedUnpickler) -> None:
    if u.stack and u.stack[-1] is _MARK:
        u.pop_mark()
    else:
        u.pop()


def _pop_mark(u: RestrictedUnpickler) -> None:
    u.pop_mark()


def _dup(u: RestrictedUnpickler) -> None:
    u.stack.append(u.top())


def _mark(u: RestrictedUnpickler) -> None:
    u.stack.append(_MARK)


def _get_memo(u: RestrictedUnpickler, index: int) -> None:
    if index not in u.memo:
        raise fail(u.what, f"has corrupt pickle data (memo entry {index} was never stored)")
    u.stack.append(u.memo[index])


def _get(u: RestrictedUnpickler) -> None:
    _get_memo(u, int(u.readline()))


def _get_n(fmt: struct.Struct) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        _get_memo(u, u.unpack(fmt))
    return handler


def _put(u: RestrictedUnpickler) -> None:
    index = int(u.readline())
    if index < 0:
        raise fail(u.what, "has corrupt pickle data (a negative memo index)")
    u.memo[index] = u.top()


def _put_n(fmt: struct.Struct) -> Any:
    def handler(u: RestrictedUnpickler) -> None:
        u.memo[u.unpack(fmt)] = u.top()
    return handler


def _memoize(u: RestrictedUnpickler) -> None:
    u.memo[len(u.memo)] = u.top()


def _global(u: RestrictedUnpickler) -> None:
    module = u.readline().decode("utf-8")
    name = u.readline().decode("utf-8")
    u.stack.append(u.hooks.find_global(module, name))


def _stack_global(u: RestrictedUnpickler) -> None:
    name = u.pop()
    module = u.pop()
    if type(module) is not str or type(name) is not str:
        raise fail(u.what, "has corrupt pickle data (STACK_GLOBAL needs two strings)")
    u.stack.append(u.hooks.find_global(module, name))


def _reduce(u: RestrictedUnpickler) -> None:
    args = u.pop()
    func = u.pop()
    if type(args) is not tuple:
        raise fail(u.what, "has corrupt pickle data (REDUCE needs an argument tuple)")
    u.stack.append(u.hooks.call(func, args))


def _newobj(u: RestrictedUnpickler) -> None:
    args = u.pop()
    cls = u.pop()
    if type(args) is not tuple:
        raise fail(u.what, "has corrupt pickle data (NEWOBJ needs an argument tuple)")
    u.stack.append(u.hooks.new(cls, args, {}))


def _newobj_ex(u: RestrictedUnpickler) -> None:
    kwargs = u.pop()
    args = u.pop()
    cls = u.pop()
    if type(args) is not tuple or type(kwargs) is not dict:
        raise fail(u.what, "has corrupt pickle data (NEWOBJ_EX needs a tuple and a dict)")
    u.stack.append(u.hooks.new(cls, args, kwargs))


def _build(u: RestrictedUnpickler) -> None:
    state = u.pop()
    u.hooks.build(u.top(), state)


def _binpersid(u: RestrictedUnpickler) -> None:
    u.stack.append(u.hooks.persistent_load(u.pop()))


_HANDLERS: dict[int, Any] = {
    ord(k) if isinstance(k, str) else k: v for k, v in {
        ".": _stop, 0x80: _proto, 0x95: _frame, "(": _mark, "0": _pop, "1": _pop_mark,
        "2": _dup, "N": _push(None), 0x88: _push(True), 0x89: _push(False),
        "I": _int, "J": _push_read(_I32), "K": _push_read(_U8), "M": _push_read(_U16),
        "L": _long, 0x8A: _long_n(_U8), 0x8B: _long_n(_U32), "F": _float, "G": _push_read(_F64),
        "V": _unicode, "X": _unicode_n(_U32), 0x8C: _unicode_n(_U8), 0x8D: _unicode_n(_U64),
        "S": _string, "T": _string_n(_U32), "U": _string_n(_U8),
        "B": _bytes_n(_U32), "C": _bytes_n(_U8), 0x8E: _bytes_n(_U64),
        0x96: _bytes_n(_U64, bytearray),
        ")": _push(()), 0x85: _tuple_n(1), 0x86: _tuple_n(2), 0x87: _tuple_n(3), "t": _tuple,
        "]": _push_new(list), "l": _list, "}": _push_new(dict), "d": _dict_from_mark,
        0x8F: _push_new(set), 0x91: _frozenset,
        "a": _append, "e": _appends, "s": _setitem, "u": _setitems, 0x90: _additems,
        "g": _get, "h": _get_n(_U8), "j": _get_n(_U32),
        "p": _put, "q": _put_n(_U8), "r": _put_n(_U32), 0x94: _memoize,
        "c": _global, 0x93: _stack_global,
        "R": _reduce, 0x81: _newobj, 0x92: _newobj_ex, "b": _build, "Q": _binpersid,
    }.items()
}
