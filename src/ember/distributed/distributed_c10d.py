"""Process groups on MPI: ``init_process_group``, ranks, groups, ``ReduceOp`` and work handles.

One process group is one MPI communicator. The default group is split off ``MPI_COMM_WORLD``
(ordered by the rank each process asks for), so ember's messages never mix with MPI traffic of
the script's own, and ``new_group`` splits it further.
"""

from __future__ import annotations

import datetime
import enum
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import _mpi
from ._mpi import DistBackendError

__all__ = [
    "Backend", "GroupMember", "ProcessGroup", "ReduceOp", "Work", "default_pg_timeout",
    "destroy_process_group", "get_backend", "get_default_backend_for_device", "get_global_rank",
    "get_group_rank", "get_process_group_ranks", "get_rank", "get_world_size", "group",
    "init_process_group", "is_available", "is_gloo_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "is_torchelastic_launched", "is_ucc_available",
    "is_xccl_available", "new_group",
]

default_pg_timeout = datetime.timedelta(minutes=30)

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


class Backend(str):
    """A backend name. ember runs every group on MPI and accepts ``"gloo"`` as another name for
    it, so scripts written for CPU torch run unchanged."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    MPI = "mpi"
    NCCL = "nccl"
    UCC = "ucc"
    XCCL = "xccl"
    backend_list = [UNDEFINED, GLOO, NCCL, UCC, MPI, XCCL]
    default_device_backend_map = {"cpu": GLOO}

    def __new__(cls, name: str) -> Backend:
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        return super().__new__(cls, name.lower())


class ReduceOp:
    """How a reduction combines values: ``ReduceOp.SUM``, ``AVG``, ``PRODUCT``, ``MIN``, ``MAX``,
    ``BAND``, ``BOR``, ``BXOR``."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM

    def __init__(self, op: ReduceOp.RedOpType) -> None:
        if not isinstance(op, ReduceOp.RedOpType):
            raise TypeError(f"ReduceOp() takes a ReduceOp.RedOpType, not {type(op).__name__}")
        self.op = op

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReduceOp):
            return self.op == other.op
        return self.op == other

    def __hash__(self) -> int:
        return hash(self.op)


def reduce_op_type(op: Any) -> ReduceOp.RedOpType:
    if isinstance(op, ReduceOp):
        return op.op
    if isinstance(op, ReduceOp.RedOpType):
        return op
    raise TypeError(f"op must be a ReduceOp (ReduceOp.SUM, ...), got {op!r}")


class ProcessGroup:
    """A set of ranks that run collectives together (one MPI communicator)."""

    def __init__(self, comm: Any, global_ranks: list[int], backend: str, timeout: float) -> None:
        self._comm = comm
        self._global_ranks = global_ranks
        self._backend = backend
        self._timeout = timeout

    def rank(self) -> int:
        """This process's rank within the group."""
        return self._comm.Get_rank()

    def size(self) -> int:
        """The number of ranks in the group."""
        return self._comm.Get_size()

    def name(self) -> str:
        return self._backend

    def __repr__(self) -> str:
        return f"<ember.distributed.ProcessGroup {self._backend} ranks={self._global_ranks}>"


class _GroupMeta(type):
    @property
    def WORLD(cls) -> ProcessGroup | None:
        return _state.world


class GroupMember(metaclass=_GroupMeta):
    """``GroupMember.WORLD`` is the default group; ``NON_GROUP_MEMBER`` is what ``new_group``
    returns to ranks outside the new group."""

    NON_GROUP_MEMBER = -100


class group(metaclass=_GroupMeta):
    """``group.WORLD``: the default process group (None before ``init_process_group``)."""


class _State:
    def __init__(self) -> None:
        self.world: ProcessGroup | None = None
        self.groups: list[ProcessGroup] = []
        self.MPI: Any = None


_state = _State()


class Work:
    """The handle an ``async_op=True`` collective returns: ``wait()`` blocks until it is done.

    It holds the buffers MPI reads and writes until then, and runs the step that completes the
    result (averaging, copying into output tensors) exactly once.
    """

    def __init__(self, requests: list, group: ProcessGroup, what: str,
                 finish: Callable[[], Any] | None = None, keep: Any = None,
                 result: list | None = None) -> None:
        self._requests = requests
        self._group = group
        self._what = what
        self._finish = finish
        self._keep = keep
        self._result = result or []
        self._done = False
        self._source: int | None = None
        self._statuses: list | None = None  # filled by MPI for receives
        self._exception: BaseException | None = None

    def wait(self, timeout: datetime.timedelta | None = None) -> bool:
        """Blocks until the operation has completed; True when it has."""
        if self._done:
            return True
        seconds = self._group._timeout if timeout is None else _seconds(timeout)
        try:
            _mpi.wait_all(_state.MPI, self._requests, seconds, self._what, _global_rank(),
                          self._statuses)
        except DistBackendError as error:
            self._exception = error
            raise
        self._complete()
        return True

    def is_completed(self) -> bool:
        """Whether the operation has finished (checking lets MPI make progress)."""
        if not self._done and _state.MPI.Request.Testall(self._requests, self._statuses):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self._done and self._exception is None

    def exception(self) -> BaseException | None:
        return self._exception

    def result(self) -> list:
        """The output tensors, once complete."""
        self.wait()
        return self._result

    def source_rank(self) -> int:
        """For a ``recv`` from any source: the (global) rank the message came from."""
        self.wait()
        if self._source is None:
            raise RuntimeError("source_rank() is only available for recv operations")
        return self._source

    def get_future(self) -> _Future:
        return _Future(self)

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()
        self._keep = None


