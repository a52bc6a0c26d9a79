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

from mono_depth_ros.core.errors import InputError
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


MIN_OPSET = 13


def max_opset() -> int:
    """Highest opset torch's ONNX exporter (the TorchScript one, used here) writes."""
    from torch.onnx import _constants

    return int(getattr(_constants, "ONNX_TORCHSCRIPT_EXPORTER_MAX_OPSET", _constants.ONNX_MAX_OPSET))


def _check_source(path: Path) -> None:
    """InputError for a missing file or a Lightning checkpoint (training state, not one network)."""
    if not path.is_file():
        raise InputError("checkpoint", str(path), "no such file" if not path.exists() else "is not a file")
    if path.suffix == ".ckpt":
        raise InputError("checkpoint", str(path), "is a Lightning checkpoint (the training state); export a model "
                                                  ".pt: RUN/<spec>.pt or RUN/selected/<spec>.pt")


def _check_target(path: Path) -> None:
    """InputError unless ``path`` can be written as a file: not a folder, its folder existing (created
    here when missing) and writable."""
    import os

    if path.is_dir():
        raise InputError("out", str(path), "is a folder; give the ONNX file to write, e.g. model.onnx")
    blocking = next((part for part in path.parents if part.exists() and not part.is_dir()), None)
    if blocking is not None:
        raise InputError("out", str(path), f"is under {blocking}, a file; expected a folder there")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError("out", str(path), f"its folder cannot be created ({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK):
        raise InputError("out", str(path), f"cannot write in {path.parent} (permission denied)")


def export_onnx(checkpoint_path: str | Path, out_path: str | Path, opset: int = DEFAULT_OPSET,
                input_hw: tuple[int, int] | None = None, tolerance: float = PARITY_TOLERANCE) -> ExportReport:
    """Checkpoint -> parity-checked ONNX file; see the module docstring."""
    if input_hw is not None and (len(input_hw) != 2 or min(int(v) for v in input_hw) < 8):
        raise ValueError(f"input_hw={input_hw!r}: expected (height, width), each >= 8")
    if not MIN_OPSET <= opset <= max_opset():
        raise InputError("opset", opset, f"must be in [{MIN_OPSET}, {max_opset()}] (the exporter's range; default "
                                          f"{DEFAULT_OPSET})")
    if not tolerance > 0:
        raise InputError("tolerance", tolerance, "must be > 0 (a fraction of each output's range, e.g. 1e-4)")
    _check_source(Path(checkpoint_path))
    _check_target(Path(out_path))
    try:
        path, errors = export_checkpoint(checkpoint_path, out_path, opset, input_hw, tolerance)
    except OSError as exc:  # the file (or its temporary sibling) could not be written
        if not str(exc.filename or "").startswith(str(out_path)):
            raise
        raise InputError("out", str(out_path), f"cannot be written ({exc.strerror or exc})") from None
    meta = read_onnx_metadata(path)
    import json

    return ExportReport(Path(path), meta["spec_name"], tuple(json.loads(meta["input_hw"])), errors)
