"""Checks that run on every rank of an MPI job: ``mpiexec -n N python mpi_checks.py``.

Each rank's data is a known function of its rank, so every rank computes with NumPy what each
collective must give and compares. Each check prints ``PASS name`` or ``FAIL name: why`` per
rank; tests/distributed/test_collectives.py launches the job and reads those lines. A check
that fails is reported, then ends the job: the ranks' collectives would no longer match.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable

import numpy as np

import ember
import ember.distributed as dist
from ember import nn

CHECKS: dict[str, Callable[[int, int], None]] = {}


def check(fn: Callable[[int, int], None]) -> Callable[[int, int], None]:
    CHECKS[fn.__name__] = fn
    return fn


def data(rank: int, shape: tuple = (2, 3), dtype: type = np.float64) -> np.ndarray:
    """Rank ``rank``'s input: distinct, exactly representable values."""
    n = int(np.prod(shape))
    return ((np.arange(n) % 7 - 3) * (rank + 1) + rank).reshape(shape).astype(dtype)


def all_data(world: int, **kw: object) -> np.ndarray:
    return np.stack([data(r, **kw) for r in range(world)])


def raises(kind: type, fn: Callable[[], object], match: str = "") -> None:
    try:
        fn()
    except kind as error:
        assert match in str(error), f"{kind.__name__} without {match!r}: {error}"
        return
    raise AssertionError(f"expected {kind.__name__}")


def equal(t: ember.Tensor, expected: np.ndarray) -> None:
    np.testing.assert_array_equal(t.numpy(), expected)


# ---------------------------------------------------------------------------------------------
# collectives


@check
def all_reduce_ops(rank: int, world: int) -> None:
    everyone = all_data(world)
    cases = [(dist.ReduceOp.SUM, everyone.sum(0)), (dist.ReduceOp.PRODUCT, everyone.prod(0)),
             (dist.ReduceOp.MIN, everyone.min(0)), (dist.ReduceOp.MAX, everyone.max(0)),
             (dist.ReduceOp.AVG, everyone.sum(0) / world)]
    for op, expected in cases:
        t = ember.tensor(data(rank))
        before = t._data
        assert dist.all_reduce(t, op=op) is None
        np.testing.assert_allclose(t.numpy(), expected, rtol=1e-15)
        assert t._data is before  # written in place, in the tensor's own memory
    ints = all_data(world, dtype=np.int64)
    for op, fold in ((dist.ReduceOp.BAND, np.bitwise_and), (dist.ReduceOp.BOR, np.bitwise_or),
                     (dist.ReduceOp.BXOR, np.bitwise_xor)):
        t = ember.tensor(data(rank, dtype=np.int64))
        dist.all_reduce(t, op=op)
        equal(t, fold.reduce(ints, axis=0))
    flags = np.array([True, False, rank == 0, rank == world - 1])
    t = ember.tensor(flags)
    dist.all_reduce(t)  # bools add up as "any"
    equal(t, np.array([True, False, True, True]))
    scalar = ember.tensor(float(rank))
    dist.all_reduce(scalar, op=dist.ReduceOp.MAX)
    assert scalar.item() == world - 1 and scalar.shape == ()
    raises(RuntimeError, lambda: dist.all_reduce(ember.ones(2, dtype=ember.int64),
                                                 op=dist.ReduceOp.AVG), "Long")
    raises(RuntimeError, lambda: dist.all_reduce(ember.ones(2), op=dist.ReduceOp.BAND),
           "non-integral")
    raises(TypeError, lambda: dist.all_reduce([1.0, 2.0]), "ember.Tensor")


@check
def all_reduce_views_and_dtypes(rank: int, world: int) -> None:
    base = ember.tensor(data(rank, (3, 4)))
    column = base[:, 1]  # not contiguous: reduced through a copy, written back into the view
    dist.all_reduce(column)
    equal(base[:, 1], all_data(world, shape=(3, 4))[:, :, 1].sum(0))
    equal(base[:, 0], data(rank, (3, 4))[:, 0])
    for dtype in (np.float32, np.float16, np.int32, np.uint8, np.complex128):
        t = ember.tensor(data(rank, dtype=dtype))
        dist.all_reduce(t)
        equal(t, all_data(world, dtype=dtype).sum(0, dtype=dtype))


