"""ember.hub: loading from the model hub without a network.

ember downloads nothing. ``load_state_dict_from_url`` looks for the file in the hub's cache
(``<hub dir>/checkpoints/<file name>``, the place torch downloads to, so a file torch fetched
before is found) and loads it with ``ember.load``; if it is not there, it raises a clear error
saying where to put it. ``load`` (running a hub repository's code) is not supported.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

__all__ = ["load_state_dict_from_url", "load", "list", "help", "get_dir", "set_dir",
           "download_url_to_file"]

_hub_dir: str | None = None


def get_dir() -> str:
    """The hub cache folder: ``set_dir``'s, else ``$TORCH_HOME/hub``, else
    ``$XDG_CACHE_HOME/torch/hub`` (default ``~/.cache/torch/hub``), as torch's."""
    if _hub_dir is not None:
        return _hub_dir
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "torch")
    return os.path.join(os.path.expanduser(torch_home), "hub")


def set_dir(d: str | os.PathLike) -> None:
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location: Any = None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None,
                             weights_only: bool = False) -> dict[str, Any]:
    """Loads the checkpoint ``url`` names from the local hub cache (ember never downloads).

    Args:
        url (str): the checkpoint's address; its last path part is the cached file's name.
        model_dir (str, optional): the cache folder (default ``get_dir()/checkpoints``).
        map_location: passed to ``ember.load``.
        file_name (str, optional): the cached file's name, instead of the URL's.
        progress, check_hash, weights_only: accepted (nothing is downloaded).

    Raises:
        RuntimeError: if the file is not in the cache, naming the path to put it at.
    """
    from .serialization import load as _load

    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    name = file_name or os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, name)
    if not os.path.exists(cached):
        raise RuntimeError(
            f"ember.hub.load_state_dict_from_url: ember does not download files; '{name}' is "
            f"not in the local cache. Download {url} yourself and save it as {cached}")
    return _load(cached, map_location=map_location)


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    raise RuntimeError(
        f"ember.hub.download_url_to_file: ember does not download files; fetch {url} to {dst} "
        "yourself")


def load(repo_or_dir: str, model: str, *args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(
        "ember.hub.load: running a hub repository's code is not supported (it is written for "
        "torch and would be downloaded); build the model in ember and load its weights with "
        "load_state_dict_from_url")


def list(github: str, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 - torch's name
    raise NotImplementedError("ember.hub.list: ember does not download hub repositories")


def help(github: str, model: str, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    raise NotImplementedError("ember.hub.help: ember does not download hub repositories")
