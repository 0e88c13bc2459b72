"""Collectives on picklable Python objects (``all_gather_object`` and its kin).

Objects are pickled to bytes, as in torch; sizes travel first, then the bytes, both as
non-blocking MPI calls waited on with the group's timeout, so a missing rank raises instead of
hanging. Only unpickle objects from ranks you trust: unpickling runs code.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from .collectives import _group_rank
from .distributed_c10d import ProcessGroup, Work, _state, resolve_group, warn_not_in_group

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object", "recv_object_list",
           "scatter_object_list", "send_object_list"]


# Tags of send/recv_object_list, apart from the small tags scripts give tensor messages.
_SIZES_TAG, _DATA_TAG = 32001, 32002


def _to_bytes(obj: Any) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj), dtype=np.uint8)


def _from_bytes(data: np.ndarray) -> Any:
    return pickle.loads(data.tobytes())


def _wait(requests: list, pg: ProcessGroup, what: str) -> None:
    Work(requests, pg, what).wait()


def _split(data: np.ndarray, sizes: np.ndarray) -> list[Any]:
    offsets = np.cumsum([0, *sizes.tolist()])
    return [_from_bytes(data[offsets[i]:offsets[i + 1]]) for i in range(len(sizes))]


def _vector(data: np.ndarray | None, sizes: np.ndarray) -> list:
    from mpi4py import MPI

    displs = np.cumsum([0, *sizes[:-1].tolist()]).tolist()
    return [data, (sizes.tolist(), displs), MPI.BYTE]


def all_gather_object(object_list: list[Any], obj: Any,
                      group: ProcessGroup | None = None) -> None:
    """Gathers ``obj`` from every rank into ``object_list`` (of world-size length), in rank
    order, on every rank."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("all_gather_object")
        return None
    payload = _to_bytes(obj)
    sizes = np.empty(pg.size(), dtype=np.int64)
    _wait([pg._comm.Iallgather(np.array([payload.size], dtype=np.int64), sizes)], pg,
          "all_gather_object")
    data = np.empty(int(sizes.sum()), dtype=np.uint8)
    _wait([pg._comm.Iallgatherv(payload, _vector(data, sizes))], pg, "all_gather_object")
    for i, value in enumerate(_split(data, sizes)):
        object_list[i] = value
    return None


def gather_object(obj: Any, object_gather_list: list[Any] | None = None, dst: int | None = None,
                  group: ProcessGroup | None = None, group_dst: int | None = None) -> None:
    """Gathers ``obj`` from every rank into ``object_gather_list`` on rank ``dst``."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("gather_object")
        return None
    root = _group_rank(pg, dst, group_dst, "dst", "gather_object")
    is_root = pg.rank() == root
    if is_root and object_gather_list is None:
        raise ValueError("Argument ``object_gather_list`` must be specified on destination rank.")
    if not is_root and object_gather_list is not None:
        raise ValueError("Argument ``object_gather_list`` must NOT be specified on "
                         "non-destination ranks.")
    payload = _to_bytes(obj)
    sizes = np.empty(pg.size(), dtype=np.int64) if is_root else None
    _wait([pg._comm.Igather(np.array([payload.size], dtype=np.int64), sizes, root=root)], pg,
          "gather_object")
    if is_root:
        assert sizes is not None and object_gather_list is not None
        data = np.empty(int(sizes.sum()), dtype=np.uint8)
        _wait([pg._comm.Igatherv(payload, _vector(data, sizes), root=root)], pg,
              "gather_object")
        for i, value in enumerate(_split(data, sizes)):
            object_gather_list[i] = value
    else:
        _wait([pg._comm.Igatherv(payload, None, root=root)], pg, "gather_object")
    return None


def broadcast_object_list(object_list: list[Any], src: int | None = None,
                          group: ProcessGroup | None = None, device: Any = None,
                          group_src: int | None = None) -> None:
    """Replaces the objects of ``object_list`` on every rank with those of rank ``src`` (the
    lists must have the same length everywhere)."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("broadcast_object_list")
        return None
    root = _group_rank(pg, src, group_src, "src", "broadcast_object_list")
    is_root = pg.rank() == root
    parts = [_to_bytes(obj) for obj in object_list] if is_root else []
    sizes = (np.array([p.size for p in parts], dtype=np.int64) if is_root
             else np.empty(len(object_list), dtype=np.int64))
    _wait([pg._comm.Ibcast(sizes, root=root)], pg, "broadcast_object_list")
    data = (np.concatenate(parts) if parts else np.empty(0, dtype=np.uint8)) if is_root else (
        np.empty(int(sizes.sum()), dtype=np.uint8))
    _wait([pg._comm.Ibcast(data, root=root)], pg, "broadcast_object_list")
    if not is_root:
        for i, value in enumerate(_split(data, sizes)):
            object_list[i] = value
    return None


