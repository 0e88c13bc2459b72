"""Adam: adaptive moment estimation (and, with decoupled weight decay, AdamW)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor, bump_version
from .optimizer import (
    Optimizer,
    check_lr,
    check_options,
    grad_of,
    lerp_,
    new_step,
    real,
    to_float,
    zeros_state,
)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam: gradient steps scaled by running estimates of the gradient's first and second
    moments.

    Each step ``t``, for a parameter :math:`p` with gradient :math:`g` (negated when
    ``maximize``)::

        g = g + weight_decay * p              (L2 penalty; decoupled: p = p * (1 - lr * wd))
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        p = p - lr / (1 - beta1 ** t) * m / (sqrt(v_hat) / sqrt(1 - beta2 ** t) + eps)

    as torch computes it (bias corrections in Python floats, ``step`` kept as a 0-d tensor
    in the state). Parameters whose ``.grad`` is None are skipped.

    Args:
        params (iterable): tensors to optimize, or dicts defining parameter groups.
        lr (float or Tensor): learning rate. Default: 1e-3.
        betas (Tuple[float, float]): decay rates of the moment estimates.
            Default: (0.9, 0.999).
        eps (float): added to the denominator for stability. Default: 1e-8.
        weight_decay (float): weight decay. Default: 0.
        amsgrad (bool): use the maximum of past second moments (AMSGrad). Default: False.
        foreach, fused (bool, optional): accepted for compatibility.
        maximize (bool): maximize the objective. Default: False.
        capturable, differentiable (bool): must be False.
        decoupled_weight_decay (bool): shrink the weights directly, as AdamW does, instead of
            adding the decay to the gradient. Default: False.

    Example::

        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adam([w], lr=0.1)
        >>> (w ** 2).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    _name = "Adam"

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (all(isinstance(b, float) for b in betas)
                or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor) and beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        check_options(self._name, foreach, fused, differentiable, capturable)
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("amsgrad", False), ("maximize", False), ("foreach", None),
                               ("capturable", False), ("differentiable", False),
                               ("decoupled_weight_decay", False), ("fused", None)):
                group.setdefault(key, value)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = to_float(group["lr"])
            beta1, beta2 = (to_float(b) for b in group["betas"])
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = new_step()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_state(p)
                step = self._state_step(p)
                _adam_update(p, grad_of(p, group["maximize"]), state, step, lr, beta1, beta2,
                             group["eps"], group["weight_decay"], group["amsgrad"],
                             group["decoupled_weight_decay"])
        return loss


def _adam_update(p: Tensor, grad: np.ndarray, state: dict[str, Any], step: float, lr: float,
                 beta1: float, beta2: float, eps: float, weight_decay: float, amsgrad: bool,
                 decoupled: bool) -> None:
    data = p._data
    if weight_decay != 0:
        if decoupled:
            data *= data.dtype.type(1 - lr * weight_decay)
        else:
            grad = grad + data.dtype.type(weight_decay) * data
    param, grad = real(data), real(grad)
    exp_avg, exp_avg_sq = real(state["exp_avg"]._data), real(state["exp_avg_sq"]._data)
    one = param.dtype.type
    lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= one(beta2)
    exp_avg_sq += one(1 - beta2) * grad * grad
    bias_correction1 = 1 - beta1 ** step
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    second = exp_avg_sq
    if amsgrad:
        if "max_exp_avg_sq" not in state:  # amsgrad switched on after earlier steps
            state["max_exp_avg_sq"] = zeros_state(p)
        second = real(state["max_exp_avg_sq"]._data)
        np.maximum(second, exp_avg_sq, out=second)
    denom = np.sqrt(second) / one(bias_correction2_sqrt)
    denom += one(eps)
    param += one(-(lr / bias_correction1)) * (exp_avg / denom)
    bump_version(p)
