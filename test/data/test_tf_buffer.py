"""TF chain resolution: static + moving transforms, interpolation, odometry, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.transforms import euler_to_matrix, se3
from training.data.tf_buffer import TransformBuffer, TransformLookupError


def _buffer() -> TransformBuffer:
    tf = TransformBuffer()
    tf.add("odom", "base_link", se3(np.eye(3), (0.0, 0.0, 0.0)), 0)
    tf.add("odom", "base_link", se3(euler_to_matrix(0.0, 0.0, np.pi / 2), (2.0, 0.0, 0.0)), 1_000)
    tf.add("base_link", "camera", se3(np.eye(3), (0.5, 0.0, 1.0)), None)  # static
    return tf


def test_chain_static_and_moving_with_interpolation():
    tf = _buffer()
    T_end = tf.lookup("odom", "camera", 1_000)
    np.testing.assert_allclose(T_end[:3, 3], (2.0, 0.5, 1.0), atol=1e-12)  # camera offset rotated by yaw 90
    T_mid = tf.lookup("odom", "camera", 500)
    yaw = np.pi / 4
    np.testing.assert_allclose(T_mid[:3, 3], (1.0 + 0.5 * np.cos(yaw), 0.5 * np.sin(yaw), 1.0), atol=1e-12)
    np.testing.assert_allclose(T_mid[:3, :3], euler_to_matrix(0.0, 0.0, yaw), atol=1e-12)
    # inverse direction
    np.testing.assert_allclose(tf.lookup("camera", "odom", 500) @ T_mid, np.eye(4), atol=1e-12)


def test_out_of_range_and_unknown_frames_raise():
    tf = _buffer()
    with pytest.raises(TransformLookupError, match="outside the recorded range"):
        tf.lookup("odom", "camera", 2_000)
    with pytest.raises(TransformLookupError, match="'map' is unknown"):
        tf.lookup("map", "camera", 0)
    tf.add("world", "other", np.eye(4), None)
    with pytest.raises(TransformLookupError, match="not connected"):
        tf.lookup("odom", "other", 0)


def test_tolerance_allows_small_extrapolation():
    tf = TransformBuffer(tolerance_ns=10)
    tf.add("odom", "cam", se3(np.eye(3), (1.0, 2.0, 3.0)), 100)
    np.testing.assert_allclose(tf.lookup("odom", "cam", 108)[:3, 3], (1.0, 2.0, 3.0))
    with pytest.raises(TransformLookupError):
        tf.lookup("odom", "cam", 111)
