"""GradScaler: loss scaling for mixed-precision training, as torch's.

On the CPU (``GradScaler('cpu')``) it scales, unscales, skips steps whose gradients are not
finite and adapts the scale exactly as torch's does. A CUDA scaler (``GradScaler()``,
``GradScaler('cuda')``, ``ember.cuda.amp.GradScaler()``) is disabled with torch's warning, as on
a torch built without CUDA: ``scale`` returns its input and ``step`` just steps.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from enum import Enum
from typing import Any

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, _make

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state() -> dict:
    return {"stage": OptState.READY, "found_inf": 0.0}


class GradScaler:
    """Scales the loss so small gradients survive lower precision, and undoes it before the
    optimizer steps.

    Args:
        device (str): ``'cpu'`` works; ``'cuda'`` (the default) is disabled with torch's
            warning, as without CUDA.
        init_scale (float): the first scale factor.
        growth_factor (float): the scale is multiplied by this after ``growth_interval``
            finite steps in a row.
        backoff_factor (float): the scale is multiplied by this after a step with inf/NaN
            gradients (which is skipped).
        growth_interval (int): finite steps between growths.
        enabled (bool): False makes every method a pass-through.

    Example::

        >>> scaler = ember.amp.GradScaler('cpu')
        >>> scaler.scale(loss).backward()
        >>> scaler.step(optimizer)
        >>> scaler.update()
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        if enabled and device != "cpu":
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                stacklevel=2)
            enabled = False
        self._enabled = enabled
        if enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: int | None = None
            self._per_optimizer_states: dict[int, dict] = {}

    def is_enabled(self) -> bool:
        return self._enabled

    # --- scaling -----------------------------------------------------------------------------
    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor, or an iterable of them) multiplied by the scale factor."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = _make(np.array(self._init_scale, dtype=np.float32))
            self._growth_tracker = self._init_growth_tracker
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if not isinstance(outputs, Iterable):
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        def apply(value: Any) -> Any:
            if isinstance(value, Tensor):
                return value * self._scale
            if isinstance(value, Iterable):
                iterable = map(apply, value)
                return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def _state_of(self, optimizer: Any) -> dict:
        return self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())

    def unscale_(self, optimizer: Any) -> None:
        """Divides ``optimizer``'s gradients by the scale, in place, and records whether any is
        inf or NaN. At most once per optimizer between ``update()`` calls."""
        if not self._enabled:
            return
        self._check_scale("unscale_")
        state = self._state_of(optimizer)
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # the reciprocal in float64, rounded once to float32, as torch computes it
        inv_scale = np.float32(1.0 / np.float64(self._scale._data))
        found_inf = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                grad = param._grad
                if grad is None:
                    continue
                if grad._data.dtype == dt.float16.np:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                data = grad._data
                if not np.all(np.isfinite(data)):
                    found_inf = True
                if data.dtype in (np.float32, np.float64):
                    data *= inv_scale
                else:  # lower precision: the product in float32, rounded once, as torch's
                    data[...] = (data.astype(np.float32) * inv_scale).astype(data.dtype)
        state["found_inf"] = 1.0 if found_inf else 0.0
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscales (unless ``unscale_`` already did) and steps ``optimizer``, unless a
        gradient is inf or NaN: then the step is skipped. Returns what ``optimizer.step``
        returns, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError(
                "Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._state_of(optimizer)
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        result = None
        if not state["found_inf"]:
            result = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Adapts the scale: backs off after a skipped step, grows after ``growth_interval``
        good ones; or sets it to ``new_scale``."""
        if not self._enabled:
            return
        self._check_scale("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale._data.dtype != np.float32:
                    raise AssertionError(
                        "new_scale should be a float or a 1-element torch.FloatTensor or "
                        "torch.FloatTensor with requires_grad=False.")
                value = new_scale._data.reshape(())
            else:
                value = new_scale
            self._scale._data = np.array(value, dtype=np.float32)
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values()
                     if s["stage"] is not OptState.READY]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            scale = self._scale._data
            if sum(found) > 0:
                self._scale._data = (scale * np.float32(self._backoff_factor)).astype(np.float32)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale._data = (scale * np.float32(self._growth_factor)).astype(
                        np.float32)
                    self._growth_tracker = 0
        self._per_optimizer_states = {}

    def _check_scale(self, funcname: str) -> None:
        if self._scale is None:
            raise AssertionError(
                f"Attempted {funcname} but _scale is None.  This may indicate your script did "
                "not use scaler.scale(loss or outputs) earlier in the iteration.")

    # --- queries and settings ------------------------------------------------------------------
    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale._data)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return self._growth_tracker

    def state_dict(self) -> dict[str, Any]:
        """The scale and its settings (an empty dict when disabled), as torch's."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a disabled "
                "instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale._data = np.array(state_dict["scale"], dtype=np.float32)
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker = state_dict["_growth_tracker"]
