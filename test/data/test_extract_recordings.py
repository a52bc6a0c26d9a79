"""Extraction of what real recordings contain: stamps going backwards, a depth camera of another
namespace, undecodable frames, compressedDepth (PNG and RVL), split bags without metadata.yaml,
a recording cut off mid-chunk. Every bag is written by the rosbags library."""

from __future__ import annotations

import shutil
import struct

import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin

from training.data import folder_format as ff
from mono_depth_ros.bags.reader import BagFormatError, open_bag
from training.data.extract import extract_bag

from _extract_bags import T0, compressed, image, textured, write_bag

STEP = 100_000_000


def _frames(n, topic="/cam/image_raw", size=(6, 8), stamps=None, frame="cam"):
    stamps = stamps or [T0 + i * STEP for i in range(n)]
    return [(topic, image(textured(*size, i), "rgb8", s, frame), T0 + i * STEP) for i, s in enumerate(stamps)]


def test_stamps_going_backwards_are_dropped_and_counted(tmp_path):
    stamps = [T0, T0 + STEP, T0 + 2 * STEP, T0 + STEP // 2, T0 + 2 * STEP, T0 + 3 * STEP]  # back, repeat
    report = extract_bag(write_bag(tmp_path / "bag", _frames(6, stamps=stamps)), tmp_path / "ds")
    records = ff.read_manifest(tmp_path / "ds" / "manifest.csv")
    assert [r.stamp_ns for r in records] == [T0, T0 + STEP, T0 + 2 * STEP, T0 + 3 * STEP]
    assert (report.written, report.messages, sum(report.dropped.values())) == (4, 6, 2)
    np.testing.assert_array_equal(ff.read_rgb(tmp_path / "ds" / records[3].rgb), textured(6, 8, 5))
    assert not any("gap" in note for note in report.notes)
    gappy = [T0, T0 + STEP, T0 + 2 * STEP, T0 + 7 * STEP, T0 + 8 * STEP]  # 4 frames lost in the recording
    report = extract_bag(write_bag(tmp_path / "gap", _frames(5, stamps=gappy)), tmp_path / "ds_gap")
    assert "1 gap(s) longer than 3x the median frame interval (100.0 ms); the largest, 0.500 s, after frame 2" \
        in report.notes


def _depth16(i, stamp, topic, frame="cam"):
    return (topic, image(np.full((6, 8), 1000 * (i + 1), np.uint16), "16UC1", stamp, frame), stamp)


def test_depth_of_another_namespace_is_not_paired(tmp_path):
    events = _frames(2) + [_depth16(i, T0 + i * STEP, "/other_robot/depth/image", "other_depth") for i in range(2)]
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds")
    assert report.selection.depth is None
    assert [r.depth for r in ff.read_manifest(tmp_path / "ds" / "manifest.csv")] == ["", ""]
    assert "depth topic /other_robot/depth/image not used" in report.summary()
    # given explicitly it is used, with a warning when its frame differs from the image's
    report = extract_bag(tmp_path / "bag", tmp_path / "ds2", depth_topic="/other_robot/depth/image")
    assert report.written == 2 and "differs from image frame" in report.summary()
    np.testing.assert_allclose(ff.read_depth(tmp_path / "ds2" / "depth" / "000001.png"), 2.0)


def test_summary_counts_written_frames_and_keeps_whole_errors(tmp_path):
    events = _frames(3)
    bad = image(np.zeros((6, 8, 3), np.uint8), "rgb8", T0 + 5 * STEP)
    bad.encoding = "yuv420"
    events.append(("/cam/image_raw", bad, T0 + 5 * STEP))
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds")
    text = report.summary()
    assert (report.written, report.frames) == (3, 3)
    assert text.startswith("frames written: 3 of 4 image messages")
    assert "yuv420" in text and "'yuv422_yuy2']" in text  # the list of known encodings, whole


def _rvl(img: np.ndarray) -> bytes:
    """RVL as compressed_depth_image_transport's CompressRVL writes it (nibbles into int32 words)."""
    flat, values, prev, i = [int(v) for v in img.reshape(-1)], [], 0, 0
    while i < len(flat):
        start = i
        while i < len(flat) and flat[i] == 0:
            i += 1
        values.append(i - start)
        start = i
        while i < len(flat) and flat[i] != 0:
            i += 1
        values.append(i - start)
        for v in flat[start:i]:
            delta, prev = v - prev, v
            values.append((delta << 1) ^ (delta >> 31))
    nibbles = []
    for value in values:
        while True:
            nibble, value = value & 7, value >> 3
            nibbles.append(nibble | (8 if value else 0))
            if not value:
                break
    nibbles += [0] * (-len(nibbles) % 8)
    words = [int("".join(f"{n:x}" for n in nibbles[k:k + 8]), 16) for k in range(0, len(nibbles), 8)]
    return struct.pack("<II", img.shape[1], img.shape[0]) + struct.pack(f"<{len(words)}I", *words)


def _compressed_depth(depth_m: np.ndarray, encoding: str, codec: str, stamp: int):
    """As compressed_depth_image_transport encodes (depth_max 10 m, depth_quantization 100)."""
    if encoding == "16UC1":
        raw = np.where(np.isfinite(depth_m), np.rint(depth_m * 1000), 0).astype(np.uint16)
        quant = (0.0, 0.0)
    else:
        quant_a = 100.0 * 101.0
        quant_b = 1.0 - quant_a / 10.0
        raw = np.where(np.isfinite(depth_m), quant_a / np.where(np.isfinite(depth_m), depth_m, 1) + quant_b, 0)
        raw, quant = raw.astype(np.uint16), (quant_a, quant_b)
    body = cv2.imencode(".png", raw)[1].tobytes() if codec == "png" else _rvl(raw)
    head = struct.pack("<iff", 0, *quant)
    return compressed(head + body, f"{encoding}; compressedDepth {codec}", stamp)


@pytest.mark.parametrize("encoding,codec", [("16UC1", "png"), ("16UC1", "rvl"), ("32FC1", "png"), ("32FC1", "rvl")])
def test_compressed_depth_png_and_rvl(tmp_path, encoding, codec):
    depth_m = np.linspace(0.5, 4.0, 48, dtype=np.float32).reshape(6, 8)
    depth_m[0, :3] = np.nan  # holes: 0 in the transport
    depth_m[4, 5] = np.nan
    msg = _compressed_depth(depth_m, encoding, codec, T0)
    events = _frames(1) + [("/cam/depth/image_raw/compressedDepth", msg, T0)]
    report = extract_bag(write_bag(tmp_path / "bag", events), tmp_path / "ds", depth_format="npy")
    assert report.selection.depth == "/cam/depth/image_raw/compressedDepth" and not report.errors
    got = ff.read_depth(tmp_path / "ds" / "depth" / "000000.npy")
    np.testing.assert_array_equal(np.isnan(got), np.isnan(depth_m))
    # 16UC1: millimetres; 32FC1: 16-bit inverse depth, about 0.4 mm at 4 m with these settings
    np.testing.assert_allclose(got, depth_m, atol=5e-4 if encoding == "16UC1" else 2e-3)


def _mcap_member(tmp_path, name, frames):
    bag = write_bag(tmp_path / name, frames, storage=StoragePlugin.MCAP)
    return next(bag.glob("*.mcap"))


def test_split_bag_folder_without_metadata(tmp_path):
    frames = _frames(4)
    folder = tmp_path / "rec"
    folder.mkdir()
    shutil.move(_mcap_member(tmp_path, "a", frames[2:]), folder / "rec_1.mcap")  # names say the order
    shutil.move(_mcap_member(tmp_path, "b", frames[:2]), folder / "rec_0.mcap")
    report = extract_bag(folder, tmp_path / "ds")
    assert [r.stamp_ns for r in ff.read_manifest(tmp_path / "ds" / "manifest.csv")] == [T0 + i * STEP for i in range(4)]
    assert report.written == 4 and "no metadata.yaml" in report.summary()
    db_folder = write_bag(tmp_path / "db", frames, compression="MESSAGE")  # zstd per message
    (db_folder / "metadata.yaml").unlink()  # sqlite3 recording still running
    assert extract_bag(db_folder, tmp_path / "ds_db").written == 4
    np.testing.assert_array_equal(ff.read_rgb(tmp_path / "ds_db" / "rgb" / "000003.png"), textured(6, 8, 3))


def test_db3_file_given_for_its_folder_reads_the_folder(tmp_path):
    bag = write_bag(tmp_path / "bag", _frames(1))
    with open_bag(next(bag.glob("*.db3"))) as source:
        assert source.path == bag and "is part of the rosbag2 folder bag: read the folder" in source.notes[0]
        assert [topic for topic, *_ in source.messages()] == ["/cam/image_raw"]


def test_truncated_recording_keeps_whole_chunks_and_says_what_was_cut(tmp_path):
    """rosbags closes an MCAP chunk after 1 MiB: 400x400 rgb8 frames give a chunk every 3 frames."""
    frames = [("/cam/image_raw", image(np.full((400, 400, 3), i, np.uint8), "rgb8", T0 + i * STEP), T0 + i * STEP)
              for i in range(7)]
    bag = write_bag(tmp_path / "bag", frames, storage=StoragePlugin.MCAP)
    (bag / "metadata.yaml").unlink()
    member = next(bag.glob("*.mcap"))
    data = member.read_bytes()
    member.write_bytes(data[: len(data) - 200_000])  # the recorder died in the third chunk (480 kB)
    report = extract_bag(bag, tmp_path / "ds")
    records = ff.read_manifest(tmp_path / "ds" / "manifest.csv")
    assert [r.stamp_ns for r in records] == [T0 + i * STEP for i in range(6)]
    assert int(ff.read_rgb(tmp_path / "ds" / records[5].rgb)[0, 0, 0]) == 5
    assert any("ends inside a record" in n and f"after log time {T0 + 5 * STEP} ns" in n for n in report.notes)


def test_rvl_known_bytes():
    """[0, 0, 5, 6] by hand: values 2 zeros, 2 nonzeros, zigzag deltas 10 and 2 -> nibbles 2 2 A 1 2
    (10 = 0b1010: low 3 bits 2 with the more-flag, then 1) -> word 0x22A12000, little-endian."""
    from mono_depth_ros.core.compressed_depth import decode_rvl

    payload = struct.pack("<II", 4, 1) + bytes.fromhex("0020a122")
    np.testing.assert_array_equal(decode_rvl(payload), [[0, 0, 5, 6]])
    assert _rvl(np.array([[0, 0, 5, 6]], np.uint16)) == payload  # the test encoder agrees with the hand result
