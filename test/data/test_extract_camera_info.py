"""Extraction and camera_info as real recordings have it: ROS 1 stereo, an all-zero CameraInfo
first, image_transport names, recalibration and resolution change mid-bag, lens distortion,
an unrectified stereo pair. Every bag is written by the rosbags library."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import yaml

from training.data import folder_format as ff
from training.data.datasets import Li2020Dataset
from training.data.extract import extract_bag

from _extract_bags import STORE1, T0, compressed, image, info, k_matrix, textured, write_bag, write_bag1

K = k_matrix(60.0, 60.0, 32.0, 24.0)
STEP = 100_000_000


def test_ros1_stereo_bag_with_right_camera_info(tmp_path):
    """Issue 12.1: ROS 1 CameraInfo spells P in capitals; the extraction finishes and writes manifest.csv."""
    p_right = np.hstack([K, [[-60.0 * 0.12], [0], [0]]])
    events = []
    for i in range(3):
        t = T0 + i * STEP
        events += [("/stereo/left/image_raw", image(textured(24, 32, i), "rgb8", t, "left", STORE1), t),
                   ("/stereo/right/image_raw", image(textured(24, 32, 9 + i), "rgb8", t, "right", STORE1), t),
                   ("/stereo/left/camera_info", info(32, 24, K, (0,) * 5, t, "left", store=STORE1), t),
                   ("/stereo/right/camera_info", info(32, 24, K, (0,) * 5, t, "right", p=p_right, store=STORE1), t)]
    report = extract_bag(write_bag1(tmp_path / "s.bag", events), tmp_path / "ds")
    assert report.written == 3 and report.selection.right == "/stereo/right/image_raw"
    assert len(ff.read_manifest(tmp_path / "ds" / "manifest.csv")) == 3
    intr, baseline_m = ff.read_intrinsics(tmp_path / "ds" / "intrinsics.yaml")
    assert baseline_m == pytest.approx(0.12) and intr.fx == 60.0
    np.testing.assert_array_equal(ff.read_rgb(tmp_path / "ds" / "right" / "000001.png"), textured(24, 32, 10))


def test_zero_camera_info_skipped_recalibration_and_resolution_change_per_frame(tmp_path):
    """Issue 12.2 + per-frame intrinsics: the calibration in force at each frame's stamp is used."""
    k2 = k_matrix(70.0, 70.0, 31.0, 23.0)
    k3 = k_matrix(30.0, 30.0, 16.0, 12.0)
    events = [("/cam/camera_info", info(32, 24, np.zeros(9)), T0 - 1),  # uncalibrated driver
              ("/cam/camera_info", info(32, 24, K, stamp_ns=T0), T0),
              ("/cam/camera_info", info(32, 24, k2, stamp_ns=T0 + 2 * STEP), T0 + 2 * STEP),
              ("/cam/camera_info", info(16, 12, k3, stamp_ns=T0 + 4 * STEP), T0 + 4 * STEP)]
    for i in range(6):
        size = (24, 32) if i < 4 else (12, 16)
        events.append(("/cam/image_raw", image(textured(*size, i), "rgb8", T0 + i * STEP), T0 + i * STEP + 1))
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds")
    assert report.written == 6
    assert [r.camera for r in ff.read_manifest(tmp_path / "ds" / "manifest.csv")] == [0, 0, 1, 1, 2, 2]
    cams = ff.read_cameras(tmp_path / "ds" / "intrinsics.yaml")
    assert [(c.width, c.fx, c.cx) for c in cams] == [(32, 60.0, 32.0), (32, 70.0, 31.0), (16, 30.0, 16.0)]
    assert ff.read_intrinsics(tmp_path / "ds" / "intrinsics.yaml")[0].fx == 60.0  # top level = camera 0
    skipped = [reason for reason in report.dropped if "camera_info on /cam/camera_info skipped" in reason]
    assert len(skipped) == 1 and "k[0] (fx)" in skipped[0] and "skipped" in report.summary()
    # training sees each frame's calibration; runs of frames never cross a recalibration
    runs = Li2020Dataset(tmp_path / "ds", "all", (12, 16), length=2, resize_mode="stretch")
    assert runs.starts == [0, 2, 4]
    assert [float(runs[i].intrinsics[0, 0]) for i in range(3)] == [30.0, 35.0, 30.0]


