"""Pointwise (elementwise) ops: each output element depends on the elements at the same place
in the (broadcast) inputs.

- ``arithmetic.py``: + - * / ** (and their reflected and in-place forms), negation, comparisons.
- ``unary.py``: the common functions of one tensor: exp/log and their variants, sqrt, abs,
  sign, sin/cos/tanh, sigmoid/relu, isnan/isinf/nan_to_num.
- ``trigonometric.py``: the other trigonometric and hyperbolic functions and their inverses.
- ``special.py``: the error function family (erf, erfc, erfinv).
- ``rounding.py``: floor, ceil, trunc, round, frac.
- ``binary.py``: functions of two tensors beyond arithmetic: maximum/minimum, fmax/fmin, atan2,
  the logical ops.
- ``clamp.py``: clamp/clip and clamp_min/clamp_max.
- ``where_division.py``: where, rounding division and remainders (floor_divide, remainder,
  fmod), and helpers the other pointwise modules share.
- ``multiply_add.py``: lerp, addcmul and addcdiv.
- ``closeness.py``: isclose and allclose (boolean, not differentiable).

A new elementwise op goes into the module of its kind above (a new kind gets a module of its
own here, listed in ``ember.ops.MODULES``). Elementwise activations that only
``ember.nn.functional`` exposes live in ``ops/nn/activation.py``.
"""
