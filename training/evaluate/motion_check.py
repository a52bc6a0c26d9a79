"""Does the camera move in a recording? li2020 learns depth from the camera's motion between
frames; on a recording where it stands still any depth explains the frames, and a fine-tune is free
to flatten it (measured: EuRoC V1_01_easy's first 95 frames, the MAV at rest, took the bundled
li2020's WHDR against their stereo reference from 0.226 to 0.942 under the adaptation recipe,
while its photometric loss fell).

:func:`camera_motion` samples consecutive frame pairs of a split and measures how far ORB features
(matched as the ORB + essential matrix baseline matches them) move between them (median over matched features, as a fraction of the image's long side). A pair
whose features move less than :data:`STATIC_MOTION_FRACTION` is static.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from training.data.datasets import DatasetFolder
from training.evaluate.classical_vo import matched_points

STATIC_MOTION_FRACTION = 0.0005  # 0.05 % of the long side: 0.3 px at 640x480 (sensor noise moves ORB corners less)
MIN_MATCHES = 20
MAX_SIDE_PX = 960  # larger frames are measured downscaled (ORB's time stays bounded on 4K cameras)


@dataclass(frozen=True)
class CameraMotion:
    """``pairs`` consecutive pairs measured (of those sampled), ``static_pairs`` of them below the
    threshold, ``median_fraction`` the median over pairs of the median feature motion (fraction of
    the long side; NaN when no pair could be measured)."""

    pairs: int
    static_pairs: int
    median_fraction: float

    @property
    def mostly_static(self) -> bool:
        return self.pairs > 0 and self.static_pairs > self.pairs / 2


def feature_motion_fraction(a: np.ndarray, b: np.ndarray) -> float | None:
    """Median displacement of the ORB features matched between ``a`` and ``b`` ((H, W, 3) uint8
    rgb; ``training.evaluate.classical_vo.matched_points``, the ORB + essential matrix baseline's
    matching), as a fraction of the long side; None with fewer than MIN_MATCHES matches."""
    scale = min(1.0, MAX_SIDE_PX / max(a.shape[:2]))  # a fraction of the long side does not depend on it
    if scale < 1.0:
        a, b = (cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) for img in (a, b))
    pts_a, pts_b = matched_points(a, b, "orb")
    if len(pts_a) < MIN_MATCHES:
        return None
    return float(np.median(np.linalg.norm(pts_b - pts_a, axis=1))) / max(a.shape[:2])


def camera_motion(folder: DatasetFolder, split: str, max_pairs: int = 30) -> CameraMotion:
    """Up to ``max_pairs`` consecutive pairs of ``split``, spread over it, measured."""
    idx = folder.indices(split)
    consecutive = [(i, j) for i, j in zip(idx, idx[1:]) if j == i + 1]
    sampled = consecutive[::max(1, len(consecutive) // max_pairs)][:max_pairs]
    motions = [m for m in (feature_motion_fraction(folder.rgb(i), folder.rgb(j)) for i, j in sampled) if m is not None]
    return CameraMotion(len(motions), sum(m < STATIC_MOTION_FRACTION for m in motions),
                        float(np.median(motions)) if motions else float("nan"))


def static_camera_note(folder: DatasetFolder, split: str) -> str | None:
    """One warning line when the camera stands still in most sampled pairs of ``split``, else None."""
    motion = camera_motion(folder, split)
    if not motion.mostly_static:
        return None
    return (f"{folder.path}: the camera hardly moves in {motion.static_pairs} of {motion.pairs} sampled pairs of the "
            f"{split!r} split (features move under {100 * STATIC_MOTION_FRACTION:g} % of the image between frames): "
            "li2020 learns depth from the camera's motion, so here its depth is unconstrained and a fine-tune may "
            "flatten it (EuRoC's first 95 frames, at rest: WHDR 0.226 -> 0.942); use a recording where the camera moves")
