"""Fixtures of the data-layer tests: one tiny synthetic stereo bag and its extracted folder."""

from __future__ import annotations

import pytest

from training.data.extract import extract_bag
from mono_depth_ros.synth import write_synthetic_bag

FRAMES, SIZE_WH, FPS = 6, (96, 72), 10.0


@pytest.fixture(scope="session")
def synth_bag(tmp_path_factory):
    """(bag folder, SyntheticSequence) of 6 stereo street frames at 96x72 with a moving box."""
    path = tmp_path_factory.mktemp("synth") / "bag"
    seq = write_synthetic_bag(path, frames=FRAMES, seed=3, size_wh=SIZE_WH, scene="street", stereo=True,
                              moving_objects=1, fps=FPS)
    return path, seq


@pytest.fixture(scope="session")
def synth_dataset(synth_bag, tmp_path_factory):
    """(dataset folder, SyntheticSequence, ExtractReport) extracted from ``synth_bag``."""
    bag, seq = synth_bag
    out = tmp_path_factory.mktemp("dataset") / "ds"
    report = extract_bag(bag, out)
    return out, seq, report
