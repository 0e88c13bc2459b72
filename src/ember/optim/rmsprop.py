"""RMSprop: gradient steps divided by a running root mean square of the gradients."""

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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: divides each gradient by a running root mean square of recent gradients.

    Each step, for a parameter :math:`p` with gradient :math:`g` (negated when
    ``maximize``)::

        g = g + weight_decay * p                        (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - m * m) + eps  with  m = lerp(m, g, 1 - alpha)   if centered
        avg = sqrt(v) + eps                                             otherwise
        b = momentum * b + g / avg;  p = p - lr * b     if momentum > 0
        p = p - lr * g / avg                            otherwise

    Parameters whose ``.grad`` is None are skipped.

    Args:
        params (iterable): tensors to optimize, or dicts defining parameter groups.
        lr (float or Tensor): learning rate. Default: 1e-2.
        alpha (float): smoothing constant. Default: 0.99.
        eps (float): added to the denominator for stability. Default: 1e-8.
        weight_decay (float): L2 penalty. Default: 0.
        momentum (float): momentum factor. Default: 0.
        centered (bool): normalise by an estimate of the gradient's variance instead of its
            second moment. Default: False.
        capturable, differentiable (bool): must be False.
        foreach (bool, optional): accepted for compatibility.
        maximize (bool): maximize the objective. Default: False.

    Example::

        >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ember.optim.RMSprop([w], lr=0.01)
        >>> (w ** 2).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Iterable[Any], lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        check_options("RMSprop", foreach, None, differentiable, capturable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("momentum", 0), ("centered", False), ("foreach", None),
                               ("maximize", False), ("differentiable", False),
                               ("capturable", False)):
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
            alpha, eps = group["alpha"], group["eps"]
            momentum, weight_decay = group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = new_step()
                    state["square_avg"] = zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_state(p)
                self._state_step(p)
                data = p._data
                grad = grad_of(p, group["maximize"])
                if weight_decay != 0:
                    grad = grad + data.dtype.type(weight_decay) * data
                param, grad = real(data), real(grad)
                one = param.dtype.type
                square_avg = real(state["square_avg"]._data)
                square_avg *= one(alpha)
                square_avg += one(1 - alpha) * grad * grad
                if group["centered"]:
                    grad_avg = real(state["grad_avg"]._data)
                    lerp_(grad_avg, grad, 1 - alpha)
                    avg = np.sqrt(square_avg + one(-1) * grad_avg * grad_avg)
                else:
                    avg = np.sqrt(square_avg)
                avg += one(eps)
                if momentum > 0:
                    buf = real(state["momentum_buffer"]._data)
                    buf *= one(momentum)
                    buf += grad / avg
                    param += one(-lr) * buf
                else:
                    param += one(-lr) * (grad / avg)
                bump_version(p)
        return loss