class _Future:
    """A minimal ``torch.futures.Future`` over a Work: ``wait()``/``value()`` give its tensors."""

    def __init__(self, work: Work) -> None:
        self._work = work

    def done(self) -> bool:
        return self._work.is_completed()

    def wait(self) -> list:
        return self._work.result()

    def value(self) -> list:
        return self._work.result()

    def then(self, callback: Callable[[_Future], Any]) -> _Future:
        self.wait()
        value = callback(self)
        done = _Future(self._work)
        done.wait = done.value = lambda: value  # type: ignore[method-assign]
        return done


def _seconds(timeout: Any) -> float:
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def _global_rank() -> int:
    return _state.MPI.COMM_WORLD.Get_rank() if _state.MPI is not None else 0


# ---------------------------------------------------------------------------------------------
# Availability


def is_available() -> bool:
    """Whether ember.distributed can create process groups (mpi4py is installed)."""
    return _mpi.mpi_available()


def is_mpi_available() -> bool:
    return _mpi.mpi_available()


def is_gloo_available() -> bool:
    """``"gloo"`` is another name for ember's MPI backend, so this is ``is_mpi_available()``."""
    return _mpi.mpi_available()


def is_nccl_available() -> bool:
    """False: NCCL needs CUDA GPUs, which ember does not have."""
    return False


def is_ucc_available() -> bool:
    return False


