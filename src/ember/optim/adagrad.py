"""Adagrad: per-coordinate learning rates shrinking with the accumulated squared gradients."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor, _make, bump_version
from .optimizer import Optimizer, check_lr, check_options, grad_of, new_step, real, to_float

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: each coordinate's step is divided by the root of its summed squared
    gradients.

    Each step ``t``, for a parameter :math:`p` with gradient :math:`g` (negated when
    ``maximize``)::

        g = g + weight_decay * p                       (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (sqrt(s) + eps)

    The state (``step`` and ``sum``, starting at ``initial_accumulator_value``) is created
    for every parameter at construction, as in torch. Parameters whose ``.grad`` is None are
    skipped.

    Args:
        params (iterable): tensors to optimize, or dicts defining parameter groups.
        lr (float or Tensor): learning rate. Default: 1e-2.
        lr_decay (float): learning rate decay. Default: 0.
        weight_decay (float): L2 penalty. Default: 0.
        initial_accumulator_value (float): starting value of the sums. Default: 0.
        eps (float): added to the denominator for stability. Default: 1e-10.
        foreach, fused (bool, optional): accepted for compatibility.
        maximize (bool): maximize the objective. Default: False.
        differentiable (bool): must be False.

    Example::

        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.Adagrad([w], lr=0.1)
        >>> (w ** 2).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_options("Adagrad", foreach, fused, differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        # torch fills every group's sums from the constructor's value, not the group's own
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p: Tensor, value: float) -> None:
        state = self.state[p]
        state["step"] = new_step()
        fill = complex(value, value) if p._data.dtype.kind == "c" else value
        state["sum"] = _make(np.full_like(p._data, fill))

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

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
            lr_decay, weight_decay, eps = group["lr_decay"], group["weight_decay"], group["eps"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:  # a group added after construction
                    self._init_state(p, group["initial_accumulator_value"])
                step = self._state_step(p)
                data = p._data
                grad = grad_of(p, group["maximize"])
                if weight_decay != 0:
                    grad = grad + data.dtype.type(weight_decay) * data
                clr = lr / (1 + (step - 1) * lr_decay)
                param, grad = real(data), real(grad)
                one = param.dtype.type
                state_sum = real(state["sum"]._data)
                state_sum += grad * grad
                std = np.sqrt(state_sum)
                std += one(eps)
                param += one(-clr) * (grad / std)
                bump_version(p)
        return loss
