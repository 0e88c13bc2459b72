"""Activation checkpointing: run a block without keeping its intermediate tensors, and run it
again during backward to get them back.

ember implements the reentrant variant (the block runs as one custom Function, recorded as
CheckpointFunctionBackward); ``use_reentrant=False`` uses the same mechanism, and also works
when no input requires grad (the block's parameters still get their gradients).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from .._creation import default_generator
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx: Any, run: Callable, preserve_rng_state: bool, *args: Any) -> Any:
        ctx.run = run
        ctx.rng_state = default_generator.get_state() if preserve_rng_state else None
        ctx.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        from ..autograd import backward as autograd_backward

        saved = ctx.saved_tensors
        args = list(ctx.args)
        detached = []
        for pos, t in zip(ctx.tensor_positions, saved):
            d = t.detach().requires_grad_(t.requires_grad)
            args[pos] = d
            detached.append(d)
        current = default_generator.get_state()
        if ctx.rng_state is not None:
            default_generator.set_state(ctx.rng_state)
        try:
            with enable_grad():
                outputs = ctx.run(*args)
        finally:
            default_generator.set_state(current)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary")
        autograd_backward([o for o, _ in pairs], [g for _, g in pairs])
        by_position = dict(zip(ctx.tensor_positions, (d.grad for d in detached)))
        return (None, None) + tuple(by_position.get(i) for i in range(len(args)))


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Any = None, determinism_check: str = "default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """Runs ``function(*args, **kwargs)`` without saving its intermediate tensors; they are
    recomputed in backward.

    Args:
        function (callable): the block to run.
        *args: its inputs.
        use_reentrant (bool): pass it explicitly (torch warns when it is omitted).
        preserve_rng_state (bool): replay the random stream so dropout masks match.

    Returns:
        whatever ``function`` returns.
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    if context_fn is not None:
        raise NotImplementedError("ember checkpoint: context_fn is not supported")
    run = (lambda *a: function(*a, **kwargs)) if kwargs else function
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not use_reentrant and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        # no input requires grad: a dummy one keeps the block in the graph, so parameters
        # used inside still receive gradients
        from .._creation import zeros

        dummy = zeros((), requires_grad=True)
        return CheckpointFunction.apply(lambda d, *a: run(*a), preserve_rng_state, dummy, *args)
    return CheckpointFunction.apply(run, preserve_rng_state, *args)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Checkpoints a Sequential (or list of modules) in ``segments`` chunks."""
    modules = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, len(modules) // segments)

    def run_segment(start: int, end: int) -> Callable:
        def forward(x: Any) -> Any:
            for m in modules[start:end]:
                x = m(x)
            return x

        return forward

    end = 0
    for start in range(0, len(modules) - size, size):
        end = start + size
        input = checkpoint(run_segment(start, end), input, use_reentrant=use_reentrant,
                           **kwargs)
    return run_segment(end, len(modules))(input)
