"""ember.save and ember.load: torch's checkpoint format, read safely; safetensors files.

``ember.save(obj, "x.pt")`` writes what ``torch.save`` writes (see NOTE [torch's checkpoint
format] in ``_torch_format.py``), so ``torch.load`` reads it with its default
``weights_only=True``; a ``.safetensors`` path gets a safetensors file instead (NOTE
[ember's safetensors files] in ``_safetensors.py``). ``ember.load`` reads all of these, and
torch's legacy pre-1.6 format, telling them apart by their first bytes.

Loading follows torch's ``weights_only`` rules (NOTE [Weights-only unpickling] in
``_unpickler.py``): by default nothing in the file is run, and a file naming anything but
tensors, containers, primitives and what torch's weights-only loader admits raises
:class:`CheckpointError`, as does every malformed or truncated file. Loading never imports
torch: torch's names map to ember's own functions (``_rebuild.py``).
"""

from __future__ import annotations

import io
import mmap as mmap_module
import os
import pickle
from typing import IO, Any

from .._device import check_map_location as check_device
from .._tensor import device
from ._common import CheckpointError, FileLike, fail, source_name
from ._policy import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from ._safetensors import load_safetensors, looks_like_safetensors, save_safetensors
from ._torch_format import LoadOptions, load_legacy, load_zip, save_legacy, save_zip