def test_runs_never_pair_two_cameras_that_share_a_calibration(tmp_path):
    """Two cameras of one model on one topic (a mux, a driver renamed its frame): frames 3-5 are
    cam_b's, with the same camera_info as cam_a's. Frame 2 -> 3 was a li2020 training pair (a
    'motion' between two cameras); each frame_id is its own camera now, an empty one continues the
    previous frame's."""
    frames = ["cam_a"] * 3 + ["cam_b", "", "cam_b"]
    events = [("/cam/camera_info", info(32, 24, K, stamp_ns=T0, frame="cam_a"), T0)]
    for i, frame in enumerate(frames):
        events.append(("/cam/image_raw", image(textured(24, 32, i), "rgb8", T0 + i * STEP, frame), T0 + i * STEP + 1))
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds")
    assert report.written == 6
    assert [r.camera for r in ff.read_manifest(tmp_path / "ds" / "manifest.csv")] == [0, 0, 0, 1, 1, 1]
    assert [c.fx for c in ff.read_cameras(tmp_path / "ds" / "intrinsics.yaml")] == [60.0, 60.0]
    assert Li2020Dataset(tmp_path / "ds", "all", (24, 32), length=2).starts == [0, 1, 3, 4]
    # run again on the finished folder: every frame is kept, with its camera
    assert extract_bag(tmp_path / "bag", tmp_path / "ds").skipped_existing == 6
    assert [r.camera for r in ff.read_manifest(tmp_path / "ds" / "manifest.csv")] == [0, 0, 0, 1, 1, 1]
    # --camera-frame says it is one camera (a renamed frame): one calibration, runs across the change
    extract_bag(tmp_path / "bag", tmp_path / "one", camera_frame="cam_a")
    assert [r.camera for r in ff.read_manifest(tmp_path / "one" / "manifest.csv")] == [0] * 6
    assert Li2020Dataset(tmp_path / "one", "all", (24, 32), length=2).starts == [0, 1, 2, 3, 4]


def test_runs_never_pair_two_uncalibrated_cameras(tmp_path):
    """The same two cameras without any camera_info (intrinsics unknown, to be learned): camera -1
    for cam_a's frames, -2 for cam_b's; before, every frame was -1 and frame 2 -> 3 was a pair."""
    frames = ["cam_a"] * 3 + ["cam_b", "", "cam_b"]
    events = [("/cam/image_raw", image(textured(24, 32, i), "rgb8", T0 + i * STEP, frame), T0 + i * STEP + 1)
              for i, frame in enumerate(frames)]
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds")
    assert report.written == 6
    assert [r.camera for r in ff.read_manifest(tmp_path / "ds" / "manifest.csv")] == [-1, -1, -1, -2, -2, -2]
    assert Li2020Dataset(tmp_path / "ds", "all", (24, 32), length=2).starts == [0, 1, 3, 4]
    assert extract_bag(tmp_path / "bag", tmp_path / "ds").skipped_existing == 6  # resumed: the same cameras
    assert [r.camera for r in ff.read_manifest(tmp_path / "ds" / "manifest.csv")] == [-1, -1, -1, -2, -2, -2]
    extract_bag(tmp_path / "bag", tmp_path / "one", camera_frame="cam_a")
    assert Li2020Dataset(tmp_path / "one", "all", (24, 32), length=2).starts == [0, 1, 2, 3, 4]


def test_image_transport_compressed_topic_finds_its_camera_info(tmp_path):
    """Issue 12.3: /ns/image_raw/compressed beside /ns/camera_info."""
    events = [("/ns/camera_info", info(32, 24, K), T0)]
    for i in range(2):
        ok, png = cv2.imencode(".png", textured(24, 32, i)[:, :, ::-1])
        msg = compressed(png.tobytes(), "rgb8; png compressed bgr8", T0 + i * STEP)
        events.append(("/ns/image_raw/compressed", msg, T0 + i * STEP))
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds")
    assert report.selection.camera_info == "/ns/camera_info"
    assert report.intrinsics_source.startswith("camera_info /ns/camera_info")
    assert ff.read_intrinsics(tmp_path / "ds" / "intrinsics.yaml")[0].cx == 32.0
    np.testing.assert_array_equal(ff.read_rgb(tmp_path / "ds" / "rgb" / "000001.png"), textured(24, 32, 1))


def _dot_image(height: int, width: int, uv: np.ndarray) -> np.ndarray:
    img = np.zeros((height, width, 3), np.uint8)
    u, v = np.rint(uv).astype(int)
    img[v - 1:v + 2, u - 1:u + 2] = 255
    return img


def _centroid(rgb: np.ndarray) -> np.ndarray:
    weight = rgb[:, :, 0].astype(float)
    ys, xs = np.mgrid[: rgb.shape[0], : rgb.shape[1]]
    return np.array([(xs * weight).sum(), (ys * weight).sum()]) / weight.sum()


def test_distorted_images_are_rectified_and_raw_d_recorded(tmp_path):
    d = (-0.5, 0.1, 0.0, 0.0, 0.0)
    target = np.array([58.0, 44.0])  # where the dot lands in the pinhole (rectified) image
    ray = np.array([[(target[0] - 32) / 60, (target[1] - 24) / 60, 1.0]])
    raw_uv = cv2.projectPoints(ray, np.zeros(3), np.zeros(3), K, np.array(d))[0].reshape(2)
    assert np.linalg.norm(raw_uv - target) > 3  # the lens moves the dot by several pixels
    raw = _dot_image(48, 64, raw_uv)
    events = [("/cam/camera_info", info(64, 48, K, d), T0), ("/cam/image_raw", image(raw, "rgb8", T0), T0)]
    bag = write_bag(tmp_path / "bag", events)
    report = extract_bag(bag, tmp_path / "ds")
    assert np.linalg.norm(_centroid(ff.read_rgb(tmp_path / "ds" / "rgb" / "000000.png")) - target) < 0.7
    written = yaml.safe_load((tmp_path / "ds" / "intrinsics.yaml").read_text())
    assert written["d"] == [0.0] * 5 and written["raw"]["d"] == list(d) and written["fx"] == 60.0
    assert "rectified (plumb_bob" in report.intrinsics_source
    extract_bag(bag, tmp_path / "off", rectify="off")
    assert np.linalg.norm(_centroid(ff.read_rgb(tmp_path / "off" / "rgb" / "000000.png")) - raw_uv) < 0.7
    assert ff.read_intrinsics(tmp_path / "off" / "intrinsics.yaml")[0].d == d


