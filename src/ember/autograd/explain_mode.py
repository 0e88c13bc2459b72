"""Explain mode: a backward pass narrated node by node, with numbers, for people learning
autograd.

``ember.autograd.explain(z)`` runs ``z.backward()`` and tells, for each node in the order the
engine runs it: what the node computed in the forward pass, its backward rule, its local
derivative, the gradient arriving from above, their product (the chain rule, one link), and
where that product goes (the next node's input buffer, or a leaf's ``.grad``). It watches the
engine through node and tensor hooks and reads the graph with ``graph_walk``; the engine
itself knows nothing of it.

Example::

    >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> y = x + 32
    >>> z = y ** 2 / 3
    >>> ember.autograd.explain(z.sum())    # prints the worked chain rule; x.grad is set
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from .._tensor import Tensor
from . import grad_mode
from .graph_walk import GraphNode, as_roots, describe_meta, forward_arg_names, user_frame, walk

__all__ = ["explain", "BackwardExplanation", "ExplainStep"]

# How a node's forward reads, over its forward's argument names ({a}, {b}, {x}) and params.
_FORWARD_FORMS = {
    "AddBackward0": "{a} + {b}", "SubBackward0": "{a} - {b}", "MulBackward0": "{a} * {b}",
    "DivBackward0": "{a} / {b}", "PowBackward0": "{x} ** {exponent}",
    "PowBackward1": "{a} ** {b}", "PowBackward2": "{base} ** {x}", "NegBackward0": "-{x}",
    "RsubBackward1": "{other} - {x}", "MmBackward0": "{a} @ {b}", "DotBackward0": "{a} @ {b}",
}
_CONSTANT = "(a constant)"
_SHAPE_KEEPING_LINEAR = {"NegBackward0", "RsubBackward1", "CloneBackward0"}


@dataclass
class ExplainStep:
    """One node's turn in the backward pass.

    Attributes:
        number (int): the step (1 is the first node the engine ran).
        node (GraphNode): the node, as ``graph.draw`` describes it.
        forward (str): what the node computed, as an expression.
        rules (list): per input, the node's backward rule as its op declares it
            (``formula``), with the user's names put in; None where none is declared.
        incoming (Tensor | None): the gradient that arrived from the nodes above.
        local (list): per input, the local derivative ``d output / d input`` as a tensor of
            the output's shape (elementwise ops only), else None.
        products (list): per input, the gradient the node sent on (None where none).
        targets (list): per input, the node receiving that gradient, or None.
        grad_before (Tensor | None): for a leaf, its ``.grad`` before this step.
    """

    number: int
    node: GraphNode
    forward: str = ""
    rules: list = field(default_factory=list)
    incoming: Tensor | None = None
    local: list = field(default_factory=list)
    products: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    grad_before: Tensor | None = None


class BackwardExplanation:
    """A narrated backward pass: ``steps`` (structure) and ``text`` (the transcript)."""

    def __init__(self, steps: list[ExplainStep], text: str) -> None:
        self.steps = steps
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<BackwardExplanation of {len(self.steps)} steps; print() it for the transcript>"


def explain(output: Tensor, gradient: Tensor | None = None, *, retain_graph: bool | None = None,
            file: TextIO | None = None, quiet: bool = False,
            params: Any = None) -> BackwardExplanation:
    """Runs ``output.backward(gradient)`` and narrates it, node by node, with numbers.

    Args:
        output (Tensor): where backward starts (as in ``output.backward()``).
        gradient (Tensor, optional): the gradient with respect to ``output``; needed when it
            has more than one element, as for ``backward``.
        retain_graph (bool, optional): as for ``backward``.
        file (TextIO, optional): where to print the transcript (default: standard output).
        quiet (bool): print nothing; the transcript is in the result.
        params (Module or dict, optional): names for the leaves, as for ``graph.draw``.

    Returns:
        BackwardExplanation: the steps and the transcript. The leaves' ``.grad`` are filled
        in, exactly as ``backward`` would.
    """
    (root,) = as_roots(output)
    nodes = walk([root], params, user_frame())
    by_node = {g.node: g for g in nodes}
    events: list[tuple[str, GraphNode, Any]] = []
    handles = []
    for g in nodes:
        if g.is_leaf:
            var = g.variable
            handles.append(var.register_hook(_leaf_hook(events, g)))
        else:
            handles.append(g.node.register_prehook(_pre_hook(events, g)))
            handles.append(g.node.register_hook(_post_hook(events, g)))
    try:
        root.backward(gradient, retain_graph=retain_graph)
    finally:
        for handle in handles:
            handle.remove()
    steps = _steps(events, by_node)
    text = _transcript(root, gradient, nodes, steps)
    if not quiet:
        print(text, file=file if file is not None else sys.stdout)
    return BackwardExplanation(steps, text)


# --- watching the engine ----------------------------------------------------------------------
def _pre_hook(events: list, g: GraphNode) -> Any:
    def hook(grad_outputs: tuple) -> None:
        local = _local_derivatives(g, grad_outputs)
        events.append(("pre", g, (grad_outputs, local)))

    return hook


def _post_hook(events: list, g: GraphNode) -> Any:
    def hook(grad_inputs: tuple, grad_outputs: tuple) -> None:
        events.append(("post", g, grad_inputs))

    return hook


def _leaf_hook(events: list, g: GraphNode) -> Any:
    def hook(grad: Tensor) -> None:
        before = g.variable._grad
        events.append(("leaf", g, (grad, None if before is None else before.detach().clone())))

    return hook


def _local_derivatives(g: GraphNode, grad_outputs: tuple) -> list:
    """``d output / d input`` for each input of an elementwise node: its backward applied to
    a gradient of ones (which is why it is only asked of elementwise nodes)."""
    from .._creation import ones_like
    from ..ops._op import BinaryOp

    node = g.node
    elementwise = getattr(node, "elementwise", False) or isinstance(node, BinaryOp) or (
        g.name in _SHAPE_KEEPING_LINEAR)
    grad = grad_outputs[0] if grad_outputs else None
    if not elementwise or node.num_outputs != 1 or grad is None:
        return [None] * len(g.inputs)
    with grad_mode.no_grad():
        result = node.backward(node, ones_like(grad))  # type: ignore[attr-defined]
    if not isinstance(result, tuple):
        result = (result,)
    return [r if g.inputs[i] is not None else None for i, r in enumerate(result)]


def _steps(events: list, by_node: dict) -> list[ExplainStep]:
    steps: list[ExplainStep] = []
    current: dict[GraphNode, ExplainStep] = {}
    for kind, g, payload in events:
        if kind == "pre":
            grad_outputs, local = payload
            step = ExplainStep(len(steps) + 1, g, _forward_form(g), _rules_of(g),
                               incoming=grad_outputs[0] if len(grad_outputs) == 1 else None,
                               local=local)
            step.targets = [i[0] if i is not None else None for i in g.inputs]
            steps.append(step)
            current[g] = step
        elif kind == "post":
            current[g].products = list(payload)
        else:
            grad, before = payload
            step = ExplainStep(len(steps) + 1, g, forward=g.name, incoming=grad,
                               grad_before=before)
            steps.append(step)
    return steps


# --- words ------------------------------------------------------------------------------------
def _rules_of(g: GraphNode) -> list[str | None]:
    """Each input's rule from the op's ``formula``, its tensor names replaced by the user's
    and its parameters' values listed after it."""
    import re

    formula = getattr(type(g.node), "formula", None) or {}
    names = forward_arg_names(type(g.node))
    rename = {"result": _label(g)}  # the op's output: this node's tensor
    for k, name in enumerate(names[:len(g.inputs)]):
        edge = g.inputs[k]
        if edge is not None:
            rename[name] = _label(edge[0])
    params = dict(g.params)
    saved = dict(g.saved)
    rules: list[str | None] = []
    for k in range(len(g.inputs)):
        rule = formula.get(names[k]) if k < len(names) else None
        if rule is None:
            rules.append(None)
            continue
        used = set(re.findall(r"[A-Za-z_]\w*", rule))
        values = [f"{n} = {params.get(n) or saved.get(n)}" for n in sorted(used)
                  if n not in rename and (n in params or (n in saved and "(" not in saved[n]))]
        if rename:
            pattern = r"\b(" + "|".join(map(re.escape, rename)) + r")\b"
            rule = re.sub(pattern, lambda m: rename[m.group(1)], rule)
        rules.append(rule + (f", with {', '.join(values)}" if values else ""))
    return rules


