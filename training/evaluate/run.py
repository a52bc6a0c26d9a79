"""Evaluate trained networks on a dataset folder: depth, relative depth (WHDR), ego-motion; depth
against an SGBM reference on frames with a right image and no depth (stereo_reference)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mono_depth_ros.core.depth_metrics import DEPTH_BASELINES, baseline_depth, common_mask
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.inference.processing import flip_enabled, guided_filter_setting
from mono_depth_ros.inference.pose_refinement import MOTION_CHOICES
from training.data.datasets import DatasetFolder
from training.evaluate.classical_vo import essential_pose
from training.evaluate.depth_metrics import (LAYOUT_GRID_HW, DepthCaps, depth_errors, layout_grid, layout_share,
                                             mean_metrics, whdr)
from training.evaluate.pose_metrics import chain_relative, pair_errors, relative_from_poses, trajectory_metrics
from training.evaluate.predict import LoadedModels, load_models, predict_depth, predict_motion_result
from training.evaluate.report import depth_figure, markdown_table, trajectory_figure, write_json
from training.evaluate.stereo_reference import SGBM_LABEL, evaluate_depth_vs_sgbm, stereo_only_frames

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalOptions:
    split: str = "test"
    median_scaling: bool = False
    caps: DepthCaps = DepthCaps()
    pictures: int = 4
    whdr_pairs: int = 10000
    classical: str = "orb"  # "orb" | "sift" | "none"
    resize_mode: str | None = None  # how frames are fitted to the networks; None: the run's data.resize_mode
    flip_average: str = "never"  # auto | always | never: test-time flip, as the depth node's parameter
    guided_filter: str = "never"  # auto | always | never: as the depth node's (never here: select scores the network)
    # as ego_motion_node's (with the dataset's intrinsics); none here: `training select` scores the
    # networks alone, `training evaluate` defaults to auto as the node does
    motion_refinement: str = "none"
    motion_flip_average: str = "never"  # as ego_motion_node's (never here: select scores the network as trained)
    motion_intrinsics: str = "learned"  # as ego_motion_node's (learned here: select scores the network as trained)
    progress: bool = True  # per-frame progress bars (off for `training select --no-progress`)
    # li2020: its label-free photometric score on the split's pairs beside the identity warp's (as
    # `training select --criterion photometric`); on in `training evaluate`, off here for callers that
    # score otherwise (select's other criteria would pay one more pass over the split per checkpoint)
    photometric: bool = False
    # frames with a right image and no depth are scored against SGBM (stereo_reference); its search
    # range in pixels, None: W / 4 as for xian2018's stereo targets
    stereo_max_disparity_px: int | None = None


def evaluate_depth(models: LoadedModels, folder: DatasetFolder, indices: list[int], opts: EvalOptions,
                   out_dir: Path) -> dict:
    """Mean depth metrics and WHDR over frames with depth. Pictures of up to ``opts.pictures``
    frames: input | prediction | truth of scored frames; their file names under "pictures" of the
    returned dict (``evaluate`` adds those of frames without depth)."""
    kind = models.depth_kind
    median = opts.median_scaling or kind != "metric_depth"  # non-metric outputs need a scale
    per_image, whdrs, skipped, non_finite = [], [], 0, 0
    constant_abs_rel = []  # baseline: a constant depth map, median-scaled (what "no structure" scores)
    ramp: dict[str, list] = {"abs_rel": [], "whdr": []}  # baseline: the vertical ramp, median-scaled
    layout: dict[str, list] = {"pred": [], "gt": []}  # layout_share of the predictions beside the truth's
    with_depth = [i for i in indices if folder.by_index[i].depth]
    step, pictures = max(1, len(with_depth) // max(opts.pictures, 1)), []
    bar = opts.progress and bool(with_depth)  # no bar over nothing: an empty one prints "depth: 0frame" twice
    for n, index in enumerate(tqdm(with_depth, desc="depth", unit="frame", disable=not bar)):
        rgb, gt = folder.rgb(index), folder.depth_m(index)
        pred = predict_depth(models, rgb)
        if gt.shape != pred.shape:
            import cv2
            gt = cv2.resize(gt, (pred.shape[1], pred.shape[0]), interpolation=cv2.INTER_NEAREST)
        seen = models.fit_for(rgb.shape[:2]).seen_mask()  # outside a crop the prediction is NaN by design
        if np.isfinite(pred[seen]).mean() < 0.99:
            non_finite += 1
        try:
            per_image.append(depth_errors(pred, gt, opts.caps, median))
            whdrs.append(whdr(pred, gt, n_pairs=opts.whdr_pairs, seed=index))
            scored = common_mask(gt, [pred], opts.caps)
            constant_m, ramp_m = (baseline_depth(b, gt, scored) for b in DEPTH_BASELINES)
            constant_abs_rel.append(depth_errors(constant_m, gt, opts.caps, True)["abs_rel"])
            ramp["abs_rel"].append(depth_errors(ramp_m, gt, opts.caps, True)["abs_rel"])
            ramp["whdr"].append(whdr(ramp_m, gt, n_pairs=opts.whdr_pairs, seed=index))
            if gt.shape[0] >= LAYOUT_GRID_HW[0] and gt.shape[1] >= LAYOUT_GRID_HW[1]:
                layout["pred"].append(layout_grid(pred, scored))
                layout["gt"].append(layout_grid(gt, scored))
        except InputError as exc:  # no usable pixel (ground truth out of range or prediction not finite)
            LOG.warning("frame %d skipped: %s", index, exc)
            skipped += 1
            continue
        if opts.pictures and n % step == 0 and n // step < opts.pictures:
            scale = per_image[-1].get("median_scale", 1.0)
            pictures.append(f"depth_{index:06d}.png")
            depth_figure(out_dir / pictures[-1], rgb, pred * scale, gt,
                         f"{models.depth_spec} frame {index} (abs_rel {per_image[-1]['abs_rel']:.3f})")
    if not per_image:
        why, stereo = _depth_not_scored(with_depth, skipped, opts), stereo_only_frames(folder, indices)
        if stereo:
            why += (f"; its {len(stereo)} frame{'s' * (len(stereo) > 1)} with a right image and no depth "
                    f"{'are' if len(stereo) > 1 else 'is'} scored against an {SGBM_LABEL} instead (depth_vs_sgbm)")
        return {"frames": 0, "skipped_frames": skipped, "non_finite_predictions": non_finite,
                "not_scored": why, "pictures": pictures}
    out = mean_metrics(per_image)
    out.update(skipped_frames=skipped, non_finite_predictions=non_finite, whdr=float(np.mean(whdrs)),
               constant_depth_abs_rel=float(np.mean(constant_abs_rel)), ramp_abs_rel=float(np.mean(ramp["abs_rel"])),
               ramp_whdr=float(np.mean(ramp["whdr"])), frames=len(per_image),
               layout_share=layout_share(layout["pred"]), layout_share_ground_truth=layout_share(layout["gt"]),
               median_scaling=median, output_kind=kind, pictures=pictures)
    return out


def _depth_not_scored(with_depth: list[int], skipped: int, opts: EvalOptions) -> str:
    if not with_depth:
        return (f"no frame of split {opts.split!r} has depth ground truth (extract with --depth-topic, or "
                "evaluate on a folder with depth/)")
    return (f"all {skipped} frames with depth were skipped: no ground truth within "
            f"[{opts.caps.min_depth_m:g}, {opts.caps.max_depth_m:g}] m where the prediction is finite "
            "(see --min-depth / --max-depth)")


def unlabelled_pictures(models: LoadedModels, folder: DatasetFolder, frames: list[int], count: int,
                        out_dir: Path) -> list[str]:
    """input | prediction pictures (depth_figure without the truth panel) of up to ``count`` of
    ``frames``, spread evenly over them (first and last included); the file names written."""
    if count <= 0 or not frames:
        return []
    picks = sorted({frames[k] for k in np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int)})
    metric = models.depth_kind == "metric_depth"
    names = []
    for index in picks:
        rgb = folder.rgb(index)
        names.append(f"depth_{index:06d}.png")
        depth_figure(out_dir / names[-1], rgb, predict_depth(models, rgb), None,
                     f"{models.depth_spec} frame {index} (no ground truth)",
                     label="depth [m]" if metric else "depth (up to scale)")
    return names


def _consecutive_runs(indices: list[int]) -> list[list[int]]:
    runs, current = [], []
    for i in sorted(indices):
        if current and i != current[-1] + 1:
            runs.append(current)
            current = []
        current.append(i)
    return runs + ([current] if current else [])


def evaluate_ego_motion(models: LoadedModels, folder: DatasetFolder, indices: list[int], opts: EvalOptions,
                        out_dir: Path) -> dict:
    """Network vs classical baseline on the longest run of consecutive frames with poses."""
    with_pose = [i for i in indices if folder.pose(i) is not None]
    runs = _consecutive_runs(with_pose)
    frames = max(runs, key=len) if runs else []
    if len(frames) < 3:
        why = (f"fewer than 3 consecutive frames with poses in split {opts.split!r}: "
               + _poses_state(folder, len(with_pose), len(frames), len(indices)))
        LOG.warning("ego-motion not scored: %s", why)
        return {"not_scored": why}
    gt_poses = [folder.pose(i) for i in frames]
    gt_rel = relative_from_poses(gt_poses)
    stamps = np.array([folder.by_index[i].stamp_ns for i in frames], np.float64) * 1e-9
    rgbs = [folder.rgb(i) for i in frames]
    pairs = tqdm(list(zip(rgbs, rgbs[1:])), desc="motion", disable=not opts.progress)
    intrinsics = folder.intrinsics  # the camera's, as the node uses camera_info's when refining
    network = [predict_motion_result(models, a, b, opts.motion_refinement, intrinsics) for a, b in pairs]
    estimates = {"network": [result.T_b_from_a for result in network]}
    failures = 0
    if opts.classical != "none" and folder.intrinsics is not None:
        k, classical = folder.intrinsics.k, []
        for (a, b), T_gt in zip(zip(rgbs, rgbs[1:]), gt_rel):
            T, _ = essential_pose(a, b, k, opts.classical)
            if T is None:
                failures, T = failures + 1, np.eye(4)
            T[:3, 3] *= np.linalg.norm(T_gt[:3, 3])  # monocular: translation scale from ground truth per pair
            classical.append(T)
        estimates[f"classical_{opts.classical}"] = classical
    results, positions = {}, {"ground truth": np.array([p[:3, 3] for p in gt_poses])}
    for name, rel in estimates.items():
        metrics, xyz = trajectory_metrics(chain_relative(rel), [np.linalg.inv(gt_poses[0]) @ p for p in gt_poses],
                                          stamps)
        pairs = [pair_errors(T, G) for T, G in zip(rel, gt_rel)]
        metrics.update({k: float(np.nanmean([p[k] for p in pairs])) for k in pairs[0]}, pairs=len(pairs))
        results[name] = metrics
        positions[name] = (gt_poses[0] @ np.c_[xyz, np.ones(len(xyz))].T).T[:, :3]
    # what motion_refinement made of each pair (the network's estimate, no rotation, no motion, aligned)
    for choice in MOTION_CHOICES:
        results["network"][f"refinement_{choice}_pairs"] = sum(result.choice == choice for result in network)
    if failures:
        results[f"classical_{opts.classical}"]["failed_pairs"] = failures
    trajectory_figure(out_dir / "trajectory.png", positions)
    return results


def _poses_state(folder: DatasetFolder, with_pose: int, longest: int, frames: int) -> str:
    """Why a split has too few posed frames, as the folder shows it (extract always writes
    poses_tum.txt, empty when the bag had no pose of the camera)."""
    if not (folder.path / "poses_tum.txt").is_file():
        return "the folder has no poses_tum.txt; extract with --odom-topic or from a bag with /tf"
    if not folder.poses:
        return ("poses_tum.txt is empty: the bag had no odometry/TF for the camera; extract with --odom-topic, "
                "or --odom-frame / --camera-frame naming the bag's TF frames")
    return (f"{with_pose} of its {frames} frames have a pose in poses_tum.txt ({len(folder.poses)} poses, "
            f"matched by exact stamp), at most {longest} in a row")


def _li2020_source(checkpoints: list[str | Path]) -> Path | None:
    """What photometric_score reads li2020 from (as select passes it): the one .ckpt, or the folder
    holding the evaluated li2020_depth.pt and li2020_motion.pt; None for other layouts."""
    paths = [Path(c) for c in checkpoints]
    if len(paths) == 1 and paths[0].suffix == ".ckpt":
        return paths[0]
    pair = {paths[0].parent / "li2020_depth.pt", paths[0].parent / "li2020_motion.pt"}
    if all(p.is_file() for p in pair) and {p.resolve() for p in paths} <= {p.resolve() for p in pair}:
        return paths[0].parent
    return None


PHOTOMETRIC_ABOUT = ("li2020's photometric loss (label-free, lower is better) on the split's consecutive pairs, "
                     "as training select --criterion photometric; network: the li2020 networks' warp, no_motion: "
                     "the identity warp on the same pairs")


def evaluate_photometric(checkpoints: list[str | Path], data_dir: str | Path, opts: EvalOptions) -> dict:
    """li2020's label-free score on the split's consecutive pairs: {"network": photometric_terms (the
    value of photometric_score, which `training select --criterion photometric` ranks by),
    "no_motion": no_motion_terms on the same pairs}, or {"not_scored": why}. Lower is better; the
    networks are run as trained (the run's input size and resize mode, no flip, no refinement)."""
    from training.evaluate.photometric import li2020_for_scoring, no_motion_terms, photometric_terms

    source = _li2020_source(checkpoints)
    if source is None:
        why = "needs one .ckpt, or li2020_depth.pt and li2020_motion.pt in one folder"
    else:
        try:
            module = li2020_for_scoring(source, DatasetFolder(data_dir).intrinsics is not None)
            return {"about": PHOTOMETRIC_ABOUT, "split": opts.split,
                    "network": photometric_terms(module, data_dir, opts.split, progress=opts.progress),
                    "no_motion": no_motion_terms(module, data_dir, opts.split)}
        except InputError as exc:
            why = str(exc)
    LOG.warning("photometric score not computed: %s", why)
    return {"not_scored": why}


def evaluate(checkpoints: list[str | Path], data_dir: str | Path, out_dir: str | Path,
             opts: EvalOptions = EvalOptions(), card: str | Path | None = None) -> dict:
    """Run every evaluation that the loaded networks and the dataset allow; write
    metrics.json, metrics.md and pictures into ``out_dir``. Returns the results dict (its
    "pictures": the names of the pictures written).
    ``card``: the model card of an .onnx checkpoint (default: the one beside it)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    models = load_models(checkpoints, card)
    if opts.resize_mode is not None:
        if models.estimators:
            raise InputError("resize_mode", opts.resize_mode, "an ONNX with a model card is fitted by its card")
        models.resize_mode = opts.resize_mode
    models.flip_average = opts.flip_average
    models.guided_filter = opts.guided_filter
    models.motion_flip_average = opts.motion_flip_average
    models.motion_intrinsics = opts.motion_intrinsics
    for estimator in models.estimators.values():  # a carded ONNX runs through the node's DepthEstimator
        estimator.flip_average = flip_enabled(opts.flip_average)
        estimator.guided_filter = guided_filter_setting(opts.guided_filter, estimator.spec.name)
    folder = DatasetFolder(data_dir)
    indices = folder.indices(opts.split)
    if not indices:
        sizes = ", ".join(f"{name} {len(folder.indices(name))}" for name in ("train", "val", "test"))
        raise InputError("split", opts.split, f"no frames in {data_dir} (its splits: {sizes} frames; 'all' "
                                              "takes every frame)")
    results: dict = {"checkpoint": ", ".join(str(c) for c in checkpoints), "data": str(data_dir),
                     "resize_mode": models.resize_mode, "flip_average": opts.flip_average,
                     "guided_filter": opts.guided_filter,
                     "motion_flip_average": opts.motion_flip_average, "motion_intrinsics": opts.motion_intrinsics,
                     "split": opts.split, "networks": sorted([*models.nets, *models.estimators]),
                     "caps_m": [opts.caps.min_depth_m, opts.caps.max_depth_m]}
    pictures = []
    if models.depth_spec:
        results["depth"] = evaluate_depth(models, folder, indices, opts, out_dir)
        pictures += results["depth"].pop("pictures")
        stereo = stereo_only_frames(folder, indices)
        if stereo:  # a stereo-only recording (or its frames without depth): SGBM as a relative reference
            results["depth_vs_sgbm"] = evaluate_depth_vs_sgbm(models, folder, stereo, opts, out_dir,
                                                              opts.pictures - len(pictures))
            pictures += results["depth_vs_sgbm"].pop("pictures")
        # then input | prediction of frames with neither depth nor a right image
        without = [i for i in indices if not (folder.by_index[i].depth or folder.by_index[i].right)]
        pictures += unlabelled_pictures(models, folder, without, opts.pictures - len(pictures), out_dir)
    if "li2020_motion" in models.nets:
        results["ego_motion"] = evaluate_ego_motion(models, folder, indices, opts, out_dir)
        pictures += [] if results["ego_motion"].get("not_scored") else ["trajectory.png"]
        if opts.photometric and "li2020_depth" in models.nets:
            results["photometric"] = evaluate_photometric(checkpoints, data_dir, opts)
    results["pictures"] = pictures  # file names in out_dir, written by this run
    write_json(out_dir / "metrics.json", results)
    (out_dir / "metrics.md").write_text(markdown_table(results))
    return results
