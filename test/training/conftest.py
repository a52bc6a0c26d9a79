"""Fixtures of the training tests: one tiny extracted synthetic dataset (depth, poses, intrinsics)."""

from __future__ import annotations

import pytest
import torch

from training.data.extract import extract_bag
from mono_depth_ros.synth import write_synthetic_bag


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """Dataset folder of 8 street frames at 64x48 (with depth, poses and intrinsics)."""
    root = tmp_path_factory.mktemp("train_data")
    write_synthetic_bag(root / "bag", frames=8, seed=5, size_wh=(64, 48), scene="street", stereo=False,
                        moving_objects=0, fps=10.0)
    extract_bag(root / "bag", root / "ds")
    return root / "ds"


@pytest.fixture(autouse=True)
def _single_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
