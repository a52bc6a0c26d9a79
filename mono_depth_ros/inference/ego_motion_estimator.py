"""EgoMotionEstimator: two RGB frames + their depths -> camera motion, motion field, intrinsics.

The motion network sees ``[rgb_a, depth_a, rgb_b, depth_b]`` at its input size (images resized as
in processing.py; depth resized with nearest neighbour, invalid/NaN depth fed as 0). It returns
the motion of frame b's camera relative to frame a's: ``T_b_from_a`` maps points in a's optical
frame into b's. The learned intrinsics (at input size) are scaled back to camera resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.transforms import axis_angle_to_matrix, se3
from mono_depth_ros.inference.loading import BackendModel, load_backend
from mono_depth_ros.inference.processing import preprocess


@dataclass(frozen=True)
class EgoMotionResult:
    """T_b_from_a (4, 4) optical frame; residual_translation (H, W, 3) per-pixel extra translation
    of moving objects (camera resolution); intrinsics learned by the network (camera resolution)."""

    T_b_from_a: np.ndarray
    residual_translation: np.ndarray
    intrinsics: CameraIntrinsics


def _depth_plane(depth_m: np.ndarray, hw: tuple[int, int], field: str) -> np.ndarray:
    depth = np.asarray(depth_m, dtype=np.float32)
    if depth.ndim != 2:
        raise InputError(field, depth.shape, "expected an (H, W) depth image")
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0.0).astype(np.float32)
    return cv2.resize(depth, (hw[1], hw[0]), interpolation=cv2.INTER_NEAREST)


class EgoMotionEstimator(BackendModel):
    """The Li 2020 motion network behind a backend."""

    @classmethod
    def from_path(cls, path: str | Path, backend: str = "auto", precision: str = "fp32",
                  spec_name: str | None = None, warmup: bool = True, **options: Any) -> "EgoMotionEstimator":
        spec, runner, reason = load_backend(path, backend, precision, spec_name or "li2020_motion",
                                            expect_motion=True, warmup=warmup, **options)
        return cls(spec, runner, reason)

    def make_input(self, rgb_a: np.ndarray, depth_a_m: np.ndarray, rgb_b: np.ndarray,
                   depth_b_m: np.ndarray) -> np.ndarray:
        """(1, 8, h, w) float32 network input."""
        if rgb_a.shape != rgb_b.shape:
            raise InputError("rgb_b.shape", rgb_b.shape, f"must match rgb_a.shape {rgb_a.shape}")
        for name, depth in (("depth_a_m", depth_a_m), ("depth_b_m", depth_b_m)):
            if np.shape(depth)[:2] != rgb_a.shape[:2]:
                raise InputError(f"{name}.shape", np.shape(depth), f"must match the image size {rgb_a.shape[:2]}")
        hw = self.input_hw
        planes = [preprocess(rgb_a, self.spec, hw)[0], _depth_plane(depth_a_m, hw, "depth_a_m")[None],
                  preprocess(rgb_b, self.spec, hw)[0], _depth_plane(depth_b_m, hw, "depth_b_m")[None]]
        return np.concatenate(planes, axis=0)[None]

    def estimate(self, rgb_a: np.ndarray, depth_a_m: np.ndarray, rgb_b: np.ndarray,
                 depth_b_m: np.ndarray) -> EgoMotionResult:
        """Frames (H, W, 3) uint8 and depths (H, W) metres -> EgoMotionResult at (H, W)."""
        out = self.backend.infer({self.spec.input_names[0]: self.make_input(rgb_a, depth_a_m, rgb_b, depth_b_m)})
        rotation, translation, residual, k = (out[n] for n in self.spec.output_names)
        T = se3(axis_angle_to_matrix(rotation[0].astype(np.float64)), translation[0].astype(np.float64))
        height, width = rgb_a.shape[:2]
        field = cv2.resize(np.ascontiguousarray(residual[0].transpose(1, 2, 0)), (width, height),
                           interpolation=cv2.INTER_LINEAR).astype(np.float32)
        k = k[0].astype(np.float64)
        intr = CameraIntrinsics(self.input_hw[1], self.input_hw[0], k[0, 0], k[1, 1], k[0, 2], k[1, 2])
        return EgoMotionResult(T, field, intr.scaled(width, height))
