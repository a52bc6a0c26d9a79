"""Real-data benchmark computations: every depth network and every baseline on the same pixels,
ego-motion beside ORB + essential matrix and "no motion".

Depth (sets with depth): per frame the pixels scored are those with depth in the caps where every
method's prediction is finite (``crop`` leaves unseen pixels NaN), the same for the baselines:
- ``constant``: the ground-truth median everywhere (an oracle scale, so raw = median-scaled);
- ``ramp``: depth growing linearly from 1 (bottom row) to 2 (top row), scaled so that its median
  over the scored pixels is the ground-truth median.
Metrics are those of ``training evaluate`` (depth_metrics.depth_errors and whdr).

Ego-motion (video sets), per consecutive pair:
- with poses: rotation error and translation-direction error (pose_metrics.pair_errors), and ATE
  of the chained trajectory with every step's translation scaled to the ground-truth step length:
  ``ate_m`` after SE(3) alignment (evo, as ``training evaluate``), ``ate_start_m`` with both
  trajectories starting at the same pose (no fitting, so a reversed straight drive counts);
- always: photometric reconstruction error, mean |I_a - I_b(warp)| in grey levels (0-255), where
  frame b is warped into frame a through li2020's depth of frame a and each method's motion
  (ORB's unit translation takes li2020's step length), on the pixels every method keeps;
- ``rot_vs_orb_deg``: angle between each method's rotation and ORB's (a check without ground truth).

Layout share (every set with depth, all frames together): how much of a network's output is one
fixed map whatever the image. Each frame's log depth on the scored pixels is averaged into a
24x32 grid and standardised; the share is the part of those maps' variance that their mean map
explains (``layout_share``): 1 when every image gets the same map, about 1/N for N unrelated
maps. The ground truth of the same frames on the same pixels is the reference: a network well
above it paints its training world's average layout instead of reading the scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from mono_depth_ros.inference.depth_estimator import DepthEstimator
from mono_depth_ros.inference.ego_motion_estimator import DEFAULT_MOTION_FLIP_AVERAGE, DEFAULT_MOTION_INTRINSICS, \
    EgoMotionEstimator
from mono_depth_ros.inference.pose_refinement import DEFAULT_MOTION_REFINEMENT
from mono_depth_ros.inference.processing import DepthResult
from mono_depth_ros.inference.weights import default_weights_path
from training.evaluate.classical_vo import essential_pose
from mono_depth_ros.core.depth_metrics import (DEPTH_BASELINES, DepthCaps, baseline_depth, common_mask,  # noqa: F401
                                               depth_errors, depth_scores, ramp_depth, whdr)
from training.evaluate.depth_metrics import layout_grid
from training.evaluate.pose_metrics import (chain_relative, pair_errors, relative_from_poses, rotation_angle_deg,
                                           trajectory_metrics)
from training.evaluate.real_sets import RealFrame, RealSet
from training.evaluate.uncertainty import FrameSample, frame_sample
from training.losses.geometry import resample, transform_depth_map

DEPTH_SPECS = {"eigen2014": "eigen2014", "xian2018": "xian2018", "li2020": "li2020_depth"}
MOTION_BASELINES = ("orb", "no_motion")
# recoverPose returns a pose even from 0 inliers (a 180 deg rotation on a static pair): fewer than
# this many inliers counts as an ORB failure, reported as "no motion"
MIN_ORB_INLIERS = 15
LAYOUT_REFERENCE = "ground truth"


def parse_methods(text: str) -> list[str]:
    """Comma-separated method names (``--methods``) -> list; ValueError naming the unknown ones."""
    methods = [m for m in text.split(",") if m]
    unknown = [m for m in methods if m not in DEPTH_SPECS]
    if unknown:
        raise ValueError(f"unknown {', '.join(unknown)} (expected {', '.join(DEPTH_SPECS)})")
    return methods


def model_file(weights_dir: Path | None, spec_name: str) -> Path:
    """``<weights_dir>/<spec>.onnx`` or ``.pt`` (the first that exists), else the bundled weights."""
    if weights_dir is None:
        return default_weights_path(spec_name)
    for suffix in (".onnx", ".pt"):
        path = Path(weights_dir) / f"{spec_name}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"weights_dir={str(weights_dir)!r}: neither {spec_name}.onnx nor {spec_name}.pt found")


@dataclass
class Networks:
    """Depth estimators by method name, and the li2020 motion estimator (None without li2020)."""

    depth: dict[str, DepthEstimator]
    motion: EgoMotionEstimator | None = None
    descriptions: dict[str, str] = field(default_factory=dict)


def load_networks(methods: Iterable[str], backend: str = "onnxruntime", weights_dir: Path | None = None,
                  estimator_options: dict | None = None,
                  models: Iterable[tuple[Path, Path | None]] = (), flip_average: str = "never",
                  motion_refinement: str = DEFAULT_MOTION_REFINEMENT,
                  motion_flip_average: str = DEFAULT_MOTION_FLIP_AVERAGE,
                  motion_intrinsics: str = DEFAULT_MOTION_INTRINSICS, guided_filter: str = "never") -> Networks:
    """Load each method through the node's DepthEstimator (``estimator_options`` go to from_path,
    e.g. ``resize_mode``; ``flip_average`` to the depth estimators only); li2020 brings its motion
    network (``motion_refinement``, ``motion_flip_average``, ``motion_intrinsics`` as
    ego_motion_node's); ``guided_filter`` to the depth estimators, as depth_node's. ``models``: a user's (ONNX, model card or None for the one beside it), each scored
    under its card's name beside the methods."""
    options = dict(estimator_options or {})
    nets = Networks({})
    for method in methods:
        if method not in DEPTH_SPECS:
            raise ValueError(f"method={method!r}: expected one of {', '.join(DEPTH_SPECS)}")
        path = model_file(weights_dir, DEPTH_SPECS[method])
        nets.depth[method] = DepthEstimator.from_path(path, backend=backend, spec_name=DEPTH_SPECS[method],
                                                      flip_average=flip_average, guided_filter=guided_filter,
                                                      **options)
        nets.descriptions[method] = f"{path.name} on {nets.depth[method].backend_description}"
        if method == "li2020":
            motion_path = model_file(weights_dir, "li2020_motion")
            nets.motion = EgoMotionEstimator.from_path(motion_path, backend=backend, refinement=motion_refinement,
                                                       flip_average=motion_flip_average,
                                                       motion_intrinsics=motion_intrinsics, **options)
            nets.descriptions["li2020_motion"] = f"{motion_path.name} on {nets.motion.backend_description}"
    for path, card in models:
        est = DepthEstimator.from_path(path, backend=backend, card=card, flip_average=flip_average,
                                       guided_filter=guided_filter, **options)
        if est.spec.name in DEPTH_SPECS or est.spec.name in nets.depth:
            raise ValueError(f"model card name {est.spec.name!r} ({path}) is taken: rename it in the card")
        nets.depth[est.spec.name] = est
        nets.descriptions[est.spec.name] = f"{Path(path).name} ({est.spec.label}) on {est.backend_description}"
    return nets


class DepthCache:
    """Each network's DepthResult of each frame, computed once. Calling it gives the (H, W)
    float32 depth, NaN where unseen or outside the frame's valid area."""

    def __init__(self, nets: Networks) -> None:
        self.nets, self._cache = nets, {}

    def result(self, method: str, frame: RealFrame) -> DepthResult:
        key = (method, frame.name)
        if key not in self._cache:
            # as the node: the frame's unseen border is NaN and out of a relative output's statistics
            self._cache[key] = self.nets.depth[method].estimate(frame.rgb, seen=frame.valid)
        return self._cache[key]

    def __call__(self, method: str, frame: RealFrame) -> np.ndarray:
        return self.result(method, frame).depth_m


def evaluate_depth_set(real: RealSet, methods: list[str], depth_of: DepthCache, caps: DepthCaps,
                       whdr_pairs: int = 10000, tick: Callable[[], None] = lambda: None,
                       layout: dict[str, list] | None = None, samples: list[FrameSample] | None = None) -> dict:
    """Mean scores over the frames with depth: {"frames", "coverage", "rows": {name: scores}}.
    ``layout``: where given, each frame's ``layout_grid`` of every method and of the ground truth
    (``LAYOUT_REFERENCE``) on the scored pixels is appended to ``layout[name]``. ``samples``: where
    given, each frame's ``uncertainty.frame_sample`` of every method and baseline is appended (for
    ``uncertainty.bootstrap_depth``)."""
    per_row: dict[str, list[dict]] = {name: [] for name in [*methods, *DEPTH_BASELINES]}
    coverage = []
    for index, frame in enumerate(f for f in real.frames if f.depth_m is not None):
        preds = {m: depth_of(m, frame) for m in methods}
        tick()
        mask = common_mask(frame.depth_m, preds.values(), caps)
        valid_gt = common_mask(frame.depth_m, [], caps)
        if mask.sum() < 2:
            continue
        coverage.append(mask.sum() / max(valid_gt.sum(), 1))
        if layout is not None:
            for name, depth in [*preds.items(), (LAYOUT_REFERENCE, frame.depth_m)]:
                layout.setdefault(name, []).append(layout_grid(depth, mask))
        preds.update({b: baseline_depth(b, frame.depth_m, mask) for b in DEPTH_BASELINES})
        if samples is not None:
            samples.append(frame_sample(frame.depth_m, mask, preds, seed=index))
        for name, pred in preds.items():
            per_row[name].append(depth_scores(pred, frame.depth_m, mask, caps, index, whdr_pairs))
    rows = {name: {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
            for name, scores in per_row.items() if scores}
    return {"frames": len(coverage), "coverage": float(np.mean(coverage)) if coverage else 0.0, "rows": rows}


def _grey(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb.astype(np.float32).mean(axis=2))[None, None]


def photometric_error(frame_a: RealFrame, frame_b: RealFrame, depth_a: np.ndarray, T_b_from_a: np.ndarray,
                      k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel |I_a - I_b(warp(a -> b))| (H, W) grey levels and the (H, W) bool mask of pixels
    that land inside frame b's valid area with finite depth (training's transform_depth_map)."""
    depth = torch.from_numpy(np.nan_to_num(depth_a, nan=1.0).astype(np.float32))[None, None]
    T = torch.from_numpy(T_b_from_a.astype(np.float32))
    moved = transform_depth_map(depth, T[None, :3, :3], T[None, :3, 3], torch.from_numpy(k.astype(np.float32))[None])
    warped = resample(_grey(frame_b.rgb), moved.pixel_x, moved.pixel_y)[0, 0].numpy()
    mask = moved.mask[0].numpy() & np.isfinite(depth_a)
    if frame_b.valid is not None:
        seen_b = resample(torch.from_numpy(frame_b.valid.astype(np.float32))[None, None], moved.pixel_x,
                          moved.pixel_y)[0, 0].numpy()
        mask &= seen_b > 0.999
    if frame_a.valid is not None:
        mask &= frame_a.valid
    return np.abs(_grey(frame_a.rgb)[0, 0].numpy() - warped), mask


def _with_step(T: np.ndarray, length: float) -> np.ndarray:
    out = T.copy()
    norm = np.linalg.norm(T[:3, 3])
    out[:3, 3] = T[:3, 3] * (length / norm) if norm > 1e-12 else 0.0
    return out


def ate_from_start(est_poses: list[np.ndarray], gt_poses: list[np.ndarray]) -> float:
    """RMSE (m) of camera positions with both trajectories starting at the same pose, no fitting:
    unlike the aligned ATE, it sees a trajectory driven backwards along a straight road."""
    diff = np.array([e[:3, 3] - g[:3, 3] for e, g in zip(est_poses, gt_poses)])
    return float(np.sqrt(np.mean(np.sum(diff ** 2, axis=1))))


def motion_estimates(real: RealSet, nets: Networks, depth_of: DepthCache,
                     tick: Callable[[], None] = lambda: None) -> tuple[dict[str, list[np.ndarray]], int, list[str]]:
    """Per consecutive pair T_b_from_a of li2020, ORB (+ essential matrix; translation of unit
    length, identity where it fails or keeps < MIN_ORB_INLIERS inliers) and no motion.
    Returns (estimates by name, ORB failures, li2020's motion_refinement outcome per pair)."""
    estimates: dict[str, list[np.ndarray]] = {"li2020": [], "orb": [], "no_motion": []}
    failures, choices = 0, []
    for a, b in zip(real.frames, real.frames[1:]):
        # the motion net gets the depth net's output at its own resolution, as in training
        result = nets.motion.estimate(a.rgb, depth_of.result("li2020", a), b.rgb, depth_of.result("li2020", b),
                                      real.intrinsics)  # the camera's intrinsics: for motion_refinement
        estimates["li2020"].append(result.T_b_from_a)
        choices.append(result.choice)
        T_orb, inliers = essential_pose(a.rgb, b.rgb, real.intrinsics.k)
        if T_orb is None or inliers < MIN_ORB_INLIERS:
            failures, T_orb = failures + 1, np.eye(4)
        estimates["orb"].append(T_orb)
        estimates["no_motion"].append(np.eye(4))
        tick()
    return estimates, failures, choices


def evaluate_motion_set(real: RealSet, nets: Networks, depth_of: DepthCache,
                        tick: Callable[[], None] = lambda: None) -> dict:
    """{"pairs", "orb_failures", "rows": {name: scores}, "per_pair": {name: {metric: [per pair]}},
    "refinement": {li2020's motion_refinement outcome: pairs}}."""
    estimates, failures, choices = motion_estimates(real, nets, depth_of, tick)
    pairs = list(zip(real.frames, real.frames[1:]))
    k = real.intrinsics.k
    per_pair: dict[str, dict[str, list[float]]] = {name: {} for name in estimates}
    # photometric: li2020's depth and step length for every method, scored on shared pixels
    for i, (a, b) in enumerate(pairs):
        depth_a = depth_of.result("li2020", a).network_depth_m  # as the refinement sees it (no guided_filter)
        step = float(np.linalg.norm(estimates["li2020"][i][:3, 3]))
        errors = {name: photometric_error(a, b, depth_a, _with_step(est[i], step) if name == "orb" else est[i], k)
                  for name, est in estimates.items()}
        shared = np.logical_and.reduce([m for _, m in errors.values()])
        for name, (err, _) in errors.items():
            per_pair[name].setdefault("photo_err", []).append(float(err[shared].mean()) if shared.any() else np.nan)
            per_pair[name].setdefault("rot_deg", []).append(rotation_angle_deg(estimates[name][i][:3, :3]))
            per_pair[name].setdefault("rot_vs_orb_deg", []).append(
                rotation_angle_deg(estimates[name][i][:3, :3].T @ estimates["orb"][i][:3, :3]))
    rows = {name: {} for name in estimates}
    if real.has_poses:
        gt_poses = [f.pose for f in real.frames]
        gt_rel = relative_from_poses(gt_poses)
        stamps_s = np.array([f.stamp_ns for f in real.frames], np.float64) * 1e-9
        origin = np.linalg.inv(gt_poses[0])
        for name, est in estimates.items():
            errs = [pair_errors(T, G) for T, G in zip(est, gt_rel)]
            per_pair[name]["rot_err_deg"] = [e["rotation_error_deg"] for e in errs]
            per_pair[name]["dir_err_deg"] = [e["translation_direction_error_deg"] for e in errs]
            scaled = [_with_step(T, float(np.linalg.norm(G[:3, 3]))) for T, G in zip(est, gt_rel)]
            rows[name]["ate_start_m"] = ate_from_start(chain_relative(scaled), [origin @ p for p in gt_poses])
            if len(gt_poses) >= 3:  # evo's alignment needs 3 poses
                traj, _ = trajectory_metrics(chain_relative(scaled), [origin @ p for p in gt_poses], stamps_s,
                                             align_scale=False)
                rows[name]["ate_m"] = traj["ate_rmse_m"]
    for name, metrics in per_pair.items():
        for metric, values in metrics.items():
            finite = [v for v in values if np.isfinite(v)]
            rows[name][metric] = float(np.mean(finite)) if finite else float("nan")
    return {"pairs": len(pairs), "orb_failures": failures, "rows": rows, "per_pair": per_pair,
            "refinement": {choice: choices.count(choice) for choice in dict.fromkeys(choices)}}
