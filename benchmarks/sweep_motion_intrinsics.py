"""Choose whether li2020's motion estimate is re-expressed for the camera's known intrinsics.

The motion network explains the image motion under the intrinsics it learned; on the validation
sequences those barely follow the camera (fx about 100 px at 160 px wide whatever the lens), so a
rotation is reported in the network's own pixels-per-radian. ``with_camera_intrinsics`` rescales
the rotation about x and y and the translation's x and y by f_learned / f_camera where camera_info
gives the intrinsics (``motion_intrinsics: auto``); ``learned`` leaves the network's estimate.
Rule, fixed before this script's first run: ``auto`` becomes the default only if, with the node's
default ``motion_refinement: rest``, the mean over the 8 synthetic validation sequences of the
rotation error and of ATE are lower with the rescaling and the direction error is at most 2 %
higher. The network alone (``none``) is printed beside it. The real frames play no part.
Two forms were tried, in this order, under the same rule: the rotation and the lateral translation
rescaled (``auto``; first run: rejected, direction 9.91 -> 11.42 deg with ``rest``), then the
rotation alone (``rotation``; accepted, shipped as ``motion_intrinsics: camera``).
A third form, tried afterwards under the same rule against the shipped ``rotation`` (fixed before its
first run): ``reference`` rescales the rotation by f_reference / f_camera instead of f_head /
f_camera, where f_reference is the training cameras' harmonic-mean focal length at the network
input (REFERENCE_FOCAL_PER_HEIGHT x the input height: 132.46 px at 120x160 for stage 10's 300
sequences). The network cannot see the focal length, so for an image shift s it can only regress
the mean of s / f over its training cameras, s / f_harmonic; the head's value (85-114 px) is
untrained. ``reference`` ships only if, with ``rest``, rotation error and ATE are lower than
``rotation``'s and the direction error at most 2 % higher.

The rotation-and-translation form (``auto`` here) was rejected for stage 17's li2020 and never
judged against the shipped ``rotation`` form since. For stage 29's li2020 (rule fixed before the
run, as for ``reference``): it replaces ``rotation`` only if, at both renderings of the 80
validation sequences (160x120 and 480 lines), with ``rest``, its rotation error and ATE are lower
than ``rotation``'s and its direction error at most 2 % higher.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_motion_intrinsics.py --data runs/demo/data/val_*
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sweep_rest_margin import folder_pairs, print_mode_table, score, validation_sweep  # noqa: E402
from mono_depth_ros.inference.ego_motion_estimator import refine_result, with_camera_intrinsics  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402

#: harmonic mean of the training cameras' focal length (stage 10's 300 sequences, 160-396 x 120,
#: fx 81-236 px, all cropped 1:1 into 120x160) per network input height
REFERENCE_FOCAL_PER_HEIGHT = 132.458 / 120


def with_reference_focal(result, fit):
    """``result`` with the head's focal length replaced by the reference focal length, at the
    camera's resolution (``fit``: how the frame was fitted to the network input)."""
    f = REFERENCE_FOCAL_PER_HEIGHT * fit.net_hw[0] * fit.src_h / fit.content_h
    return replace(result, intrinsics=replace(result.intrinsics, fx=f, fy=f))


def main(argv: list[str] | None = None) -> int:
    args, models = validation_sweep(__doc__, argv)
    rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    focal: list[str] = []
    for path in tqdm(args.data, desc="sequences"):
        folder = DatasetFolder(path)
        intr = folder.intrinsics
        rgbs, depths, results, poses, stamps = folder_pairs(models, folder)
        head_fx = np.median([r.intrinsics.fx for r in results])
        focal.append(f"{Path(path).name}: fx {intr.fx:.1f}, learned {head_fx:.1f}")
        fit = models.fit_for(rgbs[0].shape[:2])
        for mode in ("learned", "auto", "rotation", "reference"):
            if mode == "learned":
                estimates = results
            elif mode == "reference":
                estimates = [with_camera_intrinsics(with_reference_focal(r, fit), intr) for r in results]
            else:
                estimates = [with_camera_intrinsics(r, intr, translation=mode == "auto") for r in results]
            rows.setdefault((mode, "none"), []).append(score([r.T_b_from_a for r in estimates], poses, stamps))
            refined = [refine_result(r, a, d, b, "rest", intr) for r, a, d, b in zip(estimates, rgbs, depths, rgbs[1:])]
            rows.setdefault((mode, "rest"), []).append(score([r.T_b_from_a for r in refined], poses, stamps))
    print("\n".join(focal))
    means = print_mode_table("motion_intrinsics", rows, args)
    old = means[("learned", "rest")]
    for mode in ("auto", "rotation"):
        new = means[(mode, "rest")]
        chosen = bool(new[0] < old[0] and new[2] < old[2] and new[1] <= 1.02 * old[1])
        print(f"rule (rest: rotation and ATE lower, direction at most 2 % higher): {mode} as the default = {chosen}")
    for mode in ("reference", "auto"):
        new, old = means[(mode, "rest")], means[("rotation", "rest")]
        chosen = bool(new[0] < old[0] and new[2] < old[2] and new[1] <= 1.02 * old[1])
        print(f"rule (rest, against the shipped rotation form): {mode} replaces it = {chosen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
