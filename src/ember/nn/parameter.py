"""Parameter: a leaf tensor that modules register as learnable."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._printing import format_tensor
from .._tensor import Tensor, _init, dtype_suffix, shared_counter


class Parameter(Tensor):
    """A tensor that is a module parameter: requires grad by default and prints as
    ``Parameter containing:``.

    Args:
        data (Tensor): the initial value (shared, not copied).
        requires_grad (bool): default True.
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        array = data._data if data is not None else np.empty((0,), dtype=np.float32)
        _init(self, array)
        if data is not None:
            self._vc = shared_counter(data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        tail = ["requires_grad=True"] if self._requires_grad else []
        return "Parameter containing:\n" + format_tensor(self._data, dtype_suffix(self._data),
                                                         tail)

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    from .._tensor import _make

    return Parameter(_make(data), requires_grad)
