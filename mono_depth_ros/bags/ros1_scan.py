"""Read a ROS 1 bag (format 2.0) without its index: the ``.bag.active`` of a recorder that is still
running or was killed, or a bag cut before its index records. :class:`Ros1ScanSource` scans its
records in file order and keeps every whole message record before the cut.

This module belongs to the node package: it must not import ``training``.
"""

from __future__ import annotations

import bz2
import collections
import mmap
from dataclasses import dataclass
from pathlib import Path

from mono_depth_ros.bags.source import BagFormatError, BagSource, TopicSummary, error_text, \
    normalize_msgtype, register_type

ROS1_MAGIC = b"#ROSBAG V2.0\n"
OP_MSG, OP_BAG, OP_INDEX, OP_CHUNK, OP_INFO, OP_CONN = 2, 3, 4, 5, 6, 7


class _Incomplete(Exception):
    """A record that is not whole (the file ends inside it, or its header is garbage)."""


def _fields(raw: bytes) -> dict[str, bytes]:
    fields, pos = {}, 0
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise _Incomplete("a header field length is cut")
        size = int.from_bytes(raw[pos:pos + 4], "little")
        pos += 4
        if pos + size > len(raw):
            raise _Incomplete("a header field is longer than its header")
        name, sep, value = raw[pos:pos + size].partition(b"=")
        if not sep:
            raise _Incomplete("a header field without '='")
        fields[name.decode("latin-1")] = value
        pos += size
    return fields


def _record(buf, pos: int, need_data: bool = True) -> tuple[int, dict[str, bytes], int, int]:
    """(op, header fields, data start, data length) of the record at ``pos`` of ``buf``."""
    size = len(buf)
    if pos + 4 > size:
        raise _Incomplete("its header length is cut")
    head_len = int.from_bytes(buf[pos:pos + 4], "little")
    if head_len == 0:
        raise _Incomplete("no record there (zero header length)")
    if pos + 4 + head_len + 4 > size:
        raise _Incomplete("its header is cut")
    fields = _fields(bytes(buf[pos + 4:pos + 4 + head_len]))
    op = fields.get("op", b"")
    if len(op) != 1:
        raise _Incomplete("a header without op field")
    start = pos + 4 + head_len + 4
    length = int.from_bytes(buf[start - 4:start], "little")
    if need_data and start + length > size:
        raise _Incomplete("its data is cut")
    return op[0], fields, start, length


def _u32(fields: dict[str, bytes], name: str) -> int:
    value = fields.get(name, b"")
    if len(value) != 4:
        raise _Incomplete(f"field {name!r} is not a uint32")
    return int.from_bytes(value, "little")


def _time_ns(fields: dict[str, bytes]) -> int:
    value = fields.get("time", b"")
    if len(value) != 8:
        raise _Incomplete("field 'time' is not sec,nsec")
    return int.from_bytes(value[:4], "little") * 10**9 + int.from_bytes(value[4:], "little")


def _decompress(compression: str, data: bytes) -> bytes:
    if compression == "bz2":
        return bz2.decompress(data)
    if compression == "lz4":
        try:
            import lz4.frame
        except ImportError:
            raise NotImplementedError("lz4 chunks need the lz4 package, which is not installed") from None
        return lz4.frame.decompress(data)
    raise NotImplementedError(f"compression {compression!r} is not supported")


@dataclass(frozen=True, slots=True)
class _Ros1Message:
    time_ns: int
    conn: int
    chunk: int  # -1: uncompressed, ``start`` is a file offset; else index into _chunks
    start: int
    length: int