def is_xccl_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    """Whether this process was started by ``python -m ember.distributed.run`` (torchrun)."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def is_initialized() -> bool:
    """Whether the default process group has been initialised."""
    return _state.world is not None


def get_default_backend_for_device(device: Any) -> str:
    """The backend torch picks for a device: ``"gloo"`` for the CPU (ember's name for MPI)."""
    kind = device if isinstance(device, str) else getattr(device, "type", str(device))
    if str(kind).split(":")[0] != "cpu":
        raise ValueError(f"ember.distributed: no backend for device '{device}'; ember computes "
                         "on the CPU only")
    return Backend.GLOO


# ---------------------------------------------------------------------------------------------
# The default group


def _check_backend(backend: Any) -> str:
    if backend is None:
        return Backend.MPI
    name = str(backend).lower()
    if "," in name or ":" in name:  # "cpu:gloo,cuda:nccl"
        per_device = dict(part.split(":", 1) for part in name.split(",") if ":" in part)
        if "cpu" not in per_device:
            raise ValueError(f"ember.distributed: backend '{backend}' names no CPU backend")
        name = per_device["cpu"]
    if name in (Backend.MPI, Backend.GLOO):
        return name
    if name in (Backend.NCCL, Backend.XCCL, "cuda", "hccl"):
        raise RuntimeError(f"ember.distributed: backend '{name}' needs GPUs, which ember does "
                           "not have; use backend='mpi' (or 'gloo', its other name here)")
    raise ValueError(f"ember.distributed: unknown backend '{backend}'; ember runs process "
                     "groups on MPI: use backend='mpi' (or 'gloo')")


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else None


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:
    """Initialises the default process group over the processes MPI started.

    Args:
        backend (str, optional): ``"mpi"`` (the default) or ``"gloo"``, another name for it.
        init_method (str, optional): accepted and unused: MPI finds the other processes itself
            (``env://``, ``tcp://`` and ``file://`` scripts run unchanged).
        timeout (timedelta, optional): how long a collective waits for the other ranks before
            raising (default 30 minutes, as in torch).
        world_size (int, optional): checked against the number of MPI processes; defaults to
            ``WORLD_SIZE`` from the environment, else MPI's.
        rank (int, optional): this process's rank; defaults to ``RANK`` from the environment,
            else MPI's. Ranks given this way must be a permutation of ``0 .. world_size-1``.
        store, group_name, pg_options, device_id: accepted for compatibility; unused.

    Example::

        >>> # mpiexec -n 2 python train.py   or   python -m ember.distributed.run ...
        >>> import ember.distributed as dist
        >>> dist.init_process_group("gloo")
        >>> dist.get_rank(), dist.get_world_size()
        (0, 2)
    """
    if _state.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = _check_backend(backend)
    seconds = _seconds(timeout) if timeout is not None else default_pg_timeout.total_seconds()
    MPI = _mpi.load_mpi()
    _state.MPI = MPI
    world = MPI.COMM_WORLD
    mpi_size, mpi_rank = world.Get_size(), world.Get_rank()
    size = world_size if world_size not in (None, -1) else _env_int("WORLD_SIZE")
    if size is not None and size != mpi_size:
        raise RuntimeError(
            f"ember.distributed: world_size is {size} but MPI started {mpi_size} process(es); "
            f"launch with `python -m ember.distributed.run --nproc-per-node {size} script.py` "
            f"or `mpiexec -n {size} python script.py`")
    wanted = rank if rank not in (None, -1) else _env_int("RANK")
    wanted = mpi_rank if wanted is None else wanted
    asked = world.allgather(wanted)
    if sorted(asked) != list(range(mpi_size)):
        raise ValueError(f"ember.distributed: the ranks asked for, {asked}, are not a "
                         f"permutation of 0..{mpi_size - 1}")
    comm = world.Split(0, key=wanted)
    if mpi_size > 1:
        _mpi.install_abort_hook(MPI)
    _state.world = ProcessGroup(comm, list(range(mpi_size)), name, seconds)
    _state.groups = [_state.world]


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Frees a group, or with no argument every group (``init_process_group`` may follow)."""
    if group is None or group is _state.world:
        for pg in _state.groups:
            pg._comm.Free()
        _state.world = None
        _state.groups = []
        return
    if group in _state.groups:
        _state.groups.remove(group)
        group._comm.Free()


def _world() -> ProcessGroup:
    if _state.world is None:
        raise ValueError(_NOT_INITIALIZED)
    return _state.world


def resolve_group(group: Any) -> ProcessGroup | None:
    """The group a call refers to (None: the default); None if this rank is not in it."""
    world = _world()
    if group is None:
        return world
    if group == GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup, got {type(group).__name__}")
    return group


def warn_not_in_group(op: str) -> None:
    warnings.warn(f"Running {op} on global rank {_global_rank()} which does not belong to the "
                  "given group.", stacklevel=3)


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default: the world); -1 if it is not a member."""
    pg = resolve_group(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group`` (default: the world); -1 if not a member."""
    pg = resolve_group(group)
    return -1 if pg is None else pg.size()


def get_backend(group: ProcessGroup | None = None) -> str:
    """The backend name the group was made with (``"mpi"`` or ``"gloo"``)."""
    pg = resolve_group(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return Backend(pg.name())


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    """The global ranks of the group's members, in group-rank order."""
    pg = resolve_group(group)
    if pg is None:
        raise ValueError("Group is not registered, please create group with new_group")
    return list(pg._global_ranks)


def get_global_rank(group: ProcessGroup | None, group_rank: int) -> int:
    """The global rank of ``group_rank`` in ``group``."""
    ranks = get_process_group_ranks(group)
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return ranks[group_rank]


def get_group_rank(group: ProcessGroup | None, global_rank: int) -> int:
    """The rank in ``group`` of the process with ``global_rank``."""
    ranks = get_process_group_ranks(group)
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks.index(global_rank)


def new_group(ranks: Sequence[int] | None = None, timeout: datetime.timedelta | None = None,
              backend: str | None = None, pg_options: Any = None,
              use_local_synchronization: bool = False, group_desc: str | None = None,
              device_id: Any = None) -> ProcessGroup | int:
    """Creates a group of some of the world's ranks.

    Every rank of the world must call it (unless ``use_local_synchronization``, when only the
    members do), with the same ``ranks``. Ranks outside the group get
    ``GroupMember.NON_GROUP_MEMBER``; collectives on it warn and do nothing there.

    Args:
        ranks (list of int, optional): global ranks of the members (default: all).
        timeout (timedelta, optional): collective timeout (default: the world's).
        backend (str, optional): ``"mpi"`` or ``"gloo"`` (default: the world's).
    """
    world = _world()
    members = sorted(range(world.size()) if ranks is None else {int(r) for r in ranks})
    if any(not 0 <= r < world.size() for r in members):
        raise ValueError("The new group's rank should be within the world_size set by "
                         "init_process_group")
    name = world.name() if backend is None else _check_backend(backend)
    seconds = world._timeout if timeout is None else _seconds(timeout)
    me = world.rank()
    if use_local_synchronization:
        if me not in members:
            return GroupMember.NON_GROUP_MEMBER
        comm = world._comm.Create_group(world._comm.Get_group().Incl(members))
    else:
        MPI = _state.MPI
        comm = world._comm.Split(0 if me in members else MPI.UNDEFINED, key=me)
        if comm == MPI.COMM_NULL:
            return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, members, name, seconds)
    _state.groups.append(pg)
    return pg
