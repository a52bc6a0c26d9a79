"""Evaluation metrics on hand-computed cases: depth errors, WHDR, pose errors, classical VO."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mono_depth_ros.core.transforms import axis_angle_to_matrix, se3
from training.evaluate.depth_metrics import DepthCaps, depth_errors, whdr
from training.evaluate.pose_metrics import chain_relative, pair_errors, relative_from_poses, trajectory_metrics


def test_depth_errors_hand_computed():
    gt = np.array([[1.0, 2.0], [4.0, np.nan]])
    pred = np.array([[1.0, 2.5], [2.0, 7.0]])
    m = depth_errors(pred, gt, DepthCaps(0.1, 80.0))
    assert m["n_pixels"] == 3
    assert m["abs_rel"] == pytest.approx((0 + 0.25 + 0.5) / 3)
    assert m["sq_rel"] == pytest.approx((0 + 0.25 / 2 + 4 / 4) / 3)
    assert m["rmse"] == pytest.approx(math.sqrt((0 + 0.25 + 4) / 3))
    # ratios 1, 1.25, 2: 1.25 is not < 1.25; 2 is not < 1.25^3 = 1.953
    assert m["delta1"] == pytest.approx(1 / 3) and m["delta2"] == pytest.approx(2 / 3)
    assert m["delta3"] == pytest.approx(2 / 3)


def test_median_scaling_removes_global_scale_and_caps_apply():
    gt = np.linspace(1, 30, 100).reshape(10, 10)
    m = depth_errors(gt * 0.3, gt, median_scaling=True)
    assert m["abs_rel"] == pytest.approx(0.0, abs=1e-12) and m["median_scale"] == pytest.approx(1 / 0.3)
    assert m["silog"] == pytest.approx(0.0, abs=1e-6)
    capped = depth_errors(gt, gt, DepthCaps(0.1, 10.0))
    assert capped["n_pixels"] == np.sum(gt < 10.0)


def test_whdr():
    rng = np.random.default_rng(0)
    gt = rng.uniform(1, 10, (20, 20))
    assert whdr(gt * 7, gt) == 0.0  # any scale
    assert whdr(gt * 3 - 20, gt) == 0.0  # and offset: raw network outputs may be negative
    noisy = gt + rng.normal(0, 1.0, gt.shape)
    base = whdr(noisy, gt)
    assert 0.05 < base < 0.5 and whdr(0.2 * noisy - 3.0, gt) == pytest.approx(base, abs=1e-12)
    assert whdr(1.0 / gt, gt) > 0.9  # reversed order
    # pairs of equal ground truth count: a prediction that splits an equal region is wrong there
    flat = np.ones((10, 10))
    flat[:, 5:] = 3.0
    split = flat.copy()
    split[:5, :5] = 0.5
    rate = whdr(split, flat, n_pairs=20000)
    assert rate == pytest.approx(2 * 0.25 * 0.25, abs=0.01)  # pairs across the two quarters of the equal half
    valid = np.zeros_like(flat, bool)
    valid[5:, :] = True
    assert whdr(split, flat, valid=valid) == 0.0  # only the untouched rows


def test_pose_pair_errors_and_chain():
    T_gt = se3(axis_angle_to_matrix([0, 0.1, 0]), [0, 0, 1.0])
    T_est = se3(axis_angle_to_matrix([0, 0.1 + math.radians(2), 0]), [0, 1.0, 1.0])
    e = pair_errors(T_est, T_gt)
    assert e["rotation_error_deg"] == pytest.approx(2.0, abs=1e-6)
    assert e["translation_direction_error_deg"] == pytest.approx(45.0, abs=1e-6)
    poses = [se3(axis_angle_to_matrix([0, 0.03 * i, 0]), [0.2 * i, 0, 0.5 * i]) for i in range(6)]
    chained = chain_relative(relative_from_poses(poses))
    np.testing.assert_allclose(chained[-1], np.linalg.inv(poses[0]) @ poses[-1], atol=1e-12)


def test_trajectory_metrics_sim3_invariant():
    gt = [se3(axis_angle_to_matrix([0, 0.05 * i, 0]), [0.1 * i, 0.02 * i * i, 0.5 * i]) for i in range(8)]
    est = [se3(p[:3, :3], p[:3, 3] * 2.5) for p in gt]
    m, _ = trajectory_metrics(est, gt, np.arange(8) * 0.1)
    assert m["ate_rmse_m"] < 1e-9 and m["sim3_scale"] == pytest.approx(0.4)
    noisy = [se3(p[:3, :3], p[:3, 3] + [0.1 * (-1) ** i, 0, 0]) for i, p in enumerate(gt)]
    m2, _ = trajectory_metrics(noisy, gt, np.arange(8) * 0.1, align_scale=False)
    assert 0.05 < m2["ate_rmse_m"] < 0.11


def test_classical_baseline_on_real_kitti_pair(shared_data):
    cv2 = pytest.importorskip("cv2")
    from training.evaluate.classical_vo import essential_pose

    folder = shared_data / "kitti_odometry00_6frames"
    img = [cv2.cvtColor(cv2.imread(str(folder / "image_0" / f"00000{i}.png")), cv2.COLOR_BGR2RGB) for i in (0, 1)]
    k = np.array([[718.856, 0, 607.1928], [0, 718.856, 185.2157], [0, 0, 1]])
    T, inliers = essential_pose(img[0], img[1], k)
    assert T is not None and inliers > 50
    # the car drives forward: camera 1 sees frame-0 points closer, so t points along -z
    assert T[2, 3] < -0.9
