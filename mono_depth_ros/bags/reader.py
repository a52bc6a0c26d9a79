"""Read any rosbag without ROS: rosbag2 folders (sqlite3 / MCAP, file- or message-level
compression, split into several files), ROS 1 ``.bag`` files, bare ``.mcap`` / ``.db3`` files and
folders of them whose ``metadata.yaml`` is missing (a recording that is still running, or one
member of a split recording), including files cut off while recording: an MCAP whose last chunk
was cut, a truncated ``.db3``, a ROS 1 bag without its index (``db3.py``, ``ros1_scan.py``).

``open_bag(path)`` returns a :class:`BagSource`; iterating it yields
``(topic, msgtype, stamp_ns, msg)`` with ``msgtype`` normalised to ``pkg/msg/Name``,
``stamp_ns`` the bag's log time and ``msg`` a deserialised rosbags message. Messages that cannot
be decompressed or deserialised are skipped and counted in ``BagSource.errors`` by
``(topic, reason)``: one corrupt message never stops a whole extraction. What could not be read
at all (a truncated file's tail, split members listed but absent) is said in ``BagSource.notes``.
"""

from __future__ import annotations

import collections
import os
import re
from pathlib import Path

from mono_depth_ros.bags.source import (ZSTD_MAGIC, BagFormatError, BagSource, TopicSummary, error_text,
                                        normalize_msgtype, register_type)


class RosbagsSource(BagSource):
    """rosbag2 folders (metadata.yaml present) and ROS 1 bags, via ``rosbags.highlevel.AnyReader``."""

    def __init__(self, path: Path) -> None:
        from rosbags.highlevel import AnyReader
        from rosbags.typesys import Stores, get_typestore

        super().__init__(path)
        store = Stores.ROS1_NOETIC if path.suffix == ".bag" else Stores.ROS2_KILTED
        try:
            self._reader = AnyReader([path], default_typestore=get_typestore(store))
            self._reader.open()
        except Exception as exc:  # rosbags raises several unrelated types here
            raise BagFormatError(f"bag={str(path)!r}: cannot open ({error_text(exc)})") from exc
        for topic, info in self._reader.topics.items():
            msgtype = info.msgtype
            if msgtype is None:  # ROS 1 lets publishers of different types share a topic: rosbags says None
                counts: dict[str, int] = {}
                for conn in info.connections:
                    name = normalize_msgtype(conn.msgtype)
                    counts[name] = counts.get(name, 0) + int(getattr(conn, "msgcount", 0) or 0)
                msgtype = max(counts, key=counts.get)
                self._note(f"{topic}: connections of {len(counts)} message types ({', '.join(sorted(counts))}); "
                           f"listed as {msgtype}, each message read as its own type")
            self.topics[topic] = TopicSummary(topic, normalize_msgtype(msgtype), int(info.msgcount))

    def messages(self, topics=None):
        wanted = None if topics is None else set(topics)
        conns = [c for c in self._reader.connections if wanted is None or c.topic in wanted]
        if not conns:
            return
        raw_iter = self._reader.messages(connections=conns)
        while True:
            try:
                conn, stamp_ns, raw = next(raw_iter)
            except StopIteration:
                return
            except Exception as exc:  # a broken chunk: what follows cannot be read
                self._note(f"{self.path}: reading stopped ({error_text(exc)})")
                return
            try:
                msg = self._reader.deserialize(raw, conn.msgtype)
            except Exception as exc:  # truncated / corrupt payload: count it, keep going
                self._record_error(conn.topic, exc)
                continue
            yield conn.topic, normalize_msgtype(conn.msgtype), int(stamp_ns), msg

    def close(self) -> None:
        self._reader.close()


def _member_order(path: Path) -> tuple:
    """Split members sort by their trailing number (``bag_2`` before ``bag_10``)."""
    numbers = re.findall(r"\d+", path.stem)
    return (path.stem.rstrip("0123456789_"), int(numbers[-1]) if numbers else -1, path.name)


