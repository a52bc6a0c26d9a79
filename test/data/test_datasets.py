"""Datasets over an extracted folder: shapes, units, augmentation, intrinsics scaling, collate."""

from __future__ import annotations

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


def test_folder_and_collate_errors(tmp_path, synth_dataset):
    with pytest.raises(FileNotFoundError, match="manifest.csv"):
        DatasetFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="split='nope'"):
        DatasetFolder(synth_dataset[0]).indices("nope")
    with pytest.raises(ValueError, match="empty"):
        collate([])
    assert isinstance(collate([Eigen2014Dataset(synth_dataset[0], "all", (24, 32))[0]]), DepthBatch)
