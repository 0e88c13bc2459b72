"""The legacy CUDA tensor types (``ember.cuda.FloatTensor``...): names that checks and
``.type(...)`` calls spell. No ember tensor is an instance of one, and constructing one raises
torch's error for a build without CUDA."""

from __future__ import annotations

from typing import Any

from .. import _dtype as dt


class _CudaTypeMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return False  # every ember tensor lives on the CPU

    def __repr__(cls) -> str:
        return f"<class 'ember.cuda.{cls.__name__}'>"


def _cuda_type(name: str, dtype: dt.dtype) -> type:
    def new(cls: type, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"type torch.cuda.{name} not available. Torch not compiled with CUDA enabled.")

    return _CudaTypeMeta(name, (), {"__new__": new, "dtype": dtype, "is_cuda": True,
                                    "__module__": "ember.cuda"})


FloatTensor = _cuda_type("FloatTensor", dt.float32)
DoubleTensor = _cuda_type("DoubleTensor", dt.float64)
HalfTensor = _cuda_type("HalfTensor", dt.float16)
BFloat16Tensor = _cuda_type("BFloat16Tensor", dt.bfloat16)
LongTensor = _cuda_type("LongTensor", dt.int64)
IntTensor = _cuda_type("IntTensor", dt.int32)
ShortTensor = _cuda_type("ShortTensor", dt.int16)
CharTensor = _cuda_type("CharTensor", dt.int8)
ByteTensor = _cuda_type("ByteTensor", dt.uint8)
BoolTensor = _cuda_type("BoolTensor", dt.bool)
