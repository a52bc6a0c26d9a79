"""Importers of real recordings (Kinect RGB-D, KITTI odometry) into the dataset folder format."""

from __future__ import annotations

import argparse

import cv2
import numpy as np
import pytest

from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.pointcloud import backproject_depth
from mono_depth_ros.core.transforms import quat_to_matrix
from training.cli import import_frames as cli
from training.data.datasets import DatasetFolder, Eigen2014Dataset, Li2020Dataset, Xian2018Dataset
from training.data.import_frames import import_kinect, import_kitti, parse_intrinsics
from training.data.stereo import stereo_relative_depth

KINECT, KITTI = "rgbd_kinect_5frames", "kitti_odometry00_6frames"


@pytest.fixture(scope="module")
def kinect(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("kinect") / "ds"
    return shared_data / KINECT, out, import_kinect(shared_data / KINECT, out)


@pytest.fixture(scope="module")
def kitti(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("kitti") / "ds"
    return shared_data / KITTI, out, import_kitti(shared_data / KITTI, out)


def _source_poses_kinect(src):
    rows = np.loadtxt(src / "pose.txt", ndmin=2)
    return [(row[:3], quat_to_matrix(row[3:])) for row in rows]


def test_kinect_frames_depth_and_intrinsics(kinect):
    src, out, report = kinect
    folder = DatasetFolder(out)
    assert report.frames == len(folder.records) == 5
    assert folder.indices("test") == [0, 1, 2, 3, 4] and folder.indices("train") == folder.indices("val") == []
    for index in range(5):
        rgb = folder.rgb(index)
        assert rgb.shape == (480, 640, 3)
        np.testing.assert_array_equal(rgb, cv2.imread(str(src / "color" / f"{index + 1}.png"))[:, :, ::-1])
        mm = cv2.imread(str(src / "depth" / f"{index + 1}.pgm"), cv2.IMREAD_UNCHANGED)
        expected = mm.astype(np.float32) / np.float32(1000.0)
        expected[mm == 0] = np.nan
        np.testing.assert_array_equal(folder.depth_m(index), expected)  # NaN exactly where the pgm has 0
        assert 0.05 < np.isnan(expected).mean() < 0.6  # real Kinect holes, not an empty/full mask
    intr = folder.intrinsics
    assert (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy) == (640, 480, 518.0, 519.0, 325.5, 253.5)
    assert folder.baseline_m is None


def test_kinect_poses_round_trip_and_synthesised_stamps(kinect):
    src, out, _ = kinect
    folder = DatasetFolder(out)
    assert [r.stamp_ns for r in folder.records] == [0, 33_333_333, 66_666_667, 100_000_000, 133_333_333]
    for index, (t_src, rot_src) in enumerate(_source_poses_kinect(src)):
        pose = folder.pose(index)
        np.testing.assert_allclose(pose[:3, 3], t_src, rtol=0, atol=1e-9)
        np.testing.assert_allclose(pose[:3, :3], rot_src, rtol=0, atol=1e-8)
        np.testing.assert_allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-8)


def _reprojection_residual_m(folder, a, b, T_b_from_a):
    """Median |z - depth_b| of frame a's depth points moved by T_b_from_a and projected into b."""
    xyz = backproject_depth(folder.depth_m(a), folder.intrinsics).reshape(-1, 3)
    xyz = xyz[np.isfinite(xyz).all(axis=1)] @ T_b_from_a[:3, :3].T + T_b_from_a[:3, 3]
    uvw = xyz @ folder.intrinsics.k.T
    u, v = (np.rint(uvw[:, i] / uvw[:, 2]).astype(int) for i in (0, 1))
    inside = (xyz[:, 2] > 0) & (u >= 0) & (u < folder.intrinsics.width) & (v >= 0) & (v < folder.intrinsics.height)
    depth_b = folder.depth_m(b)[v[inside], u[inside]]
    seen = np.isfinite(depth_b)
    return float(np.median(np.abs(xyz[inside, 2][seen] - depth_b[seen])))


def test_kinect_depth_intrinsics_and_poses_agree_geometrically(kinect):
    """Depth of frame a, moved by the imported camera-to-world poses, lands on frame b's depth."""
    folder = DatasetFolder(kinect[1])
    for a, b in ((1, 2), (2, 3), (3, 4)):
        T_b_from_a = np.linalg.inv(folder.pose(b)) @ folder.pose(a)
        residual_m = _reprojection_residual_m(folder, a, b, T_b_from_a)
        assert residual_m < 0.08  # measured 0.048, 0.047, 0.027 m
        assert residual_m < 0.25 * _reprojection_residual_m(folder, a, b, np.eye(4))  # identity: 0.21..0.64 m


def test_kitti_frames_stereo_poses_and_stamps(kitti):
    src, out, report = kitti
    folder = DatasetFolder(out)
    assert report.frames == 6 and report.right_frames == 1
    assert folder.indices("test") == list(range(6)) and folder.indices("train") == []
    for index in range(6):
        rgb = folder.rgb(index)
        gray = cv2.imread(str(src / "image_0" / f"{index:06d}.png"), cv2.IMREAD_GRAYSCALE)
        assert rgb.shape == (376, 1241, 3)
        assert all(np.array_equal(rgb[:, :, c], gray) for c in range(3))
        assert folder.depth_m(index) is None
    right = cv2.imread(str(src / "image_1" / "000000.png"), cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(folder.right(0)[:, :, 1], right)
    assert all(folder.right(i) is None for i in range(1, 6))
    intr = folder.intrinsics
    assert (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy) == (1241, 376, 718.856, 718.856,
                                                                              607.1928, 185.2157)
    assert folder.baseline_m == pytest.approx(0.5372, abs=1e-4)  # 386.1448 / 718.856 of calib P1
    times_s = np.loadtxt(src / "times.txt")
    assert [r.stamp_ns for r in folder.records] == [round(t * 1e9) for t in times_s]
    source = np.loadtxt(src / "poses.txt").reshape(-1, 3, 4)
    for index in range(6):
        pose = folder.pose(index)
        np.testing.assert_allclose(pose[:3, 3], source[index, :, 3], rtol=0, atol=1e-9)
        np.testing.assert_allclose(pose[:3, :3], source[index, :, :3], rtol=0, atol=2e-6)  # 7-digit text
    steps = np.diff([folder.pose(i)[:3, 3] for i in range(6)], axis=0)
    assert np.all((steps[:, 2] > 0.84) & (steps[:, 2] < 0.88))  # forward (optical z), ~0.86 m/frame
    assert np.abs(steps[:, :2]).max() < 0.06


def test_datasets_load_imported_folders(kinect, kitti):
    _, kinect_out, _ = kinect
    _, kitti_out, _ = kitti
    eigen = Eigen2014Dataset(kinect_out, "test", (60, 80))
    sample = eigen[2]
    assert len(eigen) == 5 and sample.depth_m.shape == (1, 60, 80)
    depth = sample.depth_m[sample.valid]
    assert 0.3 < depth.min() and depth.max() < 10.0  # indoor Kinect range in metres
    assert len(Eigen2014Dataset(kitti_out, "all", (60, 80))) == 0  # KITTI import has no depth
    li = Li2020Dataset(kitti_out, "test", (47, 155), length=3)
    assert len(li) == 4
    frames = li[1]
    assert frames.pose_valid.all() and frames.intrinsics_known
    assert abs(frames.intrinsics[0, 0].item() - 718.856 * 155 / 1240) < 1e-3  # crop fit: 1240 of 1241 columns
    assert abs((frames.pose[2, 2, 3] - frames.pose[0, 2, 3]).item() - 2 * 0.86) < 0.05
    assert len(Li2020Dataset(kinect_out, "all", (48, 64), length=2)) == 4
    xian_depth = Xian2018Dataset(kinect_out, "test", (48, 64))[0]
    assert abs(xian_depth.target[xian_depth.valid].median().item() - 1.0) < 0.05


def test_xian_stereo_on_kitti_frame0_matches_flat_road(kitti):
    """Stereo path on the real pair: disparity of the road ahead ~ B * (v - cy) / camera height."""
    _, out, _ = kitti
    xian = Xian2018Dataset(out, "test", (94, 310), source="stereo")
    assert len(xian) == 1  # only frame 0 has a right image
    sample = xian[0]
    assert 0.3 < sample.valid.float().mean().item() < 0.9
    folder = DatasetFolder(out)
    disparity_px = stereo_relative_depth(folder.rgb(0), folder.right(0)).disparity_px
    for row in (340, 370):  # road in front of the car, columns 500..700
        expected_px = folder.baseline_m * (row - folder.intrinsics.cy) / 1.65  # KITTI camera height 1.65 m
        assert abs(np.nanmedian(disparity_px[row, 500:700]) / expected_px - 1.0) < 0.12


def _run_cli(argv):
    parser = argparse.ArgumentParser()
    child = cli.add_parser(parser.add_subparsers())
    child.set_defaults(_run=cli.run)
    args = parser.parse_args(argv)
    return args._run(args)


def _tiny_kinect(root, frames=3, size_wh=(8, 6)):
    """A synthetic Kinect-layout folder: depth mm = 1000 + 100 * frame, one invalid pixel."""
    (root / "color").mkdir(parents=True)
    (root / "depth").mkdir()
    for n in range(1, frames + 1):
        cv2.imwrite(str(root / "color" / f"{n}.png"), np.full((size_wh[1], size_wh[0], 3), 10 * n, np.uint8))
        mm = np.full((size_wh[1], size_wh[0]), 1000 + 100 * n, np.uint16)
        mm[0, 0] = 0
        cv2.imwrite(str(root / "depth" / f"{n}.pgm"), mm)
    (root / "pose.txt").write_text("".join(f"{n} 0 0 0 0 0 1\n" for n in range(frames)))
    return root


def test_cli_intrinsics_override_and_tiny_kinect(tmp_path):
    src = _tiny_kinect(tmp_path / "src")
    assert _run_cli(["import", str(src), "--format", "kinect", "--out", str(tmp_path / "ds"),
                     "--intrinsics", "10,11,4,3", "--fps", "10"]) == 0
    folder = DatasetFolder(tmp_path / "ds")
    assert (folder.intrinsics.fx, folder.intrinsics.fy, folder.intrinsics.cx, folder.intrinsics.cy) == (10, 11, 4, 3)
    assert [r.stamp_ns for r in folder.records] == [0, 100_000_000, 200_000_000]
    depth = folder.depth_m(2)
    assert np.isnan(depth[0, 0]) and np.all(depth.flat[1:] == np.float32(1.3))
    np.testing.assert_allclose(folder.pose(2)[:3, 3], [2, 0, 0])
    assert _run_cli(["import", str(src), "--format", "kitti", "--out", str(tmp_path / "bad")]) == 2


def test_clear_errors_name_the_file(tmp_path):
    src = _tiny_kinect(tmp_path / "src")
    (src / "color" / "3.png").unlink()
    (src / "depth" / "3.pgm").unlink()
    with pytest.raises(InputError, match="pose.txt.*3 poses for 2 frames"):
        import_kinect(src, tmp_path / "a")
    (src / "depth" / "2.pgm").unlink()
    with pytest.raises(InputError, match="depth"):
        import_kinect(src, tmp_path / "b")
    with pytest.raises(InputError, match="color"):
        import_kinect(tmp_path / "nowhere", tmp_path / "c")
    kitti = tmp_path / "kitti"
    (kitti / "image_0").mkdir(parents=True)
    cv2.imwrite(str(kitti / "image_0" / "000000.png"), np.zeros((6, 8), np.uint8))
    cv2.imwrite(str(kitti / "image_0" / "000001.png"), np.zeros((6, 8), np.uint8))
    (kitti / "poses.txt").write_text("1 0 0 0 0 1 0 0 0 0 1 0\n")
    (kitti / "times.txt").write_text("0.0\n0.1\n")
    with pytest.raises(InputError, match="poses.txt.*1 entries but frames go up to number 1"):
        import_kitti(kitti, tmp_path / "d")
    (kitti / "poses.txt").write_text("1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 0 0 1 0 0 0 0 1 x\n")
    with pytest.raises(InputError, match="poses.txt:2"):
        import_kitti(kitti, tmp_path / "e")
    with pytest.raises(InputError, match="intrinsics"):
        parse_intrinsics("1,2,3")
    with pytest.raises(InputError, match="fx"):
        import_kitti(kitti, tmp_path / "f", intrinsics="0,1,2,3")
