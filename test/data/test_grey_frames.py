"""Grey (mono) cameras: frames are stored as they were recorded, and stay grey through training.

A mono8 frame was written as a 3-channel PNG (three copies of one plane); it is now a 1-channel
PNG that every reader turns back into the same (H, W, 3) input. Augmentation tinted such frames
(colour jitter's white balance and hue, Eigen's per-channel colour scale, per-channel noise): a
grey camera never sees colour, so a grey frame must leave augmentation grey.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from training.data import folder_format as ff
from training.data.augment import camera_augment, eigen_augment
from training.data.datasets import Eigen2014Dataset, Li2020Dataset
from training.data.extract import extract_bag

from _extract_bags import T0, image, textured, write_bag

STEP, HW = 100_000_000, (24, 32)


def _grey(seed: int) -> np.ndarray:
    return textured(*HW, seed)[..., 0]


def _mono_bag(path, n: int = 4, encoding: str = "mono8"):
    events = []
    for i in range(n):
        stamp = T0 + i * STEP
        pixels = _grey(i) if encoding == "mono8" else textured(*HW, i)
        events.append(("/cam/image_raw", image(pixels, encoding, stamp), stamp))
        depth_mm = np.full(HW, 1000 * (i + 1), np.uint16)
        events.append(("/cam/depth/image_raw", image(depth_mm, "16UC1", stamp), stamp))
    return write_bag(path, events)


def _equal_channels(rgb: np.ndarray) -> bool:
    return rgb.shape[-1] == 3 and bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def test_mono8_frames_are_one_channel_pngs_that_read_back_as_the_same_rgb(tmp_path):
    from mono_depth_ros.inference.calibration import _read_rgb as calibration_read

    extract_bag(_mono_bag(tmp_path / "bag"), tmp_path / "ds")
    for rec in ff.read_manifest(tmp_path / "ds" / "manifest.csv"):
        on_disk = cv2.imread(str(tmp_path / "ds" / rec.rgb), cv2.IMREAD_UNCHANGED)
        assert on_disk.shape == HW and on_disk.dtype == np.uint8  # one channel, as recorded
        np.testing.assert_array_equal(on_disk, _grey(rec.index))
        expected = np.repeat(_grey(rec.index)[..., None], 3, axis=2)
        np.testing.assert_array_equal(ff.read_rgb(tmp_path / "ds" / rec.rgb), expected)  # datasets, evaluate
        np.testing.assert_array_equal(calibration_read(tmp_path / "ds" / rec.rgb), expected)  # int8 calibration
    extract_bag(_mono_bag(tmp_path / "colour_bag", encoding="rgb8"), tmp_path / "colour")
    colour = cv2.imread(str(tmp_path / "colour" / "rgb" / "000001.png"), cv2.IMREAD_UNCHANGED)
    assert colour.shape == HW + (3,)
    np.testing.assert_array_equal(ff.read_rgb(tmp_path / "colour" / "rgb" / "000001.png"), textured(*HW, 1))


def test_a_one_channel_folder_gives_the_training_input_of_a_three_channel_one(tmp_path):
    """The same frames written the old way (three equal channels) give identical samples."""
    import shutil

    extract_bag(_mono_bag(tmp_path / "bag"), tmp_path / "grey")
    shutil.copytree(tmp_path / "grey", tmp_path / "three")
    for path in sorted((tmp_path / "three" / "rgb").glob("*.png")):
        grey = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(path), np.repeat(grey[..., None], 3, axis=2))
    kwargs = dict(output_hw=(16, 24), augment=True, seed=4, camera_augment=True, colour_jitter=1.0)
    one, three = (Eigen2014Dataset(tmp_path / name, "all", **kwargs) for name in ("grey", "three"))
    assert len(one) == len(three) == 4
    for item in range(4):
        assert one[item].rgb.shape == (3, 16, 24)
        assert np.array_equal(one[item].rgb.numpy(), three[item].rgb.numpy())
        assert np.array_equal(one[item].depth_m.numpy(), three[item].depth_m.numpy())


@pytest.mark.parametrize("seed", range(12))
def test_colour_jitter_leaves_a_grey_frame_grey(seed):
    grey = [np.repeat(_grey(seed + k)[..., None], 3, axis=2) for k in range(3)]
    for out in camera_augment(grey, np.random.default_rng(seed), colour_jitter=1.0):
        assert _equal_channels(out), np.abs(out[..., 0].astype(int) - out[..., 2]).max()
    rgb, _ = eigen_augment(grey[0], np.ones(HW, np.float32), (16, 24), np.random.default_rng(seed))
    assert _equal_channels(rgb)


def test_colour_jitter_still_changes_the_colours_of_a_colour_frame():
    frame = textured(*HW, 7)
    jittered = camera_augment([frame], np.random.default_rng(1), colour_jitter=1.0)[0]
    plain = camera_augment([frame], np.random.default_rng(1), colour_jitter=0.0)[0]
    assert not _equal_channels(jittered) and np.abs(jittered.astype(int) - plain).mean() > 5


def test_a_grey_recording_stays_grey_through_li2020_s_augmentation(tmp_path):
    extract_bag(_mono_bag(tmp_path / "bag"), tmp_path / "ds")
    data = Li2020Dataset(tmp_path / "ds", "all", (16, 24), length=2, augment=True, camera_augment=True,
                         colour_jitter=1.0)
    for epoch in range(4):
        data.epoch = epoch
        for item in range(len(data)):
            rgb = data[item].rgb.numpy()  # (T, 3, H, W)
            assert (rgb[:, 0] == rgb[:, 1]).all() and (rgb[:, 1] == rgb[:, 2]).all()
