"""Shape ops: views and rearrangements of a tensor's elements that do not compute new values.

- ``reshape.py``: the view base class (``ViewOp``) and the views view/reshape, flatten/unflatten,
  ravel, squeeze/unsqueeze; also casts, clone and contiguous.
- ``transpose.py``: transpose/swapaxes, t, T/mT/mH/H, adjoint, permute, movedim.
- ``broadcast.py``: expand, broadcast_to, broadcast_shapes/tensors, atleast_nd.
- ``joining.py``: cat/stack and their forms, split/chunk/tensor_split/unbind/narrow.
- ``repeat.py``: repeat, tile, repeat_interleave, flip, roll.
- ``diagonal.py``: diagonal, diag, diag_embed, tril, triu.

A new view or rearranging op goes into the module of its kind above.
"""
