"""Contractions of whole tensors: outer (ger), kron, tensordot and einsum, which lowers to
the view, mul, sum and permute nodes torch records for it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor
from .._op import Primitive, composite
from ..samples import Sample
from .addmm import _dtype_name
from .matmul import Mm, UnsafeView, _maybe_out, _values

__all__ = ["outer", "ger", "einsum", "tensordot", "kron"]


def outer(input: Tensor, vec2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Outer product of two 1-D tensors: ``result[i, j] = input[i] * vec2[j]``.

    Example::

        >>> ember.outer(ember.tensor([1., 2.]), ember.tensor([1., 10., 100.]))
        tensor([[  1.,  10., 100.],
                [  2.,  20., 200.]])
    """
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return _maybe_out(input.reshape(-1, 1) * vec2, out)


ger = outer


# --- kron, tensordot ----------------------------------------------------------------------------
def kron(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Kronecker product: blocks ``input[i, j] * other`` laid out in a grid.

    Example::

        >>> ember.kron(ember.eye(2), ember.ones(1, 2))
        tensor([[1., 1., 0., 0.],
                [0., 0., 1., 1.]])
    """
    n = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (n - input._data.ndim) + input._data.shape
    sb = (1,) * (n - other._data.ndim) + other._data.shape
    # interleave the dims (a0, b0, a1, b1, ...): one broadcast product, then one reshape
    a = input.reshape(tuple(x for d in sa for x in (d, 1)))
    b = other.reshape(tuple(x for d in sb for x in (1, d)))
    result = UnsafeView.apply(a * b, shape=tuple(x * y for x, y in zip(sa, sb)))
    return _maybe_out(result, out)


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Tensor | None = None) -> Tensor:
    """Contracts ``dims`` dims of ``a`` with dims of ``b``.

    Args:
        a (Tensor): left operand.
        b (Tensor): right operand.
        dims (int or pair of lists): an int ``d`` contracts the last ``d`` dims of ``a`` with
            the first ``d`` of ``b``; a pair ``([da...], [db...])`` names them.

    Example::

        >>> ember.tensordot(ember.ones(2, 3), ember.ones(3, 4), dims=1)
        tensor([[3., 3., 3., 3.],
                [3., 3., 3., 3.]])
    """
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a._data.ndim or dims > b._data.ndim:
            raise RuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-int(dims), 0)), list(range(int(dims)))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(dims_a) != len(dims_b):
            raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    from ..._tensor import wrap_dim

    ca = [wrap_dim(d, a._data.ndim) for d in dims_a]
    cb = [wrap_dim(d, b._data.ndim) for d in dims_b]
    for da, db, i, j in zip(dims_a, dims_b, ca, cb):
        if a._data.shape[i] != b._data.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a._data.shape[i]} "
                f"in dim {da} and second has size {b._data.shape[j]} in dim {db}")
    free_a = [d for d in range(a._data.ndim) if d not in ca]
    free_b = [d for d in range(b._data.ndim) if d not in cb]
    k = int(np.prod([a._data.shape[d] for d in ca]))
    shape_a = [a._data.shape[d] for d in free_a]
    shape_b = [b._data.shape[d] for d in free_b]
    left = a.permute(free_a + ca).reshape(int(np.prod(shape_a)), k)
    right = b.permute(cb + free_b).reshape(k, int(np.prod(shape_b)))
    return _maybe_out(Mm.apply(left, right).view(shape_a + shape_b), out)


# --- einsum ------------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Checks ``equation`` against the operands' shapes (torch's errors) and spells it with
    explicit letters: ellipses become fresh letters, implicit outputs are made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    for i, ch in enumerate(lhs + "->" + rhs if arrow else lhs):
        allowed = _LETTERS + (",." if i < len(lhs) else ".")
        if ch not in allowed and not (arrow and len(lhs) <= i < len(lhs) + 2):
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    used = set(eq)
    fresh = [c for c in _LETTERS if c not in used]
    ell_dims = 0
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." in term:
            ell_dims = max(ell_dims, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({named}) does not match "
                f"the number of dimensions ({len(shape)}) for operand {i} and no ellipsis was "
                "given")
    ell = "".join(fresh[:ell_dims])
    subs = [t.replace("...", ell[ell_dims - (len(s) - len(t.replace("...", ""))):]
                      if ell_dims else "")
            for t, s in zip(terms, shapes)]
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            if c not in lhs and c not in ell:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
    else:
        counts = "".join(terms).replace(".", "")
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    return subs, out


def _einsum_node(subs: list[str], out: str) -> type:
    """torch's top node for this equation: einsum is a chain of views, mul, sum and bmm
    there, and which one comes last depends only on whether anything is summed."""
    summed = bool(set("".join(subs)) - set(out))
    if len(subs) == 1:
        return EinsumSum if summed else EinsumPermute
    return EinsumView if summed else EinsumMul


class Einsum(Primitive):
    """One NumPy einsum; the gradient of each operand is again an einsum (of the output
    gradient with the other operands), so every order of derivative is an einsum."""

    save_inputs = True

    @staticmethod
    def forward(ctx: Any, *arrays: np.ndarray, subs: list[str], out: str) -> np.ndarray:
        ctx.subs, ctx.out = subs, out
        return np.asarray(np.einsum(",".join(subs) + "->" + out, *arrays,
                                    optimize=len(arrays) > 2))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        inputs = ctx.saved_tensors
        subs, out = ctx.subs, ctx.out
        return tuple(_einsum_grad(grad, inputs, subs, out, i) if ctx._next[i] else None
                     for i in range(len(inputs)))

    @staticmethod
    def jvp(ctx: Any, tangents: tuple, inputs: tuple, output: Tensor) -> Tensor | None:
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                ops = list(inputs[:i]) + [t] + list(inputs[i + 1:])
                term = _einsum_apply(ops, ctx.subs, ctx.out)
                total = term if total is None else total + term
        return total


def _einsum_apply(operands: list, subs: list[str], out: str) -> Tensor:
    return _einsum_node(subs, out).apply(*operands, subs=subs, out=out)


def _einsum_grad(grad: Tensor, inputs: tuple, subs: list[str], out: str, i: int) -> Tensor:
    """d out / d operand i, contracted with ``grad``: an einsum of ``grad`` and the other
    operands. A letter repeated in operand i (a diagonal) is renamed and tied to the original
    by an identity matrix; a letter only operand i has is broadcast by a vector of ones."""
    from ..._tensor import _make

    target = subs[i]
    others = [s for j, s in enumerate(subs) if j != i]
    ops: list = [grad] + [t for j, t in enumerate(inputs) if j != i]
    terms = [out] + others
    size = dict(zip(target, inputs[i]._data.shape))
    np_dtype = inputs[i]._data.dtype
    used = set("".join(subs) + out)
    fresh = iter(c for c in _LETTERS if c not in used)
    renamed = []
    for c in target:
        if c in renamed:
            new = next(fresh)
            ops.append(_make(np.eye(size[c], dtype=np_dtype)))
            terms.append(c + new)
            c = new
        renamed.append(c)
    present = set("".join(terms))
    for c in dict.fromkeys(renamed):
        if c not in present:
            ops.append(_make(np.ones(size[c], dtype=np_dtype)))
            terms.append(c)
    return _einsum_apply(ops, terms, "".join(renamed))


class EinsumView(Einsum):
    pass


class EinsumMul(Einsum):
    pass


class EinsumSum(Einsum):
    pass


class EinsumPermute(Einsum):
    pass


for _cls, _name in ((EinsumView, "ViewBackward0"), (EinsumMul, "MulBackward0"),
                    (EinsumSum, "SumBackward1"), (EinsumPermute, "PermuteBackward0")):
    _cls.__name__ = _cls.__qualname__ = _name


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sums products of operand elements over the indices the Einstein-notation ``equation``
    names, e.g. ``"ij,jk->ik"`` for a matrix product.

    Args:
        equation (str): subscripts of each operand (letters, ``...`` for broadcast dims),
            optionally ``->`` and the output's subscripts.
        *operands (Tensor): the operands (or one list of them), all of one dtype.

    Example::

        >>> ember.einsum("ii", ember.eye(3))
        tensor(3.)

    Note:
        The result is one node whose name is torch's last node for the same equation
        (``ViewBackward0``, ``MulBackward0``, ``SumBackward1`` or ``PermuteBackward0``).
    """
    if not isinstance(equation, str):
        raise NotImplementedError("einsum: the sublist format is not supported; pass the "
                                  "equation as a string")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    shapes = [t._data.shape for t in operands]
    subs, out = _parse_einsum(equation, shapes)
    sizes: dict[str, int] = {}
    for n, (s, t) in enumerate(zip(subs, operands)):
        seen: dict[str, int] = {}
        for c, d in zip(s, t._data.shape):
            if c in seen and seen[c] != d:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {n} but "
                                   f"the sizes don't match, {d} != {seen[c]}")
            seen[c] = d
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = d
            elif d not in (1, prev):
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {d} for operand {n} which does not "
                    f"broadcast with previously seen size {prev}")
    ref = operands[0]._data.dtype
    for t in operands[1:]:
        if t._data.dtype != ref:
            raise RuntimeError(f"expected scalar type {_dtype_name(operands[0]._data)} but "
                               f"found {_dtype_name(t._data)}")
    # size-1 dims broadcast against the other operands' (torch allows it, NumPy does not)
    operands = tuple(t.expand([sizes[c] for c in s]) if any(
        sizes[c] != d for c, d in zip(s, t._data.shape)) else t for s, t in zip(subs, operands))
    return _einsum_apply(list(operands), subs, out)


