"""Tensor pretty-printing that reproduces ``repr(torch.Tensor)`` character for character.

The module works purely on NumPy arrays so it can be tested in isolation: the tensor class
hands over its data plus already-formatted suffixes (dtype, ``grad_fn=...``) and gets back
the complete ``tensor(...)`` string.

The layout rules (when to switch to scientific notation, how wide columns are, where lines
wrap, how ``...`` summaries are built) were established by experiment against PyTorch 2.13.
Several of them are quirky; where we deliberately keep a quirk the comment says so, because
"fixing" it would break parity with torch's output.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["format_tensor", "get_printoptions", "set_printoptions"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: int | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    r"""Change how tensors are printed; the options are global.

    Args:
        precision: digits after the decimal point for floats (default 4).
        threshold: tensors with more elements than this are summarized with
            ``...`` (default 1000).
        edgeitems: elements kept at each end of every summarized dimension
            (default 3).
        linewidth: characters per line used to decide where rows wrap
            (default 80).
        profile: a preset applied before the other arguments: ``"default"``,
            ``"short"`` (precision 2, edgeitems 2) or ``"full"`` (never summarize).
        sci_mode: True forces scientific notation, False forbids it, None
            (also what any call omitting it sets) chooses automatically.

    Returns:
        None
    """
    # An unknown profile name is silently ignored, as in torch.
    if profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(_OPTS, name, value)
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    # Unlike the other options, sci_mode is always overwritten: any call that omits it
    # returns to automatic mode. torch behaves the same way.
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    r"""Return the current print options as a dictionary.

    Returns:
        dict: with keys ``precision``, ``threshold``, ``edgeitems``, ``linewidth``
        and ``sci_mode``; it can be passed back as ``set_printoptions(**opts)``.
    """
    return dataclasses.asdict(_OPTS)


class _Formatter:
    """Decides one common style (int/fixed/scientific) and width for a set of values.

    Args:
        values: the elements that will actually be shown (already summarized), any shape.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind in "fV"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        flat = values.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(str(value)))
            return

        # Zeros, nans and infs print the same in every style, so only the remaining
        # values decide the style and (quirk kept from torch) the column width.
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:
            # torch returns before even consulting the sci_mode option here.
            return

        magnitude = np.abs(shown)
        lo, hi = float(magnitude.min()), float(magnitude.max())
        with np.errstate(over="ignore"):
            wide_range = bool(np.float64(hi) / np.float64(lo) > 1000.0) or hi > 1.0e8
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        self.sci_mode = wide_range or (not self.int_mode and lo < 1.0e-4)
        if _OPTS.sci_mode is not None:
            self.sci_mode = _OPTS.sci_mode

        for value in shown.tolist():
            self.max_width = max(self.max_width, len(self._plain(value)))

    def _plain(self, value: float) -> str:
        # The unpadded text of one float, in the style chosen for the whole tensor.
        precision = _OPTS.precision
        if self.sci_mode:
            return f"{value:.{precision}e}"
        if self.int_mode:
            text = f"{value:.0f}"
            # The trailing dot is what tells the reader this is a float tensor.
            return text if math.isinf(value) or math.isnan(value) else text + "."
        return f"{value:.{precision}f}"

    def format(self, value: Any) -> str:
        """Format one element right-aligned to the common width.

        Args:
            value: a Python scalar (float, int or bool).

        Returns:
            str: at least ``max_width`` characters (longer for nan/inf in some cases).
        """
        text = self._plain(value) if self.floating else str(value)
        return text.rjust(self.max_width)


def _summarize(data: np.ndarray, edge: int) -> np.ndarray:
    # Keep only the elements that will be printed so that style and width ignore the
    # hidden middle. Only called with edge >= 1 (edge 0 short-circuits to "[...]").
    if data.ndim == 0:
        return data
    n = data.shape[0]
    if data.ndim == 1:
        return np.concatenate((data[:edge], data[-edge:])) if n > 2 * edge else data
    rows = [*range(edge), *range(n - edge, n)] if n > 2 * edge else range(n)
    return np.stack([_summarize(data[i], edge) for i in rows])


