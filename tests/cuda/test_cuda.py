"""ember.cuda answers as torch.cuda does on a build without CUDA."""

from __future__ import annotations

import warnings

import pytest

import ember
from tests.conftest import requires_torch, torch

# name -> call taking the library; each is compared with torch (outcome and first sentence)
CALLS = {
    "is_available": lambda lib: lib.cuda.is_available(),
    "device_count": lambda lib: lib.cuda.device_count(),
    "is_initialized": lambda lib: lib.cuda.is_initialized(),
    "init": lambda lib: lib.cuda.init(),
    "current_device": lambda lib: lib.cuda.current_device(),
    "synchronize": lambda lib: lib.cuda.synchronize(),
    "empty_cache": lambda lib: lib.cuda.empty_cache(),
    "memory_allocated": lambda lib: lib.cuda.memory_allocated(),
    "memory_allocated(0)": lambda lib: lib.cuda.memory_allocated(0),
    "memory_reserved": lambda lib: lib.cuda.memory_reserved(),
    "max_memory_allocated": lambda lib: lib.cuda.max_memory_allocated(device=0),
    "max_memory_reserved": lambda lib: lib.cuda.max_memory_reserved(),
    "memory_stats": lambda lib: dict(lib.cuda.memory_stats()),
    "mem_get_info": lambda lib: lib.cuda.mem_get_info(),
    "get_device_name": lambda lib: lib.cuda.get_device_name(0),
    "get_device_properties": lambda lib: lib.cuda.get_device_properties(0),
    "get_device_capability": lambda lib: lib.cuda.get_device_capability(),
    "is_bf16_supported": lambda lib: lib.cuda.is_bf16_supported(),
    "is_tf32_supported": lambda lib: lib.cuda.is_tf32_supported(),
    "get_arch_list": lambda lib: lib.cuda.get_arch_list(),
    "manual_seed": lambda lib: lib.cuda.manual_seed(0),
    "manual_seed_all": lambda lib: lib.cuda.manual_seed_all(0),
    "seed_all": lambda lib: lib.cuda.seed_all(),
    "initial_seed": lambda lib: lib.cuda.initial_seed(),
    "get_rng_state": lambda lib: lib.cuda.get_rng_state(),
    "get_rng_state_all": lambda lib: lib.cuda.get_rng_state_all(),
    "set_device(-1)": lambda lib: lib.cuda.set_device(-1),
    "set_device(cpu)": lambda lib: lib.cuda.set_device("cpu"),
    "device(-1)": lambda lib: lib.cuda.device(-1).__enter__(),
    "device(0)": lambda lib: lib.cuda.device(0).__enter__(),
    "device(cpu)": lambda lib: lib.cuda.device("cpu"),
    "device_of": lambda lib: lib.cuda.device_of(lib.zeros(1)).__enter__(),
    "Event": lambda lib: lib.cuda.Event(enable_timing=True),
    "Stream": lambda lib: lib.cuda.Stream(),
    "stream(None)": lambda lib: lib.cuda.stream(None).__enter__(),
    "current_stream": lambda lib: lib.cuda.current_stream(),
    "default_stream": lambda lib: lib.cuda.default_stream(),
    "FloatTensor()": lambda lib: lib.cuda.FloatTensor([1.0]),
    "LongTensor(3)": lambda lib: lib.cuda.LongTensor(3),
    "isinstance": lambda lib: isinstance(lib.zeros(1), lib.cuda.FloatTensor),
    "FloatTensor.dtype": lambda lib: str(lib.cuda.HalfTensor.dtype),
    "FloatTensor.is_cuda": lambda lib: lib.cuda.FloatTensor.is_cuda,
    "OutOfMemoryError": lambda lib: issubclass(lib.cuda.OutOfMemoryError, RuntimeError),
}


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", str(fn()).replace("ember.", "torch.")
    except BaseException as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error).replace("ember.", "torch.").split(". ")[0]


@requires_torch
@pytest.mark.parametrize("name", list(CALLS))
def test_matches_cpu_only_torch(name: str) -> None:
    assert _outcome(lambda: CALLS[name](ember)) == _outcome(lambda: CALLS[name](torch))


def test_torch_free_core() -> None:
    assert not ember.cuda.is_available() and ember.cuda.device_count() == 0
    assert ember.cuda.memory_allocated() == 0 and ember.cuda.max_memory_allocated() == 0
    for fn in (ember.cuda.synchronize, ember.cuda.current_device, ember.cuda.get_device_name):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            fn()
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ember.cuda.set_device(0)  # torch fails here too (on a missing internal function)
    with pytest.raises(TypeError, match="not available. Torch not compiled with CUDA enabled"):
        ember.cuda.FloatTensor(2)
    assert repr(ember.cuda.FloatTensor) == "<class 'ember.cuda.FloatTensor'>"


def test_documented_differences_run_quietly() -> None:
    """torch without CUDA fails inside these on missing internals; ember answers as the memory
    queries do (all zeros), so the usual reset-then-measure code runs."""
    ember.cuda.reset_peak_memory_stats()
    ember.cuda.reset_accumulated_memory_stats()
    assert "No CUDA memory" in ember.cuda.memory_summary()
    with pytest.warns(FutureWarning):
        ember.cuda.reset_max_memory_allocated()
    with pytest.warns(FutureWarning, match="memory_reserved"):
        assert ember.cuda.memory_cached() == 0


def test_nccl() -> None:
    with pytest.warns(UserWarning, match="not compiled with NCCL support"):
        assert ember.cuda.nccl.is_available([]) is False
    with pytest.raises(RuntimeError, match="NCCL is not available"):
        ember.cuda.nccl.version()
