"""Recurrent layers: RNN (tanh/relu), LSTM and GRU, and their single-step cells.

Parameters are named and shaped as torch's (``weight_ih_l0``, ``bias_hh_l1_reverse``, gates
stacked as i|f|g|o for LSTM and r|z|n for GRU), so state_dicts load either way. Each layer
projects the whole input sequence in one matmul; only the hidden-to-hidden step loops over
time, which the recurrence makes inherent.
"""

from __future__ import annotations

import math
from typing import Any

from ..._tensor import Tensor
from ...ops.shape.joining import cat, stack
from ..parameter import Parameter
from .conv import uniform_parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    out = x @ weight.t()
    return out if bias is None else out + bias


def _step(mode: str, gates_x: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor,
          b_hh: Tensor | None) -> tuple[Tensor, Tensor | None]:
    """One time step given the input's projection ``gates_x`` (bias included)."""
    gates_h = _linear(h, w_hh, b_hh)
    if mode == "RNN_TANH":
        return (gates_x + gates_h).tanh(), None
    if mode == "RNN_RELU":
        return (gates_x + gates_h).relu(), None
    if mode == "LSTM":
        i, f, g, o = _split(gates_x + gates_h, 4)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c.tanh(), c
    # GRU: the reset gate scales the hidden projection *including* its bias, as torch does.
    xr, xz, xn = _split(gates_x, 3)
    hr, hz, hn = _split(gates_h, 3)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (h - n), None