def _label(g: GraphNode) -> str:
    if g.is_leaf or g.tensor_name:
        return g.tensor_name or g.name
    return f"t{g.index}"


def _forward_form(g: GraphNode) -> str:
    """``z = t2 / 3``: the node's forward as an expression of its inputs' names."""
    names = forward_arg_names(type(g.node))
    args: dict[str, str] = dict(g.params)
    saved = dict(g.saved)
    for k, name in enumerate(names[:len(g.inputs)]):
        edge = g.inputs[k] if k < len(g.inputs) else None
        if edge is not None:
            args[name] = _label(edge[0])
        elif name in saved and "(" not in saved[name]:
            args[name] = saved[name]  # a number the op saved
        else:
            args.setdefault(name, _CONSTANT)
    template = _FORWARD_FORMS.get(g.name)
    if template is not None:
        try:
            expr = template.format(**args)
        except KeyError:
            template = None
    if template is None:
        op_name = getattr(type(g.node), "op_name", g.name.replace("Backward0", ""))
        inputs = [args.get(n, _CONSTANT) for n in names[:len(g.inputs)]] or ["..."]
        expr = f"{op_name.lower()}({', '.join(inputs)})"
    return f"{_label(g)} = {expr}"


def _value(t: Tensor | None) -> str:
    """A tensor in a few words: its value if it has one element or all are equal, all its
    values if it has a handful, else its first element (and a note of that)."""
    if t is None:
        return "none"
    data = np.asarray(t._data)
    core = _core(t)
    if data.size <= 1 or data.size <= _SMALL and not _uniform(data):
        return core
    if _uniform(data):
        return f"{core} in every element"
    return f"{core} at {[0] * data.ndim}"


