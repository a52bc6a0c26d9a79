"""Ego-motion metrics: ATE / RPE with the ``evo`` library (Sim(3) alignment for monocular) and
per-pair rotation and translation-direction errors."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.core.errors import InputError


def chain_relative(T_b_from_a: list[np.ndarray]) -> list[np.ndarray]:
    """Camera poses (4x4, camera-to-world, first = identity) from per-pair motions.

    ``T_b_from_a[i]`` maps points in camera i's frame into camera i+1's frame, so
    pose_{i+1} = pose_i @ inv(T_b_from_a[i]).
    """
    poses = [np.eye(4)]
    for T in T_b_from_a:
        poses.append(poses[-1] @ np.linalg.inv(T))
    return poses


def relative_from_poses(poses: list[np.ndarray]) -> list[np.ndarray]:
    """Inverse of :func:`chain_relative`: T_{i+1 from i} = inv(pose_{i+1}) @ pose_i."""
    return [np.linalg.inv(poses[i + 1]) @ poses[i] for i in range(len(poses) - 1)]


def rotation_angle_deg(R: np.ndarray) -> float:
    """Angle (deg) of the rotation R (3, 3)."""
    return float(np.degrees(np.arccos(np.clip((np.trace(R) - 1) / 2, -1.0, 1.0))))


def pair_errors(T_est: np.ndarray, T_gt: np.ndarray) -> dict[str, float]:
    """Rotation error (deg, angle of R_est^T R_gt) and translation-direction error (deg) of one pair."""
    rot_deg = rotation_angle_deg(T_est[:3, :3].T @ T_gt[:3, :3])
    t_est, t_gt = T_est[:3, 3], T_gt[:3, 3]
    n_est, n_gt = np.linalg.norm(t_est), np.linalg.norm(t_gt)
    if n_est < 1e-12 or n_gt < 1e-12:
        dir_deg = float("nan")
    else:
        dir_deg = float(np.degrees(np.arccos(np.clip(t_est @ t_gt / (n_est * n_gt), -1.0, 1.0))))
    return {"rotation_error_deg": rot_deg, "translation_direction_error_deg": dir_deg}


def trajectory_metrics(est_poses: list[np.ndarray], gt_poses: list[np.ndarray], stamps_s: np.ndarray,
                       align_scale: bool = True) -> tuple[dict[str, float], np.ndarray]:
    """ATE (RMSE of translation after Umeyama Sim(3)/SE(3) alignment) and RPE (delta 1 frame)
    computed with ``evo``.

    Args: est_poses, gt_poses: lists of (4, 4) camera-to-world; stamps_s (N,) seconds.
    Returns: (metrics dict with ate_rmse_m, ate_mean_m, rpe_trans_rmse_m, rpe_rot_rmse_deg,
        sim3_scale; aligned estimated positions (N, 3)).
    """
    from evo.core import metrics
    from evo.core.trajectory import PoseTrajectory3D

    if len(est_poses) != len(gt_poses) or len(est_poses) < 3:
        raise InputError("est_poses", len(est_poses), f"need >= 3 poses matching gt ({len(gt_poses)})")
    stamps = np.asarray(stamps_s, np.float64)
    gt = PoseTrajectory3D(poses_se3=[np.asarray(p) for p in gt_poses], timestamps=stamps)
    est = PoseTrajectory3D(poses_se3=[np.asarray(p) for p in est_poses], timestamps=stamps.copy())
    from evo.core.geometry import GeometryException

    try:
        _, _, scale = est.align(gt, correct_scale=align_scale)
        aligned = 1.0
    except GeometryException:  # e.g. an (untrained) estimate that does not move: report unaligned
        scale, aligned = float("nan"), 0.0
    ape = metrics.APE(metrics.PoseRelation.translation_part)
    ape.process_data((gt, est))
    rpe_t = metrics.RPE(metrics.PoseRelation.translation_part, delta=1, delta_unit=metrics.Unit.frames)
    rpe_t.process_data((gt, est))
    rpe_r = metrics.RPE(metrics.PoseRelation.rotation_angle_deg, delta=1, delta_unit=metrics.Unit.frames)
    rpe_r.process_data((gt, est))
    out = {"ate_rmse_m": float(ape.get_statistic(metrics.StatisticsType.rmse)),
           "ate_mean_m": float(ape.get_statistic(metrics.StatisticsType.mean)),
           "rpe_trans_rmse_m": float(rpe_t.get_statistic(metrics.StatisticsType.rmse)),
           "rpe_rot_rmse_deg": float(rpe_r.get_statistic(metrics.StatisticsType.rmse)),
           "sim3_scale": float(scale), "aligned": aligned}
    return out, np.asarray(est.positions_xyz)
