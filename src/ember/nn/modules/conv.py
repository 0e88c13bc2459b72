"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d."""

from __future__ import annotations

import math
from typing import Any

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from ...ops.nn import conv_functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value: Any, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


def uniform_parameter(shape: tuple, bound: float, dtype: Any = None) -> Parameter:
    """A Parameter drawn from U(-bound, bound) with ember's generator (torch's default layer
    initialisation, which for kaiming_uniform_(a=sqrt(5)) reduces to bound = 1/sqrt(fan_in))."""
    from ..._creation import default_generator

    np_dtype = (dtype or dt.get_default_dtype()).np
    values = default_generator.rng.uniform(-bound, bound, size=shape).astype(np_dtype)
    return Parameter(_make(values))


class _ConvNd(Module):
    """What every convolution layer holds; torch's attribute names, so state_dicts and code
    reading ``conv.stride`` carry over."""

    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode",
                     "output_padding", "in_channels", "out_channels", "kernel_size"]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, transposed: bool, output_padding: Any,
                 groups: int, bias: bool, padding_mode: str, n: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, n)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {{'reflect', 'zeros', 'replicate', "
                             f"'circular'}}, but got padding_mode='{padding_mode}'")
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"ember: {type(self).__name__}(padding_mode='{padding_mode}') is not supported "
                "yet; only padding_mode='zeros' is")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        self.dilation = _ntuple(dilation, n)
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        if transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        fan_in = shape[1] * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        self.weight = uniform_parameter(shape, bound, dtype)
        if bias:
            self.bias = uniform_parameter((out_channels,), bound, dtype)
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Redraws weight and bias from torch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        shape = tuple(self.weight.shape)
        fan_in = shape[1] * math.prod(shape[2:])
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        self.weight.data = uniform_parameter(shape, bound, self.weight.dtype).data
        if self.bias is not None:
            self.bias.data = uniform_parameter(tuple(self.bias.shape), bound,
                                               self.bias.dtype).data

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        n = len(self.kernel_size)
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) or (C_in, L).

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): default 1.
        padding (int, tuple or str): zero padding on both sides, or 'valid' / 'same'.
        dilation (int or tuple): spacing between kernel elements.
        groups (int): independent channel groups.
        bias (bool): add a learnable bias.
        padding_mode (str): only 'zeros' is supported.

    Example::

        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(ember.randn(20, 16, 50)).shape
        ember.Size([20, 33, 24])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, 1, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W).

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): default 1.
        padding (int, tuple or str): zero padding on both sides, or 'valid' / 'same'.
        dilation (int or tuple): spacing between kernel elements.
        groups (int): independent channel groups.
        bias (bool): add a learnable bias.
        padding_mode (str): only 'zeros' is supported.

    Example::

        >>> nn.Conv2d(1, 6, 5)
        Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, 2, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, output_padding: Any, groups: int, bias: bool, dilation: Any,
                 padding_mode: str, n: int, device: Any, dtype: Any) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, n, device, dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """The output_padding that gives ``output_size`` (torch's rule and error)."""
        n = len(self.kernel_size)
        if output_size is None:
            return self.output_padding
        size = [int(s) for s in output_size]
        if len(size) == n + 2 or (len(size) == n + 1 and input.dim() == n + 1):
            size = size[-n:]
        if len(size) != n:
            raise ValueError(
                f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                f"{n + 2} elements (got {len(size)})")
        spatial = input.shape[-n:]
        mins = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        maxs = [m + self.stride[d] - 1 for d, m in enumerate(mins)]
        for d in range(n):
            if not mins[d] <= size[d] <= maxs[d]:
                raise ValueError(
                    f"requested an output size of {size}, but valid sizes range from {mins} to "
                    f"{maxs} (for an input of {spatial})")
        return tuple(s - m for s, m in zip(size, mins))


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C_in, L) or (C_in, L); see ConvTranspose2d."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, 1, device, dtype)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the gradient of Conv2d as a layer), over (N, C_in, H, W).

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels produced.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): default 1.
        padding (int or tuple): ``dilation * (kernel_size - 1) - padding`` zeros pad the input.
        output_padding (int or tuple): extra size on one side of the output.
        groups (int): independent channel groups.
        bias (bool): add a learnable bias.
        dilation (int or tuple): spacing between kernel elements.

    ``forward(input, output_size=None)``: ``output_size`` picks output_padding to reach it.

    Example::

        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> up(ember.randn(1, 16, 6, 6), output_size=[12, 12]).shape
        ember.Size([1, 8, 12, 12])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, 2, device, dtype)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)

