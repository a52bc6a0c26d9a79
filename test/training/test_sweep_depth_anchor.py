"""benchmarks/sweep_depth_anchor.py: the short recording it fine-tunes on and the settings of each row."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.data import folder_format as ff
from training.data.datasets import DatasetFolder


@pytest.fixture(scope="module")
def sweep(load_benchmark):
    return load_benchmark("sweep_depth_anchor")


def test_short_copy_keeps_the_first_train_frames_and_the_test_split(sweep, tiny_dataset, tmp_path):
    import shutil

    sequence = Path(shutil.copytree(tiny_dataset, tmp_path / "sequence"))  # the shared fixture stays as it is
    ff.write_splits(sequence, {"train": [0, 1, 2, 3, 4, 5], "val": [6], "test": [7]})
    short = sweep.short_copy(sequence, 3, tmp_path / "out")
    folder = DatasetFolder(short)
    assert folder.indices("train") == [0, 1, 2] and folder.indices("test") == [7] and folder.indices("val") == [6]
    assert (short / "rgb").is_symlink() and folder.rgb(7).shape == DatasetFolder(sequence).rgb(7).shape
    assert sweep.short_copy(sequence, 3, tmp_path / "out") == short  # reused, not rebuilt
    assert sweep.short_copy(sequence, 0, tmp_path / "out") == sequence  # 0: the whole train split


def test_rows_set_the_anchor_or_freeze_the_depth_network(sweep):
    assert sweep.row_settings("anchor 10") == ("loss_weights.depth_anchor=10",)
    assert sweep.row_settings("anchor 0") == ("loss_weights.depth_anchor=0",)
    assert sweep.row_settings("depth frozen") == ("optimizer.depth_lr_scale=0",)
