"""Higher-level autograd: vjp, jvp, jacobian, hessian, hvp, vhp, as torch.autograd.functional.

All are built on ``ember.autograd.grad``. Forward products (jvp, hvp) use the double-vjp trick:
the vjp is linear in its cotangent, so differentiating it with respect to the cotangent gives
the Jacobian-vector product, with nothing op-specific.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x: Any, name: str, fn: str) -> tuple[bool, tuple]:
    if isinstance(x, tuple):
        items = x
        is_tuple = True
    elif isinstance(x, list):
        items = tuple(x)
        is_tuple = True
    else:
        items = (x,)
        is_tuple = False
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(
                f"The {name} given to {fn} must be either a Tensor or a tuple of Tensors but the "
                f"value at index {i} has type {type(item)}.")
    return is_tuple, items


def _prepare_inputs(inputs: tuple, create_graph: bool) -> tuple:
    """Fresh leaves (or differentiable views, with create_graph) that require grad."""
    prepared = []
    for x in inputs:
        if create_graph and x.requires_grad:
            prepared.append(x.view_as(x))
        else:
            prepared.append(x.detach().requires_grad_(True))
    return tuple(prepared)


def _grad_or_zeros(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool,
                   strict: bool, what: str) -> tuple:
    diff = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if diff:
        grads = _grad([o for o, _ in diff], inputs, [g for _, g in diff],
                      retain_graph=True, create_graph=create_graph, allow_unused=True)
    else:
        grads = (None,) * len(inputs)
    result = []
    for i, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i}. "
                    f"This is not allowed in strict mode ({what}).")
            from .._creation import zeros_like

            g = zeros_like(x)
        result.append(g)
    return tuple(result)


def _fix(values: tuple, is_tuple: bool, create_graph: bool) -> Any:
    values = tuple(v if create_graph else v.detach() for v in values)
    return values if is_tuple else values[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Args:
        func (callable): takes Tensors, returns a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple of Tensors): where to evaluate.
        v (Tensor or tuple, optional): the vector; may be omitted for a one-element output.
        create_graph (bool): make the result differentiable.
        strict (bool): raise if an output does not depend on an input.

    Returns:
        (func_output, vjp)
    """
    is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepare_inputs(inputs, create_graph)
        out_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                          "vjp")
        if v is None:
            if len(outputs) != 1 or outputs[0].numel() != 1:
                raise RuntimeError(
                    "The vector v can only be None if the user-provided function returns a "
                    "single Tensor with a single element.")
            from .._creation import ones_like

            vs: tuple = (ones_like(outputs[0]),)
        else:
            _, vs = _as_tuple(v, "v", "vjp")
        grads = _grad_or_zeros(outputs, inputs, vs, create_graph, strict, "vjp")
    return _fix(outputs, out_is_tuple, create_graph), _fix(grads, is_tuple, create_graph)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs``.

    Returns:
        (func_output, jvp)
    """
    from .._creation import zeros_like

    is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element.")
        from .._creation import ones_like

        vs: tuple = (ones_like(inputs[0]),)
    else:
        _, vs = _as_tuple(v, "v", "jvp")
    with enable_grad():
        inputs = _prepare_inputs(inputs, create_graph)
        out_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                          "jvp")
        # u is a dummy cotangent: vjp(u) is linear in u, and d vjp(u) / du applied to v is J v
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        vjps = _grad_or_zeros(outputs, inputs, dummies, True, strict, "jvp")
        jvps = _grad_or_zeros(vjps, dummies, vs, create_graph, strict, "jvp")
    return _fix(outputs, out_is_tuple, create_graph), _fix(jvps, out_is_tuple, create_graph)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j, a tensor of shape
    ``outputs[i].shape + inputs[j].shape``.

    Args:
        func (callable): takes Tensors, returns a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple of Tensors): where to evaluate.
        create_graph (bool): make the result differentiable.
        strict (bool): raise if an output does not depend on an input.
        vectorize (bool): accepted; ember computes row by row either way.
        strategy (str): "reverse-mode" or "forward-mode" (same result here).
    """
    from .._creation import zeros
    from ..ops.shape.joining import stack

    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepare_inputs(inputs, create_graph)
        out_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                          "jacobian")
        blocks: list[list] = []
        for out in outputs:
            rows: list[list] = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(flat.numel()):
                seed = zeros(flat.shape, dtype=out.dtype)
                seed[k] = 1
                grads = _grad_or_zeros((flat,), inputs, (seed,), create_graph, strict,
                                       "jacobian")
                for j, g in enumerate(grads):
                    rows[j].append(g)
            row_blocks = []
            for j, x in enumerate(inputs):
                if rows[j]:
                    block = stack(rows[j]).reshape(tuple(out.shape) + tuple(x.shape))
                else:
                    block = zeros(tuple(out.shape) + tuple(x.shape), dtype=x.dtype)
                row_blocks.append(block if create_graph else block.detach())
            blocks.append(row_blocks)
    if out_is_tuple:
        return tuple(tuple(row) if is_tuple else row[0] for row in blocks)
    return tuple(blocks[0]) if is_tuple else blocks[0][0]


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function ``func`` at ``inputs``."""
    is_tuple, tupled = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> Any:
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(
                "The function given to hessian should return a single Tensor containing a "
                "single element")
        grads = _grad_or_zeros((out.reshape(()),), xs, (_one_like(out),), True, strict,
                               "hessian")
        return grads if is_tuple else grads[0]

    return jacobian(gradient, tupled if is_tuple else tupled[0], create_graph, strict)


def _one_like(t: Tensor) -> Tensor:
    from .._creation import ones

    return ones((), dtype=t.dtype)


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``v^T H`` for a scalar function: returns (func_output, vhp)."""
    is_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
    _, vs = _as_tuple(v, "v", "vhp") if v is not None else (False, None)
    with enable_grad():
        xs = _prepare_inputs(inputs, create_graph)
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(
                "The function given to vhp should return a single Tensor containing a single "
                "element")
        grads = _grad_or_zeros((out,), xs, (_one_like(out).reshape(out.shape),), True, strict,
                               "vhp")
        if vs is None:
            raise RuntimeError("vhp needs the vector v")
        products = _grad_or_zeros(grads, xs, vs, create_graph, strict, "vhp")
    return (out if create_graph else out.detach()), _fix(products, is_tuple, create_graph)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``H v`` for a scalar function: returns (func_output, hvp). The Hessian is symmetric, so
    this equals vhp."""
    return vhp(func, inputs, v, create_graph, strict)
