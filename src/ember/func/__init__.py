"""ember.func: composable function transforms, as torch.func (grad, vjp, jvp, jacrev,
jacfwd, hessian, vmap, functional_call).

The transforms run on ember's autograd: each differentiated argument becomes a fresh node of
the graph (connected to any outer transform's graph), so they nest: ``grad(grad(f))`` works.
``vmap`` is a loop over the batch dim followed by a stack: correct, not fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..autograd import functional as _functional
from ..autograd import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]


def _tree_map(fn: Callable[[Tensor], Any], tree: Any) -> Any:
    if isinstance(tree, Tensor):
        return fn(tree)
    if isinstance(tree, tuple):
        return tuple(_tree_map(fn, t) for t in tree)
    if isinstance(tree, list):
        return [_tree_map(fn, t) for t in tree]
    if isinstance(tree, dict):
        return {k: _tree_map(fn, v) for k, v in tree.items()}
    return tree


def _leaves(tree: Any) -> list[Tensor]:
    out: list[Tensor] = []
    _tree_map(lambda t: out.append(t), tree)
    return out


def _track(x: Tensor) -> Tensor:
    """A new graph node for ``x``: a differentiable view if an outer transform tracks ``x``,
    else a fresh leaf."""
    return x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)


def _argnums(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable:
    """Returns a function computing ``(gradient of func w.r.t. args[argnums], func's value)``.

    Args:
        func (callable): returns a one-element Tensor (and an auxiliary value if has_aux).
        argnums (int or tuple of ints): which positional arguments to differentiate.
        has_aux (bool): func returns ``(output, aux)``; aux is passed through.
    """
    nums = _argnums(argnums)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer_tracks = any(t.requires_grad for i in nums for t in _leaves(args[i]))
        with enable_grad():
            args = list(args)
            for i in nums:
                args[i] = _tree_map(_track, args[i])
            result = func(*args, **kwargs)
            out, aux = result if has_aux else (result, None)
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                    f"{'a Tensor with ' + str(out.numel()) + ' elements' if isinstance(out, Tensor) else type(out).__name__}")  # noqa: E501
            targets = [t for i in nums for t in _leaves(args[i])]
            grads = list(_autograd_grad(out, targets, create_graph=True,
                                        materialize_grads=True))
        if not outer_tracks:
            grads = [g.detach() for g in grads]
            out = out.detach()
        position = iter(grads)
        per_arg = tuple(_tree_map(lambda _: next(position), args[i]) for i in nums)
        gradient = per_arg[0] if isinstance(argnums, int) else per_arg
        return (gradient, (out, aux)) if has_aux else (gradient, out)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """Returns a function computing the gradient of ``func`` w.r.t. ``args[argnums]``.

    Example::

        >>> ember.func.grad(lambda x: (x ** 3).sum())(ember.tensor([2.0]))
        tensor([12.])
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradient, value = inner(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def vjp(func: Callable, *primals: Tensor, has_aux: bool = False) -> tuple:
    """Returns ``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives one gradient per
    primal."""
    outer_tracks = any(t.requires_grad for t in _leaves(primals))
    with enable_grad():
        tracked = _tree_map(_track, primals)
        result = func(*tracked)
    out, aux = result if has_aux else (result, None)

    def vjp_fn(*cotangents: Any) -> tuple:
        cots = cotangents[0] if len(cotangents) == 1 else cotangents
        outs = _leaves(out)
        with enable_grad():
            grads = _autograd_grad(outs, _leaves(tracked), _leaves(cots), retain_graph=True,
                                   create_graph=True, materialize_grads=True)
        if not outer_tracks:
            grads = tuple(g.detach() for g in grads)
        position = iter(grads)
        return _tree_map(lambda _: next(position), tracked)

    shown = out if outer_tracks else _tree_map(lambda t: t.detach(), out)
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def jvp(func: Callable, primals: Any, tangents: Any, *, has_aux: bool = False) -> tuple:
    """Returns ``(func(*primals), J @ tangents)``."""
    if has_aux:
        raise NotImplementedError("ember.func.jvp: has_aux=True is not supported")
    primals, tangents = tuple(primals), tuple(tangents)
    create = any(t.requires_grad for t in primals + tangents)
    out, product = _functional.jvp(func, primals, tangents, create_graph=create)
    return out, (product[0] if isinstance(product, tuple) and len(product) == 1
                 and not isinstance(out, tuple) else product)


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *,
           has_aux: bool = False) -> Callable:
    """Returns a function computing the Jacobian of ``func`` w.r.t. ``args[argnums]`` (shape
    ``output.shape + input.shape``), by reverse mode."""
    if has_aux:
        raise NotImplementedError("ember.func.jacrev: has_aux=True is not supported")
    nums = _argnums(argnums)

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        create = any(isinstance(a, Tensor) and a.requires_grad for a in args)

        def partial(*diff: Tensor) -> Any:
            full = list(args)
            for i, d in zip(nums, diff):
                full[i] = d
            return func(*full)

        inputs = tuple(args[i] for i in nums)
        jac = _functional.jacobian(partial, inputs, create_graph=create)
        if isinstance(argnums, int):
            return jac[0] if not isinstance(jac[0], tuple) else tuple(j[0] for j in jac)
        return jac

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False,
           *, randomness: str = "error") -> Callable:
    """Returns a function computing the Jacobian of ``func`` w.r.t. ``args[argnums]``. The
    same Jacobian as jacrev (computed row by row here)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """Returns a function computing the Hessian of a scalar ``func``."""
    return jacfwd(jacrev(func, argnums), argnums)


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Maps ``func`` over a batch dim of its inputs: a loop over the batch, then a stack.

    Args:
        func (callable): the per-example function.
        in_dims (int, None or tuple): the batch dim of each positional argument (None: not
            batched).
        out_dims (int or tuple): where the batch dim goes in each output.
    """
    from ..ops.shape.joining import stack

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(
                f"vmap(...)(...): in_dims is not compatible with the structure of inputs: "
                f"in_dims has {len(dims)} entries but there are {len(args)} inputs")
        sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None}
        if not sizes:
            raise ValueError("vmap(...)(...): at least one input must have a batch dim")
        if len(sizes) > 1:
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sorted(sizes)} for the mapped dimension")
        size = sizes.pop()
        results = []
        for b in range(size):
            per_example = [a[(slice(None),) * d + (b,)] if d is not None else a
                           for a, d in zip(args, dims)]
            results.append(func(*per_example))
        if isinstance(results[0], tuple):
            odims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(
                results[0])
            return tuple(stack([r[k] for r in results], odims[k])
                         for k in range(len(results[0])))
        return stack(results, out_dims)

    return wrapper


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = (),
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Calls ``module`` with some of its parameters and buffers replaced by the given tensors
    (by dotted name), restoring them afterwards.

    Args:
        module (nn.Module): the module to call.
        parameter_and_buffer_dicts (dict or tuple of dicts): name -> tensor.
        args: positional arguments (a single non-tuple argument is wrapped).
        kwargs (dict, optional): keyword arguments.
        strict (bool): require every parameter and buffer to be given.
    """
    dicts = parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, (tuple, list)) \
        else (parameter_and_buffer_dicts,)
    replacements: dict[str, Tensor] = {}
    for d in dicts:
        for name, value in d.items():
            if name in replacements:
                raise ValueError(
                    f"{name} appeared in multiple dictionaries; behavior of functional call is "
                    "ambiguous")
            replacements[name] = value
    if strict:
        expected = {n for n, _ in module.named_parameters()} | {n for n, _ in
                                                                 module.named_buffers()}
        missing = sorted(expected - set(replacements))
        unexpected = sorted(set(replacements) - expected)
        if missing or unexpected:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}: missing keys "
                f"{missing}, unexpected keys {unexpected}")
    saved = []
    try:
        for name, value in replacements.items():
            owner_name, _, attr = name.rpartition(".")
            owner = module.get_submodule(owner_name) if owner_name else module
            for table in ("_parameters", "_buffers"):
                entries = owner.__dict__.get(table)
                if entries is not None and attr in entries:
                    saved.append((entries, attr, entries[attr]))
                    entries[attr] = value
                    break
            else:
                saved.append((owner.__dict__, attr, owner.__dict__.get(attr)))
                owner.__dict__[attr] = value
        call_args = args if isinstance(args, tuple) else (args,)
        return module(*call_args, **(kwargs or {}))
    finally:
        for table, attr, old in reversed(saved):
            table[attr] = old
