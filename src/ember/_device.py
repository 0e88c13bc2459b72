"""Devices, spelled and checked as a torch built without CUDA checks them.

torch builds a ``device('cuda')`` descriptor on any machine and fails only when memory is asked
of it: ``torch.zeros(2, device='cuda')``, ``x.cuda()`` and ``x.to('cuda')`` raise
``AssertionError: Torch not compiled with CUDA enabled``. ember does the same: descriptors of
every device type torch knows are built, compared and printed as torch's, and ``check_device``
(called by every factory, ``Tensor.to`` and the nn constructors) raises torch's error for any
device that is not the CPU.
"""

from __future__ import annotations

from typing import Any

# The device types torch's parser accepts, in the order its error message lists them.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")

NO_CUDA = "Torch not compiled with CUDA enabled"


class device:
    """A device descriptor: ``ember.device('cpu')``, ``ember.device('cuda', 0)``,
    ``ember.device('cuda:1')``.

    Any device type torch knows can be described, as in torch; ember computes on the CPU only,
    so making a tensor on another device raises torch's own error for a build without it
    (``AssertionError: Torch not compiled with CUDA enabled`` for CUDA).

    Used as a context manager, it sets the default device of the factories inside the block.

    Args:
        type (str or device): ``'cpu'``, ``'cuda'``, ``'mps'``..., optionally with ``:index``.
        index (int, optional): the device ordinal.

    Example::

        >>> ember.device('cuda:0')
        device(type='cuda', index=0)
    """

    __slots__ = ("type", "index", "_previous")

    def __init__(self, type: str | device | int = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            # torch reads a bare ordinal as an index on the current accelerator: there is none
            raise RuntimeError("Cannot access accelerator device when none is available.")
        elif not isinstance(type, str):
            raise TypeError(
                f"device() received an invalid combination of arguments - got "
                f"({_type_name(type)}), but expected one of:\n * (ember.device device)\n"
                " * (str type, int index = -1)\n")
        else:
            name, colon, idx = type.partition(":")
            if colon:
                if index is not None:
                    raise RuntimeError(
                        "type (string) must not include an index because index was passed "
                        f"explicitly: {type}")
                if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                    raise RuntimeError(f"Invalid device string: '{type}'")
                index = int(idx)
            if name not in DEVICE_TYPES:
                if name.strip() != name or not name.isalnum():
                    raise RuntimeError(f"Invalid device string: '{type}'")
                raise RuntimeError(
                    f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                    f"string: {type}")
            type = name
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        # as in torch, a device never equals a string: compare ``x.device.type == 'cpu'``
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> Any:
        return (device, (self.type, self.index))

    def __enter__(self) -> device:
        global _default_device
        self._previous = _default_device
        _default_device = None if self.type == "cpu" else self
        return self

    def __exit__(self, *exc: Any) -> None:
        global _default_device
        _default_device = self._previous


def _type_name(value: Any) -> str:
    return "NoneType" if value is None else type(value).__name__


CPU = device("cpu")

# Set by ember.set_default_device or a ``with ember.device(...)`` block when it is not the CPU;
# the factories then fail as torch's do on a device this build lacks.
_default_device: device | None = None


def unavailable(d: device) -> BaseException:
    """torch's error for memory asked of a device this CPU-only build does not have."""
    if d.type == "cuda":
        return AssertionError(NO_CUDA)
    if d.type == "xpu":
        return AssertionError("Torch not compiled with XPU enabled")
    if d.type == "meta":
        return NotImplementedError(
            "ember has no meta tensors: device='meta' (shapes without data) is not supported; "
            "make the tensor on the CPU")
    return RuntimeError(f"PyTorch is not linked with support for {d.type} devices")


def check_device(d: Any) -> None:
    """Accepts the CPU (or ``None``: the default device) and raises torch's error for any
    other device, as a torch built without that device does when asked for memory on it."""
    if d is None:
        if _default_device is not None:
            raise unavailable(_default_device)
        return
    if d is CPU or d == "cpu":
        return
    parsed = d if isinstance(d, device) else device(d)
    if parsed.type != "cpu":
        raise unavailable(parsed)


def set_default_device(device_: Any) -> None:
    """Sets the device the factories use when none is given.

    The CPU (or ``None``) restores ember's default. Another device is accepted, as torch accepts
    it, and every factory then raises torch's error for that device (``AssertionError: Torch
    not compiled with CUDA enabled``).
    """
    global _default_device
    if device_ is None:
        _default_device = None
        return
    parsed = device_ if isinstance(device_, device) else device(device_)
    _default_device = None if parsed.type == "cpu" else parsed


def get_default_device() -> device:
    """The device factories use when none is given (torch's error if it is unavailable)."""
    if _default_device is not None:
        raise unavailable(_default_device)
    return CPU


def check_map_location(d: Any) -> None:
    """``check_device`` for ``ember.load``'s ``map_location``: a CUDA target gets torch's
    loading error, which tells to map storages to the CPU."""
    if d is None or d is CPU or d == "cpu":
        return
    parsed = d if isinstance(d, device) else device(d)
    if parsed.type == "cuda":
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() is "
            "False. If you are running on a CPU-only machine, please use ember.load with "
            "map_location=ember.device('cpu') to map your storages to the CPU. (ember computes "
            "on the CPU only.)")
    check_device(parsed)
