"""synth -> rosbag2 (MCAP) -> extract reproduces images, depth, intrinsics, poses and stamps."""

from __future__ import annotations

import numpy as np

from training.data import folder_format as ff
from mono_depth_ros.bags.reader import open_bag
from training.data.extract import extract_bag
from mono_depth_ros.synth import SynthConfig, SyntheticSequence


def test_bag_holds_the_documented_topics(synth_bag):
    bag, _ = synth_bag
    with open_bag(bag) as source:
        counts = {t: i.count for t, i in source.topics.items()}
    assert counts == {"/camera/image_raw": 6, "/camera/camera_info": 6, "/camera/depth/image": 6,
                      "/camera/right/image_raw": 6, "/camera/right/camera_info": 6, "/tf": 6, "/tf_static": 1}


def test_roundtrip_images_and_depth(synth_dataset):
    out, seq, report = synth_dataset
    assert (report.frames, report.written, dict(report.errors), sum(report.unmatched.values())) == (6, 6, {}, 0)
    for rec in ff.read_manifest(out / "manifest.csv"):
        frame = seq.frame(rec.index)
        assert rec.stamp_ns == seq.stamp_ns(rec.index) == 1_700_000_000_000_000_000 + rec.index * 100_000_000
        np.testing.assert_array_equal(ff.read_rgb(out / rec.rgb), frame.rgb)
        np.testing.assert_array_equal(ff.read_rgb(out / rec.right), frame.right_rgb)
        depth = ff.read_depth(out / rec.depth)
        representable = np.isfinite(frame.depth_m) & (frame.depth_m <= ff.MAX_DEPTH_PNG_M)
        assert representable.mean() > 0.5
        assert np.abs(depth[representable] - frame.depth_m[representable]).max() <= 0.0005 + 1e-6
        assert np.isnan(depth[~representable]).all()


def test_roundtrip_intrinsics_and_poses(synth_dataset):
    out, seq, _ = synth_dataset
    intr, baseline = ff.read_intrinsics(out / "intrinsics.yaml")
    cam = seq.camera
    assert (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy) == (cam.width, cam.height, cam.fx,
                                                                          cam.fy, cam.cx, cam.cy)
    assert abs(baseline - seq.config.baseline_m) < 1e-12
    poses = ff.read_poses_tum(out / "poses_tum.txt")
    assert sorted(poses) == [seq.stamp_ns(i) for i in range(6)]
    for i in range(6):
        np.testing.assert_allclose(poses[seq.stamp_ns(i)], seq.frame(i).T_odom_optical, atol=2e-9)
    # the optical frame looks along odom +x at the start (REP 103): z_optical = x_body
    np.testing.assert_allclose(poses[seq.stamp_ns(0)][:3, 2], seq.frame(0).T_odom_camera_link[:3, 0], atol=1e-8)


def test_splits_are_contiguous_and_cover_all(synth_dataset):
    out, _, _ = synth_dataset
    splits = {name: ff.read_split(out, name) for name in ff.SPLITS}
    assert sorted(sum(splits.values(), [])) == list(range(6))
    assert ff.contiguous_splits(list(range(100)))["val"] == list(range(40, 50))
    assert ff.contiguous_splits(list(range(100)))["test"] == list(range(90, 100))


def test_rerun_resumes_without_rewriting(synth_bag, synth_dataset, tmp_path):
    bag, _ = synth_bag
    out = tmp_path / "ds"
    first = extract_bag(bag, out, depth_format="npy")
    second = extract_bag(bag, out, depth_format="npy")
    assert (first.written, second.written, second.skipped_existing) == (6, 0, 6)
    assert len(ff.read_manifest(out / "manifest.csv")) == 6
    depth = np.load(out / "depth" / "000002.npy")
    assert depth.dtype == np.float32 and depth.shape == (72, 96)