@check
def async_work(rank: int, world: int) -> None:
    t = ember.tensor(data(rank))
    work = dist.all_reduce(t, async_op=True)
    assert isinstance(work, dist.Work)
    assert work.wait() is True and work.is_completed() and work.is_success()
    assert work.result()[0] is t
    equal(t, all_data(world).sum(0))
    works = [dist.broadcast(ember.tensor(data(rank)), src=s, async_op=True)
             for s in range(world)]
    assert all(w.wait() for w in works)
    assert dist.barrier(async_op=True).wait()
    future = dist.all_reduce(ember.ones(2), async_op=True).get_future()
    equal(future.wait()[0], np.full(2, float(world)))


@check
def broadcast(rank: int, world: int) -> None:
    for src in range(world):
        t = ember.tensor(data(rank))
        dist.broadcast(t, src=src)
        equal(t, data(src))
        grid = ember.tensor(data(rank, (4, 4)))
        dist.broadcast(grid.t(), src=src)  # a transposed view
        equal(grid, data(src, (4, 4)))
    t = ember.tensor(data(rank))
    dist.broadcast(t, group_src=world - 1)
    equal(t, data(world - 1))
    raises(ValueError, lambda: dist.broadcast(ember.ones(1), src=world), "not part of group")
    raises(ValueError, lambda: dist.broadcast(ember.ones(1)), "Must specify")


@check
def reduce(rank: int, world: int) -> None:
    dst = world - 1
    for op, expected in ((dist.ReduceOp.SUM, all_data(world).sum(0)),
                         (dist.ReduceOp.MAX, all_data(world).max(0))):
        t = ember.tensor(data(rank))
        dist.reduce(t, dst=dst, op=op)
        equal(t, expected if rank == dst else data(rank))


@check
def all_gather(rank: int, world: int) -> None:
    outputs = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(world)]
    dist.all_gather(outputs, ember.tensor(data(rank)))
    for r, out in enumerate(outputs):
        equal(out, data(r))
    flat = ember.zeros(world * 2, 3, dtype=ember.float64)
    dist.all_gather_into_tensor(flat, ember.tensor(data(rank)))
    equal(flat, np.concatenate([data(r) for r in range(world)]))
    stacked = ember.zeros(world, 2, 3, dtype=ember.float64)
    dist.all_gather_into_tensor(stacked, ember.tensor(data(rank)))
    equal(stacked, all_data(world))
    raises(RuntimeError, lambda: dist.all_gather([ember.zeros(2, 3)] * (world + 1),
                                                 ember.zeros(2, 3)), "expected length")
    objects: list = [None] * world
    dist.all_gather_object(objects, {"rank": rank, "name": f"r{rank}" * rank})
    assert objects == [{"rank": r, "name": f"r{r}" * r} for r in range(world)]


@check
def reduce_scatter(rank: int, world: int) -> None:
    # rank r contributes data(r * world + i) to the chunk of rank i
    def piece(r: int, i: int) -> np.ndarray:
        return data(r * world + i, (2,))

    out = ember.zeros(2, dtype=ember.float64)
    dist.reduce_scatter(out, [ember.tensor(piece(rank, i)) for i in range(world)])
    equal(out, sum(piece(r, rank) for r in range(world)))
    big = ember.tensor(np.concatenate([piece(rank, i) for i in range(world)]))
    out = ember.zeros(2, dtype=ember.float64)
    dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.AVG)
    np.testing.assert_allclose(out.numpy(), sum(piece(r, rank) for r in range(world)) / world)


@check
def gather_and_scatter(rank: int, world: int) -> None:
    dst = 1 % world
    outputs = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(world)]
    dist.gather(ember.tensor(data(rank)), outputs if rank == dst else None, dst=dst)
    for r, out in enumerate(outputs):
        equal(out, data(r) if rank == dst else np.zeros((2, 3)))
    received = ember.zeros(2, 3, dtype=ember.float64)
    pieces = [ember.tensor(data(10 + r)) for r in range(world)] if rank == 0 else None
    dist.scatter(received, pieces, src=0)
    equal(received, data(10 + rank))
    if rank != 0:
        raises(ValueError, lambda: dist.scatter(received, [received] * world, src=0),
               "must NOT be specified on non-source ranks")
    objects: list = [None] * world if rank == 0 else None  # type: ignore[assignment]
    dist.gather_object(("rank", rank), objects, dst=0)
    if rank == 0:
        assert objects == [("rank", r) for r in range(world)]
    mine: list = [None]
    dist.scatter_object_list(mine, [{"for": r} for r in range(world)] if rank == 0 else None)
    assert mine == [{"for": rank}]
    shared = [rank, "x"] if rank == 0 else [None, None]
    dist.broadcast_object_list(shared, src=0)
    assert shared == [0, "x"]


