"""What anomaly mode says: the first NaN or Inf of a forward or backward pass, with the op, its
inputs' statistics, the user's line, and the known traps explained in words; and, for a saved
tensor changed in place, which in-place op changed it and where.

Everything here runs only with anomaly mode on (``ember.autograd.detect_anomaly()``), or when
an error is already being raised.
"""

from __future__ import annotations

import re
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np

from .._tensor import Tensor

_warned_at: set = set()
# in-place changes seen under anomaly mode: id(version counter) -> (counter, [(version, line)])
_INPLACE_LOG: OrderedDict[int, tuple[list, list]] = OrderedDict()
_INPLACE_LOG_SIZE = 10_000


# --- lines and statistics -----------------------------------------------------------------
def user_line() -> str:
    """``file:line (`source`)`` of the first frame outside ember."""
    import linecache

    from .graph_walk import user_frame

    frame = user_frame()
    if frame is None:
        return "<unknown>"
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    return f"{where} (`{text}`)" if text else where


def _line_of_trace(stack: list[str] | None) -> str | None:
    """The last frame outside ember in a stack captured by anomaly mode."""
    import os

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for entry in reversed(stack or []):
        match = re.match(r'\s*File "([^"]+)", line (\d+)', entry)
        if match and not match.group(1).startswith(package):
            source = entry.strip().split("\n")[-1].strip()
            return f"{match.group(1)}:{match.group(2)} (`{source}`)"
    return None


def stats(value: Any) -> str:
    """min, max and the count of NaN and Inf of a tensor (or the value of a number)."""
    if not isinstance(value, (Tensor, np.ndarray)):
        return repr(value)
    data = value._data if isinstance(value, Tensor) else value
    shape = "(" + ", ".join(str(s) for s in data.shape) + ("," if data.ndim == 1 else "") + ")"
    if data.dtype.kind not in "fcV" or data.size == 0:
        return f"{shape} {data.dtype}"
    finite = data[np.isfinite(data)]
    lo = f"{finite.real.min():.4g}" if finite.size else "-"
    hi = f"{finite.real.max():.4g}" if finite.size else "-"
    nan = int(np.isnan(data).sum())
    inf = int(np.isinf(data).sum())
    return f"{shape} {data.dtype}: min {lo}, max {hi}, {nan} NaN, {inf} Inf"


def _finite(value: Any) -> bool:
    if isinstance(value, Tensor):
        data = value._data
        return data.dtype.kind not in "fcV" or bool(np.isfinite(data).all())
    if isinstance(value, (float, complex)):
        return bool(np.isfinite(value))
    return True


def _op_label(node: Any) -> str:
    return getattr(type(node), "op_name", None) or re.sub(r"Backward\d*$", "", node.name())


# --- the traps, in words --------------------------------------------------------------------
_WHERE_TRAP = (
    "If this value feeds one branch of where(cond, x.log(), 0) (or is masked afterwards), the "
    "masked elements are still differentiated: their gradient is 0 × (1/x), NaN where x = 0. "
    "Mask the input instead: where(cond, x, 1).log().")
_LOG_SOFTMAX = (
    "Its input comes from softmax, whose small probabilities underflow to 0: log(softmax(x)) "
    "is -inf there. Use log_softmax(x), which never forms the probabilities.")
_SQRT_ZERO = (
    "sqrt's derivative 1/(2·sqrt(x)) is infinite at x = 0 (and a norm's, x/‖x‖, is 0/0 at a "
    "zero vector). Keep the argument away from 0: (x + 1e-12).sqrt(), or "
    "(d.pow(2).sum(-1) + 1e-12).sqrt() for a distance.")
_ZERO_TIMES_INF = (
    "The incoming gradient is 0 where this node's local derivative is infinite, and 0 × ∞ = "
    "NaN: the pattern of a masked branch, such as where(cond, x.log(), 0) or x.sqrt() masked "
    "afterwards. Mask the input instead of the output: where(cond, x, 1).log().")


def forward_hints(node: Any, inputs: tuple) -> list[str]:
    name = node.name()
    x = inputs[0] if inputs else None
    data = x._data if isinstance(x, Tensor) else None
    hints = []
    if name in ("LogBackward0", "Log2Backward0", "Log10Backward0", "Log1PBackward0"):
        hints.append("log of 0 is -inf and of a negative number NaN.")
        if isinstance(x, Tensor) and x.grad_fn is not None and x.grad_fn.name() in (
                "SoftmaxBackward0", "SigmoidBackward0"):
            hints.append(_LOG_SOFTMAX)
        hints.append(_WHERE_TRAP)
    elif name in ("SqrtBackward0", "RsqrtBackward0", "PowBackward0") and data is not None and (
            (data < 0).any()):
        hints.append("sqrt (or a fractional power) of a negative number is NaN.")
    elif name in ("DivBackward0", "ReciprocalBackward0"):
        hints.append("a division by 0 gives ±inf (0/0 gives NaN).")
    elif name in ("ExpBackward0", "Exp2Backward0", "PowBackward2"):
        hints.append("exp overflows to inf above 88.7 in float32 (709.8 in float64): subtract "
                     "the maximum first, or use logsumexp / log_softmax.")
    return hints


