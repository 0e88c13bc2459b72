"""Collectives on ember tensors, as non-blocking MPI calls.

Every call starts a non-blocking MPI operation and returns a ``Work``; without ``async_op`` it
waits at once. MPI reads and writes the tensors' own NumPy arrays where they are contiguous
(no copy); other tensors go through a contiguous copy that is written back when the work
completes. Ranks (``src``, ``dst``) are global ranks, as in torch, and ``group_src`` /
``group_dst`` name ranks within the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._dtype import _BY_NUMPY, kind_name
from .._tensor import Tensor
from .distributed_c10d import (
    ProcessGroup,
    ReduceOp,
    Work,
    _state,
    reduce_op_type,
    resolve_group,
    warn_not_in_group,
)

__all__ = [
    "all_gather", "all_gather_into_tensor", "all_reduce", "all_to_all", "all_to_all_single",
    "barrier", "broadcast", "gather", "monitored_barrier", "reduce", "reduce_scatter",
    "reduce_scatter_tensor", "scatter",
]

_R = ReduceOp.RedOpType


def _check_tensor(value: Any, name: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"ember.Tensor but got {type(value)} instead.")
    return value


def _check_list(values: Any, name: str) -> list[Tensor]:
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, Tensor) for v in values):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        "List[ember.Tensor] but got " + str(type(values)) + " instead.")
    return list(values)


def _inplace(t: Tensor, op: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The array MPI writes into for ``t``: its own, or a contiguous copy to write back."""
    data = t._data
    if not data.flags.writeable:
        raise RuntimeError(f"ember.distributed.{op}: the tensor's memory is read-only (an "
                           "expanded or broadcast view?); pass a tensor that owns its data")
    if data.flags.c_contiguous:
        return data, None
    return np.ascontiguousarray(data), data


def _readable(t: Tensor) -> np.ndarray:
    return np.ascontiguousarray(t._data)


def _mpi_op(op: Any, dtype: np.dtype, name: str) -> tuple[Any, bool]:
    """The MPI reduction for ``op`` on ``dtype``, and whether to divide by the size after."""
    kind = reduce_op_type(op)
    MPI = _state.MPI
    if kind in (_R.BAND, _R.BOR, _R.BXOR) and dtype.kind not in "biu":
        raise RuntimeError(f"Cannot use ReduceOp.{kind.name} with non-integral dtype")
    if kind == _R.AVG and dtype.kind in "biu":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{kind_name(_BY_NUMPY[dtype])}")
    if kind in (_R.MIN, _R.MAX) and dtype.kind == "c":
        raise RuntimeError(f"ember.distributed.{name}: ReduceOp.{kind.name} is not defined for "
                           "complex tensors")
    if kind in (_R.PREMUL_SUM, _R.UNUSED):
        raise ValueError(f"ember.distributed.{name}: ReduceOp.{kind.name} is not supported "
                         "(torch supports PREMUL_SUM with NCCL only)")
    if dtype.kind == "b":  # torch reduces bools as logic: any for SUM/MAX, all for PRODUCT/MIN
        table = {_R.SUM: MPI.LOR, _R.MAX: MPI.LOR, _R.BOR: MPI.LOR, _R.PRODUCT: MPI.LAND,
                 _R.MIN: MPI.LAND, _R.BAND: MPI.LAND, _R.BXOR: MPI.LXOR}
        return table[kind], False
    table = {_R.SUM: MPI.SUM, _R.AVG: MPI.SUM, _R.PRODUCT: MPI.PROD, _R.MIN: MPI.MIN,
             _R.MAX: MPI.MAX, _R.BAND: MPI.BAND, _R.BOR: MPI.BOR, _R.BXOR: MPI.BXOR}
    return table[kind], kind == _R.AVG


def _datatype(array: np.ndarray) -> Any:
    from mpi4py.util.dtlib import from_numpy_dtype

    return from_numpy_dtype(array.dtype)


