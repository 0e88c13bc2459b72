"""Reading a backward graph without changing it: its nodes in the engine's order, the shape and
dtype flowing along each edge, what each node saved, the names of its leaves, and which blocks
of it repeat.

This is what ``graph.draw`` and ``explain`` are built on. Nothing here runs on the recording
path: every fact is read back from what the nodes already hold (their edges, saved tensors,
``input_meta`` and the attributes their forward set), so drawing a graph costs nothing until
it is asked for.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._dtype import _BY_NUMPY
from .._tensor import Tensor
from .graph import AccumulateGrad, Node, accumulator_of

Meta = tuple[tuple[int, ...], str]  # (shape, dtype name) of a tensor flowing along an edge

# Attributes every node may carry that are bookkeeping, not the op's parameters.
_BOOKKEEPING = {"input_meta", "output_meta", "num_outputs", "variable", "fn", "steps",
                "base_shape", "base_dtype"}


@dataclass(eq=False)  # compared and hashed by identity, like the nodes they describe
class GraphNode:
    """One node of a drawn graph.

    Attributes:
        index (int): 1-based position in the order the engine runs the nodes.
        node (Node): the backward node itself.
        name (str): the node's name (``MulBackward0``); for a leaf, the leaf's name if known.
        is_leaf (bool): an ``AccumulateGrad`` node (a leaf that requires grad).
        inputs (list): ``(GraphNode, output_nr)`` for each edge to an input's node, or None
            where the input needs no gradient.
        outputs (dict): output number -> ``(shape, dtype)`` of the tensor it produced (what
            its gradient looks like), or None where it cannot be known.
        saved (list): ``(name, description)`` of what the node saved for backward.
        params (list): ``(name, value repr)`` of the parameters the forward recorded.
        tensor_name (str | None): the user's name for the tensor this node produced, if known.
    """

    index: int
    node: Node
    name: str
    is_leaf: bool
    inputs: list = field(default_factory=list)
    outputs: dict = field(default_factory=dict)
    saved: list = field(default_factory=list)
    params: list = field(default_factory=list)
    tensor_name: str | None = None

    @property
    def variable(self) -> Tensor | None:
        return self.node.variable if self.is_leaf else None  # type: ignore[attr-defined]


def describe_meta(meta: Meta | None) -> str:
    """``(4, 4) float32``; ``?`` when unknown."""
    if meta is None:
        return "?"
    shape, dtype = meta
    return f"({', '.join(str(s) for s in shape)}{',' if len(shape) == 1 else ''}) {dtype}"


def tensor_meta(t: Tensor | np.ndarray) -> Meta:
    data = t._data if isinstance(t, Tensor) else t
    return tuple(data.shape), _BY_NUMPY[data.dtype].name if data.dtype in _BY_NUMPY else str(
        data.dtype)


def as_roots(outputs: Any) -> list[Tensor]:
    """The tensors a drawing starts from: one tensor or a sequence of them."""
    if isinstance(outputs, Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    roots = [t for t in outputs if isinstance(t, Tensor)] if isinstance(
        outputs, Iterable) else []
    if not roots:
        raise TypeError(f"expected a Tensor or a sequence of Tensors, got {type(outputs).__name__}")
    return roots


def root_edge(t: Tensor) -> tuple[Node, int] | None:
    if t.grad_fn is not None:
        return t.grad_fn, t._output_nr
    if t._requires_grad:
        return accumulator_of(t), 0
    return None


def engine_order(starts: list[Node]) -> list[Node]:
    """The nodes reachable from ``starts``, each after every node that feeds it a gradient:
    the order the engine can run them (Kahn's algorithm over the same dependency counts)."""
    from .engine import _count_dependencies

    deps = _count_dependencies(starts)
    order = []
    # the same stack discipline as the engine, so the numbering is the order it runs them in
    ready = [n for n in dict.fromkeys(starts) if deps[n] == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt in node._next:
            if nxt is None:
                continue
            deps[nxt] -= 1
            if deps[nxt] == 0:
                ready.append(nxt)
    return order


# ---------------------------------------------------------------------------------------------
# names: from a module, a {name: tensor} dict, and the caller's variables


def names_from(params: Any = None, frame: Any = None) -> tuple[dict[int, str], dict]:
    """Leaf names by ``id(tensor)``, and non-leaf names by ``(grad_fn, output_nr)``.

    ``params`` may be a Module (its ``named_parameters``) or a ``{name: tensor}`` dict (what
    torchviz's ``make_dot`` takes). ``frame``'s variables name what the caller bound to a name.
    """
    leaves: dict[int, str] = {}
    produced: dict[tuple[Node, int], str] = {}
    if params is not None:
        if hasattr(params, "named_parameters"):
            params = dict(params.named_parameters())
        for name, t in dict(params).items():
            if isinstance(t, Tensor):
                leaves.setdefault(id(t), name)
    if frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                if name.startswith("_") or not isinstance(value, Tensor):
                    continue
                if value.grad_fn is None:
                    leaves.setdefault(id(value), name)
                else:
                    produced.setdefault((value.grad_fn, value._output_nr), name)
    return leaves, produced


def user_frame() -> Any:
    """The first frame outside ember: where the user called us."""
    import os

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back
    return frame


# ---------------------------------------------------------------------------------------------
# the walk


def walk(roots: list[Tensor], params: Any = None, frame: Any = None) -> list[GraphNode]:
    """Every node reachable from ``roots``, in engine order, with its edges, saved tensors,
    parameters and output metadata filled in as far as the nodes let us know them."""
    edges = [e for e in (root_edge(t) for t in roots) if e is not None]
    if not edges:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: "
            "there is no backward graph to draw")
    leaf_names, produced_names = names_from(params, frame)
    order = engine_order([node for node, _ in edges])
    drawn: dict[Node, GraphNode] = {}
    for i, node in enumerate(order, 1):
        is_leaf = node.__class__ is AccumulateGrad
        name = node.name()
        if is_leaf:
            var = node.variable  # type: ignore[attr-defined]
            name = leaf_names.get(id(var)) or var._name or f"leaf {i}"
        drawn[node] = GraphNode(i, node, name, is_leaf)
    for node, g in drawn.items():
        nrs = node._next_nr or (0,) * len(node._next)
        g.inputs = [(drawn[n], nr) if n is not None else None for n, nr in zip(node._next, nrs)]
        if not g.is_leaf:
            g.saved = saved_of(node, leaf_names, produced_names)
            g.params = params_of(node)
            for nr in range(max(1, node.num_outputs)):
                g.tensor_name = g.tensor_name or produced_names.get((node, nr))
    metas = infer_metas(order, edges, roots)
    for node, g in drawn.items():
        for nr in range(max(1, node.num_outputs)):
            g.outputs[nr] = metas.get((node, nr))
    return [drawn[n] for n in order]


def saved_of(node: Node, leaf_names: dict | None = None,
             produced_names: dict | None = None) -> list[tuple[str, str]]:
    """What ``node`` saved for backward, named after its forward's parameters (and after the
    user's variable holding it, when known: ``x=y (4, 4) float32``)."""
    cls = type(node)
    saved = getattr(node, "_saved", ())
    result: list[tuple[str, str]] = []
    if saved is None:
        where = node._freed_at
        return [("(freed)", f"by the backward call at {where}" if where else "by backward")]
    leaf_names = leaf_names or {}
    produced_names = produced_names or {}
    names = forward_arg_names(cls)
    for i, value in enumerate(saved or ()):
        name = names[i] if i < len(names) else f"saved {i}"
        if isinstance(value, Tensor):
            user = (leaf_names.get(id(value)) if value.grad_fn is None
                    else produced_names.get((value.grad_fn, value._output_nr)))
            desc = describe_meta(tensor_meta(value))
            result.append((name, f"{user} {desc}" if user else desc))
        elif value is not None and not isinstance(value, (list, tuple, dict)):
            result.append((name, short_repr(value)))
    if getattr(cls, "save_output", False):
        data = getattr(node, "_out_data", None)
        if data is not None:
            result.append(("result", describe_meta(tensor_meta(data))))
        elif getattr(node, "_freed_at", None):
            result.append(("result", "(freed)"))
    return result


@functools.cache
def forward_arg_names(cls: type) -> tuple[str, ...]:
    """The names of an op's forward arguments after ``ctx`` (its inputs, then its params)."""
    forward = getattr(cls, "forward", None)
    if forward is None:
        return ()
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in params[1:]
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def params_of(node: Node) -> list[tuple[str, str]]:
    """The parameters the op's forward stored on the node (``exponent``, ``dim``)."""
    attrs = getattr(node, "__dict__", {})
    result = []
    for key, value in attrs.items():
        if key.startswith("_") or key in _BOOKKEEPING:
            continue
        if isinstance(value, (Tensor, np.ndarray)):
            result.append((key, describe_meta(tensor_meta(value))))
        elif isinstance(value, (int, float, bool, str, tuple, type(None))) or (
                type(value).__name__ == "dtype"):
            result.append((key, short_repr(value)))
    return result


def short_repr(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def infer_metas(order: list[Node], edges: list[tuple[Node, int]],
                roots: list[Tensor]) -> dict[tuple[Node, int], Meta]:
    """The shape and dtype of each node's outputs, from what the graph holds: the roots, the
    leaves, saved inputs and outputs, ``input_meta``, and shape-preserving ops."""
    from ..ops._op import BinaryOp, UnaryOp

    metas: dict[tuple[Node, int], Meta] = {}
    for t, (node, nr) in zip([t for t in roots if root_edge(t)], edges):
        metas[(node, nr)] = tensor_meta(t)
    for node in order:
        if node.__class__ is AccumulateGrad:
            metas[(node, 0)] = tensor_meta(node.variable)  # type: ignore[attr-defined]
            continue
        data = getattr(node, "_out_data", None)
        if data is not None:
            metas.setdefault((node, 0), tensor_meta(data))
        for nr, m in enumerate(getattr(node, "output_meta", None) or ()):
            metas.setdefault((node, nr), (tuple(m[0]), _BY_NUMPY[np.dtype(m[1])].name))
        for value in getattr(node, "_saved", None) or ():
            if isinstance(value, Tensor) and value.grad_fn is not None:
                metas.setdefault((value.grad_fn, value._output_nr), tensor_meta(value))
    for node in order:  # parents come first, so what a node knows flows on to its inputs
        out = metas.get((node, 0))
        nrs = node._next_nr or (0,) * len(node._next)
        input_meta = node.input_meta
        for i, (nxt, nr) in enumerate(zip(node._next, nrs)):
            if nxt is None or (nxt, nr) in metas:
                continue
            if input_meta is not None and input_meta[i] is not None:
                shape, dtype = input_meta[i]
                metas[(nxt, nr)] = (tuple(shape), _BY_NUMPY[np.dtype(dtype)].name)
            elif i == 0 and getattr(node, "base_shape", None) is not None:  # CopySlices
                metas[(nxt, nr)] = (tuple(node.base_shape), node.base_dtype.name)
            elif out is None:
                continue
            elif isinstance(node, BinaryOp) or (isinstance(node, UnaryOp) and (
                    node.elementwise or type(node).__name__ in _SHAPE_KEEPING)):
                metas[(nxt, nr)] = out
            elif isinstance(node, UnaryOp):
                shape = getattr(node, "input_shape", None) or getattr(node, "shape", None)
                dtype = getattr(node, "input_dtype", None)
                if isinstance(shape, tuple):
                    metas[(nxt, nr)] = (shape, dtype.name if dtype is not None else out[1])
    return metas


# Unary nodes whose input has the output's shape and dtype but that are not marked elementwise
_SHAPE_KEEPING = {"CloneBackward0", "NegBackward0", "RsubBackward1", "AliasBackward0",
                  "FlipBackward0", "RollBackward0", "CumsumBackward0", "CumprodBackward0",
                  "SoftmaxBackward0", "LogSoftmaxBackward0", "TrilBackward0", "TriuBackward0",
                  "SortBackward0"}


# ---------------------------------------------------------------------------------------------
# repeated blocks


@dataclass
class Repeat:
    """A block of ``period`` consecutive op nodes (in engine order) that repeats ``count``
    times: ``start`` is the position (0-based, among op nodes) of its first repetition."""

    start: int
    period: int
    count: int

    @property
    def hidden(self) -> range:
        return range(self.start + self.period, self.start + self.period * self.count)


def signature(g: GraphNode) -> tuple:
    """What must match for two nodes to count as the same step of a repeated block: the op,
    its output, and the shapes of the leaves it takes directly."""
    leaves = tuple(describe_meta(i[0].outputs.get(0)) if i and i[0].is_leaf else None
                   for i in g.inputs)
    return g.name, describe_meta(g.outputs.get(0)), leaves


def find_repeats(ops: list[GraphNode], max_period: int = 64, min_count: int = 3) -> list[Repeat]:
    """Runs of a block of op nodes repeated at least ``min_count`` times in a row."""
    sigs = [signature(g) for g in ops]
    n = len(sigs)
    repeats = []
    i = 0
    while i < n:
        best: Repeat | None = None
        for period in range(1, min(max_period, (n - i) // min_count) + 1):
            if sigs[i + period] != sigs[i]:
                continue
            count = 1
            while (i + (count + 1) * period <= n
                   and sigs[i + count * period:i + (count + 1) * period] == sigs[i:i + period]):
                count += 1
            if count >= min_count and (best is None or count * period > best.count * best.period):
                best = Repeat(i, period, count)
        if best is not None:
            repeats.append(best)
            i += best.period * best.count
        else:
            i += 1
    return repeats