def test_renderer_is_deterministic_and_depth_is_exact():
    config = SynthConfig(frames=3, seed=11, size_wh=(40, 30), scene="indoor", moving_objects=2)
    a, b = SyntheticSequence(config).frame(2), SyntheticSequence(config).frame(2)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    seq = SyntheticSequence(SynthConfig(frames=3, seed=11, size_wh=(40, 30), scene="indoor"))
    # the room's floor is the plane z = 0: check the depth of one floor pixel analytically
    frame = seq.frame(0)
    T = frame.T_odom_optical
    v, u = 29, 20
    ray = T[:3, :3] @ np.array([(u - seq.camera.cx) / seq.camera.fx, (v - seq.camera.cy) / seq.camera.fy, 1.0])
    depth_floor = -T[2, 3] / ray[2]
    assert abs(frame.depth_m[v, u] - depth_floor) < 1e-5 * depth_floor


# --- realism options (layout, textures, camera, look, distortion) ---------------------------------

REAL = dict(layout="rich", textures="photos", camera="real", look="real")


def _floor_depth(seq, frame, v, u):
    """Analytic optical z of the floor plane z = 0 seen through pixel (v, u) of a pinhole camera."""
    cam, T = seq.camera, frame.T_odom_optical
    ray = T[:3, :3] @ np.array([(u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy, 1.0])
    return -T[2, 3] / ray[2]


def test_real_camera_rig_sets_aspect_fov_height_and_pitch():
    seq = SyntheticSequence(SynthConfig(frames=2, seed=4, size_wh=(40, 30), scene="street", **REAL))
    rig, cam = seq.rig, seq.camera
    assert cam.height == 30 and cam.width == 2 * round(30 * rig.aspect / 2)
    assert 80.0 <= rig.hfov_deg <= 90.0 if rig.aspect > 2.5 else 60.0 <= rig.hfov_deg <= 85.0
    assert abs(2 * np.degrees(np.arctan(cam.width / (2 * cam.fx))) - rig.hfov_deg) < 1e-9
    assert 1.3 <= rig.height_m <= 1.75
    # seed 4 street: pitch is within +-3 deg and the body's x axis dips by exactly that at t = 0
    T = seq.trajectory.pose(0.0)
    assert abs(rig.pitch_rad) <= np.radians(3.0)
    assert abs(np.arcsin(-T[2, 0]) - rig.pitch_rad) < 1e-3 and abs(T[2, 3] - rig.height_m) < 1e-12
    rigs = [SyntheticSequence(SynthConfig(frames=1, seed=s, size_wh=(16, 12), scene="indoor", camera="real")).rig
            for s in range(12)]
    heights = [rig.height_m for rig in rigs]
    assert 0.3 <= min(heights) < 0.8 and 1.2 < max(heights) <= 1.7  # robots and hand-held
    yaws = np.degrees(np.abs([rig.yaw_rad for rig in rigs]))
    assert (yaws == 0).any() and ((yaws >= 15) & (yaws <= 65)).any() and not ((yaws > 0) & (yaws < 15)).any()


def test_rich_layouts_have_exact_floor_depth_sky_outdoors_and_closed_rooms():
    indoor = SyntheticSequence(SynthConfig(frames=2, seed=7, size_wh=(48, 36), scene="indoor", **REAL))
    frame = indoor.frame(0)
    assert np.isfinite(frame.depth_m).all() and frame.depth_m.max() < indoor.scene.length_m + 12.0
    v, u = indoor.camera.height - 1, indoor.camera.width // 2
    floor = _floor_depth(indoor, frame, v, u)
    assert frame.depth_m[v, u] <= floor * (1 + 1e-5)  # the floor, or furniture in front of it
    street = SyntheticSequence(SynthConfig(frames=2, seed=8, size_wh=(48, 36), scene="street", **REAL))
    depth = street.frame(0).depth_m
    assert 0.05 < np.isinf(depth[: depth.shape[0] // 3]).mean()  # sky above the horizon
    assert np.isfinite(depth[-3:]).all()  # road at the bottom


def test_realism_is_seeded_and_changes_the_image():
    config = SynthConfig(frames=3, seed=5, size_wh=(40, 30), scene="street", moving_objects=2, **REAL)
    a, b = SyntheticSequence(config).frame(2), SyntheticSequence(config).frame(2)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.depth_m, b.depth_m)
    other = SyntheticSequence(SynthConfig(frames=3, seed=6, size_wh=(40, 30), scene="street", **REAL)).frame(2)
    assert a.rgb.shape != other.rgb.shape or np.abs(a.rgb.astype(int) - other.rgb).mean() > 5


def test_moving_objects_are_car_or_person_sized():
    seq = SyntheticSequence(SynthConfig(frames=2, seed=9, size_wh=(16, 12), scene="street", moving_objects=4,
                                        layout="rich"))
    moving = [box for box in seq.scene.boxes if box.is_moving]
    assert len(moving) >= 4
    for box in moving:
        size = sorted(2 * box.half_m)
        person = abs(size[2] - 1.7) < 1e-9 and size[0] < 0.6
        car = 3.7 < size[2] < 5.3 or 0.5 < size[0] < 0.9  # body or cabin
        assert person or car, box.half_m
    assert not np.allclose(moving[0].center_at(0.0), moving[0].center_at(1.0))


def test_look_vignetting_grayscale_and_noise():
    from mono_depth_ros.synth.realism import Look, LookApplier

    grey = np.full((31, 41, 3), 128, np.uint8)
    out = LookApplier(Look(vignetting=0.4), 41, 31, seed=0)(grey, 0).astype(float)
    assert out[15, 20, 0] == 128 and abs(out[0, 0, 0] - 128 * 0.6) <= 1.0  # corner loses 40 %
    colour = np.zeros((31, 41, 3), np.uint8)
    colour[..., 0] = 200
    mono = LookApplier(Look(grayscale=True, noise_std=3.0), 41, 31, seed=1)
    frame = mono(colour, 0)
    assert (frame[..., 0] == frame[..., 1]).all() and (frame[..., 1] == frame[..., 2]).all()
    assert abs(frame.mean() - 0.299 * 200) < 1.5 and 1.5 < frame.std() < 5.0
    np.testing.assert_array_equal(frame, mono(colour, 0))
    assert (frame != mono(colour, 1)).any()  # fresh noise per frame


def test_distortion_rays_reproject_through_camera_info_d(tmp_path):
    import cv2

    from mono_depth_ros.synth import write_synthetic_bag

    config = dict(frames=1, seed=2, size_wh=(41, 31), scene="indoor")
    pinhole = SyntheticSequence(SynthConfig(**config)).frame(0)
    seq = SyntheticSequence(SynthConfig(distortion_k1=-0.28, **config))
    frame, cam = seq.frame(0), seq.camera
    assert cam.d == (-0.28, 0.07, 0.0, 0.0, 0.0)
    assert frame.depth_m[15, 20] == pinhole.depth_m[15, 20]  # the principal point sees straight ahead
    corners = frame.depth_m[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert not np.allclose(corners, pinhole.depth_m[[0, 0, -1, -1], [0, -1, 0, -1]])
    # back-project every pixel with its depth, project with OpenCV and D: the same pixel comes back
    rays = seq.raycaster._rays_optical.reshape(31, 41, 3)
    points = (rays * frame.depth_m[..., None]).reshape(-1, 3)
    pixels, _ = cv2.projectPoints(points, np.zeros(3), np.zeros(3), cam.k, np.asarray(cam.d))
    u, v = np.meshgrid(np.arange(41), np.arange(31))
    np.testing.assert_allclose(pixels.reshape(31, 41, 2), np.stack([u, v], -1), atol=1e-3)
    # the bag's camera_info carries D: kept raw by extraction with rectify="off", rectified by default
    write_synthetic_bag(tmp_path / "bag", distortion_k1=-0.28, **config)
    extract_bag(tmp_path / "bag", tmp_path / "raw", rectify="off")
    intr, _ = ff.read_intrinsics(tmp_path / "raw" / "intrinsics.yaml")
    assert intr.distortion_model == "plumb_bob" and intr.d == (-0.28, 0.07, 0.0, 0.0, 0.0)
    extract_bag(tmp_path / "bag", tmp_path / "rect")
    assert not any(ff.read_intrinsics(tmp_path / "rect" / "intrinsics.yaml")[0].d)


def test_bad_realism_options_name_the_field():
    import pytest

    with pytest.raises(ValueError, match="layout='fancy'"):
        SynthConfig(layout="fancy").validate()
    with pytest.raises(ValueError, match="distortion_k1=0.9"):
        SynthConfig(distortion_k1=0.9).validate()
