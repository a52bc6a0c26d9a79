"""motion_refinement photometric: direct alignment recovers a rotation the network missed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.transforms import axis_angle_to_matrix, se3
from mono_depth_ros.inference.pose_refinement import check_refinement, refine_direction, refine_motion, rest_check


def _angle_deg(R: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(R) - 1) / 2, -1, 1))))


def _plane_pair(T_b_from_a: np.ndarray, hw=(240, 320), depth_m=4.0, seed=0):
    """Frame a: a textured wall facing the camera at depth_m; frame b: the same wall seen after
    T_b_from_a (the plane's homography). Returns rgb_a, depth_a, rgb_b, intrinsics."""
    h, w = hw
    intr = CameraIntrinsics(w, h, 0.8 * w, 0.8 * w, w / 2 - 0.5, h / 2 - 0.5)
    noise = np.random.default_rng(seed).random((h // 4, w // 4)).astype(np.float32)
    texture = cv2.GaussianBlur(cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC), (0, 0), 1.5)
    rgb_a = np.repeat((np.clip(texture, 0, 1) * 255).astype(np.uint8)[:, :, None], 3, axis=2)
    K = intr.k
    n = np.array([0.0, 0.0, 1.0])  # plane z = depth_m in a's optical frame
    H = K @ (T_b_from_a[:3, :3] + np.outer(T_b_from_a[:3, 3], n) / depth_m) @ np.linalg.inv(K)
    rgb_b = cv2.warpPerspective(rgb_a, H, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return rgb_a, np.full(hw, depth_m, np.float32), rgb_b, intr


def test_refinement_recovers_the_rotation_from_a_wrong_start():
    truth = se3(axis_angle_to_matrix(np.radians([0.3, -0.8, 0.2])), [0.05, 0.0, 0.3])
    rgb_a, depth_a, rgb_b, intr = _plane_pair(truth)
    start = truth.copy()
    start[:3, :3] = axis_angle_to_matrix(np.radians([0.0, 0.6, -0.3])) @ truth[:3, :3]  # 0.67 deg off
    before = _angle_deg(start[:3, :3].T @ truth[:3, :3])
    result = refine_motion(rgb_a, depth_a, rgb_b, start, intr)
    after = _angle_deg(result.T_b_from_a[:3, :3].T @ truth[:3, :3])
    assert result.accepted and result.cost_after < result.cost_before and result.choice == "aligned"
    assert before > 0.6 and after < 0.1, (before, after)


def test_refine_direction_keeps_the_network_translation_length():
    """auto / photometric: the rotation and the translation's direction from the alignment, its
    length from the network (here 20 % too long, and 0.67 deg off in rotation)."""
    truth = se3(axis_angle_to_matrix(np.radians([0.3, -0.8, 0.2])), [0.05, 0.0, 0.3])
    rgb_a, depth_a, rgb_b, intr = _plane_pair(truth)
    start = truth.copy()
    start[:3, :3] = axis_angle_to_matrix(np.radians([0.0, 0.6, -0.3])) @ truth[:3, :3]
    start[:3, 3] *= 1.2
    result = refine_direction(rgb_a, depth_a, rgb_b, start, intr)
    assert result.accepted and _angle_deg(result.T_b_from_a[:3, :3].T @ truth[:3, :3]) < 0.1
    t = result.T_b_from_a[:3, 3]
    assert np.linalg.norm(t) == pytest.approx(np.linalg.norm(start[:3, 3]), rel=1e-9)
    cos = t @ truth[:3, 3] / (np.linalg.norm(t) * np.linalg.norm(truth[:3, 3]))
    assert np.degrees(np.arccos(min(cos, 1.0))) < 1.0  # the direction is the truth's


def test_translation_mode_aligns_the_direction_and_keeps_the_rotation():
    """motion_refinement translation: the network's rotation (here right) is kept as it is; its
    translation, leaning 12 deg sideways and 20 % too long, gets the truth's direction and keeps
    its length (the lean of li2020's KITTI translations, README)."""
    truth = se3(axis_angle_to_matrix(np.radians([0.3, -0.8, 0.2])), [0.05, 0.0, 0.3])
    rgb_a, depth_a, rgb_b, intr = _plane_pair(truth)
    start = truth.copy()
    start[:3, 3] = axis_angle_to_matrix(np.radians([0.0, 12.0, 0.0])) @ truth[:3, 3] * 1.2
    t0 = start[:3, 3].copy()
    result = refine_direction(rgb_a, depth_a, rgb_b, start, intr, keep_rotation=True)
    assert result.accepted and result.choice == "aligned"
    np.testing.assert_array_equal(result.T_b_from_a[:3, :3], truth[:3, :3])  # untouched
    t = result.T_b_from_a[:3, 3]
    assert np.linalg.norm(t) == pytest.approx(np.linalg.norm(t0), rel=1e-9)

    def off_deg(v):
        return float(np.degrees(np.arccos(min(v @ truth[:3, 3] / np.linalg.norm(v) / np.linalg.norm(truth[:3, 3]), 1))))
    assert off_deg(t0) > 11.0 and off_deg(t) < 1.0, (off_deg(t0), off_deg(t))


def test_a_camera_at_rest_is_brought_to_rest():
    """Both frames the same (a camera standing still) and a network reporting a small motion (1 %
    of the 4 m depth, 0.1 deg): the translation change is 100 % of the network's translation but
    moves the image less than a 2 deg rotation, so it is accepted, and the refined motion is ~0."""
    rgb_a, depth_a, rgb_b, intr = _plane_pair(np.eye(4))
    start = se3(axis_angle_to_matrix(np.radians([0.05, -0.08, 0.0])), [0.02, 0.01, -0.04])
    result = refine_motion(rgb_a, depth_a, rgb_b, start, intr)
    assert result.accepted and result.cost_after < 0.5 * result.cost_before
    assert np.linalg.norm(result.T_b_from_a[:3, 3]) < 0.005, result.T_b_from_a[:3, 3]
    assert _angle_deg(result.T_b_from_a[:3, :3]) < 0.02


def test_rest_check_chooses_no_motion_only_where_it_explains_the_frames_better():
    """motion_refinement rest: the same frame twice and a network reporting 1 % of the depth ->
    no motion; a real motion (0.3 m toward a wall 4 m away, a 0.5 deg turn) and the network right ->
    the network's estimate, untouched: dropping its rotation, or all of it, costs far more than
    the margins allow."""
    still_a, depth, still_b, intr = _plane_pair(np.eye(4))
    drift = se3(axis_angle_to_matrix(np.radians([0.05, -0.08, 0.0])), [0.02, 0.01, -0.04])
    rest = rest_check(still_a, depth, still_b, drift, intr)
    assert rest.accepted and np.array_equal(rest.T_b_from_a, np.eye(4)) and rest.cost_after < 0.1 * rest.cost_before
    assert rest.choice == "no_motion"
    truth = se3(axis_angle_to_matrix(np.radians([0.0, 0.5, 0.0])), [0.0, 0.0, -0.3])
    rgb_a, depth_a, rgb_b, intr = _plane_pair(truth)
    moving = rest_check(rgb_a, depth_a, rgb_b, truth, intr)
    assert not moving.accepted and np.array_equal(moving.T_b_from_a, truth) and moving.choice == "network"
    assert moving.cost_after == moving.cost_before
    # the candidates it turned down explain the frames far worse (cost of each as an estimate)
    for candidate in (np.eye(4), se3(np.eye(3), truth[:3, 3])):
        assert rest_check(rgb_a, depth_a, rgb_b, candidate, intr).cost_before > 2 * moving.cost_before
    no_depth = rest_check(rgb_a, np.full_like(depth_a, np.nan), rgb_b, truth, intr)
    assert not no_depth.accepted and np.array_equal(no_depth.T_b_from_a, truth)


def test_rest_check_drops_a_rotation_that_does_not_earn_its_keep():
    """A camera moving straight (0.2 m toward the wall) and a network adding a spurious 0.4 deg
    turn: the translation alone explains the frames better -> kept, the rotation dropped (exactly
    the network's translation, no rotation); a rotation the frames need stays (previous test)."""
    truth = se3(np.eye(3), [0.0, 0.0, -0.2])
    rgb_a, depth_a, rgb_b, intr = _plane_pair(truth)
    network = se3(axis_angle_to_matrix(np.radians([0.1, 0.4, 0.0])), [0.01, 0.0, -0.2])
    straight = rest_check(rgb_a, depth_a, rgb_b, network, intr)
    assert straight.accepted and straight.cost_after < straight.cost_before and straight.choice == "no_rotation"
    assert np.array_equal(straight.T_b_from_a[:3, :3], np.eye(3))
    assert np.array_equal(straight.T_b_from_a[:3, 3], network[:3, 3])


def test_refinement_keeps_the_network_estimate_when_alignment_does_not_help():
    """Unrelated frames: whatever the alignment finds, a step beyond the limits or no lower cost
    keeps the input; and the input survives untouched when it is already right."""
    truth = se3(axis_angle_to_matrix(np.radians([0.0, 0.5, 0.0])), [0.0, 0.0, 0.2])
    rgb_a, depth_a, rgb_b, intr = _plane_pair(truth)
    other = _plane_pair(truth, seed=5)[2]  # a different wall
    result = refine_motion(rgb_a, depth_a, other, truth, intr)
    moved = _angle_deg(result.T_b_from_a[:3, :3].T @ truth[:3, :3])
    assert not result.accepted or moved <= 2.0
    exact = refine_motion(rgb_a, depth_a, rgb_b, truth, intr)
    assert _angle_deg(exact.T_b_from_a[:3, :3].T @ truth[:3, :3]) < 0.05
    no_depth = refine_motion(rgb_a, np.full_like(depth_a, np.nan), rgb_b, truth, intr)
    assert not no_depth.accepted and np.array_equal(no_depth.T_b_from_a, truth)
    away = truth.copy()
    away[:3, 3] = [0.0, 0.0, -10.0]  # every point of a behind b's camera: nothing to align
    behind = refine_motion(rgb_a, depth_a, rgb_b, away, intr)
    assert not behind.accepted and np.array_equal(behind.T_b_from_a, away)


def test_bad_input_is_named():
    truth = np.eye(4)
    rgb_a, depth_a, rgb_b, intr = _plane_pair(truth)
    with pytest.raises(InputError, match="depth_a.shape"):
        refine_motion(rgb_a, depth_a[:10], rgb_b, truth, intr)
    with pytest.raises(InputError, match="motion_refinement"):
        check_refinement("bundle_adjustment")
