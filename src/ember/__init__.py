"""ember: PyTorch's autograd and training stack as a readable Python library on NumPy.

``import ember as torch`` runs the common subset of PyTorch code: tensors, autograd,
``nn``, ``optim`` and ``utils.data``.
"""

# ruff: noqa: F403, I001 - the star imports below export each op module's __all__, and the
# order of imports is the order the package is built in.
from __future__ import annotations

import builtins as _builtins
import math as _math
import warnings as _warnings

__version__ = "0.1.0"

# torch computes inf * 0 or 1 / 0 silently; NumPy warns. Silence those warnings where ember's
# own code calls NumPy (and nowhere else), rather than pay for np.errstate on every op.
_warnings.filterwarnings(
    "ignore", message=r"(invalid value|divide by zero|overflow) encountered",
    category=RuntimeWarning, module=r"ember(\.|$)")

from . import _dtype
from ._dtype import (
    bfloat16, bool, cdouble, cfloat, complex64, complex128, double, dtype, float, float16, float32,
    float64, get_default_dtype, half, int, int8, int16, int32, int64, long, promote_types,
    set_default_dtype, short, uint8,
)
from ._printing import get_printoptions, set_printoptions
from ._tensor import Size, Tensor, device
from ._device import get_default_device, set_default_device
from . import autograd
from .autograd.grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
)

# Importing the op modules binds their methods onto Tensor; each lists in __all__ the
# functions ember exports.
from . import ops
from .ops import _op
from .ops.nn.softmax import *
from .ops.pointwise.arithmetic import *
from .ops.shape.broadcast import *
from .ops.pointwise.clamp import *
from .ops.linalg.contractions import *
from .ops.linalg.decompositions import *
from .ops.shape.diagonal import *
from .ops.pointwise.where_division import *
from .ops.reduction.extrema import *
from .ops.linalg.addmm import *
from .ops.indexing.gather import *
from .ops.indexing.index_select import *
from .ops.indexing.getitem import *
from .ops.pointwise.multiply_add import *
from .ops.shape.joining import *
from .ops.linalg.matmul import *
from .ops.linalg.cross_multi_dot import *
from .ops.linalg.spellings import *
from .ops.indexing.masked import *
from .ops.reduction.variance import *
from .ops.pointwise.binary import *
from .ops.random import *
from .ops.reduction.sum_mean import *
from .ops.shape.repeat import *
from .ops.pointwise.rounding import *
from .ops.shape.reshape import *
from .ops.reduction.sorting import *
from .ops.pointwise.special import *
from .ops.linalg.spectral import *
from .ops.reduction.prod_cumsum_norm import *
from .ops.shape.transpose import *
from .ops.pointwise.trigonometric import *
from .ops.pointwise.unary import *

from ._creation import (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, Generator, HalfTensor,
    IntTensor, LongTensor, ShortTensor, arange, as_tensor, asarray, default_generator, empty,
    empty_like, eye, from_numpy, full, full_like, get_rng_state, initial_seed, linspace,
    logspace, manual_seed, ones, ones_like, rand, rand_like, randint, randint_like, randn,
    randn_like, randperm, seed, set_rng_state, tensor, zeros, zeros_like,
)
from . import backends, cuda, func, linalg, nn, optim, utils
from . import distributed, multiprocessing
from .serialization import load, save

# The runtime around the tensor library: CPU-only torch's cuda/backends/amp surface, and the
# pass-throughs torch documents for compilers (compile, jit).
from . import accelerator, amp, fx, futures, hub, jit, onnx, profiler, testing, version
from ._compile import compile
from ._matmul_precision import get_float32_matmul_precision, set_float32_matmul_precision
from ._typeinfo import finfo, iinfo
from ._inplace_functions import *
from .ops.pointwise.closeness import allclose, isclose
from .amp.autocast_mode import (
    autocast, get_autocast_cpu_dtype, get_autocast_dtype, get_autocast_gpu_dtype,
    is_autocast_cache_enabled, is_autocast_cpu_enabled, is_autocast_enabled,
    set_autocast_cache_enabled, set_autocast_dtype, clear_autocast_cache,
)

pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None

# Memory formats: ember's tensors are always row-major (contiguous); the formats are accepted
# where torch takes them, as names.
class memory_format:
    """A memory layout name (``ember.contiguous_format``...); ember stores every tensor
    row-major, so layouts are accepted and change no values."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "ember." + self.name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


def t(input: Tensor) -> Tensor:
    """Transposes a tensor of at most 2 dims."""
    return input.t()


def numel(input: Tensor) -> _builtins.int:
    return input.numel()


def is_tensor(obj: object) -> _builtins.bool:
    """True if ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> _builtins.bool:
    return input.is_floating_point()


def set_default_tensor_type(t: object) -> None:
    """Deprecated, as in torch: sets the default float dtype from a legacy tensor type or its
    name (CUDA types raise torch's error: ember computes on the CPU)."""
    _warnings.warn(
        "ember.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "ember.set_default_dtype() and ember.set_default_device() as alternatives.",
        UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", "")
    if isinstance(t, str) and ".cuda." in t or getattr(t, "is_cuda", False):
        raise TypeError(f"type torch.cuda.{name.rpartition('.')[2]} not available. Torch not "
                        "compiled with CUDA enabled.")
    from ._tensor import legacy_type_dtype

    set_default_dtype(legacy_type_dtype(t))


def result_type(tensor1: object, tensor2: object) -> dtype:
    """The dtype torch's promotion rules give an op of these two operands."""
    operands = tuple(x._data if isinstance(x, Tensor) else x for x in (tensor1, tensor2))
    return _dtype._BY_NUMPY[_dtype.result_type_np(operands)]


def can_cast(from_: dtype, to: dtype) -> _builtins.bool:
    return _dtype.can_cast(from_, to)


# Functions declared by the ops through @op(functions=...)
for _name, _fn in _op.FUNCTIONS.items():
    globals().setdefault(_name, _fn)