class McapSource(BagSource):
    """Bare ``.mcap`` files (or a folder of them without metadata.yaml), read with ``mcap``.

    Message types come from the schemas stored in the file; payloads that start with the zstd
    magic bytes are decompressed first (rosbag2 ``compression_mode: MESSAGE``). A file without a
    summary section (still being recorded, or cut off) is read record by record up to the first
    incomplete record, and what was lost is said in ``notes``.
    """

    def __init__(self, path: Path, files: list[Path] | None = None) -> None:
        from rosbags.typesys import Stores, get_typestore

        super().__init__(path)
        self.files = files or (sorted(path.glob("*.mcap"), key=_member_order) if path.is_dir() else [path])
        self.typestore = get_typestore(Stores.EMPTY)
        self._channels: dict[tuple[Path, int], tuple[str, str]] = {}
        self._summaries = {file: self._summary(file) for file in self.files}
        counts: collections.Counter[str] = collections.Counter()
        types: dict[str, str] = {}
        unknown_count: set[str] = set()
        for file, summary in self._summaries.items():
            if summary is None:  # no summary: learn channels by streaming (cheap for small files)
                for _ in self._stream(file, wanted=set()):
                    pass
                for (f, _), (topic, msgtype) in self._channels.items():
                    if f == file:
                        types[topic] = msgtype
                        unknown_count.add(topic)
                continue
            for cid, channel in summary.channels.items():
                msgtype = self._add_channel(file, cid, channel.topic, summary.schemas.get(channel.schema_id))
                types[channel.topic] = msgtype
                if summary.statistics is not None:
                    counts[channel.topic] += summary.statistics.channel_message_counts.get(cid, 0)
                else:
                    unknown_count.add(channel.topic)
        for topic, msgtype in types.items():
            self.topics[topic] = TopicSummary(topic, msgtype, -1 if topic in unknown_count else counts.get(topic, 0))

    def _add_channel(self, file: Path, cid: int, topic: str, schema) -> str:
        """Register the channel's ROS 2 definition. MCAPs from other tools (Foxglove) also hold json
        or protobuf channels, or channels without a schema: listed with their encoding, never read."""
        if schema is None or schema.encoding not in ("ros2msg", "ros2idl", ""):
            msgtype = f"{schema.name} ({schema.encoding})" if schema is not None else "(no schema)"
        else:
            msgtype = normalize_msgtype(schema.name)
            try:
                register_type(self.typestore, msgtype, schema.encoding, schema.data.decode())
            except Exception as exc:  # a definition rosbags cannot parse: that topic only is unreadable
                self._note(f"{topic}: the definition of {msgtype} stored in {file.name} cannot be parsed"
                           f" ({error_text(exc)[:120]}); its messages are not read")
        self._channels[(file, cid)] = (topic, msgtype)
        return msgtype

    @staticmethod
    def _summary(file: Path):
        from mcap.reader import make_reader

        try:
            with open(file, "rb") as stream:
                return make_reader(stream).get_summary()
        except Exception as exc:
            with open(file, "rb") as stream:
                if stream.read(5) != b"\x89MCAP":
                    raise BagFormatError(f"bag={str(file)!r}: not an MCAP file ({error_text(exc)})") from exc
            return None  # a valid start without a readable end: stream it

    def _stream(self, file: Path, wanted: set[str] | None):
        """Records of an MCAP without summary, up to the first incomplete one: (channel id, Message).

        A chunk cut off (recorder killed mid-chunk) still yields its records that are whole: of an
        uncompressed chunk every one before the cut, of a compressed one what decompresses."""
        from mcap.records import Chunk, Message
        from mcap.stream_reader import StreamReader, breakup_chunk

        schemas: dict[int, object] = {}
        self._last_ns = None
        with open(file, "rb") as stream:
            stream.seek(8)  # past the magic (checked in _summary): each next() reads one record
            records = StreamReader(stream, skip_magic=True, emit_chunks=True).records
            while True:
                start = stream.tell()
                try:
                    record = next(records)
                except StopIteration:
                    return
                except Exception as exc:  # a record cut off (or garbage): keep what was whole
                    stream.seek(start)
                    head = stream.read(9)  # opcode, length: read no more than the one record, nor the file
                    left = os.fstat(stream.fileno()).st_size - stream.tell()
                    try:
                        salvaged = _cut_chunk_records(head + stream.read(min(int.from_bytes(head[1:9], "little"),
                                                                             max(left, 0))))
                    except Exception:  # a garbage length or a chunk that does not decompress: nothing to keep
                        salvaged = []
                    for item in salvaged:
                        yield from self._stream_record(file, item, schemas, wanted)
                    whole = sum(isinstance(r, Message) for r in salvaged)
                    self._note_cut(file, start, type(exc).__name__ + (
                        f"; the {whole} whole messages of that chunk were read" if whole else ""))
                    return
                if isinstance(record, Chunk):
                    try:
                        inner = breakup_chunk(record)
                    except Exception as exc:  # a corrupt chunk: its messages are lost, later ones are not
                        self._note(f"{file.name}: chunk at byte {start} unreadable ({error_text(exc)})")
                        inner = []
                else:
                    inner = [record]
                for item in inner:
                    yield from self._stream_record(file, item, schemas, wanted)

    def _stream_record(self, file: Path, record, schemas: dict, wanted: set[str] | None):
        from mcap.records import Channel, Message, Schema

        if isinstance(record, Schema):
            schemas[record.id] = record
        elif isinstance(record, Channel) and (file, record.id) not in self._channels:
            self._add_channel(file, record.id, record.topic, schemas.get(record.schema_id))
        elif isinstance(record, Message) and (file, record.channel_id) in self._channels:
            self._last_ns = record.log_time
            topic = self._channels[(file, record.channel_id)][0]
            if wanted is None or topic in wanted:
                yield record.channel_id, record

    def _note_cut(self, file: Path, start: int, why: str) -> None:
        after = f" after log time {self._last_ns} ns" if self._last_ns is not None else ""
        self._note(f"{file.name}: ends inside a record at byte {start} ({why}); messages{after} are lost")

    def _file_messages(self, file: Path, wanted: set[str] | None):
        from mcap.reader import make_reader

        if self._summaries[file] is None:
            yield from self._stream(file, wanted)
            return
        with open(file, "rb") as stream:
            iterator = make_reader(stream).iter_messages(topics=wanted, log_time_order=True)
            while True:
                try:
                    _, channel, message = next(iterator)
                except StopIteration:
                    return
                except Exception as exc:  # a corrupt chunk in an otherwise indexed file
                    self._note(f"{file.name}: reading stopped ({error_text(exc)})")
                    return
                yield channel.id, message

    def messages(self, topics=None):
        wanted = None if topics is None else set(topics)
        for file in self.files:
            for cid, message in self._file_messages(file, wanted):
                topic, msgtype = self._channels[(file, cid)]
                try:
                    msg = self.typestore.deserialize_cdr(_maybe_zstd(message.data), msgtype)
                except Exception as exc:  # corrupt payload: count and continue
                    self._record_error(topic, exc)
                    continue
                yield topic, msgtype, int(message.log_time), msg


