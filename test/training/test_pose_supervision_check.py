"""li2020's rotation_supervision is a term on the frames' poses: a run where no folder has poses
stops before writing anything, naming the option; a run where some lack them says which."""

from __future__ import annotations

import logging
import shutil

import pytest

from mono_depth_ros.core.errors import InputError

OVERRIDES = ["model.variant=light", "data.input_hw=[48, 64]", "data.train_split=all", "trainer.batch_size=2",
             "trainer.num_workers=0", "trainer.val_batches=0", "trainer.accelerator=cpu", "trainer.max_steps=1",
             "trainer.checkpoint_every_n_steps=100", "data.duplicates_filter_threshold=0",
             "loss_weights.rotation_supervision=10"]


def _without_poses(tiny_dataset, path):
    shutil.copytree(tiny_dataset, path)
    (path / "poses_tum.txt").unlink()
    return path


def test_rotation_supervision_without_any_pose_is_a_one_line_error(tiny_dataset, tmp_path):
    from training.config import load_config
    from training.loop import train

    bare = _without_poses(tiny_dataset, tmp_path / "bare")
    with pytest.raises(InputError) as err:
        train(load_config("li2020", overrides=OVERRIDES), bare, tmp_path / "run", progress=False)
    message = str(err.value)
    assert "loss_weights.rotation_supervision=10" in message and "none of the 1 folder" in message
    assert "\n" not in message and not (tmp_path / "run").exists()


def test_rotation_supervision_names_the_folders_without_poses(tiny_dataset, tmp_path, caplog):
    from training.config import load_config
    from training.data.datasets import DatasetFolder
    from training.loop import pose_supervision_check, train

    assert (tiny_dataset / "poses_tum.txt").is_file()
    bare = _without_poses(tiny_dataset, tmp_path / "bare_folder")
    config = load_config("li2020", overrides=OVERRIDES)
    with caplog.at_level(logging.WARNING, logger="training.loop"):
        result = train(config, [tiny_dataset, bare], tmp_path / "run", progress=False)
    assert result is not None
    notes = [r.getMessage() for r in caplog.records if "rotation_supervision" in r.getMessage()]
    assert len(notes) == 1 and "1 of 2 folders have no poses (bare_folder)" in notes[0]
    paper = load_config("li2020", overrides=[o for o in OVERRIDES if "rotation_supervision" not in o])
    assert pose_supervision_check(paper, [DatasetFolder(bare)]) is None  # the paper's terms need no poses
