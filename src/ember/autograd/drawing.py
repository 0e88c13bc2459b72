"""Drawing the backward graph: as text for the terminal, as DOT, and as SVG or PNG through the
``graphviz`` package and its ``dot`` program when they are installed.

``ember.autograd.graph.draw(output)`` shows every node the engine will run (numbered in the
order it runs them), the shape and dtype of the tensor flowing along each edge (the gradient
has the same), what each node saved for backward, the leaves by name and, once backward has
run, the norm of each leaf's gradient. ``make_dot`` takes torchviz's arguments.

Example::

    >>> x = ember.ones(2, 2, requires_grad=True)
    >>> z = (x + 32) ** 2 / 3
    >>> print(ember.autograd.graph.draw(z))
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._tensor import Tensor
from .graph_walk import (
    GraphNode,
    Repeat,
    as_roots,
    describe_meta,
    find_repeats,
    root_edge,
    user_frame,
    walk,
)

__all__ = ["draw", "make_dot", "GraphDrawing", "INSTALL_HINT"]

INSTALL_HINT = (
    "drawing the graph as an image needs the graphviz Python package and Graphviz's `dot` "
    "program: `pip install graphviz` (or `pip install ember[graph]`), then the program from "
    "your system's packages (`apt-get install graphviz`, `brew install graphviz` or `conda "
    "install -c conda-forge graphviz`). The text form (print(drawing)) and the DOT source "
    "(drawing.source) need neither.")

# collapse repeated blocks by default once a graph has more op nodes than this
COLLAPSE_ABOVE = 60

_COLOURS = {"leaf": "lightblue", "output": "darkolivegreen1", "op": "lightgrey",
            "saved": "orange"}


def draw(output: Any, params: Any = None, *, show_saved: bool = True, show_params: bool = True,
         collapse: bool | None = None) -> GraphDrawing:
    """The backward graph of ``output``, ready to print, render or display in Jupyter.

    Args:
        output (Tensor or sequence of Tensor): where backward would start.
        params (Module or dict, optional): names for the leaves: a module (its
            ``named_parameters``) or ``{name: tensor}``. Variables of the calling scope name
            the rest.
        show_saved (bool): list what each node saved for backward.
        show_params (bool): list the parameters each op recorded (``exponent=2``, ``dim=1``).
        collapse (bool, optional): fold blocks of nodes that repeat three or more times in a
            row into one; by default only for graphs of more than 60 op nodes.

    Returns:
        GraphDrawing: ``print`` it for the terminal, ``.source`` is DOT, ``.render(path)``
        writes SVG/PNG/PDF, and Jupyter displays it as SVG.

    Example::

        >>> model = ember.nn.Linear(3, 2)
        >>> loss = model(ember.ones(4, 3)).sum()
        >>> print(ember.autograd.graph.draw(loss, model))   # leaves named weight and bias
    """
    roots = as_roots(output)
    nodes = walk(roots, params, user_frame())
    ops = [g for g in nodes if not g.is_leaf]
    if collapse is None:
        collapse = len(ops) > COLLAPSE_ABOVE
    repeats = find_repeats(ops) if collapse else []
    return GraphDrawing(roots, nodes, repeats, show_saved=show_saved, show_params=show_params)


class GraphDrawing:
    """A drawn backward graph.

    Attributes:
        nodes (list of GraphNode): every node, in the order the engine runs them.
        repeats (list of Repeat): the repeated blocks folded into one.
        text (str): the terminal form (also what ``print`` and ``repr`` show).
        source (str): the DOT form, which needs nothing installed.
    """

    def __init__(self, roots: list[Tensor], nodes: list[GraphNode], repeats: list[Repeat],
                 show_saved: bool = True, show_params: bool = True,
                 leaf_shapes_only: bool = False) -> None:
        self.roots = roots
        self.nodes = nodes
        self.repeats = repeats
        self.show_saved = show_saved
        self.show_params = show_params
        self._leaf_shapes_only = leaf_shapes_only
        self.representative, self._owner = _fold(nodes, repeats)
        self.text = self._text()
        self.source = _dot_source(self)

    # --- terminal -------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _text(self) -> str:
        n_leaves = sum(g.is_leaf for g in self.nodes)
        n_ops = len(self.nodes) - n_leaves
        head = (f"backward graph: {n_ops} op node{'s' * (n_ops != 1)}, {n_leaves} "
                f"lea{'ves' if n_leaves != 1 else 'f'}; [n] is the order backward runs them")
        lines = [head]
        for r in self.repeats:
            first, last = self._ops[r.start], self._ops[r.start + r.period - 1]
            lines.append(
                f"(nodes [{first.index}]..[{last.index}] form a block repeated {r.count} times "
                "in a row; the repetitions after the first are folded)")
        printed: set[int] = set()
        folded: set[int] = set()
        for t in self.roots:
            edge = root_edge(t)
            if edge is None:
                continue
            top = self._by_node[edge[0]]
            lines.extend(self._subtree(top, "", "", printed, folded, root=t))
        return "\n".join(lines)

    @property
    def _ops(self) -> list[GraphNode]:
        return [g for g in self.nodes if not g.is_leaf]

    @property
    def _by_node(self) -> dict:
        return {g.node: g for g in self.nodes}

    def _subtree(self, g: GraphNode, lead: str, child_lead: str, printed: set[int],
                 folded: set[int], root: Tensor | None = None, nr: int = 0) -> Iterator[str]:
        """Lines of ``g`` and, the first time it is met, everything it takes its inputs from
        (an explicit stack: a chain of 100,000 nodes is drawn without recursion)."""
        stack: list[tuple[GraphNode, str, str, int, Tensor | None]] = [
            (g, lead, child_lead, nr, root)]
        while stack:
            g, lead, child_lead, nr, root = stack.pop()
            rep = self.representative.get(g.index)
            if rep is not None:
                yield from self._folded_line(g, lead, child_lead, folded, printed, stack)
                continue
            if g.index in printed:
                yield f"{lead}{self._node_line(g, nr, root)} (shown above)"
                continue
            printed.add(g.index)
            yield lead + self._node_line(g, nr, root)
            detail = self._detail(g)
            children = [i for i in g.inputs if i is not None]
            bar = "│   " if children else "    "
            if detail:
                yield f"{child_lead}{bar}{detail}"
            for k in range(len(children) - 1, -1, -1):
                child, child_nr = children[k]
                last = k == len(children) - 1
                stack.append((child, child_lead + ("└── " if last else "├── "),
                              child_lead + ("    " if last else "│   "), child_nr, None))

    def _folded_line(self, g: GraphNode, lead: str, child_lead: str, folded: set[int],
                     printed: set[int], stack: list) -> Iterator[str]:
        r = self._repeat_of(g)
        if r is None or id(r) in folded:
            yield f"{lead}[{g.index}] {g.name} (folded)"
            return
        folded.add(id(r))
        hidden = [g2 for g2 in self.nodes if g2.index in self.representative]
        hidden_ops = [h for h in hidden if not h.is_leaf and self._repeat_of(h) is r]
        hidden_leaves = [h for h in hidden if h.is_leaf and self._repeat_of(h) is r]
        first, last = self._ops[r.start], self._ops[r.start + r.period - 1]
        extra = f" and {len(hidden_leaves)} leaves" if hidden_leaves else ""
        yield (f"{lead}┄ [{hidden_ops[0].index}]..[{hidden_ops[-1].index}]: the block "
               f"[{first.index}]..[{last.index}] {r.count - 1} more times ({len(hidden_ops)} "
               f"nodes{extra} folded)")
        hidden_set = {h.index for h in hidden_ops}
        exits = []
        for h in hidden_ops:
            for i in h.inputs:
                if i is None:
                    continue
                child = i[0]
                if child.index in hidden_set or child.index in self.representative:
                    continue
                if child.index not in printed and all(child is not e[0] for e in exits):
                    exits.append(i)
        for k in range(len(exits) - 1, -1, -1):
            last_one = k == len(exits) - 1
            stack.append((exits[k][0], child_lead + ("└── " if last_one else "├── "),
                          child_lead + ("    " if last_one else "│   "), exits[k][1], None))

    def _repeat_of(self, g: GraphNode) -> Repeat | None:
        return self._owner.get(g.index)

    def _node_line(self, g: GraphNode, nr: int, root: Tensor | None) -> str:
        meta = describe_meta(g.outputs.get(nr))
        which = f" (output {nr})" if nr else ""
        if g.is_leaf:
            var = g.variable
            text = f"[{g.index}] {g.name}: leaf {meta}"
            grad = var._grad if var is not None else None
            if grad is not None:
                text += f", grad norm {_norm(grad):.4g}"
            return text
        named = f"{g.tensor_name} = " if g.tensor_name else ""
        return f"[{g.index}] {named}{g.name}{which} -> {meta}"

    def _detail(self, g: GraphNode) -> str:
        parts = []
        if self.show_params and g.params:
            parts.append(", ".join(f"{k}={v}" for k, v in g.params))
        if self.show_saved and g.saved:
            parts.append(_saved_text(g))
        return "; ".join(parts)

    # --- images ---------------------------------------------------------------------------
    def to_graphviz(self) -> Any:
        """The graph as a ``graphviz.Source`` (needs the graphviz Python package)."""
        graphviz = _import_graphviz()
        return graphviz.Source(self.source)

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered graph as bytes (``svg``, ``png``, ``pdf``...); needs ``dot``."""
        return _pipe(self.to_graphviz(), format)

    def svg(self) -> str:
        return self.pipe("svg").decode("utf-8")

    def render(self, path: str, format: str | None = None) -> str:
        """Writes the rendered graph to ``path`` (format from its suffix unless given)."""
        import os

        fmt = format or os.path.splitext(path)[1].lstrip(".") or "svg"
        with open(path, "wb") as f:
            f.write(self.pipe(fmt))
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's rich display: SVG when graphviz can render, the text form otherwise."""
        bundle = {"text/plain": self.text}
        try:
            bundle["image/svg+xml"] = self.svg()
        except (ImportError, RuntimeError):
            bundle["text/html"] = f"<pre>{html.escape(self.text)}</pre>"
        return bundle


