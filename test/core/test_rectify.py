"""Rectification on real EuRoC frames (k1 = -0.28): points land at their pinhole projection."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.rectify import (RECTIFIED_D, Rectifier, RectifierCache, UnknownDistortionModel,
                                         image_rect_intrinsics, rectify, rectified_intrinsics)

# EuRoC V1_01 cam0 sensor.yaml (radial-tangential = plumb_bob k1 k2 p1 p2)
EUROC = CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, "plumb_bob",
                         (-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05))
RATIONAL = CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, "rational_polynomial",
                            (-0.25, 0.05, 0.0004, -0.0002, 0.01, 0.02, -0.01, 0.005))
FISHEYE = CameraIntrinsics(752, 480, 300.0, 300.0, 370.0, 245.0, "equidistant", (-0.02, 0.01, -0.004, 0.001))


def _euroc_frame(shared_data: Path) -> np.ndarray:
    path = sorted((shared_data / "euroc_v101_micro" / "cam0" / "data").glob("*.png"))[10]
    frame = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert frame.shape == (480, 752) and frame.dtype == np.uint8
    return frame // 2  # headroom so that drawn points never saturate


def _distort(pixels_rect: np.ndarray, rect_k: np.ndarray, intr: CameraIntrinsics) -> np.ndarray:
    """(N, 2) pixels of the pinhole (rectified) image -> (N, 2) pixels of the raw image."""
    rays = cv2.undistortPoints(pixels_rect.reshape(-1, 1, 2), rect_k, None).reshape(-1, 2)
    pts = np.hstack([rays, np.ones((len(rays), 1))]).reshape(-1, 1, 3)
    d = np.asarray(intr.d)
    if intr.distortion_model == "equidistant":
        out, _ = cv2.fisheye.projectPoints(pts, np.zeros(3), np.zeros(3), intr.k, d)
    else:
        out, _ = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), intr.k, d)
    return out.reshape(-1, 2)


def _draw_blobs(image: np.ndarray, centres: np.ndarray, sigma: float = 1.5, peak: float = 120.0) -> np.ndarray:
    out = image.astype(np.float32)
    ys, xs = np.mgrid[0:image.shape[0], 0:image.shape[1]]
    for cx, cy in centres:
        x0, x1, y0, y1 = int(cx) - 6, int(cx) + 7, int(cy) - 6, int(cy) + 7
        gx, gy = xs[y0:y1, x0:x1], ys[y0:y1, x0:x1]
        out[y0:y1, x0:x1] += peak * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sigma ** 2))
    return np.clip(out, 0, 255).astype(np.uint8)


def _centroids(with_blobs: np.ndarray, background: np.ndarray, guesses: np.ndarray, half: int = 7) -> np.ndarray:
    diff = with_blobs.astype(np.float32) - background.astype(np.float32)
    found = []
    for gx, gy in guesses:
        x0, y0 = int(round(gx)) - half, int(round(gy)) - half
        win = np.clip(diff[y0:y0 + 2 * half + 1, x0:x0 + 2 * half + 1], 0, None)
        win = np.where(win > 0.2 * win.max(), win, 0)
        ys, xs = np.mgrid[0:win.shape[0], 0:win.shape[1]]
        found.append((x0 + (win * xs).sum() / win.sum(), y0 + (win * ys).sum() / win.sum()))
    return np.asarray(found)


def _grid(intr: CameraIntrinsics, margin: int = 40, step: int = 60) -> np.ndarray:
    xs = np.arange(margin, intr.width - margin + 1, step, dtype=np.float64)
    ys = np.arange(margin, intr.height - margin + 1, step, dtype=np.float64)
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


@pytest.mark.parametrize("intr", [EUROC, RATIONAL, FISHEYE], ids=["plumb_bob", "rational_polynomial", "equidistant"])
def test_points_land_at_their_pinhole_projection(shared_data: Path, intr: CameraIntrinsics) -> None:
    frame = _euroc_frame(shared_data)
    rectifier = Rectifier.build(intr)
    rect_k = rectifier.rectified.k
    targets = _grid(intr)
    raw_pos = _distort(targets, rect_k, intr)
    inside = (raw_pos[:, 0] > 8) & (raw_pos[:, 0] < intr.width - 9) & (raw_pos[:, 1] > 8) & (
        raw_pos[:, 1] < intr.height - 9)
    targets, raw_pos = targets[inside], raw_pos[inside]
    assert len(targets) >= 40
    raw = _draw_blobs(frame, raw_pos)
    rect_blobs, rect_intr = rectify(raw, intr)
    rect_bg = rectifier.apply(frame)
    found = _centroids(rect_blobs, rect_bg, targets)
    error_px = np.linalg.norm(found - targets, axis=1)
    assert error_px.max() < 0.5, f"max {error_px.max():.3f} px"
    # without rectification the same points are far from the pinhole projection
    assert np.linalg.norm(raw_pos - targets, axis=1).max() > 8.0
    assert rect_intr.d == RECTIFIED_D and rect_intr.distortion_model == "plumb_bob"
    assert np.allclose(rect_intr.k, intr.k)  # no P given: the new camera matrix is K
    # rows of points (images of straight 3D lines) are straight after rectification
    for y in np.unique(targets[:, 1]):
        row = found[targets[:, 1] == y]
        if len(row) >= 5:
            fit = np.polyfit(row[:, 0], row[:, 1], 1)
            assert np.abs(np.polyval(fit, row[:, 0]) - row[:, 1]).max() < 0.5


def test_real_frame_is_remapped_and_valid_mask(shared_data: Path) -> None:
    frame = _euroc_frame(shared_data)
    rectifier = Rectifier.build(EUROC)
    out = rectifier.apply(frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - frame.astype(int)).mean() > 5  # barrel distortion undone: content moves
    # barrel (k1 < 0) with new K = K: every rectified pixel samples inside the raw image
    assert rectifier.valid_mask().all()
    # pincushion (k1 > 0): the corners of the rectified image fall outside the raw image -> 0
    pincushion = Rectifier.build(CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, "plumb_bob",
                                                  (0.2, 0.0, 0.0, 0.0, 0.0)))
    valid = pincushion.valid_mask()
    assert 0.8 < valid.mean() < 1.0 and valid[240, 376] and not valid[0, 0]
    outside = cv2.erode((~valid).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # off the blend seam
    assert outside.sum() > 1000 and (pincushion.apply(frame)[outside] == 0).all()


def test_new_camera_matrix_from_p() -> None:
    p = (400.0, 0.0, 360.0, 0.0, 0.0, 410.0, 250.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    intr = CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, "plumb_bob", EUROC.d, p)
    rect = rectified_intrinsics(intr)
    assert (rect.fx, rect.fy, rect.cx, rect.cy) == (400.0, 410.0, 360.0, 250.0)
    assert rect.p == p and rect.d == RECTIFIED_D
    assert np.allclose(Rectifier.build(intr).rectified.k, rect.k)


def test_zero_d_is_a_no_op() -> None:
    image = np.arange(48 * 64 * 3, dtype=np.uint8).reshape(48, 64, 3)
    for model, d in (("plumb_bob", (0.0,) * 5), ("", ()), ("some_vendor_model", (0.0, 0.0))):
        intr = CameraIntrinsics(64, 48, 50.0, 50.0, 32.0, 24.0, model, d)
        out, rect = rectify(image, intr)
        assert out is image and rect is intr


@pytest.mark.parametrize("model, d, match", [
    ("kannala_brandt", (0.1, 0.0, 0.0, 0.0), "kannala_brandt"),
    ("fisheye", (0.1, 0.0, 0.0, 0.0), "fisheye"),  # not a sensor_msgs name (equidistant is)
    ("plumb_bob", (0.1, 0.0, 0.0, 0.0, 0.0, 0.0), "plumb_bob takes 4 or 5 or 8 or 12 or 14 coefficients, got 6"),
    ("rational_polynomial", (0.1, 0.0, 0.0), "got 3"),
    ("equidistant", (0.1, 0.0, 0.0, 0.0, 0.02), "equidistant takes 4 coefficients"),  # a non-zero fifth
], ids=["kannala_brandt", "fisheye", "plumb_bob_6", "rational_3", "equidistant_5_nonzero"])
def test_unknown_models_and_d_lengths_raise_unknown_distortion_model(model: str, d: tuple, match: str) -> None:
    """Callers count these and treat the image as undistorted: one exception for both, never a
    plain InputError that would reject the camera_info (its K is fine)."""
    image = np.zeros((48, 64), np.uint8)
    intr = CameraIntrinsics(64, 48, 50.0, 50.0, 32.0, 24.0, model, d)
    with pytest.raises(UnknownDistortionModel, match=match):
        rectify(image, intr)
    with pytest.raises(UnknownDistortionModel):
        rectified_intrinsics(intr)
    with pytest.raises(InputError, match="camera_info is for 752x480") as info:
        rectify(np.zeros((10, 10), np.uint8), EUROC)
    assert not isinstance(info.value, UnknownDistortionModel)


THIN_PRISM = (0.0012, -0.0008, 0.0015, 0.0006)  # s1..s4 of a 12-coefficient D (Isaac Sim publishes 12)


@pytest.mark.parametrize("model, d", [
    ("plumb_bob", (-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05)),
    ("plumb_bob", (-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05, 0.0, 0.0, 0.0, 0.0)),
    ("rational_polynomial", RATIONAL.d + THIN_PRISM),
    ("rational_polynomial", RATIONAL.d + THIN_PRISM + (0.004, -0.003)),
    ("plumb_bob", RATIONAL.d[:5]),
    ("equidistant", FISHEYE.d + (0.0,)),
], ids=["plumb_bob_4", "plumb_bob_8", "rational_12", "rational_14", "rational_as_plumb_bob_5", "equidistant_5"])
def test_every_d_length_opencv_takes_maps_to_its_projection(model: str, d: tuple) -> None:
    """Each rectified pixel samples the raw image where OpenCV's projection of its ray (all of D,
    thin prism and tilt included) lands, within the maps' 1/32 px fixed point."""
    intr = CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, model, d)
    rectifier = Rectifier.build(intr)
    targets = _grid(intr)
    expected = _distort(targets, rectifier.rectified.k, replace(intr, d=d[:4]) if model == "equidistant" else intr)
    map_x, map_y = cv2.convertMaps(rectifier.map1, rectifier.map2, cv2.CV_32FC1)
    cols, rows = targets[:, 0].astype(int), targets[:, 1].astype(int)
    got = np.stack([map_x[rows, cols], map_y[rows, cols]], axis=1)
    assert np.abs(got - expected).max() < 0.05
    if len(d) >= 12:  # the extra coefficients matter: without them the maps would differ
        assert np.abs(_distort(targets, rectifier.rectified.k, replace(intr, d=d[:8])) - expected).max() > 0.5


