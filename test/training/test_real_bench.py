"""The real-data benchmark (benchmarks/bench_real.py) and its loaders, on a subset of the real
sets: real frames, the bundled networks on ONNX Runtime, numbers checked against geometry."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from training.evaluate.depth_metrics import DepthCaps
from training.evaluate.pose_metrics import relative_from_poses
from training.evaluate.depth_metrics import layout_grid, layout_share
from training.evaluate.real_bench import (LAYOUT_REFERENCE, baseline_depth, common_mask, depth_scores,
                                          photometric_error, ramp_depth)
from training.evaluate.real_sets import STEREODEMO_DIR, SetUnavailable, load_set


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_real")


def _angle_deg(R: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(R) - 1) / 2, -1, 1))))


def _middlebury():
    try:
        return load_set("middlebury", Path("."))
    except SetUnavailable as exc:
        pytest.skip(str(exc))


def test_baselines_share_the_median_and_pixels():
    gt = np.linspace(1.0, 9.0, 12 * 8).reshape(12, 8)
    gt[0, :3] = np.nan
    mask = common_mask(gt, [np.ones_like(gt)], DepthCaps())
    assert mask.sum() == 12 * 8 - 3
    median = np.median(gt[mask])
    ramp = ramp_depth((12, 8))
    assert ramp[-1, 0] == 1.0 and ramp[0, 0] == 2.0 and np.all(np.diff(ramp[:, 3]) < 0)  # grows toward the top
    for kind in ("constant", "ramp"):
        assert np.median(baseline_depth(kind, gt, mask)[mask]) == pytest.approx(median)
    scores = depth_scores(baseline_depth("constant", gt, mask), gt, mask, DepthCaps())
    expected = np.mean(np.abs(median - gt[mask]) / gt[mask])
    assert scores["abs_rel_raw"] == pytest.approx(expected) and scores["abs_rel_med"] == pytest.approx(expected)
    perfect = depth_scores(gt * 3.0, gt, mask, DepthCaps())
    assert perfect["abs_rel_med"] == pytest.approx(0.0, abs=1e-12) and perfect["whdr"] == 0.0
    assert perfect["abs_rel_raw"] == pytest.approx(2.0) and perfect["delta1_med"] == 1.0
    assert perfect["log_scale"] == pytest.approx(np.log(1 / 3.0))  # metres three times too large
    assert scores["log_scale"] == pytest.approx(0.0, abs=1e-12)


def test_verdict_names_the_baselines_a_method_loses_to(bench):
    baselines = {"constant": {"abs_rel_med": 0.2, "whdr": 0.9}, "ramp": {"abs_rel_med": 0.3, "whdr": 0.3}}
    lost = bench.losses({"abs_rel_med": 0.25, "whdr": 0.4}, baselines, bench.DEPTH_COLUMNS)
    assert lost == {"AbsRel_med": ["constant"], "WHDR": ["ramp"]}
    assert bench.verdict(lost) == "worse than constant (AbsRel_med); worse than ramp (WHDR)"
    assert bench.verdict(bench.losses({"abs_rel_med": 0.1, "whdr": 0.2}, baselines, bench.DEPTH_COLUMNS)) \
        == "beats baselines"


def test_middlebury_ground_truth_depth():
    real = _middlebury()
    depth = real.frames[0].depth_m
    assert depth.shape == real.frames[0].rgb.shape[:2] == (500, 741)
    valid = np.isfinite(depth)
    assert 0.85 < valid.mean() < 1.0
    # Z = f B / (d + doffs): the motorcycle scene spans about 1.9 m (front) to 5 m (back wall)
    assert 1.5 < np.nanmin(depth) and np.nanmax(depth) < 5.5 and 2.3 < np.nanmedian(depth) < 3.2


def test_real_loaders_geometry(shared_data):
    kinect = load_set("kinect", shared_data, max_frames=2)
    assert 0.5 < np.nanmedian(kinect.frames[0].depth_m) < 5.0 and kinect.has_poses
    kitti = load_set("kitti", shared_data, max_frames=3)
    steps = [np.linalg.norm(T[:3, 3]) for T in relative_from_poses([f.pose for f in kitti.frames])]
    assert np.allclose(steps, 0.86, atol=0.01)
    assert kitti.frames[0].depth_m is not None and kitti.frames[1].depth_m is None
    assert 8.0 < np.nanmedian(kitti.frames[0].depth_m) < 30.0  # SGBM of a street: metres, not pixels
    euroc = load_set("euroc", shared_data, max_frames=2)
    assert not any(euroc.intrinsics.d) and euroc.frames[0].valid is not None
    raw = cv2.imread(str(shared_data / "euroc_v101_micro" / "cam0" / "data" / f"{euroc.frames[0].stamp_ns}.png"),
                     cv2.IMREAD_GRAYSCALE).astype(float)
    moved = np.abs(euroc.frames[0].rgb[:, :, 0] - raw)
    # undistortion (k1 = -0.28) keeps the principal point and moves the corners
    assert moved[238:258, 357:377].mean() < 3.0 < 10.0 < moved[:40, :40].mean()
    assert euroc.depth_source == "SGBM reference" and not euroc.has_poses
    # the first frame's stereo depth, carried into the undistorted image: a floor below a wall 1-3 m away
    depth = euroc.frames[0].depth_m
    assert euroc.frames[1].depth_m is None and np.isfinite(depth).mean() > 0.4
    assert np.isnan(depth[~euroc.frames[0].valid]).all()
    assert 1.0 < np.nanmedian(depth) < 4.0
    assert np.nanmedian(depth[400:460, 300:500]) < 0.75 * np.nanmedian(depth[120:200, 300:500])


def test_euroc_stereo_geometry(shared_data):
    """The EuRoC rig: a 0.11 m baseline; the undistorted left pixel at the principal point looks along
    the rectified camera's axis turned by less than 2 deg (z barely rescaled)."""
    from training.data.import_euroc import read_sensor_yaml
    from training.evaluate.real_sets import EurocStereo, Rectifier

    cam0 = shared_data / "euroc_v101_micro" / "cam0" / "sensor.yaml"
    undistorted = Rectifier.build(read_sensor_yaml(cam0)).rectified
    stereo = EurocStereo(cam0, shared_data / "euroc_v101_micro" / "cam1" / "sensor.yaml", undistorted)
    assert stereo.baseline_m == pytest.approx(0.110, abs=0.002)
    centre = stereo.z_ratio[int(undistorted.cy), int(undistorted.cx)]
    assert 1.0 <= centre < 1.0 / np.cos(np.radians(2.0))


