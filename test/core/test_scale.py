"""Metric scale from the scene (core.scale): ground plane, sparse metric depth, affine outputs,
smoothing over time; on synthetic street frames with exact depth and on a real KITTI frame."""

from __future__ import annotations

import math
from dataclasses import replace
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.scale import (OUTPUT_KINDS, GroundPlaneConfig, MetricScaleUnavailable, ScaleConfig,
                                       ScaleEstimator, ScaleResult, ScaleSmoother, SparseDepth, affine_to_depth,
                                       fit_ground_plane, fit_level_ground, ground_affine_scale,
                                       ground_plane_scale,
                                       sparse_affine_scale, sparse_depth_scale)
from mono_depth_ros.core.transforms import T_BODY_FROM_OPTICAL
from mono_depth_ros.synth.sequence import SynthConfig, SyntheticSequence
from mono_depth_ros.synth.trajectory import rotation_zyx

REPO_ROOT = Path(__file__).resolve().parents[2]
FACTOR = 3.7  # the "network" predicts true depth / FACTOR, so the right scale is FACTOR
KITTI_INTR = CameraIntrinsics(1241, 376, 718.856, 718.856, 607.1928, 185.2157)
KITTI_BASELINE_M, KITTI_CAMERA_HEIGHT_M = 0.5371, 1.65


@pytest.fixture(scope="module")
def street():
    return SyntheticSequence(SynthConfig(frames=30, size_wh=(320, 240), scene="street"))


def up_and_height(T_world_optical: np.ndarray) -> tuple[np.ndarray, float]:
    """World z (up) in the optical frame, and the camera's height above the road (z = 0)."""
    return T_world_optical[:3, :3].T @ np.array([0.0, 0.0, 1.0]), float(T_world_optical[2, 3])


def tilted_frame(seq, pitch_deg: float, roll_deg: float = 3.0, time_s: float = 1.0):
    """(depth_m, up_optical, height_m) of a camera pitched down by ``pitch_deg`` and rolled."""
    T_body = seq.trajectory.pose(time_s).copy()
    T_body[:3, :3] = rotation_zyx(0.1, math.radians(pitch_deg), math.radians(roll_deg))
    T_optical = T_body @ T_BODY_FROM_OPTICAL
    _, depth_m = seq.raycaster.render(T_optical, time_s)
    return (depth_m, *up_and_height(T_optical))


@pytest.mark.parametrize("index", [0, 10, 20])
def test_ground_plane_scale_recovers_the_factor_on_street_frames(street, index):
    frame = street.frame(index)
    up, height_m = up_and_height(frame.T_odom_optical)
    assert height_m == pytest.approx(1.5)
    m = ground_plane_scale(frame.depth_m / FACTOR, street.camera, up, height_m)
    assert m.scale == pytest.approx(FACTOR, rel=0.01), m
    assert m.diagnostics["plane_distance"] == pytest.approx(1.5 / FACTOR, rel=0.01)
    assert m.diagnostics["inlier_fraction"] > 0.4 and m.diagnostics["tilt_deg"] < 1.0


def test_ground_plane_scale_with_5_percent_depth_noise(street):
    rng = np.random.default_rng(5)
    for index in (0, 10, 20):
        frame = street.frame(index)
        noisy = frame.depth_m / FACTOR * np.exp(rng.normal(0.0, 0.05, frame.depth_m.shape)).astype(np.float32)
        m = ground_plane_scale(noisy, street.camera, *up_and_height(frame.T_odom_optical))
        assert m.scale == pytest.approx(FACTOR, rel=0.05), (index, m)