def _split(t: Tensor, parts: int) -> tuple:
    size = t.shape[-1] // parts
    return t.split(size, -1)


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU: parameters, checks, the layer loop."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size != 0:
            raise NotImplementedError(f"ember: {type(self).__name__}(proj_size=...) is not "
                                      "supported yet")
        if dropout > 0 and num_layers == 1:
            import warnings

            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}", UserWarning, stacklevel=3)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        bound = 1.0 / math.sqrt(hidden_size)
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, uniform_parameter(shape, bound, dtype))
                    self._flat_weights_names.append(name + suffix)

    def reset_parameters(self) -> None:
        """Redraws every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            p.data = uniform_parameter(tuple(p.shape), bound, p.dtype).data

    @property
    def all_weights(self) -> list[list[Parameter]]:
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _params(self, layer: int, direction: int) -> tuple:
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _check_input(self, input: Tensor) -> bool:
        """Checks rank and feature size; returns whether the input is batched."""
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D tensor instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        return input.dim() == 3

    def _initial(self, hx: Tensor | None, batch: int, like: Tensor, batched: bool,
                 name: str = "hx") -> Tensor:
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, self.hidden_size)
        if hx is None:
            from ..._creation import zeros

            return zeros(expected, dtype=like.dtype)
        if not batched:
            if hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, {name} should also be 2-D but got "
                                   f"{hx.dim()}-D tensor")
            hx = hx.unsqueeze(1)
        elif hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, {name} should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected hidden size {expected}, got {list(hx.shape)}")
        return hx

    def _run(self, input: Tensor, h0: Tensor, c0: Tensor | None) -> tuple:
        """(L, N, features) through every layer; returns output, final h, final c."""
        from .. import functional as nnF

        directions = 2 if self.bidirectional else 1
        steps = input.shape[0]
        layer_input = input
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh = self._params(layer, direction)
                index = layer * directions + direction
                h = h0[index]
                c = c0[index] if c0 is not None else None
                gates_x = _linear(layer_input, w_ih, b_ih)  # every time step in one matmul
                order = range(steps - 1, -1, -1) if direction == 1 else range(steps)
                seq = []
                for t in order:
                    h, c_next = _step(self.mode, gates_x[t], h, c, w_hh, b_hh)
                    c = c_next
                    seq.append(h)
                if direction == 1:
                    seq.reverse()
                outputs.append(stack(seq, 0))
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            layer_input = outputs[0] if directions == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = nnF.dropout(layer_input, self.dropout, True)
        return layer_input, stack(h_n, 0), (stack(c_n, 0) if c_n else None)

    def forward(self, input: Tensor, hx: Any = None) -> tuple:
        batched = self._check_input(input)
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        batch = input.shape[1]
        if self.mode == "LSTM":
            h0, c0 = (None, None) if hx is None else hx
            h0 = self._initial(h0, batch, input, batched)
            c0 = self._initial(c0, batch, input, batched)
        else:
            if isinstance(hx, tuple):
                raise RuntimeError(f"{type(self).__name__}: Expected hx to be a Tensor, got a "
                                   "tuple")
            h0, c0 = self._initial(hx, batch, input, batched), None
        output, h_n, c_n = self._run(input, h0, c0)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu).

    Args:
        input_size (int): features of the input.
        hidden_size (int): features of the hidden state.
        num_layers (int): stacked layers. Default 1.
        nonlinearity (str): 'tanh' or 'relu'.
        bias (bool): use b_ih and b_hh. Default True.
        batch_first (bool): input and output are (N, L, features). Default False.
        dropout (float): dropout on the outputs of every layer but the last.
        bidirectional (bool): also run the sequence backwards. Default False.

    Returns:
        (output, h_n): output (L, N, D*hidden_size), h_n (D*num_layers, N, hidden_size).

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> out, h = rnn(ember.randn(5, 3, 10))
        >>> out.shape, h.shape
        (ember.Size([5, 3, 20]), ember.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = ["input_size", "hidden_size", "num_layers", "nonlinearity", "bias",
                 "batch_first", "dropout", "bidirectional"]
        if len(args) > len(names):
            raise TypeError(f"RNN takes at most {len(names)} positional arguments")
        kwargs.update(zip(names, args))
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", **kwargs)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; ``c_t = f*c + i*g``, ``h_t = o*tanh(c_t)``.

    Args: as :class:`RNN` (no nonlinearity); ``proj_size`` is not supported.

    Returns:
        (output, (h_n, c_n)).

    Example::

        >>> lstm = nn.LSTM(10, 20, batch_first=True)
        >>> out, (h, c) = lstm(ember.randn(3, 5, 10))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z and candidate n;
    ``h_t = (1 - z) * n + z * h_{t-1}``.

    Args: as :class:`RNN` (no nonlinearity).

    Returns:
        (output, h_n).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """One time step of a recurrent layer, with parameters weight_ih, weight_hh, bias_ih and
    bias_hh."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        bound = 1.0 / math.sqrt(hidden_size)
        self.weight_ih = uniform_parameter((num_chunks * hidden_size, input_size), bound, dtype)
        self.weight_hh = uniform_parameter((num_chunks * hidden_size, hidden_size), bound, dtype)
        if bias:
            self.bias_ih = uniform_parameter((num_chunks * hidden_size,), bound, dtype)
            self.bias_hh = uniform_parameter((num_chunks * hidden_size,), bound, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            p.data = uniform_parameter(tuple(p.shape), bound, p.dtype).data

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: Tensor | None) -> tuple:
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            from ..._creation import zeros

            hx = zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        return input, hx, batched

    def _cell(self, mode: str, input: Tensor, hx: Any) -> Any:
        if mode == "LSTM":
            h, c = (None, None) if hx is None else hx
            x, h, batched = self._prepare(input, h)
            _, c, _ = self._prepare(input, c)
        else:
            x, h, batched = self._prepare(input, hx)
            c = None
        h, c = _step(mode, _linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                     self.bias_hh)
        if not batched:
            h = h.squeeze(0)
            c = c.squeeze(0) if c is not None else None
        return (h, c) if mode == "LSTM" else h


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Args:
        input_size (int), hidden_size (int), bias (bool), nonlinearity (str): 'tanh' | 'relu'.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._cell(mode, input, hx)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c))`` returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        return self._cell("LSTM", input, hx)


class GRUCell(RNNCellBase):
    """One GRU step; ``forward(input, h)`` returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._cell("GRU", input, hx)
