"""Convolution and pooling primitives.

Every convolution, plain or transposed, 1-D or 2-D, is one relation between a "big" grid (a
plain convolution's input) and a "small" grid (its output)::

    small[o] = sum_i big[o * stride - pad_lo + i * dilation] * w[i]     (zero outside big)

A plain convolution computes ``small`` from ``big`` (im2col and one matmul); a transposed one
computes ``big`` from ``small`` (one matmul and col2im); the weight gradient correlates the two.
Each of the three is the adjoint of another, so every backward here is one of these primitives
again and double backward comes for free. The spatial size of the result is always passed in
explicitly (``out_size``), which absorbs asymmetric 'same' padding, output_padding and the
rows a strided convolution never reads.

Pooling: max pooling records the argmax of each window; its backward scatters into those
positions and that scatter's backward gathers from them. Average pooling's backward spreads
each gradient over its window, and the spreading's backward is average pooling again.
Adaptive average pooling is two small averaging matrices, ``P_h @ x @ P_w.T``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import _dtype as dt
from ..._tensor import Tensor, _make
from .._op import Primitive, UnaryOp, op
from ..samples import Sample, _values

__all__: list[str] = []


# --- NumPy kernels (4-D: N, C, H, W) ----------------------------------------------------------

def _windows(big: np.ndarray, k: tuple, stride: tuple, dilation: tuple, lo: tuple,
             out: tuple, fill: Any = 0) -> np.ndarray:
    """A read-only (N, C, oh, ow, kh, kw) view of every window of ``big``, padded by ``lo``
    before and by whatever the last window needs after."""
    n, c, h, w = big.shape
    need_h = (out[0] - 1) * stride[0] + (k[0] - 1) * dilation[0] + 1
    need_w = (out[1] - 1) * stride[1] + (k[1] - 1) * dilation[1] + 1
    hi_h, hi_w = max(0, need_h - h - lo[0]), max(0, need_w - w - lo[1])
    if lo[0] or lo[1] or hi_h or hi_w:
        padded = np.full((n, c, h + lo[0] + hi_h, w + lo[1] + hi_w), fill, dtype=big.dtype)
        padded[:, :, lo[0]:lo[0] + h, lo[1]:lo[1] + w] = big
        big = padded
    s = big.strides
    return as_strided(big, (n, c, out[0], out[1], k[0], k[1]),
                      (s[0], s[1], s[2] * stride[0], s[3] * stride[1], s[2] * dilation[0],
                       s[3] * dilation[1]), writeable=False)


def _im2col(big: np.ndarray, k: tuple, groups: int, stride: tuple, dilation: tuple, lo: tuple,
            out: tuple) -> np.ndarray:
    """(N, groups, C/groups*kh*kw, oh*ow): each column one output position's window.

    Output positions stay innermost, so the copy out of the strided window view runs along
    rows of the input, and the matmul's result is already in (N, C, H, W) order."""
    n, c = big.shape[:2]
    win = _windows(big, k, stride, dilation, lo, out)
    win = win.reshape(n, groups, c // groups, out[0], out[1], k[0], k[1])
    return win.transpose(0, 1, 2, 5, 6, 3, 4).reshape(n, groups, -1, out[0] * out[1])


def _conv(big: np.ndarray, w: np.ndarray, groups: int, stride: tuple, dilation: tuple,
          lo: tuple, out: tuple) -> np.ndarray:
    n, o = big.shape[0], w.shape[0]
    cols = _im2col(big, w.shape[2:], groups, stride, dilation, lo, out)
    res = np.matmul(w.reshape(groups, o // groups, -1), cols)  # (N, groups, O/groups, oh*ow)
    return res.reshape(n, o, out[0], out[1])


def _conv_transposed(small: np.ndarray, w: np.ndarray, groups: int, stride: tuple,
                     dilation: tuple, lo: tuple, out: tuple) -> np.ndarray:
    """The adjoint of ``_conv`` in its first argument: ``big`` of spatial size ``out``."""
    n, o, oh, ow = small.shape
    og, cg, kh, kw = o // groups, w.shape[1], w.shape[2], w.shape[3]
    # The batch goes innermost, so col2im's strided adds below run over long contiguous rows
    # rather than over rows of one image's width.
    a = w.reshape(groups, og, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, -1, og)
    b = small.reshape(n, groups, og, oh, ow).transpose(1, 2, 3, 4, 0).reshape(groups, og, -1)
    cols = np.matmul(a, b).reshape(groups, kh, kw, cg, oh, ow, n)
    need_h = (oh - 1) * stride[0] + (kh - 1) * dilation[0] + 1
    need_w = (ow - 1) * stride[1] + (kw - 1) * dilation[1] + 1
    buf = np.zeros((groups, cg, max(need_h, lo[0] + out[0]), max(need_w, lo[1] + out[1]), n),
                   dtype=cols.dtype)
    # col2im: one strided add per kernel offset; NumPy does the pixels and the batch.
    for i in range(kh):
        rows = slice(i * dilation[0], i * dilation[0] + (oh - 1) * stride[0] + 1, stride[0])
        for j in range(kw):
            cols_j = slice(j * dilation[1], j * dilation[1] + (ow - 1) * stride[1] + 1,
                           stride[1])
            buf[:, :, rows, cols_j] += cols[:, i, j]
    buf = buf[:, :, lo[0]:lo[0] + out[0], lo[1]:lo[1] + out[1]]
    return np.ascontiguousarray(buf.transpose(4, 0, 1, 2, 3)).reshape(
        n, groups * cg, out[0], out[1])


def _conv_weight(big: np.ndarray, small: np.ndarray, k: tuple, groups: int, stride: tuple,
                 dilation: tuple, lo: tuple) -> np.ndarray:
    """The adjoint of ``_conv`` in its weight: (O, C/groups, kh, kw)."""
    n, o = small.shape[:2]
    cols = _im2col(big, k, groups, stride, dilation, lo, small.shape[2:])
    flat = small.reshape(n, groups, o // groups, -1)
    # One (O/g x positions) @ (positions x C/g*k*k) product per image, then summed over the
    # batch: cheaper than transposing the im2col matrix to fold the batch into one product.
    res = np.matmul(flat, cols.transpose(0, 1, 3, 2)).sum(0)
    return res.reshape(o, -1, k[0], k[1])


def _as_2d(params: dict, *arrays: np.ndarray) -> tuple:
    """1-D convolutions run as 2-D ones over a unit height."""
    arrays = tuple(None if a is None else a[:, :, None] for a in arrays)
    params = {key: (v if key == "groups" else ((0 if key == "padding" else 1),) + tuple(v))
              for key, v in params.items()}
    return params, arrays


# --- convolution primitives -------------------------------------------------------------------

def _type_name(a: np.ndarray) -> str:
    from ..._tensor import _legacy_type_name

    return _legacy_type_name(dt._BY_NUMPY[a.dtype])


@op("ConvolutionBackward0", samples=lambda cls: _conv_samples())
class Convolution(Primitive):
    """``conv`` (plain) or its transpose, plus bias. ``out_size`` is the result's spatial size;
    ``padding`` is the padding before each spatial dim (the rest follows from out_size)."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, *,
                stride: tuple, padding: tuple, dilation: tuple, groups: int,
                transposed: bool, out_size: tuple) -> np.ndarray:
        if x.dtype != w.dtype:
            raise RuntimeError(f"Input type ({_type_name(x)}) and weight type ({_type_name(w)}) "
                               "should be the same or input should be a MKLDNN tensor and "
                               "weight is a dense tensor")
        if b is not None and b.dtype != x.dtype:
            raise RuntimeError(
                f"Input type ({dt._BY_NUMPY[x.dtype].name.replace('float64', 'double')}) and "
                f"bias type ({dt._BY_NUMPY[b.dtype].name.replace('float32', 'float')}) "
                "should be the same")
        params = {"stride": stride, "padding": padding, "dilation": dilation,
                  "out_size": out_size}
        one_d = x.ndim == 3
        if one_d:
            params, (x, w) = _as_2d(params, x, w)
        if transposed:
            out = _conv_transposed(x, w, groups, params["stride"], params["dilation"],
                                   params["padding"], params["out_size"])
        else:
            out = _conv(x, w, groups, params["stride"], params["dilation"], params["padding"],
                        params["out_size"])
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        if one_d:
            out = out[:, :, 0]
        if out.dtype != x.dtype:  # bfloat16: products in float32, rounded once, as torch's
            out = out.astype(x.dtype)
        ctx.params = (stride, padding, dilation, groups)
        ctx.transposed = transposed
        return out

    formula = {
        "x": "conv_transpose(grad, w) (a convolution with the flipped kernel)",
        "w": "the correlation of x with grad, summed over the batch",
        "b": "grad summed over the batch and spatial dims",
    }

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        x, w, b = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.params
        geometry = {"stride": stride, "padding": padding, "dilation": dilation,
                    "groups": groups}
        gx = gw = gb = None
        size = tuple(x.shape[2:])
        if ctx.needs_input_grad[0]:
            gx = Convolution.apply(grad, w, None, transposed=not ctx.transposed, out_size=size,
                                   **geometry)
        if ctx.needs_input_grad[1]:
            big, small = (grad, x) if ctx.transposed else (x, grad)
            gw = ConvolutionWeight.apply(big, small, kernel=tuple(w.shape[2:]), **geometry)
        if b is not None and ctx.needs_input_grad[2]:
            gb = grad.sum((0,) + tuple(range(2, grad.dim())))
        return gx, gw, gb


@op("ConvolutionWeightBackward0")
class ConvolutionWeight(Primitive):
    """The weight gradient of a convolution whose input is ``big`` and output grad ``small``.
    (torch computes it inside ConvolutionBackward0; it only shows up here under double
    backward.)"""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, big: np.ndarray, small: np.ndarray, *, stride: tuple,
                padding: tuple, dilation: tuple, groups: int, kernel: tuple) -> np.ndarray:
        ctx.params = {"stride": stride, "padding": padding, "dilation": dilation,
                      "groups": groups}
        params = {"stride": stride, "padding": padding, "dilation": dilation, "kernel": kernel}
        one_d = big.ndim == 3
        if one_d:
            params, (big, small) = _as_2d(params, big, small)
        res = _conv_weight(big, small, params["kernel"], groups, params["stride"],
                           params["dilation"], params["padding"])
        return res[:, :, 0] if one_d else res

    formula = {"big": "conv_transpose(small, grad)", "small": "conv(big, grad)"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        big, small = ctx.saved_tensors
        g_big = g_small = None
        if ctx.needs_input_grad[0]:
            g_big = Convolution.apply(small, grad, None, transposed=True,
                                      out_size=tuple(big.shape[2:]), **ctx.params)
        if ctx.needs_input_grad[1]:
            g_small = Convolution.apply(big, grad, None, transposed=False,
                                        out_size=tuple(small.shape[2:]), **ctx.params)
        return g_big, g_small


# --- max pooling -------------------------------------------------------------------------------

def _batched4(x: np.ndarray) -> np.ndarray:
    return x if x.ndim == 4 else x[None]


@op("MaxPool2DWithIndicesBackward0", samples=lambda cls: _pool_samples("max"))
class MaxPool2DWithIndices(UnaryOp):
    """Max over each window; ``indices`` (a list the caller passes) receives the flat position
    of each maximum within its input plane, as torch returns it."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, *, kernel: tuple, stride: tuple, padding: tuple,
                dilation: tuple, out_size: tuple, indices: list | None = None) -> np.ndarray:
        x4 = _batched4(x)
        h, w = x4.shape[2:]
        fill = -np.inf if x.dtype.kind in "fV" else np.iinfo(x.dtype).min
        win = _windows(x4, kernel, stride, dilation, padding, out_size, fill)
        # Kernel offsets first: the copy then reads whole strided planes, and argmax/max
        # reduce over the leading axis. argmax keeps the first maximum and NaN wins (max
        # propagates it too), as in torch.
        win = win.transpose(4, 5, 0, 1, 2, 3).reshape((-1,) + win.shape[:4])
        arg = np.argmax(win, axis=0)
        out = win.max(axis=0)
        ki, kj = np.divmod(arg, kernel[1])
        rows = np.arange(out_size[0])[:, None] * stride[0] - padding[0] + ki * dilation[0]
        cols = np.arange(out_size[1]) * stride[1] - padding[1] + kj * dilation[1]
        flat = rows * w + cols
        ctx.flat, ctx.in_shape = flat, x.shape
        if indices is not None:
            indices.append(flat.reshape(out.shape if x.ndim == 4 else out.shape[1:]))
        return out if x.ndim == 4 else out[0]

    formula = {"x": "grad sent to the maximum of each window, 0 elsewhere"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        flat = ctx.flat
        plane = ctx.in_shape[-1] * ctx.in_shape[-2]
        offsets = np.arange(flat.shape[0] * flat.shape[1]).reshape(flat.shape[:2] + (1, 1))
        where = (flat + offsets * plane).ravel()
        return MaxPoolScatter.apply(grad, where=where, in_shape=ctx.in_shape)


@op("MaxPool2DWithIndicesBackwardBackward0")
class MaxPoolScatter(UnaryOp):
    """Adds each output gradient into the input position (``where``, flat over the whole
    input) its maximum came from."""

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, *, where: np.ndarray, in_shape: tuple) -> np.ndarray:
        ctx.where, ctx.out_shape = where, grad.shape
        res = np.bincount(where, weights=grad.ravel(), minlength=math.prod(in_shape))
        return res.astype(grad.dtype, copy=False).reshape(in_shape)

    formula = {"grad": "gg read at each window's maximum"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return MaxPoolGather.apply(grad, where=ctx.where, out_shape=ctx.out_shape)


@op("MaxPoolGatherBackward0")
class MaxPoolGather(UnaryOp):
    """Reads each window's argmax position: the adjoint of MaxPoolScatter."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, *, where: np.ndarray, out_shape: tuple) -> np.ndarray:
        ctx.where, ctx.in_shape = where, x.shape
        return x.reshape(-1)[where].reshape(out_shape)

    formula = {"x": "grad added at each window's maximum"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return MaxPoolScatter.apply(grad, where=ctx.where, in_shape=ctx.in_shape)


# --- average pooling ---------------------------------------------------------------------------

def _avg_divisor(size: tuple, kernel: tuple, stride: tuple, padding: tuple, out_size: tuple,
                 count_include_pad: bool, divisor_override: int | None) -> np.ndarray:
    """(oh, ow): how many elements each window's sum is divided by (torch's rule: windows
    are clipped to the padded input, and further to the input unless padding counts)."""
    if divisor_override:
        return np.full(out_size, float(divisor_override))
    counts = []
    for d in range(2):
        start = np.arange(out_size[d]) * stride[d] - padding[d]
        end = np.minimum(start + kernel[d], size[d] + padding[d])
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, size[d]) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1]).astype(np.float64)


@op("AvgPool2DBackward0", samples=lambda cls: _pool_samples("avg"))
class AvgPool2D(UnaryOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, *, kernel: tuple, stride: tuple, padding: tuple,
                out_size: tuple, divisor: np.ndarray) -> np.ndarray:
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding,
                      "divisor": divisor}
        ctx.in_size = x.shape[-2:]
        x4 = _batched4(x)
        win = _windows(x4, kernel, stride, (1, 1), padding, out_size)
        out = (win.sum((-2, -1)) / divisor).astype(x.dtype, copy=False)
        return out if x.ndim == 4 else out[0]

    formula = {"x": "grad / window size, spread over each window"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return AvgPoolSpread.apply(grad, in_size=ctx.in_size, **ctx.params)


@op("AvgPool2DBackwardBackward0")
class AvgPoolSpread(UnaryOp):
    """Spreads each output gradient, divided by its window's divisor, over the window."""

    @staticmethod
    def forward(ctx: Any, grad: np.ndarray, *, kernel: tuple, stride: tuple, padding: tuple,
                divisor: np.ndarray, in_size: tuple) -> np.ndarray:
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding,
                      "divisor": divisor, "out_size": tuple(grad.shape[-2:])}
        g4 = _batched4(grad)
        n, c = g4.shape[:2]
        ones = np.ones((c, 1) + tuple(kernel), dtype=grad.dtype)
        scaled = (g4 / divisor).astype(grad.dtype, copy=False)
        res = _conv_transposed(scaled, ones, c, stride, (1, 1), padding, in_size)
        return res if grad.ndim == 4 else res[0]

    formula = {"grad": "the average of gg over each window"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return AvgPool2D.apply(grad, **ctx.params)


# --- adaptive average pooling ------------------------------------------------------------------

def _adaptive_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size): row i averages [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    mask = (cols >= start[:, None]) & (cols < end[:, None])
    return (mask / (end - start)[:, None]).astype(dtype)


@op("AdaptiveAvgPool2DBackward0", samples=lambda cls: _pool_samples("adaptive"))
class AdaptiveAvgPool2D(UnaryOp):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray, *, out_size: tuple) -> np.ndarray:
        ph = _adaptive_matrix(x.shape[-2], out_size[0], x.dtype)
        pw = _adaptive_matrix(x.shape[-1], out_size[1], x.dtype)
        ctx.ph, ctx.pw = ph, pw
        return np.matmul(np.matmul(ph, x), pw.T)

    formula = {"x": "grad / window size, spread over each adaptive window"}

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        # Linear in x with constant matrices: its backward is two ember matmuls, so it
        # differentiates again.
        return _make(ctx.ph.T.copy()) @ grad @ _make(ctx.pw.copy())


# --- samples -----------------------------------------------------------------------------------

def _functional(lib: Any) -> Any:
    """torch.nn.functional, or ember's conv functional forms (wired into ember.nn.functional
    by the package; imported directly so the samples work either way)."""
    if lib.__name__ == "torch":
        return lib.nn.functional
    from . import conv_functional

    return conv_functional


def _conv_samples() -> list[Sample]:
    x = _values((2, 2, 5, 5), "real", 0)
    w = _values((3, 2, 3, 3), "real", 1)
    b = _values((3,), "real", 2)
    x4 = _values((1, 4, 5, 4), "real", 3)
    wg = _values((4, 2, 3, 3), "real", 4)
    x1 = _values((2, 2, 7), "real", 5)
    w1 = _values((3, 2, 3), "real", 6)
    wt = _values((2, 3, 3, 2), "real", 7)
    xs = _values((1, 2, 3, 4), "real", 8)
    return [
        Sample(lambda lib, a, k, c: _functional(lib).conv2d(a, k, c), (x, w, b), "2d-bias"),
        Sample(lambda lib, a, k: _functional(lib).conv2d(a, k, stride=2, padding=1),
               (x, w), "stride-pad"),
        Sample(lambda lib, a, k: _functional(lib).conv2d(a, k, padding=(2, 1),
                                                         dilation=(2, 1), stride=(1, 2)),
               (x, w), "dilation"),
        Sample(lambda lib, a, k: _functional(lib).conv2d(a, k, groups=2, padding="same"),
               (x4, wg), "groups-same"),
        Sample(lambda lib, a, k: _functional(lib).conv2d(a[0], k, padding="valid"),
               (x, w), "unbatched"),
        Sample(lambda lib, a, k, c: _functional(lib).conv1d(a, k, c, stride=2, padding=1),
               (x1, w1, b), "1d"),
        Sample(lambda lib, a, k, c: _functional(lib).conv_transpose2d(a, k, c),
               (xs, wt, b), "transposed"),
        Sample(lambda lib, a, k: _functional(lib).conv_transpose2d(
            a, k, stride=(2, 3), padding=1, output_padding=(1, 2), dilation=(1, 2)),
            (xs, wt), "transposed-stride"),
        Sample(lambda lib, a, k: _functional(lib).conv_transpose2d(a, k, groups=2),
               (x4[:, :, :3, :3], _values((4, 1, 2, 2), "real", 9)), "transposed-groups"),
    ]


def _distinct(shape: tuple, seed: int) -> np.ndarray:
    """Values at least 0.05 apart, so no window has a near tie for finite differences."""
    n = math.prod(shape)
    return (np.random.default_rng(seed).permutation(n) * 0.05 - n * 0.025).reshape(shape)


def _pool_samples(kind: str) -> list[Sample]:
    x = _distinct((2, 2, 5, 6), 0)
    x1 = _distinct((2, 2, 7), 1)
    if kind == "max":
        return [
            Sample(lambda lib, a: _functional(lib).max_pool2d(a, 2), (x,), "k2"),
            Sample(lambda lib, a: _functional(lib).max_pool2d(a, 3, 2, 1, ceil_mode=True),
                   (x,), "pad-ceil"),
            Sample(lambda lib, a: _functional(lib).max_pool2d(a, (2, 3), 1, dilation=(2, 1)),
                   (x,), "dilation"),
            Sample(lambda lib, a: _functional(lib).max_pool2d(a[0], 2, return_indices=True)[0],
                   (x,), "unbatched-indices"),
            Sample(lambda lib, a: _functional(lib).max_pool1d(a, 3, 2), (x1,), "1d"),
            Sample(lambda lib, a: _functional(lib).max_pool2d(a, 2),
                   (np.array([[[[1.0, 1.0, 0.0], [1.0, -1.0, 0.0]]]]),), "ties",
                   gradcheck=False),
        ]
    if kind == "avg":
        return [
            Sample(lambda lib, a: _functional(lib).avg_pool2d(a, 2), (x,), "k2"),
            Sample(lambda lib, a: _functional(lib).avg_pool2d(a, 3, 2, 1, ceil_mode=True),
                   (x,), "pad-ceil"),
            Sample(lambda lib, a: _functional(lib).avg_pool2d(
                a, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,), "exclude-pad"),
            Sample(lambda lib, a: _functional(lib).avg_pool2d(a[0], (2, 3), 1,
                                                              divisor_override=4),
                   (x,), "unbatched-divisor"),
            Sample(lambda lib, a: _functional(lib).avg_pool1d(a, 3, 2, 1), (x1,), "1d"),
        ]
    return [
        Sample(lambda lib, a: _functional(lib).adaptive_avg_pool2d(a, (3, 4)), (x,), "3x4"),
        Sample(lambda lib, a: _functional(lib).adaptive_avg_pool2d(a[0], (2, None)), (x,),
               "unbatched-None"),
        Sample(lambda lib, a: _functional(lib).adaptive_avg_pool1d(a, 4), (x1,), "1d"),
    ]
