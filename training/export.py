"""Export a model checkpoint to ONNX (static shapes) and verify it against PyTorch.

``export_onnx(checkpoint_path, out_path, opset=17, input_hw=None)`` rebuilds the network from the
checkpoint alone (models/checkpoint.py), traces it at (1, C, *input_hw) (default: the training
config's ``data.input_hw``, else the variant's default from the ModelSpec), writes the ONNX file
with metadata (spec_name, model_kwargs, input_hw, source sha256), then runs ONNX Runtime on the
same input and raises ExportParityError when any output differs from PyTorch by more than 1e-4 of
that output's range. The export logic itself lives in mono_depth_ros/inference/onnx_export.py so
the nodes can export a checkpoint on the fly without the training package.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mono_depth_ros.inference.onnx_export import (DEFAULT_OPSET, PARITY_TOLERANCE, ExportParityError,
                                                  export_checkpoint, read_onnx_metadata)

__all__ = ["ExportParityError", "ExportReport", "export_onnx"]


@dataclass(frozen=True)
class ExportReport:
    """What was written and how close ONNX Runtime came to PyTorch (max |diff| / output range)."""

    path: Path
    spec_name: str
    input_hw: tuple[int, int]
    relative_errors: dict[str, float]

    def summary(self) -> str:
        errs = ", ".join(f"{k} {v:.2e}" for k, v in self.relative_errors.items())
        return (f"wrote {self.path} ({self.spec_name}, input {self.input_hw[0]}x{self.input_hw[1]}); "
                f"ONNX Runtime vs PyTorch max error / output range: {errs}")


def export_onnx(checkpoint_path: str | Path, out_path: str | Path, opset: int = DEFAULT_OPSET,
                input_hw: tuple[int, int] | None = None, tolerance: float = PARITY_TOLERANCE) -> ExportReport:
    """Checkpoint -> parity-checked ONNX file; see the module docstring."""
    if input_hw is not None and (len(input_hw) != 2 or min(int(v) for v in input_hw) < 8):
        raise ValueError(f"input_hw={input_hw!r}: expected (height, width), each >= 8")
    if opset < 13:
        raise ValueError(f"opset={opset}: must be >= 13")
    path, errors = export_checkpoint(checkpoint_path, out_path, opset, input_hw, tolerance)
    meta = read_onnx_metadata(path)
    import json

    return ExportReport(Path(path), meta["spec_name"], tuple(json.loads(meta["input_hw"])), errors)