_SMALL = 6  # tensors of up to this many elements are shown in full


def _uniform(data: np.ndarray) -> bool:
    flat = data.reshape(-1)
    return bool(flat.size and np.all(flat == flat[0]))


def _core(t: Tensor | None) -> str:
    """The number (or short list) standing for ``t`` in a product."""
    if t is None:
        return "none"
    data = np.asarray(t._data)
    if data.size == 0:
        return "[]"
    flat = data.reshape(-1)
    if data.size == 1 or _uniform(data):
        return _num(flat[0])
    if data.size <= _SMALL:
        return "[" + ", ".join(_num(v) for v in flat) + "]"
    return _num(flat[0])


def _num(v: Any) -> str:
    return f"{float(v):.4g}"


def _transcript(root: Tensor, gradient: Tensor | None, nodes: list[GraphNode],
                steps: list[ExplainStep]) -> str:
    top = nodes[0]
    out = _label(top)
    lines = [f"Backward pass from {out} ({top.name}, {describe_meta(top.outputs.get(0))}): "
             f"{len(steps)} steps, in the order the engine runs them."]
    if gradient is None:
        seed = f"d{out}/d{out} = 1"
    else:
        seed = f"d{out}/d{out} = the gradient given, {_value(gradient)}"
    lines.append(f"It starts from the gradient of {out} with respect to itself: {seed}.")
    lines.append("Each step multiplies the gradient arriving from above by the node's local "
                 "derivative: one link of the chain rule. A rule is the op's own declaration "
                 "(its formula), where grad is the gradient arriving.")
    if any(not g.is_leaf and not g.tensor_name for g in nodes):
        lines.append("An unnamed intermediate result is called t<n> after the node [n] that "
                     "made it.")
    if any(np.asarray(g.variable._data).size > _SMALL for g in nodes if g.is_leaf):
        lines.append("For large tensors the numbers are those of the first element.")
    fan_in = _fan_in(nodes)
    chain: list[str] = []
    for step in steps:
        lines.append("")
        if step.node.is_leaf:
            lines.extend(_leaf_lines(step, out))
        else:
            lines.extend(_step_lines(step, out, fan_in, chain))
    leaf_steps = [s for s in steps if s.node.is_leaf]
    if len(leaf_steps) == 1 and chain and _is_chain(nodes):
        leaf = leaf_steps[0].node
        grad = leaf.variable._grad
        seed_value = "1" if gradient is None else _core(gradient)
        lines.append("")
        lines.append(f"Chain rule, multiplied out: d{out}/d{leaf.name} = "
                     + " × ".join([seed_value, *chain]) + f" = {_value(grad)}")
    return "\n".join(lines)


