"""Coverage of the op table: every public op is exercised by some sample, so the generated
tests (gradcheck, gradgradcheck, torch parity) cannot silently shrink.

A public op is a function an op module exports (its ``__all__``) or a Tensor method an op
module binds. It counts as covered when running every sample of the table calls it (or, for
a primitive's own ``apply``, when its class has samples).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import pytest

import ember
from ember.ops import MODULES
from ember.ops._op import APPLY_OWNERS, REGISTRY
from tests.conftest import to_ember

# Ops the issue names; each must exist as ember.<name> or Tensor.<name>.
REQUIRED = """
add sub mul div true_divide floor_divide remainder fmod pow neg abs sign exp exp2 expm1 log log2
log10 log1p sqrt rsqrt square reciprocal sin cos tan asin acos atan atan2 sinh cosh tanh asinh
acosh atanh sigmoid relu erf erfc erfinv clamp clip maximum minimum fmax fmin where lerp addcmul
addcdiv floor ceil round trunc frac isnan isinf isfinite nan_to_num logical_and logical_or
logical_not logical_xor bitwise_and bitwise_or bitwise_xor bitwise_not
sum mean prod max min amax amin argmax argmin var std var_mean std_mean norm logsumexp softmax
log_softmax cumsum cumprod all any median topk sort argsort kthvalue count_nonzero
reshape view view_as flatten unflatten squeeze unsqueeze transpose swapaxes permute movedim t T
mT expand expand_as broadcast_to repeat tile repeat_interleave cat concat stack hstack vstack
split chunk unbind flip roll narrow tril triu diag diagonal contiguous clone
gather scatter scatter_add index_select index_add index_fill index_copy masked_fill
masked_select masked_scatter take take_along_dim nonzero
matmul mm bmm mv dot vdot outer addmm baddbmm einsum tensordot kron cross
rand_like randn_like randint_like randperm normal bernoulli multinomial full_like tril_indices
triu_indices meshgrid
""".split()
LINALG = "norm vector_norm matrix_norm inv det slogdet solve cholesky qr eigh svd pinv".split()


def _called_code_objects() -> set:
    """Runs every sample of the table (forward and backward) and records which Python code
    objects were called."""
    called: set = set()

    def tracer(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            called.add(frame.f_code)

    for cls in REGISTRY.values():
        if cls.samples is None:
            continue
        for sample in cls.samples(cls):
            inputs = tuple(to_ember(x, ember.float64, None if i not in sample.nondiff else False)
                           for i, x in enumerate(sample.inputs))
            sys.setprofile(tracer)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = sample.call(ember, *inputs)
                    outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,))
                            if isinstance(o, ember.Tensor) and o.requires_grad]
                    diff = [x for x in inputs if isinstance(x, ember.Tensor) and x.requires_grad]
                    if outs and diff:
                        ember.autograd.grad(outs, diff, [ember.ones_like(o) for o in outs],
                                            allow_unused=True, create_graph=True)
            finally:
                sys.setprofile(None)
    return called


@pytest.fixture(scope="module")
def called() -> set:
    return _called_code_objects()


def _public_ops() -> dict[str, Any]:
    ops: dict[str, Any] = {}
    for module in MODULES:
        for name in getattr(module, "__all__", ()):
            ops[f"ember.{name}"] = getattr(module, name)
    for name, value in vars(ember.Tensor).items():
        fn = value.fget if isinstance(value, property) else value
        module = getattr(fn, "__module__", "") or ""
        if module.startswith("ember.ops.") and callable(fn) and not name.startswith("_"):
            ops[f"Tensor.{name}"] = fn
    return ops


def _covered(fn: Any, called: set) -> bool:
    owner = APPLY_OWNERS.get(fn)
    if owner is not None:
        return owner.samples is not None
    code = getattr(fn, "__code__", None)
    return code is None or code in called


def test_required_ops_exist() -> None:
    missing = [n for n in REQUIRED if not (hasattr(ember, n) or hasattr(ember.Tensor, n))]
    missing += [f"linalg.{n}" for n in LINALG if not hasattr(ember.linalg, n)]
    assert not missing, f"ops the op-surface issue lists but ember lacks: {missing}"


def test_every_public_op_is_exercised_by_the_table(called: set) -> None:
    uncovered = sorted(name for name, fn in _public_ops().items() if not _covered(fn, called))
    assert not uncovered, f"public ops no sample calls (add samples): {uncovered}"


# Primitives that only other machinery creates, each tested where that machinery is.
INTERNAL = {
    "Error": "once_differentiable (tests/autograd/test_function.py)",
    "FillBackward0": "fill_/zero_ on tensors in a graph (the arithmetic function samples)",
    "CopySlices": "in-place ops through views (tests/ops/indexing/test_getitem.py)",
    "MaxPoolGatherBackward0": "max pooling's second-order backward (gradgradcheck of "
                              "MaxPool2DWithIndicesBackward0's samples)",
}


def test_every_primitive_is_exercised(called: set) -> None:
    idle = []
    for name, cls in REGISTRY.items():
        forward = cls.__dict__.get("forward") or getattr(cls, "forward", None)
        code = getattr(getattr(forward, "__func__", forward), "__code__", None)
        if cls.samples is None and code not in called and name not in INTERNAL:
            idle.append(name)
    assert not sorted(idle), f"primitives no sample reaches (add samples): {sorted(idle)}"
