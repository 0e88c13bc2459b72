"""ember.autograd: reverse-mode automatic differentiation with torch's API.

``backward`` accumulates gradients into leaves' ``.grad``; ``grad`` returns them instead.
"""

from __future__ import annotations

from typing import Any

from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = ["backward", "grad", "Variable", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly",
           "set_detect_anomaly", "Function", "gradcheck", "gradgradcheck", "graph",
           "forward_ad", "functional", "profiler", "explain"]


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _root_edges(outputs: tuple, grad_outputs: tuple) -> tuple[list, list]:
    from .._creation import ones_like
    from .._tensor import Tensor
    from .graph import accumulator_of

    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            "grad can be implicitly created only for scalar outputs"
            if not grad_outputs else
            f"Mismatch in number of grad_outputs: expected {len(outputs)}, got "
            f"{len(grad_outputs)}")
    edges, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"outputs must be Tensors, got {type(out).__name__} at index {i}")
        if not out._requires_grad:
            raise diagnostics.no_graph_error(i, out)
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fcV":
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}")
            g = ones_like(out)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradient must be a Tensor or None, got {type(g).__name__}")
        elif g._data.shape != out._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {out.shape}.")
        elif g._data.dtype.kind != out._data.dtype.kind and not (
                g._data.dtype.kind in "fcV" and out._data.dtype.kind in "fcV"):
            raise RuntimeError(
                f"For complex Tensors, both grad_output and output are required to have the "
                f"same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and "
                f"output[{i}] has a dtype of {out.dtype}.")
        fn = out.grad_fn
        edges.append((fn, out._output_nr) if fn is not None else (accumulator_of(out), 0))
        grads.append(g)
    return edges, grads


def _input_edges(inputs: tuple) -> list:
    from .._tensor import Tensor
    from .graph import accumulator_of

    edges = []
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs must be Tensors, got {type(t).__name__} at index {i}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        fn = t.grad_fn
        edges.append((fn, t._output_nr) if fn is not None else (accumulator_of(t), 0))
    return edges


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None,
             inputs: Any = None) -> None:
    """Computes the sum of gradients of ``tensors`` with respect to graph leaves, accumulating
    them into ``.grad``.

    Args:
        tensors (Tensor or sequence of Tensor): the roots.
        grad_tensors (Tensor or sequence, optional): the gradient with respect to each root;
            None for one-element roots.
        retain_graph (bool, optional): keep the graph's saved tensors; defaults to
            ``create_graph``.
        create_graph (bool): record the backward pass, for higher-order derivatives.
        inputs (Tensor or sequence of Tensor, optional): accumulate only into these.
    """
    from .engine import run_backward

    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if not grads:
        grads = (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    edges, root_grads = _root_edges(outputs, grads)
    if inputs is None:
        run_backward(edges, root_grads, retain_graph, create_graph)
        if not create_graph:  # a graph built on purpose (higher order) is not a leak
            history_watch.note_backward(edges[0][0] if edges else None)
        return
    targets = _as_tuple(inputs)
    if not targets:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    captured = run_backward(edges, root_grads, retain_graph, create_graph,
                            capture=_input_edges(targets))
    from .engine import _accumulate

    for t, g in zip(targets, captured):
        if g is not None:
            _accumulate(t, g, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Computes and returns the gradients of ``outputs`` with respect to ``inputs``, without
    touching any ``.grad``.

    Args:
        outputs (Tensor or sequence of Tensor): the roots.
        inputs (Tensor or sequence of Tensor): what to differentiate with respect to.
        grad_outputs (sequence, optional): the gradient with respect to each output.
        retain_graph (bool, optional): defaults to ``create_graph``.
        create_graph (bool): make the result differentiable.
        allow_unused (bool, optional): return None for inputs the outputs don't depend on
            instead of raising. Defaults to ``materialize_grads``.
        is_grads_batched (bool): treat the first dim of each grad_output as a batch.
        materialize_grads (bool): return zeros instead of None for unused inputs.

    Returns:
        tuple of Tensor: one gradient per input.
    """
    from .._creation import zeros_like
    from ..ops.shape.joining import stack
    from .engine import run_backward

    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False.")
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    gouts = _as_tuple(grad_outputs) or (None,) * len(outs)
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        per_batch = [grad(outs, ins, tuple(g[b] for g in gouts), True, create_graph,
                          allow_unused=True)
                     for b in range(gouts[0].shape[0])]
        result = []
        for i, t in enumerate(ins):
            column = [row[i] for row in per_batch]
            if all(c is None for c in column):
                result.append(None)
            else:
                result.append(stack([c if c is not None else zeros_like(t) for c in column]))
        return _finish(tuple(result), ins, allow_unused, materialize_grads)
    edges, root_grads = _root_edges(outs, gouts)
    captured = run_backward(edges, root_grads, retain_graph, create_graph,
                            capture=_input_edges(ins))
    return _finish(tuple(captured), ins, allow_unused, materialize_grads)


def _finish(grads: tuple, inputs: tuple, allow_unused: bool, materialize: bool) -> tuple:
    from .._creation import zeros_like

    result = []
    for i, (g, t) in enumerate(zip(grads, inputs)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize:
                g = zeros_like(t)
        result.append(g)
    return tuple(result)


def Variable(data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
    """The pre-0.4 wrapper: today just the tensor itself (``requires_grad`` set if asked)."""
    from .._tensor import Tensor

    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    if requires_grad:
        data.requires_grad_(True)
    return data


from . import diagnostics, forward_ad, functional, graph, history_watch, profiler  # noqa: E402
from .explain_mode import explain  # noqa: E402
from .function import Function  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
