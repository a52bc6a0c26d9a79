"""``training evaluate`` on folders without labels: a user's camera-only recording (no depth, no poses)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import mono_depth_ros
from training.__main__ import main
from training.cli.evaluate import wrote
from training.data import folder_format as ff
from training.data.datasets import DatasetFolder
from training.evaluate.photometric import li2020_for_scoring, no_motion_terms, photometric_score
from training.evaluate.predict import load_models
from training.evaluate.run import EvalOptions, evaluate, evaluate_ego_motion

BUNDLED_DIR = Path(mono_depth_ros.__file__).parent / "weights"
LI_DEPTH = BUNDLED_DIR / "li2020_depth.pt"


def _copy_without(src: Path, dst: Path, depth_kept: set[int] = frozenset(), poses: str = "empty") -> Path:
    """A copy of the extracted folder ``src`` with depth only on ``depth_kept`` frames and
    poses_tum.txt "empty" (as extract writes it for a bag without odometry/TF), "missing" or "odd"
    (poses of every other frame only)."""
    shutil.copytree(src, dst)
    records = ff.read_manifest(dst / "manifest.csv")
    ff.write_manifest(dst / "manifest.csv", [ff.FrameRecord(r.index, r.stamp_ns, r.rgb,
                                                            r.depth if r.index in depth_kept else "", r.right,
                                                            r.camera) for r in records])
    if poses == "missing":
        (dst / "poses_tum.txt").unlink()
    elif poses == "empty":
        (dst / "poses_tum.txt").write_text("")
    else:  # keep the lines of every other frame
        lines = [line for line in (src / "poses_tum.txt").read_text().splitlines() if not line.startswith("#")]
        (dst / "poses_tum.txt").write_text("".join(line + "\n" for line in lines[::2]))
    return dst


@pytest.fixture(scope="module")
def camera_only(tiny_dataset, tmp_path_factory):
    """The tiny street sequence as a camera-only recording: rgb and intrinsics, no depth, empty poses."""
    return _copy_without(tiny_dataset, tmp_path_factory.mktemp("camera_only") / "ds")


def _png_width(path: Path) -> int:
    import matplotlib.image

    return matplotlib.image.imread(path).shape[1]


def test_camera_only_recording_gets_pictures_and_the_photometric_score(camera_only, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["evaluate", "--checkpoint", str(LI_DEPTH), "--data", str(camera_only), "--split", "all",
                 "--pictures", "3", "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    results = json.loads((out / "metrics.json").read_text())

    # pictures: input | prediction (2 panels: 4 x 90 = 360 px wide each) of frames 0, 4 and 7, evenly spread
    names = [f"depth_{i:06d}.png" for i in (0, 4, 7)]
    assert results["pictures"] == names
    assert sorted(p.name for p in out.glob("*.png")) == names
    assert all(_png_width(out / name) == 2 * 360 for name in names)
    assert f"wrote {out}/metrics.json, metrics.md and 3 pictures ({', '.join(names)})" in stdout

    # the label-free score is select's (photometric_score of the same weights on the same split) ...
    score = photometric_score(LI_DEPTH, camera_only, "all")
    network, no_motion = results["photometric"]["network"], results["photometric"]["no_motion"]
    assert network["pairs"] == no_motion["pairs"] == score["pairs"] == 7
    for key in ("weighted", "rgb_consistency", "ssim", "counted_fraction", "inview_l1"):
        assert network[key] == pytest.approx(score[key], rel=1e-6), key
    # ... and on this moving street sequence it beats no motion, in the masked terms and over every pixel
    assert network["weighted"] < 0.9 * no_motion["weighted"] and network["inview_l1"] < 0.95 * no_motion["inview_l1"]
    assert no_motion["counted_fraction"] == 1.0 and 0.2 < network["counted_fraction"] < 1
    markdown = (out / "metrics.md").read_text()
    assert f"| li2020 depth + motion | {network['weighted']:.4f} |" in markdown
    assert f"| no motion (identity warp) | {no_motion['weighted']:.4f} |" in markdown

    # what is true about the labels, and no progress bar over zero frames
    assert "poses_tum.txt is empty: the bag had no odometry/TF for the camera" in results["ego_motion"]["not_scored"]
    assert "has depth ground truth" in results["depth"]["not_scored"]
    assert "0frame" not in stderr and "depth:" not in stderr


def test_no_motion_is_the_identity_warp_of_the_pairs_li2020_scores(camera_only, monkeypatch):
    """Every pixel counted, the in-view L1 is the mean |frame b - frame a| of the frames the method
    sees (by hand), and the chunked result equals one pass of the benchmark's independent version."""
    import training.evaluate.photometric as photometric

    module = li2020_for_scoring(LI_DEPTH)
    dataset = module.make_dataset(DatasetFolder(camera_only), "all", train=False)
    by_hand = np.mean([float((dataset[i].rgb[1] - dataset[i].rgb[0]).abs().mean()) for i in range(len(dataset))])
    monkeypatch.setattr(photometric, "CHUNK_PAIRS", 3)  # 3 + 3 + 1 pairs
    terms = no_motion_terms(module, camera_only, "all")
    assert terms["pairs"] == 7 and terms["counted_fraction"] == 1.0 and terms["inview_fraction"] == 1.0
    assert terms["inview_l1"] == pytest.approx(by_hand, rel=1e-5)
    assert terms["rgb_consistency"] == pytest.approx(2 * by_hand, rel=1e-5)  # li2020's factor 2, no pixel masked
    w = module.config.loss_weights
    assert terms["weighted"] == pytest.approx(w.rgb_consistency * terms["rgb_consistency"] + w.ssim * terms["ssim"])
    assert 0 < terms["ssim"] < 1


def test_pictures_without_truth_fill_what_the_scored_frames_leave(tiny_dataset, tmp_path):
    """Depth on frames 0-3 only: 4 pictures with the truth panel, then 2 without (frames 4 and 7)."""
    folder = _copy_without(tiny_dataset, tmp_path / "ds", depth_kept={0, 1, 2, 3}, poses="missing")
    out = tmp_path / "eval"
    results = evaluate([BUNDLED_DIR / "eigen2014.pt"], folder, out,
                       EvalOptions(split="all", pictures=6, progress=False))
    assert results["depth"]["frames"] == 4 and "photometric" not in results and "ego_motion" not in results
    assert results["pictures"] == [f"depth_{i:06d}.png" for i in (0, 1, 2, 3, 4, 7)]
    widths = [_png_width(out / name) for name in results["pictures"]]
    assert widths == [3 * 360] * 4 + [2 * 360] * 2
    assert wrote([]) == "metrics.json and metrics.md (no picture)"
    assert json.loads((out / "metrics.json").read_text())["pictures"] == results["pictures"]


@pytest.mark.parametrize("poses, why", [
    ("missing", "the folder has no poses_tum.txt"),
    ("empty", "poses_tum.txt is empty: the bag had no odometry/TF for the camera"),
    ("odd", "4 of its 8 frames have a pose in poses_tum.txt (4 poses, matched by exact stamp), at most 1 in a row"),
])
def test_ego_motion_not_scored_says_what_the_folder_lacks(tiny_dataset, tmp_path, poses, why):
    folder = DatasetFolder(_copy_without(tiny_dataset, tmp_path / "ds", poses=poses))
    models = load_models([LI_DEPTH])
    result = evaluate_ego_motion(models, folder, folder.indices("all"), EvalOptions(split="all"), tmp_path)
    assert result["not_scored"].startswith(f"fewer than 3 consecutive frames with poses in split 'all': {why}")
    assert not (tmp_path / "trajectory.png").exists()
