"""In-place changes through views of tensors in a graph: torch's ``CopySlices``.

NOTE [In-place through a view]
    ``y[:, 1] *= 2`` changes ``y`` through a view. The gradient must then flow to ``y``'s old
    history everywhere except in the viewed region, where it flows through the in-place op.
    So ``y`` gets a new node, CopySlices, wrapping the in-place op's node ``fn``:

        grad_y_old = grad + E(g0 - V(grad))

    where ``V`` takes the view out of a base-shaped tensor (replaying the view ops), ``E`` puts
    a view-shaped tensor back into zeros of the base's shape (the vjp of ``V``), and ``g0`` is
    what ``fn``'s backward gives its first input (the view's old value) for ``V(grad)``. The
    view itself is then re-derived from the new ``y``, so its history goes through CopySlices.

Each view records how to replay it from its parent (``Tensor._view_src``: parent, apply
function, params, output index), which is what ``V`` replays from the base.
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ._op import Primitive, _input_node, op, save_output


def _steps(view: Tensor) -> tuple[Tensor, list[tuple]]:
    """The view's root and the view ops leading from it to the view."""
    steps = []
    t = view
    while t._view_src is not None:
        parent, fn, params, index = t._view_src
        steps.append((fn, params, index))
        t = parent
    steps.reverse()
    return t, steps


def replay(root: Tensor, steps: list[tuple]) -> Tensor:
    """Applies the recorded view ops to ``root``."""
    t = root
    for fn, params, index in steps:
        t = fn(t, **params)
        if index is not None:  # one output of a multi-output view op (unbind, split)
            t = t[index]
    return t


def _embed(values: Tensor, shape: tuple, dtype: Any, steps: list[tuple]) -> Tensor:
    """``values`` (view-shaped) placed into zeros of the base's shape: the vjp of replay."""
    from .._creation import zeros
    from ..autograd import grad as autograd_grad
    from ..autograd.grad_mode import is_grad_enabled

    create = is_grad_enabled()
    with enable_grad():
        base = zeros(shape, dtype=dtype, requires_grad=True)
        (embedded,) = autograd_grad(replay(base, steps), base, values, create_graph=create)
    return embedded


@op("CopySlices")
class CopySlices(Primitive):
    """The node of a base tensor written through one of its views (see the NOTE above)."""

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    formula = {
        "base": "grad outside the view; inside it, what the in-place op's backward gives its input",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        fn = ctx.fn
        view_grad = replay(grad, ctx.steps)
        grads = fn.backward(fn, view_grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        g0 = grads[0] if grads[0] is not None else view_grad * 0
        result = grad + _embed(g0 - view_grad, ctx.base_shape, ctx.base_dtype, ctx.steps)
        return (result, *grads[1:])

    def release(self, where: str | None) -> None:
        self.fn.release(where)


def check_replayable(view: Tensor) -> None:
    """Raises if an in-place op through ``view`` could not be recorded on its base."""
    root, _ = _steps(view)
    if root is not view._base:
        raise RuntimeError(
            "ember: an in-place operation through this view cannot be recorded (the view was "
            "not made by a view op ember can replay); write it out of place")


def rebase_view(view: Tensor, node: Any) -> None:
    """Gives ``view``'s base the history of an in-place op ``node`` applied through ``view``."""
    base = view._base
    check_replayable(view)
    _, steps = _steps(view)
    copy = CopySlices.__new__(CopySlices)
    copy.fn = node
    copy.steps = steps
    copy.base_shape = base._data.shape
    copy.base_dtype = base.dtype
    copy._next = (_input_node(base),) + tuple(node._next[1:])
    if base._output_nr or node._next_nr:
        rest = node._next_nr[1:] if node._next_nr else (0,) * (len(node._next) - 1)
        copy._next_nr = (base._output_nr,) + tuple(rest)
    if node.input_meta is not None:
        copy.input_meta = (None,) + tuple(node.input_meta[1:])
    base.grad_fn = copy
    base._requires_grad = True
    base._output_nr = 0
    with enable_grad():
        fresh = replay(base, steps)
    view.grad_fn = fresh.grad_fn
    view._output_nr = fresh._output_nr
    view._requires_grad = True
    if node.save_output:
        save_output(node, view)