def _fan_in(nodes: list[GraphNode]) -> dict[GraphNode, int]:
    """How many edges bring a gradient to each node."""
    count: dict[GraphNode, int] = {}
    for g in nodes:
        for i in g.inputs:
            if i is not None:
                count[i[0]] = count.get(i[0], 0) + 1
    return count


def _is_chain(nodes: list[GraphNode]) -> bool:
    """One path from the root to the leaf, through nodes of one shape."""
    shapes = {g.outputs.get(0) for g in nodes}
    return len(shapes) == 1 and all(sum(i is not None for i in g.inputs) <= 1 for g in nodes)


def _step_lines(step: ExplainStep, out: str, fan_in: dict, chain: list[str]) -> list[str]:
    g = step.node
    me = _label(g)
    lines = [f"Step {step.number}: [{g.index}] {g.name}    {step.forward}",
             f"    incoming gradient  d{out}/d{me} = {_value(step.incoming)}"]
    for k, target in enumerate(step.targets):
        if target is None:
            continue
        name = _label(target)
        rule = step.rules[k] if k < len(step.rules) else None
        if rule:
            lines.append(f"    rule for {name:<9} {rule}")
        local = step.local[k] if k < len(step.local) else None
        product = step.products[k] if k < len(step.products) else None
        if local is not None:
            lines.append(f"    local derivative   d{me}/d{name} = {_value(local)}")
            lines.append(f"    product            d{out}/d{name} = {_core(step.incoming)} × "
                         f"{_core(local)} = {_value(product)}")
            chain.append(_core(local))
        else:
            lines.append(f"    gradient sent      d{out}/d{name} = {_value(product)}")
        if target.is_leaf:
            where = f"-> to [{target.index}], the leaf {name}: it goes into {name}.grad"
        else:
            where = f"-> to [{target.index}] {target.name}, as its incoming gradient"
        if fan_in.get(target, 0) > 1:
            where += (f" (summed with the other {fan_in[target] - 1} gradient"
                      f"{'s' if fan_in[target] > 2 else ''} arriving there)")
        lines.append(f"    {where}")
    return lines


def _leaf_lines(step: ExplainStep, out: str) -> list[str]:
    g = step.node
    name = g.name
    lines = [f"Step {step.number}: [{g.index}] AccumulateGrad for the leaf {name} "
             f"{describe_meta(g.outputs.get(0))}",
             f"    incoming gradient  d{out}/d{name} = {_value(step.incoming)}"]
    if step.grad_before is None:
        lines.append(f"    {name}.grad was None: it becomes this gradient")
    else:
        lines.append(f"    {name}.grad was {_value(step.grad_before)}: the gradient is added "
                     "to it (gradients accumulate until you zero them)")
    return lines
