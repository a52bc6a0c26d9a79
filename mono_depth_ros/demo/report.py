"""Demo outputs: PNG snapshots, a PLY point cloud, the trajectory plot and the summary table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np

from mono_depth_ros.nodes.colormap import colorize_depth


def write_snapshot(path: Path, rgb: np.ndarray, pred_m: np.ndarray, gt_m: np.ndarray | None) -> None:
    """PNG of input | predicted depth | ground truth (or a grey panel), labelled, one colour scale.

    The scale (2nd to 98th percentile of the ground truth, else of the prediction) is shared by
    both depth panels, so equal colours mean equal depth.
    """
    ref = gt_m if gt_m is not None and np.isfinite(gt_m).any() else pred_m
    finite = ref[np.isfinite(ref) & (ref > 0)]
    near_m, far_m = (float(v) for v in np.percentile(finite, [2, 98])) if finite.size else (0.0, 0.0)
    panels = [rgb, colorize_depth(pred_m, far_m, near_m)]
    panels.append(colorize_depth(gt_m, far_m, near_m) if gt_m is not None else np.full_like(rgb, 64))
    height = rgb.shape[0]
    panels = [np.ascontiguousarray(cv2.resize(p, (int(p.shape[1] * height / p.shape[0]), height))) for p in panels]
    for panel, label in zip(panels, ("input", "predicted depth", "ground truth" if gt_m is not None else "no ground truth")):
        cv2.putText(panel, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(panel, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.imwrite(str(path), cv2.cvtColor(np.hstack(panels), cv2.COLOR_RGB2BGR))


def write_ply(path: Path, xyz: np.ndarray) -> int:
    """ASCII PLY of the finite points of an (H, W, 3) or (N, 3) array; returns the point count."""
    points = np.asarray(xyz, dtype=np.float32).reshape(-1, 3)
    points = points[np.isfinite(points).all(axis=1)]
    header = (f"ply\nformat ascii 1.0\nelement vertex {len(points)}\nproperty float x\n"
              "property float y\nproperty float z\nend_header\n")
    with open(path, "w") as stream:
        stream.write(header)
        np.savetxt(stream, points, fmt="%.4f")
    return len(points)


def plot_trajectory(path: Path, est_xyz: np.ndarray, gt_xyz: np.ndarray | None, title: str) -> None:
    """Top view (x, y) of the estimated (aligned) and ground-truth trajectories."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    if gt_xyz is not None and len(gt_xyz):
        ax.plot(gt_xyz[:, 0], gt_xyz[:, 1], "k-", label="ground truth")
    if len(est_xyz):
        ax.plot(est_xyz[:, 0], est_xyz[:, 1], "r.-", label="estimate (Sim(3) aligned)" if gt_xyz is not None else "estimate")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_title(title)
    ax.axis("equal")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Fixed-width text table; None/NaN print as n/a."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)
