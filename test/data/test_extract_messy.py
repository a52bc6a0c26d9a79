"""Extraction of messy inputs: output folders that are not this extraction's, interrupted runs,
image topics that are empty or never decode, MCAPs cut inside a chunk or holding non-ROS channels,
depth beyond what a 16-bit millimetre PNG holds.

Bags are written by the rosbags library (an MCAP with Foxglove-style json / protobuf channels by the
``mcap`` library, which rosbags cannot write). Expected numbers come from what was written, never
from the reader under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from mcap.writer import Writer as McapWriter
from rosbags.rosbag2 import StoragePlugin, Writer

from training.__main__ import main
from training.data import extract as extract_module
from training.data import folder_format as ff
from training.data.extract import extract_bag
from training.data.resume import ForeignFolderError

from _extract_bags import COMPRESSED, IMAGE, STORE, STORE1, T0, compressed, image, textured, write_bag, write_bag1

STEP, HW, TOPIC = 100_000_000, (6, 8), "/cam/image_raw"


def _frames(n: int, t0: int = T0, seed: int = 0, hw=HW, encoding: str = "rgb8"):
    return [(TOPIC, image(textured(*hw, seed + i), encoding, t0 + i * STEP), t0 + i * STEP + 1) for i in range(n)]


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(["extract", *map(str, argv), "--no-progress"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def _stamps_and_pixels(out, seed: int = 0, t0: int = T0):
    records = ff.read_manifest(out / "manifest.csv")
    for i, rec in enumerate(records):
        np.testing.assert_array_equal(ff.read_rgb(out / rec.rgb), textured(*HW, seed + i))
    return [r.stamp_ns - t0 for r in records]


def test_a_folder_that_is_not_this_extraction_is_refused_before_writing(tmp_path, capsys):
    bag_a = write_bag(tmp_path / "a", _frames(5))
    bag_b = write_bag(tmp_path / "b", _frames(5, t0=2 * T0, seed=50))
    out = tmp_path / "ds"
    assert _cli(capsys, bag_a, "--out", out)[0] == 0
    code, _, err = _cli(capsys, bag_b, "--out", out)  # another recording, same options
    assert code == 2 and err.startswith(f"error: out={str(out)!r} holds frames of another recording: frame 0 "
                                        f"is stamped {T0} ns there, {2 * T0} ns in this bag")
    code, _, err = _cli(capsys, bag_a, "--out", out, "--depth-format", "npy", "--rectify", "off")
    assert code == 2 and "rectify 'auto' there, 'off' now; depth_format 'png' there, 'npy' now" in err
    assert _stamps_and_pixels(out) == [i * STEP for i in range(5)]  # A's frames, untouched
    assert "(already done: 5)" in _cli(capsys, bag_a, "--out", out)[1]  # the same command resumes

    other = tmp_path / "home"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    code, _, err = _cli(capsys, bag_a, "--out", other)
    assert code == 2 and "exists, is not empty and holds no extraction to resume" in err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_interrupted_run_torn_partial_row_and_lost_file_resume_to_the_same_folder(tmp_path, monkeypatch, capsys):
    bag = write_bag(tmp_path / "bag", _frames(20))
    out = tmp_path / "ds"

    def interrupted_at_8(*args, progress, **kwargs):  # Ctrl-C while the 8th image message is read
        def wrapped(n: int, skipped: int) -> None:
            progress(n, skipped)
            wrapped.seen += n
            if wrapped.seen == 8:
                raise KeyboardInterrupt
        wrapped.seen = 0
        return real(*args, progress=wrapped, **kwargs)

    real = extract_module.extract_bag
    monkeypatch.setattr(extract_module, "extract_bag", interrupted_at_8)
    code, _, err = _cli(capsys, bag, "--out", out)
    monkeypatch.undo()
    assert code == 130 and "interrupted after 8 image messages" in err
    assert len(ff.read_manifest(out / "manifest.partial.csv")) == 7  # the 8th was read, not yet written

    partial = out / "manifest.partial.csv"
    partial.write_text(partial.read_text()[:-12])  # killed while appending the 7th row
    (out / "rgb" / "000002.png").unlink()  # and a file lost since
    report = extract_bag(bag, out)
    assert (report.written, report.skipped_existing) == (15, 5)  # frames 6-19 (row 6 torn) and frame 2
    assert any("1 incomplete row(s)" in n for n in report.notes)
    assert any("1 frame(s) logged by an earlier run had missing" in n for n in report.notes)
    assert _stamps_and_pixels(out) == [i * STEP for i in range(20)]
    assert sorted(r.index for r in ff.read_manifest(partial)) == list(range(20))  # one whole row each
    assert extract_bag(bag, out).skipped_existing == 20


def test_a_finished_extraction_without_its_partial_log_still_resumes(tmp_path, capsys):
    bag_a = write_bag(tmp_path / "a", _frames(5))
    bag_b = write_bag(tmp_path / "b", _frames(5, t0=2 * T0, seed=50))
    out = tmp_path / "ds"
    assert _cli(capsys, bag_a, "--out", out)[0] == 0
    (out / "manifest.partial.csv").unlink()  # a user tidying up: only needed to resume
    code, text, _ = _cli(capsys, bag_a, "--out", out)
    assert code == 0 and "(already done: 5)" in text
    assert _stamps_and_pixels(out) == [i * STEP for i in range(5)]
    (out / "manifest.partial.csv").unlink()
    code, _, err = _cli(capsys, bag_b, "--out", out)  # still refused for another recording
    assert code == 2 and "holds frames of another recording" in err
    code, _, err = _cli(capsys, bag_a, "--out", out, "--depth-format", "npy")  # and for other options
    assert code == 2 and "depth_format 'png' there, 'npy' now" in err
    assert _stamps_and_pixels(out) == [i * STEP for i in range(5)]


def test_a_ros1_topic_with_publishers_of_two_types_is_read_whole(tmp_path, capsys):
    """ROS 1 lets an Image and a CompressedImage publisher share a topic (rosbags then reports no type
    for it): every message is read as its own type, and the topic is listed with a note."""
    import cv2

    events = []
    for i in range(6):
        stamp = T0 + i * STEP
        if i % 2 == 0:
            events.append((TOPIC, image(textured(*HW, i), "rgb8", stamp, store=STORE1), stamp + 1))
        else:
            png = cv2.imencode(".png", np.ascontiguousarray(textured(*HW, i)[:, :, ::-1]))[1].tobytes()
            events.append((TOPIC, compressed(png, "png", stamp, store=STORE1), stamp + 1))
    bag = write_bag1(tmp_path / "mixed.bag", events)
    code, text, _ = _cli(capsys, bag, "--out", tmp_path / "ds")
    assert code == 0 and "connections of 2 message types" in text
    assert _stamps_and_pixels(tmp_path / "ds") == [i * STEP for i in range(6)]


def _tf(parent: str, child: str, xyz, stamp: int, topic: str = "/tf"):
    from mono_depth_ros.core.transforms import make_tf_message, make_transform_stamped, se3

    cls = STORE.types["geometry_msgs/msg/TransformStamped"]
    msg = make_tf_message([make_transform_stamped(se3(np.eye(3), xyz), parent, child, stamp, msg_cls=cls)],
                          msg_cls=STORE.types["tf2_msgs/msg/TFMessage"])
    return (topic, msg, stamp)


def test_an_image_frame_id_change_mid_bag_gives_each_frame_its_own_pose(tmp_path, capsys):
    """A driver restarted with another camera name, or a mux of two cameras: frames 3-5 are stamped
    cam_b, which sits 0.5 m left of cam_a on the robot. Poses were looked up in the first image's
    frame for every frame (frames 3-5 got cam_a's pose, 0.5 m off) with only a warning; each frame's
    own frame_id gives the right one, an empty frame_id the previous frame's."""
    frames = ["cam_a"] * 3 + ["cam_b", "", "cam_b"]
    events = [_tf("base_link", "cam_a", (0.0, 0.0, 0.0), T0, "/tf_static"),
              _tf("base_link", "cam_b", (0.0, 0.5, 0.0), T0, "/tf_static")]
    for i, frame in enumerate(frames):  # the robot drives 1 m per frame along odom x
        events.append(_tf("odom", "base_link", (float(i), 0.0, 0.0), T0 + i * STEP))
        events.append((TOPIC, image(textured(*HW, i), "rgb8", T0 + i * STEP, frame=frame), T0 + i * STEP + 1))
    bag = write_bag(tmp_path / "bag", events)
    code, text, _ = _cli(capsys, bag, "--out", tmp_path / "ds")
    assert code == 0 and "warning" not in text
    assert ("the image frame_id changed mid-bag ('cam_a' from frame 0, 'cam_b' from frame 3): each frame's pose "
            "is that of its own frame_id (--camera-frame sets one for all)") in text
    poses = ff.read_poses_tum(tmp_path / "ds" / "poses_tum.txt")
    xyz = [tuple(np.round(poses[T0 + i * STEP][:3, 3], 6)) for i in range(6)]
    assert xyz == [(0, 0, 0), (1, 0, 0), (2, 0, 0), (3, 0.5, 0), (4, 0.5, 0), (5, 0.5, 0)]
    code, text, _ = _cli(capsys, bag, "--out", tmp_path / "ds_a", "--camera-frame", "cam_a")  # one frame for all
    poses = ff.read_poses_tum(tmp_path / "ds_a" / "poses_tum.txt")
    assert code == 0 and "frame_id changed" not in text
    assert [tuple(np.round(poses[T0 + i * STEP][:3, 3], 6)) for i in range(6)] == [(i, 0, 0) for i in range(6)]


def test_a_bag_without_any_message_says_so(tmp_path, capsys):
    """An empty recording, or one whose only chunk was cut off: no hint to pass --image-topic, which
    cannot help."""
    for bag in (write_bag1(tmp_path / "empty.bag", []), write_bag(tmp_path / "empty2", [])):  # no connections
        code, _, err = _cli(capsys, bag, "--out", tmp_path / "ds")
        assert code == 2 and err.startswith(f"error: bag={str(bag)!r}: no message could be read from it")
        assert "--image-topic" not in err and not (tmp_path / "ds").exists()


@pytest.mark.parametrize("head, problem", [
    (b"", "empty file (0 bytes), not a ROS 1 bag"),
    (bytes(range(256)) * 4, "not a ROS 1 bag (it does not start with the '#ROSBAG V2.0' line)"),
    (b"#ROSRECORD V1.2\n" + b"\0" * 64, "ROS 1 bag format 1.x (pre-Diamondback) is not supported"),
])
def test_a_dot_bag_that_is_no_ros1_bag_is_named_in_one_line(tmp_path, capsys, head, problem):
    bag = tmp_path / "not_a.bag"
    bag.write_bytes(head)
    code, _, err = _cli(capsys, bag, "--list")
    assert code == 2 and err.startswith(f"error: bag={str(bag)!r}: {problem}") and err.count("\n") == 1


def test_empty_or_undecodable_image_topics_are_one_line_errors(tmp_path, capsys):
    writer = Writer(tmp_path / "empty", version=9)
    with writer:  # the recorder subscribed to image_raw, the driver published only .../compressed
        writer.add_connection(TOPIC, IMAGE, typestore=STORE)
    code, _, err = _cli(capsys, tmp_path / "empty", "--out", tmp_path / "ds0")
    assert code == 2 and err == f"error: bag={str(tmp_path / 'empty')!r}: the image topic {TOPIC} has no messages\n"
    assert not (tmp_path / "ds0").exists()

    import cv2

    pngs = [cv2.imencode(".png", textured(*HW, i)[:, :, ::-1])[1].tobytes() for i in range(4)]
    writer = Writer(tmp_path / "both", version=9)
    with writer:
        writer.add_connection(TOPIC, IMAGE, typestore=STORE)
        conn = writer.add_connection(TOPIC + "/compressed", COMPRESSED, typestore=STORE)
        for i, data in enumerate(pngs):
            writer.write(conn, T0 + i * STEP, STORE.serialize_cdr(compressed(data, "png", T0 + i * STEP), COMPRESSED))
    code, out, _ = _cli(capsys, tmp_path / "both", "--out", tmp_path / "ds1")
    assert code == 0 and out.startswith(f"frames written: 4 of 4 image messages\ntopics: image={TOPIC}/compressed")

    bad = write_bag(tmp_path / "yuv420", [(t, _with_encoding(m, "yuv420"), s) for t, m, s in _frames(4)])
    code, out, err = _cli(capsys, bad, "--out", tmp_path / "ds2")
    assert code == 1 and out.startswith("frames written: 0 of 4 image messages")
    assert err.startswith(f"error: none of the 4 messages on {TOPIC} could be written: 4 undecodable "
                          "(InputError: invalid encoding='yuv420': unsupported") and err.count("\n") == 1


def _with_encoding(msg, encoding: str):
    msg.encoding = encoding
    return msg


@pytest.mark.parametrize("fraction", [0.3, 0.55, 0.97])
def test_mcap_cut_inside_a_chunk_keeps_its_whole_messages(tmp_path, capsys, fraction):
    hw = (120, 160)  # 57.6 kB frames: rosbags closes 1 MiB chunks, so 24 frames span 2 chunks
    bag = write_bag(tmp_path / "bag", _frames(24, hw=hw), storage=StoragePlugin.MCAP)
    (bag / "metadata.yaml").unlink()  # the recorder was killed: no metadata, no summary
    member = bag / "bag.mcap"
    data = member.read_bytes()
    ends = [data.find(bytes(STORE.serialize_cdr(m, IMAGE))) + len(STORE.serialize_cdr(m, IMAGE))
            for _, m, _ in _frames(24, hw=hw)]
    assert all(end > 1000 for end in ends)
    cut = int(len(data) * fraction)
    member.write_bytes(data[:cut])
    whole = sum(end <= cut for end in ends)
    code, out, _ = _cli(capsys, bag, "--out", tmp_path / "ds")
    assert code == 0 and out.startswith(f"frames written: {whole} of {whole} image messages")
    assert whole >= 6 and "messages of that chunk were read" in out
    records = ff.read_manifest(tmp_path / "ds" / "manifest.csv")
    assert [r.stamp_ns for r in records] == [T0 + i * STEP for i in range(whole)]
    np.testing.assert_array_equal(ff.read_rgb(tmp_path / "ds" / records[-1].rgb), textured(*hw, whole - 1))


def test_mcap_with_json_protobuf_and_schemaless_channels(tmp_path, capsys):
    path = tmp_path / "foxglove.mcap"
    with open(path, "wb") as stream:
        writer = McapWriter(stream)
        writer.start(profile="ros2", library="test")
        text, _ = STORE.generate_msgdef(IMAGE, ros_version=2)
        cam = writer.register_channel(TOPIC, "cdr", writer.register_schema(IMAGE, "ros2msg", text.encode()))
        proto = writer.register_schema("foxglove.CompressedImage", "protobuf", bytes([0x0A, 0xFF, 0xFE, 0x80]))
        others = [writer.register_channel("/fox/image", "protobuf", proto),
                  writer.register_channel("/diag", "json", 0),
                  writer.register_channel("/foo", "json", writer.register_schema("Foo", "jsonschema", b"{}"))]
        for i, (_, msg, _) in enumerate(_frames(3)):
            writer.add_message(cam, T0 + i * STEP, bytes(STORE.serialize_cdr(msg, IMAGE)), T0 + i * STEP)
            for channel in others:
                writer.add_message(channel, T0 + i * STEP, b"{}", T0 + i * STEP)
        writer.finish()
    code, out, _ = _cli(capsys, path, "--list")
    assert code == 0
    assert [line.split()[1:] for line in out.splitlines()[1:]] == [
        ["sensor_msgs/msg/Image", "3", "msgs", "8x6", "rgb8,", "frame_id", "'cam'"], ["(no", "schema)", "3", "msgs"],
        ["Foo", "(jsonschema)", "3", "msgs"], ["foxglove.CompressedImage", "(protobuf)", "3", "msgs"]]
    code, out, _ = _cli(capsys, path, "--out", tmp_path / "ds")
    assert code == 0 and out.startswith("frames written: 3 of 3 image messages")


def test_depth_beyond_the_png_range_is_counted_and_kept_in_npy(tmp_path):
    depth_topic = "/cam/depth/image"
    depth = np.full(HW, 1.5, np.float32)
    depth[0, :6] = [np.nan, np.inf, -np.inf, -1.0, 0.0, 100.0]
    events = _frames(3) + [(depth_topic, image(depth, "32FC1", T0 + i * STEP), T0 + i * STEP + 2) for i in range(3)]
    bag = write_bag(tmp_path / "bag", events)
    report = extract_bag(bag, tmp_path / "png")
    assert report.warnings == {"depth beyond 65.535 m (the 16-bit mm PNG limit) written as invalid, in frames; "
                               "--depth-format npy keeps it": 3}
    png = ff.read_depth(tmp_path / "png" / "depth" / "000002.png")
    assert np.isnan(png[0, :6]).all() and np.allclose(png[1:], 1.5) and np.allclose(png[0, 6:], 1.5)
    assert not extract_bag(bag, tmp_path / "npy", depth_format="npy").warnings
    npy = np.load(tmp_path / "npy" / "depth" / "000002.npy")
    assert np.isnan(npy[0, :5]).all() and npy[0, 5] == 100.0 and np.allclose(npy[1:], 1.5)


def test_changed_topic_is_a_typed_error_naming_it(tmp_path):
    extract_bag(write_bag(tmp_path / "bag", _frames(3)), tmp_path / "ds")
    renamed = write_bag(tmp_path / "renamed", [(TOPIC + "/x", m, s) for _, m, s in _frames(3)])
    with pytest.raises(ForeignFolderError, match="image_topic '/cam/image_raw' there, '/cam/image_raw/x' now"):
        extract_bag(renamed, tmp_path / "ds")


def test_a_failed_extraction_can_be_retried_with_other_options(tmp_path):
    """An attempt that wrote no frame (only extract.yaml and the partial manifest's header) does not
    bind the folder to its options: a retry with other options is allowed; once a frame is logged
    it is."""
    from training.data import resume

    out = tmp_path / "ds"
    out.mkdir()
    resume.write_settings(out, {"image_topic": "/cam/image_raw", "rectify": "on"})
    (out / resume.PARTIAL).write_text(",".join(ff.MANIFEST_FIELDS) + "\n")
    resume.check_out_dir(out, {"image_topic": "/cam/image_raw", "rectify": "auto"})  # no error
    with open(out / resume.PARTIAL, "a") as stream:
        stream.write("0,1,rgb/000000.png,,,0\n")
    with pytest.raises(ForeignFolderError, match="rectify 'on' there, 'auto' now"):
        resume.check_out_dir(out, {"image_topic": "/cam/image_raw", "rectify": "auto"})


def test_mcap_with_a_garbage_record_length_is_no_crash(tmp_path):
    """A whole header record then a record whose length says 32 TiB (a damaged file): reading it
    neither allocates that nor raises anything but the reader's own one-line errors."""
    from mono_depth_ros.bags.reader import open_bag
    from mono_depth_ros.bags.source import BagFormatError

    magic = b"\x89MCAP0\r\n"
    profile, library = b"ros2", b"test"
    body = len(profile).to_bytes(4, "little") + profile + len(library).to_bytes(4, "little") + library
    header = b"\x01" + len(body).to_bytes(8, "little") + body
    path = tmp_path / "damaged.mcap"
    path.write_bytes(magic + header + b"\x06" + (2 ** 45).to_bytes(8, "little") + b"\x00" * 64)
    try:
        with open_bag(path) as source:
            list(source.messages(list(source.topics)))
    except (BagFormatError, ValueError, OSError) as exc:
        assert "\n" not in str(exc)