@check
def all_to_all(rank: int, world: int) -> None:
    # rank r sends to rank j a vector of length j + r + 1 filled with 100 r + j
    inputs = [ember.full((j + rank + 1,), 100.0 * rank + j) for j in range(world)]
    outputs = [ember.zeros(rank + i + 1) for i in range(world)]
    dist.all_to_all(outputs, inputs)
    for i, out in enumerate(outputs):
        equal(out, np.full(rank + i + 1, 100.0 * i + rank, dtype=np.float32))
    single_in = ember.tensor(np.repeat(100.0 * rank + np.arange(world), 2).reshape(world * 2, 1))
    single_out = ember.zeros(world * 2, 1, dtype=ember.float64)
    dist.all_to_all_single(single_out, single_in)
    equal(single_out, np.repeat(100.0 * np.arange(world) + rank, 2).reshape(world * 2, 1))
    splits_in = [j + 1 for j in range(world)]      # rank r sends j + 1 rows to rank j
    splits_out = [rank + 1] * world                # and receives rank + 1 rows from each
    rows = ember.tensor(np.concatenate([np.full(j + 1, 10.0 * rank + j) for j in range(world)]))
    got = ember.zeros(sum(splits_out), dtype=ember.float64)
    dist.all_to_all_single(got, rows, splits_out, splits_in)
    equal(got, np.concatenate([np.full(rank + 1, 10.0 * i + rank) for i in range(world)]))


@check
def point_to_point(rank: int, world: int) -> None:
    right, left = (rank + 1) % world, (rank - 1) % world
    inbox = ember.zeros(2, 3, dtype=ember.float64)
    send_work = dist.isend(ember.tensor(data(rank)), dst=right, tag=3)
    assert dist.recv(inbox, src=left, tag=3) == left
    send_work.wait()
    equal(inbox, data(left))
    # receive from any source: recv says who sent it
    box = ember.zeros(1)
    if rank == 0:
        senders = sorted(dist.recv(box, tag=4) for _ in range(world - 1))
        assert senders == list(range(1, world))
    else:
        dist.send(ember.ones(1) * rank, dst=0, tag=4)
    ops = [dist.P2POp(dist.isend, ember.tensor(data(rank)), right),
           dist.P2POp(dist.irecv, inbox, left)]
    for work in dist.batch_isend_irecv(ops):
        work.wait()
    equal(inbox, data(left))
    if rank == 0:
        dist.send_object_list([{"a": 1}, "b"], dst=world - 1)
    if rank == world - 1:
        objects: list = [None, None]
        assert dist.recv_object_list(objects, src=0) == 0
        assert objects == [{"a": 1}, "b"]
    raises(ValueError, lambda: dist.send(ember.ones(1), dst=rank), "should not be the same")


@check
def groups(rank: int, world: int) -> None:
    members = [0, world - 1]
    group = dist.new_group(members)
    if rank in members:
        assert dist.get_rank(group) == members.index(rank)
        assert dist.get_world_size(group) == 2
        assert dist.get_process_group_ranks(group) == members
        assert dist.get_global_rank(group, 1) == world - 1
        t = ember.tensor(data(rank))
        dist.all_reduce(t, group=group)
        equal(t, data(0) + data(world - 1))
        t = ember.tensor(data(rank))
        dist.broadcast(t, src=world - 1, group=group)  # src is a global rank
        equal(t, data(world - 1))
    else:
        assert group == dist.GroupMember.NON_GROUP_MEMBER
        assert dist.get_rank(group) == -1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert dist.all_reduce(ember.ones(1), group=group) is None
        assert any("does not belong to the given group" in str(w.message) for w in caught)
    everyone = dist.new_group()
    assert dist.get_world_size(everyone) == world
    assert dist.group.WORLD is dist.GroupMember.WORLD
    assert dist.get_backend() == "gloo"
    dist.barrier()
    dist.monitored_barrier()


@check
def timeout_raises(rank: int, world: int) -> None:
    # rank 0 waits in a barrier the others reach only after its 0.3 s timeout: it must raise
    # rather than hang; the others then complete that barrier, so the job goes on in step
    group = dist.new_group(timeout=datetime.timedelta(seconds=0.3))
    if rank == 0:
        start = time.monotonic()
        raises(dist.DistBackendError, lambda: dist.barrier(group=group), "timed out after 0.3 s")
        assert time.monotonic() - start < 5
    dist.barrier()  # rank 0 arrives here once it has timed out
    if rank != 0:
        dist.barrier(group=group)
    dist.barrier()


# ---------------------------------------------------------------------------------------------
# DistributedDataParallel


def _net(seed: int, dtype: ember.dtype = ember.float64) -> nn.Module:
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 16), nn.Tanh(),
                         nn.Linear(16, 3)).to(dtype)


