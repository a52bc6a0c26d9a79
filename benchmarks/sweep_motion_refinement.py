"""Re-decide ego_motion_node's default ``motion_refinement`` for the li2020 weights that ship.

``rest`` became the default with stage 9's weights on the 8 synthetic validation sequences because
it had the lowest mean ATE (0.271 m against 0.277 for ``auto`` and 0.290 for the network alone,
docs/motion_refinement.md); ``auto`` had the lowest rotation and direction errors. The weights have
changed 17 times since. Rule, fixed before this script's first run and the same criterion as then:
the default is the mode with the lowest mean ATE (Sim3-aligned, mean over the sequences) on the
validation sequences given, each weighted alike; rotation and direction error are printed beside
it. Each pair's network estimate and depth are computed once (li2020 alone, its rotation
re-expressed for the camera's focal length as the node's default ``motion_intrinsics: camera``,
flip-averaged depth as the node's ``flip_average: auto``); the intrinsics are the sequences'
(``auto`` refines because they are known, as with a camera_info). "no rotation" and "no motion"
rows are the trivial baselines. Validation data only: the real frames play no part. Run it on both
renderings of the validation sequences (160x120 and the 480-line ``valhr_*``): since stage 29 a
challenger replaces the default only where it wins at both (docs/motion_refinement.md).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_motion_refinement.py --data runs/demo/data/val_* ...

``--refine-depth filtered`` gives the refinement the depth that depth_node publishes with
``guided_filter: auto`` instead of the network's own (the shipped form since that filter came).
Rule, fixed before its first run: the refinement would warp with the filtered depth only if, at
both renderings, ``rest``'s mean ATE is lower with it and its rotation and direction errors are not
higher.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sweep_rest_margin import folder_pairs, print_mode_table, score, validation_sweep  # noqa: E402
from mono_depth_ros.inference.ego_motion_estimator import refine_result, with_camera_intrinsics  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402

MODES = ("none", "rest", "auto", "translation")


def _without_rotation(T: np.ndarray) -> np.ndarray:
    out = np.eye(4)
    out[:3, 3] = T[:3, 3]
    return out


def main(argv: list[str] | None = None) -> int:
    args, models = validation_sweep(__doc__, argv, lambda parser: parser.add_argument(
        "--refine-depth", choices=("network", "filtered"), default="network",
        help="the depth the refinement warps with: the network's own (shipped) or guided_filter's"))
    filtered = args.refine_depth == "filtered"
    if filtered:
        models.guided_filter = "auto"  # DepthResult.depth_m filtered, as depth_node publishes it
    print("refinement warps with " + ("the guided-filtered depth" if filtered else "the network's own depth"))
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for path in tqdm(args.data, desc="sequences"):
        folder = DatasetFolder(path)
        rgbs, depths, results, poses, stamps = folder_pairs(models, folder)
        intr = folder.intrinsics
        results = [with_camera_intrinsics(r, intr) for r in results]
        for mode in MODES:
            refined = [refine_result(r, a, d.depth_m if filtered else d, b, mode, intr)
                       for r, a, d, b in zip(results, rgbs, depths, rgbs[1:])]
            rows.setdefault(("network", mode), []).append(score([r.T_b_from_a for r in refined], poses, stamps))
        rows.setdefault(("its translation, no rotation", "none"), []).append(
            score([_without_rotation(r.T_b_from_a) for r in results], poses, stamps))
    means = print_mode_table("motion", rows, args)
    best = min(MODES, key=lambda m: means[("network", m)][2])
    print(f"lowest mean ATE (the rule): {best}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
