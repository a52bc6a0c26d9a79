"""Quaternions, SE(3), REP 103 optical/body rotation, and TF/odometry builders of both kinds."""

from __future__ import annotations

import numpy as np
import pytest

from mono_depth_ros.core.transforms import (R_BODY_FROM_OPTICAL, T_BODY_FROM_OPTICAL,
                                            axis_angle_to_matrix, euler_to_matrix, make_odometry,
                                            make_tf_message, make_transform_stamped, matrix_to_quat,
                                            optical_motion_to_body, quat_to_matrix, se3, se3_inverse,
                                            transform_msg_to_matrix)

from ._helpers import rb

RNG = np.random.default_rng(11)


def random_quats(n=50):
    q = RNG.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q[q[:, 3] < 0] *= -1
    # include the near-180-degree cases where w ~ 0 (Shepperd branches)
    return np.vstack([q, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0.6, 0.8, 0]]])


def test_quat_matrix_round_trip():
    for q in random_quats():
        rot = quat_to_matrix(q)
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(rot) == pytest.approx(1.0)
        back = matrix_to_quat(rot)
        assert np.allclose(back, q, atol=1e-10) or np.allclose(back, -q, atol=1e-10)


def test_known_rotations():
    # 90 degrees about z, ROS order (x, y, z, w)
    q = [0, 0, np.sin(np.pi / 4), np.cos(np.pi / 4)]
    np.testing.assert_allclose(quat_to_matrix(q) @ [1, 0, 0], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(axis_angle_to_matrix([0, 0, np.pi / 2]), quat_to_matrix(q), atol=1e-12)
    np.testing.assert_allclose(euler_to_matrix(0.1, -0.4, 2.0),
                               axis_angle_to_matrix([0, 0, 2.0]) @ axis_angle_to_matrix([0, -0.4, 0])
                               @ axis_angle_to_matrix([0.1, 0, 0]), atol=1e-12)
    np.testing.assert_array_equal(axis_angle_to_matrix([0, 0, 0]), np.eye(3))


def test_se3_inverse():
    T = se3(quat_to_matrix(random_quats(1)[0]), [1.0, -2.0, 0.5])
    np.testing.assert_allclose(T @ se3_inverse(T), np.eye(4), atol=1e-12)


def test_optical_to_body_axes():
    np.testing.assert_array_equal(R_BODY_FROM_OPTICAL @ [0, 0, 1], [1, 0, 0])   # optical z -> body x
    np.testing.assert_array_equal(R_BODY_FROM_OPTICAL @ [1, 0, 0], [0, -1, 0])  # optical x -> body -y
    np.testing.assert_array_equal(R_BODY_FROM_OPTICAL @ [0, 1, 0], [0, 0, -1])  # optical y -> body -z
    assert np.linalg.det(R_BODY_FROM_OPTICAL) == pytest.approx(1.0)
    # the standard base_link -> camera_optical_frame quaternion
    np.testing.assert_allclose(matrix_to_quat(R_BODY_FROM_OPTICAL), [-0.5, 0.5, -0.5, 0.5])


def test_optical_motion_to_body():
    # camera moves 1 m forward (optical +z) and yaws left; in the body frame: +x and +yaw about z
    T_opt = se3(axis_angle_to_matrix([0, -0.1, 0]), [0, 0, 1.0])
    T_body = optical_motion_to_body(T_opt)
    np.testing.assert_allclose(T_body[:3, 3], [1.0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(T_body[:3, :3], axis_angle_to_matrix([0, 0, 0.1]), atol=1e-12)
    np.testing.assert_allclose(T_BODY_FROM_OPTICAL @ T_opt, T_body @ T_BODY_FROM_OPTICAL, atol=1e-12)


@pytest.mark.parametrize("kind", ["rclpy", "rosbags"])
def test_builders(kind):
    T = se3(euler_to_matrix(0.2, -0.1, 1.3), [1.5, -0.25, 0.75])
    cls = {} if kind == "rclpy" else dict(
        ts=rb("geometry_msgs/msg/TransformStamped"), tf=rb("tf2_msgs/msg/TFMessage"),
        odom=rb("nav_msgs/msg/Odometry"))
    stamp_ns = 1_700_000_001_000_000_042
    tf_msg = make_transform_stamped(T, "odom", "base_link", stamp_ns, msg_cls=cls.get("ts"))
    assert (tf_msg.header.stamp.sec, tf_msg.header.stamp.nanosec) == (1_700_000_001, 42)
    assert tf_msg.header.frame_id == "odom" and tf_msg.child_frame_id == "base_link"
    np.testing.assert_allclose(transform_msg_to_matrix(tf_msg), T, atol=1e-12)
    tfm = make_tf_message([tf_msg, tf_msg], msg_cls=cls.get("tf"))
    assert len(tfm.transforms) == 2
    pose_cov = np.diag([1.0, 2, 3, 4, 5, 6])
    pose_cov[0, 5] = pose_cov[5, 0] = 0.5
    odom = make_odometry(T, stamp_ns, "odom", "base_link", twist=[1, 2, 3, 4, 5, 6],
                         pose_cov=pose_cov, msg_cls=cls.get("odom"))
    np.testing.assert_allclose(transform_msg_to_matrix(odom.pose), T, atol=1e-12)
    assert np.asarray(odom.pose.covariance).reshape(6, 6)[0, 5] == 0.5
    assert np.asarray(odom.pose.covariance)[35] == 6.0 and np.asarray(odom.twist.covariance).sum() == 0
    assert (odom.twist.twist.linear.y, odom.twist.twist.angular.z) == (2.0, 6.0)