@pytest.mark.parametrize("pitch_deg", [5.0, 8.0, 10.0])
def test_ground_plane_scale_with_a_tilted_camera(street, pitch_deg):
    depth_m, up, height_m = tilted_frame(street, pitch_deg)
    assert up[2] == pytest.approx(-math.sin(math.radians(pitch_deg)), abs=1e-6)  # optical z dips down
    m = ground_plane_scale(depth_m / FACTOR, street.camera, up, height_m)
    assert m.scale == pytest.approx(FACTOR, rel=0.05), m
    assert m.diagnostics["tilt_deg"] < 1.0
    # told the camera is level, the ground's normal is found ~pitch away from that "up"
    level = ground_plane_scale(depth_m / FACTOR, street.camera, (0.0, -1.0, 0.0), height_m)
    angle_deg = math.degrees(math.acos(np.clip(-up[1], -1, 1)))  # true up vs (0, -1, 0)
    assert level.diagnostics["tilt_deg"] == pytest.approx(angle_deg, abs=1.0)


def test_no_ground_in_front_of_a_wall_gives_none_and_a_reason(street):
    wall = np.full((240, 320), 4.0, np.float32)
    m = ground_plane_scale(wall, street.camera, (0.0, -1.0, 0.0), 1.5)
    assert m.scale is None and m.reason.startswith("no ground plane found")
    sky = np.full((240, 320), np.inf, np.float32)
    m = ground_plane_scale(sky, street.camera, (0.0, -1.0, 0.0), 1.5)
    assert m.scale is None and "0 usable points" in m.reason


def test_fit_ground_plane_on_exact_points():
    rng = np.random.default_rng(0)
    up = np.array([0.0, -math.cos(0.1), -math.sin(0.1)])  # camera pitched down 0.1 rad
    ground = rng.uniform(-5, 5, (400, 3))
    ground -= np.outer(ground @ up + 2.0, up)  # up . p = -2: 2 units below
    clutter = rng.uniform(-5, 5, (200, 3))
    plane, reason = fit_ground_plane(np.vstack([ground, clutter]), up)
    assert reason == "" and plane.distance == pytest.approx(2.0, rel=1e-4)
    np.testing.assert_allclose(plane.normal, up, atol=1e-4)
    assert plane.inlier_count >= 400
    # a plane above the camera (the ceiling) is not the ground
    assert fit_ground_plane(-ground, up)[0] is None


def test_fit_level_ground_takes_the_densest_level_below_the_camera():
    rng = np.random.default_rng(1)
    up = np.array([0.0, -math.cos(0.2), -math.sin(0.2)])
    floor = rng.uniform(-5, 5, (500, 3))
    floor -= np.outer(floor @ up + 2.0, up)  # 2 units below
    table = rng.uniform(-1, 1, (150, 3))
    table -= np.outer(table @ up + 1.2, up)  # a smaller surface 1.2 below
    clutter = rng.uniform(-5, 5, (200, 3))
    plane, reason = fit_level_ground(np.vstack([floor, table, clutter]), up)
    assert reason == "" and plane.distance == pytest.approx(2.0, rel=1e-3)
    np.testing.assert_allclose(plane.normal, up)
    assert plane.tilt_deg == 0.0 and 500 <= plane.inlier_count < 530
    plane, reason = fit_level_ground(clutter, up)  # no level carries 15 % of the points
    assert plane is None and reason.startswith("no level ground found: its densest level has")


def test_level_fallback_where_no_plane_is_found(street):
    """Forced by a plane fit that accepts no tilt: with the right up, the level fit alone finds the
    factor; with an up 20 deg off it still gives a scale, 1.5 times or more off (what trusting
    the up costs when the up is wrong: sweep_ground_fit.py decides whether it is used)."""
    depth_m, up, height_m = tilted_frame(street, 20.0)
    strict = GroundPlaneConfig(max_tilt_deg=0.0)
    m = ground_plane_scale(depth_m / FACTOR, street.camera, up, height_m, strict)
    assert m.scale is None and m.reason.startswith("no ground plane found")
    m = ground_plane_scale(depth_m / FACTOR, street.camera, up, height_m, replace(strict, level_fallback=True))
    assert m.scale == pytest.approx(FACTOR, rel=0.01) and m.diagnostics["level_fit"] == 1.0
    wrong = ground_plane_scale(depth_m / FACTOR, street.camera, (0.0, -1.0, 0.0), height_m,
                               GroundPlaneConfig(level_fallback=True))
    assert wrong.diagnostics["level_fit"] == 1.0 and wrong.scale > 1.5 * FACTOR
    found = ground_plane_scale(depth_m / FACTOR, street.camera, up, height_m, GroundPlaneConfig(level_fallback=True))
    assert found.diagnostics["level_fit"] == 0.0  # a plane found: the fallback does not act


