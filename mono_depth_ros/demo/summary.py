"""Per-node summary rows of the demo (metrics against ground truth where the bag has it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.depth_metrics import DEPTH_BASELINES, DepthCaps, baseline_depth, common_mask, depth_scores
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.stamps import stamp_to_ns
from mono_depth_ros.core.transforms import transform_msg_to_matrix
from mono_depth_ros.demo import metrics, report


#: the depth range scored, as ``training evaluate``'s default
CAPS = DepthCaps()


def _latencies(recorder: Any, topic: str, published: dict[int, float]) -> list[float]:
    return [arrival - published[stamp] for stamp, arrival in recorder.arrivals[topic] if stamp in published]


def _fps(recorder: Any, topic: str) -> float:
    times = [t for _, t in recorder.arrivals[topic]]
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else float("nan")


def depth_row(opts: Any, recorder: Any, stats: dict[str, Any], published: dict[int, float],
              rgb_by_stamp: dict[int, np.ndarray], gt_depths: dict[int, np.ndarray], play_s: float) -> dict[str, Any]:
    """Row for depth_node; writes snapshots and the PLY cloud. Its "accuracy" entry holds the
    network's mean scores beside the baselines' (``core.depth_metrics.depth_scores`` on the same
    pixels, as ``benchmarks/bench_real.py``): {name: scores}, empty without ground truth."""
    topic = "/depth_node/depth/image"
    depth_msgs = recorder.messages[topic]
    per_row: dict[str, list[dict[str, float]]] = {name: [] for name in ("network", *DEPTH_BASELINES)}
    snapshot_every = max(len(depth_msgs) // max(opts.snapshots, 1), 1)
    for index, msg in enumerate(depth_msgs):
        stamp = stamp_to_ns(msg.header.stamp)
        pred = depth_from_image(msg)
        gt = gt_depths.get(stamp)
        if gt is not None and gt.shape == pred.shape:
            mask = common_mask(gt, [pred], CAPS)
            if mask.sum() >= 2:
                per_row["network"].append(depth_scores(pred, gt, mask, CAPS, seed=index))
                for name in DEPTH_BASELINES:
                    per_row[name].append(depth_scores(baseline_depth(name, gt, mask), gt, mask, CAPS, seed=index))
        if index % snapshot_every == 0 and stamp in rgb_by_stamp and index // snapshot_every < opts.snapshots:
            report.write_snapshot(opts.out_dir / f"snapshot_{index:03d}.png", rgb_by_stamp[stamp], pred, gt)
    clouds = recorder.messages["/depth_node/points"]
    if clouds:
        report.write_ply(opts.out_dir / "points.ply", pointcloud2_to_xyz(clouds[len(clouds) // 2]))
    mean_ms, p95_ms = metrics.latency_summary_ms(_latencies(recorder, topic, published))
    accuracy = {name: {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
                for name, scores in per_row.items() if scores}
    published_abs_rel = "abs_rel_raw" if stats["metric"] else "abs_rel_med"
    return {"node": "depth_node" + ("" if stats["metric"] else " (median-scaled)"),
            "frames_in": stats["frames_in"], "frames_out": len(depth_msgs),
            "drops": stats["drops_latest_only"] + stats["rejected"], "latency_mean_ms": mean_ms,
            "latency_p95_ms": p95_ms, "fps": _fps(recorder, topic),
            "AbsRel": accuracy["network"][published_abs_rel] if accuracy else None, "ATE_m": None,
            "backend": stats["backend"], "accuracy": accuracy, "frames_scored": len(per_row["network"]),
            "metric": stats["metric"]}


def ego_row(opts: Any, recorder: Any, stats: dict[str, Any], published: dict[int, float],
            gt_poses: dict[int, np.ndarray], play_s: float) -> dict[str, Any]:
    """Row for ego_motion_node; writes the trajectory plot. "ATE_no_motion_m" is the baseline: one
    pose for every frame, Sim(3)-aligned the same way (the truth's spread about its mean)."""
    topic = "/ego_motion_node/odometry"
    est, gt = [], []
    for msg in recorder.messages[topic]:
        stamp = stamp_to_ns(msg.header.stamp)
        if stamp in gt_poses:
            est.append(transform_msg_to_matrix(msg.pose)[:3, 3])
            gt.append(gt_poses[stamp][:3, 3])
    ate = ate_still = float("nan")
    if len(est) >= 3:
        ate, aligned = metrics.ate_rmse(np.array(est), np.array(gt))
        ate_still, _ = metrics.ate_rmse(np.zeros((len(gt), 3)), np.array(gt))
        report.plot_trajectory(opts.out_dir / "trajectory.png", aligned, np.array(gt), f"ATE {ate:.3f} m (Sim(3))")
    elif recorder.messages[topic]:
        xyz = np.array([transform_msg_to_matrix(m.pose)[:3, 3] for m in recorder.messages[topic]])
        report.plot_trajectory(opts.out_dir / "trajectory.png", xyz, None, "estimate (no ground truth)")
    mean_ms, p95_ms = metrics.latency_summary_ms(_latencies(recorder, topic, published))
    return {"node": "ego_motion_node", "frames_in": stats["frames_in"], "frames_out": len(recorder.messages[topic]),
            "drops": stats["drops_latest_only"] + stats["rejected"], "latency_mean_ms": mean_ms,
            "latency_p95_ms": p95_ms, "fps": _fps(recorder, topic), "AbsRel": None,
            "ATE_m": ate if est else None, "ATE_no_motion_m": ate_still if est else None,
            "backend": stats["backend"]}


BASELINE_LABELS = {"constant": "constant (the truth's median everywhere)",
                   "ramp": "vertical ramp (farther up; the truth's median)"}


def accuracy_table(rows: list[dict[str, Any]], method: str) -> str | None:
    """The depth and odometry scores beside their trivial baselines (None without ground truth).
    AbsRel is as published (metres: a metric network's only; n/a for a non-metric one) and
    median-scaled; the constant map holds the truth's median (an oracle scale), so it is the bar
    for both."""
    from mono_depth_ros.demo.report import format_table

    depth = rows[0].get("accuracy") or {}
    parts = []
    if depth:
        lines = [{"depth": f"{method} (published)" if name == "network" else BASELINE_LABELS[name],
                  "AbsRel": scores["abs_rel_raw"] if name == "network" and rows[0].get("metric", True) else None,
                  "AbsRel_med": scores["abs_rel_med"], "delta1_med": scores["delta1_med"], "WHDR": scores["whdr"]}
                 for name, scores in depth.items()]
        columns = ["depth", "AbsRel", "AbsRel_med", "delta1_med", "WHDR"]
        parts.append(f"depth_node against the rendered truth ({rows[0]['frames_scored']} frames; AbsRel "
                     "unscaled, _med median-scaled; lower is better except delta1)\n" + format_table(lines, columns))
    ego = rows[1] if len(rows) > 1 else {}
    if ego.get("ATE_m") is not None:
        lines = [{"odometry": "ego_motion_node", "ATE_m": ego["ATE_m"]},
                 {"odometry": "no motion (one pose)", "ATE_m": ego["ATE_no_motion_m"]}]
        parts.append("ego_motion_node against the true path (Sim(3)-aligned)\n"
                     + format_table(lines, ["odometry", "ATE_m"]))
    return "\n\n".join(parts) if parts else None
