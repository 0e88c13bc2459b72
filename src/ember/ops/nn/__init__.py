"""The primitives behind ``ember.nn.functional``: ops torch records as nodes of their own.
``ember.nn`` builds on these; no module under ``ember.ops`` imports ``ember.nn``.

- ``softmax.py``: softmax and log_softmax (also ``ember.softmax``).
- ``activation.py``: the nn activations (leaky_relu, elu, gelu, silu, mish, softplus,
  hardtanh, logsigmoid, prelu).
- ``loss.py``: the loss primitives and their functional forms (nll_loss, cross_entropy, ...).
- ``conv.py``: convolution and pooling primitives; ``conv_functional.py`` their functional
  forms (argument parsing and torch's errors), which ``ember.nn.functional`` re-exports.

A new primitive behind ``nn.functional`` goes into the module of its kind above; its
functional wrapper goes in ``ember/nn/functional.py`` unless it is a pure op of its own.
"""
