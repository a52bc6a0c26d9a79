"""Metric scale from the scene (mono_depth_ros.core.scale) beside the median-depth baseline.

Table 1, ``camera_height`` rule on up-to-scale depth: for each frame, the scale the ground plane
gives (known camera height / fitted plane distance) against the depth's true scale, the inlier
fraction and tilt of the plane, the camera height the depth itself implies (plane distance x
true scale), and the trivial baseline "the median scene depth is 10 m" (the depth node's
``nonmetric_median_depth_m``). Depths:

- synthetic street frames (the renderer's exact depth / 3.7; with 5 % multiplicative noise;
  pitched cameras), camera 1.5 m above the road: true scale 3.7.
- KITTI odometry 00 frame 0: SGBM stereo depth (metric from the 0.54 m baseline) / 3.7; the
  camera is 1.65 m above the road (KITTI's figure), so this also measures KITTI's own height.
- KITTI frames 0-5 through the bundled li2020 depth network (DepthEstimator, up to scale): its
  true scale is the median ratio to a metric reference, SGBM on frame 0, and for frames 1-5 the
  SGBM points of frame 0 moved into the frame by the ground-truth poses (a lidar stand-in).

Table 2, affine outputs (unknown scale and shift) through ``ScaleEstimator`` as the node will
call it, on the published depth: median |depth / reference - 1| after the ``camera_height`` and
``depth_topic`` (2 % of the reference points) fits, beside "median depth 10 m". Rows: synthetic
relative_inverse_depth (disparity 2.5 / z + 0.3), KITTI SGBM disparity as relative_inverse_depth,
and the bundled xian2018 network (relative_depth) on KITTI.

    .venv/bin/python benchmarks/bench_scale.py [--data-root ../shared/data/real] [--no-network]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mono_depth_ros.core.camera import CameraIntrinsics  # noqa: E402
from mono_depth_ros.core.pointcloud import backproject_depth  # noqa: E402
from mono_depth_ros.core.scale import (ScaleConfig, ScaleEstimator, SparseDepth, ground_plane_scale,  # noqa: E402
                                       sparse_depth_scale)
from mono_depth_ros.core.transforms import T_BODY_FROM_OPTICAL  # noqa: E402
from mono_depth_ros.synth.sequence import SynthConfig, SyntheticSequence  # noqa: E402
from mono_depth_ros.synth.trajectory import rotation_zyx  # noqa: E402
from training.evaluate.real_sets import DEFAULT_DATA_ROOT  # noqa: E402

FACTOR = 3.7
BASELINE_MEDIAN_M = 10.0
KITTI_CAMERA_HEIGHT_M = 1.65
KITTI_UP = (0.0, -1.0, 0.0)  # KITTI's left camera is mounted level
HEADER = (f"{'frame':<24}{'depth':<25}{'true':>8}{'cam-h':>8}{'err %':>8}{'inl %':>7}{'tilt':>6}"
          f"{'h_m':>7}{'med10 %':>9}{'ms':>6}")


def row(frame: str, depth_name: str, prediction: np.ndarray, intr: CameraIntrinsics, up, height_m: float,
        true_scale: float) -> float:
    """Print one table-1 row; return the camera-height scale error (NaN when no plane)."""
    start = time.perf_counter()
    m = ground_plane_scale(prediction, intr, up, height_m)
    ms = 1000 * (time.perf_counter() - start)
    baseline = BASELINE_MEDIAN_M / float(np.nanmedian(np.where(np.isfinite(prediction), prediction, np.nan)))
    base_err = 100 * (baseline / true_scale - 1)
    if m.scale is None:
        print(f"{frame:<24}{depth_name:<25}{true_scale:8.3f}{'-':>8}{'-':>8}{'-':>7}{'-':>6}{'-':>7}"
              f"{base_err:+9.1f}{ms:6.0f}   {m.reason}")
        return math.nan
    d = m.diagnostics
    err = m.scale / true_scale - 1
    print(f"{frame:<24}{depth_name:<25}{true_scale:8.3f}{m.scale:8.3f}{100 * err:+8.1f}"
          f"{100 * d['inlier_fraction']:7.0f}{d['tilt_deg']:6.1f}{d['plane_distance'] * true_scale:7.3f}"
          f"{base_err:+9.1f}{ms:6.0f}")
    return err


def up_and_height(T_world_optical: np.ndarray) -> tuple[np.ndarray, float]:
    return T_world_optical[:3, :3].T @ np.array([0.0, 0.0, 1.0]), float(T_world_optical[2, 3])


def synthetic_frames():
    """(name, true depth_m, intrinsics, up, height_m): street frames 0, 10, 20, and pitched ones."""
    seq = SyntheticSequence(SynthConfig(frames=30, size_wh=(320, 240), scene="street"))
    for index in (0, 10, 20):
        frame = seq.frame(index)
        yield f"synth street {index:02d}", frame.depth_m, seq.camera, *up_and_height(frame.T_odom_optical)
    for pitch_deg in (5.0, 8.0, 10.0):
        T_body = seq.trajectory.pose(1.0).copy()
        T_body[:3, :3] = rotation_zyx(0.1, math.radians(pitch_deg), math.radians(3.0))
        T_optical = T_body @ T_BODY_FROM_OPTICAL
        yield f"synth pitch {pitch_deg:.0f} roll 3", seq.raycaster.render(T_optical, 1.0)[1], seq.camera, \
            *up_and_height(T_optical)


def warp_depth(depth_m: np.ndarray, intr: CameraIntrinsics, T_w_src: np.ndarray, T_w_dst: np.ndarray) -> SparseDepth:
    """The points of ``depth_m`` (source camera) seen from the destination camera: pixels and z."""
    points = backproject_depth(depth_m, intr).reshape(-1, 3).astype(np.float64)
    points = points[np.isfinite(points).all(axis=1)]
    T = np.linalg.inv(T_w_dst) @ T_w_src
    p = points @ T[:3, :3].T + T[:3, 3]
    p = p[p[:, 2] > 0.5]
    uv = np.stack([intr.fx * p[:, 0] / p[:, 2] + intr.cx, intr.fy * p[:, 1] / p[:, 2] + intr.cy], axis=1)
    return SparseDepth(uv, p[:, 2])


def load_kitti_or_none(data_root: Path):
    from training.evaluate.real_sets import SetUnavailable, load_kitti

    try:
        return load_kitti(data_root)
    except SetUnavailable as exc:
        print(f"KITTI skipped: {exc}")
        return None


def kitti_references(kitti) -> list[SparseDepth]:
    """Metric reference per frame: SGBM of frame 0, moved into each frame by the true poses."""
    first = kitti.frames[0]
    return [warp_depth(first.depth_m, kitti.intrinsics, first.pose, frame.pose) for frame in kitti.frames]


def load_network(name: str):
    from mono_depth_ros.inference.depth_estimator import DepthEstimator
    from mono_depth_ros.inference.weights import default_weights_path

    return DepthEstimator.from_path(default_weights_path(name), backend="torch")


def kitti_table1(kitti, references: list[SparseDepth], with_network: bool) -> dict[str, list[float]]:
    intr, first = kitti.intrinsics, kitti.frames[0]
    errors = {"KITTI SGBM": [row("kitti 00/000000", "SGBM / 3.7", first.depth_m / FACTOR, intr, KITTI_UP,
                                 KITTI_CAMERA_HEIGHT_M, FACTOR)]}
    if not with_network:
        return errors
    estimator = load_network("li2020_depth")
    smoothed = ScaleEstimator(ScaleConfig(source="camera_height", camera_height_m=KITTI_CAMERA_HEIGHT_M))
    for frame, reference in zip(kitti.frames, references):
        prediction = estimator.estimate(frame.rgb).depth_m
        true_scale = sparse_depth_scale(prediction, reference).scale
        name = f"li2020 {estimator.input_hw[1]}x{estimator.input_hw[0]}" + ("" if frame is first else " (ref warped)")
        errors.setdefault("KITTI li2020", []).append(
            row(f"kitti 00/{frame.name[-6:]}", name, prediction, intr, KITTI_UP, KITTI_CAMERA_HEIGHT_M, true_scale))
        result = smoothed.update(prediction, intr, KITTI_UP, stamp_ns=frame.stamp_ns)
    print(f"{'  li2020 through ScaleEstimator (tau 1 s), after frame 5:':<57}{result.scale:8.3f}"
          f"{100 * (result.scale / true_scale - 1):+8.1f}")
    return errors


def subset(reference: SparseDepth, fraction: float, seed: int = 0) -> SparseDepth:
    keep = np.random.default_rng(seed).random(len(reference.depth_m)) < fraction
    return SparseDepth(reference.uv_px[keep], reference.depth_m[keep])


def affine_row(frame: str, kind: str, published: np.ndarray, reference: SparseDepth, intr, up,
               height_m: float) -> None:
    """Print one table-2 row: median |depth / reference - 1| % per rule, and the baseline."""
    def error(depth_m: np.ndarray) -> str:
        predicted, metric_m = reference.sample(depth_m)
        return f"{100 * np.nanmedian(np.abs(predicted / metric_m - 1)):.1f}"

    cells = []
    for source, sparse in (("camera_height", None), ("depth_topic", subset(reference, 0.02))):
        config = ScaleConfig(output_kind=kind, source=source, camera_height_m=height_m)
        result = ScaleEstimator(config).update(published, intr, up, sparse)
        cells.append(error(result.metric_depth_m(published)) if result.is_metric else "-")
    cells.append(error(BASELINE_MEDIAN_M * published / np.nanmedian(published)))
    print(f"{frame:<28}{kind:<24}{cells[0]:>14}{cells[1]:>16}{cells[2]:>9}")


def table2(synthetic, kitti, references, with_network: bool) -> None:
    print("\nTable 2: affine outputs through ScaleEstimator, median |depth / reference - 1| %")
    print(f"{'frame':<28}{'output_kind':<24}{'camera_height':>14}{'depth_topic 2%':>16}{'med10':>9}")
    for name, depth_m, intr, up, height_m in synthetic[:3]:
        disparity = 2.5 / depth_m + 0.3
        affine_row(name, "relative_inverse_depth", (np.median(disparity) / disparity).astype(np.float32),
                   SparseDepth.from_image(depth_m), intr, up, height_m)
    if kitti is None:
        return
    intr, first = kitti.intrinsics, kitti.frames[0]
    disparity = intr.fx / first.depth_m
    affine_row("kitti 00/000000 SGBM disp.", "relative_inverse_depth",
               (np.nanmedian(disparity) / disparity).astype(np.float32), references[0], intr, KITTI_UP,
               KITTI_CAMERA_HEIGHT_M)
    if not with_network:
        return
    estimator = load_network("xian2018")
    for frame, reference in zip(kitti.frames, references):
        affine_row(f"kitti 00/{frame.name[-6:]} xian2018", estimator.spec.output_kind,
                   estimator.estimate(frame.rgb).depth_m, reference, intr, KITTI_UP, KITTI_CAMERA_HEIGHT_M)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--no-network", action="store_true", help="skip the li2020 / xian2018 network rows")
    args = parser.parse_args(argv)
    print("Table 1: camera-height scale (ground plane) vs the median-depth-10-m baseline; err = scale / true - 1;")
    print("h_m = camera height implied by the depth's true scale; ms = the rule's time per frame\n")
    print(HEADER)
    errors: dict[str, list[float]] = {"synthetic": []}
    rng = np.random.default_rng(5)
    synthetic = list(synthetic_frames())
    for name, depth_m, intr, up, height_m in synthetic:
        errors["synthetic"].append(row(name, "true / 3.7", depth_m / FACTOR, intr, up, height_m, FACTOR))
        if name.startswith("synth street"):
            noisy = depth_m / FACTOR * np.exp(rng.normal(0.0, 0.05, depth_m.shape)).astype(np.float32)
            errors["synthetic"].append(row(name, "true / 3.7, 5 % noise", noisy, intr, up, height_m, FACTOR))
    kitti = load_kitti_or_none(args.data_root)
    references = kitti_references(kitti) if kitti is not None else []
    if kitti is not None:
        errors.update(kitti_table1(kitti, references, not args.no_network))
    print("\nmean |camera-height scale error| per group:")
    for group, values in errors.items():
        found = [abs(v) for v in values if np.isfinite(v)]
        print(f"  {group:<14} {100 * np.mean(found) if found else math.nan:5.1f} %  ({len(found)}/{len(values)} frames "
              f"with a ground plane)")
    table2(synthetic, kitti, references, not args.no_network)
    return 0


if __name__ == "__main__":
    sys.exit(main())
