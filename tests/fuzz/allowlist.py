"""The differences the fuzz test tolerates, in two parts.

* ``DELIBERATE``: differences ember keeps on purpose, each with its reason. Keep it short.
* ``KNOWN_UNFIXED``: real differences not fixed yet, each naming its row of
  ``../shared/findings/torch_differences.py`` or a new finding (F-numbers, in the fuzz notes),
  with a minimal program that shows it. ``test_fuzz.py`` fails when an entry's program stops
  showing its difference, so a fix removes its entry instead of leaving it to hide the next
  bug. Fixers empty this list.

An entry matches a finding (a shrunk program and its first difference) by the difference's
category, the op it is attributed to, and patterns in the shrunk code.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Pred = Callable[[Any], bool]


@dataclass(frozen=True)
class Entry:
    id: str
    why: str
    match: Pred
    repro: str = ""


def cat(*prefixes: str) -> Pred:
    return lambda f: f.category.startswith(prefixes)


def op(*patterns: str) -> Pred:
    """The attributed op spelling, by shell-style patterns (``*(out=)``, ``Tensor.*_``)."""
    return lambda f: any(fnmatch.fnmatchcase(f.op, p) for p in patterns)


def code(pattern: str) -> Pred:
    rx = re.compile(pattern)
    return lambda f: bool(rx.search(f.code))


def detail(pattern: str) -> Pred:
    """Matches the ember side of the first difference (an exception's text, a value)."""
    rx = re.compile(pattern)
    return lambda f: bool(f.diffs) and bool(rx.search(f.diffs[0].ember + " " + f.diffs[0].torch))


def ember_side(pattern: str) -> Pred:
    rx = re.compile(pattern)
    return lambda f: bool(f.diffs) and bool(rx.search(f.diffs[0].ember))


def all_(*preds: Pred) -> Pred:
    return lambda f: all(p(f) for p in preds)


def any_(*preds: Pred) -> Pred:
    return lambda f: any(p(f) for p in preds)


GRAD_MODE = r"with lib\.(no_grad|inference_mode|set_grad_enabled\(False\))"
INPLACE = r"\.[a-z0-9_]+_\(|\] = |[-+*/%|&^]= "
UGLY_FLOAT64 = r"\d\.\d{5,}.*dtype=lib\.float64|float64.*\d\.\d{5,}"
EMBER_NAN = r"nan"

DELIBERATE: list[Entry] = [
    Entry("D1", "torch's functions reject what its methods accept (lib.permute(x, 0, 1), "
          "lib.reshape(x, 2, 3), keyword clamp_(min=number, max=tensor)); ember's spellings share "
          "one signature, more lenient, never with another result",
          all_(cat("no_raise"), detail(r"TypeError: \w+\(\)"))),
    Entry("D2", "torch fails inside its own backward where the gradient is well defined "
          "(addcdiv with an integer tensor, clamp with bounds broadcasting past the input): "
          "ember returns the gradient",
          all_(cat("no_raise"), op("backward*", "autograd.grad*"),
               detail(r"can't be cast to the desired output type|doesn't match the broadcast "
                      r"shape"))),
    Entry("D3", "torch skips dtype and index checks on empty tensors (log_softmax of an empty "
          "int64 tensor, index_add into a dim of size 0, a masked write selecting nothing); "
          "ember checks them",
          any_(all_(cat("raise:"), code(r"lib\.zeros\(\(\d*,? ?0|, 0[,)]"),
                    detail(r"not implemented for|out of bounds|zero-size|ZeroDivisionError")),
               all_(cat("raise:"), op("setitem"), detail("Index put requires the source")))),
    Entry("D4", "an in-place op whose operand is a view of the tensor it writes (t.sub_(t[1])"
          " with a 0-d view torch does not detect): torch's result depends on its loop order; "
          "ember reads the operand before writing",
          all_(cat("value", "end_value"), lambda f: f.op.endswith("[overlap]"))),
]

KNOWN_UNFIXED: list[Entry] = [
    # --- views and in-place
    Entry("S4", "unbind (and iteration) return copies, not views: later in-place writes to "
          "either are not seen by the other; torch's rules for the views of multi-output ops "
          "(unbind, split, chunk: no in-place under no_grad, errors on reading them) are not "
          "enforced",
          any_(code(r"unbind\("),
               all_(code(r"chunk\(|split\("), cat("is_leaf", "end_is_leaf", "grad_fn",
                                                  "end_grad_fn", "no_raise"))),
          "x1 = lib.tensor([1.0, 2.0])\nt2 = x1.unbind(0)\nt3 = x1.mul_(2)"),
    Entry("F15", "retain_grad and in-place: a tensor's retained gradient is that of its value "
          "before a later in-place op (torch: after), or missing",
          any_(cat("grad_structure"), all_(cat("grad_value"), code(r"retain_grad"),
                                           code(INPLACE))),
          "x1 = lib.tensor([1.0, 2.0], requires_grad=True)\nt2 = x1 * 1\nt2.retain_grad()\n"
          "t2[0] = 5.0; t3 = t2\nl1 = t3.sum()\nl1.backward()"),
    Entry("S1", "a view taken before an in-place op on its base: backward through the view "
          "ignores the op (and a tensor's own retained gradient after its in-place update)",
          all_(cat("grad_value", "value", "grad_structure"), code(INPLACE),
               any_(cat("grad_"), op("autograd.grad*"))),
          "x1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\nt2 = x1 * 1\n"
          "t3 = t2[0]\nt4 = t2.mul_(5)\nl1 = t3.sum()\nl1.backward()"),
    Entry("S1b", "views of a base that starts requiring grad through an in-place op with a "
          "grad-requiring operand stay requires_grad=False",
          all_(cat("requires_grad", "end_requires_grad", "end_is_leaf", "end_grad_fn"),
               code(INPLACE)),
          "x1 = lib.zeros(3)\nt2 = x1[:2]\nx3 = lib.tensor(2.0, requires_grad=True)\n"
          "t4 = x1.mul_(x3)\nt5 = t2 * 1"),
    Entry("F17", "augmented assignment |=, &=, ^= (and others on some dtypes) rebinds to a new "
          "tensor instead of writing in place: views and aliases do not see it",
          all_(cat("end_value", "value"), code(r"[|&^]= ")),
          "x1 = lib.tensor([1, 2])\nt2 = x1[:1]\nx1 |= 4; t3 = x1\nt4 = t2 * 1"),
    Entry("F3", "a view made under no_grad / inference_mode / set_grad_enabled(False) of a "
          "tensor requiring grad: torch keeps requires_grad=True (a leaf), ember False",
          all_(cat("requires_grad"), code(GRAD_MODE)),
          "x1 = lib.tensor([1.0, 2.0], requires_grad=True)\n"
          "with lib.no_grad(): t2 = x1[0:1]"),
    Entry("C6", "in-place ops on expanded (overlapping) tensors raise NumPy's 'read-only' "
          "ValueError or refuse writes torch allows (fill_, zero_ on expanded tensors)",
          all_(cat("raise:", "exc_type:"), detail(r"read-only|single memory location")),
          "x1 = lib.ones(2)\nt2 = x1.expand(3, 2)\nt3 = t2.fill_(2.0)"),
    Entry("F4", "in-place ops whose output overlaps an input (x.mul_(x[0])) or that write into "
          "expanded tensors run in ember; torch refuses them",
          all_(cat("no_raise"), detail("single memory location|refer to a single memory")),
          "x1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]])\nt2 = x1.mul_(x1[0])"),
    Entry("F6", "saved-tensor version checks: ember misses some in-place changes to saved "
          "tensors (masked_select's input, create_graph) and flags others torch allows",
          detail("modified by an inplace operation"),
          "x1 = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)\nt2 = x1.flip(0)\n"
          "t3 = t2.masked_select(t2 > 0)\nt4 = t2.log1p_()\nl1 = t3.sum()\nl1.backward()"),
    Entry("S15", "integer tensors become grad-tracking through copy_ from a float tensor",
          all_(cat("requires_grad"), code(r"copy_\(")),
          "x1 = lib.zeros(3, dtype=lib.int64)\nx2 = lib.ones(3, requires_grad=True)\n"
          "t3 = x1.copy_(x2)"),
    Entry("C14", "inference tensors: in-place updates outside inference mode and saving "
          "them for backward are allowed in ember (torch raises)",
          all_(cat("no_raise", "raise", "exc_type"), code(r"inference_mode")),
          "with lib.inference_mode(): x1 = lib.ones(2)\nt2 = x1.add_(1)"),
    # --- dtypes and numerics
    Entry("S2", "lib.tensor(python floats, dtype=float64) goes through float32: float64 values "
          "of inputs that are not exact in float32 differ by float32 rounding",
          all_(cat("value(float64)", "grad_value(float64)", "end_value(float64)"),
               code(UGLY_FLOAT64)),
          "x1 = lib.tensor([0.123456], dtype=lib.float64)\nt2 = x1 - 0.123456"),
    Entry("S7", "float16 reductions accumulate in float16 (torch in float32)",
          all_(cat("value(", "grad_value(", "end_value("), code(r"float16"),
               op("loss", "*sum", "*mean", "*norm", "*prod", "*std*", "*var*", "*logsumexp",
                  "*cumsum", "*cumprod", "*softmax", "*matmul", "*mm", "*mv", "*dot", "op:@")),
          "x1 = lib.tensor([60000.0, 60000.0], dtype=lib.float16)\nt2 = x1.mean()"),
    Entry("S8", "sign/sgn/abs' gradient at NaN give NaN (torch 0), and values with NaN where "
          "torch has a number",
          all_(cat("value", "grad_value", "end_value"), code(r"sgn|sign|abs|min|max|relu"),
               ember_side(EMBER_NAN)),
          "x1 = lib.tensor([float('nan'), -2.0])\nt2 = x1.sign()"),
    Entry("S10", "bool ** bool gives int8 (torch bool)",
          any_(all_(cat("dtype"), detail(r"int8")),
               all_(cat("raise:"), op("*pow_", "op:**="), detail("Char can't be cast"))),
          "x1 = lib.zeros((2, 0), dtype=lib.bool)\nt2 = x1 ** False"),
    Entry("S12", "addr/addmv/addmm ignore the input's dtype in promotion; with an integer "
          "input and float alpha/beta, ember computes in float (torch truncates or refuses)",
          all_(cat("dtype", "value(int", "no_raise"), op("*addr", "*addmm", "*addmv",
                                                          "*addbmm", "*baddbmm")),
          "x1 = lib.zeros(2, 2, dtype=lib.float64)\nt2 = lib.addr(x1, lib.ones(2), lib.ones(2))"),
    Entry("F8", "an op on uint8 returns a tensor of NumPy dtype uint64 (trace): reading "
          ".dtype raises KeyError",
          detail(r"raises KeyError"),
          "x1 = lib.tensor([[1, 2], [3, 4]], dtype=lib.uint8)\nt2 = x1.trace()"),
    Entry("F11", "loss functions with mixed input/target dtypes return another dtype "
          "(smooth_l1_loss float32 for a float64 target, BCE-with-logits float64)",
          all_(cat("dtype", "value("), op("F.*loss*", "F.binary_cross_entropy*")),
          "x1 = lib.tensor([1.0, 2.0])\nx2 = lib.tensor([0.5, 2.5], dtype=lib.float64)\n"
          "t3 = lib.nn.functional.smooth_l1_loss(x1, x2)"),
    Entry("C9", "einsum with mixed dtypes raises (torch promotes), integer einsum dtypes",
          op("lib.einsum"),
          "x1 = lib.tensor([[2.0, -1.0]], dtype=lib.float16)\n"
          "x2 = lib.tensor([1.0], dtype=lib.float32)\nt3 = lib.einsum('ij,k->ik', x1, x2)"),
    Entry("S21", "0-d softmax/log_softmax of non-finite input returns 1/0 (torch NaN)",
          all_(cat("value"), op("*softmax", "*log_softmax", "F.softmin")),
          "x1 = lib.tensor(float('nan'))\nt2 = x1.log_softmax(0)"),
    Entry("F18", "slogdet/det of a matrix with inf or NaN: another sign or value than torch",
          all_(cat("value"), op("*slogdet", "*det", "*logdet", "*inverse", "*pinverse",
                                "lib.svd", "lib.qr")),
          "x1 = lib.tensor([[-1.0, 0.5, 1.25], [-2.5, 1.75, 1.25], [1.0, -3.0, -0.254728]])\n"
          "t2 = lib.addcmul(x1, x1, x1, value=float('inf'))\n"
          "t3 = t2 + 4 * lib.eye(3)\nt4 = lib.slogdet(t3)"),
    Entry("F5", "ember hangs: NumPy's SVD loops forever on non-finite input (svd, pinverse)",
          cat("timeout")),
    Entry("S11", "comparisons of uint8 with out-of-range Python ints differ (torch wraps the "
          "number into uint8 first)",
          all_(code(r"uint8"), code(r"[<>=,] -\d")),
          "x1 = lib.tensor([4, 0, 9], dtype=lib.uint8)\nt2 = x1 <= -1"),
    Entry("S13", "unique treats NaNs as equal (torch keeps each NaN)",
          all_(cat("shape", "value", "end_"), op("*unique")),
          "x1 = lib.tensor([float('nan'), 1.0, float('nan')])\nt2 = lib.unique(x1)"),
    Entry("F19", "clone() does not preserve the strides of a dense non-contiguous input "
          "(torch's preserve_format)",
          all_(cat("stride"), op("*clone")),
          "x1 = lib.ones(2, 2, 3, 2, dtype=lib.float64, requires_grad=True)\n"
          "t2 = x1.split(3, 2)\nt3 = lib.mul(t2[0], 1.25)\n"
          "t4 = lib.nn.functional.relu6(t3)\nt5 = t4.movedim(-3, 2)\nt6 = t5.clone()  # view"),
    Entry("F21", "lerp with bool or integer start/end and a float weight: torch promotes, ember "
          "raises NotImplementedError",
          all_(cat("raise:"), op("*lerp*")),
          "x1 = lib.tensor([False])\nx2 = lib.tensor(2.5, requires_grad=True)\n"
          "t3 = x1.lerp(x1, x2)"),
    Entry("C5", "ops on expanded or non-contiguous inputs return non-contiguous tensors (an "
          "int reciprocal of an expanded tensor keeps stride 0): .view() then fails where "
          "torch's fresh result is contiguous",
          all_(cat("raise:"), detail("view size is not compatible")),
          "x1 = lib.tensor([[1, -2, 8]])\nt2 = x1.expand(3, -1)\nt3 = t2.reciprocal()\n"
          "t4 = t3.view(-1)"),
    Entry("S22", "std_mean/var_mean: the mean of a slice holding inf is inf (torch NaN); "
          "float32 std of large values overflows",
          all_(cat("value"), op("*std_mean", "*var_mean", "*std", "*var")),
          "x1 = lib.tensor([float('inf'), -1.17])\nt2 = lib.std_mean(x1)"),
    Entry("F24", "adaptive_avg_pool spreads a NaN or inf to every output window (torch keeps "
          "it to the windows that hold it)",
          all_(cat("value", "grad_value"), op("F.adaptive_avg_pool*")),
          "x1 = lib.tensor([[[0.5, 0.5, float('nan'), 1.0]]])\n"
          "t2 = lib.nn.functional.adaptive_avg_pool1d(x1, 2)"),
    Entry("F27", "since main's float32 kernels commit: float32 atanh near +-1 loses precision "
          "(atanh(erf(3.0)): torch 5.7062, ember off past 1e-4)",
          all_(cat("value(float32)"), op("*atanh", "*arctanh", "*atanh_", "*arctanh_")),
          "x1 = lib.tensor([3.0, 0.25])\nt2 = x1.erf()\nt3 = t2.arctanh()"),
    # --- autograd rules
    Entry("F25", "second-order gradients at infinities or divisions by zero: inf * 0 and "
          "inf - inf resolve to NaN where torch's formulas give 0 or inf (elu at +inf, div)",
          all_(cat("grad_value"), code(r"create_graph"), detail(r"nan|inf"))),
    Entry("F23", "retain_grad with create_graph: the retained .grad does not require grad "
          "(torch: it is part of the new graph), and a double backward adds into it",
          all_(cat("grad_requires_grad", "grad_value", "grad_is_leaf", "grad_grad_fn"),
               code(r"retain_grad"), code(r"create_graph")),
          "x1 = lib.tensor([0.5, 1.0], requires_grad=True)\nt2 = x1 * 2\nt3 = t2.erf()\n"
          "t2.retain_grad()\nl1 = t3.mean()\n"
          "g1 = lib.autograd.grad(l1, [x1], create_graph=True)"),
    Entry("F22", "var/std backward with correction >= the number of elements: NaN (torch "
          "finite, -0)",
          all_(any_(cat("grad_value"), op("autograd.grad*")), code(r"\bvar|\bstd"),
               ember_side("nan")),
          "x1 = lib.tensor([0.5, 0.5], dtype=lib.float64, requires_grad=True)\n"
          "t2 = lib.var(x1[1:], 0, correction=2)\nl1 = t2.mean()\n"
          "g1 = lib.autograd.grad(l1, [x1], create_graph=True)"),
    Entry("S16", "gradients keep the dtype of the op's output (softmax(dtype=float64), where "
          "with mixed dtypes) instead of the input's",
          any_(cat("grad_dtype"), all_(cat("dtype"), op("autograd.grad*"))),
          "x1 = lib.tensor([[2.0]], requires_grad=True)\n"
          "t2 = x1.log_softmax(0, dtype=lib.float64)\nl1 = t2.sum()\n"
          "g1 = lib.autograd.grad(l1, [x1])"),
    Entry("S18", "relu/hardtanh/clamp/elu-family backward handle NaN inputs otherwise than "
          "torch (drop the gradient, or give NaN where torch's branch gives a number)",
          all_(any_(cat("grad_value"), op("autograd.grad*")),
               code(r"relu|hardtanh|clamp|clip|elu|silu|mish|softplus|gelu")),
          "x1 = lib.tensor([float('nan'), 2.0], requires_grad=True)\nt2 = lib.relu(x1)\n"
          "l1 = t2.sum()\nl1.backward()"),
    Entry("C15", "create_graph=True gradients that are constant come back with "
          "requires_grad=False",
          all_(cat("requires_grad", "grad_fn"), op("autograd.grad(create_graph)")),
          "x1 = lib.tensor([0.5, 3.0], requires_grad=True)\n"
          "t2 = lib.nn.functional.relu6(x1)\nl1 = t2.sum()\n"
          "g1 = lib.autograd.grad(l1, [x1], create_graph=True)"),
    # --- errors and missing API
    Entry("F1", "Tensor methods, in-place spellings and arguments torch has and ember lacks "
          "(cumsum_, cumprod_, tril_, triu_, bitwise_*_, comparison in-place forms, "
          "broadcast_to, div_(rounding_mode=), copy_(number))",
          any_(all_(cat("raise:", "exc_type:"), detail("has no attribute|unexpected keyword "
                                                       "argument 'rounding_mode'")),
               all_(cat("raise:TypeError", "exc_type:"), op("Tensor.copy_"))),
          "x1 = lib.tensor([1.0, 2.0])\nt2 = x1.cumsum_(0)"),
    Entry("F2", "out=: most ember functions reject it (TypeError), and where accepted, "
          "resizing, casting and the autograd check differ",
          any_(op("*(out=)"), all_(cat("end_"), code(r"out=o"))),
          "x1 = lib.tensor([1.0, 2.0])\no2 = lib.zeros((2,))\nt3 = lib.exp(x1, out=o2)"),
    Entry("C2", "norm(p='fro'/None) over 3 or more dims raises",
          all_(cat("raise:"), detail("matrix_norm")),
          "x1 = lib.ones(2, 3, 4)\nt2 = x1.norm()"),
    Entry("C7", "uint8 with negative or > 255 Python ints raises OverflowError (torch wraps)",
          detail(r"out of bounds for uint8|OverflowError"),
          "x1 = lib.tensor([1, 2], dtype=lib.uint8)\nt2 = x1 - -1"),
    Entry("C8", "0-d, empty and bool edge cases raise NumPy's or Python's internal errors, "
          "or errors torch does not raise (negative integer powers, movedim, diff of bool, "
          "softmax of empty)",
          all_(cat("raise:", "exc_type:"),
               detail(r"zero-size array|tuple index out of range|list assignment index|"
                      r"StopIteration|negative integer powers|numpy boolean subtract|"
                      r"not implemented for 'Int'|not implemented for 'Long'|"
                      r"not implemented for 'Byte'|cannot reshape tensor of 0 elements")),
          "x1 = lib.tensor([True, False, True])\nt2 = lib.diff(x1)"),
    Entry("E1", "dtype-dispatch errors are RuntimeError or TypeError (torch "
          "NotImplementedError) and name the wrong dtype",
          cat("exc_type:NotImplementedError", "exc_type:RuntimeError->NotImplementedError"),
          "x1 = lib.tensor([1.5])\nt2 = x1 & 1"),
    Entry("E9", "other bad inputs raise another exception type than torch (IndexError for "
          "RuntimeError and back: addbmm/baddbmm dims, index_add bounds, std of ints, "
          "float16 linalg; argument-type errors checked after the leaf in-place check)",
          cat("exc_type:"),
          "x1 = lib.ones(2, 3)\nt2 = x1.addbmm(lib.ones(2, 3), lib.ones(3, 2))"),
    Entry("E10", "torch refuses, ember computes: bool/dtype kernels torch lacks (vdot, bmm, "
          "kthvalue, pow of bool), Boolean alpha for non-bool results, integer reductions "
          "needing grad, view of incompatible strides, repeated dims, 0-d pad/layer_norm",
          cat("no_raise"),
          "x1 = lib.tensor([True])\nt2 = x1.vdot(x1)"),
    # --- names
    Entry("N1", "grad_fn names after in-place ops on views (torch AsStridedBackward0 / "
          "CopySlices), zero_/fill_/squeeze_ overload digits, reshape of views "
          "(ReshapeAliasBackward0), higher order (SliceBackwardBackward0), contiguous() of "
          "a result torch lays out contiguously",
          cat("grad_fn", "end_grad_fn"),
          "x1 = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
          "t2 = x1 * 1\nt3 = t2[1:]\nt4 = t3.mul_(2)"),
]


def classify(finding: Any) -> str:
    """The id of the first entry matching ``finding``, or ``UNEXPLAINED``."""
    for entry in DELIBERATE + KNOWN_UNFIXED:
        try:
            if entry.match(finding):
                return entry.id
        except Exception:  # noqa: BLE001 - a predicate that cannot read the finding: no match
            continue
    return "UNEXPLAINED"
