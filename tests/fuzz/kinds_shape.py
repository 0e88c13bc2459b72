"""Kinds for shape, view, joining, indexing and linear-algebra ops (see kinds.py)."""

from __future__ import annotations

import math
from typing import Any

import torch

from .gen import Gen, fmt
from .kinds import base_var, call, inplace_call, is_float, out_call, partner


def view(g: Gen, name: str) -> Any:
    """The view ops: results share storage with the input, so their strides are compared."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    nd, shape = xv.dim(), tuple(xv.shape)
    r = g.rng
    args: tuple = ()
    view_ = True
    if name in ("view", "reshape"):
        args = tuple(new_shape(g, shape))
        view_ = name == "view"
    elif name == "flatten":
        args = tuple(sorted(g.dim(xv) for _ in range(r.randint(0, 2))))
        view_ = False
    elif name == "unflatten":
        if nd == 0:
            return None
        d = g.dim(xv)
        size = shape[d]
        split = [f for f in range(1, size + 1) if size % f == 0] or [1]
        f = g.choice(split)
        args = (d, (f, -1) if g.chance(0.3) else (f, size // f if f else 0))
    elif name == "squeeze":
        args = () if g.chance(0.4) else (g.dim(xv),) if g.chance(0.7) else (
            tuple(sorted({g.dim(xv, False) for _ in range(2)})),)
    elif name == "unsqueeze":
        args = (r.randint(-nd - 1, nd),)
    elif name in ("transpose", "swapaxes", "swapdims"):
        args = (g.dim(xv), g.dim(xv))
    elif name == "permute":
        p = list(range(nd))
        r.shuffle(p)
        args = tuple(p)
    elif name in ("movedim", "moveaxis"):
        args = (g.dim(xv), g.dim(xv))
    elif name in ("expand", "broadcast_to"):
        target = [s if s != 1 or g.chance(0.3) else r.randint(0, 3) for s in shape]
        target = [r.randint(1, 2) for _ in range(r.randint(0, 1))] + target
        if g.chance(0.3) and target:
            target[-1] = -1
        args = tuple(target) if name == "expand" else (tuple(target),)
    elif name == "narrow":
        if nd == 0:
            return None
        d = g.dim(xv)
        start = r.randint(0, shape[d])
        args = (d, start, r.randint(0, shape[d] - start))
    elif name == "select":
        if nd == 0:
            return None
        d = g.dim(xv)
        args = (d, r.randint(-shape[d], shape[d]) if shape[d] else 0)
    elif name == "diagonal":
        if nd < 2:
            return None
        args = (r.randint(-1, 1), *g.rng.sample(range(nd), 2))
    elif name in ("unbind",):
        args = (g.dim(xv),)
    elif name in ("split", "chunk", "tensor_split"):
        if nd == 0:
            return None
        d = g.dim(xv, False)
        size = shape[d]
        if name == "split" and g.chance(0.4) and size:
            cut = r.randint(0, size)
            args = ([cut, size - cut], d)
        else:
            args = (r.randint(1, 3), d)
    elif name in ("t", "adjoint", "contiguous", "clone", "ravel", "atleast_1d", "atleast_2d",
                  "atleast_3d"):
        view_ = name in ("t", "adjoint", "contiguous", "clone")
    elif name in ("view_as", "reshape_as", "expand_as"):
        other = g.pick(lambda t: t.numel() == xv.numel() or name == "expand_as")
        args = (other,)
        view_ = name != "reshape_as"
    if name in ("view", "reshape", "permute", "expand") and len(args) != 1 and g.chance(0.7):
        args = (tuple(args),)  # the function spellings take the sizes as one tuple
    return call(g, name, x, args, view=view_, out=False, inplace=name in (
        "squeeze", "unsqueeze", "t", "transpose", "swapaxes", "swapdims"))


def new_shape(g: Gen, shape: tuple) -> list:
    n = math.prod(shape)
    if n == 0:
        return [0, g.rng.randint(1, 3)] if g.chance(0.5) else [-1, 0] if g.chance(0.3) else [0]
    factors = []
    m = n
    for p in (2, 3, 5, 7, 11, 13):
        while m % p == 0:
            factors.append(p)
            m //= p
    if m > 1:
        factors.append(m)
    g.rng.shuffle(factors)
    out = [1] * g.rng.randint(1, 3)
    for f in factors:
        out[g.rng.randrange(len(out))] *= f
    if g.chance(0.3):
        out[g.rng.randrange(len(out))] = -1
    if g.chance(0.15):
        out.insert(g.rng.randrange(len(out) + 1), 1)
    return out


def attribute(g: Gen, name: str) -> Any:
    """The view properties ``T``, ``mT``, ``H``, ``mH``."""
    x = g.pick(prefer_grad=True)
    return g.assign(f"{x}.{name}", f"Tensor.{name}", view=True)


def getitem(g: Gen, name: str) -> Any:
    """Indexing: ints, slices with steps, None, Ellipsis (views), lists, masks, tensors."""
    x = g.pick(lambda t: t.dim() > 0, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    index, basic = random_index(g, xv)
    return g.assign(f"{x}[{index}]", "getitem" if basic else "getitem(advanced)", view=basic)


def random_index(g: Gen, xv: Any) -> tuple[str, bool]:
    r = g.rng
    parts = []
    basic = True
    for d in range(r.randint(1, xv.dim())):
        size = xv.shape[d]
        c = r.random()
        if c < 0.3 and size:
            parts.append(str(r.randint(-size, size - 1)))
        elif c < 0.65:
            start = r.choice(["", str(r.randint(-size, size))])
            stop = r.choice(["", str(r.randint(-size, size))])
            step = r.choice(["", "", ":2", ":3"])
            parts.append(f"{start}:{stop}{step}")
        elif c < 0.75:
            parts.append("None")
        elif c < 0.82:
            parts.append("...")
        elif c < 0.92 and size:
            basic = False
            parts.append(str([r.randint(-size, size - 1) for _ in range(r.randint(1, 3))]))
        else:
            basic = False
            mask = [r.random() < 0.5 for _ in range(size)]
            parts.append(f"lib.tensor({mask})")
    if parts.count("...") > 1:
        parts = [p for p in parts if p != "..."]
    return ", ".join(parts) or ":", basic


def setitem(g: Gen, name: str) -> Any:
    """``x[index] = value``: a number, a tensor, or a masked write."""
    x = g.pick(lambda t: t.dim() > 0, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    receiver = base_var(x)
    if receiver != x or (xv.is_leaf and xv.requires_grad and g.chance(0.85)):
        return None
    if g.chance(0.2):
        index = f"{x} > {fmt(g.scalar(xv, 'fi'))}"
    else:
        index, _ = random_index(g, xv)
    try:
        target = eval(f"{x}[{index}]", g.ns)  # noqa: S307
        value = partner(g, target, scalar_p=0.5)
    except Exception:  # noqa: BLE001 - a bad index is still a statement both must reject
        value = fmt(g.scalar(xv))
    name_ = g.new()
    if not g.emit(f"{x}[{index}] = {value}; {name_} = {x}", "setitem", (name_, receiver)):
        return None
    g.add_to_pool(name_)
    return name_


def layout(g: Gen, leaf: str) -> Any:
    """Makes an input non-contiguous: transposed, stepped slice, expanded, a diagonal."""
    xv = g.val(leaf)
    choices = []
    if xv.dim() >= 2:
        choices += [f"{leaf}.t()" if xv.dim() == 2 else f"{leaf}.transpose(0, -1)",
                    f"{leaf}.diagonal()", f"{leaf}[:, ::2]", f"{leaf}.mT"]
    if xv.dim() >= 1:
        choices += [f"{leaf}[::2]", f"{leaf}[1:]", f"{leaf}.unsqueeze(0).expand(2, *{leaf}.shape)",
                    f"{leaf}.flip(0)"]
    if any(s == 1 for s in xv.shape):
        choices.append(f"{leaf}.expand({', '.join('3' if s == 1 else '-1' for s in xv.shape)})")
    if not choices:
        return None
    return g.assign(g.choice(choices), "layout", view=True)


def fresh_base(g: Gen) -> Any:
    """``tN = x * 1`` or ``x.clone()`` of a leaf: a non-leaf base that in-place ops may write."""
    x = g.pick(lambda t: t.is_leaf and t.requires_grad)
    if x is None:
        return None
    return g.assign(g.choice([f"{x} * 1", f"{x}.clone()", f"{x} + 0"]), "base")


def join(g: Gen, name: str) -> Any:
    """cat/stack and friends over a list of pool tensors (same or compatible shapes)."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    shape = tuple(xv.shape)
    same = [r for r in g.pool if tuple(g.val(r).shape) == shape]
    if name in ("cat", "concat", "concatenate") and xv.dim() and g.chance(0.5):
        d = g.dim(xv, False) % xv.dim()
        same = [r for r in g.pool
                if g.val(r).dim() == xv.dim()
                and all(a == b for i, (a, b) in enumerate(zip(g.val(r).shape, shape)) if i != d)]
    items = [x] + [g.choice(same) for _ in range(g.rng.randint(0, 2))]
    args: tuple = ()
    if name in ("cat", "concat", "concatenate", "stack"):
        args = (g.dim(xv) if name != "stack" else g.rng.randint(-xv.dim() - 1, xv.dim()),)
    seq = f"[{', '.join(items)}]" if g.chance(0.8) else f"({', '.join(items)},)"
    a = ", ".join(map(str, args))
    expr = f"lib.{name}({seq}{', ' + a if a else ''}"
    if g.chance(0.15):
        return out_call(g, expr, f"lib.{name}(out=)")
    return g.assign(expr + ")", f"lib.{name}")