# --- forward --------------------------------------------------------------------------------
def check_forward(node: Any, inputs: tuple, out: Any) -> None:
    """Warns at the first op whose output holds NaN or Inf while its inputs hold none.

    Ops linear in their inputs (masked_fill, pad, index_fill) are passed over: on finite
    inputs their non-finite values can only be a fill value given on purpose (a -inf mask)."""
    if getattr(node, "linear", False):
        return
    outs = out if isinstance(out, (tuple, list)) else (out,)
    bad = [o for o in outs if isinstance(o, np.ndarray) and o.dtype.kind in "fcV"
           and not np.isfinite(o).all()]
    if not bad or not all(_finite(x) for x in inputs):
        return
    line = _line_of_trace(node._anomaly_trace) or user_line()
    key = (type(node), line)
    if key in _warned_at:
        return
    _warned_at.add(key)
    names = _input_names(node, len(inputs))
    lines = [f"ember anomaly: the forward pass produced its first non-finite values in "
             f"{_op_label(node)} ({node.name()}) at {line}.",
             f"  output: {stats(bad[0])}"]
    lines += [f"  input {names[i]}: {stats(x)}" for i, x in enumerate(inputs) if x is not None]
    lines += ["  " + h for h in forward_hints(node, inputs)]
    _warn_at_user("\n".join(lines))


def _warn_at_user(text: str) -> None:
    """A UserWarning attributed to the user's line, not to ember's."""
    from .graph_walk import user_frame

    frame = user_frame()
    if frame is None:
        warnings.warn(text, UserWarning, stacklevel=2)
        return
    warnings.warn_explicit(text, UserWarning, frame.f_code.co_filename, frame.f_lineno,
                           module=frame.f_globals.get("__name__"),
                           registry=frame.f_globals.setdefault("__warningregistry__", {}))


def _input_names(node: Any, n: int) -> list[str]:
    from .graph_walk import forward_arg_names

    names = forward_arg_names(type(node))
    return [names[i] if i < len(names) else str(i) for i in range(n)]


# --- backward -------------------------------------------------------------------------------
def explain_backward(node: Any, index: int, grad_in: Any, kind: str) -> str:
    """What ember adds after torch's "Function 'X' returned nan values in its 0th output."."""
    lines = []
    saved = getattr(node, "_saved", None) or ()
    names = _input_names(node, len(saved))
    for i, value in enumerate(saved):
        if isinstance(value, Tensor):
            lines.append(f"  its input {names[i]}: {stats(value)}")
    out = getattr(node, "_out_data", None)
    if out is not None:
        lines.append(f"  its output: {stats(out)}")
    grads = grad_in if isinstance(grad_in, (list, tuple)) else (grad_in,)
    for g in grads:
        if isinstance(g, Tensor):
            lines.append(f"  the gradient arriving at it: {stats(g)}")
    name = node.name()
    zero_input = any(isinstance(v, Tensor) and v._data.dtype.kind in "fcV"
                     and (v._data == 0).any() for v in saved)
    if name in ("SqrtBackward0", "LinalgVectorNormBackward0", "NormBackward0",
                "NormBackward1", "RsqrtBackward0") or (
            getattr(node, "_out_data", None) is not None and name == "SqrtBackward0"):
        lines.append("  " + _SQRT_ZERO)
    elif zero_input and name in ("LogBackward0", "Log2Backward0", "Log10Backward0",
                                 "DivBackward0", "PowBackward0", "ReciprocalBackward0"):
        lines.append("  " + _ZERO_TIMES_INF)
    origin = _line_of_trace(node._anomaly_trace)
    if origin:
        lines.insert(0, f"ember: {node.name()} was created by the forward call at {origin}.")
    else:
        lines.insert(0, f"ember: {node.name()} produced {kind} in the gradient of its input "
                        f"{index}.")
    return "\n".join(lines)


def warn_backward_inf(node: Any, index: int, grad_in: Any) -> None:
    key = (type(node), "backward")
    if key in _warned_at:
        return
    _warned_at.add(key)
    _warn_at_user(f"ember anomaly: Function '{node.name()}' returned inf values in its {index}th "
                  "output.\n" + explain_backward(node, index, grad_in, "inf"))


# --- in-place changes of saved tensors ---------------------------------------------------------
def record_inplace(t: Tensor) -> None:
    """Under anomaly mode: remembers the line of each in-place change (by version counter)."""
    vc = t._vc
    if vc is None:
        return
    entry = _INPLACE_LOG.get(id(vc))
    if entry is None or entry[0] is not vc:
        entry = _INPLACE_LOG[id(vc)] = (vc, [])
        if len(_INPLACE_LOG) > _INPLACE_LOG_SIZE:
            _INPLACE_LOG.popitem(last=False)
    entry[1].append((vc[0], user_line()))


def explain_modified(node: Any, vc: list | None, saved_version: int) -> str:
    """The in-place changes since ``saved_version`` and the op that saved the tensor."""
    lines = []
    origin = _line_of_trace(node._anomaly_trace)
    if origin:
        lines.append(f"ember: the tensor was saved at version {saved_version} by {node.name()}, "
                     f"created at {origin}.")
    entry = _INPLACE_LOG.get(id(vc)) if vc is not None else None
    if entry is not None and entry[0] is vc:
        for version, line in entry[1]:
            if version > saved_version:
                lines.append(f"ember: it was modified in place at {line} (now version "
                             f"{version}).")
    return "\n".join(lines)
