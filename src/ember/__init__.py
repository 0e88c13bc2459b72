"""ember: PyTorch's autograd and training stack as a readable Python library on NumPy.

``import ember as torch`` runs the common subset of PyTorch code: tensors, autograd,
``nn``, ``optim`` and ``utils.data``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import _dtype, autograd, backends, cuda, nn, optim, utils
from ._creation import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    Generator,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    arange,
    as_tensor,
    asarray,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from ._dtype import (
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from ._printing import get_printoptions, set_printoptions
from ._tensor import Size, Tensor, device
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

# Importing the op modules binds their methods onto Tensor.
from .ops import (
    _op,
    activation,
    arithmetic,
    elementwise,
    indexing,
    linalg,
    loss,
    misc,
    reduction,
    unary,
)
from .ops import shape as _shape_ops
from .ops.activation import log_softmax, softmax
from .ops.arithmetic import (
    add,
    div,
    eq,
    equal,
    ge,
    greater,
    greater_equal,
    gt,
    le,
    less,
    less_equal,
    lt,
    mul,
    ne,
    not_equal,
    pow,
    sub,
)
from .ops.elementwise import where
from .ops.linalg import bmm, dot, matmul, mm, mv
from .ops.reduction import mean, sum
from .ops.shape import (
    cat,
    clone,
    flatten,
    movedim,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unbind,
    unsqueeze,
)

concat = cat
subtract = sub
multiply = mul
divide = div
true_divide = div
swapaxes = transpose
moveaxis = movedim


def t(input: Tensor) -> Tensor:
    """Transposes a tensor of at most 2 dims."""
    return input.t()


def numel(input: Tensor) -> builtins_int:
    return input.numel()


def is_tensor(obj: object) -> builtins_bool:
    """True if ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> builtins_bool:
    return input.is_floating_point()


def set_default_device(device_: object) -> None:
    """Accepts only the CPU, the one device ember has."""
    from ._tensor import check_device

    check_device(device_)


def get_default_device() -> device:
    return device("cpu")


def set_default_tensor_type(t: object) -> None:
    """Legacy: sets the default float dtype from a tensor type."""
    set_default_dtype(float64 if "Double" in str(t) else float32)


def result_type(tensor1: object, tensor2: object) -> dtype:
    """The dtype torch's promotion rules give an op of these two operands."""
    operands = tuple(x._data if isinstance(x, Tensor) else x for x in (tensor1, tensor2))
    return _dtype._BY_NUMPY[_dtype.result_type_np(operands)]


def can_cast(from_: dtype, to: dtype) -> builtins_bool:
    return _dtype.can_cast(from_, to)


import builtins as _builtins  # noqa: E402

builtins_int = _builtins.int
builtins_bool = _builtins.bool

# Functions declared by the ops through @op(functions=...)
globals().update({name: fn for name, fn in _op.FUNCTIONS.items() if name not in globals()})
for _name, _fn in _op.FUNCTIONS.items():
    globals().setdefault(_name, _fn)
