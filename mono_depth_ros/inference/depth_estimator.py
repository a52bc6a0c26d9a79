"""DepthEstimator: rgb (H, W, 3) uint8 -> DepthResult at the camera's resolution, on any backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mono_depth_ros.inference.loading import BackendModel, load_backend
from mono_depth_ros.inference.processing import DepthResult, postprocess_depth, preprocess


class DepthEstimator(BackendModel):
    """A depth network behind a backend, with its spec's pre/post-processing.

    Attributes: ``spec``, ``backend``, ``backend_description``, ``backend_reason`` (why ``auto``
    chose it), ``input_hw`` (the network's input size).
    """

    @classmethod
    def from_path(cls, path: str | Path, backend: str = "auto", precision: str = "fp32",
                  spec_name: str | None = None, warmup: bool = True, **options: Any) -> "DepthEstimator":
        """Load a ``.pt`` checkpoint, ``.onnx`` or ``.engine``. ``options`` go to ``create_backend``
        (device, input_hw, threads, cache_dir, force_engine_rebuild, channels_last, compile)."""
        spec, runner, reason = load_backend(path, backend, precision, spec_name, expect_motion=False,
                                            warmup=warmup, **options)
        return cls(spec, runner, reason)

    def infer_raw(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 -> the network's raw output (1, 1, h, w)."""
        x = preprocess(rgb, self.spec, self.input_hw)
        return self.backend.infer({self.spec.input_names[0]: x})[self.spec.output_names[0]]

    def estimate(self, rgb: np.ndarray) -> DepthResult:
        """(H, W, 3) uint8 RGB -> DepthResult(depth_m (H, W) float32, NaN invalid; is_metric)."""
        return postprocess_depth(self.infer_raw(rgb), self.spec, rgb.shape[:2])
