"""Datasets over an extracted folder: shapes, units, augmentation, intrinsics scaling, collate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from training.data.augment import eigen_augment
from training.data.batches import DepthBatch, collate
from training.data.datasets import DatasetFolder, Eigen2014Dataset, Li2020Dataset, Xian2018Dataset


def test_eigen_dataset_matches_ground_truth_without_augmentation(synth_dataset):
    out, seq, _ = synth_dataset
    ds = Eigen2014Dataset(out, "all", (72, 96))
    sample = ds[1]
    gt = seq.frame(1).depth_m
    ok = sample.valid[0].numpy()
    assert sample.rgb.shape == (3, 72, 96) and sample.rgb.max() <= 1.0
    assert np.abs(sample.depth_m[0].numpy()[ok] - gt[ok]).max() <= 0.0006
    assert (sample.depth_m[0][~sample.valid[0]] == 0).all()


def test_eigen_augmentation_divides_depth_by_scale():
    rng = np.random.default_rng(0)
    rgb = np.full((60, 80, 3), 100, np.uint8)
    depth = np.full((60, 80), 6.0, np.float32)
    for _ in range(5):
        out_rgb, out_depth = eigen_augment(rgb, depth, (48, 64), rng)
        assert out_rgb.shape == (48, 64, 3) and out_depth.shape == (48, 64)
        values = np.unique(out_depth[np.isfinite(out_depth)])
        assert len(values) == 1 and 4.0 - 1e-5 <= values[0] <= 6.0 + 1e-5  # 6 / s, s in [1, 1.5]
        assert 80 <= out_rgb.mean() <= 120  # colour scaling in [0.8, 1.2]


def test_xian_targets_from_depth_and_stereo_agree_in_order(synth_dataset):
    out, _, _ = synth_dataset
    from_depth = Xian2018Dataset(out, "all", (72, 96), source="depth")[2]
    from_stereo = Xian2018Dataset(out, "all", (72, 96), source="stereo")[2]
    both = (from_depth.valid & from_stereo.valid)[0]
    assert both.float().mean() > 0.1  # tiny 96x72 pair: SGBM leaves the left border unmatched
    a, b = from_depth.target[0][both], from_stereo.target[0][both]
    assert torch.corrcoef(torch.stack([a.argsort().argsort().float(), b.argsort().argsort().float()]))[0, 1] > 0.8


def test_li2020_triplets_and_scaled_intrinsics(synth_dataset):
    out, seq, _ = synth_dataset
    ds = Li2020Dataset(out, "all", (36, 48), length=3)
    assert len(ds) == 4
    batch = collate([ds[0], ds[3]])
    assert batch.rgb.shape == (2, 3, 3, 36, 48)
    assert batch.intrinsics_known.all() and batch.pose_valid.all()
    assert abs(batch.intrinsics[0, 0, 0].item() - seq.camera.fx / 2) < 1e-4
    np.testing.assert_allclose(batch.pose[1, 0].numpy(), seq.frame(3).T_odom_optical, atol=1e-5)


def test_li2020_random_stride_pairs_frames_further_apart_where_they_exist(synth_dataset):
    out, seq, _ = synth_dataset  # 6 frames: pairs start at 0..4
    ds = Li2020Dataset(out, "all", (36, 48), length=2, max_stride=3)
    assert len(ds) == 5 and ds.max_stride == 3
    seen: dict[int, set[int]] = {item: set() for item in range(len(ds))}
    for epoch in range(12):
        ds.epoch = epoch
        for item in range(len(ds)):
            stride = ds.stride_of(item)
            seen[item].add(stride)
        sample = ds[1]  # start 1: its second frame is frame 1 + stride
        np.testing.assert_allclose(sample.pose[1].numpy(), seq.frame(1 + ds.stride_of(1)).T_odom_optical, atol=1e-5)
    assert seen[0] == {1, 2, 3} and seen[3] == {1, 2} and seen[4] == {1}
    assert {Li2020Dataset(out, "all", (36, 48), length=2).stride_of(i) for i in range(5)} == {1}
    with pytest.raises(ValueError, match="max_stride=0"):
        Li2020Dataset(out, "all", (36, 48), length=2, max_stride=0)


def test_folder_and_collate_errors(tmp_path, synth_dataset):
    with pytest.raises(FileNotFoundError, match="manifest.csv"):
        DatasetFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="split='nope'"):
        DatasetFolder(synth_dataset[0]).indices("nope")
    with pytest.raises(ValueError, match="empty"):
        collate([])
    assert isinstance(collate([Eigen2014Dataset(synth_dataset[0], "all", (24, 32))[0]]), DepthBatch)


def test_li2020_crop_resize_flip_keeps_intrinsics_consistent():
    """Pixel colours encode their source coordinates; after the random crop, fit and flip, the
    new intrinsics must map each output pixel's ray back to the source pixel it shows (the ray's
    x mirrored when the sample was flipped: a flipped image is the mirrored scene)."""
    from mono_depth_ros.core.camera import CameraIntrinsics
    from training.data.augment import li2020_crop_resize_flip

    h, w = 150, 200
    ys, xs = np.mgrid[0:h, 0:w]
    image = np.stack([xs, ys, np.zeros_like(xs)], -1).astype(np.uint8)
    intr = CameraIntrinsics(w, h, 180.0, 170.0, 101.5, 74.0)
    flipped_seen = set()
    for seed in range(8):
        rng = np.random.default_rng(seed)
        (out,), new, _ = li2020_crop_resize_flip([image], intr, (60, 80), rng)
        assert out.shape == (60, 80, 3) and (new.width, new.height) == (80, 60)
        v, u = np.mgrid[5:55, 5:75]
        flipped = bool(out[30, 10, 0] > out[30, 70, 0])
        ray_x = (u - new.cx) / new.fx * (-1.0 if flipped else 1.0)
        src_x = intr.fx * ray_x + intr.cx
        src_y = intr.fy * (v - new.cy) / new.fy + intr.cy
        assert np.abs(out[5:55, 5:75, 0] - src_x).max() < 1.6, seed
        assert np.abs(out[5:55, 5:75, 1] - src_y).max() < 1.6, seed
        flipped_seen.add(flipped)
    assert flipped_seen == {True, False}


def test_li2020_duplicate_filter_drops_still_pairs(synth_dataset, tmp_path):
    import shutil

    from training.data import folder_format as ff

    out = tmp_path / "ds"
    shutil.copytree(synth_dataset[0], out)
    records = ff.read_manifest(out / "manifest.csv")
    shutil.copyfile(out / records[1].rgb, out / records[2].rgb)  # the camera "stands still" 1 -> 2
    plain = Li2020Dataset(out, "all", (36, 48), length=2)
    filtered = Li2020Dataset(out, "all", (36, 48), length=2, duplicates_filter_threshold=0.01)
    assert len(plain) - len(filtered) == filtered.dropped_duplicates == 1
    assert records[1].index not in filtered.starts and records[1].index in plain.starts


def test_xian_flips_vary_with_epoch(synth_dataset):
    ds = Xian2018Dataset(synth_dataset[0], "all", (36, 48), source="depth", flip=True)
    plain = Xian2018Dataset(synth_dataset[0], "all", (36, 48), source="depth")[0].rgb
    flips = []
    for epoch in range(8):
        ds.epoch = epoch
        flips.append(bool(torch.equal(ds[0].rgb, plain.flip(-1))))
    assert any(flips) and not all(flips)


def test_eigen_augment_translates_at_scale_one():
    """The paper crops 228x304 from 240x320: even without enlargement the crop moves."""
    rgb = np.zeros((240, 320, 3), np.uint8)
    rgb[..., 0] = np.arange(320)[None, :] * 255 // 319
    lefts = set()
    for seed in range(12):
        out, _ = eigen_augment(rgb, np.ones((240, 320), np.float32), (228, 304), np.random.default_rng(seed))
        lefts.add(int(out[114, 0, 0]))
    assert len(lefts) > 3


def test_camera_augment_same_draw_for_all_frames():
    from training.data.augment import camera_augment

    frame = (np.random.default_rng(0).random((32, 48, 3)) * 255).astype(np.uint8)
    gray_seen = 0
    for seed in range(20):
        a, b = camera_augment([frame, frame.copy()], np.random.default_rng(seed))
        assert a.shape == frame.shape and a.dtype == np.uint8
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 6  # only the per-frame sensor noise differs
        gray_seen += int((a[..., 0] == a[..., 1]).all() and (b[..., 0] == b[..., 2]).all())
    assert 0 < gray_seen < 20


def test_colour_jitter_turns_hue_keeps_grey_and_leaves_the_old_stream_alone():
    from training.data.augment import camera_augment, colour_matrix

    assert np.allclose(colour_matrix(np.random.default_rng(3), 0.0), np.eye(3), atol=1e-6)
    frame = (np.random.default_rng(0).random((32, 48, 3)) * 255).astype(np.uint8)
    # strength 0 draws nothing more: the output of the code before colour jitter existed (24839a9), pinned
    before = {0: "09496a6e5365d4f3", 1: "b2a4eb72586f2c24", 2: "9a26c2985d797cbd", 3: "13b598c52d4445ef"}
    for seed, digest in before.items():
        out = camera_augment([frame, frame], np.random.default_rng(seed), 0.0)
        assert hashlib.sha256(b"".join(x.tobytes() for x in out)).hexdigest()[:16] == digest
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 200
    dominant, changed = set(), 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        a, b = camera_augment([red, red.copy()], rng, 1.0)
        if (a[..., 0] == a[..., 1]).all():
            continue  # a mono-sensor draw: grey, no colour
        changed += int(np.abs(a.astype(int) - camera_augment([red], np.random.default_rng(seed))[0]).mean() > 8)
        dominant.add(int(np.argmax(a.reshape(-1, 3).mean(0))))
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 6  # one colour draw for every frame of a sample
    assert changed >= 20 and len(dominant) >= 2  # the hue really turns (red becomes another dominant colour)
    # luminance: saturation and hue keep it; only the white-balance gains (+-20 %) move it
    x = np.random.default_rng(1).random((500, 3))
    y = x @ np.array([0.299, 0.587, 0.114])
    for seed in range(10):
        m = colour_matrix(np.random.default_rng(seed), 1.0)
        y2 = np.clip(x @ m.T, 0, 1) @ np.array([0.299, 0.587, 0.114])
        assert np.median(np.abs(y2 - y) / y) < 0.25


XIAN_YAML = str(Path(__file__).resolve().parents[2] / "config" / "training" / "xian2018.yaml")


def test_colour_jitter_out_of_range_is_a_config_error():
    from training.config import ConfigError, load_config, validate_config

    with pytest.raises(ConfigError, match="data.colour_jitter"):
        validate_config(load_config("xian2018", XIAN_YAML, ["data.colour_jitter=1.5"]))
    with pytest.raises(ConfigError, match="no effect without data.augment and data.camera_augment"):
        validate_config(load_config("xian2018", XIAN_YAML,
                                    ["data.colour_jitter=1", "data.camera_augment=false"]))


def test_exposure_metering_puts_the_mean_luminance_at_middle_grey_and_leaves_the_old_stream_alone():
    from training.data.augment import (MIDDLE_GREY_LINEAR, camera_augment, linear_to_srgb, metering_gain,
                                       srgb_to_linear)

    x = np.linspace(0, 1, 1001, dtype=np.float32)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-5)
    assert float(linear_to_srgb(np.float32(MIDDLE_GREY_LINEAR))) * 255 == pytest.approx(117.9, abs=0.5)
    # a dark render (grey 60 of 255) metered at offset 0: linear luminance 0.18 after the gain
    dark = np.full((16, 16, 3), 60 / 255, np.float32)
    gain = metering_gain(dark, 0.0)
    assert float(srgb_to_linear(dark)[0, 0, 0]) * gain == pytest.approx(MIDDLE_GREY_LINEAR, rel=1e-5)
    assert metering_gain(dark, 1.0) == pytest.approx(2 * gain, rel=1e-6)
    assert metering_gain(np.zeros((4, 4, 3), np.float32), 0.0) == 16.0  # a black frame: the gain's bound
    frame = (np.random.default_rng(0).random((32, 48, 3)) * 255).astype(np.uint8)
    # share 0 draws nothing more: the pinned output of the code before metering existed
    before = {0: "09496a6e5365d4f3", 1: "b2a4eb72586f2c24"}
    for seed, digest in before.items():
        out = camera_augment([frame, frame], np.random.default_rng(seed), 0.0, 0.0)
        assert hashlib.sha256(b"".join(x.tobytes() for x in out)).hexdigest()[:16] == digest


def test_exposure_metering_brightens_dark_renders_with_one_gain_per_sample():
    from training.data.augment import camera_augment

    rng = np.random.default_rng(1)
    dark = (rng.random((32, 48, 3)) * 80).astype(np.uint8)  # mean about 40 of 255
    darker = (dark // 2).astype(np.uint8)
    means_on, means_off = [], []
    for seed in range(40):
        on_a, on_b = camera_augment([dark, darker], np.random.default_rng(seed), 0.0, 1.0)
        off_a, off_b = camera_augment([dark, darker], np.random.default_rng(seed), 0.0, 0.0)
        means_on.append(on_a.mean())
        means_off.append(off_a.mean())
        # one gain for the sample: the second frame stays darker than the first, as it was
        assert on_b.mean() < on_a.mean()
    # the camera augmentation's own draws (brightness, contrast, gamma) come after: metered frames
    # centre near middle grey (118), the unmetered ones stay near the render's 40
    assert np.median(means_off) < 60 < 90 < np.median(means_on) < 150


def test_exposure_metering_out_of_range_or_without_camera_augment_is_a_config_error():
    from training.config import ConfigError, load_config, validate_config

    with pytest.raises(ConfigError, match="data.exposure_metering"):
        validate_config(load_config("xian2018", XIAN_YAML, ["data.exposure_metering=1.5"]))
    with pytest.raises(ConfigError, match="no effect without data.augment and data.camera_augment"):
        validate_config(load_config("xian2018", XIAN_YAML,
                                    ["data.exposure_metering=0.5", "data.camera_augment=false"]))
    validate_config(load_config("xian2018", XIAN_YAML, ["data.exposure_metering=0.5"]))


def test_max_frame_stride_below_one_is_a_config_error_naming_the_key():
    from training.config import ConfigError, load_config, validate_config

    li_yaml = XIAN_YAML.replace("xian2018.yaml", "li2020.yaml")
    with pytest.raises(ConfigError, match=r"data.max_frame_stride.*must be >= 1"):
        validate_config(load_config("li2020", li_yaml, ["data.max_frame_stride=0"]))
    validate_config(load_config("li2020", li_yaml, ["data.max_frame_stride=4"]))

