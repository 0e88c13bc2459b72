"""Functional forms of convolution and pooling: argument parsing, output sizes and torch's
errors, around the primitives of ``conv.py``."""

from __future__ import annotations

import warnings
from typing import Any

from ..._tensor import Tensor
from ...amp import autocast_mode as _amp
from ...amp.autocast_mode import lower
from ...amp.autocast_mode import state as _autocast
from .conv import (
    AdaptiveAvgPool2D,
    AvgPool2D,
    Convolution,
    MaxPool2DWithIndices,
    _avg_divisor,
)

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
           "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d"]


def _tuple(value: Any, n: int, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return tuple(int(value[0]) for _ in range(n))
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to match "
                f"the convolution dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


# --- convolution -------------------------------------------------------------------------------

def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, nd: int, name: str) -> Tensor:
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(input.shape)}")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if weight.dim() != nd + 2:
        given = list(_tuple(stride, nd, "stride"))
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {weight.dim() - 2} "
            f"values to match the convolution dimensions, but got stride={given}")
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    kernel = tuple(weight.shape[2:])
    size = tuple(input.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pad = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            if any(t % 2 for t in total):
                warnings.warn(
                    "Using padding='same' with even kernel lengths and odd dilation may require "
                    "a zero-padded copy of the input be created", UserWarning, stacklevel=3)
            pad = tuple(t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad = _tuple(padding, nd, "padding")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    _check_channels(input, weight, groups, transposed=False)
    if padding == "same":
        out = size
    else:
        padded = [s + 2 * p for s, p in zip(size, pad)]
        effective = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
        if any(p < e for p, e in zip(padded, effective)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater "
                "than actual input size")
        out = tuple((p - e) // s + 1 for p, e, s in zip(padded, effective, stride))
    _check_bias(bias, weight.shape[0])
    result = Convolution.apply(input, weight, bias, stride=stride, padding=pad,
                               dilation=dilation, groups=groups, transposed=False,
                               out_size=out)
    return result.squeeze(0) if unbatched else result


def _check_channels(input: Tensor, weight: Tensor, groups: int, transposed: bool) -> None:
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    w = list(weight.shape)
    if not transposed and w[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{w}] instead")
    expected = w[0] if transposed else w[1] * groups
    if input.shape[1] != expected:
        which = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(
            f"Given {which}, weight of size {w}, expected input{list(input.shape)} to have "
            f"{expected} channels, but got {input.shape[1]} channels instead")


def _check_bias(bias: Tensor | None, channels: int) -> None:
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != channels):
        raise RuntimeError(
            f"Given weight of size with {channels} output channels, expected bias to be 1-"
            f"dimensional with {channels} elements, but got bias of size {list(bias.shape)} "
            "instead")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) over an input of shape (N, C_in, L) or (C_in, L).

    Args:
        input (Tensor): (N, C_in, L) or unbatched (C_in, L).
        weight (Tensor): (C_out, C_in / groups, kL).
        bias (Tensor, optional): (C_out,).
        stride, padding, dilation: an int or a 1-tuple; padding may be 'valid' or 'same'.
        groups (int): splits the channels into this many independent convolutions.

    Returns:
        Tensor: (N, C_out, L_out).
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, weight, bias = lower(input, weight, bias)
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) over an input of shape (N, C_in, H, W).

    Args:
        input (Tensor): (N, C_in, H, W) or unbatched (C_in, H, W).
        weight (Tensor): (C_out, C_in / groups, kH, kW).
        bias (Tensor, optional): (C_out,).
        stride, padding, dilation: an int or a pair; padding may be 'valid' or 'same'.
        groups (int): splits the channels into this many independent convolutions.

    Returns:
        Tensor: (N, C_out, H_out, W_out).

    Example::

        >>> F.conv2d(ember.ones(1, 1, 4, 4), ember.ones(1, 1, 3, 3)).shape
        ember.Size([1, 1, 2, 2])
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, weight, bias = lower(input, weight, bias)
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
                    padding: Any, output_padding: Any, groups: int, dilation: Any, nd: int,
                    name: str) -> Tensor:
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(input.shape)}")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        raise RuntimeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride = _tuple(stride, nd, "stride")
    pad = _tuple(padding, nd, "padding")
    out_pad = _tuple(output_padding, nd, "output_padding")
    dilation = _tuple(dilation, nd, "dilation")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(o >= s and o >= d for o, s, d in zip(out_pad, stride, dilation)):
        names = ("height", "width") if nd == 2 else ("width",)
        parts = [f"output_padding_{n}: {o}" for n, o in zip(names, out_pad)]
        parts += [f"stride_{n}: {s}" for n, s in zip(names, stride)]
        parts += [f"dilation_{n}: {d}" for n, d in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    _check_channels(input, weight, groups, transposed=True)
    kernel = tuple(weight.shape[2:])
    out = tuple((i - 1) * s - 2 * p + d * (k - 1) + 1 + o for i, s, p, d, k, o in
                zip(input.shape[2:], stride, pad, dilation, kernel, out_pad))
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, input.shape[2:]))}). "
            f"Calculated output size per channel: ({' x '.join(map(str, out))}). Output size "
            "is too small")
    _check_bias(bias, weight.shape[1] * groups)
    result = Convolution.apply(input, weight, bias, stride=stride, padding=pad,
                               dilation=dilation, groups=groups, transposed=True,
                               out_size=out)
    return result.squeeze(0) if unbatched else result


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-D transposed convolution: the gradient of conv1d with respect to its input.

    Args:
        input (Tensor): (N, C_in, L) or unbatched (C_in, L).
        weight (Tensor): (C_in, C_out / groups, kL).
        output_padding: extra size added to one side of the output.
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, weight, bias = lower(input, weight, bias)
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-D transposed convolution ("deconvolution"): the gradient of conv2d with respect to
    its input, as a layer.

    Args:
        input (Tensor): (N, C_in, H, W) or unbatched (C_in, H, W).
        weight (Tensor): (C_in, C_out / groups, kH, kW).
        bias (Tensor, optional): (C_out,).
        stride, padding, output_padding, dilation: an int or a pair.
        groups (int): independent channel groups.

    Returns:
        Tensor: (N, C_out, (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1, ...).
    """
    if _amp.cpu_regions and _autocast.cpu is not None:  # autocast: its lower dtype
        input, weight, bias = lower(input, weight, bias)
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


# --- pooling -----------------------------------------------------------------------------------

def _pool_tuple(value: Any, name: str, what: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return (int(value[0]),) * 2
        if len(value) != 2:
            raise RuntimeError(
                f"{name}: {what} must either be a single int, or a tuple of two ints")
        return (int(value[0]), int(value[1]))
    return (int(value),) * 2


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window would start in the right padding
    return out


def _pool_geometry(input: Tensor, name: str, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool, avg: bool) -> tuple:
    k = _pool_tuple(kernel_size, name, "kernel_size")
    omitted = stride is None or (isinstance(stride, (list, tuple)) and not stride)
    s = k if omitted else _pool_tuple(stride, name, "stride")
    p = _pool_tuple(padding, name, "padding")
    d = _pool_tuple(dilation, name, "dilation")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    for pi, ki, di in zip(p, k, d):
        if pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pi}, "
                f"kernel_size={ki} and dilation={di}")
    if not avg and (p[0] > k[0] // 2 or p[1] > k[1] // 2):
        raise RuntimeError(
            f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
            f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    h, w = input.shape[-2:]
    out = (_pool_out(h, k[0], s[0], p[0], d[0], ceil_mode),
           _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode))
    if out[0] < 1 or out[1] < 1:
        c = input.shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return k, s, p, d, out


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """2-D max pooling over (N, C, H, W) or (C, H, W).

    Args:
        kernel_size: the window, an int or a pair.
        stride: default ``kernel_size``.
        padding: implicit -inf padding on both sides (at most half the kernel).
        dilation: spacing between window elements.
        ceil_mode (bool): round the output size up, keeping windows that start inside the
            input or its left padding.
        return_indices (bool): also return each maximum's flat index within its (H, W) plane.

    Returns:
        Tensor, or (Tensor, LongTensor of indices) with ``return_indices``.

    Example::

        >>> F.max_pool2d(ember.arange(16.).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    if input.dim() not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    k, s, p, d, out = _pool_geometry(input, "max_pool2d", kernel_size, stride, padding,
                                     dilation, ceil_mode, avg=False)
    sink: list = []
    result = MaxPool2DWithIndices.apply(input, kernel=k, stride=s, padding=p, dilation=d,
                                        out_size=out, indices=sink)
    if return_indices:
        return result, _long(sink[0])
    return result


def _long(array: Any) -> Tensor:
    from ..._tensor import _make

    return _make(array.astype("int64", copy=False))


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """1-D max pooling over (N, C, L) or (C, L); see :func:`max_pool2d`."""
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    one = _one_d(kernel_size, stride, padding, dilation)
    result = max_pool2d(input.unsqueeze(-2), *one, ceil_mode=ceil_mode,
                        return_indices=return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def _one_d(*args: Any) -> list:
    """1-D pooling arguments as 2-D ones over a unit height."""
    res = []
    for i, a in enumerate(args):
        if a is None:
            res.append(None)
            continue
        v = a[0] if isinstance(a, (list, tuple)) and len(a) else a
        if isinstance(a, (list, tuple)) and not a:
            res.append(None)
            continue
        res.append((1 if i != 2 else 0, int(v)))
    return res


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W).

    Args:
        kernel_size: the window, an int or a pair.
        stride: default ``kernel_size``.
        padding: implicit zero padding on both sides (at most half the kernel).
        ceil_mode (bool): round the output size up.
        count_include_pad (bool): whether padding zeros count in each window's divisor.
        divisor_override (int, optional): divide every window's sum by this instead.
    """
    if input.dim() not in (3, 4):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got -3)")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, p, _, out = _pool_geometry(input, "avg_pool2d", kernel_size, stride, padding, 1,
                                     ceil_mode, avg=True)
    divisor = _avg_divisor(tuple(input.shape[-2:]), k, s, p, out, count_include_pad,
                           divisor_override)
    return AvgPool2D.apply(input, kernel=k, stride=s, padding=p, out_size=out, divisor=divisor)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L); see :func:`avg_pool2d`."""
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    one = _one_d(kernel_size, stride, padding)
    return avg_pool2d(input.unsqueeze(-2), *one, ceil_mode=ceil_mode,
                      count_include_pad=count_include_pad).squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size: window i spans
    [floor(i*H/out), ceil((i+1)*H/out)).

    Args:
        output_size: an int, or a pair whose None entries keep the input's size.
    """
    if input.dim() not in (3, 4):
        raise RuntimeError(
            f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    if isinstance(output_size, (list, tuple)):
        sizes = tuple(input.shape[-2 + i] if o is None else int(o)
                      for i, o in enumerate(output_size))
    else:
        sizes = (int(output_size),) * 2
    if sizes == (1, 1):
        return input.mean((-1, -2), keepdim=True)  # torch takes this path too
    return AdaptiveAvgPool2D.apply(input, out_size=sizes)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive average pooling over (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"adaptive_avg_pool1d(): Expected 2D or 3D tensor, but got {list(input.shape)}")
    size = output_size[0] if isinstance(output_size, (list, tuple)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)
