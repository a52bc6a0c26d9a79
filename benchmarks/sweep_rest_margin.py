"""Sweep ego_motion_node's rest-check margin (``NO_ROTATION_MARGIN``) on the validation sequences.

``motion_refinement: rest`` keeps li2020's rotation only where dropping it raises the photometric
cost by more than the margin. The margin was chosen on the 8 synthetic validation sequences with
an earlier li2020; this re-runs that choice for the weights that ship. Each pair's network
estimate and depth are computed once (li2020 alone, its rotation re-expressed for the camera's
focal length as the node's default ``motion_intrinsics: camera``, flip-averaged depth as the node's
``flip_average: auto``); each margin then only re-runs the rest check. Prints, per margin, the
mean over the sequences of rotation error and translation direction error a pair, ATE (mean,
Sim3-aligned) and the share of pairs that dropped the rotation; "never" is the network alone.
Validation data only: the real frames play no part. The rule: the margin with the lowest mean
rotation error. The rest check runs at the pyramid level at most 400 px wide, so on the 160x120
validation renders it sees a quarter of the pixels it sees on a 640x480 camera; from stage 26 on the
margin is chosen on the same 80 sequences rendered at 480 lines (``valhr_*``,
``render_camera_resolution_validation`` in benchmarks/recipe_lib.sh), as the node runs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_rest_margin.py \
        --data runs/demo/data/val_indoor runs/demo/data/val_street ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mono_depth_ros.inference import pose_refinement  # noqa: E402
from mono_depth_ros.inference.ego_motion_estimator import DEFAULT_MOTION_INTRINSICS, refine_result, \
    with_camera_intrinsics  # noqa: E402
from mono_depth_ros.inference.weights import default_weights_path  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402
from training.evaluate.pose_metrics import (chain_relative, pair_errors, relative_from_poses,  # noqa: E402
                                            trajectory_metrics)
from training.evaluate.predict import load_models, predict_depth_result, predict_motion_result  # noqa: E402
from training.evaluate.run import _consecutive_runs  # noqa: E402  (as training evaluate picks its frames)

MARGINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)


def folder_pairs(models, folder: DatasetFolder):
    """Network results, depths and ground truth of the longest run of consecutive posed frames."""
    frames = max(_consecutive_runs([i for i in folder.indices("all") if folder.pose(i) is not None]), key=len)
    rgbs = [folder.rgb(i) for i in frames]
    poses = [folder.pose(i) for i in frames]
    stamps = np.array([folder.by_index[i].stamp_ns for i in frames], np.float64) * 1e-9
    results = [predict_motion_result(models, a, b, "none") for a, b in zip(rgbs, rgbs[1:])]
    depths = [predict_depth_result(models, a, "li2020_depth") for a in rgbs[:-1]]
    return rgbs, depths, results, poses, stamps


def score(rel: list[np.ndarray], poses: list[np.ndarray], stamps: np.ndarray) -> tuple[float, float, float]:
    gt_rel = relative_from_poses(poses)
    errors = [pair_errors(T, G) for T, G in zip(rel, gt_rel)]
    metrics, _ = trajectory_metrics(chain_relative(rel), [np.linalg.inv(poses[0]) @ p for p in poses], stamps)
    return (float(np.nanmean([e["rotation_error_deg"] for e in errors])),
            float(np.nanmean([e["translation_direction_error_deg"] for e in errors])), float(metrics["ate_mean_m"]))


def validation_sweep(doc: str, argv: list[str] | None,
                     more_arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None):
    """(args with ``data`` and ``weights``, the li2020 pair loaded with its depth flip-averaged as the
    nodes' default): the command line of the validation sweeps (this one, sweep_motion_flip.py,
    sweep_motion_intrinsics.py, sweep_motion_refinement.py); ``more_arguments`` adds a sweep's own."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    more_arguments(parser)
    parser.add_argument("--data", nargs="+", required=True, help="validation dataset folders (training extract)")
    parser.add_argument("--weights", default=str(default_weights_path("li2020_depth")),
                        help="li2020_depth.pt (its li2020_motion.pt beside it); default: the bundled one")
    args = parser.parse_args(argv)
    models = load_models([args.weights])
    models.flip_average = "auto"
    return args, models


def print_mode_table(name: str, rows: dict[tuple[str, str], list[tuple[float, float, float]]], args) -> dict:
    """Print (markdown) the mean over the sequences of (rotation deg, direction deg, ATE m) for each
    (``name``'s value, motion_refinement) of ``rows``; returns those means by key."""
    print(f"{name} on {len(args.data)} sequences ({args.weights}); mean over the sequences")
    print(f"| {name} | motion_refinement | rotation err deg | direction err deg | ATE m |")
    print("|---|---|---|---|---|")
    means = {key: np.mean(np.array(values), axis=0) for key, values in rows.items()}
    for (mode, refinement), (rot, direction, ate) in sorted(means.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"| {mode} | {refinement} | {rot:.4f} | {direction:.3f} | {ate:.4f} |")
    return means


def main(argv: list[str] | None = None) -> int:
    args, models = validation_sweep(__doc__, argv)
    rows: dict[str, list[tuple[float, float, float, float]]] = {}
    for path in tqdm(args.data, desc="sequences"):
        folder = DatasetFolder(path)
        rgbs, depths, results, poses, stamps = folder_pairs(models, folder)
        intr = folder.intrinsics
        if DEFAULT_MOTION_INTRINSICS == "camera":  # as the node: the rotation in the camera's focal length
            results = [with_camera_intrinsics(r, intr) for r in results]
        rows.setdefault("never", []).append((*score([r.T_b_from_a for r in results], poses, stamps), 0.0))
        for margin in MARGINS:
            pose_refinement.NO_ROTATION_MARGIN = margin
            refined = [refine_result(r, a, d, b, "rest", intr)
                       for r, a, d, b in zip(results, rgbs, depths, rgbs[1:])]
            dropped = np.mean([r.choice == "no_rotation" for r in refined])
            rows.setdefault(f"{margin:g}", []).append((*score([r.T_b_from_a for r in refined], poses, stamps),
                                                       float(dropped)))
    print(f"rest-check margin on {len(args.data)} sequences ({args.weights}); mean over the sequences")
    print(f"{'margin':<8}{'rotation deg':>14}{'direction deg':>15}{'ATE m':>9}{'no-rotation pairs':>19}")
    for name, values in rows.items():
        rot, direction, ate, dropped = np.mean(np.array(values), axis=0)
        print(f"{name:<8}{rot:14.4f}{direction:15.2f}{ate:9.4f}{dropped:18.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