def test_oakd_sgbm_reference():
    try:
        oakd = load_set("oakd", Path("."), max_frames=2, stereodemo_dir=STEREODEMO_DIR)
    except SetUnavailable as exc:
        pytest.skip(str(exc))
    assert len(oakd.frames) == 2 and oakd.frames[0].rgb.shape == (480, 640, 3)
    # the calibration's depth_range is [1, 5] m: SGBM depth of indoor scenes lies inside it
    assert all(1.0 < np.nanmedian(f.depth_m) < 5.0 for f in oakd.frames)


def test_photometric_error_follows_the_true_motion(shared_data):
    kitti = load_set("kitti", shared_data, max_frames=2)
    a, b = kitti.frames
    true = relative_from_poses([a.pose, b.pose])[0]
    k = kitti.intrinsics.k
    errors = {name: photometric_error(a, b, a.depth_m, T, k)
              for name, T in (("true", true), ("none", np.eye(4)), ("reversed", np.linalg.inv(true)))}
    shared = np.logical_and.reduce([m for _, m in errors.values()])
    mean = {name: float(err[shared].mean()) for name, (err, _) in errors.items()}
    # measured 15.3 / 25.5 / 34 grey levels with SGBM depth and the ground-truth motion
    assert mean["true"] < 0.75 * mean["none"] < 0.75 * mean["reversed"]


