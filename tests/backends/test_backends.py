"""ember.backends: flags kept and read back, probes answering as a CPU-only torch."""

from __future__ import annotations

import warnings

import pytest

import ember
from tests.conftest import requires_torch, torch

READS = {
    "cudnn.enabled": lambda lib: lib.backends.cudnn.enabled,
    "cudnn.benchmark": lambda lib: lib.backends.cudnn.benchmark,
    "cudnn.deterministic": lambda lib: lib.backends.cudnn.deterministic,
    "cudnn.allow_tf32": lambda lib: lib.backends.cudnn.allow_tf32,
    "cudnn.is_available": lambda lib: lib.backends.cudnn.is_available(),
    "cudnn.version": lambda lib: lib.backends.cudnn.version(),
    "cuda.is_built": lambda lib: lib.backends.cuda.is_built(),
    "matmul.allow_tf32": lambda lib: lib.backends.cuda.matmul.allow_tf32,
    "matmul.fp16": lambda lib: lib.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
    "matmul.bf16": lambda lib: lib.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
    "matmul.unknown": lambda lib: lib.backends.cuda.matmul.foo,
    "flash_sdp": lambda lib: lib.backends.cuda.flash_sdp_enabled(),
    "math_sdp": lambda lib: lib.backends.cuda.math_sdp_enabled(),
    "mem_efficient_sdp": lambda lib: lib.backends.cuda.mem_efficient_sdp_enabled(),
    "mps.is_available": lambda lib: lib.backends.mps.is_available(),
    "mps.is_built": lambda lib: lib.backends.mps.is_built(),
    "opt_einsum": lambda lib: lib.backends.opt_einsum.is_available(),
    "precision": lambda lib: lib.get_float32_matmul_precision(),
    "version.cuda": lambda lib: lib.version.cuda,
    "version.hip": lambda lib: lib.version.hip,
    "accelerator.is_available": lambda lib: lib.accelerator.is_available(),
    "accelerator.current": lambda lib: lib.accelerator.current_accelerator(),
    "accelerator.count": lambda lib: lib.accelerator.device_count(),
    "accelerator.index": lambda lib: lib.accelerator.current_device_index(),
    "accelerator.set": lambda lib: lib.accelerator.set_device_index(0),
    "accelerator.ctx": lambda lib: lib.accelerator.device_index(0).__enter__(),
    "accelerator.ctx None": lambda lib: lib.accelerator.device_index(None).__enter__(),
}


def _outcome(fn):
    try:
        return "ok", fn()
    except BaseException as error:  # noqa: BLE001 - the error is the outcome compared
        return type(error).__name__, str(error)


@requires_torch
@pytest.mark.parametrize("name", list(READS))
def test_reads_match_cpu_only_torch(name: str) -> None:
    assert _outcome(lambda: READS[name](ember)) == _outcome(lambda: READS[name](torch))


@requires_torch
def test_flags_round_trip_like_torch() -> None:
    for lib in (ember, torch):
        old = (lib.backends.cudnn.benchmark, lib.backends.cudnn.allow_tf32)
        lib.backends.cudnn.benchmark = True
        lib.backends.cudnn.allow_tf32 = False
        assert (lib.backends.cudnn.benchmark, lib.backends.cudnn.allow_tf32) == (True, False)
        lib.backends.cudnn.benchmark, lib.backends.cudnn.allow_tf32 = old
        with pytest.raises(AttributeError, match="Unknown attribute foo"):
            lib.backends.cuda.matmul.foo = 1
        lib.set_float32_matmul_precision("high")
        assert lib.backends.cuda.matmul.allow_tf32 is True
        assert lib.get_float32_matmul_precision() == "high"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.set_float32_matmul_precision("bogus")
        assert "is not one of 'highest', 'high', or 'medium'" in str(caught[0].message)
        lib.set_float32_matmul_precision("highest")
        assert lib.backends.cuda.matmul.allow_tf32 is False


def test_torch_free_core() -> None:
    assert not ember.backends.cudnn.is_available() and ember.backends.cudnn.version() is None
    with ember.backends.cudnn.flags(enabled=False, deterministic=True):
        assert ember.backends.cudnn.deterministic is True
    assert ember.backends.cudnn.deterministic is False
    ember.backends.cuda.matmul.allow_tf32 = True
    assert ember.get_float32_matmul_precision() == "high"
    ember.backends.cuda.matmul.allow_tf32 = False
    assert ember.get_float32_matmul_precision() == "highest"
    with pytest.warns(FutureWarning, match="sdp_kernel"):
        with ember.backends.cuda.sdp_kernel(enable_flash=False):
            assert not ember.backends.cuda.flash_sdp_enabled()
    assert ember.backends.cuda.flash_sdp_enabled()
    assert ember.backends.cuda.SDPBackend.MATH == 0
    assert ember.version.cuda is None and isinstance(ember.version.__version__, str)


@requires_torch
@pytest.mark.parametrize("backends", ["MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION",
                                      "CUDNN_ATTENTION", "FLASH_ATTENTION,MATH"])
def test_sdpa_kernel_matches_torch(backends: str) -> None:
    outcomes = []
    for lib in (ember, torch):
        from importlib import import_module

        attention = import_module(f"{lib.__name__}.nn.attention")
        chosen = [getattr(attention.SDPBackend, name) for name in backends.split(",")]
        q = lib.ones(1, 2, 3, 4)
        try:
            with attention.sdpa_kernel(chosen if len(chosen) > 1 else chosen[0]):
                out = lib.nn.functional.scaled_dot_product_attention(q, q, q)
                flags = (lib.backends.cuda.math_sdp_enabled(),
                         lib.backends.cuda.flash_sdp_enabled())
            outcomes.append(("ok", out.tolist(), flags))
        except RuntimeError as error:
            outcomes.append(("error", str(error)))
        assert lib.backends.cuda.math_sdp_enabled()  # restored after the block
    assert outcomes[0] == outcomes[1]
    assert int(ember.nn.attention.SDPBackend.FLASH_ATTENTION) == 1
