"""CameraInfo <-> intrinsics, and K/P under resize and crop (image_pipeline convention)."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.camera import (CameraIntrinsics, camera_info_from_intrinsics,
                                        intrinsics_from_camera_info)
from mono_depth_ros.core.stamps import make_header

from ._helpers import rb, rb_header

INTR = CameraIntrinsics(640, 480, 518.0, 519.0, 325.5, 253.5, d=(0.1, -0.2, 0.001, 0.002, 0.05),
                        p=(518.0, 0, 325.5, -30.0, 0, 519.0, 253.5, 0.0, 0, 0, 1, 0))
POINTS = np.array([[0.3, -0.2, 2.0], [-1.0, 0.5, 4.0], [0.0, 0.0, 1.0]])


def project(k_or_p: np.ndarray, points: np.ndarray) -> np.ndarray:
    homog = np.hstack([points, np.ones((len(points), 1))]) if k_or_p.shape[1] == 4 else points
    uvw = homog @ k_or_p.T
    return uvw[:, :2] / uvw[:, 2:]


def test_k_and_p_matrices():
    np.testing.assert_array_equal(INTR.k, [[518, 0, 325.5], [0, 519, 253.5], [0, 0, 1]])
    assert INTR.p_matrix[0, 3] == -30.0
    plain = CameraIntrinsics(64, 48, 50.0, 51.0, 31.5, 23.5)
    np.testing.assert_array_equal(plain.p_matrix, np.hstack([plain.k, np.zeros((3, 1))]))


@pytest.mark.parametrize("size", [(320, 240), (160, 96), (1280, 720)])
def test_scaled_reprojection_agrees(size):
    width, height = size
    scaled = INTR.scaled(width, height)
    sx, sy = width / 640, height / 480
    for old, new in ((INTR.k, scaled.k), (INTR.p_matrix, scaled.p_matrix)):
        uv_old, uv_new = project(old, POINTS), project(new, POINTS)
        np.testing.assert_allclose(uv_new, uv_old * [sx, sy], rtol=1e-12)
    assert scaled.p_matrix[0, 3] == pytest.approx(-30.0 * sx)
    assert (scaled.width, scaled.height) == size and scaled.d == INTR.d


def test_cropped_reprojection_agrees():
    crop = INTR.cropped(100, 40, 300, 200)
    for old, new in ((INTR.k, crop.k), (INTR.p_matrix, crop.p_matrix)):
        np.testing.assert_allclose(project(new, POINTS), project(old, POINTS) - [100, 40], rtol=1e-12)
    assert (crop.fx, crop.fy, crop.cx, crop.cy) == (518.0, 519.0, 225.5, 213.5)
    assert crop.p_matrix[0, 3] == -30.0


@pytest.mark.parametrize("kind", ["rclpy", "rosbags"])
def test_camera_info_round_trip(kind):
    if kind == "rclpy":
        msg = camera_info_from_intrinsics(INTR, make_header(7, "cam"))
    else:
        msg = camera_info_from_intrinsics(INTR, rb_header(), msg_cls=rb("sensor_msgs/msg/CameraInfo"))
    assert list(msg.k) == [518.0, 0, 325.5, 0, 519.0, 253.5, 0, 0, 1]
    assert list(msg.r) == list(np.eye(3).ravel()) and len(msg.d) == 5
    back = intrinsics_from_camera_info(msg)
    assert back == INTR


def test_binning_and_roi_applied():
    msg = camera_info_from_intrinsics(INTR, rb_header(), msg_cls=rb("sensor_msgs/msg/CameraInfo"))
    msg.binning_x = msg.binning_y = 2
    msg.roi = rb("sensor_msgs/msg/RegionOfInterest")(x_offset=100, y_offset=40, height=200, width=300,
                                                     do_rectify=False)
    intr = intrinsics_from_camera_info(msg)
    expected = INTR.cropped(100, 40, 300, 200).scaled(150, 100)
    assert intr == expected and intr.cx == pytest.approx(225.5 / 2)


def test_uncalibrated_p_is_none_and_ros1_uppercase_fields():
    msg = camera_info_from_intrinsics(INTR, rb_header(), msg_cls=rb("sensor_msgs/msg/CameraInfo"))
    msg.p = np.zeros(12)
    assert intrinsics_from_camera_info(msg).p is None

    class Ros1Info:  # ROS 1 spells the arrays K, D, P, R
        width, height, distortion_model = 64, 48, "plumb_bob"
        K = [50.0, 0, 32.0, 0, 50.0, 24.0, 0, 0, 1]
        D, P, R = [], [0.0] * 12, [1.0, 0, 0, 0, 1, 0, 0, 0, 1]
        binning_x = binning_y = 0
    assert intrinsics_from_camera_info(Ros1Info()) == CameraIntrinsics(64, 48, 50.0, 50.0, 32.0, 24.0)


def test_a_plumb_bob_camera_info_without_coefficients_gets_five_zeros():
    """Learned intrinsics (no distortion) are published as image_proc's rectified camera_info is."""
    bare = CameraIntrinsics(640, 480, 518.0, 519.0, 325.5, 253.5)
    msg = camera_info_from_intrinsics(bare, make_header(7, "cam"))
    assert msg.distortion_model == "plumb_bob" and list(msg.d) == [0.0] * 5
    assert intrinsics_from_camera_info(msg).k.tolist() == bare.k.tolist()
