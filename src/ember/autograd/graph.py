"""Graph nodes: the base ``Node`` every backward function derives from, and ``AccumulateGrad``.

A node is created by an op when grad mode is on and some input requires grad. It is the op's
``ctx``: it holds the edges to the nodes of its inputs (``next_functions``), what the op saved
for backward, and hooks. Tensors point to their node through ``grad_fn``; nodes point to their
inputs' nodes, never to their own outputs, so a graph has no reference cycles and is freed by
reference counting as soon as the last tensor using it goes away.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor

__all__ = ["Node", "AccumulateGrad", "saved_tensors_hooks", "save_on_cpu"]

Edge = tuple["Node | None", int]

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")


class Node:
    """Base of every backward function. Subclasses are named as torch names them
    (``MulBackward0``), which is what ``name()`` and ``repr`` show."""

    # Class-level defaults: a node sets only what it uses (see Tensor for why).
    # Edges are kept as two flat tuples, the nodes and (only if some is not 0) the output
    # numbers, rather than a pair per edge: fewer objects per op for the garbage collector.
    _next: tuple[Node | None, ...] = ()
    _next_nr: tuple[int, ...] | None = None
    num_outputs = 1
    input_meta: tuple | None = None
    _hooks: dict | None = None
    _pre_hooks: dict | None = None
    _tensor_hooks: dict | None = None
    _metadata: dict | None = None
    _freed_at: str | None = None
    _anomaly_trace: list | None = None

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple[Edge, ...]:
        """The edges to the nodes of this node's inputs: ``(node or None, output_nr)``."""
        nrs = self._next_nr or (0,) * len(self._next)
        return tuple(zip(self._next, nrs))

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """Whether each input needs a gradient (has an edge)."""
        return tuple([fn is not None for fn in self._next])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, hook: Callable) -> _RemovableHandle:
        """Registers ``hook(grad_inputs, grad_outputs)``, called after this node's backward; it
        may return replacement ``grad_inputs``."""
        return _add_hook(self, "_hooks", hook)

    def register_prehook(self, hook: Callable) -> _RemovableHandle:
        """Registers ``hook(grad_outputs)``, called before this node's backward; it may return
        replacement ``grad_outputs``."""
        return _add_hook(self, "_pre_hooks", hook)

    def _register_tensor_hook(self, output_nr: int, hook: Callable) -> _RemovableHandle:
        hooks = self._tensor_hooks
        if hooks is None:
            hooks = self._tensor_hooks = {}
        bucket = hooks.setdefault(output_nr, {})
        handle = _RemovableHandle(bucket)
        bucket[handle.id] = hook
        return handle

    def _freed_error(self) -> RuntimeError:
        where = self._freed_at
        hint = f" (ember: this graph was freed by the backward call at {where})" if where else ""
        return RuntimeError(_FREED_MESSAGE + hint)

    def release(self, where: str | None) -> None:
        """Frees what the node saved for backward; subclasses that save override it."""


class _RemovableHandle:
    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks_ref = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks_ref.pop(self.id, None)

    def __enter__(self) -> _RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _add_hook(node: Node, slot: str, hook: Callable) -> _RemovableHandle:
    hooks = getattr(node, slot, None)
    if hooks is None:
        hooks = {}
        setattr(node, slot, hooks)
    handle = _RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


class AccumulateGrad(Node):
    """The node at a leaf that requires grad: adds the incoming gradient into ``variable.grad``.

    One per leaf while a graph uses it: the leaf holds it weakly, the graph strongly.
    """

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @property  # type: ignore[override]
    def _tensor_hooks(self) -> dict | None:
        # A leaf's hooks live on the tensor, so they outlive any one graph (and this node).
        hooks = self.variable._hooks
        return {0: hooks} if hooks else None

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def set_edges(node: Node, inputs: tuple) -> None:
    """Points ``node`` at the graph nodes of ``inputs`` (Tensors or anything else)."""
    nodes = []
    nrs = None
    for i, x in enumerate(inputs):
        fn = None
        if isinstance(x, Tensor):
            fn = x.grad_fn
            if fn is not None:
                if x._output_nr:
                    nrs = nrs or [0] * len(inputs)
                    nrs[i] = x._output_nr
            elif x._requires_grad:
                fn = accumulator_of(x)
        nodes.append(fn)
    node._next = tuple(nodes)
    if nrs is not None:
        node._next_nr = tuple(nrs)


def accumulator_of(tensor: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node, created on first use and shared while alive."""
    ref = tensor._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._accumulator = weakref.ref(node)
    return node


# ---------------------------------------------------------------------------------------------
# saved tensor hooks: pack when an op saves a tensor, unpack when backward reads it.
_saved_hooks_stack: list[tuple[Callable, Callable]] = []


class saved_tensors_hooks:
    """Context manager: ``pack_hook(tensor)`` runs when an op saves a tensor for backward and
    ``unpack_hook(packed)`` when backward reads it back.

    Args:
        pack_hook (Callable): tensor -> anything.
        unpack_hook (Callable): anything -> tensor.
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        _saved_hooks_stack.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc: object) -> None:
        _saved_hooks_stack.pop()


class save_on_cpu(saved_tensors_hooks):
    """Accepted for torch compatibility; everything already lives on the CPU, so tensors are
    saved as they are."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(lambda t: t, lambda t: t)


def __getattr__(name: str) -> Any:
    # Drawing lives in its own module (it reads graphs, the recording path never needs it);
    # loaded on first use so importing ember stays as cheap as before.
    if name in ("draw", "make_dot", "GraphDrawing"):
        from . import drawing

        return getattr(drawing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