def multi(g: Gen, name: str) -> Any:
    """broadcast_tensors / meshgrid / cartesian_prod / atleast over several tensors."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    if name == "broadcast_tensors":
        return g.assign(f"lib.broadcast_tensors({x}, {partner(g, xv, 0.0)})", f"lib.{name}")
    ones = [r for r in g.pool if g.val(r).dim() == 1 and g.val(r).dtype == xv.dtype]
    if not ones:
        return None
    items = [g.choice(ones) for _ in range(g.rng.randint(1, 2))]
    kw = f", indexing={g.choice(['ij', 'xy'])!r}" if name == "meshgrid" and g.chance(0.8) else ""
    return g.assign(f"lib.{name}({', '.join(items)}{kw})", f"lib.{name}")


def shape_op(g: Gen, name: str) -> Any:
    """Copying shape ops: flip, roll, repeat, tile, repeat_interleave, tril/triu, diag, ..."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    nd = xv.dim()
    r = g.rng
    args: tuple = ()
    kw: dict = {}
    inplace = False
    if name == "flip":
        args = (tuple({g.dim(xv) for _ in range(r.randint(1, 2))}),)
    elif name == "roll":
        args = (r.randint(-3, 3),) if g.chance(0.3) else (r.randint(-3, 3), g.dim(xv))
    elif name in ("repeat", "tile"):
        args = tuple(r.randint(0 if g.chance(0.1) else 1, 2)
                     for _ in range(nd + r.randint(0, 1) - (name == "tile" and g.chance(0.3))))
        if name == "tile":
            args = (args,)
    elif name == "repeat_interleave":
        args = (r.randint(0, 3),) if g.chance(0.7) else (r.randint(1, 2), g.dim(xv))
    elif name in ("tril", "triu"):
        args = (r.randint(-1, 1),) if g.chance(0.5) else ()
        inplace = True
    elif name in ("diag", "diag_embed"):
        args = (r.randint(-1, 1),) if g.chance(0.5) else ()
    elif name == "diff":
        args = ()
        kw = {"dim": g.dim(xv)} if nd and g.chance(0.5) else {}
        if g.chance(0.2):
            kw["n"] = r.randint(1, 2)
    elif name in ("fliplr", "flipud", "trace"):
        pass
    return call(g, name, x, args, kw, inplace=inplace, out=name not in ("repeat", "tile"))


