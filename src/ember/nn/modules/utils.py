"""Helpers for modules' state dicts."""

from __future__ import annotations

from typing import Any

__all__ = ["consume_prefix_in_state_dict_if_present"]


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """Strips ``prefix`` from the keys of ``state_dict`` in place, where present.

    A ``DistributedDataParallel`` (or ``DataParallel``) model saves its wrapped module's state
    under ``module.``; this makes such a checkpoint load into the bare module.

    Example::

        >>> state = ddp_model.state_dict()              # {'module.weight': ..., ...}
        >>> consume_prefix_in_state_dict_if_present(state, "module.")
        >>> model.load_state_dict(state)                # {'weight': ..., ...}
    """
    for key in list(state_dict):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is None:
        return
    for key in list(metadata):
        # the metadata of the wrapped module itself sits under the prefix without its dot
        if key and (key == prefix.rstrip(".") or key.startswith(prefix)):
            metadata[key[len(prefix):]] = metadata.pop(key)