class Ros1ScanSource(BagSource):
    """A ROS 1 bag (format 2.0) read without its index: every whole message record before the cut.

    The scan (at open) follows the records from the start of the file. Uncompressed chunks are read
    in place, so a chunk cut short (or one still open, whose header holds the recorder's zero
    sizes) keeps every whole message before the cut; a compressed chunk is read only when whole.
    Messages are then yielded in log-time order (stable), as the indexed reader does; types come
    from the bag's connection records.
    """

    @classmethod
    def after_failure(cls, path: Path, failure: BagFormatError) -> "Ros1ScanSource":
        """The scanner for a bag whose indexed reading failed; re-raises ``failure`` for non-bags."""
        with open(path, "rb") as stream:
            if stream.read(len(ROS1_MAGIC)) != ROS1_MAGIC:
                raise failure
        why = str(failure.__cause__ or failure).splitlines()[0][:160]
        return cls(path, f"{why}; still being recorded, or cut off?")

    def __init__(self, path: Path, why: str) -> None:
        from rosbags.typesys import Stores, get_typestore

        super().__init__(path)
        self.typestore = get_typestore(Stores.EMPTY)  # types from the bag's definitions, as AnyReader does
        self._conns: dict[int, tuple[str, str]] = {}
        self._chunks: list[tuple[str, int, int]] = []  # compressed chunks: (compression, data start, length)
        self._index: list[_Ros1Message] = []
        self._file = open(path, "rb")
        size = path.stat().st_size
        if size < len(ROS1_MAGIC):
            self._file.close()
            raise BagFormatError(f"bag={str(path)!r}: not a ROS 1 bag (file of {size} bytes)")
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        self._cached: tuple[int, bytes] = (-1, b"")
        if self._map[:len(ROS1_MAGIC)] != ROS1_MAGIC:
            self.close()
            raise BagFormatError(f"bag={str(path)!r}: not a ROS 1 bag version 2.0 (no '#ROSBAG V2.0' line)")
        cut = self._scan()
        self._index.sort(key=lambda m: m.time_ns)
        counts = collections.Counter(self._conns[m.conn][0] for m in self._index)
        for topic, msgtype in self._conns.values():
            self.topics.setdefault(topic, TopicSummary(topic, msgtype, counts.get(topic, 0)))
        chunks = len(self._chunk_starts)
        self._note(f"{path.name} has no usable index ({why}); scanned {chunks} chunks,"
                   f" {len(self._index)} messages{cut}")

    def _scan(self) -> str:
        """Index every whole message record; returns what was cut (text for the note, '' if nothing)."""
        buf, size = self._map, len(self._map)
        self._chunk_starts: list[int] = []
        pos = len(ROS1_MAGIC)
        chunk_end: int | None = None  # end of the uncompressed chunk being read in place (None: open chunk)
        in_chunk = False
        last_ns: int | None = None
        while pos < size:
            if in_chunk and chunk_end is not None and pos >= chunk_end:
                in_chunk = False
            try:
                op, fields, start, length = _record(buf, pos, need_data=False)
                if op != OP_CHUNK and start + length > size:
                    raise _Incomplete("its data is cut")
            except _Incomplete as exc:
                after = f"after {last_ns} ns" if last_ns is not None else "from the start"
                chunk = len(self._chunk_starts)
                if in_chunk:
                    return f"; cut inside chunk {chunk} at byte {pos} ({exc}): messages {after} are lost"
                return f"; cut after chunk {chunk} at byte {pos} ({exc}): messages {after}, if any, are lost"
            end = start + length
            if op == OP_CHUNK:
                self._chunk_starts.append(pos)
                compression = fields.get("compression", b"none").decode("latin-1")
                if compression == "none":
                    in_chunk, chunk_end = True, (end if length else None)
                    pos = start  # its records follow in place
                    continue
                number = len(self._chunk_starts)
                after = f"{last_ns} ns" if last_ns is not None else "the start"
                if length == 0 or end > size:
                    return (f"; cut inside chunk {number} ({compression}-compressed) at byte {size}: a compressed"
                            f" chunk is read only whole, so its messages and all after {after} are lost")
                try:
                    inner = _decompress(compression, bytes(buf[start:end]))
                except Exception as exc:  # unsupported or corrupt: skip this chunk, the next may be fine
                    self._note(f"{self.path.name}: chunk {number} at byte {pos} skipped ({error_text(exc)})")
                    pos = end
                    continue
                self._chunks.append((compression, start, length))
                last_ns = self._scan_chunk(inner, len(self._chunks) - 1, number, last_ns)
                in_chunk = False
                pos = end
                continue
            if op == OP_CONN:
                self._add_connection(fields, bytes(buf[start:end]))
            elif op == OP_MSG:
                last_ns = self._add_message(fields, -1, start, length, last_ns)
            elif op not in (OP_BAG, OP_INDEX, OP_INFO):
                return f"; stopped at byte {pos}: unknown record op {op}"
            pos = end
        return ""

    def _scan_chunk(self, inner: bytes, chunk: int, number: int, last_ns: int | None) -> int | None:
        pos = 0
        while pos < len(inner):
            try:
                op, fields, start, length = _record(inner, pos)
            except _Incomplete as exc:
                self._note(f"{self.path.name}: chunk {number} holds a broken record at its byte {pos} ({exc});"
                           " the rest of that chunk is skipped")
                return last_ns
            if op == OP_CONN:
                self._add_connection(fields, inner[start:start + length])
            elif op == OP_MSG:
                last_ns = self._add_message(fields, chunk, start, length, last_ns)
            pos = start + length
        return last_ns

    def _add_connection(self, fields: dict[str, bytes], data: bytes) -> None:
        try:
            conn = _u32(fields, "conn")
            topic = fields["topic"].decode()
            info = _fields(data)
            msgtype = normalize_msgtype(info["type"].decode())
        except (KeyError, UnicodeDecodeError, _Incomplete) as exc:
            self.errors[("<connection record>", error_text(exc))] += 1
            return
        if conn in self._conns:
            return
        self._conns[conn] = (topic, msgtype)
        try:
            register_type(self.typestore, msgtype, "ros1msg", info.get("message_definition", b"").decode())
        except Exception as exc:  # a definition rosbags cannot parse: its messages count as errors
            self._note(f"{self.path.name}: message definition of {msgtype} unusable ({error_text(exc)})")

    def _add_message(self, fields, chunk: int, start: int, length: int, last_ns: int | None) -> int | None:
        try:
            conn, time_ns = _u32(fields, "conn"), _time_ns(fields)
        except _Incomplete as exc:
            self.errors[("<message record>", error_text(exc))] += 1
            return last_ns
        if conn not in self._conns:
            self.errors[(f"<connection {conn}>", "message before (or without) its connection record")] += 1
            return last_ns
        self._index.append(_Ros1Message(time_ns, conn, chunk, start, length))
        return time_ns

    def _payload(self, message: _Ros1Message) -> bytes:
        if message.chunk < 0:
            return bytes(self._map[message.start:message.start + message.length])
        if self._cached[0] != message.chunk:
            compression, start, length = self._chunks[message.chunk]
            self._cached = (message.chunk, _decompress(compression, bytes(self._map[start:start + length])))
        return self._cached[1][message.start:message.start + message.length]

    def messages(self, topics=None):
        wanted = None if topics is None else set(topics)
        for message in self._index:
            topic, msgtype = self._conns[message.conn]
            if wanted is not None and topic not in wanted:
                continue
            try:
                msg = self.typestore.deserialize_ros1(self._payload(message), msgtype)
            except Exception as exc:  # corrupt payload or unusable definition: count and continue
                self._record_error(topic, exc)
                continue
            yield topic, msgtype, message.time_ns, msg

    def close(self) -> None:
        self._cached = (-1, b"")
        if getattr(self, "_map", None) is not None and not self._map.closed:
            self._map.close()
        self._file.close()
