"""Choose what ``motion_flip_average: auto`` does, on the validation sequences only.

``motion_flip_average`` also runs li2020's motion network on the mirrored pair and averages the
two estimates, the mirrored one mapped back (``ego_motion_estimator.run_motion``): a bias that is
not mirror-symmetric (a network that turns one way more readily than the other) cancels, at twice
the motion network's cost. Rule, fixed before the first run: ``auto`` flips
(``AUTO_FLIPS_MOTION = True``) only if, with the node's default ``motion_refinement: rest``, the
mean over the 8 synthetic validation sequences of both the rotation error and the translation
direction error a pair are lower with the flip than without. The network alone
(``motion_refinement: none``) and ATE are printed beside them. The real frames play no part.

Since stage 29's li2020 (re-decided for the weights that ship, as ``motion_intrinsics`` is): the
network's rotation is re-expressed for the sequences' focal length first, as the node's default
``motion_intrinsics: camera`` does, and the rule is applied on the 80 validation sequences at both
renderings (``val_*`` and ``valb_*`` at 160x120, ``valhr_*`` at 480 lines; run once for each):
``auto`` flips only where the flip wins at both, as docs/motion_refinement.md asks of a challenger.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_motion_flip.py --data runs/demo/data/val_* runs/demo/data/valb_*
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_motion_flip.py --data runs/demo/data/valhr_*
"""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sweep_rest_margin import folder_pairs, print_mode_table, score, validation_sweep  # noqa: E402
from mono_depth_ros.inference.ego_motion_estimator import refine_result, with_camera_intrinsics  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402

MODES = ("never", "always")


def main(argv: list[str] | None = None) -> int:
    args, models = validation_sweep(__doc__, argv)
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for path in tqdm(args.data, desc="sequences"):
        folder = DatasetFolder(path)
        for mode in MODES:
            models.motion_flip_average = mode
            rgbs, depths, results, poses, stamps = folder_pairs(models, folder)
            results = [with_camera_intrinsics(r, folder.intrinsics) for r in results]  # the node's default
            rows.setdefault((mode, "none"), []).append(score([r.T_b_from_a for r in results], poses, stamps))
            refined = [refine_result(r, a, d, b, "rest", folder.intrinsics)
                       for r, a, d, b in zip(results, rgbs, depths, rgbs[1:])]
            rows.setdefault((mode, "rest"), []).append(score([r.T_b_from_a for r in refined], poses, stamps))
    means = print_mode_table("motion_flip_average", rows, args)
    flip, plain = means[("always", "rest")], means[("never", "rest")]
    chosen = bool(flip[0] < plain[0] and flip[1] < plain[1])
    print(f"rule (rest: rotation and direction both lower with the flip): AUTO_FLIPS_MOTION = {chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
