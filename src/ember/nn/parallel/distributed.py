"""DistributedDataParallel: data-parallel training over the ranks of a process group."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from ... import distributed as dist
from ...autograd import grad_mode
from ..modules.module import Module
from ._reducer import FIRST_BUCKET_BYTES, Reducer, find_tensors

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Replicates ``module`` on every rank and averages its gradients during backward.

    At construction the parameters and buffers of rank 0 are broadcast to every rank, so all
    replicas start equal. Each rank then runs forward and backward on its own part of the
    batch; the gradients are averaged across ranks in buckets, each bucket's allreduce starting
    as soon as its gradients are ready, so communication overlaps the rest of backward. After
    ``loss.backward()`` every rank holds the same averaged ``.grad``, and the optimizer steps
    keep the replicas equal. With the same global batch, N ranks compute the same update as one
    process (when the loss is a mean over the batch).

    Args:
        module (Module): the model to replicate (``ddp.module``).
        device_ids, output_device: must be None: ember computes on the CPU.
        dim (int): accepted for compatibility (inputs are not scattered on the CPU).
        broadcast_buffers (bool, optional): deprecated spelling of ``forward_sync_buffers``
            (``False`` also skips the buffers' broadcast at construction).
        init_sync (bool): broadcast rank 0's parameters and buffers at construction, after
            checking that every rank has the same parameter shapes. Default: True.
        process_group (ProcessGroup, optional): the ranks to average over (default: the world).
        bucket_cap_mb (float, optional): bucket size in MiB (default 25; the first is 1 MiB).
        find_unused_parameters (bool): find the parameters a forward did not use, so that
            backward need not wait for their gradients. Default: False.
        gradient_as_bucket_view (bool): make each ``.grad`` a view into its bucket, saving a
            copy and its memory. Default: False.
        bucket_cap_mb_list (list of float, optional): a size for each bucket in turn (the last
            one repeats).
        forward_sync_buffers (bool, optional): broadcast rank 0's buffers (BatchNorm
            statistics) before each forward. Default: True.
        static_graph (bool), check_reduction, batched_grad_copy: accepted; no effect.

    Example::

        >>> dist.init_process_group("gloo")
        >>> model = nn.parallel.DistributedDataParallel(nn.Linear(4, 2))
        >>> model(ember.randn(8, 4)).sum().backward()   # .grad averaged over the ranks
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool | None = None, init_sync: bool = True,
                 process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params: Any = None, param_to_hook_all_reduce: Any = None,
                 mixed_precision: Any = None, device_mesh: Any = None,
                 skip_all_reduce_unused_params: bool = False,
                 bucket_cap_mb_list: list[float] | None = None, batched_grad_copy: bool = False,
                 forward_sync_buffers: bool | None = None) -> None:
        super().__init__()
        if device_ids is not None or output_device is not None:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with "
                "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                f"{device_ids}, output_device {output_device}, and module parameters "
                "{device(type='cpu')}.")
        unsupported = {"delay_all_reduce_named_params": delay_all_reduce_named_params,
                       "param_to_hook_all_reduce": param_to_hook_all_reduce,
                       "mixed_precision": mixed_precision, "device_mesh": device_mesh,
                       "skip_all_reduce_unused_params": skip_all_reduce_unused_params or None}
        for name, value in unsupported.items():
            if value is not None:
                raise NotImplementedError(
                    f"ember.nn.parallel.DistributedDataParallel: {name} is not supported")
        self.module = module
        self.process_group = dist.distributed_c10d.resolve_group(process_group)
        if self.process_group is None:
            raise ValueError("ember.nn.parallel.DistributedDataParallel: this rank is not a "
                             "member of process_group")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.dim = dim
        if broadcast_buffers is not None:
            warnings.warn(
                "`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. "
                "IMPORTANT: unlike `broadcast_buffers=False`, `forward_sync_buffers=False` "
                "still syncs buffers at init." if forward_sync_buffers is None else
                "Both `broadcast_buffers` and `forward_sync_buffers` were specified. "
                "`broadcast_buffers` is deprecated and its value is ignored when "
                "`forward_sync_buffers` is provided.", FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, init_sync_buffers = forward_sync_buffers, True
        else:
            self.forward_sync_buffers = init_sync_buffers = broadcast_buffers is not False
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        mib = 1024 ** 2
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * mib)
        if bucket_cap_mb_list:
            caps = [int(cap * mib) for cap in bucket_cap_mb_list]
        else:  # a small first bucket, so the allreduce starts early, unless a size was asked
            caps = [FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap,
                    self.bucket_bytes_cap]
        if init_sync:
            self._verify_same_model(params)
            self._broadcast_from_first(list(self.module.parameters()))
            if init_sync_buffers:
                self._broadcast_from_first(list(self.module.buffers()))
        self.reducer = Reducer(list(params), self.process_group, caps, find_unused_parameters,
                               gradient_as_bucket_view)

    # -- construction ------------------------------------------------------------------------

    def _verify_same_model(self, params: list) -> None:
        """Every rank must wrap the same architecture: compare shapes with rank 0's."""
        mine = [(tuple(p.shape), str(p.dtype)) for p in params]
        everyone: list[Any] = [None] * dist.get_world_size(self.process_group)
        dist.all_gather_object(everyone, mine, group=self.process_group)
        for rank, theirs in enumerate(everyone):
            if len(theirs) != len(everyone[0]):
                raise RuntimeError(
                    f"DDP expects same model across all ranks, but Rank {rank} has "
                    f"{len(theirs)} params, while rank 0 has inconsistent {len(everyone[0])} "
                    "params.")
            for i, (a, b) in enumerate(zip(theirs, everyone[0])):
                if a != b:
                    raise RuntimeError(
                        f"DDP expects same model across all ranks, but parameter {i} has shape "
                        f"and dtype {a} on rank {rank} and {b} on rank 0.")

    def _broadcast_from_first(self, tensors: list) -> None:
        """Overwrites ``tensors`` with rank 0's (of the group), all broadcasts at once."""
        group = self.process_group
        source = dist.get_global_rank(group, 0)
        works = [dist.broadcast(t, src=source, group=group, async_op=True) for t in tensors]
        for work in works:
            if work is not None:
                work.wait()

    # -- forward -----------------------------------------------------------------------------

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        grad_sync = grad_mode.is_grad_enabled() and self.require_backward_grad_sync
        if self.will_sync_module_buffers():
            self._broadcast_from_first(list(self.module.buffers()))
        output = self.module(*inputs, **kwargs)
        if grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare_for_backward(
                find_tensors(output) if self.find_unused_parameters else None)
        else:
            self.require_forward_param_sync = False
        return output

    def will_sync_module_buffers(self) -> bool:
        return (self.require_forward_param_sync and self.forward_sync_buffers
                and any(True for _ in self.module.buffers()))

    @property
    def broadcast_buffers(self) -> bool:
        return self.forward_sync_buffers

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside this context backward accumulates gradients locally without averaging them;
        the first synchronised backward after it averages the accumulated gradients.

        Example::

            >>> with ddp.no_sync():
            ...     ddp(x1).sum().backward()   # no communication
            >>> ddp(x2).sum().backward()       # averages the gradients of both
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def register_comm_hook(self, state: Any, hook: Any) -> None:
        raise NotImplementedError("ember.nn.parallel.DistributedDataParallel averages gradients "
                                  "with MPI allreduce; communication hooks are not supported")

    def join(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ember.nn.parallel.DistributedDataParallel.join (uneven "
                                  "inputs) is not supported: give every rank the same number "
                                  "of batches (DistributedSampler does)")

    def _set_static_graph(self) -> None:
        self.static_graph = True
