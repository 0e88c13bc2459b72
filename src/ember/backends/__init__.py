"""ember.backends: the flags and probes of torch.backends, as a torch built without CUDA answers
them.

Flags that tune GPU kernels (``cudnn.benchmark``, ``cudnn.deterministic``,
``cuda.matmul.allow_tf32``...) are kept and read back as in torch; they do not change ember's
results, as they do not change a CPU torch's. Probes answer as a CPU-only torch does:
``cuda.is_built()``, ``cudnn.is_available()`` and ``mps.is_available()`` are False.
"""

from __future__ import annotations

from . import cpu, cuda, cudnn, mha, mkl, mkldnn, mps, openmp, opt_einsum

__all__ = ["cpu", "cuda", "cudnn", "mha", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
