"""Depth -> rgb8 false colour (TURBO of inverse depth), for ~/depth/colored and demo snapshots."""

from __future__ import annotations

import cv2
import numpy as np

_MAX_PERCENTILE_SAMPLES = 20000


def colorize_depth(depth_m: np.ndarray, max_depth_m: float = 0.0, min_depth_m: float = 0.0) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an (H, W) depth: near = red, far = blue, invalid (NaN/<=0) = black.

    Inverse depth is mapped linearly between its 2nd and 98th percentiles; ``max_depth_m > 0``
    fixes the far end at ``1 / max_depth_m`` and ``min_depth_m > 0`` the near end at
    ``1 / min_depth_m`` (fixed limits keep colours comparable across frames and panels).
    Runs once per published frame, so it sticks to single-pass OpenCV/numpy operations.
    """
    depth_m = np.asarray(depth_m, dtype=np.float32)
    valid = np.isfinite(depth_m) & (depth_m > 0)
    if not valid.any():
        return np.zeros(depth_m.shape + (3,), dtype=np.uint8)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.reciprocal(depth_m)  # invalid pixels give NaN/inf/negative values: blacked out below
    samples = inv[valid]
    # percentiles of a strided subsample: the same limits to a fraction of a percent, far cheaper
    samples = samples[:: max(1, samples.size // _MAX_PERCENTILE_SAMPLES)]
    lo, hi = (float(v) for v in np.percentile(samples, [2.0, 98.0]))
    if max_depth_m > 0:
        lo = 1.0 / max_depth_m
    if min_depth_m > 0:
        hi = 1.0 / min_depth_m
    scale = 255.0 / max(hi - lo, 1e-9)
    grey = cv2.convertScaleAbs(np.where(valid, inv, lo), alpha=scale, beta=-lo * scale)  # saturates to 0..255
    rgb = cv2.applyColorMap(grey, cv2.COLORMAP_TURBO)[:, :, ::-1]  # OpenCV colour maps are BGR
    rgb = np.ascontiguousarray(rgb)
    rgb[~valid] = 0
    return rgb