def test_ground_plane_scale_is_deterministic(street):
    frame = street.frame(3)
    noisy = frame.depth_m * np.exp(np.random.default_rng(1).normal(0, 0.05, frame.depth_m.shape)).astype(np.float32)
    args = (noisy, street.camera, *up_and_height(frame.T_odom_optical))
    assert ground_plane_scale(*args).scale == ground_plane_scale(*args).scale
    other = ground_plane_scale(*args, config=GroundPlaneConfig(seed=1)).scale
    assert other == pytest.approx(ground_plane_scale(*args).scale, rel=0.02)


def test_input_errors(street):
    depth = np.ones((240, 320), np.float32)
    with pytest.raises(InputError, match="up_optical"):
        ground_plane_scale(depth, street.camera, (0.0, 0.0, 0.0), 1.5)
    with pytest.raises(InputError, match="camera_height_m"):
        ground_plane_scale(depth, street.camera, (0.0, -1.0, 0.0), -1.5)
    with pytest.raises(InputError, match="max_tilt_deg"):
        ground_plane_scale(depth, street.camera, (0.0, -1.0, 0.0), 1.5, GroundPlaneConfig(max_tilt_deg=90))
    with pytest.raises(InputError, match="uv_px"):
        SparseDepth(np.zeros((3, 3)), np.ones(3))


def sparse_subset(depth_m: np.ndarray, fraction: float, outlier_fraction: float, seed: int) -> SparseDepth:
    """``fraction`` of the valid pixels as a SparseDepth, ``outlier_fraction`` of them replaced by
    uniform random depths in 0.5-60 m (wrong lidar returns)."""
    rng = np.random.default_rng(seed)
    v, u = np.nonzero(np.isfinite(depth_m))
    pick = rng.choice(len(u), int(fraction * len(u)), replace=False)
    z_m = depth_m[v[pick], u[pick]].astype(np.float64)
    bad = rng.random(len(z_m)) < outlier_fraction
    z_m[bad] = rng.uniform(0.5, 60.0, int(bad.sum()))
    return SparseDepth(np.stack([u[pick], v[pick]], axis=1) + rng.uniform(-0.4, 0.4, (len(pick), 2)), z_m)


def test_depth_topic_scale_from_2_percent_with_outliers(street):
    frame = street.frame(7)
    sparse = sparse_subset(frame.depth_m, 0.02, 0.15, seed=2)
    assert 1000 < len(sparse.depth_m) < 1600
    m = sparse_depth_scale(frame.depth_m / FACTOR, sparse)
    assert m.scale == pytest.approx(FACTOR, rel=0.01)
    assert m.diagnostics["points"] == len(sparse.depth_m)
    # a sparse depth image works the same; too few points: None and why
    image = np.full(frame.depth_m.shape, np.nan, np.float32)
    image[::10, ::10] = frame.depth_m[::10, ::10]
    assert sparse_depth_scale(frame.depth_m / FACTOR, SparseDepth.from_image(image)).scale == pytest.approx(FACTOR)
    few = sparse_depth_scale(frame.depth_m, SparseDepth(sparse.uv_px[:5], sparse.depth_m[:5]))
    assert few.scale is None and few.reason == "only 5 sparse depths on valid pixels (need 20)"


def median_relative_error(depth_m: np.ndarray, true_m: np.ndarray) -> float:
    ok = np.isfinite(true_m)
    return float(np.nanmedian(np.abs(depth_m[ok] / true_m[ok] - 1.0)))