def _saved_text(g: GraphNode) -> str:
    if g.saved and g.saved[0][0] == "(freed)":
        return "saved tensors freed " + g.saved[0][1]
    return "saved " + ", ".join(f"{k}={v}" for k, v in g.saved)


def _norm(t: Tensor) -> float:
    return float(np.sqrt(np.sum(np.abs(t._data.astype(np.float64)) ** 2)))


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return graphviz


def _pipe(graph: Any, format: str) -> bytes:
    graphviz = _import_graphviz()
    try:
        return graph.pipe(format=format)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(INSTALL_HINT) from None


# ---------------------------------------------------------------------------------------------
# folding repeated blocks


def _fold(nodes: list[GraphNode],
          repeats: list[Repeat]) -> tuple[dict[int, GraphNode], dict[int, Repeat]]:
    """For each node folded away (by index), the node of the first repetition that stands
    for it, and the repeat it belongs to."""
    ops = [g for g in nodes if not g.is_leaf]
    rep: dict[int, GraphNode] = {}
    owner: dict[int, Repeat] = {}
    for r in repeats:
        for pos in r.hidden:
            g, stand_in = ops[pos], ops[r.start + (pos - r.start) % r.period]
            rep[g.index] = stand_in
            owner[g.index] = r
    # a leaf used only by folded nodes is folded with them, onto the leaf in the same place
    # of the first repetition
    users: dict[int, list[tuple[GraphNode, int]]] = {}
    for g in ops:
        for k, i in enumerate(g.inputs):
            if i is not None and i[0].is_leaf:
                users.setdefault(i[0].index, []).append((g, k))
    for g in nodes:
        if not g.is_leaf or g.index not in users:
            continue
        places = users[g.index]
        if all(user.index in rep for user, _ in places):
            user, k = places[0]
            stand_in = rep[user.index].inputs[k]
            if stand_in is not None:
                rep[g.index] = stand_in[0]
                owner[g.index] = owner[user.index]
    return rep, owner


