"""Which ops the fuzzer draws, and how: every public op of ember's op table, by signature kind.

The table is drawn from ember itself (``public_ops``): the functions each ``ember.ops`` module
exports and the Tensor methods they bind. Elementwise unary primitives (``UnaryOp`` with
``elementwise = True``) join by themselves; every other op has one line in ``SPEC`` below (its
kind and parameters) or one in ``EXCLUDED`` with the reason. ``test_fuzz.py`` fails when a
public op is in neither, so a new op cannot be left out silently.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from . import kinds as K
from . import kinds_shape as S
from .gen import Gen, fmt


def _round(g: Gen, x: Any) -> dict:
    return {"decimals": g.rng.randint(-1, 2)} if g.chance(0.4) else {}


def _nan_to_num(g: Gen, x: Any) -> dict:
    return {k: fmt(g.rng.randint(-8, 8) / 2) for k in ("nan", "posinf", "neginf")
            if g.chance(0.4)}


def _correction(g: Gen, x: Any) -> dict:
    r = g.rng.random()
    if r < 0.3:
        return {"correction": g.rng.randint(0, 2)}
    if r < 0.5:
        return {"unbiased": g.choice(["True", "False"])}
    return {}


def _norm_p(g: Gen, x: Any) -> dict:
    return {"p": g.choice(["1", "2", "3", "float('inf')", "'fro'"])} if g.chance(0.5) else {}


def _unique(g: Gen, name: str) -> Any:
    x = g.pick()
    kw = {k: "True" for k in ("return_inverse", "return_counts") if g.chance(0.4)}
    if g.chance(0.2) and g.val(x).dim():
        kw["dim"] = g.dim(g.val(x), False)
    return K.call(g, name, x, (), kw, inplace=False, out=False)


def _gelu(g: Gen, x: Any) -> dict:
    return {"approximate": "'tanh'"} if g.chance(0.3) else {}


def _slope(g: Gen, x: Any) -> dict:
    return {"negative_slope": fmt(g.rng.randint(-2, 4) / 4)} if g.chance(0.4) else {}


def _loss(g: Gen, name: str) -> Any:
    """F.mse_loss and friends: a target of the input's shape, and a reduction."""
    name = name.removeprefix("F.")
    x = g.pick(K.is_float, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    target = g.leaf(tuple(xv.shape), str(xv.dtype)[6:] if g.chance(0.8) else None)
    kw = {"reduction": repr(g.choice(["mean", "sum", "none"]))} if g.chance(0.5) else {}
    return g.assign(f"lib.nn.functional.{name}({x}, {target}{K.argstring((), kw) and ', '}"
                    f"{K.argstring((), kw)})", f"F.{name}")


def _f_dim(g: Gen, name: str) -> Any:
    """F.softmax / log_softmax / softmin / normalize / layer_norm over the last dims."""
    name = name.removeprefix("F.")
    x = g.pick(K.is_float, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    if name == "layer_norm":
        shape = tuple(xv.shape[-g.rng.randint(1, max(xv.dim(), 1)):]) if xv.dim() else ()
        return g.assign(f"lib.nn.functional.layer_norm({x}, {shape})", "F.layer_norm")
    arg = f"dim={g.dim(xv)}"
    return g.assign(f"lib.nn.functional.{name}({x}, {arg})", f"F.{name}")


def _pad(g: Gen, name: str) -> Any:
    x = g.pick(lambda t: t.dim() >= 1, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    mode = g.choice(["constant", "constant", "reflect", "replicate", "circular"])
    pads = tuple(g.rng.randint(-1 if mode == "constant" else 0, 2) for _ in range(2))
    extra = f", value={fmt(g.scalar(xv))}" if mode == "constant" and g.chance(0.3) else ""
    x2 = x if mode == "constant" else f"{x}.reshape(1, 1, -1)"
    return g.assign(f"lib.nn.functional.pad({x2}, {pads}, mode={mode!r}{extra})", "F.pad")


def _linear(g: Gen, name: str) -> Any:
    x = g.pick(lambda t: K.is_float(t) and t.dim() >= 1, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    dt = str(xv.dtype)[6:]
    n = g.rng.randint(1, 3)
    w = g.leaf((n, xv.shape[-1]), dt)
    b = g.leaf((n,), dt) if g.chance(0.6) else "None"
    return g.assign(f"lib.nn.functional.linear({x}, {w}, {b})", "F.linear")


def _spatial(g: Gen, name: str) -> Any:
    """Convolutions and pools: a pool value reshaped to (1, 1, L) or (1, 1, H, W)."""
    name = name.removeprefix("F.")
    two = name.endswith("2d")
    x = g.pick(lambda t: K.is_float(t) and 2 <= t.numel(), prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    n = xv.numel()
    h = 2 if two and n % 2 == 0 else 1
    shape = (1, 1, h, n // h) if two else (1, 1, n)
    base = g.new()
    if not g.emit(f"{base} = {x}.reshape{shape}", "reshape", (base,)):
        return None
    g.pool.append(base)
    dt = str(xv.dtype)[6:]
    k = g.rng.randint(1, min(2, h if two else n))
    kernel = (k, k) if two else (k,)
    fn = f"lib.nn.functional.{name}" if g.chance(0.6) or name.startswith("conv_t") else (
        f"lib.{name}")
    if name.startswith("conv"):
        w = g.leaf((1, g.rng.randint(1, 2), *kernel) if "transpose" in name else
                   (g.rng.randint(1, 2), 1, *kernel), dt)
        b = g.leaf((g.val(w).shape[1 if "transpose" in name else 0],), dt) if g.chance(0.5) \
            else "None"
        extra = f", stride={g.rng.randint(1, 2)}" if g.chance(0.3) else ""
        return g.assign(f"{fn}({base}, {w}, {b}{extra})", f"F.{name}")
    if name.startswith("adaptive"):
        size = g.rng.randint(1, 2)
        return g.assign(f"{fn}({base}, {(1, size) if two else size})", f"F.{name}")
    extra = f", stride={g.rng.randint(1, 2)}" if g.chance(0.3) else ""
    return g.assign(f"{fn}({base}, {k}{extra})", f"F.{name}")


U = K.unary
B = K.binary
R = K.reduce
V = S.view

# name -> (kind, weight, parameters)
SPEC: dict[str, tuple[Any, float, dict]] = {
    # elementwise with parameters (the plain unary ones come from the op table itself)
    "round": (U, 1, {"params": _round}),
    "nan_to_num": (U, 1, {"params": _nan_to_num}),
    "square": (U, 1, {}), "neg": (U, 1, {}), "negative": (U, 0.5, {}),
    "isfinite": (U, 0.5, {}), "isinf": (U, 0.5, {}), "isnan": (U, 0.5, {}),
    "isneginf": (U, 0.3, {}), "isposinf": (U, 0.3, {}), "logical_not": (U, 0.5, {}),
    "bitwise_not": (U, 0.5, {}),
    "clamp": (K.clamp, 1.5, {}), "clip": (K.clamp, 0.5, {}), "clamp_min": (K.clamp, 0.5, {}),
    "clamp_max": (K.clamp, 0.5, {}),
    "add": (B, 2, {"alpha": True}), "sub": (B, 1.5, {"alpha": True}),
    "subtract": (B, 0.5, {"alpha": True}), "mul": (B, 2, {}), "multiply": (B, 0.5, {}),
    "div": (B, 1.5, {"rounding": True}), "divide": (B, 0.5, {"rounding": True}),
    "true_divide": (B, 0.5, {}), "floor_divide": (B, 1, {}), "remainder": (B, 1, {}),
    "fmod": (B, 1, {}), "pow": (B, 1.5, {}), "atan2": (B, 0.5, {}), "arctan2": (B, 0.3, {}),
    "maximum": (B, 1, {}), "minimum": (B, 1, {}), "fmax": (B, 0.5, {}), "fmin": (B, 0.5, {}),
    "eq": (B, 0.5, {}), "ne": (B, 0.5, {}), "lt": (B, 0.5, {}), "le": (B, 0.5, {}),
    "gt": (B, 0.5, {}), "ge": (B, 0.5, {}), "not_equal": (B, 0.2, {}), "less": (B, 0.2, {}),
    "less_equal": (B, 0.2, {}), "greater": (B, 0.2, {}), "greater_equal": (B, 0.2, {}),
    "equal": (B, 0.3, {}), "logical_and": (B, 0.5, {}), "logical_or": (B, 0.5, {}),
    "logical_xor": (B, 0.5, {}), "bitwise_and": (B, 0.5, {}), "bitwise_or": (B, 0.5, {}),
    "bitwise_xor": (B, 0.5, {}),
    "where": (K.where, 1.5, {}), "lerp": (K.ternary, 1, {}), "addcmul": (K.ternary, 1, {}),
    "addcdiv": (K.ternary, 1, {}),
    # reductions
    "sum": (R, 3, {"dtype_kw": True}), "mean": (R, 2, {"dtype_kw": True}),
    "nansum": (R, 0.5, {"dtype_kw": True}), "nanmean": (R, 0.5, {"dtype_kw": True}),
    "prod": (R, 1, {"dims": "one", "dtype_kw": True}), "amax": (R, 1, {}), "amin": (R, 1, {}),
    "all": (R, 0.5, {}), "any": (R, 0.5, {}), "logsumexp": (R, 1, {"need_dim": True}),
    "count_nonzero": (R, 0.5, {"keepdim": False}),
    "std": (R, 1, {"extra": _correction}), "var": (R, 1, {"extra": _correction}),
    "std_mean": (R, 0.5, {"extra": _correction}), "var_mean": (R, 0.5, {"extra": _correction}),
    "norm": (R, 1, {"extra": _norm_p}), "argmax": (R, 1, {"dims": "one"}),
    "argmin": (R, 1, {"dims": "one"}), "max": (R, 1.5, {"dims": "one"}),
    "min": (R, 1.5, {"dims": "one"}),
    "median": (K.topk_like, 1, {}), "nanmedian": (K.topk_like, 0.5, {}),
    "kthvalue": (K.topk_like, 1, {}), "topk": (K.topk_like, 1, {}),
    "sort": (K.topk_like, 1, {}), "argsort": (K.topk_like, 1, {}),
    "msort": (K.topk_like, 0.3, {}),
    "cumsum": (K.dim_op, 1, {"dtype_kw": True}), "cumprod": (K.dim_op, 1, {"dtype_kw": True}),
    "softmax": (K.dim_op, 1, {"dtype_kw": True, "inplace": False}),
    "log_softmax": (K.dim_op, 1, {"dtype_kw": True, "inplace": False}),
    "unique": (_unique, 0.5, {}),
    # views and shape
    **{n: (V, 1, {}) for n in (
        "view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
        "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "t", "adjoint", "expand",
        "broadcast_to", "narrow", "select", "diagonal", "unbind", "split", "chunk",
        "tensor_split", "view_as", "reshape_as", "expand_as", "ravel", "contiguous", "clone",
        "atleast_1d", "atleast_2d", "atleast_3d")},
    **{n: (S.attribute, 0.5, {}) for n in ("T", "mT", "H", "mH")},
    **{n: (S.shape_op, 1, {}) for n in (
        "flip", "fliplr", "flipud", "roll", "repeat", "tile", "repeat_interleave", "tril", "triu",
        "diag", "diag_embed", "diff", "trace")},
    **{n: (S.join, 1, {}) for n in ("cat", "concat", "concatenate", "stack", "hstack",
                                    "vstack", "dstack", "column_stack")},
    **{n: (S.multi, 0.5, {}) for n in ("broadcast_tensors", "meshgrid", "cartesian_prod")},
    # indexing
    **{n: (S.index_op, 1, {}) for n in (
        "gather", "scatter", "scatter_add", "index_select", "index_add", "index_copy",
        "index_fill", "masked_fill", "masked_select", "masked_scatter", "take",
        "take_along_dim", "nonzero", "argwhere")},
    "getitem": (S.getitem, 5, {}), "setitem": (S.setitem, 4, {}),
    # linear algebra
    **{n: (S.matmul, 1, {}) for n in (
        "matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "addmm", "addmv", "addr",
        "addbmm", "baddbmm", "tensordot", "kron", "cross")},
    "einsum": (S.einsum, 1, {}),
    **{n: (S.square, 0.4, {}) for n in ("det", "logdet", "slogdet", "inverse", "pinverse",
                                          "qr", "svd")},
    # plain writes, operators, bases for in-place ops
    **{n: (S.inplace_misc, 1.5, {}) for n in ("copy_", "fill_", "zero_")},
    **{f"op:{s}": (K.operator, 0.8, {}) for s in K.OPERATORS if s != "@"},
    "base": (lambda g, name: S.fresh_base(g), 3, {}),
    # nn.functional spellings of table ops
    **{f"F.{n}": (K.nn_unary, 0.4, {}) for n in (
        "relu", "relu6", "selu", "elu", "silu", "mish", "softplus", "logsigmoid", "hardtanh",
        "sigmoid", "tanh")},
    "F.gelu": (K.nn_unary, 0.4, {"params": _gelu}),
    "F.leaky_relu": (K.nn_unary, 0.4, {"params": _slope}),
    **{f"F.{n}": (_f_dim, 0.4, {}) for n in ("softmax", "log_softmax", "softmin", "normalize",
                                              "layer_norm")},
    **{f"F.{n}": (_loss, 0.4, {}) for n in ("mse_loss", "l1_loss", "smooth_l1_loss",
                                            "huber_loss", "binary_cross_entropy_with_logits")},
    "F.pad": (_pad, 0.5, {}), "F.linear": (_linear, 0.5, {}),
    **{n: (_spatial, 0.3, {}) for n in (
        "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "avg_pool1d", "avg_pool2d",
        "max_pool1d", "max_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d")},
}

# Public ops the fuzzer does not draw, and why.
EXCLUDED = {
    "bernoulli": "random: outputs are not comparable draw by draw",
    "multinomial": "random", "normal": "random", "poisson": "random",
    **{m: "random (in-place draw)" for m in (
        "bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_", "normal_",
        "random_", "uniform_")},
    "broadcast_shapes": "takes shapes, no tensors (tests/ops/test_shape.py)",
    "tril_indices": "factory of constants (tests/ops); no tensor input to fuzz",
    "triu_indices": "factory of constants (tests/ops); no tensor input to fuzz",
    "split_with_sizes": "the method spelling of split([sizes]), drawn through split",
    "sum_to_size": "reduction to a shape: drawn rarely enough to leave to tests/ops",
    "isclose": "boolean tolerance test, not differentiable (its op-table samples and "
               "tests/ops/pointwise/test_closeness.py compare it with torch)",
    "allclose": "returns a Python bool, not a tensor (as isclose)",
}

# spellings that are drawn through another name's entry (in-place forms, aliases)
ALIASES = {"abs_": "abs", "clip_": "clip"}


def public_ops() -> set[str]:
    """Every public op of ember's table: names the ``ember.ops`` modules export, and the Tensor
    methods they bind (in-place spellings folded into their op)."""
    import ember
    import ember.ops

    names: set[str] = set()
    for info in pkgutil.walk_packages(ember.ops.__path__, "ember.ops."):
        module = importlib.import_module(info.name)
        names.update(getattr(module, "__all__", ()))
    for name, value in vars(ember.Tensor).items():
        fn = value.fget if isinstance(value, property) else value
        module = getattr(fn, "__module__", "") or ""
        if module.startswith("ember.ops") and callable(fn) and not name.startswith("_"):
            names.add(name)
    return names


def table_unary() -> list[str]:
    """The elementwise unary ops of the op table (``UnaryOp`` subclasses with
    ``elementwise = True``), by their method names: they need no line in SPEC."""
    import ember  # noqa: F401 - registers the ops
    from ember.ops._op import REGISTRY, UnaryOp

    names = []
    for cls in REGISTRY.values():
        if isinstance(cls, type) and issubclass(cls, UnaryOp) and cls.elementwise:
            names += [m for m in cls.methods if not m.startswith("_")]
    return names


def unlisted() -> list[str]:
    """Public ops neither drawn nor excluded (the coverage test asserts there are none)."""
    drawn = set(SPEC) | set(table_unary()) | set(EXCLUDED)
    out = []
    for name in sorted(public_ops()):
        stem = name[:-1] if name.endswith("_") and name not in drawn else name
        if name in drawn or stem in drawn or ALIASES.get(name) in drawn:
            continue
        out.append(name)
    return out


def entries() -> list[tuple[str, Any, float, dict]]:
    """(name, kind, weight, params) for every drawn op."""
    out = [(n, k, w, p) for n, (k, w, p) in SPEC.items()]
    listed = set(SPEC)
    for name in table_unary():
        if name not in listed:
            listed.add(name)
            out.append((name, K.unary, 1.0, {}))
    return out


ENTRIES = entries()
WEIGHTS = [w for _, _, w, _ in ENTRIES]


def draw(g: Gen) -> Any:
    name, kind, _, params = g.rng.choices(ENTRIES, WEIGHTS)[0]
    return kind(g, name, **params) if params else kind(g, name)