def test_image_rect_intrinsics_are_p_without_distortion() -> None:
    """An image already rectified (image_proc's image_rect) with the raw camera_info: what
    image_geometry's PinholeCameraModel uses, fx' = P[0,0], fy' = P[1,1], cx' = P[0,2], cy' = P[1,2]."""
    p = (400.0, 0.0, 360.0, -40.0, 0.0, 410.0, 250.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # a right camera: Tx
    intr = CameraIntrinsics(752, 480, 458.654, 457.296, 367.215, 248.375, "kannala_brandt", EUROC.d, p)
    rect = image_rect_intrinsics(intr)  # whatever D says (its model need not even be known)
    assert (rect.fx, rect.fy, rect.cx, rect.cy) == (400.0, 410.0, 360.0, 250.0)
    assert rect.p == p and rect.d == RECTIFIED_D and rect.distortion_model == "plumb_bob"
    without_p = image_rect_intrinsics(replace(intr, p=None))
    assert (without_p.fx, without_p.fy, without_p.cx, without_p.cy) == (458.654, 457.296, 367.215, 248.375)
    # D zero: image_proc passes the raw image through unchanged, so K (not P) describes it
    undistorted = replace(intr, distortion_model="plumb_bob", d=(0.0,) * 5)
    assert image_rect_intrinsics(undistorted) is undistorted


def test_cache_builds_once_per_camera_info() -> None:
    cache = RectifierCache(max_entries=2)
    first = cache.get(EUROC)
    assert cache.get(CameraIntrinsics(**{f: getattr(EUROC, f) for f in EUROC.__dataclass_fields__})) is first
    assert cache.builds == 1
    cache.get(RATIONAL)
    cache.get(FISHEYE)  # evicts EUROC (least recently used)
    assert cache.builds == 3
    assert cache.get(EUROC) is not first and cache.builds == 4
    image = np.full((480, 752, 3), 100, np.uint8)
    out, rect = rectify(image, EUROC, cache)
    assert cache.builds == 4 and out.shape == (480, 752, 3) and rect.d == RECTIFIED_D


@pytest.mark.parametrize("topic, rectified", [
    ("/cam/image_rect", True), ("/cam/image_rect_color", True), ("/cam/image_rect_color/compressed", True),
    ("image_rect", True), ("/cam/image_raw", False), ("/cam/image_raw/compressed", False), ("/image_rect/raw", False),
    ("/compressed", False), ("", False)])
def test_topic_is_rectified_reads_the_last_name_without_the_transport(topic, rectified):
    from mono_depth_ros.core.rectify import topic_is_rectified

    assert topic_is_rectified(topic) is rectified