__all__ = ["save", "load", "CheckpointError", "add_safe_globals", "clear_safe_globals",
           "get_safe_globals", "safe_globals", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2  # torch's


def _is_safetensors_path(f: Any) -> bool:
    name = f if isinstance(f, (str, os.PathLike)) else getattr(f, "name", None)
    return isinstance(name, (str, os.PathLike)) and os.fspath(name).endswith(".safetensors")


def save(obj: object, f: FileLike, pickle_module: Any = pickle,
         pickle_protocol: int = DEFAULT_PROTOCOL, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Saves an object to a file in torch's checkpoint format (or safetensors, by suffix).

    Tensors keep their dtype, shape, strides and shared memory; ``torch.load`` reads the file
    with its default ``weights_only=True`` when ``obj`` holds only tensors, containers,
    numbers, strings and the like (a model's or optimizer's state dict). Other objects
    (NumPy arrays, your own classes) are pickled as torch pickles them.

    Args:
        obj: what to save: a tensor, a state dict, any picklable object.
        f: a path, or a binary file-like object to write to. A path ending in
            ``.safetensors`` gets a safetensors file, which holds only tensors and
            dicts/lists/tuples of them with numbers, strings, bools and None.
        pickle_module: the standard ``pickle`` module (the only one ember pickles with).
        pickle_protocol: the pickle protocol, 2 by default as in torch.
        _use_new_zipfile_serialization: False writes torch's legacy pre-1.6 format.
        _disable_byteorder_record: leave out the ``byteorder`` record, as in torch.

    Example::

        >>> model = ember.nn.Linear(3, 2)
        >>> ember.save({"model": model.state_dict(), "epoch": 3}, "ckpt.pt")
        >>> model.load_state_dict(ember.load("ckpt.pt")["model"])
        <All keys matched successfully>
    """
    if pickle_module is not pickle:
        raise TypeError("ember.save: pickle_module must be the standard pickle module (ember "
                        "writes torch's tensor records with its own pickler)")
    if _is_safetensors_path(f):
        if pickle_protocol != DEFAULT_PROTOCOL or not _use_new_zipfile_serialization:
            raise TypeError("ember.save: pickle_protocol and _use_new_zipfile_serialization "
                            "do not apply to a .safetensors file")
        write = save_safetensors
    elif _use_new_zipfile_serialization:
        def write(obj: Any, out: IO[bytes]) -> None:
            save_zip(obj, out, pickle_protocol, not _disable_byteorder_record)
    else:
        def write(obj: Any, out: IO[bytes]) -> None:
            save_legacy(obj, out, pickle_protocol)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as file:
            write(obj, file)
    else:
        write(obj, f)


def _check_map_location(map_location: Any) -> None:
    if map_location is None or (callable(map_location)
                                and not isinstance(map_location, (str, device))):
        return
    if isinstance(map_location, dict):
        for target in map_location.values():
            check_device(target)
        return
    if not isinstance(map_location, (str, device)):
        raise TypeError("ember.load: map_location must be None, a string, an ember.device, a "
                        f"dict or a function, not {type(map_location).__name__}")
    check_device(map_location)


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Loads an object saved by :func:`save` or by ``torch.save``, or a safetensors file.

    Tensors come back as ember tensors (parameters as ``ember.nn.Parameter``), so a torch
    state dict goes straight into ``nn.Module.load_state_dict``.

    Args:
        f: a path, a binary file-like object, or the bytes of a file.
        map_location: where storages go, as in torch: None (where they were saved, which
            must be the CPU), ``"cpu"``/an ember.device, a dict from saved locations to
            targets, or a function ``(storage, location)`` returning the storage or None.
            ember computes on the CPU only: any other target raises.
        pickle_module: the module whose ``Unpickler`` reads the pickle, with
            ``weights_only=False`` only (as in torch, giving one turns weights_only off
            unless it is set).
        weights_only (bool, optional): True (the default unless ``pickle_module`` is given)
            loads only tensors, containers, primitives and the types torch's weights-only
            loader admits, and never runs code from the file; False unpickles anything, and
            can run arbitrary code: only for files you trust.
        mmap (bool, optional): map the storages from the file instead of reading them
            (copy-on-write: changes stay in memory). Needs a path to a zip checkpoint.
        pickle_load_args: passed to the unpickler (``encoding`` for Python 2 files).

    Returns:
        the saved object; for a safetensors file not written by ember, a dict of tensors.

    Raises:
        CheckpointError: the file is malformed, holds what ember cannot represent, or
            (weights_only) names a global that is not allowed.

    Example::

        >>> ember.save(ember.arange(3), "t.pt")
        >>> ember.load("t.pt")
        tensor([0, 1, 2])
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    if weights_only and set(pickle_load_args) - {"encoding"}:
        raise TypeError(f"ember.load: {sorted(set(pickle_load_args) - {'encoding'})} are not "
                        "arguments of the weights-only unpickler (only encoding is)")
    _check_map_location(map_location)
    what = source_name(f)
    options = LoadOptions(what, weights_only, map_location, pickle_module or pickle,
                          pickle_load_args)
    if isinstance(f, (bytes, bytearray, memoryview)):
        return _load_stream(io.BytesIO(f), options, mmap, False)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as file:
            return _load_stream(file, options, mmap, True, _is_safetensors_path(f))
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    stream: IO[bytes] = f
    if not (hasattr(f, "seekable") and f.seekable()):
        stream = io.BytesIO(f.read())
    return _load_stream(stream, options, mmap, False)


def _load_stream(file: IO[bytes], options: LoadOptions, mmap: bool | None, is_path: bool,
                 safetensors_name: bool = False) -> Any:
    what = options.what
    start = file.tell()
    if start:  # a file object positioned after other data: read from here on
        file = io.BytesIO(file.read())
    head = file.read(16)
    size = file.seek(0, 2)
    file.seek(0)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        if not mmap:
            return load_zip(file, options)
        if not is_path:
            raise ValueError("f must be a file path in order to use the mmap argument")
        if size == 0:
            raise fail(what, "is empty")
        mapped = mmap_module.mmap(file.fileno(), 0, access=mmap_module.ACCESS_COPY)
        return load_zip(file, options, mapped)
    if mmap:
        raise RuntimeError(f"ember.load: mmap can only be used with zip checkpoints (the "
                           f"format ember.save and torch.save write by default); {what} is "
                           "not one")
    if safetensors_name or looks_like_safetensors(head, size):
        return load_safetensors(file.read(), what)
    if size >= 262 and _is_tar(file):
        raise fail(what, "is in torch's tar format (before 0.4), which ember cannot read; "
                         "load and re-save it with an older torch")
    if not size:
        raise fail(what, "is empty")
    return load_legacy(file.read(), options)


def _is_tar(file: IO[bytes]) -> bool:
    file.seek(257)
    magic = file.read(5)
    file.seek(0)
    return magic == b"ustar"
