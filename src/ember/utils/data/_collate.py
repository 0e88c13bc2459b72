"""default_collate and default_convert: samples to batches, as torch's DataLoader makes them."""

from __future__ import annotations

import collections.abc
import copy
import re
from typing import Any

import numpy as np

from ..._tensor import Tensor, _make

__all__ = ["default_collate", "default_convert"]

_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
          "found {}")
# NumPy strings, bytes, unicode and objects cannot become tensors
_NOT_NUMERIC = re.compile(r"[SaUO]")


def _is_namedtuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _stack(arrays: list[np.ndarray]) -> Tensor:
    return _make(np.stack(arrays))


def default_collate(batch: list[Any] | tuple) -> Any:
    """Merges a list of samples into a batch, recursing into containers.

    - tensors are stacked along a new first dimension; NumPy arrays and scalars become
      tensors the same way;
    - Python floats give a float64 tensor, ints an int64 tensor, bools a bool tensor;
    - strings and bytes stay as they are (the batch of them);
    - a dict (or other mapping) of samples gives a dict of batches, a namedtuple a namedtuple
      of batches, and a tuple or list of samples a list of batches (the batch transposed).

    Args:
        batch (list): the samples.

    Returns:
        the batch.

    Example::

        >>> default_collate([(0, 1.5), (1, 2.5)])
        [tensor([0, 1]), tensor([1.5000, 2.5000], dtype=ember.float64)]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t._requires_grad for t in batch):
            import ember  # the recorded stack, so gradients reach the samples

            return ember.stack(list(batch), 0)
        return _stack([t._data for t in batch])
    elem_type = type(elem)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(elem, np.ndarray) or isinstance(elem, np.generic):
            if _NOT_NUMERIC.search(np.asarray(elem).dtype.str) is not None:
                raise TypeError(_ERROR.format(np.asarray(elem).dtype))
            if isinstance(elem, np.ndarray) and elem.shape != ():
                return default_collate([_make(np.array(b)) for b in batch])
            return _make(np.array(batch))
    if isinstance(elem, bool):
        return _make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return _make(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return _make(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        merged = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                out = copy.copy(elem)  # keeps the mapping's type and any extra attributes
                out.update(merged)
                return out
            return elem_type(merged)
        except TypeError:  # the mapping type cannot be rebuilt this way
            return merged
    if _is_namedtuple(elem):
        return elem_type(*(default_collate(list(samples)) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]  # type: ignore[arg-type]
        try:
            return elem_type([default_collate(s) for s in transposed])  # type: ignore[arg-type]
        except TypeError:  # the sequence type cannot be rebuilt from a list
            return [default_collate(s) for s in transposed]  # type: ignore[arg-type]
    raise TypeError(_ERROR.format(elem_type))


def default_convert(data: Any) -> Any:
    """Converts NumPy arrays and scalars in ``data`` to tensors, recursing into containers
    (what a DataLoader with ``batch_size=None`` does to each sample).

    Args:
        data: a sample.

    Returns:
        the sample with tensors in place of NumPy data; tuples become lists, as in torch.
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, (np.ndarray, np.generic)):
            if _NOT_NUMERIC.search(np.asarray(data).dtype.str) is not None:
                return data
            return _make(np.array(data))
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            return elem_type(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
