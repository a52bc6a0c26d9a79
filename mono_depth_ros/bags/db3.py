"""Read what is whole from a rosbag2 sqlite3 ``.db3`` that is still being recorded or was cut off.

:class:`Db3` opens the file read-only so that a truncated file (copied while the recorder was
writing, recorder killed) still opens, and yields every message row that is still readable in id
order: rows whose leaf page is lost are skipped (with a probe for later readable rows); what was
cut is said in ``Db3.notes``, any other row whose payload cannot be read is counted as an error
of its topic. A database in WAL mode is read with its ``-wal`` file.
:class:`mono_depth_ros.bags.reader.SqliteSource` reads every ``.db3`` through it.

This module belongs to the node package: it must not import ``training``.
"""

from __future__ import annotations

import collections
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

try:
    import apsw  # a dependency of rosbags since it reads sqlite3 through it
except ImportError:  # an older rosbags: Python's sqlite3, without the whole-pages view of a cut file
    apsw = None

from mono_depth_ros.bags.source import error_text

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
                self.notes.append(f"{file.name}: its -wal file could not be read ({error_text(exc)}); only the"
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
            self.notes.append(f"{self.file.name}: message_definitions unreadable ({error_text(exc)});"
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
                                      f" ({error_text(exc)}); the messages after it are lost")
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