# ---------------------------------------------------------------------------------------------
# DOT


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\l") + '\\l"'


def _dot_source(drawing: GraphDrawing) -> str:
    rep = drawing.representative

    def shown(g: GraphNode) -> GraphNode:
        return rep.get(g.index, g)

    lines = ["digraph {",
             '\tgraph [size="12,12"]',
             '\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 '
             'shape=box style=filled]',
             '\tedge [fontname=monospace fontsize=9]']
    clusters: dict[int, list[str]] = {}
    for g in drawing.nodes:
        if g.index in rep:
            continue
        label, colour = _dot_label(drawing, g)
        line = f"\tn{g.index} [label={_dot_quote(label)} fillcolor={colour}]"
        r = next((r for r in drawing.repeats
                  if not g.is_leaf and _in_first_block(drawing, g, r)), None)
        if r is not None:
            clusters.setdefault(id(r), []).append(line)
        else:
            lines.append(line)
    for k, r in enumerate(drawing.repeats):
        lines.append(f"\tsubgraph cluster_{k} {{")
        lines.append(f'\t\tlabel="block repeated {r.count} times (shown once)" style=dashed')
        lines.extend("\t" + line for line in clusters.get(id(r), []))
        lines.append("\t}")
    seen: set[tuple[int, int]] = set()
    for g in drawing.nodes:
        for i in g.inputs:
            if i is None:
                continue
            child, nr = i
            a, b = shown(child).index, shown(g).index
            if (a, b) in seen:
                continue
            seen.add((a, b))
            label = describe_meta(child.outputs.get(nr))
            if a < b:  # from one repetition of a folded block into the one before it
                lines.append(f'\tn{a} -> n{b} [label=" {label}, next repetition" '
                             "style=dashed constraint=false]")
            else:
                lines.append(f'\tn{a} -> n{b} [label=" {label}"]')
    for k, t in enumerate(drawing.roots):
        edge = root_edge(t)
        if edge is None:
            continue
        node = next(g for g in drawing.nodes if g.node is edge[0])
        name = node.tensor_name or "output"
        label = f"{name}\n{describe_meta(node.outputs.get(edge[1]))}"
        lines.append(f"\tout{k} [label={_dot_quote(label)} fillcolor={_COLOURS['output']}]")
        lines.append(f"\tn{shown(node).index} -> out{k}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _in_first_block(drawing: GraphDrawing, g: GraphNode, r: Repeat) -> bool:
    ops = drawing._ops
    first = ops[r.start].index
    last = ops[r.start + r.period - 1].index
    return first <= g.index <= last


def _dot_label(drawing: GraphDrawing, g: GraphNode) -> tuple[str, str]:
    if g.is_leaf:
        meta = g.outputs.get(0)
        shape = describe_meta(meta)
        if drawing._leaf_shapes_only and meta is not None:  # torchviz's leaf label
            shape = "(" + ", ".join(str(s) for s in meta[0]) + ")"
        lines = [g.name, shape]
        var = g.variable
        if var is not None and var._grad is not None:
            lines.append(f"grad norm {_norm(var._grad):.4g}")
        return "\n".join(lines), _COLOURS["leaf"]
    lines = [f"[{g.index}] {g.name}" if not drawing._leaf_shapes_only else g.name]
    if drawing.show_params:
        lines.extend(f"{k}={v}" for k, v in g.params)
    if drawing.show_saved and g.saved:
        if g.saved[0][0] == "(freed)":
            lines.append(_saved_text(g))
        else:
            lines.extend(f"saved {k}={v}" for k, v in g.saved)
    return "\n".join(lines), _COLOURS["op"]


def make_dot(var: Any, params: Any = None, show_attrs: bool = False, show_saved: bool = False,
             max_attr_chars: int = 50) -> Any:
    """torchviz's ``make_dot``: the backward graph of ``var`` as a ``graphviz.Digraph``-like
    object (``graphviz.Source``) with ``.render``, ``.pipe`` and ``.source``.

    Args:
        var (Tensor or sequence of Tensor): the output(s).
        params (dict, optional): ``{name: tensor}`` naming the leaves, e.g.
            ``dict(model.named_parameters())``.
        show_attrs (bool): show the parameters each op recorded.
        show_saved (bool): show what each op saved for backward.
        max_attr_chars (int): truncate each shown value to this many characters.

    Returns:
        graphviz.Source: needs the graphviz Python package (see ``INSTALL_HINT``); rendering
        also needs Graphviz's ``dot`` program. ``draw`` gives the same graph without either.
    """
    graphviz = _import_graphviz()
    roots = as_roots(var)
    nodes = walk(roots, params, user_frame())
    for g in nodes:
        g.params = [(k, v[:max_attr_chars]) for k, v in g.params]
        g.saved = [(k, v[:max_attr_chars]) for k, v in g.saved]
    drawing = GraphDrawing(roots, nodes, [], show_saved=show_saved, show_params=show_attrs,
                           leaf_shapes_only=True)
    return graphviz.Source(drawing.source)
