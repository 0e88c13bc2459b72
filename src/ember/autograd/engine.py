"""The backward engine: runs a graph's backward functions in dependency order, iteratively.

1. Walk ``next_functions`` from the roots with an explicit stack, counting how many edges point
   at each node (its dependencies).
2. Put the root gradients into the roots' input buffers.
3. Pop a ready node, run its backward on its buffered gradient (the buffer is popped, so freed),
   free what it saved unless ``retain_graph``, and add each returned gradient to the buffer of
   the node it flows to; a node whose last dependency has delivered becomes ready.
4. ``AccumulateGrad`` nodes add into the leaves' ``.grad``.

Nothing op-specific lives here: each node knows how to differentiate itself. The only
cross-cutting work is summing a broadcast gradient back to its input's shape and casting it to
its input's dtype, for nodes that recorded ``input_meta``.

With counts instead of recursion a 100,000-op chain is just a loop.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._dtype import _BY_NUMPY
from .._tensor import Tensor, _make, bump_version
from ..ops.reduction.sum_mean import sum_to_size
from ..ops.shape.reshape import cast
from . import anomaly_mode, grad_mode
from .graph import AccumulateGrad, Node

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _caller_location() -> str:
    """file:line of the first frame outside ember, for 'where was this graph freed'."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def run_backward(roots: Sequence[tuple[Node, int]], root_grads: Sequence[Tensor | None],
                 retain_graph: bool, create_graph: bool,
                 capture: Sequence[tuple[Node, int]] | None = None) -> list[Tensor | None]:
    """Runs backward from ``roots`` (graph edges) seeded with ``root_grads``.

    Without ``capture`` every reachable leaf accumulates into ``.grad``. With ``capture``
    (edges of the tensors asked for), nothing accumulates: the gradient arriving at each
    captured edge is returned, and only the part of the graph leading to them runs.
    """
    deps = _count_dependencies([node for node, _ in roots])
    captured: list[Tensor | None] = []
    capture_at: dict[Node, list[tuple[int, int]]] = {}
    if capture is not None:
        captured = [None] * len(capture)
        for i, (node, nr) in enumerate(capture):
            capture_at.setdefault(node, []).append((nr, i))
        deps = _prune(deps, [node for node, _ in roots], capture_at)

    buffers: dict[Node, Any] = {}
    for (node, nr), grad in zip(roots, root_grads):
        if node in deps:
            _add_to_buffer(buffers, node, nr, grad)
    ready = []
    for node, _ in roots:
        if deps.get(node) == 0 and node not in ready:
            ready.append(node)

    where = None if retain_graph else _caller_location()
    accumulate = capture is None
    anomaly = anomaly_mode.is_enabled()
    with grad_mode.set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            grad = buffers.pop(node, None)
            if node._tensor_hooks:
                grad = _run_tensor_hooks(node, grad)
            if capture_at and node in capture_at:
                for nr, i in capture_at[node]:
                    captured[i] = grad[nr] if node.num_outputs > 1 else grad
                if not any(nxt in deps for nxt in node._next):
                    continue
            if node.__class__ is AccumulateGrad:
                if accumulate and grad is not None:
                    _accumulate(node.variable, grad, create_graph)
                continue
            if node._pre_hooks:
                grad = _run_pre_hooks(node, grad)
            if node.num_outputs == 1 and grad is not None and not (anomaly or node._hooks):
                # the common case, written out: one output, a gradient, no hooks
                grads = node.backward(node, grad)  # type: ignore[attr-defined]
                if grads.__class__ is not tuple:
                    grads = (grads,)
                if len(grads) != len(node._next):
                    raise _count_error(node, grads)
            else:
                grads = _call_backward(node, grad, anomaly)
            if not retain_graph:
                node.release(where)
            meta = node.input_meta
            nrs = node._next_nr
            for i, nxt in enumerate(node._next):
                if nxt is None:
                    continue
                remaining = deps.get(nxt)
                if remaining is None:  # pruned: leads to no captured tensor
                    continue
                g = grads[i]
                if g is not None:
                    if meta is not None and meta[i] is not None:
                        g = _conform(g, meta[i])
                    if nxt.num_outputs == 1:
                        old = buffers.get(nxt)
                        buffers[nxt] = g if old is None else old + g
                    else:
                        _add_to_buffer(buffers, nxt, nrs[i] if nrs else 0, g)
                remaining -= 1
                if remaining:
                    deps[nxt] = remaining
                else:
                    ready.append(nxt)
            # drop our references, so a leaf can take over a gradient nobody else holds
            grads = g = None
    return captured


def _count_dependencies(start: list[Node]) -> dict[Node, int]:
    deps: dict[Node, int] = {node: 0 for node in start}
    stack = list(deps)
    while stack:
        node = stack.pop()
        for nxt in node._next:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    return deps


