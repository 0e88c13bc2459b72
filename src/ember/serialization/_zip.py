"""The zip container of torch's checkpoints: a writer that aligns every record's data to 64
bytes (so a reader can map storages straight from the file, as torch's ``mmap=True`` does),
and a reader over Python's :mod:`zipfile` that checks sizes against the file before it
allocates anything.

Records are stored uncompressed. Sizes or offsets past 4 GiB use the zip64 extensions.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import IO, Any

from ._common import fail

ALIGNMENT = 64
_MARK32 = 0xFFFFFFFF  # "see the zip64 extra field"
_ZIP64_LIMIT = _MARK32  # a module constant so tests can exercise zip64 on small files
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest date zip can spell
_UTF8_NAMES = 0x0800
_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header, before the name and extra field
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")


class ZipWriter:
    """Writes a zip archive record by record to a binary stream (seeking is never needed).

    Example::

        >>> writer = ZipWriter(out)
        >>> writer.write("archive/data.pkl", payload)
        >>> writer.close()  # the central directory
    """

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.offset = 0
        self.entries: list[tuple[bytes, int, int, int]] = []  # name, crc, size, offset

    def _emit(self, data: Any) -> None:
        self.out.write(data)
        self.offset += len(data)

    def write(self, name: str, data: Any) -> None:
        """Appends one stored record; ``data`` is any C-contiguous buffer."""
        view = memoryview(data).cast("B")
        encoded = name.encode("utf-8")
        size = view.nbytes
        big = size >= _ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
        # torch's padding: an extra field 'FB' whose payload fills up to the alignment
        header = _LOCAL.size + len(encoded) + len(extra) + 4
        padding = -(self.offset + header) % ALIGNMENT
        extra += struct.pack("<HH", 0x4246, padding) + b"Z" * padding
        stored = _MARK32 if big else size
        crc = zlib.crc32(view)
        self.entries.append((encoded, crc, size, self.offset))
        self._emit(_LOCAL.pack(0x04034B50, 45 if big else 20, _UTF8_NAMES, 0, 0, _DOS_DATE, crc,
                               stored, stored, len(encoded), len(extra)))
        self._emit(encoded + extra)
        self._emit(view)

    def close(self) -> None:
        """Writes the central directory (and the zip64 end records when they are needed)."""
        start = self.offset
        for encoded, crc, size, offset in self.entries:
            fields = []
            if size >= _ZIP64_LIMIT:
                fields += [size, size]
            if offset >= _ZIP64_LIMIT:
                fields.append(offset)
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields \
                else b""
            stored = _MARK32 if size >= _ZIP64_LIMIT else size
            self._emit(_CENTRAL.pack(
                0x02014B50, 45, 45 if fields else 20, _UTF8_NAMES, 0, 0, _DOS_DATE, crc,
                stored, stored, len(encoded), len(extra), 0, 0, 0, 0,
                _MARK32 if offset >= _ZIP64_LIMIT else offset))
            self._emit(encoded + extra)
        count, length = len(self.entries), self.offset - start
        big = count >= 0xFFFF or start >= _ZIP64_LIMIT or length >= _ZIP64_LIMIT
        if big:
            end64 = self.offset
            self._emit(_END64.pack(0x06064B50, _END64.size - 12, 45, 45, 0, 0, count, count,
                                   length, start))
            self._emit(_LOCATOR64.pack(0x07064B50, 0, end64, 1))
        self._emit(_END.pack(0x06054B50, 0, 0, 0xFFFF if big else count,
                             0xFFFF if big else count, _MARK32 if big else length,
                             _MARK32 if big else start, 0))


class ZipReader:
    """The records of a zip archive, read with the checks a hostile file needs.

    Args:
        file: a seekable binary file positioned anywhere.
        what: the file's name, for errors.
    """

    def __init__(self, file: IO[bytes], what: str) -> None:
        self.file = file
        self.what = what
        try:
            self.size = file.seek(0, 2)
            self.zip = zipfile.ZipFile(file)
            self.infos = {info.filename: info for info in self.zip.infolist()}
        except Exception as error:  # zipfile raises many types for a damaged directory
            raise fail(what, f"is not a readable zip archive ({_describe(error)})") from None

    def names(self) -> list[str]:
        return list(self.infos)

    def has(self, name: str) -> bool:
        return name in self.infos

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self.infos.get(name)
        if info is None:
            raise fail(self.what, f"has no record {name!r}")
        if info.flag_bits & 0x1:
            raise fail(self.what, f"has an encrypted record {name!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise fail(self.what, f"compresses record {name!r} with an unsupported method "
                                  f"({info.compress_type})")
        return info

    def data_offset(self, name: str) -> tuple[int, int]:
        """Where an uncompressed record's bytes start in the file, and how many there are."""
        info = self._info(name)
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise fail(self.what, f"stores record {name!r} compressed, so it cannot be read "
                                  "in place")
        try:
            self.file.seek(info.header_offset)
            header = self.file.read(_LOCAL.size)
        except Exception as error:
            raise fail(self.what, f"is damaged ({_describe(error)})") from None
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise fail(self.what, f"has a damaged local header for record {name!r}")
        fields = _LOCAL.unpack(header)
        start = info.header_offset + _LOCAL.size + fields[9] + fields[10]
        if start + info.file_size > self.size:
            raise fail(self.what, f"is truncated: record {name!r} needs {info.file_size} bytes "
                                  f"at offset {start}, past the end of the file ({self.size})")
        return start, info.file_size

    def read(self, name: str) -> bytearray:
        """A record's bytes, in a new writable buffer, checked against their CRC."""
        info = self._info(name)
        if info.compress_type == zipfile.ZIP_STORED:
            start, size = self.data_offset(name)
            try:
                self.file.seek(start)
                if hasattr(self.file, "readinto"):
                    data = bytearray(size)
                    complete = self.file.readinto(data) == size
                else:
                    data = bytearray(self.file.read(size))
                    complete = len(data) == size
            except Exception as error:
                raise fail(self.what, f"is damaged ({_describe(error)})") from None
            if not complete:
                raise fail(self.what, f"is truncated in record {name!r}")
            if zlib.crc32(data) != info.CRC:
                raise fail(self.what, f"is corrupt: record {name!r} fails its CRC check")
            return data
        try:  # compressed: zipfile's reader stops at the declared size and checks the CRC
            return bytearray(self.zip.read(name))
        except Exception as error:
            raise fail(self.what, f"has a damaged record {name!r} ({_describe(error)})") from None


def _describe(error: BaseException) -> str:
    text = str(error)[:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
