"""How to call an op of each signature kind at random: pick inputs from the pool, draw
parameters that are mostly valid for them, choose a spelling (Tensor method, ``lib.``
function, in-place, ``out=``, operator) and emit the statement.

Each kind is a function ``(g, name, **params)``; ``spec.py`` says which kind each op is.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from .gen import FLOATS, Gen, fmt, spellings

SPELLING_WEIGHTS = {"method": 4, "function": 3, "inplace": 3, "out": 1}


def base_var(ref: str) -> str:
    return ref.split("[", 1)[0]


def argstring(args: tuple = (), kw: dict | None = None) -> str:
    return ", ".join([*map(str, args), *(f"{k}={v}" for k, v in (kw or {}).items())])


def call(g: Gen, name: str, x: str, args: tuple = (), kw: dict | None = None, *,
         view: bool = False, inplace: bool = True, out: bool = True, method: bool = True,
         function: bool = True, namespace: str = "lib") -> str | None:
    """Emits ``name`` applied to ``x`` in one of the spellings torch has for it."""
    sp = spellings(name) if namespace == "lib" else {"function": True, "method": False,
                                                      "inplace": False, "out": False}
    options = {"method": method and sp["method"], "function": function and sp["function"],
               "inplace": inplace and sp["inplace"], "out": out and sp["out"] and sp["function"]}
    names = [k for k, ok in options.items() if ok]
    if not names:
        return None
    how = g.rng.choices(names, [SPELLING_WEIGHTS[k] for k in names])[0]
    xv = g.val(x)
    if how == "inplace" and xv.is_leaf and xv.requires_grad and g.chance(0.85):
        how = "method" if options["method"] else "function"
        if not options[how]:
            return None
    a = argstring(args, kw)
    sep = ", " if a else ""
    if how == "method":
        return g.assign(f"{x}.{name}({a})", f"Tensor.{name}", view, source=x)
    if how == "function":
        return g.assign(f"{namespace}.{name}({x}{sep}{a})", f"{namespace}.{name}", view,
                        source=x)
    if how == "inplace":
        return inplace_call(g, f"{x}.{name}_({a})", f"Tensor.{name}_", x)
    return out_call(g, f"lib.{name}({x}{sep}{a}", f"lib.{name}(out=)")


def inplace_call(g: Gen, expr: str, op: str, receiver: str) -> str | None:
    """``tN = receiver.op_(...)``: the result and the receiver (and every view of it, at the
    end) are observed."""
    name = g.new()
    code = f"{name} = {expr}"
    if g.chance(0.1):
        code = f"with lib.no_grad(): {code}"
    if overlaps(g, receiver, expr.split("(", 1)[-1]):
        op += "[overlap]"
    if not g.emit(code, op, (name, base_var(receiver))):
        return None
    g.add_to_pool(name)
    return name


REF = re.compile(r"\b[a-z]\d+(?:\[\d+\])?")


def overlaps(g: Gen, receiver: str, args: str) -> bool:
    """Whether an operand of an in-place op shares memory with the tensor it writes: torch
    refuses what it detects and leaves the rest undefined (its result then depends on its
    loop order), so such statements are marked ``[overlap]`` (allow-list D4)."""
    try:
        target = g.val(receiver)
        ptr = target.untyped_storage().data_ptr()
        for ref in REF.findall(args):
            v = g.val(ref)
            if (ref != receiver and isinstance(v, torch.Tensor) and v.numel()
                    and v.untyped_storage().data_ptr() == ptr):
                return True
    except Exception:  # noqa: BLE001 - an unreadable operand is no evidence of overlap
        return False
    return False


def out_call(g: Gen, open_expr: str, op: str) -> str | None:
    """``open_expr`` is a call without its closing parenthesis: runs it in torch to learn the
    result, makes an ``out`` tensor (its dtype and shape usually the result's), then calls
    with ``out=``."""
    try:
        with torch.no_grad():
            result = eval(open_expr + ")", g.ns)  # noqa: S307
    except Exception:  # noqa: BLE001 - a call torch rejects gets no out= spelling
        return None
    if not isinstance(result, torch.Tensor):
        return None
    dtype = str(result.dtype).split(".")[-1] if g.chance(0.8) else g.dtype()
    shape = tuple(result.shape) if g.chance(0.75) else (0,)
    o = g.new("o")
    if not g.emit(f"{o} = lib.zeros({shape}, dtype=lib.{dtype})", "lib.zeros", (o,)):
        return None
    g.pool.append(o)
    name = g.new()
    code = f"{name} = {open_expr}, out={o})"
    if g.chance(0.7):
        code = f"with lib.no_grad(): {code}"
    if not g.emit(code, op, (name, o)):
        return None
    g.add_to_pool(name)
    return name


def partner(g: Gen, t: Any, scalar_p: float = 0.3) -> str:
    """A second operand for ``t``: a Python number, a pool tensor whose shape broadcasts with
    ``t``'s, or a fresh leaf of a broadcastable shape."""
    if g.chance(scalar_p):
        return fmt(g.scalar(t))
    shape = tuple(t.shape)
    refs = [r for r in g.pool if broadcasts(tuple(g.val(r).shape), shape)]
    if refs and g.chance(0.8):
        return g.choice(refs)
    k = g.rng.randint(0, len(shape))
    sub = [1 if g.chance(0.3) else s for s in shape[len(shape) - k:]]
    return g.leaf(shape=tuple(sub), dtype=None if g.chance(0.4) else str(t.dtype)[6:])


def broadcasts(a: tuple, b: tuple) -> bool:
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def is_float(t: Any) -> bool:
    return t.dtype.is_floating_point


# ---------------------------------------------------------------------------------------------
# kinds


def unary(g: Gen, name: str, params: Any = None) -> Any:
    x = g.pick(prefer_grad=True)
    kw = params(g, g.val(x)) if params else {}
    return call(g, name, x, kw=kw)


def binary(g: Gen, name: str, alpha: bool = False, rounding: bool = False,
           floats_only: bool = False) -> Any:
    x = g.pick(is_float if floats_only else None, prefer_grad=True)
    if x is None:
        return None
    y = partner(g, g.val(x))
    kw = {}
    if alpha and g.chance(0.3):
        kw["alpha"] = fmt(g.scalar(g.val(x)))
    if rounding and g.chance(0.4):
        kw["rounding_mode"] = repr(g.choice(["trunc", "floor"]))
    return call(g, name, x, (y,), kw)


OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "//": "floor_divide",
             "%": "remainder", "**": "pow", "&": "and", "|": "or", "^": "xor", "==": "eq",
             "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "@": "matmul"}


def operator(g: Gen, sym: str) -> Any:
    """``x OP y``, ``number OP x`` (the reflected method) or ``x OP= y``."""
    sym = sym.removeprefix("op:")
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    y = partner(g, xv)
    r = g.rng.random()
    if sym in ("==", "!=", "<", "<=", ">", ">=", "@") or r < 0.6:
        return g.assign(f"{x} {sym} {y}", f"op:{sym}")
    if r < 0.75:
        return g.assign(f"{fmt(g.scalar(xv))} {sym} {x}", f"op:r{sym}")
    receiver = base_var(x)
    if receiver != x or (xv.is_leaf and xv.requires_grad and g.chance(0.85)):
        return None
    name = g.new()
    op = f"op:{sym}=" + ("[overlap]" if overlaps(g, receiver, y) else "")
    if not g.emit(f"{receiver} {sym}= {y}; {name} = {receiver}", op, (name, receiver)):
        return None
    g.add_to_pool(name)
    return name


def where(g: Gen, name: str) -> Any:
    a = g.pick(prefer_grad=True)
    av = g.val(a)
    cond = g.pick(lambda t: t.dtype == torch.bool and broadcasts(tuple(t.shape), tuple(av.shape)))
    if cond is None or g.chance(0.5):
        cond = f"{a} > {fmt(g.scalar(av, 'fi'))}"
    b = partner(g, av, scalar_p=0.3)
    if g.chance(0.5):
        return g.assign(f"lib.where({cond}, {a}, {b})", "lib.where")
    return g.assign(f"{a}.where({cond}, {b})", "Tensor.where")


def ternary(g: Gen, name: str) -> Any:
    """lerp(x, end, weight), addcmul/addcdiv(x, t1, t2, value=)."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    if name == "lerp":
        w = partner(g, xv, scalar_p=0.5)
        if not w[0].isalpha():
            w = fmt(float(g.rng.randint(-4, 8) / 4))
        return call(g, name, x, (partner(g, xv, 0.0), w))
    kw = {"value": fmt(g.scalar(xv))} if g.chance(0.3) else {}
    return call(g, name, x, (partner(g, xv, 0.0), partner(g, xv, 0.0)), kw)


def clamp(g: Gen, name: str) -> Any:
    x = g.pick(prefer_grad=True)
    xv = g.val(x)

    def bound() -> str:
        return partner(g, xv, scalar_p=0.7) if g.chance(0.85) else "None"

    if name in ("clamp_min", "clamp_max"):
        return call(g, name, x, (bound(),))
    lo, hi = bound(), bound()
    if g.chance(0.5):
        return call(g, name, x, (lo, hi))
    return call(g, name, x, kw={"min": lo, "max": hi})


def reduce(g: Gen, name: str, dims: str = "many", keepdim: bool = True, dtype_kw: bool = False,
           extra: Any = None, need_dim: bool = False, no_dim: bool = True) -> Any:
    """A reduction: over everything, one dim or several, with ``keepdim`` and ``dtype=``."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    args: tuple = ()
    kw: dict = {}
    r = g.rng.random()
    if (need_dim or not no_dim or r < 0.7) and dims != "none":
        if dims == "many" and xv.dim() > 1 and g.chance(0.3):
            n = g.rng.randint(1, xv.dim())
            args = (str(tuple(g.rng.sample(range(xv.dim()), n))),)
        else:
            args = (g.dim(xv),)
        if keepdim and g.chance(0.4):
            kw["keepdim"] = g.choice(["True", "False"])
    if dtype_kw and g.chance(0.2):
        kw["dtype"] = f"lib.{g.choice(['float64', 'float32', 'int64'])}"
    if extra:
        kw.update(extra(g, xv))
    return call(g, name, x, args, kw, inplace=False)


def dim_op(g: Gen, name: str, dtype_kw: bool = False, extra: Any = None,
           inplace: bool = True) -> Any:
    """An op along one dim (softmax, cumsum, sort, ...)."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    kw: dict = {"dim": g.dim(xv)} if g.chance(0.5) else {}
    args = () if kw else (g.dim(xv),)
    if dtype_kw and g.chance(0.2):
        kw["dtype"] = f"lib.{g.choice(['float64', 'float32'])}"
    if extra:
        kw.update(extra(g, xv))
    return call(g, name, x, args, kw, inplace=inplace)


def topk_like(g: Gen, name: str) -> Any:
    """topk/kthvalue/sort/argsort/median: orders among ties are torch's implementation choice,
    so these are drawn only on inputs without ties along the dim (or with ``stable=True``)."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    d = g.dim(xv, allow_bad=False)
    kw: dict = {}
    args: tuple = ()
    size = xv.shape[d] if xv.dim() else 1
    if name in ("topk", "kthvalue"):
        args = (g.rng.randint(1, max(size, 1)), d) if g.chance(0.9) else (size + 1, d)
        if name == "topk" and g.chance(0.3):
            kw["largest"] = "False"
    elif name in ("sort", "argsort"):
        args = (d,)
        if g.chance(0.4):
            kw["descending"] = "True"
    elif name in ("median", "nanmedian", "msort"):
        args = () if name == "msort" or g.chance(0.3) else (d,)
    if has_ties(xv, d if args or name == "msort" else None) and name != "msort":
        if name in ("sort", "argsort"):
            kw["stable"] = "True"
            kw["dim"] = d  # stable is keyword-only, and then so is dim
            args = ()
        else:
            return None
    return call(g, name, x, args, kw, inplace=False)


def has_ties(t: Any, dim: int | None) -> bool:
    if t.numel() < 2:
        return False
    v = t.detach().double()
    if dim is None:
        v = v.reshape(-1, 1)
        dim = 0
    s = v.sort(dim).values
    ties = s.diff(dim=dim) == 0
    return bool(ties.any()) or bool(torch.isnan(v).any())


def nn_unary(g: Gen, name: str, params: Any = None) -> Any:
    name = name.removeprefix("F.")
    x = g.pick(is_float, prefer_grad=True)
    if x is None:
        return None
    kw = params(g, g.val(x)) if params else {}
    if g.chance(0.15) and name in INPLACE_F:
        kw["inplace"] = "True"
    return g.assign(f"lib.nn.functional.{name}({x}{', ' if kw else ''}{argstring(kw=kw)})",
                    f"F.{name}")


INPLACE_F = {"relu", "elu", "leaky_relu", "hardtanh", "silu", "mish"}


def float_leaf_dtype(g: Gen) -> str:
    return g.choice(FLOATS)
