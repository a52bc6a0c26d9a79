"""Extraction of bags that are still being recorded, or were cut off: a rosbag2 ``.db3`` cut at any
byte or read in WAL mode while the recorder writes, and ROS 1 bags without their index (cut before
it, cut inside a chunk, compressed chunks, a ``.bag.active`` with the recorder's placeholder sizes).

Every bag is written by the rosbags library and then cut. What must survive a cut is computed from
the uncut file, not by the reader under test: the byte where each frame's serialised payload ends
(found by searching the file for the payload), for sqlite3 rounded up to its page (a page that is
only partly present is not trusted), for compressed ROS 1 chunks the chunk ends rosbags' index gives.
"""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest
from rosbags.rosbag1 import Reader as Reader1
from rosbags.rosbag1 import Writer as Writer1

from mono_depth_ros.bags.reader import RosbagsSource, open_bag
from training.__main__ import main
from training.data import folder_format as ff

from _extract_bags import IMAGE, STORE, STORE1, T0, _write_events, image, info, k_matrix, textured, write_bag

N, STEP, HW = 30, 100_000_000, (24, 32)
INFO_TOPIC, IMAGE_TOPIC = "/cam/camera_info", "/cam/image_raw"


def _frame(i: int, store=STORE, hw=HW):
    return image(textured(*hw, i), "rgb8", T0 + i * STEP, store=store)


def _events(store=STORE, frames=range(N), hw=HW):
    """A camera_info (log time T0), then frame i at log time T0 + i * STEP + 1 (header stamp T0 + i * STEP)."""
    events = [(INFO_TOPIC, info(hw[1], hw[0], k_matrix(40, 40, 16, 12), stamp_ns=T0, store=store), T0)]
    return events + [(IMAGE_TOPIC, _frame(i, store, hw), T0 + i * STEP + 1) for i in frames]


def _payload_ends(data: bytes) -> list[int]:
    """Byte after each frame's serialised ROS 1 payload in the bag file ``data`` (stored in one piece)."""
    ends = []
    for i in range(N):
        payload = bytes(STORE1.serialize_ros1(_frame(i, STORE1), IMAGE))
        start = data.find(payload)
        assert start > 0, f"frame {i} is not stored as one piece"
        ends.append(start + len(payload))
    return ends