def scatter_object_list(scatter_object_output_list: list[Any],
                        scatter_object_input_list: list[Any] | None = None,
                        src: int | None = None, group: ProcessGroup | None = None,
                        group_src: int | None = None) -> None:
    """Sends ``scatter_object_input_list[i]`` from rank ``src`` to rank ``i``, which finds it in
    ``scatter_object_output_list[0]``."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("scatter_object_list")
        return None
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    root = _group_rank(pg, src, group_src, "src", "scatter_object_list")
    is_root = pg.rank() == root
    size = np.empty(1, dtype=np.int64)
    if is_root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size():
            raise ValueError("ember.distributed.scatter_object_list: the source rank needs one "
                             "object per rank in scatter_object_input_list")
        parts = [_to_bytes(obj) for obj in scatter_object_input_list]
        sizes = np.array([p.size for p in parts], dtype=np.int64)
        _wait([pg._comm.Iscatter(sizes, size, root=root)], pg, "scatter_object_list")
        send: Any = _vector(np.concatenate(parts), sizes)
    else:
        _wait([pg._comm.Iscatter(None, size, root=root)], pg, "scatter_object_list")
        send = None
    data = np.empty(int(size[0]), dtype=np.uint8)
    _wait([pg._comm.Iscatterv(send, data, root=root)], pg, "scatter_object_list")
    scatter_object_output_list[0] = _from_bytes(data)
    return None


def send_object_list(object_list: list[Any], dst: int | None = None,
                     group: ProcessGroup | None = None, device: Any = None,
                     group_dst: int | None = None) -> None:
    """Sends the objects of ``object_list`` to rank ``dst``."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("send_object_list")
        return None
    peer = _group_rank(pg, dst, group_dst, "dst", "send_object_list")
    parts = [_to_bytes(obj) for obj in object_list]
    sizes = np.array([p.size for p in parts], dtype=np.int64)
    data = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint8)
    _wait([pg._comm.Isend(sizes, dest=peer, tag=_SIZES_TAG),
           pg._comm.Isend(data, dest=peer, tag=_DATA_TAG)],
          pg, "send_object_list")
    return None


def recv_object_list(object_list: list[Any], src: int | None = None,
                     group: ProcessGroup | None = None, device: Any = None,
                     group_src: int | None = None) -> int:
    """Receives ``len(object_list)`` objects from rank ``src`` (or any rank) into
    ``object_list``; returns the sender's rank."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("recv_object_list")
        return -1
    MPI = _state.MPI
    peer = (MPI.ANY_SOURCE if src is None and group_src is None
            else _group_rank(pg, src, group_src, "src", "recv_object_list"))
    sizes = np.empty(len(object_list), dtype=np.int64)
    statuses = [MPI.Status()]
    work = Work([pg._comm.Irecv(sizes, source=peer, tag=_SIZES_TAG)], pg, "recv_object_list")
    work._statuses = statuses
    work.wait()
    sender = statuses[0].Get_source()
    data = np.empty(int(sizes.sum()), dtype=np.uint8)
    _wait([pg._comm.Irecv(data, source=sender, tag=_DATA_TAG)], pg, "recv_object_list")
    for i, value in enumerate(_split(data, sizes)):
        object_list[i] = value
    return pg._global_ranks[sender]