@pytest.mark.parametrize("outlier_fraction, bound", [(0.0, 0.01), (0.10, 0.02)])
def test_affine_inverse_depth_from_sparse_metric_depth(street, outlier_fraction, bound):
    frame = street.frame(12)
    a, b = 2.5, 0.3
    disparity = a / frame.depth_m + b  # the sky (inf) becomes b: far, but not infinite
    m = sparse_affine_scale(disparity, sparse_subset(frame.depth_m, 0.02, outlier_fraction, seed=4))
    assert m.scale == pytest.approx(1 / a, rel=bound) and m.shift == pytest.approx(-b / a, rel=3 * bound)
    assert median_relative_error(affine_to_depth(disparity, m.scale, m.shift), frame.depth_m) < bound


@pytest.mark.parametrize("index", [0, 12, 20])
def test_affine_inverse_depth_from_the_ground(street, index):
    frame = street.frame(index)
    disparity = 2.5 / frame.depth_m + 0.3
    m = ground_affine_scale(disparity, street.camera, *up_and_height(frame.T_odom_optical))
    # the ground spans 4-40 m: a small shift error grows with depth beyond it (3 % on frame 20)
    assert median_relative_error(affine_to_depth(disparity, m.scale, m.shift), frame.depth_m) < 0.05
    assert m.scale == pytest.approx(1 / 2.5, rel=0.01)
    wall = ground_affine_scale(np.full((240, 320), 0.25, np.float32), street.camera, (0, -1, 0), 1.5)
    assert wall.scale is None and wall.reason.startswith("no increasing affine map")  # a constant


def test_affine_output_refuses_metric_depth_without_a_metric_source():
    with pytest.raises(InputError, match="has no depth without a metric source: use camera_height or depth_topic"):
        ScaleConfig(output_kind="relative_inverse_depth", source="none").validate()
    unsolved = ScaleResult(None, 0.0, False, "depth_topic", "no sparse metric depth received yet",
                           "relative_inverse_depth")
    with pytest.raises(MetricScaleUnavailable, match="no metric scale .* no sparse metric depth received yet"):
        unsolved.metric_depth_m(np.ones((4, 4), np.float32))
    with pytest.raises(MetricScaleUnavailable, match="relative_inverse_depth has no depth without scale and shift"):
        unsolved.depth(np.ones((4, 4), np.float32))
    # published p = median(d) / d: 1 / z = 0.5 / p + 0.25, so p = 2 -> z = 2, p = -1 -> 1/z < 0: NaN
    solved = ScaleResult(0.5, 0.25, True, "depth_topic", "", "relative_inverse_depth")
    np.testing.assert_allclose(solved.metric_depth_m(np.array([[2.0, -1.0]])), [[2.0, np.nan]])
    in_depth = ScaleResult(2.0, 1.0, True, "depth_topic", "", "relative_depth")  # z = 2 p + 1
    np.testing.assert_allclose(in_depth.metric_depth_m(np.array([[1.5, -1.0]])), [[4.0, np.nan]])


def test_smoother_time_constant_outliers_reset_and_expiry():
    smoother = ScaleSmoother(time_constant_s=1.0, max_jump_ratio=1.5, reset_after=3, max_hold_s=2.0)
    t0 = 1_700_000_000_000_000_000
    assert smoother.update(2.0, t0) and smoother.value == pytest.approx(2.0)
    for k in range(1, 11):  # 10 Hz for one time constant: (e^-0.1)^10 = e^-1 of the log step left
        smoother.update(2.4, t0 + k * 100_000_000)
    assert math.log(smoother.value) == pytest.approx(math.log(2.4) - math.exp(-1) * math.log(1.2), abs=1e-9)
    held = smoother.value
    assert not smoother.update(9.0, t0 + 1_100_000_000) and smoother.value == held  # a spike: rejected
    assert not smoother.update(9.5, t0 + 1_200_000_000) and smoother.value == held
    smoother.update(8.5, t0 + 1_300_000_000)  # third consistent rejection: the scale changed
    assert smoother.value == pytest.approx(9.0)
    smoother.update(None, t0 + 3_200_000_000)
    assert smoother.value == pytest.approx(9.0)  # held 1.9 s without a measurement
    smoother.update(None, t0 + 3_400_000_000)
    assert smoother.value is None  # 2.1 s: expired
    smoother.update(3.0, t0 + 3_500_000_000)
    smoother.update(3.3, t0)  # time went backwards (a bag loop): start over
    assert smoother.value == pytest.approx(3.3)


