#!/usr/bin/env python3
"""How large a rotation does li2020's motion network report? A diagnostic that decides nothing.

For every consecutive pair of the given rendered validation folders, the rotation the motion
network alone reports (``motion_refinement: none``, the bundled depth network's depth as input)
against the true rotation, binned by the true angle. Its rotation output is axis-angle radians
``raw * rotation_scale`` (models/li2020.py, a learnable scale as in the official code), so the
table also prints the raw output a true rotation would need.

    .venv/bin/python benchmarks/motion_rotation_range.py runs/demo/data/pnvalb_* runs/demo/data/pnfvalb_*
    .venv/bin/python benchmarks/motion_rotation_range.py --weights-dir DIR FOLDER...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mono_depth_ros.inference.checkpoint import read_checkpoint_payload
from mono_depth_ros.inference.depth_estimator import DepthEstimator
from mono_depth_ros.inference.ego_motion_estimator import EgoMotionEstimator
from mono_depth_ros.inference.weights import WEIGHTS_DIR
from training.data.datasets import DatasetFolder
from training.evaluate.pose_metrics import rotation_angle_deg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", help="extracted folders with poses (training extract)")
    parser.add_argument("--weights-dir", default=None, help="folder with li2020_depth.pt and li2020_motion.pt "
                                                            "(default: the bundled weights)")
    parser.add_argument("--bins-deg", default="0,1,2,4,8,16", help="lower edges of the true-angle bins")
    parser.add_argument("--json", default=None, help="also write the table here")
    args = parser.parse_args()
    weights = Path(args.weights_dir) if args.weights_dir else WEIGHTS_DIR
    depth_net = DepthEstimator.from_path(weights / "li2020_depth.pt", backend="torch")
    motion_net = EgoMotionEstimator.from_path(weights / "li2020_motion.pt", backend="torch", refinement="none")
    scale = float(read_checkpoint_payload(weights / "li2020_motion.pt")["state_dict"]["rotation_scale"])
    true, said = [], []
    for folder in map(DatasetFolder, args.folders):
        indices = folder.indices("all")
        depth = {i: depth_net.estimate(folder.rgb(i)) for i in indices}
        for a, b in zip(indices, indices[1:]):
            pa, pb = folder.pose(a), folder.pose(b)
            if pa is None or pb is None:
                continue
            result = motion_net.estimate(folder.rgb(a), depth[a], folder.rgb(b), depth[b])
            true.append(rotation_angle_deg((np.linalg.inv(pb) @ pa)[:3, :3]))
            said.append(rotation_angle_deg(result.T_b_from_a[:3, :3]))
    true_deg, said_deg = np.array(true), np.array(said)
    edges = [float(e) for e in args.bins_deg.split(",")] + [np.inf]
    rows = []
    print(f"{len(true_deg)} pairs in {len(args.folders)} folders; rotation_scale {scale:.4f} rad per unit of raw output")
    print(f"{'true angle (deg)':<18}{'pairs':>6}{'true mean':>11}{'network mean':>14}{'said/true':>11}"
          f"{'raw needed':>12}{'raw said':>10}")
    for lo, hi in zip(edges, edges[1:]):
        inside = (true_deg >= lo) & (true_deg < hi)
        if not inside.any():
            continue
        t, s = true_deg[inside].mean(), said_deg[inside].mean()
        row = {"bin_deg": [lo, hi], "pairs": int(inside.sum()), "true_mean_deg": t, "network_mean_deg": s,
               "raw_needed": np.radians(t) / scale, "raw_said": np.radians(s) / scale}
        rows.append(row)
        print(f"{f'{lo:g}-{hi:g}':<18}{row['pairs']:>6}{t:>11.2f}{s:>14.2f}{s / t:>11.2f}"
              f"{row['raw_needed']:>12.1f}{row['raw_said']:>10.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"weights": str(weights), "rotation_scale": scale, "rows": rows},
                                              indent=2))


if __name__ == "__main__":
    main()