class SqliteSource(BagSource):
    """rosbag2 ``.db3`` files read directly with SQLite (a folder whose metadata.yaml is missing).

    Types come from the file's ``message_definitions`` table when it has one, else from the ROS 2
    Kilted type store. Files are read through :class:`db3.Db3`: a file cut off while recording
    yields every message that is still whole, and its note says where it was cut.
    """

    def __init__(self, path: Path, files: list[Path] | None = None) -> None:
        from rosbags.typesys import Stores, get_typestore

        from mono_depth_ros.bags.db3 import DB_ERRORS, Db3

        super().__init__(path)
        self.files = files or (sorted(path.glob("*.db3"), key=_member_order) if path.is_dir() else [path])
        self.typestore = get_typestore(Stores.ROS2_KILTED)
        self._topic_ids: dict[Path, dict[int, tuple[str, str]]] = {}
        self._dbs: dict[Path, Db3] = {}  # each file open read-only, damage-tolerant (see db3.Db3)
        counts: collections.Counter[str] = collections.Counter()
        types: dict[str, str] = {}
        for file in self.files:
            try:
                db = self._dbs[file] = Db3(file)
                for msgtype, encoding, text in db.definitions():  # (none in older recordings)
                    register_type(self.typestore, normalize_msgtype(msgtype), encoding, text)
                ids = {tid: (name, normalize_msgtype(msgtype)) for tid, (name, msgtype) in db.topics().items()}
                for tid, count in db.topic_counts().items():  # a damaged file: the rows still readable
                    counts[ids[tid][0]] += count
            except DB_ERRORS as exc:
                self.close()
                raise BagFormatError(f"bag={str(file)!r}: not a readable rosbag2 sqlite3 file"
                                     f" ({error_text(exc)})") from exc
            for note in db.notes:
                self._note(note)
            self._topic_ids[file] = ids
            types.update(ids.values())
        for topic, msgtype in types.items():
            self.topics[topic] = TopicSummary(topic, msgtype, counts.get(topic, 0))

    def messages(self, topics=None):
        wanted = None if topics is None else set(topics)
        for file in self.files:
            ids = {tid: v for tid, v in self._topic_ids[file].items() if wanted is None or v[0] in wanted}
            if not ids:
                continue
            db = self._dbs[file]
            # recording order (id); unreadable rows are skipped and said in notes (db3.Db3.rows)
            for tid, stamp_ns, data in db.rows(ids, lambda tid, exc: self._record_error(ids[tid][0], exc)):
                topic, msgtype = ids[tid]
                try:
                    msg = self.typestore.deserialize_cdr(_maybe_zstd(data), msgtype)
                except Exception as exc:  # corrupt payload: count and continue
                    self._record_error(topic, exc)
                    continue
                yield topic, msgtype, int(stamp_ns), msg
            for note in db.notes:
                self._note(note)

    def close(self) -> None:
        for db in self._dbs.values():
            db.close()