def test_bench_real_subset(shared_data, tmp_path, bench):
    figure = tmp_path / "grid.png"
    results = bench.run(["middlebury", "kitti", "euroc"], ["eigen2014", "xian2018", "li2020"], max_frames=3,
                        data_root=shared_data, figure=figure, whdr_pairs=2000, progress=False, bootstrap=40)
    assert figure.stat().st_size > 10_000
    middlebury = results["sets"]["middlebury"]["depth"]
    assert set(middlebury["rows"]) == {"eigen2014", "xian2018", "li2020", "constant", "ramp"}
    for name, row in middlebury["rows"].items():
        assert 0.0 < row["abs_rel_med"] < 2.0 and 0.0 <= row["whdr"] <= 1.0, name
        assert row["pixels"] == middlebury["rows"]["constant"]["pixels"]  # the same pixels for all
    constant = middlebury["rows"]["constant"]
    assert constant["abs_rel_raw"] == pytest.approx(constant["abs_rel_med"])  # an oracle-scaled baseline
    assert constant["whdr"] > 0.8  # a constant says "equal" for every pair
    kitti = results["sets"]["kitti"]["ego_motion"]
    assert kitti["pairs"] == 2 and kitti["orb_failures"] == 0
    assert sum(kitti["refinement"].values()) == 2
    assert set(kitti["refinement"]) <= {"network", "no_rotation", "no_motion"}
    # ORB + essential matrix on KITTI's straight drive: well below a degree and within 20 deg of forward
    assert kitti["rows"]["orb"]["rot_err_deg"] < 1.0 and kitti["rows"]["orb"]["dir_err_deg"] < 20.0
    gt_rel = relative_from_poses([f.pose for f in load_set("kitti", shared_data, max_frames=3).frames])
    assert kitti["rows"]["no_motion"]["rot_err_deg"] == pytest.approx(np.mean([_angle_deg(T[:3, :3]) for T in gt_rel]))
    assert kitti["rows"]["no_motion"]["ate_m"] > 0.5  # 1.7 m driven, none estimated
    euroc = results["sets"]["euroc"]
    assert euroc["depth"]["frames"] == 1 and "ate_m" not in euroc["ego_motion"]["rows"]["li2020"]
    assert 0.0 < euroc["ego_motion"]["rows"]["no_motion"]["photo_err"] < 10.0  # a nearly static start
    text = bench.report(results)
    assert text.count("beats baselines") + text.count("worse than") >= 3
    scale = np.exp(middlebury["rows"]["eigen2014"]["log_scale"])  # the one metric network: printed per set
    assert "metric scale, median of the truth over the prediction's" in text and f"eigen2014 {scale:.2f}" in text
    assert "li2020 " not in text.split("metric scale")[1].split("\n")[0]
    layout = results["layout_share"]  # Middlebury's frame, KITTI's and EuRoC's frame 0: three frames with depth
    assert layout["frames"] == 3 and set(layout["shares"]) == {"eigen2014", "xian2018", "li2020", LAYOUT_REFERENCE}
    assert all(0.0 <= share <= 1.0 for share in layout["shares"].values())
    assert "layout share" in text and "layout share" in bench.markdown_summary(results)
    assert Path(results["layout_figure"]) == tmp_path / "grid_layout.png"
    assert (tmp_path / "grid_layout.png").stat().st_size > 5_000
    # paired bootstrap intervals of (method - baseline): the constant's WHDR (about 0.9) is beaten beyond doubt
    intervals = middlebury["intervals"]
    assert set(intervals) == {"eigen2014", "xian2018", "li2020"}
    for method, by_base in intervals.items():
        assert set(by_base) == {"constant", "ramp"}
        low, high = by_base["constant"]["whdr"]
        assert low <= high < -0.3, method
        point = middlebury["rows"][method]["whdr"] - middlebury["rows"]["ramp"]["whdr"]
        assert by_base["ramp"]["whdr"][0] - 0.05 < point < by_base["ramp"]["whdr"][1] + 0.05, method
    assert set(kitti["intervals"]["li2020"]["orb"]) == {"rot_err_deg", "dir_err_deg", "photo_err"}
    assert "dir_err_deg" not in kitti["intervals"]["li2020"]["no_motion"]
    assert "90% interval of (method - baseline)" in text and "WHDR - constant [" in text
    summary = bench.markdown_summary(results)
    assert "within noise (90 % interval of the difference holds 0)" in summary
    assert summary.count("not computed") == 0
    json.dumps(results, default=float)


