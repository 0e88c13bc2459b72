"""ember.version: the build's versions, as ``torch.version`` reports a CPU-only build."""

from __future__ import annotations

__all__ = ["__version__", "cuda", "hip", "rocm", "xpu", "debug", "git_version"]

__version__ = "0.1.0"
cuda: str | None = None  # no CUDA
hip: str | None = None
rocm: str | None = None
xpu: str | None = None
debug = False
git_version = "Unknown"