def _batch(n: int = 24) -> tuple[ember.Tensor, ember.Tensor]:
    rng = np.random.default_rng(5)
    return ember.tensor(rng.standard_normal((n, 6))), ember.tensor(rng.integers(0, 3, n))


def _same_weights(a: nn.Module, b: nn.Module, atol: float) -> None:
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=atol,
                                   err_msg=name)


def _replicas_equal(model: nn.Module) -> None:
    mine = [p.detach().numpy() for p in model.parameters()]
    everyone: list = [None] * dist.get_world_size()
    dist.all_gather_object(everyone, mine)
    for theirs in everyone:
        for x, y in zip(mine, theirs):
            np.testing.assert_array_equal(x, y)


def _train_ddp_against_one_process(rank: int, world: int, steps: int = 4,
                                   **ddp_kwargs: object) -> nn.parallel.DistributedDataParallel:
    x, y = _batch(8 * world)
    per = len(y) // world
    ddp = nn.parallel.DistributedDataParallel(_net(seed=100 + rank), **ddp_kwargs)
    single = _net(seed=100)  # rank 0's initial weights, which DDP broadcasts
    opt = ember.optim.Adam(ddp.parameters(), lr=1e-2)
    single_opt = ember.optim.Adam(single.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(ddp(x[rank * per:(rank + 1) * per]), y[rank * per:(rank + 1) * per]).backward()
        opt.step()
        single_opt.zero_grad()
        loss_fn(single(x), y).backward()
        single_opt.step()
    _same_weights(ddp.module, single, atol=1e-10)
    _replicas_equal(ddp.module)
    return ddp


@check
def ddp_matches_one_process(rank: int, world: int) -> None:
    ddp = _train_ddp_against_one_process(rank, world)
    assert len(ddp.reducer.buckets) == 1


@check
def ddp_several_buckets(rank: int, world: int) -> None:
    ddp = _train_ddp_against_one_process(rank, world, bucket_cap_mb=1e-4)  # ~100-byte buckets
    assert len(ddp.reducer.buckets) >= 3
    first = ddp.reducer.buckets[0].params  # the last layer's gradients come first
    assert first[0] is list(ddp.module.parameters())[-1]


@check
def ddp_gradient_as_bucket_view(rank: int, world: int) -> None:
    ddp = _train_ddp_against_one_process(rank, world, gradient_as_bucket_view=True,
                                         bucket_cap_mb=1e-4)
    for bucket in ddp.reducer.buckets:
        for p, view in zip(bucket.params, bucket.views):
            assert p.grad._data is view


@check
def ddp_no_sync_accumulates(rank: int, world: int) -> None:
    x, y = _batch(8 * world)
    per = len(y) // world
    ddp = nn.parallel.DistributedDataParallel(_net(seed=7))
    loss_fn = nn.CrossEntropyLoss()
    mine = slice(rank * per, (rank + 1) * per)
    with ddp.no_sync():
        loss_fn(ddp(x[mine][:4]), y[mine][:4]).backward()
    local = [p.grad.numpy().copy() for p in ddp.parameters()]
    loss_fn(ddp(x[mine][4:]), y[mine][4:]).backward()
    # the synchronised backward averages everything accumulated since the last sync
    single = _net(seed=7)
    for r in range(world):
        part = slice(r * per, (r + 1) * per)
        loss_fn(single(x[part][:4]), y[part][:4]).backward()
        loss_fn(single(x[part][4:]), y[part][4:]).backward()
    for p, q, before in zip(ddp.parameters(), single.parameters(), local):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy() / world, atol=1e-12)
        assert not np.allclose(before, p.grad.numpy())


