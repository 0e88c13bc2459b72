"""The in-place functions torch exports at module level (``ember.relu_(x)``, ``ember.zero_(x)``):
each calls the tensor's in-place method of that name, so values, errors, version counters and
autograd behave exactly as ``x.relu_()`` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._tensor import Tensor

# torch's module-level in-place functions that ember's Tensor has as methods.
NAMES = ("abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
         "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_",
         "clamp_min_", "clip_", "cos_", "cosh_", "detach_", "erf_", "erfc_", "exp2_", "exp_",
         "expm1_", "fill_", "fix_", "floor_", "frac_", "log10_", "log1p_", "log2_", "log_",
         "nan_to_num_", "neg_", "negative_", "reciprocal_", "relu_", "round_", "rsqrt_",
         "sigmoid_", "sin_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "zero_")

__all__ = list(NAMES)


def _module_form(name: str) -> Callable[..., Tensor]:
    method = getattr(Tensor, name)

    def inplace(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        return method(input, *args, **kwargs)

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"``input.{name}(...)``: the in-place form of ``ember.{name[:-1]}``."
    return inplace


for _name in NAMES:
    globals()[_name] = _module_form(_name)
