"""Reading real and hand-made bags: bare zstd MCAP, corrupt payloads, stamp pairing, ROS 1."""

from __future__ import annotations

import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from mono_depth_ros.core.depth import depth_to_image
from mono_depth_ros.core.image import numpy_to_image
from mono_depth_ros.core.stamps import make_header
from training.data import folder_format as ff
from mono_depth_ros.bags.reader import BagFormatError, open_bag
from training.data.extract import extract_bag
from training.data.topics import AmbiguousTopicsError

STORE = get_typestore(Stores.ROS2_KILTED)
IMAGE = STORE.types["sensor_msgs/msg/Image"]
HEADER = STORE.types["std_msgs/msg/Header"]
T0 = 1_000_000_000_000


def _rgb(i: int) -> np.ndarray:
    return np.full((6, 8, 3), 10 * i, np.uint8)


def _write_bag(path, colour_stamps, depth_stamps, corrupt_index=None, storage=StoragePlugin.SQLITE3,
               extra_image_topic=None):
    """rgb8 frames on /cam/image_raw (value 10*i) and 16UC1 depth (i+1 metres) on /cam/depth."""
    with Writer(path, version=9, storage_plugin=storage) as writer:
        img = writer.add_connection("/cam/image_raw", IMAGE.__msgtype__, typestore=STORE)
        dep = writer.add_connection("/cam/depth", IMAGE.__msgtype__, typestore=STORE)
        extra = writer.add_connection(extra_image_topic, IMAGE.__msgtype__, typestore=STORE) if extra_image_topic else None
        events = [(s, "rgb", i) for i, s in enumerate(colour_stamps)] + [(s, "d", i) for i, s in enumerate(depth_stamps)]
        for stamp, kind, i in sorted(events):
            header = make_header(stamp, "cam", header_cls=HEADER)
            if kind == "rgb":
                data = STORE.serialize_cdr(numpy_to_image(_rgb(i), "rgb8", header, msg_cls=IMAGE), IMAGE.__msgtype__)
                if i == corrupt_index:
                    data = data[: len(data) // 2]  # truncated CDR payload
                writer.write(img, stamp, data)
                if extra is not None:
                    writer.write(extra, stamp, data)
            else:
                depth = np.full((6, 8), i + 1.0, np.float32)
                msg = depth_to_image(depth, header, encoding="16UC1", msg_cls=IMAGE)
                writer.write(dep, stamp, STORE.serialize_cdr(msg, IMAGE.__msgtype__))


def test_real_zstd_mcap_decodes(shared_data, tmp_path):
    bag = shared_data / "rosbag2_mcap_zstd_2frames" / "soccer_goal_12.mcap"
    report = extract_bag(bag, tmp_path / "ds", intrinsics="525,525,319.5,239.5")
    assert (report.frames, report.written, dict(report.errors)) == (2, 2, {})
    # the folder (one member of a 13-file split recording, no metadata.yaml) says what is missing
    folder_report = extract_bag(bag.parent, tmp_path / "ds_folder")
    assert folder_report.written == 2 and folder_report.intrinsics_source.startswith("none")
    assert any("metadata.original.yaml lists 13 files, 1 present" in note for note in folder_report.notes)
    records = ff.read_manifest(tmp_path / "ds" / "manifest.csv")
    assert [r.stamp_ns for r in records] == [8297777777, 8331088888]
    rgb = ff.read_rgb(tmp_path / "ds" / records[0].rgb)
    assert rgb.shape == (480, 640, 3) and rgb.std() > 10  # a real picture, not a constant
    intr, _ = ff.read_intrinsics(tmp_path / "ds" / "intrinsics.yaml")
    assert (intr.width, intr.height, intr.fx) == (640, 480, 525.0)


def test_corrupt_message_is_reported_and_skipped(tmp_path):
    stamps = [T0 + i * 100_000_000 for i in range(4)]
    _write_bag(tmp_path / "bag", stamps, stamps, corrupt_index=2)
    report = extract_bag(tmp_path / "bag", tmp_path / "ds")
    assert report.written == 3
    assert sum(report.errors.values()) == 1 and next(iter(report.errors))[0] == "/cam/image_raw"
    records = ff.read_manifest(tmp_path / "ds" / "manifest.csv")
    assert [r.stamp_ns for r in records] == [stamps[0], stamps[1], stamps[3]]
    # the depth of the frame after the corrupt one still pairs by stamp (4 m), not by order
    np.testing.assert_allclose(ff.read_depth(tmp_path / "ds" / records[2].depth), 4.0)


def test_pairing_by_nearest_stamp_within_tolerance(tmp_path):
    colour = [T0 + i * 100_000_000 for i in range(5)]
    # depth 7 ms late, one missing (frame 1), one 40 ms off (frame 3, beyond 20 ms tolerance)
    depth = [colour[0] + 7_000_000, colour[2] + 7_000_000, colour[3] + 40_000_000, colour[4] + 7_000_000]
    _write_bag(tmp_path / "bag", colour, depth, storage=StoragePlugin.MCAP)
    report = extract_bag(tmp_path / "bag", tmp_path / "ds", tolerance_ms=20)
    assert report.unmatched["depth"] == 2
    records = ff.read_manifest(tmp_path / "ds" / "manifest.csv")
    assert [bool(r.depth) for r in records] == [True, False, True, False, True]
    np.testing.assert_allclose(ff.read_depth(tmp_path / "ds" / records[2].depth), 2.0)  # depth message #1
    np.testing.assert_allclose(ff.read_depth(tmp_path / "ds" / records[4].depth), 4.0)  # depth message #3


def test_ambiguous_topics_list_the_bag(tmp_path):
    stamps = [T0]
    _write_bag(tmp_path / "bag", stamps, stamps, extra_image_topic="/cam2/image_raw")
    with pytest.raises(AmbiguousTopicsError, match="/cam2/image_raw"):
        extract_bag(tmp_path / "bag", tmp_path / "ds")
    report = extract_bag(tmp_path / "bag", tmp_path / "ds", image_topic="/cam2/image_raw")
    assert report.written == 1


def test_ros1_bag_is_read(tmp_path):
    from rosbags.rosbag1 import Writer as Writer1

    store = get_typestore(Stores.ROS1_NOETIC)
    image_cls, header_cls = store.types["sensor_msgs/msg/Image"], store.types["std_msgs/msg/Header"]
    path = tmp_path / "x.bag"
    with Writer1(path) as writer:
        conn = writer.add_connection("/camera/image_raw", image_cls.__msgtype__, typestore=store)
        for i in range(2):
            header = header_cls(seq=i, stamp=store.types["builtin_interfaces/msg/Time"](sec=5, nanosec=i), frame_id="c")
            msg = numpy_to_image(_rgb(i + 1), "rgb8", header, msg_cls=image_cls)
            writer.write(conn, T0 + i, store.serialize_ros1(msg, image_cls.__msgtype__))
    with open_bag(path) as source:
        got = [(t, ty, m.header.stamp.nanosec, int(m.data[0])) for t, ty, _, m in source]
    assert got == [("/camera/image_raw", "sensor_msgs/msg/Image", 0, 10), ("/camera/image_raw", "sensor_msgs/msg/Image", 1, 20)]


def test_bad_paths_raise_typed_errors(tmp_path):
    with pytest.raises(BagFormatError, match="no such file"):
        open_bag(tmp_path / "missing")
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(BagFormatError, match="expected a rosbag2 folder"):
        open_bag(tmp_path / "x.txt")