def test_image_rect_topic_is_not_rectified_again(tmp_path):
    """image_proc's image_rect comes with the driver's raw camera_info (D, K, P): ``auto`` writes its
    pixels as recorded with P's intrinsics and no distortion (as the nodes take it); ``on`` rectifies
    it anyway (the image changes)."""
    d = (-0.5, 0.1, 0.0, 0.0, 0.0)
    p = (62.0, 0.0, 33.0, 0.0, 0.0, 61.0, 25.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    uv = np.array([58.0, 44.0])
    rect = _dot_image(48, 64, uv)
    events = [("/cam/camera_info", info(64, 48, K, d, p=p), T0), ("/cam/image_rect", image(rect, "rgb8", T0), T0)]
    bag = write_bag(tmp_path / "bag", events)
    report = extract_bag(bag, tmp_path / "ds")
    assert np.linalg.norm(_centroid(ff.read_rgb(tmp_path / "ds" / "rgb" / "000000.png")) - uv) < 0.1
    written = yaml.safe_load((tmp_path / "ds" / "intrinsics.yaml").read_text())
    assert written["d"] == [0.0] * 5 and (written["fx"], written["fy"], written["cx"], written["cy"]) == (62, 61, 33, 25)
    assert "already rectified" in report.intrinsics_source
    extract_bag(bag, tmp_path / "on", rectify="on")
    assert np.abs(ff.read_rgb(tmp_path / "on" / "rgb" / "000000.png").astype(int) - rect).sum() > 255 * 9


def test_rectify_on_drops_frames_without_camera_info(tmp_path):
    events = [("/cam/camera_info", info(32, 24, K), T0)]
    events += [("/cam/image_raw", image(textured(24 + 2 * i, 32, i), "rgb8", T0 + i * STEP), T0 + i * STEP)
               for i in range(2)]  # the second frame's size has no camera_info
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds", rectify="on")
    assert report.written == 1 and report.dropped == {"no camera_info for this frame (--rectify on)": 1}


def test_unrectified_stereo_pair_is_rectified_with_the_pairs_calibration(tmp_path):
    size, baseline = (64, 48), 0.1
    rot = cv2.Rodrigues(np.deg2rad([2.5, 2.0, 1.0]))[0]  # right vs left camera
    trans = np.array([-baseline, 0.0, 0.0])
    r1, r2, p1, p2, *_ = cv2.stereoRectify(K, np.zeros(5), K, np.zeros(5), size, rot, trans.reshape(3, 1), alpha=0)
    point = np.array([0.05, 0.03, 2.0])  # in the left camera frame
    uv_left = cv2.projectPoints(point[None], np.zeros(3), np.zeros(3), K, None)[0].reshape(2)
    uv_right = cv2.projectPoints((rot @ point + trans)[None], np.zeros(3), np.zeros(3), K, None)[0].reshape(2)
    assert abs(uv_left[1] - uv_right[1]) > 1.5  # raw rows differ: the pair is not rectified
    events = [("/st/left/camera_info", info(*size, K, (0,) * 5, T0, "left", r=r1, p=p1), T0),
              ("/st/right/camera_info", info(*size, K, (0,) * 5, T0, "right", r=r2, p=p2), T0),
              ("/st/left/image_raw", image(_dot_image(48, 64, uv_left), "rgb8", T0, "left"), T0),
              ("/st/right/image_raw", image(_dot_image(48, 64, uv_right), "rgb8", T0, "right"), T0)]
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds")
    left = _centroid(ff.read_rgb(tmp_path / "ds" / "rgb" / "000000.png"))
    right = _centroid(ff.read_rgb(tmp_path / "ds" / "right" / "000000.png"))
    intr, baseline_m = ff.read_intrinsics(tmp_path / "ds" / "intrinsics.yaml")
    assert baseline_m == pytest.approx(baseline, rel=1e-6) and intr.fx == pytest.approx(p1[0, 0])
    assert abs(left[1] - right[1]) < 0.5  # rows aligned after rectification
    depth_rect = (r1 @ point)[2]
    assert left[0] - right[0] == pytest.approx(p1[0, 0] * baseline / depth_rect, abs=0.5)
    assert "stereo-rectified" in report.intrinsics_source
