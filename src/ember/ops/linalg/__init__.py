"""Linear algebra: matrix products and the primitives behind ``ember.linalg``.

- ``matmul.py``: dot, vdot, mv, mm, bmm and matmul/``@``.
- ``addmm.py``: the fused ``beta * input + alpha * product`` ops: addmm, addmv, baddbmm,
  addbmm, addr.
- ``contractions.py``: outer, kron, tensordot, einsum.
- ``cross_multi_dot.py``: cross (``ember.cross``, ``linalg.cross``) and ``linalg.multi_dot``.
- ``decompositions.py``: inv, det, slogdet, solve, cholesky, qr and the decomposition base.
- ``spectral.py``: eigh, svd and pinv.
- ``spellings.py``: the ``ember.<name>`` spellings of linalg ops (det, svd, inverse, norm, ...).

A new product goes next to its kind above; a new ``ember.linalg`` function gets its primitive
here and its public wrapper in ``ember/linalg.py``.
"""
