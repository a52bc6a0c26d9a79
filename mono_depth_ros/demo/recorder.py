"""Record rclpy topics into a rosbag2 (MCAP) with rosbags' Writer.

Messages are serialised with ``rclpy.serialization.serialize_message`` (CDR, byte-identical to
what rosbags would write) and stored with the ROS 2 Kilted type definitions. Received messages
are also kept in memory per topic (``messages``) for the demo's metrics.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from rclpy.serialization import serialize_message
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore


def msgtype_of(cls: type) -> str:
    """``pkg/msg/Name`` of an rclpy message class."""
    return f"{cls.__module__.split('.')[0]}/msg/{cls.__name__}"


class BagRecorder:
    """Subscribes ``topics`` ({topic: rclpy class}) on ``node`` and writes every message."""

    def __init__(self, node: Any, out_dir: str | Path, topics: dict[str, type], qos: Any = 50,
                 keep: set[str] | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.typestore = get_typestore(Stores.ROS2_KILTED)
        self._writer = Writer(self.out_dir, version=9, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        self._lock = threading.Lock()
        self._closed = False
        self.counts: dict[str, int] = {topic: 0 for topic in topics}
        self.messages: dict[str, list[Any]] = {topic: [] for topic in topics}
        self.arrivals: dict[str, list[tuple[int, float]]] = {topic: [] for topic in topics}
        self._keep = set(topics) if keep is None else set(keep)
        self._connections = {}
        for topic, cls in topics.items():
            self._connections[topic] = self._writer.add_connection(topic, msgtype_of(cls), typestore=self.typestore)
            node.create_subscription(cls, topic, lambda msg, t=topic: self._on_msg(t, msg), qos)
        self._clock = node.get_clock()

    def _on_msg(self, topic: str, msg: Any) -> None:
        arrival_s = time.monotonic()
        raw = serialize_message(msg)
        stamp_ns = self._clock.now().nanoseconds
        header = getattr(msg, "header", None)
        if header is not None and (header.stamp.sec or header.stamp.nanosec):
            stamp_ns = header.stamp.sec * 1_000_000_000 + header.stamp.nanosec
        with self._lock:
            if self._closed:
                return
            self._writer.write(self._connections[topic], stamp_ns, raw)
            self.counts[topic] += 1
            self.arrivals[topic].append((stamp_ns, arrival_s))
            if topic in self._keep:
                self.messages[topic].append(msg)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._writer.close()
