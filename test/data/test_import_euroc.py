"""EuRoC camera folder -> rectified dataset folder (real EuRoC V1_01 frames where ../shared is present)."""

from __future__ import annotations

import argparse

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from training.cli import import_frames as cli
from training.data.datasets import DatasetFolder, Li2020Dataset
from training.data.import_euroc import contiguous_time_splits, import_euroc, read_sensor_yaml

EUROC = "euroc_v101_micro"
K_EUROC = (458.654, 457.296, 367.215, 248.375)
D_EUROC = (-0.28340811, 0.07395907, 0.00019359, 1.76187114e-05)


@pytest.fixture(scope="module")
def euroc(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("euroc") / "ds"
    return shared_data / EUROC / "cam0", out, import_euroc(shared_data / EUROC, out)


def _tiny_source(root, size_wh=(40, 30), frames=3, model="radial-tangential", coeffs="[-0.2, 0.05, 0.0, 0.0]"):
    """A EuRoC-shaped camera folder with random frames (for the error paths; no real data needed)."""
    cam = root / "mav0" / "cam0"
    (cam / "data").mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = ["#timestamp [ns],filename"]
    for k in range(frames):
        stamp = 1_000_000_000 + 50_000_000 * k
        cv2.imwrite(str(cam / "data" / f"{stamp}.png"), rng.integers(0, 255, size_wh[::-1], dtype=np.uint8))
        lines.append(f"{stamp},{stamp}.png")
    (cam / "data.csv").write_text("\n".join(lines) + "\n")
    (cam / "sensor.yaml").write_text(
        f"%YAML:1.0\ncamera_model: pinhole\nresolution: [{size_wh[0]}, {size_wh[1]}]\n"
        f"intrinsics: [30.0, 30.0, 20.0, 15.0]\ndistortion_model: {model}\ndistortion_coefficients: {coeffs}\n")
    return cam


def test_real_frames_rectified_like_opencv_with_stamps_and_time_splits(euroc):
    src, out, report = euroc
    folder = DatasetFolder(out)
    stamps = [int(line.split(",")[0]) for line in (src / "data.csv").read_text().splitlines()[1:] if line]
    assert report.frames == len(folder.records) == len(stamps) == 95
    assert [r.stamp_ns for r in folder.records] == stamps
    assert (folder.indices("train"), folder.indices("val"), folder.indices("test")) == (
        list(range(66)), list(range(66, 76)), list(range(76, 95)))
    intr = folder.intrinsics
    assert (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy) == (752, 480, *K_EUROC)
    assert intr.d == (0.0,) * 5 and intr.distortion_model == "plumb_bob"
    for index in (0, 94):
        raw = cv2.imread(str(src / "data" / f"{stamps[index]}.png"), cv2.IMREAD_GRAYSCALE)
        rgb = folder.rgb(index)
        assert rgb.shape == (480, 752, 3) and (rgb[..., 0] == rgb[..., 2]).all()
        k = np.array([[K_EUROC[0], 0, K_EUROC[2]], [0, K_EUROC[1], K_EUROC[3]], [0, 0, 1]])
        expected = cv2.undistort(raw, k, np.array(D_EUROC))  # OpenCV's own path, independent of our maps
        diff = np.abs(rgb[..., 0].astype(np.int16) - expected.astype(np.int16))[8:-8, 8:-8]
        assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 4
        # k1 = -0.28 is strong: the raw frame itself is far from the rectified one away from the centre
        assert np.abs(raw.astype(np.int16) - rgb[..., 0])[:60].mean() > 10


def test_li2020_pairs_from_the_training_split(euroc):
    _, out, _ = euroc
    dataset = Li2020Dataset(out, "train", (48, 64), length=2)
    assert len(dataset) == 65  # pairs never cross into val
    sample = dataset[0]
    assert tuple(sample.rgb.shape) == (2, 3, 48, 64) and bool(sample.intrinsics_known)
    # crop to 4:3 then scale: fx scales by 48/480
    assert float(sample.intrinsics[0, 0]) == pytest.approx(K_EUROC[0] * 0.1, rel=1e-6)


def test_cli_imports_and_prints_splits(shared_data, tmp_path, capsys):
    args = argparse.Namespace(src=str(shared_data / EUROC), fmt="euroc", out=str(tmp_path / "ds"),
                              intrinsics="460,458,370,250", fps=30.0, baseline_m=0.5)
    assert cli.run(args) == 0
    printed = capsys.readouterr().out
    assert "splits: train 66, val 10, test 19" in printed and "rectified" in printed
    assert DatasetFolder(tmp_path / "ds").intrinsics.fx == 460.0


def test_sensor_yaml_models_and_time_splits(tmp_path):
    cam = _tiny_source(tmp_path, model="equidistant", coeffs="[0.01, 0.0, 0.0, 0.0]")
    intr = read_sensor_yaml(cam / "sensor.yaml")
    assert (intr.distortion_model, intr.d, intr.width) == ("equidistant", (0.01, 0.0, 0.0, 0.0), 40)
    assert contiguous_time_splits(10) == {"train": list(range(7)), "val": [7], "test": [8, 9]}
    report = import_euroc(tmp_path, tmp_path / "ds")  # finds mav0/cam0 under the sequence folder
    assert report.frames == 3 and DatasetFolder(tmp_path / "ds").indices("train") == [0, 1]


@pytest.mark.parametrize("breakage, match", [
    ("model", "distortion_model='kannala'"),
    ("missing_image", "1050000000.png"),
    ("size", "differs from sensor.yaml resolution 40x30"),
    ("stamps", "timestamps must increase"),
    ("no_folder", "no EuRoC camera folder"),
])
def test_bad_sources_raise_naming_what_is_wrong(tmp_path, breakage, match):
    cam = _tiny_source(tmp_path, model="kannala" if breakage == "model" else "radial-tangential")
    if breakage == "missing_image":
        (cam / "data" / "1050000000.png").unlink()
    elif breakage == "size":
        cv2.imwrite(str(cam / "data" / "1000000000.png"), np.zeros((31, 40), np.uint8))
    elif breakage == "stamps":
        lines = (cam / "data.csv").read_text().splitlines()
        (cam / "data.csv").write_text("\n".join([lines[0], lines[2], lines[1], lines[3]]))
    src = tmp_path / "elsewhere" if breakage == "no_folder" else tmp_path
    with pytest.raises(InputError, match=match):
        import_euroc(src, tmp_path / "ds")


def test_sensor_extrinsics_are_read_and_a_bad_one_is_named(tmp_path):
    from mono_depth_ros.core.errors import InputError
    from training.data.import_euroc import read_sensor_extrinsics

    good = tmp_path / "good.yaml"
    good.write_text("%YAML:1.0\nT_BS:\n  cols: 4\n  rows: 4\n  data: [1, 0, 0, 0.1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]\n")
    t = read_sensor_extrinsics(good)
    assert t.shape == (4, 4) and t[0, 3] == 0.1 and t[3, 3] == 1.0
    bad = tmp_path / "bad.yaml"
    bad.write_text("T_BS:\n  data: [1, 0, 0]\n")
    with pytest.raises(InputError, match=r"T_BS.data.*16 finite numbers"):
        read_sensor_extrinsics(bad)
