"""In-place changes through views of tensors that are part of a graph.

torch rewrites the base's history (``CopySlices``) so gradients flow through the write; ember
does not do that yet, and says so rather than computing a wrong gradient.
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor


def rebase_view(view: Tensor, node: Any) -> None:
    raise RuntimeError(
        "ember: an in-place operation on a view of a tensor that is part of an autograd graph "
        "(for example y[0] = x or y[:, 1] *= 2 where y requires grad) is not supported yet. "
        "Write it out of place, e.g. y = y.clone(); or build the result with ember.cat / "
        "ember.where.")