def einsum_samples(cls: type) -> list[Sample]:
    m, n, sq = _values((2, 3), 0), _values((3, 4), 1), _values((3, 3), 2)
    v, w, b1, b2 = _values((3,), 3), _values((4,), 4), _values((2, 2, 3), 5), _values((2, 3, 4), 6)
    eq = [("ij,jk->ik", (m, n)), ("ii", (sq,)), ("ii->i", (sq,)), ("ij->ji", (m,)),
          ("ij->", (m,)), ("i,j->ij", (v, w)), ("i,i->", (v, v)), ("bij,bjk->bik", (b1, b2)),
          ("i,ij,jk->k", (v, sq, n)), ("...ij,jk->...ik", (b1, n)), ("ii,i->i", (sq, v)),
          ("ij,kj", (m, m)), ("ij,jk->j", (m, n)), ("ij,j", (_values((2, 1), 7), v))]

    def call(e: str) -> Any:
        return lambda lib, *xs: lib.einsum(e, *xs)

    return [Sample(call(e), xs, e) for e, xs in eq]


def product_samples(cls: Any) -> list[Sample]:
    v, w, m = _values((3,), 0), _values((4,), 1), _values((2, 3), 2)
    return [Sample(lambda lib, a, b: lib.outer(a, b), (v, w), "outer"),
            Sample(lambda lib, a, b: a.ger(b), (v, w), "ger"),
            Sample(lambda lib, a, b: lib.kron(a, b), (m, _values((2, 2), 3)), "kron"),
            Sample(lambda lib, a, b: lib.kron(a, b), (v, m), "kron-mixed-ndim"),
            Sample(lambda lib, a, b: lib.tensordot(a, b, dims=1), (m, _values((3, 4), 4)),
                   "tensordot-1"),
            Sample(lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 2])),
                   (m, _values((3, 4, 2), 5)), "tensordot-lists"),
            Sample(lambda lib, a, b: lib.tensordot(a, b, dims=0), (v, w), "tensordot-0")]


composite("einsum", einsum_samples)
composite("products", product_samples)
Tensor.outer = Tensor.ger = outer  # type: ignore[attr-defined]
Tensor.kron = kron  # type: ignore[attr-defined]
