"""Per-node summary rows of the demo (metrics against ground truth where the bag has it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.core.transforms import transform_msg_to_matrix
from mono_depth_ros.demo import metrics, report


def _latencies(recorder: Any, topic: str, published: dict[int, float]) -> list[float]:
    return [arrival - published[stamp] for stamp, arrival in recorder.arrivals[topic] if stamp in published]


def _fps(recorder: Any, topic: str) -> float:
    times = [t for _, t in recorder.arrivals[topic]]
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else float("nan")


def depth_row(opts: Any, recorder: Any, stats: dict[str, Any], published: dict[int, float],
              rgb_by_stamp: dict[int, np.ndarray], gt_depths: dict[int, np.ndarray], play_s: float) -> dict[str, Any]:
    """Row for depth_node; writes snapshots and the PLY cloud."""
    topic = "/depth_node/depth/image"
    depth_msgs = recorder.messages[topic]
    scores = []
    snapshot_every = max(len(depth_msgs) // max(opts.snapshots, 1), 1)
    for index, msg in enumerate(depth_msgs):
        stamp = stamp_to_ns(msg.header.stamp)
        pred = depth_from_image(msg)
        gt = gt_depths.get(stamp)
        if gt is not None and gt.shape == pred.shape:
            scores.append(metrics.abs_rel(pred, gt, median_scale=not stats["metric"]))
        if index % snapshot_every == 0 and stamp in rgb_by_stamp and index // snapshot_every < opts.snapshots:
            report.write_snapshot(opts.out_dir / f"snapshot_{index:03d}.png", rgb_by_stamp[stamp], pred, gt)
    clouds = recorder.messages["/depth_node/points"]
    if clouds:
        report.write_ply(opts.out_dir / "points.ply", pointcloud2_to_xyz(clouds[len(clouds) // 2]))
    mean_ms, p95_ms = metrics.latency_summary_ms(_latencies(recorder, topic, published))
    return {"node": "depth_node" + ("" if stats["metric"] else " (median-scaled)"),
            "frames_in": stats["frames_in"], "frames_out": len(depth_msgs),
            "drops": stats["drops_latest_only"] + stats["rejected"], "latency_mean_ms": mean_ms,
            "latency_p95_ms": p95_ms, "fps": _fps(recorder, topic),
            "AbsRel": float(np.nanmean(scores)) if scores else None, "ATE_m": None, "backend": stats["backend"]}


def ego_row(opts: Any, recorder: Any, stats: dict[str, Any], published: dict[int, float],
            gt_poses: dict[int, np.ndarray], play_s: float) -> dict[str, Any]:
    """Row for ego_motion_node; writes the trajectory plot."""
    topic = "/ego_motion_node/odometry"
    est, gt = [], []
    for msg in recorder.messages[topic]:
        stamp = stamp_to_ns(msg.header.stamp)
        if stamp in gt_poses:
            est.append(transform_msg_to_matrix(msg.pose)[:3, 3])
            gt.append(gt_poses[stamp][:3, 3])
    ate = float("nan")
    if len(est) >= 3:
        ate, aligned = metrics.ate_rmse(np.array(est), np.array(gt))
        report.plot_trajectory(opts.out_dir / "trajectory.png", aligned, np.array(gt), f"ATE {ate:.3f} m (Sim(3))")
    elif recorder.messages[topic]:
        xyz = np.array([transform_msg_to_matrix(m.pose)[:3, 3] for m in recorder.messages[topic]])
        report.plot_trajectory(opts.out_dir / "trajectory.png", xyz, None, "estimate (no ground truth)")
    mean_ms, p95_ms = metrics.latency_summary_ms(_latencies(recorder, topic, published))
    return {"node": "ego_motion_node", "frames_in": stats["frames_in"], "frames_out": len(recorder.messages[topic]),
            "drops": stats["drops_latest_only"] + stats["rejected"], "latency_mean_ms": mean_ms,
            "latency_p95_ms": p95_ms, "fps": _fps(recorder, topic), "AbsRel": None,
            "ATE_m": ate if est else None, "backend": stats["backend"]}
