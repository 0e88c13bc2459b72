"""DistributedDataParallel's gradient reducer: buckets, hooks and overlapped allreduce.

Parameters are grouped into buckets in the reverse order of ``module.parameters()`` (roughly
the order backward produces their gradients): the first bucket holds up to 1 MiB, the others
up to ``bucket_cap_mb`` (25 MiB), the sizes torch gives the buckets it rebuilds after its first
iteration (torch starts with one bucket and regroups by the order it saw; ember keeps the
reverse order from the start). Each bucket is one flat NumPy array. When the
post-accumulate-grad hook of a parameter fires, its gradient is copied into its bucket's
slot; when a bucket is complete (and every bucket before it has been started, so all ranks
issue the same allreduces in the same order), a non-blocking allreduce of the bucket starts,
and the rest of backward runs while MPI moves it. The hook of the last parameter waits for
all buckets and writes the averaged gradients back into ``.grad``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ... import distributed as dist
from ..._tensor import Tensor, _make

FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    def __init__(self, index: int, params: list[Tensor], dtype: np.dtype) -> None:
        self.index = index
        self.params = params
        sizes = [p._data.size for p in params]
        self.offsets = np.cumsum([0, *sizes]).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype=dtype)
        self.views = [self.flat[self.offsets[i]:self.offsets[i + 1]].reshape(p._data.shape)
                      for i, p in enumerate(params)]
        self.pending = len(params)
        self.work: Any = None


def assign_buckets(params: Sequence[Tensor], caps: list[int]) -> list[list[int]]:
    """Indices of ``params`` per bucket: reverse order, one dtype per bucket, bucket ``k``
    closed once it reaches ``caps[k]`` bytes (the last cap repeats)."""
    buckets: list[list[int]] = []
    open_buckets: dict[np.dtype, tuple[list[int], int]] = {}
    for i in reversed(range(len(params))):
        data = params[i]._data
        members, size = open_buckets.get(data.dtype, ([], 0))
        members.append(i)
        size += data.nbytes
        cap = caps[min(len(buckets), len(caps) - 1)]
        if size >= cap:
            buckets.append(members)
            open_buckets.pop(data.dtype, None)
        else:
            open_buckets[data.dtype] = (members, size)
    buckets.extend(members for members, _ in open_buckets.values())
    return buckets


class Reducer:
    """Averages the gradients of ``params`` over ``group`` while backward runs."""

    def __init__(self, params: Sequence[Tensor], group: Any, caps: list[int],
                 find_unused_parameters: bool, gradient_as_bucket_view: bool) -> None:
        self.params = list(params)
        self.group = group
        self.world_size = dist.get_world_size(group)
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.buckets = [_Bucket(b, [params[i] for i in members], params[members[0]]._data.dtype)
                        for b, members in enumerate(assign_buckets(params, caps))]
        self.locate: dict[int, tuple[_Bucket, int]] = {}
        for bucket in self.buckets:
            for slot, p in enumerate(bucket.params):
                self.locate[id(p)] = (bucket, slot)
        self.index_of = {id(p): i for i, p in enumerate(params)}
        self.expect_hooks = False
        self.started = False  # some gradient of this iteration has arrived
        self.ready: set[int] = set()
        self.next_bucket = 0
        self.local_used = np.zeros(len(params), dtype=np.int32)
        self.used_work: Any = None
        self.handles = [p.register_post_accumulate_grad_hook(self._hook) for p in params]

    # -- per iteration -----------------------------------------------------------------------

    def prepare_for_backward(self, outputs: Iterable[Tensor] | None) -> None:
        """Called after each forward that will be followed by a synchronised backward."""
        if self.started:
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a "
                "new one. This error indicates that your module has parameters that were not "
                "used in producing loss. You can enable unused parameter detection by passing "
                "the keyword argument `find_unused_parameters=True` to "
                "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
                "function outputs participate in calculating loss. Parameter indices which did "
                f"not receive grad for rank {dist.get_rank(self.group)}: "
                + " ".join(str(i) for i in range(len(self.params)) if i not in self.ready))
        self.expect_hooks = True
        self.ready = set()
        self.next_bucket = 0
        for bucket in self.buckets:
            bucket.pending = len(bucket.params)
            bucket.work = None
        self.local_used[:] = 1
        if outputs is not None and self.find_unused_parameters:
            reached = _reachable_leaves(outputs)
            unused = [p for p in self.params if id(p) not in reached]
            for p in unused:
                self.local_used[self.index_of[id(p)]] = 0
            for p in unused:
                self._mark_ready(p)

    def _hook(self, param: Tensor) -> None:
        if not self.expect_hooks:
            return  # inside no_sync(), or a backward DDP's forward did not prepare
        self._mark_ready(param)

    def _mark_ready(self, param: Tensor) -> None:
        index = self.index_of[id(param)]
        if index in self.ready:
            raise RuntimeError(
                f"Expected to mark a variable ready only once. Parameter at index {index} has "
                "been marked as ready twice. This means that multiple autograd engine hooks "
                "have fired for this particular parameter during this iteration.")
        self.ready.add(index)
        self.started = True
        bucket, slot = self.locate[id(param)]
        view = bucket.views[slot]
        grad = param._grad
        if grad is None:
            view.fill(0)  # an unused parameter adds nothing
        elif grad._data is not view:
            view[...] = grad._data
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready_buckets()
        else:
            self._poke()

    def _poke(self) -> None:
        """Lets MPI move the buckets already started: most MPI libraries progress a
        non-blocking collective only inside MPI calls, and backward makes none of its own."""
        for started in self.buckets[:self.next_bucket]:
            started.work.is_completed()

    def _launch_ready_buckets(self) -> None:
        while self.next_bucket < len(self.buckets):
            bucket = self.buckets[self.next_bucket]
            if bucket.pending:
                break
            if self.next_bucket == 0 and self.find_unused_parameters:
                self.used_work = dist.all_reduce(_make(self.local_used), dist.ReduceOp.MAX,
                                                 group=self.group, async_op=True)
            # divide first, as torch does: the sum of averages cannot overflow
            np.divide(bucket.flat, self.world_size, out=bucket.flat, casting="unsafe")
            bucket.work = dist.all_reduce(_make(bucket.flat), group=self.group, async_op=True)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _finalize(self) -> None:
        if self.used_work is not None:
            self.used_work.wait()
        globally_used = self.local_used.copy() if self.find_unused_parameters else None
        self.used_work = None
        for bucket in self.buckets:
            bucket.work.wait()
            for p, view in zip(bucket.params, bucket.views):
                if globally_used is not None and not globally_used[self.index_of[id(p)]]:
                    continue  # no rank used it: its .grad stays as it was, as in torch
                self._write_grad(p, view)
        self.expect_hooks = False
        self.started = False

    def _write_grad(self, param: Tensor, view: np.ndarray) -> None:
        grad = param._grad
        if self.gradient_as_bucket_view:
            if grad is None or grad._data is not view:
                param._grad = _make(view)
            return
        if grad is None:
            param._grad = _make(view.copy())
            return
        try:
            np.copyto(grad._data, view)
        except ValueError:  # a read-only .grad the user assigned
            param._grad = _make(view.copy())

    def remove_hooks(self) -> None:
        for handle in self.handles:
            handle.remove()


def _reachable_leaves(outputs: Iterable[Tensor]) -> set[int]:
    """ids of the leaves whose gradients backward from ``outputs`` would reach."""
    reached: set[int] = set()
    seen: set[int] = set()
    stack = []
    for t in outputs:
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            reached.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            reached.add(id(variable))
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return reached


def find_tensors(obj: Any) -> list[Tensor]:
    """The tensors inside a forward's output (nested lists, tuples and dicts)."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for item in obj for t in find_tensors(item)]
    if isinstance(obj, dict):
        return [t for item in obj.values() for t in find_tensors(item)]
    return []
