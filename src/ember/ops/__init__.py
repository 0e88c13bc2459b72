"""Every primitive op, grouped by family in subpackages that follow the sections of torch's
documentation. Importing this package binds the ops' methods onto Tensor; each module's
``__all__`` lists the functions ``ember`` exports.

- ``pointwise/``: elementwise math (arithmetic, exp/log, trigonometry, rounding, clamping, ...).
- ``reduction/``: ops that reduce or scan over dims (sum, var, max, sort, cumsum, norms, ...).
- ``shape/``: views and rearrangements (reshape, transpose, expand, cat/split, flip, tril, ...).
- ``indexing/``: ``x[key]``, gather/scatter, the index_* and masked_* ops.
- ``linalg/``: matrix products, decompositions and the ``ember.<name>`` spellings of linalg.
- ``nn/``: the primitives behind ``ember.nn.functional`` (softmax, activations, normalisation,
  losses, convolution and pooling). ``ember.nn`` builds on them; nothing here imports ``nn``.
- ``random.py``: random sampling and the index/grid factories.

The machinery every op shares stays here: ``_op.py`` (the base of every primitive and the op
table), ``_inplace.py`` (in-place forms), ``views.py`` (in-place changes through views,
CopySlices), ``samples.py`` (sample inputs for the generated tests), ``catalog.py`` (the
README's op list) and ``misc.py`` (small internal primitives).
"""

# Imported for their registrations, in the order the ops are registered (and bound onto
# Tensor) in; the primitives only ember.nn calls come last.
# ruff: noqa: I001
from .nn import softmax
from .pointwise import arithmetic
from .shape import broadcast
from .pointwise import clamp
from .linalg import contractions
from .linalg import decompositions
from .shape import diagonal
from .pointwise import where_division
from .reduction import extrema
from .linalg import addmm
from .indexing import gather
from .indexing import index_select
from .indexing import getitem
from .pointwise import multiply_add
from .shape import joining
from .linalg import matmul
from .linalg import cross_multi_dot
from .linalg import spellings
from .nn import loss
from .indexing import masked
from . import misc
from .reduction import variance
from .pointwise import binary
from . import random
from .reduction import sum_mean
from .shape import repeat
from .pointwise import rounding
from .reduction import common
from .shape import reshape
from .reduction import sorting
from .pointwise import special
from .linalg import spectral
from .reduction import prod_cumsum_norm
from .shape import transpose
from .pointwise import trigonometric
from .pointwise import unary
from .pointwise import closeness
from .nn import activation, conv, conv_functional, embedding, linear  # noqa: F401
from .nn import loss_functional, normalization, padding  # noqa: F401

# The op modules whose ``__all__`` ember exports (and whose ops the README lists); a new op
# module joins this tuple.
MODULES = (softmax, arithmetic, broadcast, clamp, contractions, decompositions, diagonal,
           where_division, extrema, addmm, gather, index_select, getitem, multiply_add, joining,
           matmul, cross_multi_dot, spellings, loss, masked, misc, variance, binary, random,
           sum_mean, repeat, rounding, common, reshape, sorting, special, spectral,
           prod_cumsum_norm, transpose, trigonometric, unary, closeness)
