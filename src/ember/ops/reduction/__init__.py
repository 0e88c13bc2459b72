"""Reductions and scans: ops that combine the elements along dims.

- ``sum_mean.py``: sum, mean, nansum, nanmean, all/any, count_nonzero and ``sum_to_size``
  (which the engine uses), plus the dim normalisation every reduction shares.
- ``prod_cumsum_norm.py``: prod, cumsum/cumprod, vector norms (``norm``) and logsumexp.
- ``variance.py``: var, std, var_mean and std_mean.
- ``extrema.py``: max/min (whole, over a dim, binary), amax/amin, argmax/argmin.
- ``sorting.py``: sort, argsort, msort, topk, kthvalue, median, nanmedian.
- ``common.py``: the pieces they share: torch's named-tuple results, forward-mode AD for
  reductions, the (values, indices) primitive base and the gather/scatter-along-a-dim
  primitives the index-selecting backwards use.

A new reduction goes into the module of its kind above; a new kind gets a module here.
"""
