"""gradcheck and gradgradcheck: compare autograd's gradients with finite differences.

The analytical Jacobian is built one row at a time by backward passes with one-hot output
gradients; the numerical one one column at a time by central differences. Both in the inputs'
dtype, which should be float64 (eps=1e-6 means little in float32).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, _make

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func: Callable, inputs: tuple) -> tuple[Tensor, ...]:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobians(func: Callable, inputs: tuple, eps: float) -> list[list[np.ndarray]]:
    """jac[i][j]: d output j / d input i, shape (input numel, output numel).

    Grad mode stays as it is: gradgradcheck's function itself computes gradients."""
    outs = _outputs(func, inputs)
    jac: list[list[np.ndarray]] = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x._requires_grad):
            jac.append([])
            continue
        per_out = [np.zeros((x._data.size, o._data.size), dtype=np.float64) for o in outs]
        flat = x._data.reshape(-1)  # a view: edits below change x in place
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = [o._data.astype(np.float64).reshape(-1)
                    for o in _outputs(func, inputs)]
            flat[k] = orig - eps
            minus = [o._data.astype(np.float64).reshape(-1)
                     for o in _outputs(func, inputs)]
            flat[k] = orig
            for j in range(len(outs)):
                per_out[j][k] = (plus[j] - minus[j]) / (2 * eps)
        jac.append(per_out)
    return jac


def _analytical_jacobians(func: Callable, inputs: tuple) -> list[list[np.ndarray]]:
    from . import grad as autograd_grad

    outs = _outputs(func, inputs)
    positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    diff_inputs = [inputs[i] for i in positions]
    jac = [[np.zeros((x._data.size, o._data.size)) for o in outs] if i in positions else []
           for i, x in enumerate(inputs)]
    for j, out in enumerate(outs):
        if not out._requires_grad:
            continue
        for k in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[k] = 1
            grads = autograd_grad(out, diff_inputs, _make(seed.reshape(out._data.shape)),
                                  retain_graph=True, allow_unused=True)
            for pos, g in zip(positions, grads):
                if g is not None:
                    jac[pos][j][:, k] = g._data.astype(np.float64).reshape(-1)
    return jac


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Checks the gradients of ``func`` at ``inputs`` against central finite differences.

    Args:
        func (callable): takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple): inputs; those with ``requires_grad`` are checked (use
            float64).
        eps (float): the finite-difference step.
        atol (float): absolute tolerance.
        rtol (float): relative tolerance.
        raise_exception (bool): raise GradcheckError on failure (else return False).

    Returns:
        bool: True if every Jacobian matches.

    Example::

        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
        True
    """
    inputs = _as_tuple(inputs)
    if not any(isinstance(x, Tensor) and x._requires_grad for x in inputs):
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of the "
            "them have requires_grad=True.")
    numerical = _numerical_jacobians(func, inputs, eps)
    analytical = _analytical_jacobians(func, inputs)
    for i, (num_i, ana_i) in enumerate(zip(numerical, analytical)):
        for j, (num, ana) in enumerate(zip(num_i, ana_i)):
            if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {j} with respect to input {i},\n"
                    f"numerical:{_make(num)}\nanalytical:{_make(ana)}\n")
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Checks second-order gradients: gradcheck of the map (inputs, grad_outputs) -> the
    gradients of ``func``'s outputs with respect to its inputs.

    Args:
        func (callable): as for gradcheck.
        inputs (Tensor or tuple): as for gradcheck.
        grad_outputs (sequence of Tensor, optional): random (seeded) if None.
        eps, atol, rtol, raise_exception: as for gradcheck.
    """
    from . import grad as autograd_grad

    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _make(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_(True)
            for o in outs if o._requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    n_inputs = len(inputs)
    diff_positions = [i for i, x in enumerate(inputs)
                      if isinstance(x, Tensor) and x._requires_grad]

    def first_order(*args: Any) -> tuple:
        xs, gos = args[:n_inputs], args[n_inputs:]
        outputs = [o for o in _outputs(func, xs) if o._requires_grad]
        diff = [xs[i] for i in diff_positions]
        grads = autograd_grad(outputs, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_order, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


