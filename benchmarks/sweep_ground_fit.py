"""Decide ``level_fallback`` of the camera_height rule's ground fit on the synthetic validation
sequences only.

``scale_source: camera_height`` fits a plane within 15 deg of the up direction it is given to the
points below the horizon of the published depth; its distance gives the scale
(core/ground_plane.py). A network that reads the floor tilted against the known up (a real room:
eigen2014 on every Kinect frame, bench_metric_scale.py) gets no plane, so no metres. The level fit
(``fit_level_ground``) trusts the up as given and fits the ground's distance alone; xian2018's
affine rule already falls back to it. ``level_fallback`` uses it where the plane fit finds nothing.

Rule, fixed before the first run: on the validation sequences rendered at 480 lines (``valhr_*``,
where the node measures: at the camera's resolution; extraction rectifies the distorted lenses, and a
folder whose intrinsics still carry a distortion would be left out), up to ``--frames`` frames each, on every frame whose truth
shows a floor (``mount_from_truth``, as bench_metric_scale.py: the mount a user would measure), for
each network whose rule is the plane fit (eigen2014, rescaled; li2020, up to scale):
``level_fallback`` becomes the default when, for both, on the frames where the plane fit finds no
ground and the level fit does, the level fit's metres score a lower mean AbsRel than the oracle
constant map (the truth's median everywhere) on those frames, and for eigen2014 also lower than
its own metres. With fewer than 10 such frames for a network the validation cannot show it, and
the default stays off. Frames where the plane fit finds the ground score the same either way.
xian2018 is printed beside them (its rule falls back already) and decides nothing. The real
frames play no part.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/sweep_ground_fit.py --data runs/demo/data/valhr_* \\
        --json docs/ground_fit_sweep.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.sweep_guided_filter import frames_of  # noqa: E402
from mono_depth_ros.core.depth_metrics import DepthCaps, baseline_depth, common_mask  # noqa: E402
from mono_depth_ros.core.ground_plane import GroundPlaneConfig  # noqa: E402
from mono_depth_ros.inference.spec import METRIC_KINDS  # noqa: E402
from training.data.datasets import DatasetFolder  # noqa: E402
from training.evaluate.metric_scale import metres_from_mount, metric_scores, mount_from_truth  # noqa: E402
from training.evaluate.real_bench import DepthCache, load_networks  # noqa: E402
from training.evaluate.real_sets import RealFrame  # noqa: E402

METHODS = ("eigen2014", "xian2018", "li2020")
DECIDING = ("eigen2014", "li2020")
MIN_FRAMES = 10
PLANE = GroundPlaneConfig()
LEVEL = replace(PLANE, level_fallback=True)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def sweep(paths: list[Path], frames: int, caps: DepthCaps) -> dict:
    """Per network: frames with a floor, the plane fit's frames and scores, and those the level
    fallback adds with their scores beside the oracle constant's (and eigen2014's own metres)."""
    depth_of = DepthCache(load_networks(list(METHODS), flip_average="auto", guided_filter="auto"))
    rows = {m: {"plane": [], "level_only": [], "constant_level_only": [], "own_level_only": [], "none": 0}
            for m in METHODS}
    floors, skipped = 0, []
    for path in tqdm(paths, desc="sequences"):
        folder = DatasetFolder(path)
        if any(abs(v) > 0 for v in folder.intrinsics.d):
            skipped.append(f"{path.name}: distorted lens")
            continue
        for i in frames_of(folder, frames):
            gt = folder.depth_m(i)
            mount, _ = mount_from_truth(gt, folder.intrinsics)
            if mount is None:
                continue
            floors += 1
            frame = RealFrame(f"{path.name}/{i}", folder.rgb(i), gt)
            preds = {m: depth_of(m, frame) for m in METHODS}
            mask = common_mask(gt, preds.values(), caps)
            if mask.sum() < 100:
                continue
            for m in METHODS:
                kind = depth_of.nets.depth[m].spec.output_kind
                metres, _ = metres_from_mount(preds[m], kind, folder.intrinsics, mount, PLANE)
                if metres is not None:
                    rows[m]["plane"].append(metric_scores(metres, gt, mask, caps)["abs_rel"])
                    continue
                metres, _ = metres_from_mount(preds[m], kind, folder.intrinsics, mount, LEVEL)
                if metres is None:
                    rows[m]["none"] += 1
                    continue
                rows[m]["level_only"].append(metric_scores(metres, gt, mask, caps)["abs_rel"])
                rows[m]["constant_level_only"].append(
                    metric_scores(baseline_depth("constant", gt, mask), gt, mask, caps)["abs_rel"])
                if kind in METRIC_KINDS:
                    rows[m]["own_level_only"].append(metric_scores(preds[m], gt, mask, caps)["abs_rel"])
    out = {"frames_with_floor": floors, "skipped": skipped, "networks": {}}
    for m, r in rows.items():
        out["networks"][m] = {"plane_frames": len(r["plane"]), "plane_abs_rel": _mean(r["plane"]),
                              "level_only_frames": len(r["level_only"]), "level_only_abs_rel": _mean(r["level_only"]),
                              "constant_on_level_only": _mean(r["constant_level_only"]),
                              "own_on_level_only": _mean(r["own_level_only"]), "no_ground": r["none"]}
    return out


def decide(results: dict) -> tuple[bool, list[str]]:
    """(level_fallback's default, one line a deciding network) by the module's rule."""
    verdict, lines = True, []
    for m in DECIDING:
        r = results["networks"][m]
        n = r["level_only_frames"]
        wins = n >= MIN_FRAMES and r["level_only_abs_rel"] < r["constant_on_level_only"] and \
            (not np.isfinite(r["own_on_level_only"]) or r["level_only_abs_rel"] < r["own_on_level_only"])
        verdict &= wins
        lines.append(f"{m}: {n} frames only the level fit scores; AbsRel {r['level_only_abs_rel']:.3f} against the "
                     f"oracle constant's {r['constant_on_level_only']:.3f}"
                     + (f" and its own metres' {r['own_on_level_only']:.3f}" if np.isfinite(r["own_on_level_only"]) else "")
                     + (" (too few to decide)" if n < MIN_FRAMES else "") + (": qualifies" if wins else ": does not"))
    return verdict, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="validation folders (valhr_*)")
    parser.add_argument("--frames", type=int, default=6, help="at most this many frames a sequence")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    missing = [p for p in args.data if not (p / "manifest.csv").is_file()]
    if missing:
        parser.error(f"--data: not an extracted folder (no manifest.csv): {missing[0]}")
    results = sweep(sorted(args.data), args.frames, DepthCaps())
    default, lines = decide(results)
    results.update(level_fallback=default, decision=lines)
    print(f"{results['frames_with_floor']} frames whose truth shows a floor "
          f"({len(results['skipped'])} sequences left out: distorted lens)")
    print(f"{'network':<10} {'plane fit: frames':>17} {'AbsRel':>7} {'level only: frames':>19} {'AbsRel':>7} "
          f"{'constant':>8} {'own':>6} {'no ground':>9}")
    for m, r in results["networks"].items():
        print(f"{m:<10} {r['plane_frames']:>17} {r['plane_abs_rel']:>7.3f} {r['level_only_frames']:>19} "
              f"{r['level_only_abs_rel']:>7.3f} {r['constant_on_level_only']:>8.3f} {r['own_on_level_only']:>6.3f} "
              f"{r['no_ground']:>9}")
    print("\n".join(lines))
    print(f"level_fallback default: {default}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
