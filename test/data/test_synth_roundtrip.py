"""synth -> rosbag2 (MCAP) -> extract reproduces images, depth, intrinsics, poses and stamps."""

from __future__ import annotations

import numpy as np

from training.data import folder_format as ff
from training.data.bag_reader import open_bag
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
