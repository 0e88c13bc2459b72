"""Optimizer: the base class holding parameter groups, per-parameter state and hooks.

NOTE [Optimizers work on ndarrays]
    An update is plain arithmetic on the parameters' data, never recorded by autograd. The
    optimizers therefore read ``p._grad._data`` and write ``p._data`` in place with NumPy,
    then bump the parameter's version counter (so autograd notices the change, as it does
    after a torch in-place op). State tensors (``exp_avg``, ``step`` ...) are ember Tensors,
    so ``state_dict()`` looks like torch's, but the hot loop touches only their arrays.
    Scalars are applied in the parameter's own dtype, as torch's CPU kernels do, so a
    float32 run rounds like torch's.
"""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make, bump_version
from ..autograd import grad_mode
from ..autograd.graph import _RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a default that every parameter group must give itself."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_post_hooks: OrderedDict[int, Callable] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> _RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``.

    The hook may return ``(new_args, new_kwargs)`` to replace the arguments.

    Returns:
        a handle whose ``remove()`` unregisters the hook.
    """
    handle = _RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> _RemovableHandle:
    """Registers ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``.

    Returns:
        a handle whose ``remove()`` unregisters the hook.
    """
    handle = _RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle.id] = hook
    return handle


def typename(obj: Any) -> str:
    """torch.typename: a tensor's legacy type name, else the object's qualified type name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