def _db3_sizes(data: bytes, hw) -> list[int]:
    """File size each frame needs in the sqlite3 file ``data``: the end of the page holding the start
    of its payload (its cell's leaf page) and of the page holding its end (the last overflow page;
    SQLite allocates the chain in between in order)."""
    page = int.from_bytes(data[16:18], "big")
    sizes = []
    for i in range(N):
        payload = bytes(STORE.serialize_cdr(_frame(i, STORE, hw), IMAGE))
        head, tail = data.find(payload[:160]) + 160, data.find(payload[-64:]) + 64
        assert head > 160 and tail > 64
        sizes.append(max(-(-head // page), -(-tail // page)) * page)
    return sizes


def _extract(bag, out, capsys) -> tuple[int, str]:
    code = main(["extract", str(bag), "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out


def _assert_frames(out, count: int, hw=HW) -> None:
    """The first ``count`` frames were written, in order, each with the recorded pixels."""
    records = ff.read_manifest(out / "manifest.csv")
    assert [r.stamp_ns for r in records] == [T0 + i * STEP for i in range(count)]
    for i, record in enumerate(records):
        np.testing.assert_array_equal(ff.read_rgb(out / record.rgb), textured(*hw, i))


def _cut(path, size: int) -> None:
    with open(path, "r+b") as stream:
        stream.truncate(size)


# ------------------------------------------------------------------------------------------------
# rosbag2 sqlite3


@pytest.mark.parametrize("fraction,given,hw", [(0.33, "folder", HW), (0.61, "file", HW),
                                               (0.87, "folder with metadata.yaml", HW),
                                               (0.52, "folder", (96, 128))])  # 36 kB frames: overflow pages
def test_cut_db3_keeps_every_whole_message_and_says_where_it_was_cut(tmp_path, capsys, fraction, given, hw):
    bag = write_bag(tmp_path / "rec", _events(hw=hw))
    db3 = bag / "rec.db3"
    data = db3.read_bytes()
    cut = int(len(data) * fraction)
    expected = sum(size <= cut for size in _db3_sizes(data, hw))
    assert 5 <= expected < N
    _cut(db3, cut)
    if given != "folder with metadata.yaml":
        (bag / "metadata.yaml").unlink()  # the recorder never finished
    code, out = _extract(db3 if given == "file" else bag, tmp_path / "ds", capsys)
    assert code == 0 and out.startswith(f"frames written: {expected} of {expected} image messages")
    _assert_frames(tmp_path / "ds", expected, hw)
    # rows: camera_info id 1, frame i id i + 2; the last whole one is frame expected - 1
    assert (f"note: rec.db3 is damaged (database disk image is malformed; {cut} of {len(data)} bytes present)"
            f" after message id {expected + 1} / log time {T0 + (expected - 1) * STEP + 1} ns;"
            f" {expected + 1} whole messages read") in out


def test_cut_db3_without_apsw_is_read_with_pythons_sqlite3(tmp_path, capsys, monkeypatch):
    """rosbags before apsw: the same reading through Python's sqlite3 (a cut on a page boundary)."""
    from mono_depth_ros.bags import db3 as salvage

    monkeypatch.setattr(salvage, "apsw", None)
    bag = write_bag(tmp_path / "rec", _events())
    (bag / "metadata.yaml").unlink()
    data = (bag / "rec.db3").read_bytes()
    page = int.from_bytes(data[16:18], "big")
    cut = len(data) // 2 // page * page
    expected = sum(size <= cut for size in _db3_sizes(data, HW))
    _cut(bag / "rec.db3", cut)
    code, out = _extract(bag, tmp_path / "ds", capsys)
    assert code == 0 and out.startswith(f"frames written: {expected} of {expected} image messages")
    _assert_frames(tmp_path / "ds", expected)
    assert f"after message id {expected + 1} / log time {T0 + (expected - 1) * STEP + 1} ns;" in out


def test_db3_cut_before_its_topics_and_garbage_are_one_line_errors(tmp_path, capsys):
    bag = write_bag(tmp_path / "rec", _events())
    (bag / "metadata.yaml").unlink()
    _cut(bag / "rec.db3", 5000)  # the topics page is gone
    (tmp_path / "junk.db3").write_bytes(np.random.default_rng(0).bytes(20000))
    (tmp_path / "junk.bag").write_bytes(np.random.default_rng(1).bytes(20000))
    for path, why in [(bag, "not a readable rosbag2 sqlite3 file"), (tmp_path / "junk.db3", "not a readable"),
                      (tmp_path / "junk.bag", "not a ROS 1 bag")]:
        assert main(["extract", str(path), "--out", str(tmp_path / "ds")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: bag=") and why in err and err.count("\n") == 1
    assert not (tmp_path / "ds").exists()


def _recorder(db3, journal_mode: str) -> sqlite3.Connection:
    """A second writer on the rosbags-written file, as a running recorder holds it."""
    con = sqlite3.connect(db3, isolation_level=None, timeout=0)
    con.execute(f"PRAGMA journal_mode={journal_mode}")
    con.execute("PRAGMA wal_autocheckpoint=0")
    return con


def _record(con, frames) -> None:
    (topic_id,) = con.execute("SELECT id FROM topics WHERE name = ?", (IMAGE_TOPIC,)).fetchone()
    for i in frames:
        con.execute("INSERT INTO messages (topic_id, timestamp, data) VALUES (?, ?, ?)",
                    (topic_id, T0 + i * STEP + 1, bytes(STORE.serialize_cdr(_frame(i), IMAGE))))


def test_db3_in_wal_mode_is_read_with_its_wal_while_recording(tmp_path, capsys):
    bag = write_bag(tmp_path / "rec", _events(frames=range(10)))
    (bag / "metadata.yaml").unlink()
    db3 = bag / "rec.db3"
    recorder = _recorder(db3, "WAL")
    try:
        for i in range(10, 20):  # committed one by one into the -wal, never checkpointed
            _record(recorder, [i])
        recorder.execute("BEGIN")
        _record(recorder, range(20, N))  # the transaction in flight is not part of the recording yet
        side_files = sorted(p.name for p in bag.iterdir())
        assert side_files == ["rec.db3", "rec.db3-shm", "rec.db3-wal"]
        code, out = _extract(bag, tmp_path / "ds", capsys)
        assert code == 0 and out.startswith("frames written: 20 of 20 image messages")
        _assert_frames(tmp_path / "ds", 20)
        # a copy taken while recording, without -shm and with the -wal cut: every whole transaction
        copy = tmp_path / "copy"
        copy.mkdir()
        shutil.copy(db3, copy / "rec.db3")
        wal = (bag / "rec.db3-wal").read_bytes()
        (copy / "rec.db3-wal").write_bytes(wal[: int(len(wal) * 0.6)])
    finally:
        recorder.execute("ROLLBACK")
        recorder.close()
    reference = tmp_path / "reference"
    shutil.copytree(copy, reference)  # SQLite's own WAL recovery, on a writable copy, says what is whole
    with sqlite3.connect(reference / "rec.db3") as con:
        expected = con.execute("SELECT COUNT(*) FROM messages JOIN topics ON topics.id = topic_id"
                               " WHERE name = ?", (IMAGE_TOPIC,)).fetchone()[0]
    assert 10 < expected < 20
    code, out = _extract(copy, tmp_path / "ds_copy", capsys)
    assert code == 0 and out.startswith(f"frames written: {expected} of {expected} image messages")
    _assert_frames(tmp_path / "ds_copy", expected)
    assert sorted(p.name for p in copy.iterdir()) == ["rec.db3", "rec.db3-wal"]  # no -shm left behind


def test_reading_a_db3_never_blocks_its_recorder(tmp_path):
    """Without a WAL the file is read without locks: a recorder commits while a reader is mid-way."""
    bag = write_bag(tmp_path / "rec", _events(frames=range(10)))
    (bag / "metadata.yaml").unlink()
    recorder = _recorder(bag / "rec.db3", "DELETE")
    with open_bag(bag) as source:
        messages = source.messages([IMAGE_TOPIC])
        next(messages)
        _record(recorder, [10])  # timeout=0: raises "database is locked" if the reader held a lock
        assert len(list(messages)) >= 9
    recorder.close()


# ------------------------------------------------------------------------------------------------
# ROS 1


def _write_bag1(path, compression: str | None = None, chunk_threshold: int = 8000):
    """rosbags' ROS 1 writer with small chunks (about 3 frames each)."""
    writer = Writer1(path)
    if compression:
        writer.set_compression(getattr(Writer1.CompressionFormat, compression))
    writer.chunk_threshold = chunk_threshold
    with writer:
        _write_events(writer, _events(STORE1), STORE1, STORE1.serialize_ros1)
    with Reader1(path) as reader:  # chunk (start, end, messages) from the index of the whole bag
        chunks = [(i.pos, reader.chunks[i.pos].datapos + reader.chunks[i.pos].datasize,
                   sum(i.connection_counts.values())) for i in reader.chunk_infos]
    return path, chunks


def _index_pos(data: bytes) -> int:
    at = data.index(b"index_pos=", 0, 4096) + len(b"index_pos=")
    return int.from_bytes(data[at:at + 8], "little")


def test_ros1_bag_cut_before_its_index_is_scanned(tmp_path, capsys):
    bag, chunks = _write_bag1(tmp_path / "rec.bag")
    assert len(chunks) >= 5 and isinstance(open_bag(bag), RosbagsSource)  # whole bags: the indexed reader
    data = bag.read_bytes()
    _cut(bag, _index_pos(data))  # the connection and chunk info records at the end are gone
    code, out = _extract(bag, tmp_path / "ds", capsys)
    assert code == 0 and out.startswith(f"frames written: {N} of {N} image messages")
    _assert_frames(tmp_path / "ds", N)
    assert "note: rec.bag has no usable index (Bag index looks damaged" in out
    assert f"scanned {len(chunks)} chunks, {N + 1} messages\n" in out


@pytest.mark.parametrize("compression,fraction", [(None, 0.45), (None, 0.8), ("BZ2", 0.6), ("LZ4", 0.7)])
def test_ros1_bag_cut_inside_a_chunk_keeps_the_whole_messages(tmp_path, capsys, compression, fraction):
    bag, chunks = _write_bag1(tmp_path / "rec.bag", compression)
    data = bag.read_bytes()
    cut = int(len(data) * fraction)
    number = sum(start < cut for start, _, _ in chunks)  # the chunk the cut falls in
    start, end, _ = chunks[number - 1]
    assert start < cut < end
    if compression is None:
        expected = sum(e <= cut for e in _payload_ends(data))
    else:  # a compressed chunk is read only whole; camera_info is the first message of chunk 1
        expected = sum(count for _, chunk_end, count in chunks if chunk_end <= cut) - 1
    assert 5 <= expected < N
    _cut(bag, cut)
    code, out = _extract(bag, tmp_path / "ds", capsys)
    assert code == 0 and out.startswith(f"frames written: {expected} of {expected} image messages")
    _assert_frames(tmp_path / "ds", expected)
    last_ns = T0 + (expected - 1) * STEP + 1
    if compression is None:
        assert f"; cut inside chunk {number} at byte " in out and f"messages after {last_ns} ns are lost" in out
    else:
        assert (f"; cut inside chunk {number} ({compression.lower()}-compressed) at byte {cut}: a compressed chunk"
                f" is read only whole, so its messages and all after {last_ns} ns are lost") in out


def test_ros1_bag_active_with_the_recorders_placeholder_sizes(tmp_path, capsys):
    """rosbag record writes index_pos 0 and an open chunk's sizes as 0 until it closes the chunk."""
    bag, chunks = _write_bag1(tmp_path / "rec.bag")
    data = bytearray(bag.read_bytes())
    cut = int(len(data) * 0.7)
    expected = sum(e <= cut for e in _payload_ends(bytes(data)))
    start = max(pos for pos, _, _ in chunks if pos < cut)  # the chunk being written
    at = data.index(b"index_pos=", 0, 4096) + len(b"index_pos=")
    data[at:at + 8] = bytes(8)
    header_len = int.from_bytes(data[start:start + 4], "little")
    at = data.index(b"size=", start + 4, start + 4 + header_len) + len(b"size=")
    data[at:at + 4] = bytes(4)
    data[start + 4 + header_len:start + 8 + header_len] = bytes(4)  # the chunk's data length
    active = tmp_path / "rec.bag.active"
    active.write_bytes(bytes(data[:cut]))
    code, out = _extract(active, tmp_path / "ds", capsys)
    assert code == 0 and out.startswith(f"frames written: {expected} of {expected} image messages")
    _assert_frames(tmp_path / "ds", expected)
    assert "note: rec.bag.active has no usable index (a .bag.active: the recorder is still running" in out
    assert f"cut inside chunk {len([c for c in chunks if c[0] < cut])} at byte" in out
    assert f"messages after {T0 + (expected - 1) * STEP + 1} ns are lost" in out
