"""Shared loading for the estimators: which spec a model file is, and a loaded backend for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.fit import DEFAULT_RESIZE_MODE, RESIZE_MODES
from mono_depth_ros.inference.backends.base import InferenceBackend
from mono_depth_ros.inference.backends.registry import create_backend
from mono_depth_ros.inference.spec import ModelSpec, get_spec


def spec_name_of(path: Path, spec_name: str | None) -> str:
    """The file's spec: from a checkpoint's payload or an exported ONNX's metadata, else ``spec_name``."""
    found = None
    if path.suffix == ".pt":
        from mono_depth_ros.models.checkpoint import read_checkpoint_payload

        found = read_checkpoint_payload(path)["spec_name"]
    elif path.suffix == ".onnx":
        from mono_depth_ros.inference.onnx_export import read_onnx_metadata

        found = read_onnx_metadata(path).get("spec_name")
    if found and spec_name and found != spec_name:
        raise InputError("spec_name", spec_name, f"{path.name} holds a {found!r} model")
    name = found or spec_name
    if not name:
        raise InputError("spec_name", spec_name, f"{path.name} does not say which model it is; pass spec_name")
    return name


def load_backend(path: str | Path, backend: str, precision: str, spec_name: str | None,
                 expect_motion: bool, warmup: bool = True, **options: Any) -> tuple[ModelSpec, InferenceBackend, str]:
    """(spec, loaded and warmed-up backend, reason) for a .pt/.onnx/.engine file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model_path={str(path)!r}: file not found")
    spec = get_spec(spec_name_of(path, spec_name))
    if (spec.output_kind == "motion") != expect_motion:
        want = "a motion model (li2020_motion)" if expect_motion else "a depth model"
        raise InputError("spec_name", spec.name, f"expected {want}")
    runner, reason = create_backend(backend, path, spec, precision, **options)
    if warmup:
        runner.warmup()
    return spec, runner, reason


class BackendModel:
    """A network behind a backend: ``spec``, ``backend``, ``backend_description``,
    ``backend_reason`` (why ``auto`` chose it), ``input_hw`` (the network's input size) and
    ``resize_mode`` (crop | pad | stretch: how camera images are fitted to it, core.fit) and
    ``effective_precision`` (what the backend reports actually runs: "fp32", "bf16", "fp16",
    "int8+bf16", "tf32"; for the log and /diagnostics).
    Base of DepthEstimator and EgoMotionEstimator."""

    def __init__(self, spec: ModelSpec, backend: InferenceBackend, reason: str = "",
                 resize_mode: str = DEFAULT_RESIZE_MODE) -> None:
        if resize_mode not in RESIZE_MODES:
            raise InputError("resize_mode", resize_mode, f"must be one of {', '.join(RESIZE_MODES)}")
        self.spec, self.backend, self.backend_reason = spec, backend, reason
        self.resize_mode = resize_mode  # how camera images are fitted to input_hw (core.fit)
        shape = backend.input_shapes[spec.input_names[0]]
        self.input_hw = (int(shape[2]), int(shape[3]))
        self.backend_description = backend.describe()
        self.effective_precision = backend.effective_precision
