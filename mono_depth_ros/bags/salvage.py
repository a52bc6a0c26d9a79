"""Read what is whole from bags that are still being recorded, or were cut off.

* :class:`Db3` opens a rosbag2 sqlite3 ``.db3`` file read-only so that a truncated file (copied
  while the recorder was writing, recorder killed) still opens, and yields every message row that
  is still readable in id order: rows whose leaf page is lost are skipped (with a probe for later
  readable rows); what was cut is said in ``Db3.notes``, any other row whose payload cannot be
  read is counted as an error of its topic. A database in WAL mode is read with its ``-wal`` file.
  :class:`mono_depth_ros.bags.reader.SqliteSource` reads every ``.db3`` through it.
* :class:`Ros1ScanSource` reads a ROS 1 bag (format 2.0) without its index (``.bag.active`` of a
  recorder that is still running or was killed, a bag cut before its index records) by scanning
  its records in file order, keeping every whole message record before the cut.

This module belongs to the node package: it must not import ``training``.
"""

from __future__ import annotations

import bz2
import collections
import mmap
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

try:
    import apsw  # a dependency of rosbags since it reads sqlite3 through it
except ImportError:  # an older rosbags: Python's sqlite3, without the whole-pages view of a cut file
    apsw = None

from mono_depth_ros.bags.reader import (BagFormatError, BagSource, TopicSummary, _error_text, _register,
                                        normalize_msgtype)

# --------------------------------------------------------------------------------------------
# rosbag2 sqlite3

_MIN_ID = -(2**63)
_MAX_PROBE = 2**40  # ids probed past an unreadable stretch: doubling steps, so at most 41 probes
_TAIL = 64  # last readable rows of a damaged file whose payloads are checked (see Db3.survey)


@dataclass(frozen=True, slots=True)
class _Gap:
    """Message rows that cannot be read: after row ``after`` (its log time ``after_ns``) up to ``resume``."""

    after: int  # last readable id before the stretch (_MIN_ID: none)
    after_ns: int | None
    resume: int | None  # first readable id after it; None: nothing after it could be read
    reason: str


def _header_size(file: Path) -> tuple[int, int] | None:
    """(bytes present, bytes the SQLite header says the database has) when the file is shorter."""
    with open(file, "rb") as stream:
        head = stream.read(100)
    page = _page_size(head)
    if not page:
        return None
    pages = int.from_bytes(head[28:32], "big")
    valid = pages > 0 and head[24:28] == head[92:96]  # the in-header size is valid (SQLite file format 1.3.7)
    size = file.stat().st_size
    return (size, pages * page) if valid and pages * page > size else None


def _page_size(head: bytes) -> int:
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return 0
    page = int.from_bytes(head[16:18], "big")
    return 65536 if page == 1 else page


class Db3Damaged(Exception):
    """Rows that SQLite returns from a page the recorder had not finished writing (zeros)."""


DB_ERRORS = (sqlite3.Error, Db3Damaged) + ((apsw.Error,) if apsw is not None else ())  # what reading may raise
_VFS_NAME = "mono_depth_whole_pages"
_vfs: list = []  # the registered VFS, kept alive


def _whole_pages_vfs() -> str:
    """Name of an SQLite VFS (apsw) that shows a database file only up to its last whole page.

    A file cut inside a page would otherwise read that page's missing tail as zeros: its rows
    would come back with zeroed payloads that may still deserialise. Cut to whole pages, SQLite
    finds the page missing instead. (Python VFS files have no shared memory: not for WAL reads.)"""
    if not _vfs:
        class WholePagesFile(apsw.VFSFile):
            def __init__(self, inherit: str, name, flags) -> None:
                super().__init__(inherit, name, flags)
                path = name.filename() if isinstance(name, apsw.URIFilename) else str(name)
                with open(path, "rb") as stream:
                    self._page = _page_size(stream.read(100))

            def xFileSize(self) -> int:
                size = super().xFileSize()
                return size - size % self._page if self._page else size

        class WholePages(apsw.VFS):
            def __init__(self) -> None:
                super().__init__(_VFS_NAME, "")

            def xOpen(self, name, flags):
                if flags[0] & apsw.SQLITE_OPEN_MAIN_DB:
                    return WholePagesFile("", name, flags)
                return super().xOpen(name, flags)

        _vfs.append(WholePages())
    return _VFS_NAME