class _Layout:
    """Renders nested brackets for one array with a fixed set of formatters."""

    def __init__(self, summarize: bool, real: _Formatter, imag: _Formatter | None) -> None:
        self.summarize = summarize
        self.real = real
        self.imag = imag

    def value(self, x: Any) -> str:
        if self.imag is None:
            return self.real.format(x)
        real_str = self.real.format(x.real)
        imag_str = (self.imag.format(x.imag) + "j").lstrip()
        # A formatted imaginary part already carries "-" (negative, -0.) when needed.
        if imag_str[0] in "+-":
            return real_str + imag_str
        return real_str + "+" + imag_str

    def render(self, data: np.ndarray, indent: int) -> str:
        if data.ndim == 0:
            return self.value(data.item())
        if data.ndim == 1:
            return self._vector(data, indent)
        edge = _OPTS.edgeitems
        n = data.shape[0]
        if self.summarize and n > 2 * edge:
            parts = [self.render(data[i], indent + 1) for i in range(edge)]
            parts.append("...")
            parts += [self.render(data[i], indent + 1) for i in range(n - edge, n)]
        else:
            parts = [self.render(data[i], indent + 1) for i in range(n)]
        # One blank line per nesting level beyond a matrix separates higher-dim blocks.
        separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
        return "[" + separator.join(parts) + "]"

    def _vector(self, data: np.ndarray, indent: int) -> str:
        # Every element is budgeted the common width plus ", "; complex adds the imaginary
        # width and the "j". Wrapping uses this budget, not the actual printed lengths.
        element_length = self.real.max_width + 2
        if self.imag is not None:
            element_length += self.imag.max_width + 1
        per_line = max(1, math.floor((_OPTS.linewidth - indent) / element_length))

        edge = _OPTS.edgeitems
        if self.summarize and data.shape[0] > 2 * edge:
            items = [self.value(x) for x in data[:edge].tolist()]
            items.append(" ...")
            items += [self.value(x) for x in data[-edge:].tolist()]
        else:
            items = [self.value(x) for x in data.tolist()]

        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(data: np.ndarray, indent: int) -> str:
    # Body of a non-empty tensor: everything between the prefix and the suffixes.
    if data.dtype.kind == "V":  # bfloat16 (ml_dtypes): its values print as floats, as torch's
        data = data.astype(np.float32)
    summarize = data.size > _OPTS.threshold
    if summarize and not _OPTS.edgeitems and data.ndim:
        # Nothing survives a zero-edge summary; the caller adds a size= suffix instead.
        return "[...]"
    shown = _summarize(data, _OPTS.edgeitems) if summarize else data
    if data.dtype.kind == "c":
        # Real and imaginary parts get independent styles and widths.
        layout = _Layout(summarize, _Formatter(shown.real), _Formatter(shown.imag))
    else:
        layout = _Layout(summarize, _Formatter(shown), None)
    return layout.render(data, indent)


def _add_suffixes(text: str, suffixes: Sequence[str], indent: int) -> str:
    # torch's bookkeeping of the current line length is off by two (it counts the line as
    # two characters longer than it is, except right after a wrap). We keep the same
    # arithmetic so suffixes wrap at exactly the same places.
    pieces = [text]
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def format_tensor(
    data: np.ndarray,
    dtype_suffix: str | None = None,
    tail: Sequence[str] = (),
    prefix: str = "tensor(",
) -> str:
    r"""Format array data exactly like ``repr`` of a torch tensor holding the same values.

    The caller decides whether a dtype suffix is shown. torch's rule: for a non-empty
    tensor show it unless the dtype is the default float dtype, its complex counterpart
    (complex64 for float32), int64 or bool; for an empty tensor show it whenever the dtype
    is not the default float dtype.

    Args:
        data: the values; any shape, with a float, complex, integer or bool dtype.
        dtype_suffix: e.g. ``"dtype=ember.float64"``, or None for no dtype suffix.
        tail: further ready-made suffixes in order, e.g. ``["requires_grad=True"]``
            or ``["grad_fn=<PowBackward0>"]``.
        prefix: text before the values; continuation lines are indented by its length.

    Returns:
        str: e.g. ``"tensor([1., 2.], dtype=ember.float64)"``.
    """
    data = np.asarray(data)
    indent = len(prefix)
    suffixes: list[str] = []
    if data.size == 0:
        body = "[]"
        # "[]" alone reads as shape (0,); any other empty shape must be spelled out.
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
    else:
        if not _OPTS.edgeitems:
            # With no edge items the summary hides everything, so give at least the shape.
            suffixes.append(f"size={tuple(data.shape)}")
        body = _tensor_str(data, indent)
    if dtype_suffix is not None:
        suffixes.append(dtype_suffix)
    suffixes.extend(tail)
    return _add_suffixes(prefix + body, suffixes, indent)
