"""Depth -> rgb8 false colour (TURBO of inverse depth), for ~/depth/colored and demo snapshots."""

from __future__ import annotations

import cv2
import numpy as np


def colorize_depth(depth_m: np.ndarray, max_depth_m: float = 0.0, min_depth_m: float = 0.0) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an (H, W) depth: near = red, far = blue, invalid (NaN/<=0) = black.

    Inverse depth is mapped linearly between its 2nd and 98th percentiles; ``max_depth_m > 0``
    fixes the far end at ``1 / max_depth_m`` and ``min_depth_m > 0`` the near end at
    ``1 / min_depth_m`` (fixed limits keep colours comparable across frames and panels).
    """
    depth_m = np.asarray(depth_m, dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        valid = np.isfinite(depth_m) & (depth_m > 0)
        inv = np.where(valid, 1.0 / np.where(valid, depth_m, 1.0), 0.0).astype(np.float32)
    if not valid.any():
        return np.zeros(depth_m.shape + (3,), dtype=np.uint8)
    lo, hi = np.percentile(inv[valid], [2.0, 98.0])
    if max_depth_m > 0:
        lo = 1.0 / max_depth_m
    if min_depth_m > 0:
        hi = 1.0 / min_depth_m
    scale = 255.0 / max(float(hi - lo), 1e-9)
    grey = np.clip((inv - lo) * scale, 0, 255).astype(np.uint8)
    bgr = cv2.applyColorMap(grey, cv2.COLORMAP_TURBO)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    rgb[~valid] = 0
    return rgb
