"""Byte-mutation check of ember.load: seeded mutations of checkpoints in every format ember
reads must each load or raise ``CheckpointError``: no other exception, no hang, no crash,
no code from the file run and no module imported.

The corpus: torch's zip format (protocols 2 and 4, one file carrying a code-running pickle
payload), torch's legacy format, and safetensors files with ember's metadata. Mutations are
of the raw bytes (bit flips, overwrites, insertions, deletions, truncation, duplication) and,
for zip files, of one record's bytes re-zipped with a valid CRC, so the pickle reader sees
them rather than the CRC check.

``tests/serialization/test_malformed.py`` runs a few thousand in a subprocess (so a crash
is seen, not suffered); for a longer run::

    python -m tests.serialization.mutate_load --count 200000 --seed 1
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import random
import signal
import sys
import time
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

import ember
from ember.serialization import CheckpointError
from ember.serialization._safetensors import save_safetensors
from ember.serialization._zip import ZipWriter

RAN: list[Any] = []  # filled by `payload_ran` if a file ever manages to call it


def payload_ran(*args: Any) -> None:
    RAN.append(args)


class _Payload:
    """Pickles as a call of ``payload_ran``: what a malicious checkpoint does."""

    def __reduce__(self) -> Any:
        return (payload_ran, ("the file ran code",))


class Hang(BaseException):  # noqa: N818 - BaseException: no `except Exception` swallows it
    pass


def _checkpoint() -> dict[str, Any]:
    base = ember.arange(24.0).reshape(4, 6)
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    return {
        "model": model.state_dict(), "view": base[1:, ::2], "t": base.t(), "base": base,
        "ints": ember.arange(5, dtype=ember.int16), "flags": ember.tensor([True, False]),
        "half": ember.ones(2, dtype=ember.float16), "complex": ember.tensor([1 + 2j]),
        "param": ember.nn.Parameter(ember.zeros(2)), "empty": ember.zeros(0, 2),
        "state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.zeros(3)}}, "epoch": 7,
        "lr": 1e-3, "name": "run", "bytes": b"\x00\x01", "set": {1, 2}, "cplx": 1 - 2j,
        "size": ember.Size([2, 3]), "dtype": ember.float64, "nested": [(1, [2.5, None])],
        "od": OrderedDict(a=1),
    }


def corpus() -> list[tuple[str, bytes]]:
    """The files the mutations start from."""
    obj = _checkpoint()
    files = []
    for name, kwargs in (("zip", {}), ("zip-protocol4", {"pickle_protocol": 4}),
                         ("legacy", {"_use_new_zipfile_serialization": False})):
        out = io.BytesIO()
        ember.save(obj, out, **kwargs)
        files.append((name, out.getvalue()))
    out = io.BytesIO()
    ember.save({"w": ember.ones(2), "code": _Payload()}, out)
    files.append(("zip-payload", out.getvalue()))
    out = io.BytesIO()
    save_safetensors({k: obj[k] for k in ("base", "ints", "flags", "half", "complex", "state",
                                          "lr", "name", "nested", "size", "dtype", "od")}, out)
    files.append(("safetensors", out.getvalue()))
    out = io.BytesIO()
    save_safetensors(dict(obj["model"]), out)
    files.append(("safetensors-flat", out.getvalue()))
    return files


def _mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    buf = bytearray(data)
    kind = rng.choice(("flip", "set", "insert", "delete", "truncate", "duplicate", "splice"))
    pos = rng.randrange(len(buf) + 1)
    if kind == "flip":
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
    elif kind == "set":
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)))
    elif kind == "insert":
        buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == "delete":
        del buf[pos:pos + rng.randint(1, 64)]
    elif kind == "truncate":
        del buf[pos:]
    elif kind == "duplicate":
        n = rng.randint(1, 64)
        buf[pos:pos] = buf[pos:pos + n]
    else:  # overwrite with interesting integers, as a length or count would be
        value = rng.choice((0, 1, 2**31 - 1, 2**32 - 1, 2**63 - 1, 2**64 - 1, 255, 65535))
        buf[pos:pos + 8] = value.to_bytes(8, "little")
    return bytes(buf), f"{kind}@{pos}"


def _records(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _mutate_record(records: list[tuple[str, bytes]], rng: random.Random) -> tuple[bytes, str]:
    """Mutates one record of a zip checkpoint and re-zips it with a valid CRC."""
    records = list(records)
    pick = rng.randrange(len(records))
    if rng.random() < 0.7:  # mostly the pickle, the richest target
        pick = next(i for i, (name, _) in enumerate(records) if name.endswith("data.pkl"))
    name, body = records[pick]
    mutated, how = _mutate_bytes(body, rng) if body else (b"\x00", "fill")
    records[pick] = (name, mutated)
    out = io.BytesIO()
    writer = ZipWriter(out)
    for record_name, record in records:
        writer.write(record_name, record)
    writer.close()
    return out.getvalue(), f"record {name}: {how}"


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang


def run(count: int, seed: int, per_file_timeout: float = 5.0) -> dict[str, Any]:
    """Mutates and loads ``count`` files; returns the counts and any failures."""
    rng = random.Random(seed)
    files = corpus()
    for name, data in files:  # the unmutated corpus loads (the payload file is refused)
        try:
            ember.load(io.BytesIO(data))
        except CheckpointError:
            assert name == "zip-payload", name
    records = {name: _records(data) for name, data in files if name.startswith("zip")}
    modules = set(sys.modules)
    signal.signal(signal.SIGALRM, _on_alarm)
    counts = {"files": 0, "loaded": 0, "rejected": 0}
    by_format: dict[str, int] = {}
    failures: list[str] = []
    start = time.perf_counter()
    for _ in range(count):
        name, data = files[rng.randrange(len(files))]
        if name.startswith("zip") and rng.random() < 0.5:
            mutated, how = _mutate_record(records[name], rng)
        else:
            mutated, how = _mutate_bytes(data, rng)
        counts["files"] += 1
        by_format[name] = by_format.get(name, 0) + 1
        signal.setitimer(signal.ITIMER_REAL, per_file_timeout)
        try:
            ember.load(io.BytesIO(mutated))
            counts["loaded"] += 1
        except CheckpointError:
            counts["rejected"] += 1
        except Hang:
            failures.append(f"{name} {how}: no result after {per_file_timeout}s")
        except Exception as error:  # what the check exists to find
            failures.append(f"{name} {how}: {type(error).__name__}: {str(error)[:200]}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    # the stdlib's codecs load on first use (zip names, the pickle UNICODE opcode, JSON's
    # UTF-16/32 detection): chosen by the format's rules, never named by the file
    imported = sorted(m for m in set(sys.modules) - modules if not m.startswith("encodings."))
    return {**counts, "by_format": by_format, "failures": failures[:20],
            "failure_count": len(failures), "code_ran": len(RAN), "modules_imported": imported,
            "seconds": round(time.perf_counter() - start, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    np.seterr(all="ignore")
    report = run(args.count, args.seed)
    print(json.dumps(report))
    clean = not report["failure_count"] and not report["code_ran"]
    return 0 if clean and not report["modules_imported"] else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["run", "corpus", "payload_ran", "pickle"]
