"""One random program from a seed: 1 to 3 leaves (some made non-contiguous), 3 to 12 ops drawn
from the op table, in-place writes through views and bases, then a backward tail."""

from __future__ import annotations

from typing import Any

import torch

from . import kinds_shape as S
from .gen import Gen
from .kinds import base_var, inplace_call, is_float, partner
from .program import Program, quiet
from .spec import draw

BACKWARD_MODES = ["backward", "retain_twice", "create_graph", "grad", "gradient"]


def generate(seed: int) -> Program:
    g = Gen(seed)
    w = quiet()
    try:
        torch.manual_seed(0)
        for _ in range(g.rng.randint(1, 3)):
            g.leaf()
        for leaf in list(g.pool):
            if g.chance(0.4):
                S.layout(g, leaf)
        target = g.rng.randint(3, 12)
        done = attempts = 0
        while done < target and attempts < 6 * target:
            attempts += 1
            step = view_then_write if g.chance(0.12) else draw
            try:
                if step(g) is not None:
                    done += 1
            except Exception:  # noqa: BLE001 - torch refused to describe a value: draw again
                continue
        try:
            backward_tail(g)
        except Exception:  # noqa: BLE001
            pass
    finally:
        w.__exit__(None, None, None)
        torch.set_grad_enabled(True)
    return g.program()


WRITES = ["mul_(2)", "add_(1)", "zero_()", "fill_(3.0)", "neg_()", "exp_()", "clamp_(0, 1)",
          "sub_({other})", "mul_({other})", "copy_({other})", "[0] = 5.0"]


def view_then_write(g: Gen) -> Any:
    """The view/in-place interplay: a view of a non-leaf, then an in-place write to the view or
    to its base (views taken before the write see it), sometimes a second view after."""
    base = g.pick(lambda t: not (t.is_leaf and t.requires_grad) and t.dim() > 0)
    if base is None:
        base = S.fresh_base(g)
        if base is None:
            return None
    bv = g.val(base)
    views = [f"{base}[0]", f"{base}[..., ::2]", f"{base}.t()" if bv.dim() == 2 else
             f"{base}.transpose(0, -1)", f"{base}.view(-1)", f"{base}.unsqueeze(0)",
             f"{base}[1:]", f"{base}.select(-1, 0)", f"{base}.diagonal()" if bv.dim() >= 2 else
             f"{base}[:1]", f"{base}.expand(2, *{base}.shape)", f"{base}.unbind(0)[0]"]
    v = g.assign(g.choice(views), "view", view=True)
    if v is None:
        return None
    target = v if g.chance(0.5) else base
    tv = g.val(target)
    write = g.choice(WRITES)
    if "{other}" in write:
        write = write.format(other=partner(g, tv, 0.3))
    if write.startswith("["):
        if tv.dim() == 0:
            return None
        name = g.new()
        ok = g.emit(f"{target}{write}; {name} = {target}", "setitem", (name, base_var(target)))
        result = name if ok else None
        if ok:
            g.add_to_pool(name)
    else:
        result = inplace_call(g, f"{target}.{write}", "Tensor." + write.split("(")[0], target)
    if result is not None and g.chance(0.4):
        g.assign(g.choice(views), "view", view=True)
    return result


def backward_tail(g: Gen) -> None:
    """Hooks and retain_grad, a scalar loss, then one of the backward spellings."""
    def usable(ref: str) -> bool:
        t = g.val(ref)
        return t.requires_grad and is_float(t) and not t.is_inference()

    grads = [r for r in g.pool if usable(r)]
    if not grads:
        return
    leaves = [r for r in g.pool if "[" not in r and g.val(r).is_leaf and usable(r)]
    for ref in grads:
        # torch 2.13 can crash registering a hook on a view whose base was written in place
        # after the view was made (see the README beside this file): hooks go on non-views only
        if "[" in ref or g.val(ref)._is_view():
            continue
        if not g.val(ref).is_leaf and g.chance(0.2):
            g.emit(f"{ref}.retain_grad()", "retain_grad", phase="backward")
        if g.chance(0.1):
            hook = g.choice(["g * 2", "g + 1", "None", "g.clone().zero_()"])
            g.emit(f"_ = {ref}.register_hook(lambda g: {hook})", "register_hook",
                   phase="backward")
    terms = g.rng.sample(grads, min(len(grads), g.rng.randint(1, 3)))
    loss = " + ".join(f"{r}.{g.choice(['sum()', 'sum()', 'mean()'])}" for r in terms)
    wrap = "with lib.no_grad(): " if g.chance(0.1) else ""
    mode = g.choice(BACKWARD_MODES)
    if mode == "gradient":
        r = g.choice(terms)
        g.emit(f"{wrap}{r}.backward(lib.ones_like({r}))", "backward(gradient)", phase="backward")
        return
    if not g.emit(f"l1 = {loss}", "loss", ("l1",), phase="backward"):
        return
    if mode == "backward":
        g.emit(f"{wrap}l1.backward()", "backward", phase="backward")
    elif mode == "retain_twice":
        g.emit("l1.backward(retain_graph=True)", "backward(retain_graph)", phase="backward")
        g.emit(f"{wrap}l1.backward()", "backward(second)", phase="backward")
    elif leaves:
        create = mode == "create_graph"
        kw = ", create_graph=True" if create else ""
        code = f"g1 = lib.autograd.grad(l1, [{', '.join(leaves)}]{kw}, allow_unused=True)"
        if not g.emit(code, "autograd.grad" + ("(create_graph)" if create else ""), ("g1",),
                      phase="backward"):
            return
        if create:
            got = g.ns["g1"]
            second = [f"g1[{i}].sum()" for i, t in enumerate(got)
                      if t is not None and (t.requires_grad or g.chance(0.1))]
            if second:
                g.emit(f"l2 = {' + '.join(second)}", "loss", ("l2",), phase="backward")
                g.emit("l2.backward()", "backward(double)", phase="backward")