def _run(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


def _group_rank(pg: ProcessGroup, global_rank: int | None, group_rank: int | None,
                what: str, name: str, required: bool = False) -> int:
    """A peer's rank within ``pg``, from a global rank or a group rank (global rank 0 when
    neither is given, unless ``required``)."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        rank = int(group_rank)
    else:
        if global_rank is None and required:
            raise ValueError("Must specify global_rank or group_rank")
        global_rank = 0 if global_rank is None else int(global_rank)
        if global_rank not in pg._global_ranks:
            raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
        rank = pg._global_ranks.index(global_rank)
    if not 0 <= rank < pg.size():
        raise RuntimeError(f"ember.distributed.{name}: invalid {what} rank: {rank}")
    return rank


def _write_back(pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    for source, target in pairs:
        target[...] = source.reshape(target.shape)


def _check_like(outputs: Sequence[Tensor], like: Tensor, name: str, what: str) -> None:
    for i, out in enumerate(outputs):
        if out._data.shape != like._data.shape or out._data.dtype != like._data.dtype:
            raise RuntimeError(
                f"ember.distributed.{name}: invalid {what} tensor at index {i} (expected "
                f"shape {list(like.shape)} and dtype {like.dtype}, got {list(out.shape)} and "
                f"{out.dtype})")


def _check_length(values: Sequence, pg: ProcessGroup, name: str, what: str) -> None:
    if len(values) != pg.size():
        raise RuntimeError(f"ember.distributed.{name}: invalid {what} list (expected length "
                           f"{pg.size()}, got {len(values)})")


# ---------------------------------------------------------------------------------------------
# Collectives


def all_reduce(tensor: Tensor, op: Any = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Reduces ``tensor`` across all ranks in place: every rank ends with the result.

    Args:
        tensor (Tensor): input and output.
        op (ReduceOp): ``SUM`` (default), ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``, ``BAND``,
            ``BOR`` or ``BXOR``.
        group (ProcessGroup, optional): the group (default: the world).
        async_op (bool): return a ``Work`` to ``wait()`` on instead of waiting.

    Example::

        >>> t = ember.ones(2) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t)   # on 2 ranks
        >>> t
        tensor([3., 3.])
    """
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("all_reduce")
        return None
    buffer, target = _inplace(tensor, "all_reduce")
    mpi_op, average = _mpi_op(op, buffer.dtype, "all_reduce")
    request = pg._comm.Iallreduce(_state.MPI.IN_PLACE, buffer, mpi_op)

    def finish() -> None:
        if average:
            np.divide(buffer, pg.size(), out=buffer, casting="unsafe")
        if target is not None:
            target[...] = buffer

    return _run(Work([request], pg, "all_reduce", finish, buffer, [tensor]), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Sends ``tensor`` from rank ``src`` into ``tensor`` on every other rank."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("broadcast")
        return None
    root = _group_rank(pg, src, group_src, "src", "broadcast", required=True)
    buffer, target = _inplace(tensor, "broadcast")
    request = pg._comm.Ibcast(buffer, root=root)
    finish = (lambda: _write_back([(buffer, target)])) if target is not None else None
    return _run(Work([request], pg, "broadcast", finish, buffer, [tensor]), async_op)


def reduce(tensor: Tensor, dst: int | None = None, op: Any = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    """Reduces ``tensor`` across ranks into ``tensor`` on rank ``dst`` (the others keep
    theirs)."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("reduce")
        return None
    root = _group_rank(pg, dst, group_dst, "dst", "reduce", required=True)
    MPI = _state.MPI
    if pg.rank() == root:
        buffer, target = _inplace(tensor, "reduce")
        send: Any = MPI.IN_PLACE
    else:
        buffer, target = _readable(tensor), None
        send = buffer
    mpi_op, average = _mpi_op(op, buffer.dtype, "reduce")
    is_root = pg.rank() == root
    request = pg._comm.Ireduce(send, buffer if is_root else None, mpi_op, root=root)

    def finish() -> None:
        if not is_root:
            return
        if average:
            np.divide(buffer, pg.size(), out=buffer, casting="unsafe")
        if target is not None:
            target[...] = buffer

    return _run(Work([request], pg, "reduce", finish, buffer, [tensor]), async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Gathers ``tensor`` from every rank into ``tensor_list`` (one tensor per rank, in rank
    order), on every rank."""
    outputs = _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("all_gather")
        return None
    _check_length(outputs, pg, "all_gather", "output tensor")
    _check_like(outputs, tensor, "all_gather", "output")
    send = _readable(tensor)
    received = np.empty((pg.size(), *send.shape), dtype=send.dtype)
    request = pg._comm.Iallgather(send, received)

    def finish() -> None:
        _write_back([(received[i], out._data) for i, out in enumerate(outputs)])

    return _run(Work([request], pg, "all_gather", finish, (send, received), outputs), async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor,
                           group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:
    """Gathers ``input_tensor`` from every rank into ``output_tensor``, concatenated along dim 0
    (or stacked, if ``output_tensor`` has shape ``(world_size, *input.shape)``)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("all_gather_into_tensor")
        return None
    if (output_tensor._data.size != pg.size() * input_tensor._data.size
            or output_tensor.dtype != input_tensor.dtype):
        raise ValueError("output tensor size must be equal to world_size times input tensor "
                         "size, with the same dtype")
    buffer, target = _inplace(output_tensor, "all_gather_into_tensor")
    send = _readable(input_tensor)
    request = pg._comm.Iallgather(send, buffer)
    finish = (lambda: _write_back([(buffer, target)])) if target is not None else None
    return _run(Work([request], pg, "all_gather_into_tensor", finish, (send, buffer),
                     [output_tensor]), async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: Any = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduces ``input_list[i]`` across ranks into ``output`` on rank ``i``."""
    _check_tensor(output, "output")
    inputs = _check_list(input_list, "input_list")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("reduce_scatter")
        return None
    _check_length(inputs, pg, "reduce_scatter", "input tensor")
    _check_like(inputs, output, "reduce_scatter", "input")
    send = np.stack([t._data for t in inputs])
    return _reduce_scatter(output, send, op, pg, "reduce_scatter", async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: Any = ReduceOp.SUM,
                          group: ProcessGroup | None = None,
                          async_op: bool = False) -> Work | None:
    """Reduces ``input`` (``world_size`` chunks along dim 0) across ranks; rank ``i`` gets the
    reduced chunk ``i`` in ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("reduce_scatter_tensor")
        return None
    if input._data.size != pg.size() * output._data.size or input.dtype != output.dtype:
        raise ValueError("input tensor must be the same size as output size times world size, "
                         "with the same dtype")
    return _reduce_scatter(output, _readable(input), op, pg, "reduce_scatter_tensor", async_op)


def _reduce_scatter(output: Tensor, send: np.ndarray, op: Any, pg: ProcessGroup, name: str,
                    async_op: bool) -> Work | None:
    buffer, target = _inplace(output, name)
    mpi_op, average = _mpi_op(op, buffer.dtype, name)
    request = pg._comm.Ireduce_scatter_block(send, buffer, mpi_op)

    def finish() -> None:
        if average:
            np.divide(buffer, pg.size(), out=buffer, casting="unsafe")
        if target is not None:
            target[...] = buffer

    return _run(Work([request], pg, name, finish, (send, buffer), [output]), async_op)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int | None = None,
           group: ProcessGroup | None = None, async_op: bool = False,
           group_dst: int | None = None) -> Work | None:
    """Gathers ``tensor`` from every rank into ``gather_list`` on rank ``dst`` (the other ranks
    pass no list)."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("gather")
        return None
    root = _group_rank(pg, dst, group_dst, "dst", "gather")
    send = _readable(tensor)
    received = None
    outputs: list[Tensor] = []
    if pg.rank() == root:
        if gather_list is None:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        outputs = _check_list(gather_list, "gather_list")
        _check_length(outputs, pg, "gather", "output tensor")
        _check_like(outputs, tensor, "gather", "output")
        received = np.empty((pg.size(), *send.shape), dtype=send.dtype)
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    request = pg._comm.Igather(send, received, root=root)

    def finish() -> None:
        if received is not None:
            _write_back([(received[i], out._data) for i, out in enumerate(outputs)])

    return _run(Work([request], pg, "gather", finish, (send, received), outputs), async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int | None = None,
            group: ProcessGroup | None = None, async_op: bool = False,
            group_src: int | None = None) -> Work | None:
    """Sends ``scatter_list[i]`` from rank ``src`` into ``tensor`` on rank ``i``."""
    _check_tensor(tensor, "tensor")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("scatter")
        return None
    root = _group_rank(pg, src, group_src, "src", "scatter")
    send = None
    if pg.rank() == root:
        if scatter_list is None:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        inputs = _check_list(scatter_list, "scatter_list")
        _check_length(inputs, pg, "scatter", "input tensor")
        _check_like(inputs, tensor, "scatter", "input")
        send = np.stack([t._data for t in inputs])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    buffer, target = _inplace(tensor, "scatter")
    request = pg._comm.Iscatter(send, buffer, root=root)
    finish = (lambda: _write_back([(buffer, target)])) if target is not None else None
    return _run(Work([request], pg, "scatter", finish, (send, buffer), [tensor]), async_op)


def all_to_all(output_tensor_list: list[Tensor], input_tensor_list: list[Tensor],
               group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Sends ``input_tensor_list[j]`` to rank ``j``, which receives it in its
    ``output_tensor_list[i]`` (``i`` the sender); sizes may differ between pairs."""
    outputs = _check_list(output_tensor_list, "output_tensor_list")
    inputs = _check_list(input_tensor_list, "input_tensor_list")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("all_to_all")
        return None
    _check_length(outputs, pg, "all_to_all", "output tensor")
    _check_length(inputs, pg, "all_to_all", "input tensor")
    dtypes = {t._data.dtype for t in outputs + inputs}
    if len(dtypes) != 1:
        raise RuntimeError("ember.distributed.all_to_all: all tensors must have one dtype")
    send = np.concatenate([t._data.ravel() for t in inputs])
    received = np.empty(sum(t._data.size for t in outputs), dtype=send.dtype)
    send_counts = [t._data.size for t in inputs]
    recv_counts = [t._data.size for t in outputs]
    request = _alltoallv(pg, send, send_counts, received, recv_counts)

    def finish() -> None:
        offsets = np.cumsum([0, *recv_counts])
        _write_back([(received[offsets[i]:offsets[i + 1]], out._data)
                     for i, out in enumerate(outputs)])

    return _run(Work([request], pg, "all_to_all", finish, (send, received), outputs), async_op)


def all_to_all_single(output: Tensor, input: Tensor,
                      output_split_sizes: Sequence[int] | None = None,
                      input_split_sizes: Sequence[int] | None = None,
                      group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Splits ``input`` along dim 0 (equally, or by ``input_split_sizes``) and sends part ``j``
    to rank ``j``; the parts received are concatenated into ``output`` in rank order."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("all_to_all_single")
        return None
    send = _readable(input)
    buffer, target = _inplace(output, "all_to_all_single")
    send_counts = _split_counts(send, input_split_sizes, pg, "input")
    recv_counts = _split_counts(buffer, output_split_sizes, pg, "output")
    request = _alltoallv(pg, send.ravel(), send_counts, buffer.reshape(-1), recv_counts)
    finish = (lambda: _write_back([(buffer, target)])) if target is not None else None
    return _run(Work([request], pg, "all_to_all_single", finish, (send, buffer), [output]),
                async_op)


def _split_counts(array: np.ndarray, splits: Sequence[int] | None, pg: ProcessGroup,
                  what: str) -> list[int]:
    rows = array.shape[0] if array.ndim else 1
    row_size = array.size // rows if rows else 0
    if splits is None or len(splits) == 0:
        if rows % pg.size():
            raise RuntimeError(f"ember.distributed.all_to_all_single: {what} dim 0 ({rows}) "
                               f"does not divide by the world size ({pg.size()})")
        return [rows // pg.size() * row_size] * pg.size()
    if len(splits) != pg.size() or sum(splits) != rows:
        raise RuntimeError(f"ember.distributed.all_to_all_single: {what}_split_sizes must have "
                           f"{pg.size()} entries adding up to {rows}")
    return [int(s) * row_size for s in splits]


def _alltoallv(pg: ProcessGroup, send: np.ndarray, send_counts: list[int], received: np.ndarray,
               recv_counts: list[int]) -> Any:
    datatype = _datatype(send)
    send_displs = np.cumsum([0, *send_counts[:-1]]).tolist()
    recv_displs = np.cumsum([0, *recv_counts[:-1]]).tolist()
    return pg._comm.Ialltoallv([send, (send_counts, send_displs), datatype],
                               [received, (recv_counts, recv_displs), datatype])


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: Any = None) -> Work | None:
    """Waits until every rank of the group has reached this call."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("barrier")
        return None
    return _run(Work([pg._comm.Ibarrier()], pg, "barrier"), async_op)


def monitored_barrier(group: ProcessGroup | None = None, timeout: Any = None,
                      wait_all_ranks: bool = False) -> None:
    """A barrier that raises after ``timeout`` (default: the group's) if a rank does not
    arrive."""
    pg = resolve_group(group)
    if pg is None:
        warn_not_in_group("monitored_barrier")
        return None
    Work([pg._comm.Ibarrier()], pg, "monitored_barrier").wait(timeout)
    return None
