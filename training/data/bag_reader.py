"""Read any rosbag without ROS: rosbag2 folders (sqlite3 / MCAP, file- or message-level
compression), ROS 1 ``.bag`` files, and bare ``.mcap`` files with no ``metadata.yaml``.

``open_bag(path)`` returns a :class:`BagSource`; iterating it yields
``(topic, msgtype, stamp_ns, msg)`` with ``msgtype`` normalised to ``pkg/msg/Name``,
``stamp_ns`` the bag's log time and ``msg`` a deserialised rosbags message. Messages that cannot
be decompressed or deserialised are skipped and counted in ``BagSource.errors`` by
``(topic, reason)``: one corrupt message never stops a whole extraction.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class BagFormatError(ValueError):
    """The path is not a bag this reader understands (names the path and why)."""


@dataclass(frozen=True)
class TopicSummary:
    """One topic of a bag: its normalised message type and message count (-1 if unknown)."""

    topic: str
    msgtype: str
    count: int


def normalize_msgtype(name: str) -> str:
    """``sensor_msgs/Image`` -> ``sensor_msgs/msg/Image`` (idempotent)."""
    parts = name.strip().split("/")
    if len(parts) == 2:
        return f"{parts[0]}/msg/{parts[1]}"
    return name.strip()


class BagSource:
    """Common interface of the readers: ``topics``, ``errors``, iteration, context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.topics: dict[str, TopicSummary] = {}
        self.errors: collections.Counter[tuple[str, str]] = collections.Counter()

    def messages(self, topics: Iterable[str] | None = None) -> Iterator[tuple[str, str, int, object]]:
        raise NotImplementedError

    def __iter__(self):
        return self.messages()

    def close(self) -> None:
        """Release file handles."""

    def __enter__(self) -> "BagSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _record_error(self, topic: str, exc: BaseException) -> None:
        text = str(exc).splitlines()[0][:80] if str(exc) else ""
        self.errors[(topic, f"{type(exc).__name__}: {text}")] += 1

    def describe(self) -> str:
        """Human-readable listing of the bag's topics."""
        lines = [f"{self.path} ({type(self).__name__}):"]
        for info in sorted(self.topics.values(), key=lambda i: i.topic):
            lines.append(f"  {info.topic:40s} {info.msgtype:40s} {info.count:>7d} msgs")
        return "\n".join(lines)


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
            raise BagFormatError(f"bag={str(path)!r}: cannot open ({type(exc).__name__}: {exc})") from exc
        for topic, info in self._reader.topics.items():
            self.topics[topic] = TopicSummary(topic, normalize_msgtype(info.msgtype), int(info.msgcount))

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
            except Exception as exc:  # a broken chunk / message-level decompression failure
                self._record_error("?", exc)
                return
            try:
                msg = self._reader.deserialize(raw, conn.msgtype)
            except Exception as exc:  # truncated / corrupt payload: count it, keep going
                self._record_error(conn.topic, exc)
                continue
            yield conn.topic, normalize_msgtype(conn.msgtype), int(stamp_ns), msg

    def close(self) -> None:
        self._reader.close()


class McapSource(BagSource):
    """Bare ``.mcap`` files (or a folder of them without metadata.yaml), read with ``mcap``.

    Message types come from the schemas stored in the file; payloads that start with the zstd
    magic bytes are decompressed first (rosbag2 ``compression_mode: MESSAGE``).
    """

    def __init__(self, path: Path) -> None:
        from rosbags.typesys import Stores, get_typestore

        super().__init__(path)
        self.files = sorted(path.glob("*.mcap")) if path.is_dir() else [path]
        self.typestore = get_typestore(Stores.EMPTY)
        self._channels: dict[tuple[Path, int], tuple[str, str]] = {}
        counts: collections.Counter[str] = collections.Counter()
        types: dict[str, str] = {}
        for file in self.files:
            summary = self._summary(file)
            for cid, channel in summary.channels.items():
                schema = summary.schemas[channel.schema_id]
                msgtype = normalize_msgtype(schema.name)
                self._register(schema, msgtype)
                self._channels[(file, cid)] = (channel.topic, msgtype)
                types[channel.topic] = msgtype
                if summary.statistics is not None:
                    counts[channel.topic] += summary.statistics.channel_message_counts.get(cid, 0)
        for topic, msgtype in types.items():
            self.topics[topic] = TopicSummary(topic, msgtype, counts.get(topic, -1))

    @staticmethod
    def _summary(file: Path):
        from mcap.reader import make_reader

        try:
            with open(file, "rb") as stream:
                summary = make_reader(stream).get_summary()
        except Exception as exc:
            raise BagFormatError(f"bag={str(file)!r}: not a readable MCAP file ({exc})") from exc
        if summary is None:
            raise BagFormatError(f"bag={str(file)!r}: MCAP file has no summary section")
        return summary

    def _register(self, schema, msgtype: str) -> None:
        from rosbags.typesys import get_types_from_idl, get_types_from_msg

        if msgtype in self.typestore.fielddefs:
            return
        text = schema.data.decode()
        if schema.encoding == "ros2idl":
            self.typestore.register(get_types_from_idl(text))
        else:
            self.typestore.register(get_types_from_msg(text, msgtype))

    def messages(self, topics=None):
        from mcap.reader import make_reader

        wanted = None if topics is None else set(topics)
        for file in self.files:
            with open(file, "rb") as stream:
                for _, channel, message in make_reader(stream).iter_messages(topics=wanted, log_time_order=True):
                    topic, msgtype = self._channels[(file, channel.id)]
                    try:
                        msg = self.typestore.deserialize_cdr(_maybe_zstd(message.data), msgtype)
                    except Exception as exc:  # corrupt payload: count and continue
                        self._record_error(topic, exc)
                        continue
                    yield topic, msgtype, int(message.log_time), msg


def _maybe_zstd(data: bytes) -> bytes:
    """Decompress a message-level zstd payload (detected by its magic bytes); else unchanged."""
    if data[:4] != ZSTD_MAGIC:
        return data
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def open_bag(path: str | Path) -> BagSource:
    """Open a rosbag2 folder, ROS 1 ``.bag`` file, or bare ``.mcap`` file / folder of them."""
    path = Path(path)
    if not path.exists():
        raise BagFormatError(f"bag={str(path)!r}: no such file or folder")
    if path.is_dir():
        if (path / "metadata.yaml").is_file():
            return RosbagsSource(path)
        if any(path.glob("*.mcap")):
            return McapSource(path)
        raise BagFormatError(f"bag={str(path)!r}: folder has neither metadata.yaml nor .mcap files")
    if path.suffix == ".bag":
        return RosbagsSource(path)
    if path.suffix == ".mcap":
        return McapSource(path)
    raise BagFormatError(f"bag={str(path)!r}: expected a rosbag2 folder, a .bag or a .mcap file")