class Db3:
    """One rosbag2 ``.db3`` file opened read-only, readable up to (and past) damaged pages.

    Read with SQLite through ``apsw`` (a dependency of rosbags; Python's sqlite3 without it).
    Without a ``-wal`` file the file is opened ``immutable=1`` (no locks: a recorder still writing
    it is never blocked, no side files) through a VFS that shows only whole pages (apsw only). With
    a ``-wal`` file (a WAL-mode recording) it is opened ``mode=ro`` so that the WAL's committed
    transactions are read; a ``-shm`` file that SQLite creates for that is removed on :meth:`close`.
    ``PRAGMA writable_schema`` lets SQLite open a file shorter than its header says (else "database
    disk image is malformed" before anything is read).
    """

    def __init__(self, file: Path) -> None:
        self.file = file
        self.notes: list[str] = []
        self.gaps: list[_Gap] | None = None  # None until surveyed
        self.readable: collections.Counter[int] = collections.Counter()  # rows per topic id (survey)
        self.lost_payloads: set[int] = set()  # readable rows of a cut file whose payload is gone (survey)
        self._cut = _header_size(file)
        wal, shm = file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")
        self._created: list[Path] = []
        self.con = None
        if wal.is_file() and wal.stat().st_size > 0:
            had_shm = shm.exists()
            try:
                self._connect("mode=ro")
                self.con.execute("SELECT name FROM sqlite_master").fetchall()
            except DB_ERRORS as exc:
                self._close_quietly()
                self._connect("immutable=1", whole_pages=True)
                self.notes.append(f"{file.name}: its -wal file could not be read ({_error_text(exc)}); only the"
                                  " messages already checkpointed into the .db3 are read")
            if not had_shm and shm.exists():
                self._created.append(shm)
        else:
            self._connect("immutable=1", whole_pages=True)

    def _connect(self, options: str, whole_pages: bool = False) -> None:
        uri = f"file:{urllib.parse.quote(str(self.file))}?{options}"
        if apsw is None:
            self.con = sqlite3.connect(uri, uri=True)
        else:
            self.con = apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI,
                                       vfs=_whole_pages_vfs() if whole_pages else None)
        self.con.execute("PRAGMA writable_schema=ON")  # read-only still: only relaxes the file-size check

    def _close_quietly(self) -> None:
        try:
            if self.con is not None:
                self.con.close()
        except Exception:
            pass

    def close(self) -> None:
        self._close_quietly()
        for path in self._created:
            path.unlink(missing_ok=True)

    # -- topics, counts and the survey of damaged files ----------------------------------------

    def topics(self) -> dict[int, tuple[str, str]]:
        """Topic id -> (name, type as stored); raises Db3Damaged when the table is damaged."""
        rows = self.con.execute("SELECT id, name, type FROM topics").fetchall()
        if not all(isinstance(i, int) and isinstance(n, str) and n and isinstance(t, str) and t for i, n, t in rows):
            raise Db3Damaged("the topics table is damaged (a partly written page)")
        return {i: (n, t) for i, n, t in rows}

    def definitions(self) -> list[tuple[str, str, str]]:
        """(type, encoding, definition) of the ``message_definitions`` table; [] when the file has none.

        A cut file whose table is unreadable: noted, the type store's definitions are used."""
        tables = {r[0] for r in self.con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "message_definitions" not in tables:
            return []
        try:
            rows = self.con.execute(
                "SELECT topic_type, encoding, encoded_message_definition FROM message_definitions").fetchall()
        except DB_ERRORS as exc:
            self.notes.append(f"{self.file.name}: message_definitions unreadable ({_error_text(exc)});"
                              " the ROS 2 Kilted definitions are used")
            return []
        return [row for row in rows if all(isinstance(v, str) for v in row)]

    def topic_counts(self) -> dict[int, int]:
        """Messages per topic id: COUNT(*) for a whole file, else the rows still readable (survey)."""
        if self._cut is None:
            try:
                return dict(self.con.execute("SELECT topic_id, COUNT(*) FROM messages GROUP BY topic_id"))
            except DB_ERRORS:
                pass
        self.survey()
        return dict(self.readable)

    @staticmethod
    def _check(row: tuple, after: int) -> tuple:
        """``row`` (id, topic_id, timestamp[, data]) as a whole page gives it, else Db3Damaged.

        A page the recorder had not finished writing reads as zeros: rows with id 0 and NULLs."""
        rid, tid, stamp = row[:3]
        if not (isinstance(rid, int) and rid > after and isinstance(tid, int) and isinstance(stamp, int)
                and (len(row) < 4 or isinstance(row[3], bytes))):
            raise Db3Damaged("a partly written page (rows out of order or empty)")
        return row

    def _next_row(self, columns: str, after: int, where: str = "") -> tuple | None | bool:
        """The first row with id > after, read on its own: the row, None (no more rows), False (unreadable)."""
        try:
            row = self.con.execute(f"SELECT {columns} FROM messages WHERE id > ?{where} ORDER BY id LIMIT 1",
                                   (after,)).fetchone()
            return None if row is None else self._check(row, after)
        except DB_ERRORS:
            return False

    def _first_readable(self, start: int) -> int | None | bool:
        """Id of the first readable row with id >= start; None: there is none; False: unreadable."""
        row = self._next_row("id, topic_id, timestamp", start - 1)
        return row if row is None or row is False else int(row[0])

    def _resume_after(self, after: int) -> int | None:
        """First readable id past the unreadable stretch that starts after row ``after`` (None: none).

        Doubling probes (cheap: each reads one path of the table's b-tree), then a bisection back to
        the first start that reads, so one lost page does not hide the rest of the file."""
        base = max(after, 0)
        step, failed = 1, base
        while step <= _MAX_PROBE:
            found = self._first_readable(base + step)
            if found is not False:
                low, high, best = failed, base + step, found
                while high - low > 1:
                    mid = (low + high) // 2
                    got = self._first_readable(mid)
                    if got is False:
                        low = mid
                    else:
                        high, best = mid, got
                return best if best is not None and best > after + 1 else None
            failed, step = base + step, step * 2
        return None

    def survey(self) -> list[_Gap]:
        """Read every row's id, topic and log time (not the payload) once: readable counts and gaps.

        Then the payloads of the last readable rows are read back to the first whole one: in a cut
        file the last rows' overflow pages (written after their cell) may be gone too."""
        if self.gaps is not None:
            return self.gaps
        self.gaps = []
        tail: collections.deque[tuple[int, int, int]] = collections.deque(maxlen=_TAIL)
        last, last_ns = _MIN_ID, None
        while True:
            try:
                for row in self.con.execute(
                        "SELECT id, topic_id, timestamp FROM messages WHERE id > ? ORDER BY id", (last,)):
                    rid, tid, stamp_ns = self._check(row, last)
                    self.readable[tid] += 1
                    tail.append((rid, tid, stamp_ns))
                    last, last_ns = rid, stamp_ns
                break
            except DB_ERRORS as exc:
                row = self._next_row("id, topic_id, timestamp", last)
                if row:  # the cursor reads one row ahead: the row after ``last`` was whole
                    self.readable[row[1]] += 1
                    tail.append(row)
                    last, last_ns = row[0], row[2]
                    continue
                resume = self._resume_after(last)
                self.gaps.append(_Gap(last, last_ns, resume, _reason(exc)))
                if resume is None:
                    break
                tail.clear()
                last = resume - 1
        if self.gaps or self._cut:
            self._check_tail(tail)
        self._note_damage()
        return self.gaps

    def _check_tail(self, tail) -> None:
        """Mark the last rows whose payload cannot be read; the end of the recording is before them."""
        reason = None
        while tail:
            rid, tid, _ = tail[-1]
            whole = self._next_row("id, topic_id, timestamp, data", rid - 1)
            if whole and whole[0] == rid:
                break
            if reason is None:
                try:
                    self.con.execute("SELECT data FROM messages WHERE id = ?", (rid,)).fetchall()
                    reason = "a partly written page"
                except DB_ERRORS as exc:
                    reason = _reason(exc)
            tail.pop()
            self.lost_payloads.add(rid)
            self.readable[tid] -= 1
        if not self.lost_payloads:
            return
        after, after_ns = (tail[-1][0], tail[-1][2]) if tail else (min(self.lost_payloads) - 1, None)
        end = self.gaps.pop() if self.gaps and self.gaps[-1].resume is None else None
        self.gaps.append(_Gap(after, after_ns, None, end.reason if end else reason))

    def _note_damage(self) -> None:
        total = sum(self.readable.values())
        name = self.file.name
        cut = f"; {self._cut[0]} of {self._cut[1]} bytes present" if self._cut else ""
        if not self.gaps:
            if self._cut:
                self.notes.append(f"{name} is cut ({cut[2:]}) but every message row is readable;"
                                  f" {total} whole messages read")
            return
        first = self.gaps[0]
        text = f"{name} is damaged ({first.reason}{cut}) {_after(first)}"
        for gap in self.gaps:
            if gap.resume is not None:
                text += f"; ids {max(gap.after, 0) + 1}-{gap.resume - 1} unreadable, read on from id {gap.resume}"
            elif gap is not first:
                text += f"; unreadable again {_after(gap)}"
        self.notes.append(text + f"; {total} whole messages read")

    # -- rows ----------------------------------------------------------------------------------

    def rows(self, topic_ids: Iterable[int],
             on_bad_row: Callable[[int, BaseException], None]) -> Iterator[tuple[int, int, bytes]]:
        """(topic id, log time ns, payload) of the wanted topics in id (recording) order.

        A row whose payload cannot be read is passed to ``on_bad_row(topic_id, exc)``; an
        unreadable stretch of rows is skipped to the next readable row (see :meth:`survey`)."""
        where = f" AND topic_id IN ({','.join(str(int(t)) for t in topic_ids)})"
        last = _MIN_ID
        while True:
            try:
                for row in self.con.execute(
                        f"SELECT id, topic_id, timestamp, data FROM messages WHERE id > ?{where} ORDER BY id", (last,)):
                    rid, tid, stamp_ns, data = self._check(row, last)
                    last = rid
                    yield tid, stamp_ns, data
                return
            except DB_ERRORS as exc:
                head = self._next_row("id, topic_id, timestamp", last, where)
                if head:  # its cell is whole: read ahead of the failure, or only its payload is lost
                    last = head[0]
                    whole = self._next_row("id, topic_id, timestamp, data", last - 1)
                    if whole and whole[0] == last:
                        yield whole[1], whole[2], whole[3]
                    elif self.survey() is not None and last not in self.lost_payloads:
                        on_bad_row(head[1], exc)  # (a cut file's last payloads are in its note instead)
                    continue
                gap = next((g for g in self.survey() if g.resume is None or g.resume > last), None)
                if gap is None:
                    self.notes.append(f"{self.file.name}: reading stopped after message id {last}"
                                      f" ({_error_text(exc)}); the messages after it are lost")
                if gap is None or gap.resume is None:
                    return
                last = gap.resume - 1


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _after(gap: _Gap) -> str:
    if gap.after == _MIN_ID:
        return "from its first message"
    if gap.after_ns is None:
        return f"after message id {gap.after}"
    return f"after message id {gap.after} / log time {gap.after_ns} ns"


# --------------------------------------------------------------------------------------------
# ROS 1 bag without index

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
                    self._note(f"{self.path.name}: chunk {number} at byte {pos} skipped ({_error_text(exc)})")
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
            self.errors[("<connection record>", _error_text(exc))] += 1
            return
        if conn in self._conns:
            return
        self._conns[conn] = (topic, msgtype)
        try:
            _register(self.typestore, msgtype, "ros1msg", info.get("message_definition", b"").decode())
        except Exception as exc:  # a definition rosbags cannot parse: its messages count as errors
            self._note(f"{self.path.name}: message definition of {msgtype} unusable ({_error_text(exc)})")

    def _add_message(self, fields, chunk: int, start: int, length: int, last_ns: int | None) -> int | None:
        try:
            conn, time_ns = _u32(fields, "conn"), _time_ns(fields)
        except _Incomplete as exc:
            self.errors[("<message record>", _error_text(exc))] += 1
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
