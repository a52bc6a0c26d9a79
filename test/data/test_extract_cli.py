"""``python -m training extract`` and the mistakes users make: one-line errors, no tracebacks,
nothing written before the topics are known, splits of tiny datasets, eigen2014's schedule."""

from __future__ import annotations

import re

import pytest

from training.__main__ import main
from training.config import load_config
from training.data import folder_format as ff

from _extract_bags import T0, image, info, k_matrix, textured, write_bag

LONG = "/a_robot_with_a_long_name/front_stereo_camera/left/image_rect_color"


@pytest.fixture
def bag(tmp_path):
    events = [(LONG, image(textured(6, 8, i), "rgb8", T0 + i * 10**8), T0 + i * 10**8) for i in range(3)]
    events += [("/b/image_raw", image(textured(6, 8, i), "rgb8", T0 + i * 10**8), T0 + i * 10**8) for i in range(3)]
    return write_bag(tmp_path / "bag", events)


def test_list_needs_no_out_and_columns_fit_long_names(bag, capsys):
    assert main(["extract", str(bag), "--list"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "sensor_msgs/msg/Image" in line]
    assert len(lines) == 2
    assert len({line.index("sensor_msgs/msg/Image") for line in lines}) == 1  # one column, whatever the names
    assert all(re.search(r"sensor_msgs/msg/Image\s+3 msgs  8x6 rgb8, frame_id 'cam'$", line) for line in lines)


def test_list_says_what_the_first_image_and_camera_info_hold_and_a_db3_reads_its_folder(tmp_path, capsys):
    events = [("/cam/image_raw", image(textured(6, 8, i)[..., 0], "mono8", T0 + i * 10**8, frame="cam0"), T0 + i * 10**8)
              for i in range(2)]
    events += [("/cam/camera_info", info(8, 6, k_matrix(4.5, 4.5, 3.5, 2.5), (-0.28, 0.07, 2e-4, 1e-5, 0.0),
                                         frame="cam0"), T0)]
    bag = write_bag(tmp_path / "rec", events)
    for given in (bag, next(bag.glob("*.db3"))):  # the folder, or its .db3 (read as its folder, with a note)
        assert main(["extract", str(given), "--list"]) == 0
        out = capsys.readouterr().out
        assert re.search(r"/cam/image_raw\s+sensor_msgs/msg/Image\s+2 msgs  8x6 mono8, frame_id 'cam0'$", out, re.M)
        assert re.search(r"/cam/camera_info\s+sensor_msgs/msg/CameraInfo\s+1 msgs  8x6, fx 4\.5, plumb_bob "
                         r"D=\[-0\.28, 0\.07, 0\.0002, 1e-05, 0\], frame_id 'cam0'$", out, re.M)
    assert f"note: {next(bag.glob('*.db3')).name} is part of the rosbag2 folder rec: read the folder" in out


def test_wrong_image_topic_lists_topics_once_and_writes_nothing(bag, tmp_path, capsys):
    assert main(["extract", str(bag), "--out", str(tmp_path / "ds"), "--image-topic", "/nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --image-topic '/nope' is not in the bag.") and err.count(LONG) == 1
    assert not (tmp_path / "ds").exists()


def test_ordinary_mistakes_are_one_line_errors(tmp_path, bag, capsys):
    assert main(["extract", str(tmp_path / "missing_bag"), "--out", str(tmp_path / "ds")]) == 2
    assert capsys.readouterr().err == f"error: bag={str(tmp_path / 'missing_bag')!r}: no such file or folder\n"
    assert main(["extract", str(bag)]) == 2
    assert "--out DIR is required" in capsys.readouterr().err
    assert main(["extract", str(bag), "--out", str(tmp_path / "ds"), "--image-topic", LONG, "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("frames written: 3 of 3 image messages")


def test_eigen2014_without_depth_says_depth_is_needed(bag, tmp_path, capsys):
    main(["extract", str(bag), "--out", str(tmp_path / "ds"), "--image-topic", LONG, "--no-progress"])
    code = main(["train", "--method", "eigen2014", "--data", str(tmp_path / "ds"), "--out", str(tmp_path / "run"),
                 "--set", "model.variant=light", "--set", "data.input_hw=[48, 64]", "--set", "trainer.max_steps=2",
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "no usable frames: eigen2014 needs frames with depth (extract with --depth-topic)" in err


def test_tiny_datasets_get_held_out_frames_or_none():
    assert ff.contiguous_splits(list(range(5))) == {"train": [0, 1, 2, 3, 4], "val": [], "test": []}
    splits = ff.contiguous_splits(list(range(20)))
    assert (splits["val"], splits["test"]) == ([8, 9, 10], [17, 18, 19]) and len(splits["train"]) == 14
    assert ff.contiguous_splits(list(range(100)))["val"] == list(range(40, 50))  # unchanged for real sizes


def test_eigen2014_schedule_follows_max_steps_alone():
    config = load_config("eigen2014", "config/training/eigen2014.yaml", ["trainer.max_steps=700"])
    assert config.schedule.coarse_steps == 400  # 62500 / 109375 of 700
    config = load_config("eigen2014", None, ["trainer.max_steps=700", "schedule.coarse_steps=100"])
    assert config.schedule.coarse_steps == 100
