"""What every bag reader of this package shares: the message source interface, topic summaries,
message type names, error texts and registering the message definitions a bag carries.

This module belongs to the node package: it must not import ``training``.
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


def error_text(exc: BaseException) -> str:
    """``Type: first line of the message`` (whole: cutting it may hide the useful end)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:300]}"


class BagSource:
    """Common interface of the readers: ``topics``, ``errors``, ``notes``, iteration, context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.topics: dict[str, TopicSummary] = {}
        self.errors: collections.Counter[tuple[str, str]] = collections.Counter()
        self.notes: list[str] = []  # what is missing or was cut from the recording, one line each

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
        self.errors[(topic, error_text(exc))] += 1

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def describe(self, details: dict[str, str] | None = None) -> str:
        """Human-readable listing of the bag's topics (columns sized to the longest names), each
        followed by ``details[topic]`` where given (:func:`first_message_details`)."""
        infos = sorted(self.topics.values(), key=lambda i: i.topic)
        width_t = max([len(i.topic) for i in infos] + [5])
        width_m = max([len(i.msgtype) for i in infos] + [4])
        lines = [f"{self.path} ({type(self).__name__}):"]
        for info in infos:
            count = f"{info.count:>7d} msgs" if info.count >= 0 else "      ? msgs"
            extra = f"  {details[info.topic]}" if details and info.topic in details else ""
            lines.append(f"  {info.topic:<{width_t}s}  {info.msgtype:<{width_m}s}  {count}{extra}")
        lines += [f"  note: {c}" for c in self.notes]
        return "\n".join(lines)


_DESCRIBED = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage", "sensor_msgs/msg/CameraInfo")


def first_message_details(source: BagSource, scan_limit: int = 5000) -> dict[str, str]:
    """{topic: what its first message says} for the image and camera_info topics: size, encoding
    (or format), frame_id, distortion model. Reads until each has one, at most ``scan_limit``
    messages (a topic that starts later is left out)."""
    wanted = {t for t, info in source.topics.items() if info.msgtype in _DESCRIBED}
    found: dict[str, str] = {}
    if not wanted:
        return found
    for n, (topic, msgtype, _, msg) in enumerate(source.messages(wanted)):
        if topic not in found:
            try:
                found[topic] = _one_message(msgtype, msg)
            except Exception as exc:  # noqa: BLE001 - a listing never fails on one odd message
                found[topic] = f"(first message unreadable: {error_text(exc)})"
        if len(found) == len(wanted) or n + 1 >= scan_limit:
            break
    return found


def _one_message(msgtype: str, msg: object) -> str:
    frame = f"frame_id {msg.header.frame_id!r}"
    if msgtype.endswith("/Image"):
        return f"{msg.width}x{msg.height} {msg.encoding}, {frame}"
    if msgtype.endswith("/CompressedImage"):
        return f"{msg.format or 'no format'}, {frame}"
    model = msg.distortion_model or "no distortion model"
    d = ", ".join(f"{float(v):.3g}" for v in list(msg.d)[:5])
    return f"{msg.width}x{msg.height}, fx {float(msg.k[0]):.1f}, {model} D=[{d}{', ...' if len(msg.d) > 5 else ''}], {frame}"


def register_type(typestore, msgtype: str, encoding: str, text: str) -> None:
    """Add a message definition stored in the bag (ros2msg / ros2idl) to ``typestore``."""
    from rosbags.typesys import get_types_from_idl, get_types_from_msg

    if msgtype in typestore.fielddefs or not text:
        return
    if encoding == "ros2idl":
        typestore.register(get_types_from_idl(text))
    else:
        typestore.register(get_types_from_msg(text, msgtype))
