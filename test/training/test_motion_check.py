"""li2020 needs a moving camera: training.evaluate.motion_check measures feature motion between
consecutive frames and the training run warns on a recording where the camera stands still
(EuRoC's first 95 frames, the MAV at rest, are the real case)."""

from __future__ import annotations

import logging
import shutil

import cv2
import numpy as np
import pytest

from training.data.datasets import DatasetFolder
from training.evaluate.motion_check import STATIC_MOTION_FRACTION, camera_motion, feature_motion_fraction, \
    static_camera_note


def _textured(seed: int = 0, size=(480, 640)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = cv2.resize(rng.random((size[0] // 8, size[1] // 8)).astype(np.float32), size[::-1],
                       interpolation=cv2.INTER_CUBIC)
    grey = (255 * np.clip(noise, 0, 1)).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def test_feature_motion_is_the_shift_as_a_fraction_of_the_long_side():
    img = _textured()
    shifted = np.roll(img, 6, axis=1)  # 6 px to the right
    assert feature_motion_fraction(img, shifted) == pytest.approx(6 / 640, abs=0.5 / 640)
    assert feature_motion_fraction(img, img.copy()) == 0.0
    assert feature_motion_fraction(np.full_like(img, 128), img) is None  # a blank frame: nothing to match


def test_real_euroc_start_is_static_and_warned(shared_data, tmp_path):
    from training.data.import_euroc import import_euroc

    import_euroc(shared_data / "euroc_v101_micro", tmp_path / "euroc")
    folder = DatasetFolder(tmp_path / "euroc")
    motion = camera_motion(folder, "train")
    assert motion.pairs >= 20 and motion.mostly_static and motion.median_fraction < STATIC_MOTION_FRACTION
    note = static_camera_note(folder, "train")
    assert note is not None and "hardly moves" in note and "'train'" in note


def test_real_kitti_drive_is_not_static(shared_data, tmp_path):
    from training.data.import_frames import import_kitti

    import_kitti(shared_data / "kitti_odometry00_6frames", tmp_path / "kitti")
    folder = DatasetFolder(tmp_path / "kitti")
    motion = camera_motion(folder, "all")
    assert motion.pairs == 5 and motion.static_pairs == 0 and motion.median_fraction > 5 * STATIC_MOTION_FRACTION
    assert static_camera_note(folder, "all") is None


def test_li2020_training_warns_on_a_still_camera(tiny_dataset, tmp_path, caplog):
    """The tiny street sequence with every frame replaced by its first: the run still trains (a
    warning, not an error) and the log names the folder and the split."""
    from training.config import load_config
    from training.loop import train

    still = _still_copy(tiny_dataset, tmp_path / "still")
    config = load_config("li2020", overrides=["model.variant=light", "data.input_hw=[48, 64]", "data.train_split=all",
                                              "trainer.batch_size=2", "trainer.num_workers=0", "trainer.val_batches=0",
                                              "trainer.accelerator=cpu", "trainer.max_steps=1",
                                              "trainer.checkpoint_every_n_steps=1", "data.duplicates_filter_threshold=0"])
    with caplog.at_level(logging.WARNING, logger="training.loop"):
        train(config, still, tmp_path / "run", progress=False)
    assert any("hardly moves" in r.getMessage() and str(still) in r.getMessage() for r in caplog.records)


def test_a_large_frame_is_measured_downscaled_with_the_same_fraction():
    img = _textured(1, (1500, 2000))
    assert feature_motion_fraction(img, np.roll(img, 20, axis=1)) == pytest.approx(20 / 2000, abs=1.0 / 960)


@pytest.mark.parametrize("scene", ["indoor", "desk"])
def test_synthetic_handheld_sequences_move(scene, tmp_path):
    """A rendered room and desk (hand-held path, 640x480: a camera's resolution): no
    pair is static, so training on them is never warned about."""
    from training.data.extract import extract_bag
    from mono_depth_ros.synth import write_synthetic_bag

    write_synthetic_bag(tmp_path / "bag", frames=5, seed=9005, size_wh=(640, 480), scene=scene, trajectory="handheld",
                        layout="rich", textures="photos", camera="real", look="real")
    extract_bag(tmp_path / "bag", tmp_path / "ds")
    motion = camera_motion(DatasetFolder(tmp_path / "ds"), "all")
    assert motion.pairs >= 2 and motion.static_pairs == 0, motion
    assert static_camera_note(DatasetFolder(tmp_path / "ds"), "all") is None


def _still_copy(tiny_dataset, path):
    """The tiny street sequence with every frame replaced by its first, large enough for ORB."""
    shutil.copytree(tiny_dataset, path)
    frames = sorted((path / "rgb").iterdir())
    big = cv2.resize(cv2.imread(str(frames[0])), (640, 480), interpolation=cv2.INTER_CUBIC)
    for frame in frames:
        cv2.imwrite(str(frame), big)
    return path


def test_adapting_on_a_still_camera_freezes_depth_unless_told(tiny_dataset, tmp_path, caplog):
    """From weights (--init-from) on a still camera, optimizer.static_camera_depth freeze (default)
    keeps the depth network exactly as it starts and still trains the motion network; train trains
    both; on a moving camera the default trains depth too."""
    from mono_depth_ros.inference.checkpoint import read_checkpoint_payload
    from training.config import load_config
    from training.loop import train

    still = _still_copy(tiny_dataset, tmp_path / "still")
    base = ["model.variant=light", "data.input_hw=[48, 64]", "data.train_split=all", "trainer.batch_size=2",
            "trainer.num_workers=0", "trainer.val_batches=0", "trainer.accelerator=cpu",
            "trainer.checkpoint_every_n_steps=100", "data.duplicates_filter_threshold=0", "optimizer.lr=0.01",
            "schedule.motion_field_burnin_steps=0"]
    train(load_config("li2020", overrides=[*base, "trainer.max_steps=1"]), tiny_dataset, tmp_path / "start",
          progress=False)

    def changed(run, spec):
        a = read_checkpoint_payload(tmp_path / "start" / f"{spec}.pt")["state_dict"]
        b = read_checkpoint_payload(tmp_path / run / f"{spec}.pt")["state_dict"]
        return max(float((a[k].float() - b[k].float()).abs().max()) for k in a if a[k].is_floating_point())

    init = [*base, "trainer.max_steps=3", f"trainer.init_from={tmp_path / 'start'}"]
    with caplog.at_level(logging.WARNING, logger="training.loop"):
        train(load_config("li2020", overrides=init), still, tmp_path / "frozen", progress=False)
    assert any("static_camera_depth=train" in r.getMessage() for r in caplog.records)
    assert "depth_lr_scale: 0.0" in (tmp_path / "frozen" / "config.yaml").read_text()
    assert changed("frozen", "li2020_depth") == 0.0 and changed("frozen", "li2020_motion") > 0
    train(load_config("li2020", overrides=[*init, "optimizer.static_camera_depth=train"]), still,
          tmp_path / "trained", progress=False)
    assert changed("trained", "li2020_depth") > 0
    train(load_config("li2020", overrides=init), tiny_dataset, tmp_path / "moving", progress=False)
    assert changed("moving", "li2020_depth") > 0