def _prune(deps: dict[Node, int], start: list[Node],
           targets: dict[Node, Any]) -> dict[Node, int]:
    """Restricts the dependency counts to nodes on a path to a capture target."""
    counts = dict(deps)
    order = []
    ready = [n for n in dict.fromkeys(start) if counts[n] == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt in node._next:
            if nxt is not None:
                counts[nxt] -= 1
                if counts[nxt] == 0:
                    ready.append(nxt)
    useful = set(targets)
    for node in reversed(order):
        if node not in useful and any(nxt in useful for nxt in node._next):
            useful.add(node)
    pruned = {node: 0 for node in useful}
    for node in useful:
        for nxt in node._next:
            if nxt in useful:
                pruned[nxt] += 1
    return pruned


def _add_to_buffer(buffers: dict[Node, Any], node: Node, nr: int, grad: Tensor | None) -> None:
    if grad is None:
        return
    if node.num_outputs == 1:
        old = buffers.get(node)
        buffers[node] = grad if old is None else old + grad
    else:
        slots = buffers.get(node)
        if slots is None:
            slots = buffers[node] = [None] * node.num_outputs
        old = slots[nr]
        slots[nr] = grad if old is None else old + grad


def _call_backward(node: Node, grad: Any, anomaly: bool) -> tuple:
    if node.num_outputs == 1:
        if grad is None:
            return (None,) * len(node._next)
        grads = node.backward(node, grad)  # type: ignore[attr-defined]
    else:
        grads = node._backward_multi(grad)  # type: ignore[attr-defined]
    if grads.__class__ is not tuple:
        grads = (grads,)
    if len(grads) != len(node._next):
        raise _count_error(node, grads)
    if anomaly:
        anomaly_mode.check_backward(node, grads, grad)
    if node._hooks:
        grads = _run_post_hooks(node, grads, grad)
    return grads


def _count_error(node: Node, grads: tuple) -> RuntimeError:
    return RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients (expected "
        f"{len(node._next)}, got {len(grads)})")


def _conform(grad: Tensor, meta: tuple) -> Tensor:
    """Sums a broadcast gradient back to its input's shape and casts it to its dtype."""
    shape, dtype = meta
    if grad._data.shape != shape:
        grad = sum_to_size(grad, shape)
    if grad._data.dtype != dtype:
        grad = cast(grad, _BY_NUMPY[dtype])
    return grad


def _unshared(grad: Tensor) -> bool:
    """Whether nothing but ``grad`` references its array and that array's memory.

    Inside this function an array referenced only by the tensor shows a refcount of 3 (the
    tensor's attribute, the local name, getrefcount's argument); a reshape of a fresh array
    (what sum_to_size returns) keeps its base alive through its own ``.base`` only.
    """
    data = grad._data
    if not (data.flags.writeable and data.flags.c_contiguous) or sys.getrefcount(data) > 3:
        return False
    base = data.base
    if base is None:
        return True
    return (isinstance(base, np.ndarray) and base.base is None and base.size == data.size
            and sys.getrefcount(base) <= 3)


def _accumulate(variable: Tensor, grad: Tensor, create_graph: bool) -> None:
    old = variable._grad
    if grad._data.dtype != variable._data.dtype:
        grad = cast(grad, variable.dtype)
    if old is None:
        if create_graph and grad.grad_fn is not None:
            variable._grad = grad
        elif _unshared(grad) and sys.getrefcount(grad) <= 3:
            # Nothing else holds this gradient or its memory (the engine's local, this
            # function's argument and getrefcount's own make 3): take it, as torch does.
            variable._grad = grad if grad.grad_fn is None else _make(grad._data)
        else:
            # A copy, so .grad never aliases a tensor the user (or another leaf) also holds.
            variable._grad = _make(grad._data.copy())
    elif create_graph or grad_mode.state.enabled:
        variable._grad = old + grad
    else:
        try:
            old._data += grad._data
            bump_version(old)
        except ValueError:  # read-only or broadcast .grad the user assigned
            variable._grad = old + grad
    post_hooks = variable._post_hooks
    if post_hooks:
        for hook in list(post_hooks.values()):
            hook(variable)


def _run_tensor_hooks(node: Node, grad: Any) -> Any:
    from .._tensor import _RetainGradHook

    for nr, hooks in node._tensor_hooks.items():
        g = grad[nr] if node.num_outputs > 1 else grad
        if g is None:
            continue
        # retain_grad sees the gradient after every user hook, as in torch
        ordered = sorted(hooks.values(), key=lambda h: isinstance(h, _RetainGradHook))
        for hook in ordered:
            result = hook(g)
            if result is not None:
                g = result
        if node.num_outputs > 1:
            grad[nr] = g
        else:
            grad = g
    return grad


def _run_pre_hooks(node: Node, grad: Any) -> Any:
    grads = tuple(grad) if node.num_outputs > 1 else (grad,)
    for hook in list(node._pre_hooks.values()):
        result = hook(grads)
        if result is not None:
            grads = tuple(result)
    return list(grads) if node.num_outputs > 1 else grads[0]


def _run_post_hooks(node: Node, grads: tuple, grad_outputs: Any) -> tuple:
    outs = tuple(grad_outputs) if node.num_outputs > 1 else (grad_outputs,)
    for hook in list(node._hooks.values()):
        result = hook(grads, outs)
        if result is not None:
            grads = tuple(result)
    return grads