def index_op(g: Gen, name: str) -> Any:
    """gather/scatter/index_* /masked_* /take with valid (or slightly wrong) indices."""
    x = g.pick(lambda t: t.dim() > 0, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    r = g.rng
    d = g.dim(xv)
    shape = list(xv.shape)
    size = shape[d % len(shape)] if len(shape) else 1

    def index(n: int, bound: int) -> str:
        hi = max(bound - 1, 0)
        vals = [r.randint(0, hi) if bound else 0 for _ in range(n)]
        return f"lib.tensor({vals}, dtype=lib.int64)"

    def index_nd(shape_: list) -> str:
        n = math.prod(shape_)
        vals = [r.randint(0, max(size - 1, 0)) for _ in range(n)]
        return f"lib.tensor({vals}, dtype=lib.int64).reshape({tuple(shape_)})"

    if name in ("index_select", "index_add", "index_copy", "index_fill"):
        k = r.randint(0, 3)
        idx = index(k, size) if name != "index_copy" else (
            f"lib.tensor({r.sample(range(size), min(k, size))}, dtype=lib.int64)")
        k = min(k, size) if name == "index_copy" else k
        if name == "index_select":
            return call(g, name, x, (d, idx), inplace=False)
        if name == "index_fill":
            return call(g, name, x, (d, idx, fmt(g.scalar(xv))), out=False)
        src_shape = list(shape)
        src_shape[d] = k
        src = g.leaf(tuple(src_shape), str(xv.dtype)[6:] if g.chance(0.8) else None)
        kw = {"alpha": fmt(g.scalar(xv))} if name == "index_add" and g.chance(0.3) else {}
        return call(g, name, x, (d, idx, src), kw, out=False)
    if name in ("gather", "take_along_dim"):
        ishape = [r.randint(0, s) if i != d % len(shape) else r.randint(0, 3)
                  for i, s in enumerate(shape)]
        if name == "take_along_dim" and g.chance(0.2):
            return call(g, name, x, (index(r.randint(0, 3), xv.numel()),), inplace=False)
        args = (d, index_nd(ishape)) if name == "gather" else (index_nd(ishape), d)
        return call(g, name, x, args, inplace=False)
    if name in ("scatter", "scatter_add"):
        ishape = [r.randint(0, s) for s in shape]
        src = g.leaf(tuple(ishape), str(xv.dtype)[6:])
        if name == "scatter" and g.chance(0.3):
            return call(g, name, x, (d, index_nd(ishape), fmt(g.scalar(xv))), out=False)
        # duplicate indices make scatter's result depend on write order: unique per column
        uniq = name == "scatter"
        idx = unique_index(g, ishape, d % len(shape), size) if uniq else index_nd(ishape)
        if idx is None:
            return None
        return call(g, name, x, (d, idx, src), out=False)
    if name in ("masked_fill", "masked_scatter", "masked_select"):
        mask = g.pick(lambda t: t.dtype == torch.bool and broadcast_into(t.shape, xv.shape))
        if mask is None or g.chance(0.5):
            mask = f"{x} > {fmt(g.scalar(xv, 'fi'))}"
        if name == "masked_fill":
            value = fmt(g.scalar(xv)) if g.chance(0.7) else f"lib.tensor({fmt(g.scalar(xv))})"
            return call(g, name, x, (mask, value), out=False)
        if name == "masked_select":
            return call(g, name, x, (mask,), inplace=False)
        src = g.leaf((xv.numel() + r.randint(0, 2),), str(xv.dtype)[6:])
        return call(g, name, x, (mask, src), out=False)
    if name == "take":
        return call(g, name, x, (index(r.randint(0, 4), xv.numel()),), inplace=False)
    if name in ("nonzero", "argwhere"):
        kw = {"as_tuple": "True"} if name == "nonzero" and g.chance(0.3) else {}
        return call(g, name, x, (), kw, inplace=False, out=not kw)
    return None


def broadcast_into(a: Any, b: Any) -> bool:
    return len(a) <= len(b) and all(x in (1, y) for x, y in zip(reversed(a), reversed(b)))


def unique_index(g: Gen, ishape: list, d: int, size: int) -> str | None:
    """An index for scatter whose entries along ``d`` are distinct in each slice."""
    if ishape[d] > size:
        ishape[d] = size
    t = torch.stack([torch.randperm(max(size, 1), generator=torch.Generator().manual_seed(
        g.rng.randrange(2**31)))[:ishape[d]] for _ in range(max(1, math.prod(ishape) // max(
            ishape[d], 1)))], dim=-1) if ishape[d] else torch.zeros(0, dtype=torch.int64)
    vals = t.reshape(-1)[:math.prod(ishape)].tolist()
    if len(vals) != math.prod(ishape):
        return None
    moved = [s for i, s in enumerate(ishape) if i != d] + [ishape[d]]
    return f"lib.tensor({vals}, dtype=lib.int64).reshape({tuple(moved)}).movedim(-1, {d})"


