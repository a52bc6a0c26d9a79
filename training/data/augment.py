"""Eigen et al. 2014 data augmentation for (rgb, metric depth) pairs.

Scale s in [1, 1.5] (image enlarged by s, depth divided by s: the scene looks s times closer),
rotation r in [-5, 5] degrees, random crop (translation) to the output size, colour scaling
c in [0.8, 1.2]^3 per channel, horizontal flip with probability 0.5.
"""

from __future__ import annotations

import cv2
import numpy as np


def eigen_augment(rgb: np.ndarray, depth_m: np.ndarray, output_hw: tuple[int, int],
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Augment one pair.

    Args:
        rgb: (h, w, 3) uint8; depth_m: (h, w) float32 metres, NaN invalid (any size ratio to rgb).
        output_hw: (H, W) of the result.
    Returns:
        rgb (H, W, 3) uint8 and depth_m (H, W) float32 (NaN where invalid or rotated in from outside).
    """
    out_h, out_w = output_hw
    scale = rng.uniform(1.0, 1.5)
    big_h, big_w = int(np.ceil(out_h * scale)), int(np.ceil(out_w * scale))
    rgb = cv2.resize(rgb, (big_w, big_h), interpolation=cv2.INTER_LINEAR)
    depth = cv2.resize(depth_m, (big_w, big_h), interpolation=cv2.INTER_NEAREST) / np.float32(scale)
    angle_deg = rng.uniform(-5.0, 5.0)
    rot = cv2.getRotationMatrix2D(((big_w - 1) / 2.0, (big_h - 1) / 2.0), angle_deg, 1.0)
    rgb = cv2.warpAffine(rgb, rot, (big_w, big_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    depth = cv2.warpAffine(depth, rot, (big_w, big_h), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=float("nan"))
    top = int(rng.integers(0, big_h - out_h + 1))
    left = int(rng.integers(0, big_w - out_w + 1))
    rgb = rgb[top:top + out_h, left:left + out_w].astype(np.float32)
    depth = depth[top:top + out_h, left:left + out_w]
    rgb = np.clip(rgb * rng.uniform(0.8, 1.2, size=3).astype(np.float32), 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        rgb, depth = rgb[:, ::-1], depth[:, ::-1]
    return np.ascontiguousarray(rgb), np.ascontiguousarray(depth, dtype=np.float32)
