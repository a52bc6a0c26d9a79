"""Metres from a camera's mount (training/evaluate/metric_scale.py, benchmarks/bench_metric_scale.py):
the mount read off a truth's floor, each output kind made metric by the node's rule, and the real
KITTI frame, whose camera is mounted 1.65 m above the road (the KITTI setup)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.camera import CameraIntrinsics
from training.evaluate.depth_metrics import DepthCaps
from training.evaluate.metric_scale import Mount, metres_from_mount, metric_scores, mount_from_truth
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, SetUnavailable, load_set

W, H, F_PX = 160, 120, 120.0
INTR = CameraIntrinsics(W, H, F_PX, F_PX, (W - 1) / 2, (H - 1) / 2)


def scene_m(height_m: float, pitch_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """((H, W) depth of a camera ``height_m`` above a floor, pitched down by ``pitch_deg``, a wall
    6 m ahead, up (3,) in its optical frame)."""
    pitch = math.radians(pitch_deg)
    up = np.array([0.0, -math.cos(pitch), -math.sin(pitch)])  # optical y down, z forward, pitched down
    v, u = np.mgrid[0:H, 0:W].astype(np.float64)
    rays = np.stack([(u - INTR.cx) / F_PX, (v - INTR.cy) / F_PX, np.ones_like(u)], axis=-1)
    down = -(rays @ up)  # the ray's drop per unit depth
    with np.errstate(divide="ignore"):
        floor = np.where(down > 1e-6, height_m / down, np.inf)
    forward = np.array([0.0, math.sin(pitch), math.cos(pitch)])  # the level forward axis, optical frame
    wall = 6.0 / np.maximum(rays @ forward, 1e-6)
    return np.minimum(floor, wall).astype(np.float32), up


def test_the_mount_is_read_off_the_truths_floor():
    depth, up = scene_m(1.3, 12.0)
    mount, why = mount_from_truth(depth, INTR)
    assert why == "" and mount.height_m == pytest.approx(1.3, rel=0.01)
    assert math.degrees(math.acos(float(mount.up_optical @ up))) < 0.5 and mount.tilt_deg == pytest.approx(12.0, abs=0.5)
    wall_only = np.full((H, W), 4.0, np.float32)
    none, why = mount_from_truth(wall_only, INTR)
    assert none is None and why.startswith("no ground plane found")


@pytest.mark.parametrize("kind", ["metric_depth", "log_depth", "depth_up_to_scale", "relative_depth"])
def test_each_output_kind_is_made_metric_by_the_nodes_rule(kind):
    depth, up = scene_m(1.3, 12.0)
    mount = Mount(1.3, up, 12.0, 1.0)
    if kind == "relative_depth":  # affine in depth, normalised as the node publishes it
        score = 0.7 * depth + 4.0
        published = (score - score.min()) / (np.median(score) - score.min())
    else:
        published = depth / 2.4  # a metric network 2.4 times too near, or an up-to-scale depth
    metres, why = metres_from_mount(published.astype(np.float32), kind, INTR, mount)
    assert why == ""
    scores = metric_scores(metres, depth, np.isfinite(depth), DepthCaps())
    assert scores["abs_rel"] < 0.02 and abs(scores["log_scale"]) < 0.02, scores
    wall = np.full((H, W), 3.0, np.float32)
    missing, why = metres_from_mount(wall, kind, INTR, mount)
    assert missing is None and why


def test_kitti_camera_height_from_its_stereo_truth():
    try:
        kitti = load_set("kitti", DEFAULT_DATA_ROOT, max_frames=1)
    except SetUnavailable as exc:
        pytest.skip(str(exc))
    mount, why = mount_from_truth(kitti.frames[0].depth_m, kitti.intrinsics)
    assert mount is not None, why
    assert mount.height_m == pytest.approx(1.65, abs=0.1) and mount.tilt_deg < 5.0  # a level car camera


def test_bench_metric_scale_on_middlebury(load_benchmark, capsys, tmp_path: Path):
    """The script end to end on the Middlebury frame (scikit-image's), li2020 and eigen2014: metres
    for both, eigen2014's own beside its rescaled ones, the oracle baselines printed."""
    try:
        load_set("middlebury", Path("."))
    except SetUnavailable as exc:
        pytest.skip(str(exc))
    bench = load_benchmark("bench_metric_scale")
    out = tmp_path / "metric.json"
    figure = tmp_path / "metric.png"
    assert bench.main(["--sets", "middlebury", "--methods", "eigen2014,li2020", "--json", str(out),
                       "--figure", str(figure)]) == 0
    assert figure.stat().st_size > 10_000
    import json
    res = json.loads(out.read_text())["sets"]["middlebury"]
    assert res["floors"] == 1 and 0.9 < res["mounts"][0]["height_m"] < 1.3
    eigen, li = res["rows"]["eigen2014"], res["rows"]["li2020"]
    assert eigen["found"] == 1 and li["found"] == 1
    assert eigen["abs_rel"] < eigen["own_abs_rel"]  # the mount corrects eigen2014's metres (0.22 against 0.56)
    assert math.isnan(li["own_abs_rel"]) and 0.0 < li["constant_abs_rel"] < 1.0
    table = capsys.readouterr().out
    assert "| middlebury | eigen2014 | 1 of 1 |" in table


def test_bench_metric_scale_rejects_unknown_sets(load_benchmark):
    bench = load_benchmark("bench_metric_scale")
    with pytest.raises(SystemExit):
        bench.main(["--sets", "tum"])
    assert "euroc" in bench.DEPTH_SETS  # EuRoC has stereo depth since it was added to the real benchmark
