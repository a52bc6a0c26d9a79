"""Classical two-view baseline: ORB (or SIFT) matches + findEssentialMat (RANSAC) + recoverPose."""

from __future__ import annotations

import cv2
import numpy as np

from mono_depth_ros.core.errors import InputError


def _detector(kind: str):
    if kind == "orb":
        return cv2.ORB_create(nfeatures=2000), cv2.NORM_HAMMING
    if kind == "sift":
        return cv2.SIFT_create(nfeatures=2000), cv2.NORM_L2
    raise InputError("kind", kind, "expected 'orb' or 'sift'")


def matched_points(rgb_a: np.ndarray, rgb_b: np.ndarray, kind: str = "orb") -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) float64 pixel positions in a and in b of the cross-checked feature matches between
    two (H, W, 3) uint8 frames (N = 0 when either has no features)."""
    det, norm = _detector(kind)
    gray_a, gray_b = (cv2.cvtColor(im, cv2.COLOR_RGB2GRAY) for im in (rgb_a, rgb_b))
    kp_a, des_a = det.detectAndCompute(gray_a, None)
    kp_b, des_b = det.detectAndCompute(gray_b, None)
    if des_a is None or des_b is None:
        return np.zeros((0, 2)), np.zeros((0, 2))
    matches = cv2.BFMatcher(norm, crossCheck=True).match(des_a, des_b)
    return (np.float64([kp_a[m.queryIdx].pt for m in matches]).reshape(-1, 2),
            np.float64([kp_b[m.trainIdx].pt for m in matches]).reshape(-1, 2))


def essential_pose(rgb_a: np.ndarray, rgb_b: np.ndarray, k: np.ndarray, kind: str = "orb"
                   ) -> tuple[np.ndarray | None, int]:
    """Relative motion of frame b's camera w.r.t. frame a (maps a's camera points into b's).

    Args: rgb_a, rgb_b (H, W, 3) uint8; k (3, 3) intrinsics.
    Returns: ((4, 4) with unit-norm translation, or None when too few matches), inlier count.
    """
    pts_a, pts_b = matched_points(rgb_a, rgb_b, kind)
    if len(pts_a) < 8:
        return None, 0
    E, mask = cv2.findEssentialMat(pts_a, pts_b, k, method=cv2.RANSAC, prob=0.999, threshold=1.0)
    if E is None or E.shape != (3, 3):
        return None, 0
    inliers, R, t, _ = cv2.recoverPose(E, pts_a, pts_b, k, mask=mask)
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, t[:, 0]
    return T, int(inliers)
