"""``training evaluate`` / ``training select`` on a stereo-only folder (right images, no depth):
depth scored against the SGBM reference of each pair, beside the constant map and the ramp."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import mono_depth_ros
from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.synth import write_synthetic_bag
from training.__main__ import main
from training.data import folder_format as ff
from training.data.datasets import DatasetFolder
from training.data.extract import extract_bag
from training.evaluate.depth_metrics import DepthCaps, depth_errors, ramp_depth, whdr
from training.evaluate.predict import load_models, predict_depth
from training.evaluate.real_sets import DEFAULT_DATA_ROOT, sgbm_depth_m
from training.evaluate.run import EvalOptions, evaluate
from training.evaluate.stereo_reference import SGBM_LABEL, sgbm_reference

BUNDLED_DIR = Path(mono_depth_ros.__file__).parent / "weights"
KITTI = DEFAULT_DATA_ROOT / "kitti_odometry00_6frames"
OPTS = EvalOptions(split="all", pictures=0, classical="none", progress=False)


def _without_depth(src: Path, dst: Path) -> Path:
    """A copy of the extracted folder ``src`` whose manifest lists no depth: a stereo-only recording."""
    shutil.copytree(src, dst)
    records = ff.read_manifest(dst / "manifest.csv")
    ff.write_manifest(dst / "manifest.csv", [ff.FrameRecord(r.index, r.stamp_ns, r.rgb, "", r.right, r.camera)
                                             for r in records])
    return dst


@pytest.fixture(scope="module")
def stereo(tmp_path_factory):
    """(the folder with depth and right images, its stereo-only copy): 6 synthetic indoor frames,
    160x120, baseline 0.2 m (in intrinsics.yaml, from the right camera_info's P)."""
    root = tmp_path_factory.mktemp("stereo")
    write_synthetic_bag(root / "bag", frames=6, seed=3, size_wh=(160, 120), scene="indoor", stereo=True,
                        baseline_m=0.2, fps=10.0)
    extract_bag(root / "bag", root / "with_depth")
    return root / "with_depth", _without_depth(root / "with_depth", root / "stereo_only")


def _write_pair_folder(folder: Path, baseline_m: float | None) -> Path:
    """One 120x60 frame pair with a known disparity: 4 px on the top half (far), 10 px on the
    bottom half (near) of a random texture; fx = 100 px."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (60, 160), dtype=np.uint8)
    left = texture[:, :120]
    disparity = np.where(np.arange(60)[:, None] < 30, 4, 10)
    right = np.take_along_axis(texture, np.arange(120)[None, :] + disparity, axis=1)  # x_right = x_left - d
    ff.write_rgb(folder / "rgb" / "000000.png", np.repeat(left[:, :, None], 3, axis=2))
    ff.write_rgb(folder / "right" / "000000.png", np.repeat(right[:, :, None], 3, axis=2))
    ff.write_manifest(folder / "manifest.csv", [ff.FrameRecord(0, 0, "rgb/000000.png", "", "right/000000.png")])
    ff.write_intrinsics(folder / "intrinsics.yaml", CameraIntrinsics(120, 60, 100.0, 100.0, 60.0, 30.0), baseline_m,
                        "test")
    ff.write_splits(folder, {"train": [0], "val": [], "test": []})
    return folder


@pytest.mark.parametrize("baseline_m, far, near", [(0.1, 100 * 0.1 / 4, 100 * 0.1 / 10), (None, 1 / 4, 1 / 10)])
def test_reference_of_a_known_disparity(tmp_path, baseline_m, far, near):
    """fx * B / d in metres with a baseline, 1 / d without; the far half farther than the near one."""
    folder = DatasetFolder(_write_pair_folder(tmp_path / "pair", baseline_m))
    ref, metric = sgbm_reference(folder, 0)
    assert metric == (baseline_m is not None)
    # 32 disparities (W / 4 = 30 rounded up to 16s): no match in the first 32 columns, nor (the check
    # matches the mirrored pair) in the last ones
    assert not np.isfinite(ref[:, :32]).any() and not np.isfinite(ref[:, -20:]).any()
    top, bottom = ref[:28, 32:88], ref[32:, 32:88]  # away from the edge between the halves
    assert np.isfinite(top).mean() > 0.98 and np.isfinite(bottom).mean() > 0.98
    assert np.nanmedian(top) == pytest.approx(far, rel=0.01) and np.nanmedian(bottom) == pytest.approx(near, rel=0.01)
    assert 0.96 * far < np.nanmin(top) and np.nanmax(top) < 1.04 * far and np.nanmax(bottom) < 1.02 * near


def test_reference_is_the_benchmarks_sgbm_and_orders_like_the_truth(stereo):
    with_depth, stereo_only = DatasetFolder(stereo[0]), DatasetFolder(stereo[1])
    for index in stereo_only.indices("all"):
        ref, metric = sgbm_reference(stereo_only, index)
        assert metric
        # the one SGBM path: bench_real's sgbm_depth_m (W / 4 disparities, as xian2018's targets)
        same = sgbm_depth_m(stereo_only.rgb(index), stereo_only.right(index), stereo_only.intrinsics.fx, 0.2, 40)
        np.testing.assert_array_equal(ref, same)
        truth = with_depth.depth_m(index)
        assert 0.3 < np.isfinite(ref).mean() < 0.6
        assert whdr(ref, truth) < 0.16  # 0.078-0.151 measured
        assert np.nanmedian(np.abs(ref - truth) / truth) < 0.06  # metric: 0.043-0.047 measured


def test_evaluate_scores_a_stereo_only_folder_against_sgbm(stereo, tmp_path, capsys):
    with_depth, stereo_only = stereo
    out = tmp_path / "eval"
    assert main(["evaluate", "--checkpoint", str(BUNDLED_DIR / "xian2018.pt"), "--data", str(stereo_only),
                 "--split", "all", "--pictures", "2", "--flip-average", "never", "--guided-filter", "never",
                 "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    results = json.loads((out / "metrics.json").read_text())
    sgbm = results["depth_vs_sgbm"]
    assert sgbm["reference"] == SGBM_LABEL == "SGBM reference (relative, not ground truth)"
    assert sgbm["frames"] == 6 and sgbm["reference_depth"] == "fx * baseline_m / disparity (m)"
    assert "6 frames with a right image and no depth are scored against an SGBM reference" \
        in results["depth"]["not_scored"]
    assert results["pictures"] == ["depth_000000.png", "depth_000003.png"]

    # every row recomputed by hand on the pixels SGBM marks valid where the network predicts
    folder, models = DatasetFolder(stereo_only), load_models([BUNDLED_DIR / "xian2018.pt"])
    by_hand: dict[str, list] = {"network": [], "constant": [], "ramp": []}
    for index in folder.indices("all"):
        ref, _ = sgbm_reference(folder, index)
        pred = predict_depth(models, folder.rgb(index))
        mask = np.isfinite(ref) & (ref > 0.1) & (ref < 80) & np.isfinite(pred) & (pred > 0)
        ramp = ramp_depth(ref.shape)  # at the reference's median first (as bench_real: delta1 has ties at 1.25)
        ramp *= np.median(ref[mask]) / np.median(ramp[mask])
        for name, depth in (("network", pred), ("constant", np.ones(ref.shape)), ("ramp", ramp)):
            depth = np.where(mask, depth, np.nan)
            gt = np.where(mask, ref, np.nan)
            errors = depth_errors(depth, gt, DepthCaps(), median_scaling=True)
            by_hand[name].append((errors["abs_rel"], errors["delta1"], whdr(depth, gt, seed=index)))
    for name, values in by_hand.items():
        expected = np.mean(values, axis=0)
        got = sgbm["rows"][name]
        assert [got["abs_rel"], got["delta1"], got["whdr"]] == pytest.approx(expected, rel=1e-6), name

    # numbers that could be wrong: the network orders pixels far better than the ramp and the constant
    rows = sgbm["rows"]
    assert rows["network"]["whdr"] < 0.25 < 0.55 < rows["ramp"]["whdr"] < 0.75 < 0.9 < rows["constant"]["whdr"]
    assert rows["network"]["abs_rel"] < 0.7 * rows["constant"]["abs_rel"]

    # the printed table and metrics.md say what the reference is
    table = ("| depth vs SGBM reference (relative, not ground truth) | abs_rel (median-scaled) | "
             "delta1 (median-scaled) |")
    network_row = (f"| network (xian2018) | {rows['network']['abs_rel']:.4f} | {rows['network']['delta1']:.4f} | "
                   f"{rows['network']['whdr']:.4f} |")
    for text in (stdout, (out / "metrics.md").read_text()):
        assert "## Depth against an SGBM reference (relative, not ground truth)" in text
        assert table in text and network_row in text and f"| vertical ramp | {rows['ramp']['abs_rel']:.4f} |" in text


def test_sgbm_ranks_the_networks_as_the_truth_does_and_depth_folders_do_not_change(stereo, tmp_path):
    """On the same frames, the rankings of xian2018, li2020 and the ramp by WHDR against SGBM and
    against the rendered depth agree; the folder with depth gets no SGBM section."""
    with_depth, stereo_only = stereo
    against = {}
    for name in ("xian2018", "li2020_depth"):
        truth = evaluate([BUNDLED_DIR / f"{name}.pt"], with_depth, tmp_path / f"t_{name}", OPTS)
        sgbm = evaluate([BUNDLED_DIR / f"{name}.pt"], stereo_only, tmp_path / f"s_{name}", OPTS)
        assert "depth_vs_sgbm" not in truth and "abs_rel" in truth["depth"]  # depth: scored as before
        assert "abs_rel" not in sgbm["depth"]
        against[name] = (truth["depth"]["whdr"], sgbm["depth_vs_sgbm"]["rows"]["network"]["whdr"])
        against["ramp"] = (truth["depth"]["ramp_whdr"], sgbm["depth_vs_sgbm"]["rows"]["ramp"]["whdr"])
    # truth: 0.174, 0.476, 0.661; SGBM: 0.161, 0.579, 0.632 (measured)
    for column in (0, 1):
        assert against["xian2018"][column] < against["li2020_depth"][column] < against["ramp"][column]
    assert abs(against["xian2018"][0] - against["xian2018"][1]) < 0.05


def test_select_on_a_stereo_only_folder(stereo, tmp_path, capsys):
    _, stereo_only = stereo
    run = tmp_path / "run"
    tiny = ["model.variant=lite0", "data.input_hw=[48, 64]", "data.train_split=all", "trainer.batch_size=2",
            "trainer.num_workers=0", "trainer.val_batches=0", "trainer.accelerator=cpu", "trainer.max_steps=4",
            "trainer.checkpoint_every_n_steps=2", "optimizer.lr=1e-3"]
    assert main(["train", "--method", "xian2018", "--data", str(stereo_only), "--init-from", "bundled", "--out",
                 str(run), "--no-progress", *[a for item in tiny for a in ("--set", item)]]) == 0
    base = ["select", "--run", str(run), "--data", str(stereo_only), "--split", "all", "--no-progress"]

    # the default criterion needs depth: the error says what the folder has and what each criterion needs
    capsys.readouterr()
    assert main(base) == 2
    error = capsys.readouterr().err
    assert ("error: invalid criterion='abs_rel_vs_constant': needs a depth network and frames with depth ("
            f"{stereo_only} has split 'all': 6 frames, 0 with depth, 6 with a right image, 6 with a pose); "
            "this folder scores with --criterion sgbm_whdr or sgbm_abs_rel_vs_constant; what each criterion needs: "
            "abs_rel_vs_constant, abs_rel, whdr, silog: a depth network and frames with depth") in error
    assert "sgbm_whdr, sgbm_abs_rel_vs_constant: a depth network and frames with a right image and no depth" in error

    assert main([*base, "--criterion", "sgbm_whdr", "--incumbent", "bundled"]) == 0
    selection = json.loads((run / "selected" / "selection.json").read_text())
    assert [c["step"] for c in selection["candidates"]] == [2, 4]
    for c in selection["candidates"]:  # each score is that checkpoint's WHDR against SGBM, from evaluate
        again = evaluate([run / "checkpoints" / f"step{c['step']}.ckpt"], stereo_only, tmp_path / "e", OPTS)
        assert c["score"] == pytest.approx(again["depth_vs_sgbm"]["rows"]["network"]["whdr"], rel=1e-9)
    bundled = evaluate([BUNDLED_DIR / "xian2018.pt"], stereo_only, tmp_path / "b", OPTS)
    assert selection["incumbent"]["score"] == pytest.approx(bundled["depth_vs_sgbm"]["rows"]["network"]["whdr"])
    assert (run / "selected" / "xian2018.pt").is_file()


def test_score_of_sgbm_criteria():
    from training.select import score_of

    rows = {"network": {"abs_rel": 0.2, "whdr": 0.15}, "constant": {"abs_rel": 0.5, "whdr": 0.97}}
    results = {"data": "data/cam", "depth": {"frames": 0, "not_scored": "no depth"}, "depth_vs_sgbm": {"rows": rows}}
    assert score_of(results, "sgbm_whdr") == 0.15
    assert score_of(results, "sgbm_abs_rel_vs_constant") == pytest.approx(0.4)
    with_depth = {"data": "data/rgbd", "depth": {"abs_rel": 0.3, "constant_depth_abs_rel": 0.6, "whdr": 0.2}}
    with pytest.raises(InputError, match=r"^invalid criterion='sgbm_whdr': needs a depth network and frames with a "
                                         r"right image and no depth, scored against SGBM \(a relative reference, "
                                         r"not ground truth\) \(data/rgbd: no frame with a right image and no "
                                         r"depth\); this folder has depth: --criterion abs_rel_vs_constant, abs_rel, "
                                         r"whdr or silog; what each criterion needs: "):
        score_of(with_depth, "sgbm_whdr")


@pytest.mark.skipif(not KITTI.is_dir(), reason=f"{KITTI} not found (real data only on the project's machines)")
def test_kitti_stereo_folder_scores_as_bench_real(tmp_path):
    """KITTI 00 frame 0 imported as a folder (right image, no depth): evaluate's SGBM rows equal
    bench_real.py's KITTI rows (its ONNX run of the same weights) with the bench's 128 disparities."""
    from training.data.import_frames import import_kitti
    from training.evaluate.real_bench import DepthCache, evaluate_depth_set, load_networks
    from training.evaluate.real_sets import load_kitti

    import_kitti(KITTI, tmp_path / "kitti")
    opts = EvalOptions(split="test", pictures=0, classical="none", progress=False, flip_average="auto",
                       stereo_max_disparity_px=128)
    ours = evaluate([BUNDLED_DIR / "xian2018.pt"], tmp_path / "kitti", tmp_path / "e", opts)["depth_vs_sgbm"]
    bench = evaluate_depth_set(load_kitti(DEFAULT_DATA_ROOT, 1), ["xian2018"],
                               DepthCache(load_networks(["xian2018"], flip_average="auto")), DepthCaps())["rows"]
    assert ours["frames"] == 1
    for name, row in ours["rows"].items():
        key = "xian2018" if name == "network" else name
        assert row["abs_rel"] == pytest.approx(bench[key]["abs_rel_med"], abs=1e-4), name
        assert row["delta1"] == pytest.approx(bench[key]["delta1_med"], abs=1e-3), name
        assert row["whdr"] == pytest.approx(bench[key]["whdr"], abs=2e-3), name
    # measured: 0.275 / 0.141 against the ramp's 0.415 / 0.250 and the constant map's 0.545
    assert ours["rows"]["network"]["whdr"] < 0.8 * ours["rows"]["ramp"]["whdr"]
    assert ours["rows"]["network"]["abs_rel"] < 0.8 * ours["rows"]["ramp"]["abs_rel"]