def _hooked_step(step: Callable) -> Callable:
    """Wraps a subclass's ``step`` so it runs the step hooks and tells schedulers it ran.

    A ``step`` that calls ``super().step()`` runs the hooks once: the inner call sees the
    outer one in progress and goes straight to the function.
    """

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_in_step"):
            return step(self, *args, **kwargs)
        self._opt_called = True  # read by LRScheduler's "called before optimizer.step()" check
        args = (self, *args)
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                        f"{result}.")
        self._in_step = True
        try:
            out = step(*args, **kwargs)
        finally:
            self._in_step = False
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper._ember_hooked = True  # type: ignore[attr-defined]
    return wrapper


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts
            defining parameter groups (a ``"params"`` entry plus any per-group options).
        defaults (dict): the default value of each option, used by groups that do not set it.

    Subclasses implement ``step``; ``self.state[p]`` is a dict of per-parameter state.

    Example::

        >>> w = ember.zeros(3, requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1)
        >>> (w - 1).pow(2).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.2000, 0.2000, 0.2000], requires_grad=True)
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_ember_hooked", False):
            cls.step = _hooked_step(step)  # type: ignore[method-assign]

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + typename(params))
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- pickling and printing ----------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            if i:
                lines.append("")
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)

    # --- parameter groups -----------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a parameter group, e.g. layers unfrozen while fine tuning.

        Args:
            param_group (dict): the ``"params"`` to optimize plus group-specific options;
                options it does not set take the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + typename(param))
            if not self.defaults.get("differentiable") and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len({id(p) for p in tensors}):
            import warnings

            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information", stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- gradients and steps --------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized tensors.

        Args:
            set_to_none (bool): set ``.grad`` to None (default) instead of filling it with
                zeros; a parameter whose grad is None is skipped by ``step``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad._requires_grad = False
                    grad._data[...] = 0
                    bump_version(grad)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step.

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        raise NotImplementedError

    def _run_closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with grad_mode.enable_grad():
            return closure()

    def _state_step(self, p: Tensor) -> float:
        """Increments ``state[p]["step"]`` (a 0-d tensor, as in torch) and returns it."""
        step = self.state[p]["step"]._data
        step += 1
        return float(step)

    # --- hooks ----------------------------------------------------------------------------------
    def _add_hook(self, hooks: OrderedDict, hook: Callable, prepend: bool = False
                  ) -> _RemovableHandle:
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> _RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run before ``step``; it may return
        ``(new_args, new_kwargs)``. Returns a handle with ``remove()``."""
        return self._add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> _RemovableHandle:
        """Registers ``hook(optimizer, args, kwargs)`` to run after ``step``. Returns a handle
        with ``remove()``."""
        return self._add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False
                                     ) -> _RemovableHandle:
        """Registers ``hook(optimizer)`` to run before ``state_dict``."""
        return self._add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False
                                      ) -> _RemovableHandle:
        """Registers ``hook(optimizer, state_dict)`` to run after ``state_dict``; it may return
        a replacement state dict."""
        return self._add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False
                                          ) -> _RemovableHandle:
        """Registers ``hook(optimizer, state_dict)`` to run before ``load_state_dict``; it may
        return a replacement state dict."""
        return self._add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False
                                           ) -> _RemovableHandle:
        """Registers ``hook(optimizer)`` to run after ``load_state_dict``."""
        return self._add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # --- state dicts ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Returns the optimizer's state as a dict, in torch's format.

        Returns:
            ``{"state": {index: {name: value}}, "param_groups": [{option: value, "params":
            [index, ...]}]}``: parameters are numbered in the order the groups list them.
            The state tensors are the optimizer's own (not copies), as in torch.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            replaced = hook(self, result)
            if replaced is not None:
                result = replaced
        return result

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state from :meth:`state_dict` (ember's or torch's format).

        Floating state tensors are cast to their parameter's dtype, except ``step``. The
        loaded tensors are copied, so the optimizer never shares them with ``state_dict``.

        Args:
            state_dict (dict): the optimizer state, as returned by :meth:`state_dict`.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            replaced = hook(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast_state(param, value)
            else:
                state[key] = value
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _cast_state(param: Tensor, value: Any, key: Any = None) -> Any:
    """A deep copy of ``value`` whose tensors take ``param``'s float dtype (but not ``step``,
    which stays a float32 counter)."""
    if isinstance(value, Tensor):
        data = value._data
        if key != "step" and param._data.dtype.kind in "fcV":
            data = data.astype(param._data.dtype)
        out = _make(np.array(data, copy=True))
        out._requires_grad = value._requires_grad
        return out
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


# --- helpers shared by the optimizers -------------------------------------------------------------
def check_options(name: str, foreach: Any, fused: Any, differentiable: bool,
                  capturable: bool = False) -> None:
    """Rejects the implementation switches whose semantics ember does not have.

    ``foreach`` and ``fused`` only choose among torch's kernels for the same update; ember
    has one vectorised implementation and accepts them.
    """
    if differentiable:
        raise NotImplementedError(
            f"{name}: differentiable=True is not supported by ember (its optimizer steps are "
            "not recorded by autograd)")
    if capturable:
        raise NotImplementedError(
            f"{name}: capturable=True (CUDA graph capture) is not supported by ember, which "
            "computes on the CPU")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def check_lr(lr: Any) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def scalar_dtype() -> Any:
    """The dtype of ``state["step"]``: float32, or float64 when that is the default dtype."""
    return dt.float64 if dt.get_default_dtype() is dt.float64 else dt.float32


def new_step() -> Tensor:
    return _make(np.zeros((), dtype=scalar_dtype().np))


def zeros_state(p: Tensor) -> Tensor:
    return _make(np.zeros_like(p._data))


def grad_of(p: Tensor, maximize: bool) -> np.ndarray:
    grad = p._grad._data  # type: ignore[union-attr]
    return -grad if maximize else grad


def real(a: np.ndarray) -> np.ndarray:
    """A complex array as its real and imaginary parts (torch.view_as_real), else itself:
    torch's adaptive optimizers treat the two parts as separate coordinates."""
    if a.dtype.kind == "c":
        return a.view(a.real.dtype).reshape(*a.shape, 2)
    return a


def lerp_(a: np.ndarray, b: np.ndarray, weight: float) -> None:
    """``a.lerp_(b, weight)`` with torch's two formulas, picked by the weight."""
    w = a.dtype.type(weight)
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        a[...] = b - (b - a) * (a.dtype.type(1) - w)


def to_float(value: Any) -> float:
    """A group option that may be a 1-element tensor, as a Python number."""
    return value.item() if isinstance(value, Tensor) else value
