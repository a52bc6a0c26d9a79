"""Depth scored against an SGBM reference on a stereo-only folder (right images, no depth topic).

A recording with a left and a right camera and no depth sensor trains xian2018 from its stereo
pairs (``training.data.stereo``, inverse disparity as in Xian et al. 2018's ReDWeb). To select and
score such a network on the same recording, each frame of the split that has a right image and no
depth gets a reference from its rectified pair through the same SGBM path as those targets and as
``benchmarks/bench_real.py``'s OAK-D and KITTI rows (``real_sets.sgbm_depth_m``: SGBM both ways,
left-right check): ``fx * baseline / disparity`` in metres when intrinsics.yaml has ``baseline_m``,
else ``1 / disparity`` (depth up to scale; the depth caps then do not apply).

The reference is relative, not ground truth: SGBM is wrong on textureless and repetitive surfaces,
and its scale only as good as the calibration. So every figure is median-scaled AbsRel, delta1 and
WHDR (the one definition, ``depth_metrics``), computed as ``bench_real.py`` does
(``real_bench.depth_scores``) on the pixels SGBM marks valid where the network predicts, beside the
constant map and the vertical ramp on the same pixels. Frames with depth are never scored here:
they keep ``training evaluate``'s depth section.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from training.data.datasets import DatasetFolder
from training.data.stereo import stereo_relative_depth
from training.evaluate.depth_metrics import LAYOUT_GRID_HW, DepthCaps, layout_grid, layout_share
from training.evaluate.predict import LoadedModels, predict_depth
from training.evaluate.real_bench import DEPTH_BASELINES, baseline_depth, common_mask, depth_scores
from training.evaluate.real_sets import sgbm_depth_m
from training.evaluate.report import depth_figure

LOG = logging.getLogger(__name__)

SGBM_LABEL = "SGBM reference (relative, not ground truth)"
SGBM_ABOUT = ("reference: OpenCV SGBM on each frame's rectified stereo pair, left-right checked (training.data."
              "stereo, as xian2018's stereo targets and bench_real.py's OAK-D / KITTI rows); scored on the pixels "
              "SGBM marks valid where the network predicts; every row median-scaled to the reference")
#: the rows of the SGBM table: the network, then bench_real.py's baselines on the same pixels
SGBM_ROWS = ("network", *DEPTH_BASELINES)
SGBM_METRICS = ("abs_rel", "delta1", "whdr")
# the references of one process (select scores every checkpoint on the same frames); SGBM is the
# slow part (about 0.3 s a 1241x376 pair), so the first frames' are kept up to this many bytes
CACHE_BYTES = 512 * 2**20
_CACHE: dict[tuple, tuple[np.ndarray, bool]] = {}


def stereo_only_frames(folder: DatasetFolder, indices: list[int]) -> list[int]:
    """The frames of ``indices`` with a right image and no depth (depth frames keep ground truth)."""
    return [i for i in indices if folder.by_index[i].right and not folder.by_index[i].depth]


def sgbm_reference(folder: DatasetFolder, index: int, max_disparity_px: int | None = None) -> tuple[np.ndarray, bool]:
    """((H, W) float32 reference of frame ``index``, NaN where SGBM is not confident; True when it is
    metric ``fx * B / d`` (the folder has a baseline), False for ``1 / d``). ``max_disparity_px``:
    SGBM's search range, default W / 4 as for the training targets. Raises ValueError when the
    right image's size differs from the left's."""
    rec = folder.by_index[index]
    intr = folder.intrinsics_of(index) or folder.intrinsics
    fx_baseline = (intr.fx, float(folder.baseline_m)) if folder.baseline_m and intr is not None else None
    files = [folder.path / rec.rgb, folder.path / rec.right]
    key = (*(str(p.resolve()) for p in files), *(os.stat(p).st_mtime_ns for p in files), fx_baseline,
           max_disparity_px)
    if key in _CACHE:
        return _CACHE[key]
    left, right = folder.rgb(index), folder.right(index)
    if fx_baseline:
        out = sgbm_depth_m(left, right, *fx_baseline, max_disparity_px), True
    else:
        out = stereo_relative_depth(left, right, max_disparity_px=max_disparity_px).relative_depth, False
    out[0].setflags(write=False)  # shared by every later call of this process
    if sum(ref.nbytes for ref, _ in _CACHE.values()) + out[0].nbytes <= CACHE_BYTES:
        _CACHE[key] = out
    return out


def _frame_scores(pred: np.ndarray, ref: np.ndarray, mask: np.ndarray, caps: DepthCaps, seed: int,
                  whdr_pairs: int) -> dict[str, dict[str, float]]:
    """Every row's median-scaled abs_rel, delta1 and whdr on ``mask`` (bench_real's depth_scores)."""
    rows = {"network": pred, **{b: baseline_depth(b, ref, mask) for b in DEPTH_BASELINES}}
    out = {}
    for name, depth in rows.items():
        scores = depth_scores(depth, ref, mask, caps, seed, whdr_pairs)
        out[name] = {"abs_rel": scores["abs_rel_med"], "delta1": scores["delta1_med"], "whdr": scores["whdr"]}
    return out


def _picture(path: Path, models: LoadedModels, index: int, rgb: np.ndarray, pred: np.ndarray, ref: np.ndarray,
             mask: np.ndarray, is_metric: bool, abs_rel: float) -> None:
    """input | prediction (at the reference's median on ``mask``) | SGBM reference."""
    scale = float(np.median(ref[mask]) / np.median(pred[mask]))
    depth_figure(path, rgb, pred * scale, ref, f"{models.depth_spec} frame {index} vs SGBM, not ground truth "
                                               f"(abs_rel {abs_rel:.3f})",
                 label="depth [m] (SGBM)" if is_metric else "depth (SGBM 1/disparity, up to scale)",
                 truth_title="SGBM reference")


def evaluate_depth_vs_sgbm(models: LoadedModels, folder: DatasetFolder, frames: list[int], opts, out_dir: Path,
                           pictures: int) -> dict:
    """Mean scores of the depth network and the baselines against the SGBM reference of ``frames``
    (stereo_only_frames), or {"not_scored": why}. ``opts``: EvalOptions (caps, whdr_pairs, progress,
    stereo_max_disparity_px); ``pictures``: at most this many input | prediction | reference
    pictures, their file names under "pictures"."""
    per_row: dict[str, list[dict]] = {name: [] for name in SGBM_ROWS}
    stats: dict[str, list] = {"valid": [], "coverage": [], "metric": [], "pred": [], "reference": []}
    skipped, names, step = 0, [], max(1, len(frames) // max(pictures, 1))
    for n, index in enumerate(tqdm(frames, desc="depth vs SGBM", unit="frame", disable=not opts.progress)):
        try:
            ref, is_metric = sgbm_reference(folder, index, opts.stereo_max_disparity_px)
        except ValueError as exc:  # a right image of another size: not a rectified pair
            LOG.warning("frame %d skipped: %s", index, exc)
            skipped += 1
            continue
        caps = opts.caps if is_metric else DepthCaps(0.0, float("inf"))  # 1 / d has no metres to cap
        rgb = folder.rgb(index)
        pred = predict_depth(models, rgb)
        mask, sgbm_valid = common_mask(ref, [pred], caps), common_mask(ref, [], caps)
        if mask.sum() < 2:
            skipped += 1
            continue
        for name, scores in _frame_scores(pred, ref, mask, caps, index, opts.whdr_pairs).items():
            per_row[name].append(scores)
        stats["metric"].append(is_metric)
        stats["valid"].append(float(sgbm_valid.mean()))
        stats["coverage"].append(float(mask.sum() / sgbm_valid.sum()))
        if ref.shape[0] >= LAYOUT_GRID_HW[0] and ref.shape[1] >= LAYOUT_GRID_HW[1]:
            stats["pred"].append(layout_grid(pred, mask))
            stats["reference"].append(layout_grid(ref, mask))
        if pictures and n % step == 0 and n // step < pictures:
            names.append(f"depth_{index:06d}.png")
            _picture(out_dir / names[-1], models, index, rgb, pred, ref, mask, is_metric,
                     per_row["network"][-1]["abs_rel"])
    if not stats["coverage"]:
        why = (f"none of the {len(frames)} frames with a right image and no depth could be scored: fewer than 2 "
               "pixels where SGBM is confident and the network predicts, or a right image of another size (logged)")
        return {"reference": SGBM_LABEL, "frames": 0, "skipped_frames": skipped, "not_scored": why, "pictures": names}
    metric = set(stats["metric"])
    return {"reference": SGBM_LABEL, "about": SGBM_ABOUT,
            "reference_depth": "fx * baseline_m / disparity (m)" if metric == {True} else
            "1 / disparity (up to scale: intrinsics.yaml has no baseline_m)" if metric == {False} else "mixed",
            "frames": len(stats["coverage"]), "skipped_frames": skipped, "median_scaling": True,
            "depth_network": models.depth_spec, "output_kind": models.depth_kind,
            "sgbm_valid_fraction": float(np.mean(stats["valid"])),
            "scored_fraction_of_valid": float(np.mean(stats["coverage"])),
            "rows": {name: {k: float(np.mean([s[k] for s in scores])) for k in SGBM_METRICS}
                     for name, scores in per_row.items()},
            "layout_share": layout_share(stats["pred"]), "layout_share_reference": layout_share(stats["reference"]),
            "pictures": names}
