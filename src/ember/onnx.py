"""ember.onnx: importable, so model code that checks ``is_in_onnx_export()`` runs; exporting
raises a clear error (ember has no tracer to write an ONNX graph with)."""

from __future__ import annotations

from typing import Any

__all__ = ["export", "is_in_onnx_export", "OperatorExportTypes", "TrainingMode"]


def is_in_onnx_export() -> bool:
    """False: ember never runs model code under an ONNX export."""
    return False


def export(model: Any, args: Any = (), f: Any = None, *pargs: Any, **kwargs: Any) -> Any:
    """Raises: exporting to ONNX needs a graph tracer, which ember does not have. Export the
    same model from torch (an ember state dict loads into torch with ``torch.load``)."""
    raise NotImplementedError(
        "ember.onnx.export: exporting to ONNX is not supported (ember has no graph tracer); "
        "load the weights into the torch model (torch.load reads ember.save's files) and "
        "export from torch")


class OperatorExportTypes:
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


class TrainingMode:
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2