def test_estimator_per_frame_camera_height(street):
    estimator = ScaleEstimator(ScaleConfig(source="camera_height", camera_height_m=1.5))
    first = street.frame(0)
    result = estimator.update(first.depth_m / FACTOR, street.camera, None, stamp_ns=first.stamp_ns)
    assert not result.is_metric and result.reason == "no up direction yet (camera pose unknown)"
    with pytest.raises(MetricScaleUnavailable):
        result.metric_depth_m(first.depth_m / FACTOR)
    for index in range(0, 5):
        frame = street.frame(index)
        up, _ = up_and_height(frame.T_odom_optical)
        result = estimator.update(frame.depth_m / FACTOR, street.camera, up, stamp_ns=frame.stamp_ns)
        assert result.is_metric and result.source == "camera_height" and result.diagnostics["accepted"] == 1.0
    assert result.scale == pytest.approx(FACTOR, rel=0.01)
    assert median_relative_error(result.metric_depth_m(frame.depth_m / FACTOR), frame.depth_m) < 0.01
    wall = estimator.update(np.full((240, 320), 4.0, np.float32), street.camera, up, stamp_ns=frame.stamp_ns + 10**8)
    assert wall.is_metric and wall.scale == result.scale and wall.reason.startswith("holding the last scale: no ground")


def published(kind: str, depth_m: np.ndarray) -> np.ndarray:
    """What inference.processing publishes for ``kind`` (see its docstring), from true depth:
    relative_inverse_depth: median(d) / d of d = 2.5 / z + 0.3; relative_depth: (z' - min) /
    (median - min) of the score z' = 0.7 z + 4 (0 -> NaN)."""
    finite = np.isfinite(depth_m)
    if kind == "relative_inverse_depth":
        d = 2.5 / depth_m + 0.3
        return (np.median(d) / d).astype(np.float32)
    score = np.where(finite, 0.7 * depth_m + 4.0, np.nan)
    low = np.nanmin(score)
    p = (score - low) / (np.nanmedian(score) - low)
    return np.where(p > 0, p, np.nan).astype(np.float32)


@pytest.mark.parametrize("kind", ["relative_inverse_depth", "relative_depth"])
@pytest.mark.parametrize("source", ["depth_topic", "camera_height"])
def test_estimator_affine_kinds_from_the_published_depth(street, kind, source):
    frame = street.frame(12)
    up, height_m = up_and_height(frame.T_odom_optical)
    sparse = sparse_subset(frame.depth_m, 0.02, 0.10, seed=6)
    estimator = ScaleEstimator(ScaleConfig(output_kind=kind, source=source, camera_height_m=height_m))
    result = estimator.update(published(kind, frame.depth_m), street.camera, up, sparse)
    assert result.is_metric and result.source == source
    error = median_relative_error(result.metric_depth_m(published(kind, frame.depth_m)), frame.depth_m)
    assert error < (0.02 if source == "depth_topic" else 0.05), error


def test_output_kinds_are_the_model_cards():
    from mono_depth_ros.inference.spec import OUTPUT_KINDS as CARD_KINDS

    assert set(CARD_KINDS) - {"motion"} <= set(OUTPUT_KINDS)


def test_estimator_metric_and_none_sources(street):
    depth = np.full((240, 320), 2.0, np.float32)
    metric = ScaleEstimator(ScaleConfig(output_kind="metric_depth", source="none")).update(depth, street.camera)
    assert metric.is_metric and metric.source == "network" and metric.scale == 1.0 and metric.reason == ""
    np.testing.assert_array_equal(metric.metric_depth_m(depth), depth)
    none = ScaleEstimator(ScaleConfig(source="none")).update(depth, street.camera)
    assert not none.is_metric and none.scale is None
    np.testing.assert_array_equal(none.depth(depth), depth)  # up to scale, published as is
    with pytest.raises(MetricScaleUnavailable, match="scale_source is none"):
        none.metric_depth_m(depth)
    topic = ScaleEstimator(ScaleConfig(source="depth_topic", output_kind="relative_inverse_depth"))
    assert topic.update(depth, street.camera).reason == "no sparse metric depth received yet"


