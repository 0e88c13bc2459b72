"""Indexing ops: selecting and writing elements by index or mask.

- ``getitem.py``: ``x[key]`` and ``x[key] = value`` (select/slice views, advanced ``index``,
  ``index_put``).
- ``gather.py``: gather, scatter, scatter_add, take_along_dim.
- ``index_select.py``: index_select, index_add, index_fill, index_copy.
- ``masked.py``: masked_fill, masked_select, masked_scatter, take, nonzero, argwhere.

A new op that indexes along a dim by an index tensor goes next to its family above (its
backward is usually another op of that family).
"""