class _Branches(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.shared = nn.Linear(4, 4)
        self.only_rank0 = nn.Linear(4, 4)
        self.never = nn.Linear(4, 4)

    def forward(self, x: ember.Tensor, use_rank0_branch: bool) -> ember.Tensor:
        out = self.shared(x)
        return self.only_rank0(out) if use_rank0_branch else out


@check
def ddp_find_unused_parameters(rank: int, world: int) -> None:
    ember.manual_seed(3)
    ddp = nn.parallel.DistributedDataParallel(_Branches().double(), find_unused_parameters=True)
    x = ember.tensor(data(rank, (5, 4)))
    for _ in range(2):  # a second iteration: nothing left pending from the first
        ddp.zero_grad()
        ddp(x, rank == 0).sum().backward()
    ember.manual_seed(3)
    single = _Branches().double()
    for r in range(world):
        single(ember.tensor(data(r, (5, 4))), r == 0).sum().backward()
    module = ddp.module
    assert module.never.weight.grad is None  # no rank used it: left alone, as in torch
    for name in ("shared", "only_rank0"):
        np.testing.assert_allclose(getattr(module, name).weight.grad.numpy(),
                                   getattr(single, name).weight.grad.numpy() / world, atol=1e-12)


@check
def ddp_unused_parameter_error(rank: int, world: int) -> None:
    ember.manual_seed(3)
    ddp = nn.parallel.DistributedDataParallel(_Branches())
    x = ember.tensor(data(rank, (5, 4), np.float32))
    ddp(x, False).sum().backward()  # only_rank0 and never get no gradient
    raises(RuntimeError, lambda: ddp(x, False), "Expected to have finished reduction")


@check
def ddp_buffers_and_state_dict(rank: int, world: int) -> None:
    ember.manual_seed(rank)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model[1].running_mean.fill_(float(rank))
    ddp = nn.parallel.DistributedDataParallel(model)
    equal(model[1].running_mean, np.zeros(4, dtype=np.float32))  # rank 0's, at construction
    ddp(ember.tensor(data(rank, (6, 3), np.float32)))  # each rank updates its statistics ...
    ddp(ember.tensor(data(rank, (6, 3), np.float32)))  # ... and rank 0's win before forward
    everyone: list = [None] * world
    before = model[1].running_mean.numpy().copy()
    dist.all_gather_object(everyone, before)
    assert not all(np.array_equal(everyone[0], other) for other in everyone[1:])
    ddp(ember.tensor(data(0, (6, 3), np.float32)))
    state = ddp.state_dict()
    assert list(state)[:2] == ["module.0.weight", "module.0.bias"]
    nn.modules.utils.consume_prefix_in_state_dict_if_present(state, "module.")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    fresh.load_state_dict(state)
    _replicas_equal(ddp.module)


@check
def ddp_arguments(rank: int, world: int) -> None:
    raises(ValueError, lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2),
                                                                  device_ids=[0]), "device_ids")
    frozen = nn.Linear(2, 2).requires_grad_(False)
    raises(RuntimeError, lambda: nn.parallel.DistributedDataParallel(frozen), "is not needed")
    raises(NotImplementedError, lambda: nn.parallel.DistributedDataParallel(
        nn.Linear(2, 2), mixed_precision=object()), "mixed_precision")
    shapes = nn.Linear(2, 2 + (rank == world - 1))
    raises(RuntimeError, lambda: nn.parallel.DistributedDataParallel(shapes),
           "DDP expects same model across all ranks")


@check
def distributed_sampler(rank: int, world: int) -> None:
    dataset = list(range(23))
    for drop_last in (False, True):
        sampler = ember.utils.data.DistributedSampler(dataset, drop_last=drop_last, seed=4)
        assert (sampler.rank, sampler.num_replicas) == (rank, world)
        sampler.set_epoch(2)
        shards: list = [None] * world
        dist.all_gather_object(shards, list(sampler))
        whole = [i for shard in zip(*shards) for i in shard]  # rank r holds every world-th
        assert all(len(shard) == len(sampler) for shard in shards)
        if drop_last:
            assert len(whole) == 23 // world * world and len(set(whole)) == len(whole)
        else:
            assert set(whole) == set(dataset) and len(whole) == -(-23 // world) * world


@check
def torchrun_environment(rank: int, world: int) -> None:
    print(f"ENV rank={rank} RANK={os.environ.get('RANK')} WORLD_SIZE="
          f"{os.environ.get('WORLD_SIZE')} LOCAL_RANK={os.environ.get('LOCAL_RANK')} "
          f"elastic={dist.is_torchelastic_launched()}", flush=True)


def main() -> None:
    start = time.perf_counter()
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=30))
    print(f"INIT rank {dist.get_rank()} ({time.perf_counter() - start:.2f} s)", flush=True)
    rank, world = dist.get_rank(), dist.get_world_size()
    only = sys.argv[1:]
    for name, fn in CHECKS.items():
        if only and name not in only:
            continue
        start = time.perf_counter()
        try:
            fn(rank, world)
        except Exception:
            lines = traceback.format_exc().strip().splitlines()
            print(f"FAIL {name}: rank {rank}: " + " | ".join(lines[-6:]), flush=True)
            raise
        else:
            print(f"PASS {name} rank {rank} ({time.perf_counter() - start:.2f} s)", flush=True)
    dist.barrier()
    dist.destroy_process_group()
    print(f"DONE rank {rank}", flush=True)


if __name__ == "__main__":
    main()