def matmul(g: Gen, name: str) -> Any:
    """matmul family: a second operand of a shape that contracts with the first."""
    x = g.pick(lambda t: t.dim() > 0, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    dt = str(xv.dtype)[6:] if g.chance(0.85) else None
    k = xv.shape[-1]
    r = g.rng
    if name in ("dot", "vdot", "outer", "ger", "kron", "cross"):
        if name == "cross":
            y = g.leaf(tuple(xv.shape), dt)
            return call(g, name, x, (y,) if g.chance(0.5) else (y, g.dim(xv)), inplace=False)
        shape = (k,) if name in ("dot", "vdot") else (r.randint(0, 3),) if name != "kron" else (
            g.shape(r.randint(0, 2)))
        return call(g, name, x, (g.leaf(shape, dt),), inplace=False)
    if name in ("mv", "addmv"):
        v = g.leaf((k,), dt)
        if name == "mv":
            return call(g, name, x, (v,), inplace=False)
        bias = g.leaf((xv.shape[0] if xv.dim() else 1,), dt)
        return call(g, name, bias, (x, v), addkw(g), inplace=False)
    if name in ("mm", "matmul", "bmm", "baddbmm", "addbmm", "addmm", "tensordot"):
        n = r.randint(0, 3)
        if name in ("bmm", "baddbmm", "addbmm"):
            y = g.leaf((xv.shape[0], k, n) if xv.dim() == 3 else (2, k, n), dt)
        elif name == "matmul" and g.chance(0.3):
            y = g.leaf((k,), dt)
        else:
            y = g.leaf((k, n), dt)
        if name in ("mm", "matmul", "bmm"):
            return call(g, name, x, (y,), inplace=False)
        if name == "tensordot":
            return call(g, name, x, (y,), {"dims": 1}, inplace=False, method=False)
        m = xv.shape[-2] if xv.dim() >= 2 else 1
        bias = g.leaf(g.choice([(m, n), (n,), (1, n), ()]), dt)
        return call(g, name, bias, (x, y), addkw(g), inplace=False)
    if name == "addr":
        return call(g, name, x, (g.leaf((xv.shape[0] if xv.dim() else 1,), dt),
                                 g.leaf((k,), dt)), addkw(g), inplace=False)
    return None


def addkw(g: Gen) -> dict:
    kw = {}
    if g.chance(0.3):
        kw["beta"] = fmt(g.rng.randint(-4, 4) / 2)
    if g.chance(0.3):
        kw["alpha"] = fmt(g.rng.randint(-4, 4) / 2)
    return kw


def einsum(g: Gen, name: str) -> Any:
    x = g.pick(lambda t: 0 < t.dim() <= 3, prefer_grad=True)
    if x is None:
        return None
    xv = g.val(x)
    letters = "ijk"[:xv.dim()]
    y_letters = "".join(g.rng.sample("ijkl", g.rng.randint(1, 2)))
    sizes = dict(zip(letters, xv.shape))
    y_shape = tuple(sizes.get(c, g.rng.randint(1, 3)) for c in y_letters)
    y = g.leaf(y_shape, str(xv.dtype)[6:] if g.chance(0.8) else None)
    out = "".join(sorted(set(letters + y_letters) - {g.choice(letters + y_letters)}))
    return g.assign(f"lib.einsum({letters + ',' + y_letters + '->' + out!r}, {x}, {y})",
                    "lib.einsum")


def square(g: Gen, name: str) -> Any:
    """det/logdet/slogdet/inverse/pinverse/qr/svd on a small square (or batched) matrix built
    from a pool value, so it is usually well conditioned enough to compare."""
    n = g.rng.randint(1, 3)
    x = g.pick(lambda t: is_float(t) and t.numel() >= n * n, prefer_grad=True)
    if x is None:
        return None
    base = g.new()
    eye = f"lib.eye({n}, dtype={x}.dtype)"
    if not g.emit(f"{base} = {x}.reshape(-1)[:{n * n}].reshape({n}, {n}) + {n + 1} * {eye}",
                  "square", (base,)):
        return None
    g.pool.append(base)
    if name == "svd":
        return g.assign(f"lib.svd({base})[1]", "lib.svd")
    if name == "qr":
        return g.assign(f"lib.qr({base})[{g.rng.randint(0, 1)}]", "lib.qr")
    return call(g, name, base, (), inplace=False)


def inplace_misc(g: Gen, name: str) -> Any:
    """copy_, fill_, zero_: plain writes into a tensor (often a view)."""
    x = g.pick(prefer_grad=True)
    xv = g.val(x)
    if xv.is_leaf and xv.requires_grad and g.chance(0.85):
        return None
    if name == "copy_":
        arg = partner(g, xv, 0.0)
    elif name == "fill_":
        arg = fmt(g.scalar(xv)) if g.chance(0.8) else f"lib.tensor({fmt(g.scalar(xv))})"
    else:
        arg = ""
    return inplace_call(g, f"{x}.{name}({arg})", f"Tensor.{name}", x)