def _cut_chunk_records(tail: bytes) -> list:
    """The whole records (Schema, Channel, Message) of an MCAP chunk record that starts ``tail``
    and is cut off inside its data ([] when ``tail`` is not a chunk or is cut in its header)."""
    from io import BytesIO

    from mcap.data_stream import ReadDataStream
    from mcap.opcode import Opcode
    from mcap.records import Channel, Message, Schema

    if len(tail) < 9 + 28 or tail[0] != Opcode.CHUNK:
        return []
    name_end = 9 + 32 + int.from_bytes(tail[9 + 28:9 + 32], "little")
    compression = tail[9 + 32:name_end].decode(errors="replace")
    data = tail[name_end + 8:]
    if compression == "zstd":
        import zstandard

        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)  # its whole blocks
    elif compression:  # lz4: a cut frame does not decompress
        data = b""
    readers = {Opcode.SCHEMA: Schema.read, Opcode.CHANNEL: Channel.read}
    records, offset = [], 0
    while offset + 9 <= len(data):
        opcode, length = data[offset], int.from_bytes(data[offset + 1:offset + 9], "little")
        end = offset + 9 + length
        if end > len(data):
            break
        body = ReadDataStream(BytesIO(data[offset + 9:end]))
        if opcode == Opcode.MESSAGE:
            records.append(Message.read(body, length))
        elif opcode in readers:
            records.append(readers[opcode](body))
        offset = end
    return records


def _maybe_zstd(data: bytes) -> bytes:
    """Decompress a message-level zstd payload (detected by its magic bytes); else unchanged."""
    if data[:4] != ZSTD_MAGIC:
        return data
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def _listed_members(folder: Path, name: str = "metadata.yaml") -> list[str]:
    """File names a rosbag2 metadata file lists (relative_file_paths), [] when unreadable."""
    import yaml

    try:
        info = yaml.safe_load((folder / name).read_text())["rosbag2_bagfile_information"]
        return [str(p) for p in info.get("relative_file_paths", [])]
    except Exception:  # a half-written or foreign metadata.yaml: fall back to the files present
        return []


