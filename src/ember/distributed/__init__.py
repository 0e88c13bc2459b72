"""ember.distributed: torch.distributed's data-parallel API on MPI.

Start N copies of a training script, each one a rank::

    python -m ember.distributed.run --nproc-per-node 2 train.py   # torchrun's spelling
    mpiexec -n 2 python train.py                                   # MPI's own launcher
    mpiexec --hostfile hosts -n 8 python train.py                  # several machines

and in the script::

    import ember.distributed as dist
    dist.init_process_group("gloo")      # or "mpi"; rank and world size come from MPI
    model = ember.nn.parallel.DistributedDataParallel(model)

Process groups are MPI communicators (mpi4py, installed with ``pip install
"ember[distributed]"``). ``import ember.distributed`` works without it; creating a group
then raises an error saying what to install. A rank that raises an uncaught exception after
``init_process_group`` aborts the whole job, and every collective waits at most the group's
timeout, so a failure never leaves the other ranks hanging.
"""

from __future__ import annotations

from ._mpi import DistBackendError, DistError, DistNetworkError, DistStoreError
from .collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    all_to_all,
    all_to_all_single,
    barrier,
    broadcast,
    gather,
    monitored_barrier,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from .distributed_c10d import (
    Backend,
    GroupMember,
    ProcessGroup,
    ReduceOp,
    Work,
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_default_backend_for_device,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    is_torchelastic_launched,
    is_ucc_available,
    is_xccl_available,
    new_group,
)
from .objects import (
    all_gather_object,
    broadcast_object_list,
    gather_object,
    recv_object_list,
    scatter_object_list,
    send_object_list,
)
from .p2p import P2POp, batch_isend_irecv, irecv, isend, recv, send

# torch's older spellings
_all_gather_base = all_gather_into_tensor
_reduce_scatter_base = reduce_scatter_tensor

__all__ = [
    "Backend", "DistBackendError", "DistError", "DistNetworkError", "DistStoreError",
    "GroupMember", "P2POp", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all",
    "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast", "broadcast_object_list",
    "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_default_backend_for_device", "get_global_rank", "get_group_rank",
    "get_process_group_ranks", "get_rank", "get_world_size", "group", "init_process_group",
    "irecv", "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
    "is_nccl_available", "is_torchelastic_launched", "is_ucc_available", "is_xccl_available",
    "isend", "monitored_barrier", "new_group", "recv", "recv_object_list", "reduce",
    "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
    "send_object_list",
]
