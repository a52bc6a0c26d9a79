"""``training import --format kitti``: colour frames (image_2/image_3) where the folder has them,
calibration from calib.txt (poses moved to the imported camera, baseline from P2/P3)."""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.transforms import se3
from training.cli import import_frames as cli
from training.data.datasets import DatasetFolder
from training.data.import_frames import KITTI_SEQ00_CALIB, import_kitti

H, W = 24, 80
CALIB = {"P0": "700 0 40 0 0 700 12 0 0 0 1 0", "P1": "700 0 40 -378 0 700 12 0 0 0 1 0",
         "P2": "710 0 41 42.6 0 710 11 -0.071 0 0 1 0.002", "P3": "710 0 41 -340.8 0 710 11 1.42 0 0 1 0.003"}


def _kitti_folder(root: Path, colour: bool = True, calib: bool = True) -> Path:
    rng = np.random.default_rng(0)
    for cam in ("image_0", "image_1") + (("image_2", "image_3") if colour else ()):
        (root / cam).mkdir(parents=True)
    for n in range(2):
        bgr = np.zeros((H, W, 3), np.uint8)
        bgr[..., 0], bgr[..., 1], bgr[..., 2] = 200, 100 + n, rng.integers(0, 50, (H, W))  # blue-ish
        cv2.imwrite(str(root / "image_0" / f"{n:06d}.png"), np.full((H, W), 77, np.uint8))
        if colour:
            cv2.imwrite(str(root / "image_2" / f"{n:06d}.png"), bgr)
    cv2.imwrite(str(root / "image_1" / "000000.png"), np.full((H, W), 66, np.uint8))
    if colour:
        cv2.imwrite(str(root / "image_3" / "000000.png"), np.full((H, W, 3), (10, 20, 30), np.uint8))
    # frame 1: rotated 90 deg about y and moved 1 m forward
    (root / "poses.txt").write_text("1 0 0 0 0 1 0 0 0 0 1 0\n0 0 1 0 0 1 0 0 -1 0 0 1\n")
    (root / "times.txt").write_text("0.0\n0.1\n")
    if calib:
        (root / "calib.txt").write_text("".join(f"{k}: {v}\n" for k, v in CALIB.items()) + "Tr: 1 0 0 0\n")
    return root


def _offset(p_text: str) -> np.ndarray:
    p = np.asarray([float(v) for v in p_text.split()]).reshape(3, 4)
    return np.linalg.solve(p[:, :3], p[:, 3])


def test_colour_frames_calibration_and_camera_poses(tmp_path):
    src = _kitti_folder(tmp_path / "src")
    report = import_kitti(src, tmp_path / "ds")
    folder = DatasetFolder(tmp_path / "ds")
    rgb = folder.rgb(0)
    assert rgb.shape == (H, W, 3) and (rgb[..., 2] == 200).all() and (rgb[..., 1] == 100).all()  # BGR -> RGB
    np.testing.assert_array_equal(folder.right(0)[0, 0], [30, 20, 10])
    assert report.right_frames == 1 and "colour cameras 2/3" in report.summary()
    intr = folder.intrinsics
    assert (intr.fx, intr.fy, intr.cx, intr.cy) == (710.0, 710.0, 41.0, 11.0)  # P2, not P0
    t2, t3 = _offset(CALIB["P2"]), _offset(CALIB["P3"])
    assert folder.baseline_m == pytest.approx(t2[0] - t3[0], rel=1e-9)
    assert folder.baseline_m == pytest.approx((42.6 + 340.8) / 710, abs=2e-3)
    poses = [folder.poses[s] for s in sorted(folder.poses)]
    T_w_cam0 = se3(np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]), np.array([0.0, 0, 1]))
    np.testing.assert_allclose(poses[1], T_w_cam0 @ se3(np.eye(3), -t2), atol=1e-6)  # camera 2, not 0
    np.testing.assert_allclose(poses[0][:3, 3], -t2, atol=1e-6)


def test_grayscale_without_calib_uses_camera_0_and_sequence_00(tmp_path):
    src = _kitti_folder(tmp_path / "src", colour=False, calib=False)
    report = import_kitti(src, tmp_path / "ds")
    folder = DatasetFolder(tmp_path / "ds")
    assert (folder.rgb(0) == 77).all() and "grayscale cameras 0/1" in report.summary()
    assert folder.intrinsics.fx == KITTI_SEQ00_CALIB["P0"][0] and "sequence 00" in report.intrinsics_source
    assert folder.baseline_m == pytest.approx(386.1448 / 718.856, rel=1e-9)
    np.testing.assert_allclose(folder.poses[min(folder.poses)], np.eye(4), atol=1e-9)


def test_cli_takes_the_baseline_from_calibration_and_bad_calib_is_named(tmp_path):
    src = _kitti_folder(tmp_path / "src")
    parser = argparse.ArgumentParser()
    child = cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["import", str(src), "--format", "kitti", "--out", str(tmp_path / "ds")])
    assert cli.run(args) == 0
    assert DatasetFolder(tmp_path / "ds").baseline_m == pytest.approx(_offset(CALIB["P2"])[0] - _offset(CALIB["P3"])[0])
    (src / "calib.txt").write_text("P0: 1 2 3\n")
    with pytest.raises(InputError, match="calib.txt:1"):
        import_kitti(src, tmp_path / "bad")
    assert child is not None
