"""Point-to-point messages between two ranks: ``send``/``recv``, ``isend``/``irecv`` and
``batch_isend_irecv``. Ranks are global ranks, as in torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from .collectives import _check_tensor, _group_rank, _inplace, _readable
from .distributed_c10d import ProcessGroup, Work, _state, resolve_group, warn_not_in_group

__all__ = ["P2POp", "batch_isend_irecv", "irecv", "isend", "recv", "send"]



def isend(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_dst: int | None = None) -> Work | None:
    """Starts sending ``tensor`` to rank ``dst``; returns a ``Work`` to wait on."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("isend")
        return None
    peer = _group_rank(pg, dst, group_dst, "dst", "send", required=True)
    if peer == pg.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same "
                         "as the rank of the current process.")
    send = _readable(tensor)
    return Work([pg._comm.Isend(send, dest=peer, tag=tag)], pg, "send", keep=send)


def irecv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0, group_src: int | None = None) -> Work | None:
    """Starts receiving into ``tensor`` from rank ``src`` (or any rank, if None)."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("irecv")
        return None
    MPI = _state.MPI
    peer = (MPI.ANY_SOURCE if src is None and group_src is None
            else _group_rank(pg, src, group_src, "src", "recv"))
    buffer, target = _inplace(tensor, "recv")
    request = pg._comm.Irecv(buffer, source=peer, tag=tag)
    work = Work([request], pg, "recv", keep=buffer, result=[tensor])
    status = MPI.Status()
    work._statuses = [status]

    def finish() -> None:
        work._source = pg._global_ranks[status.Get_source()]
        if target is not None:
            target[...] = buffer

    work._finish = finish
    return work


def send(tensor: Tensor, dst: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_dst: int | None = None) -> None:
    """Sends ``tensor`` to rank ``dst`` and waits until it can be reused."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0, group_src: int | None = None) -> int:
    """Receives into ``tensor`` from rank ``src`` (or any rank); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    return work.source_rank()


class P2POp:
    """One send or receive for ``batch_isend_irecv``.

    Args:
        op (Callable): ``isend`` or ``irecv``.
        tensor (Tensor): the tensor to send, or to receive into.
        peer (int, optional): the other rank (global).
        group (ProcessGroup, optional): the group (default: the world).
        tag (int): matches sends with receives.
    """

    def __init__(self, op: Callable, tensor: Tensor, peer: int | None = None,
                 group: ProcessGroup | None = None, tag: int = 0,
                 group_peer: int | None = None) -> None:
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``ember.distributed."
                             "isend`` or ``ember.distributed.irecv``.")
        self.op, self.tensor, self.peer, self.group, self.tag = op, tensor, peer, group, tag
        self.group_peer = group_peer


def batch_isend_irecv(p2p_op_list: list[P2POp]) -> list[Any]:
    """Starts every send and receive of the list; returns their ``Work`` handles."""
    if not p2p_op_list or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``ember.distributed.P2POp``.")
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]
