"""Relative depth from a rectified stereo pair (ReDWeb-style supervision for Xian 2018).

Dense correspondence with OpenCV StereoSGBM in both directions, a left-right consistency check,
then inverse disparity as relative depth (larger = farther, like depth up to an unknown scale):
for a rectified pair ``depth = f * B / disparity``, so ``1 / disparity`` orders pixels exactly as
metric depth does, with no need to know f or B.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class StereoRelativeDepth:
    """Outputs, all (H, W) in the left image.

    Attributes:
        relative_depth: float32 ``1 / disparity_px`` (larger = farther), NaN where not confident.
        disparity_px: float32 left disparity in pixels (``x_right = x_left - d``), NaN invalid.
        confidence: bool, True where the match passed the left-right consistency check.
    """

    relative_depth: np.ndarray
    disparity_px: np.ndarray
    confidence: np.ndarray


def _gray(img: np.ndarray, name: str) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8:
        return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if img.ndim == 2 and img.dtype == np.uint8:
        return img
    raise ValueError(f"{name}: expected (H, W, 3) or (H, W) uint8, got {img.shape} {img.dtype}")


def _sgbm(max_disparity_px: int, block_px: int) -> cv2.StereoSGBM:
    num = int(np.ceil(max_disparity_px / 16.0) * 16)
    return cv2.StereoSGBM_create(minDisparity=0, numDisparities=num, blockSize=block_px,
                                 P1=8 * block_px**2, P2=32 * block_px**2, disp12MaxDiff=-1,
                                 uniquenessRatio=10, speckleWindowSize=50, speckleRange=2,
                                 mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY)


def stereo_relative_depth(left_rgb: np.ndarray, right_rgb: np.ndarray, max_disparity_px: int | None = None,
                          block_px: int = 5, lr_tolerance_px: float = 1.0) -> StereoRelativeDepth:
    """Relative depth + confidence of the left image of a rectified pair.

    Args:
        left_rgb, right_rgb: (H, W, 3) uint8 RGB (or (H, W) uint8 grey), same size.
        max_disparity_px: search range; default W / 4.
        block_px: odd SGBM block size.
        lr_tolerance_px: max |d_left(x) - d_right(x - d_left(x))| for a confident match.
    """
    left, right = _gray(left_rgb, "left_rgb"), _gray(right_rgb, "right_rgb")
    if left.shape != right.shape:
        raise ValueError(f"right_rgb.shape={right.shape}: must equal left_rgb.shape={left.shape}")
    height, width = left.shape
    max_disp = int(max_disparity_px or max(16, width // 4))
    matcher = _sgbm(max_disp, block_px)
    disp_left = matcher.compute(left, right).astype(np.float32) / 16.0
    # right-image disparity: match the mirrored pair, then mirror back
    disp_right = matcher.compute(right[:, ::-1].copy(), left[:, ::-1].copy())[:, ::-1].astype(np.float32) / 16.0
    cols = np.arange(width)[None, :] - np.rint(disp_left).astype(np.int64)
    inside = (disp_left > 0) & (cols >= 0)
    rows = np.broadcast_to(np.arange(height)[:, None], (height, width))
    back = disp_right[rows, np.clip(cols, 0, width - 1)]
    confident = inside & (back > 0) & (np.abs(back - disp_left) <= lr_tolerance_px)
    disparity = np.where(confident, disp_left, np.nan).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (1.0 / disparity).astype(np.float32)
    return StereoRelativeDepth(relative, disparity, confident)


@dataclass(frozen=True, eq=False)
class StereoRectification:
    """Rectification of a stereo pair with its calibration (K, D, R, P of both camera_infos).

    As image_proc / image_geometry do for each side: maps of ``(K, D, R, P[:3, :3])``, built by the
    nodes' ``core.rectify.Rectifier`` (one remap mechanism). After it both images are pinhole
    images of the rectified frames (rows aligned); ``left``/``right`` are their intrinsics
    (``P[:3, :3]``, no distortion), ``baseline_m`` comes from the right P (``-Tx / fx``) and
    ``r_left`` (3, 3) rotates left-camera points into the rectified left frame (poses of the
    camera frame become ``T_odom_cam @ [r_left^T | 0]``).
    """

    left: object
    right: object
    baseline_m: float | None
    r_left: np.ndarray
    sides: tuple  # (Rectifier, Rectifier): left, right

    @staticmethod
    def needed(left, right, r_left: np.ndarray, r_right: np.ndarray) -> bool:
        """True unless both sides are already rectified (D zero, R identity)."""
        return (any(v != 0.0 for v in left.d) or any(v != 0.0 for v in right.d)
                or not np.allclose(r_left, np.eye(3)) or not np.allclose(r_right, np.eye(3)))

    @classmethod
    def build(cls, left, right, r_left: np.ndarray, r_right: np.ndarray) -> "StereoRectification":
        """``left``/``right``: CameraIntrinsics with P; ``r_*``: (3, 3) rectification rotations."""
        from dataclasses import replace

        from mono_depth_ros.core.rectify import RECTIFIED_D, RECTIFIED_MODEL, Rectifier

        sides = []
        for side, intr, rot in (("left", left, r_left), ("right", right, r_right)):
            if intr.p is None:
                raise ValueError(f"{side} camera_info has no P: cannot rectify the pair")
            p = intr.p_matrix
            target = replace(intr, fx=p[0, 0], fy=p[1, 1], cx=p[0, 2], cy=p[1, 2],
                             distortion_model=RECTIFIED_MODEL, d=RECTIFIED_D)
            sides.append(Rectifier.build(intr, rotation=rot, target=target))
        p_right = right.p_matrix
        baseline = float(-p_right[0, 3] / p_right[0, 0]) if p_right[0, 0] > 0 and p_right[0, 3] != 0 else None
        return cls(sides[0].rectified, sides[1].rectified, baseline, np.asarray(r_left, np.float64), tuple(sides))

    def apply(self, image: np.ndarray, side: str, nearest: bool = False) -> np.ndarray:
        """(H, W[, C]) raw image of ``side`` ("left" | "right") -> rectified, same shape; 0 outside."""
        return self.sides[0 if side == "left" else 1].apply(image, nearest=nearest)