def _open_members(folder: Path, why: str) -> BagSource:
    """The .mcap or .db3 files present in ``folder``, read without metadata.yaml."""
    mcaps = sorted(folder.glob("*.mcap"), key=_member_order)
    dbs = sorted(folder.glob("*.db3"), key=_member_order)
    if not mcaps and not dbs:
        packed = sorted(p.name for p in folder.glob("*.zstd"))
        hint = f"; file-compressed members {packed} need metadata.yaml (or `zstd -d` them)" if packed else ""
        raise BagFormatError(f"bag={str(folder)!r}: {why} and the folder holds no .mcap or .db3 files{hint}")
    source = McapSource(folder, mcaps) if mcaps else SqliteSource(folder, dbs)
    present = {p.name for p in source.files}
    for other in sorted(folder.glob("metadata*.yaml")):  # e.g. metadata.original.yaml of a split recording
        listed = [Path(n).name for n in _listed_members(folder, other.name)]
        if listed and set(listed) - present:
            why += f"; {other.name} lists {len(listed)} files, {len(set(listed) & present)} present"
    source.notes.insert(0, f"{folder.name}: {why}; read the {len(source.files)} file(s) present directly")
    return source


def _check_ros1_magic(path: Path) -> None:
    """BagFormatError (one line) unless the file starts as a ROS 1 bag version 2.0 does."""
    from mono_depth_ros.bags.ros1_scan import ROS1_MAGIC

    with open(path, "rb") as f:
        head = f.read(16)
    if not head:
        raise BagFormatError(f"bag={str(path)!r}: empty file (0 bytes), not a ROS 1 bag")
    if head.startswith(b"#ROSRECORD V1."):
        raise BagFormatError(f"bag={str(path)!r}: ROS 1 bag format 1.x (pre-Diamondback) is not supported; "
                             "convert it with `rosbag fix` to version 2.0")
    if not head.startswith(ROS1_MAGIC):
        raise BagFormatError(f"bag={str(path)!r}: not a ROS 1 bag (it does not start with the '#ROSBAG V2.0' line)")


def open_bag(path: str | Path) -> BagSource:
    """Open a rosbag2 folder, ROS 1 ``.bag`` file, or bare ``.mcap`` / ``.db3`` file / folder of them.

    Raises BagFormatError (one line naming the path and what to give instead) for anything else.
    """
    path = Path(path)
    if not path.exists():
        raise BagFormatError(f"bag={str(path)!r}: no such file or folder")
    if path.is_dir():
        if not (path / "metadata.yaml").is_file():
            return _open_members(path, "no metadata.yaml (recording still running, or one part of a split bag)")
        listed = _listed_members(path)
        missing = [name for name in listed if not (path / name).exists()]
        if missing and len(missing) < len(listed):
            return _open_members(path, f"metadata.yaml lists {len(listed)} files, {len(missing)} are missing")
        try:
            return RosbagsSource(path)
        except BagFormatError as exc:
            if not any(path.glob("*.mcap")) and not any(path.glob("*.db3")):
                raise
            return _open_members(path, f"metadata.yaml unusable ({str(exc).split(': ', 1)[-1][:160]})")
    if path.suffix == ".bag":
        _check_ros1_magic(path)
        try:
            return RosbagsSource(path)
        except BagFormatError as exc:  # no usable index (cut off, still recording): scan its records
            from mono_depth_ros.bags.ros1_scan import Ros1ScanSource

            return Ros1ScanSource.after_failure(path, exc)
    if path.name.endswith(".bag.active"):  # rosbag record still running (or killed): never indexed
        from mono_depth_ros.bags.ros1_scan import Ros1ScanSource

        return Ros1ScanSource(path, "a .bag.active: the recorder is still running, or was killed")
    if path.suffix == ".mcap":
        return McapSource(path)
    if path.suffix == ".db3":
        if (path.parent / "metadata.yaml").is_file():  # a member of a rosbag2 folder: read the folder, as ros2 bag does
            source = open_bag(path.parent)
            source.notes.insert(0, f"{path.name} is part of the rosbag2 folder {path.parent.name}: read the folder "
                                   f"(every file its metadata.yaml lists)")
            return source
        return SqliteSource(path)
    raise BagFormatError(f"bag={str(path)!r}: expected a rosbag2 folder, a .bag, a .mcap or a .db3 file")