def test_bench_real_says_why_no_layout_share_with_one_frame(shared_data, bench):
    results = bench.run(["kitti"], ["eigen2014"], max_frames=2, data_root=shared_data, figure=None,
                        whdr_pairs=500, progress=False)  # KITTI has depth for its frame 0 only
    assert "layout_share" not in results
    assert "needs at least 2" in results["layout_share_skipped"]
    text = bench.report(results)
    assert "layout share: not computed (1 frame with depth" in text and "nan" not in text
    assert "layout share" not in bench.markdown_summary(results)


def test_layout_grid_averages_log_depth_per_cell_and_standardises():
    depth = np.ones((48, 64))
    depth[:24] = np.e ** 2  # top half: log depth 2, bottom half 0
    mask = np.ones_like(depth, bool)
    mask[:, :2] = False  # the first grid column (2 px wide) has no scored pixel
    grid = layout_grid(depth, mask)
    assert grid.shape == (24, 32) and np.isnan(grid[:, 0]).all()
    np.testing.assert_allclose(grid[:12, 1:], 1.0)  # two levels, standardised: +1 and -1
    np.testing.assert_allclose(grid[12:, 1:], -1.0)
    assert np.isnan(layout_grid(np.ones((48, 64)), np.ones((48, 64), bool))).all()  # a flat map has no layout
    with pytest.raises(ValueError, match="smaller than the layout grid"):
        layout_grid(np.ones((10, 64)), np.ones((10, 64), bool))


def test_layout_share_is_one_for_a_fixed_map_and_the_common_part_otherwise():
    rng = np.random.default_rng(3)
    yy = np.linspace(-1, 1, 24)[:, None] * np.ones((1, 32))
    fixed = (yy - yy.mean()) / yy.std()
    assert layout_share([fixed] * 5) == pytest.approx(1.0)
    unrelated = [rng.standard_normal((24, 32)) for _ in range(50)]
    assert layout_share(unrelated) == pytest.approx(1 / 50, abs=0.01)  # only chance agreement
    # half the variance common to every map, half each map's own: the share is about a half
    mixed = [(fixed + rng.standard_normal((24, 32))) / np.sqrt(2) for _ in range(50)]
    assert layout_share(mixed) == pytest.approx(0.5 + 0.5 / 50, abs=0.03)
    # a cell that most maps lack is left out rather than decided by the one map that has it
    holes = [np.where(np.arange(32) == 0, np.nan, fixed) for _ in range(4)] + [rng.standard_normal((24, 32))]
    assert layout_share(holes) < 1.0 and np.isfinite(layout_share(holes))
    assert np.isnan(layout_share([fixed]))


def test_bench_real_rejects_an_unknown_set(capsys, bench):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--sets", "kitti,nyu"])
    assert exc.value.code == 2 and "unknown set 'nyu'" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value, message", [("--bootstrap", "-1", "--bootstrap=-1: must be >= 0"),
                                                  ("--level", "90", "--level=90.0: must be between 0 and 1")])
def test_bench_real_rejects_a_bad_interval_setting(capsys, bench, flag, value, message):
    with pytest.raises(SystemExit) as exc:
        bench.main([flag, value])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_bench_real_names_a_wrong_backend_or_weights_folder_in_one_line(capsys, bench, tmp_path):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--backend", "pytorch"])
    assert exc.value.code == 2 and "invalid choice: 'pytorch'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # an empty folder: no li2020 weights in it
        bench.main(["--methods", "li2020", "--sets", "kitti", "--weights-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("error: ") and "Traceback" not in err and str(tmp_path) in err


def test_weights_dir_is_searched_for_onnx_then_pt(tmp_path):
    from mono_depth_ros.inference.weights import WEIGHTS_DIR, default_weights_path
    from training.evaluate.real_bench import model_file

    assert model_file(None, "li2020_motion") == default_weights_path("li2020_motion")
    assert model_file(WEIGHTS_DIR, "xian2018") == WEIGHTS_DIR / "xian2018.pt"
    (tmp_path / "xian2018.onnx").write_bytes(b"")
    assert model_file(tmp_path, "xian2018") == tmp_path / "xian2018.onnx"
    with pytest.raises(FileNotFoundError, match="neither eigen2014.onnx nor eigen2014.pt"):
        model_file(tmp_path, "eigen2014")