def test_kitti_camera_height_scale_of_stereo_depth(shared_data):
    """Frame 0 of KITTI odometry 00: SGBM depth (metric, from the 0.5371 m baseline) divided by
    FACTOR stands in for an up-to-scale prediction; the camera is 1.65 m above the road."""
    from training.evaluate.real_sets import sgbm_depth_m  # the project's one SGBM path

    folder = shared_data / "kitti_odometry00_6frames"
    left = cv2.imread(str(folder / "image_0" / "000000.png"), cv2.IMREAD_GRAYSCALE)
    right = cv2.imread(str(folder / "image_1" / "000000.png"), cv2.IMREAD_GRAYSCALE)
    depth_m = sgbm_depth_m(left, right, KITTI_INTR.fx, KITTI_BASELINE_M, max_disparity_px=128)
    assert 0.5 < np.isfinite(depth_m).mean() < 0.9
    m = ground_plane_scale(depth_m / FACTOR, KITTI_INTR, (0.0, -1.0, 0.0), KITTI_CAMERA_HEIGHT_M)
    error = m.scale / FACTOR - 1.0
    print(f"KITTI 00/000000 SGBM: camera-height scale error {100 * error:+.2f} %, camera height by stereo "
          f"{m.diagnostics['plane_distance'] * FACTOR:.3f} m, inliers {100 * m.diagnostics['inlier_fraction']:.0f} %, "
          f"tilt {m.diagnostics['tilt_deg']:.1f} deg")
    assert abs(error) < 0.10
    assert m.diagnostics["inlier_fraction"] > 0.3


def test_scale_module_imports_without_ros_torch_or_training():
    script = ("import sys\n"
              "for name in ('rclpy', 'sensor_msgs', 'torch', 'training'):\n"
              "    sys.modules[name] = None\n"
              "import numpy as np\n"
              "from mono_depth_ros.core.camera import CameraIntrinsics\n"
              "from mono_depth_ros.core.scale import ScaleEstimator\n"
              "depth = np.full((60, 80), 2.0, np.float32)\n"
              "intr = CameraIntrinsics(80, 60, 60.0, 60.0, 39.5, 29.5)\n"
              "print(ScaleEstimator().update(depth, intr, (0, -1, 0)).reason)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("no ground plane found")


@pytest.mark.parametrize("kind", ["metric_depth", "log_depth"])
def test_a_metric_networks_metres_corrected_from_the_ground(street, kind):
    """A metric network FACTOR times too near (eigen2014 reads real scenes 2-7 times too near):
    with camera_height its metres are rescaled where the ground shows, held over a frame without
    ground, and kept as the network gives them before any scale."""
    frame = street.frame(10)
    up, height_m = up_and_height(frame.T_odom_optical)
    rule = ScaleEstimator(ScaleConfig(output_kind=kind, source="camera_height", camera_height_m=height_m))
    wall = np.full(frame.depth_m.shape, 2.0, np.float32)
    first = rule.update(wall, street.camera, up, stamp_ns=0)
    assert first.is_metric and first.source == "network" and first.scale == 1.0
    assert first.reason.startswith("the network's own metres: no ground plane found")
    np.testing.assert_array_equal(first.metric_depth_m(wall), wall)
    found = rule.update(frame.depth_m / FACTOR, street.camera, up, stamp_ns=10**8)
    assert found.source == "camera_height" and found.scale == pytest.approx(FACTOR, rel=0.01)
    assert median_relative_error(found.metric_depth_m(frame.depth_m / FACTOR), frame.depth_m) < 0.01
    held = rule.update(wall, street.camera, up, stamp_ns=2 * 10**8)
    assert held.source == "camera_height" and held.scale == found.scale
    assert held.reason.startswith("holding the last scale: no ground plane found")
