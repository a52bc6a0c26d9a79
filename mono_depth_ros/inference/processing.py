"""Pre- and post-processing shared by the nodes, export and evaluation (no torch, no rclpy).

Resize policy: the camera image is resized (no crop, no letterbox) to the network's input size, so
the aspect ratio may change; any intrinsics given to or returned by a network scale with the image
(``CameraIntrinsics.scaled``: fx, cx by input_w/W; fy, cy by input_h/H). Downscaling uses area
interpolation (no aliasing), upscaling bilinear. The network's output is resized back to the camera
resolution bilinearly (log depth is resized in log space, then exponentiated).

Output kinds -> ``DepthResult.depth_m``:
- ``metric_depth``: metres as predicted; ``is_metric`` True.
- ``log_depth``: ``exp(log depth)`` metres; ``is_metric`` True.
- ``depth_up_to_scale`` (Li 2020): the positive prediction as is, in the unknown unit the
  photometric loss settled on; ``is_metric`` False.
- ``relative_depth`` (Xian 2018, ranking loss, arbitrary affine): per frame robustly normalised,
  ``0.1 + 0.9 * clip((r - p2) / (p98 - p2), 0, 1)``, i.e. unitless in [0.1, 1], larger = farther
  (never 0, which REP 118 reserves for invalid); ``is_metric`` False.
Non-finite values become NaN (invalid).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.image import rgb8_to_tensor
from mono_depth_ros.inference.spec import ModelSpec

RELATIVE_MIN = 0.1
RELATIVE_PERCENTILES = (2.0, 98.0)


@dataclass(frozen=True)
class DepthResult:
    """depth_m (H, W) float32 at camera resolution, NaN invalid; is_metric says if it is metres."""

    depth_m: np.ndarray
    is_metric: bool


def resize_image(image: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """(H, W[, C]) -> (h, w[, C]): area interpolation when shrinking, bilinear when growing."""
    h, w = int(hw[0]), int(hw[1])
    if image.shape[:2] == (h, w):
        return image
    shrink = h * w < image.shape[0] * image.shape[1]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def preprocess(rgb: np.ndarray, spec: ModelSpec, input_hw: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (1, 3, h, w) float32 ``(rgb/255 - mean)/std`` at ``input_hw``
    (default ``spec.input_hw``)."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise InputError("rgb", getattr(rgb, "shape", type(rgb)), "expected an (H, W, 3) uint8 RGB array")
    return rgb8_to_tensor(resize_image(rgb, input_hw or spec.input_hw), spec.mean, spec.std)


def resize_depth(depth: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """(h, w) float -> (H, W) float32 bilinear (NaN stays local to its neighbourhood)."""
    depth = np.ascontiguousarray(depth, dtype=np.float32)
    if depth.shape == tuple(out_hw):
        return depth
    return cv2.resize(depth, (int(out_hw[1]), int(out_hw[0])), interpolation=cv2.INTER_LINEAR)


def normalize_relative(relative: np.ndarray) -> np.ndarray:
    """Relative depth (any affine) -> unitless [0.1, 1], larger = farther (see module doc)."""
    finite = np.isfinite(relative)
    out = np.full(relative.shape, np.nan, dtype=np.float32)
    if not finite.any():
        return out
    lo, hi = np.percentile(relative[finite], RELATIVE_PERCENTILES)
    span = max(float(hi - lo), 1e-12)
    out[finite] = RELATIVE_MIN + (1 - RELATIVE_MIN) * np.clip((relative[finite] - lo) / span, 0.0, 1.0)
    return out


def postprocess_depth(raw: np.ndarray, spec: ModelSpec, out_hw: tuple[int, int]) -> DepthResult:
    """Network output (1, 1, h, w) -> DepthResult at ``out_hw`` (H, W) per ``spec.output_kind``."""
    raw = np.asarray(raw)
    if raw.ndim != 4 or raw.shape[:2] != (1, 1):
        raise InputError("raw", raw.shape, "expected a (1, 1, h, w) network output")
    if len(out_hw) != 2 or min(out_hw) < 1:
        raise InputError("out_hw", out_hw, "expected (height, width) >= 1")
    kind = spec.output_kind
    plane = resize_depth(raw[0, 0], out_hw)
    if kind == "log_depth":
        with np.errstate(over="ignore"):
            depth = np.exp(plane)
    elif kind in ("metric_depth", "depth_up_to_scale"):
        depth = plane
    elif kind == "relative_depth":
        depth = normalize_relative(plane)
    else:
        raise InputError("spec.output_kind", kind, "is not a depth output")
    depth = depth.astype(np.float32, copy=False)
    depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
    return DepthResult(depth, spec.is_metric)
