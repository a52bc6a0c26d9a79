"""A small rosbag player: reads a bag with mono_depth_ros.bags.reader and republishes every message
through real rclpy publishers at its recorded rate (``rate`` x real time).

Messages are copied field by field from the rosbags dataclass into the rclpy class (nested
messages recursively, byte arrays handed over as bytes), which also maps ROS 1 field spellings
(``K``/``D``/``P``) and drops fields ROS 2 no longer has (``header.seq``). /tf_static is published
reliable + transient local; everything else reliable, keep last ``depth``.
"""

from __future__ import annotations

import importlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from mono_depth_ros.bags.reader import open_bag


def rclpy_class(msgtype: str) -> type | None:
    """rclpy message class of ``pkg/msg/Name``; None when the package is not installed."""
    parts = msgtype.split("/")
    if len(parts) != 3:
        return None
    try:
        return getattr(importlib.import_module(f"{parts[0]}.{parts[1]}"), parts[2])
    except (ImportError, AttributeError):
        return None


def _source_value(src: Any, name: str) -> Any:
    if hasattr(src, name):
        return getattr(src, name)
    return getattr(src, name.upper(), None)


def to_rclpy(src: Any, cls: type) -> Any:
    """Copy rosbags message ``src`` into a new ``cls`` (rclpy) instance, recursively."""
    msg = cls()
    for name, type_name in cls.get_fields_and_field_types().items():
        value = _source_value(src, name)
        if value is None:
            continue
        current = getattr(msg, name)
        if type_name.startswith("sequence<") and "/" in type_name:
            item_cls = rclpy_class(_item_type(type_name))
            setattr(msg, name, [to_rclpy(item, item_cls) for item in value])
        elif "/" in type_name and not type_name.startswith(("sequence", "string")):
            setattr(msg, name, to_rclpy(value, type(current)))
        elif isinstance(value, np.ndarray) and value.dtype == np.uint8 and not isinstance(current, np.ndarray):
            # one bytes copy; rclpy's setter wraps it in its own array.array
            setattr(msg, name, value.tobytes())
        elif isinstance(value, np.ndarray):
            setattr(msg, name, value.tolist() if not isinstance(current, np.ndarray) else value.astype(current.dtype))
        else:
            setattr(msg, name, value)
    return msg


def _item_type(type_name: str) -> str:
    inner = type_name[len("sequence<"):].rstrip(">").split(",")[0]
    package, name = inner.split("/")
    return f"{package}/msg/{name}"


@dataclass
class PlaybackStats:
    """What was published, per topic; ``skipped``: topics whose type rclpy does not know."""

    published: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    first_stamp_ns: int | None = None
    last_stamp_ns: int | None = None


class BagPlayer:
    """Publish a bag's messages on ``node`` at ``rate`` x the recorded rate (blocking ``play``)."""

    def __init__(self, node: Any, bag_path: str | Path, rate: float = 1.0, topics: Iterable[str] | None = None,
                 depth: int = 10, remap: dict[str, str] | None = None) -> None:
        from mono_depth_ros.nodes.qos import make_qos, tf_static_qos

        self.node = node
        self.bag_path = Path(bag_path)
        self.rate = float(rate)
        self.remap = dict(remap or {})
        self.stats = PlaybackStats()
        self._publishers: dict[str, tuple[Any, type]] = {}
        with open_bag(self.bag_path) as bag:
            infos = dict(bag.topics)
        wanted = set(topics) if topics is not None else set(infos)
        for topic, info in infos.items():
            if topic not in wanted:
                continue
            cls = rclpy_class(info.msgtype)
            if cls is None:
                self.stats.skipped[topic] = info.msgtype
                continue
            # a bag's /tf_static holds one message per broadcaster it recorded: keep them all for late joiners
            qos = tf_static_qos(100) if topic == "/tf_static" else make_qos("reliable", depth)
            self._publishers[topic] = (node.create_publisher(cls, self.remap.get(topic, topic), qos), cls)

    @property
    def topics(self) -> list[str]:
        return sorted(self._publishers)

    def play(self, stop: threading.Event | None = None,
             on_message: Callable[[str, int, Any], None] | None = None) -> PlaybackStats:
        """Publish everything in log-time order, sleeping to keep the recorded rate."""
        start_wall = time.monotonic()
        with open_bag(self.bag_path) as bag:
            for topic, _, stamp_ns, msg in bag.messages(self._publishers):
                if stop is not None and stop.is_set():
                    break
                if self.stats.first_stamp_ns is None:
                    self.stats.first_stamp_ns = stamp_ns
                due_s = (stamp_ns - self.stats.first_stamp_ns) * 1e-9 / self.rate
                delay_s = start_wall + due_s - time.monotonic()
                if delay_s > 0:
                    time.sleep(delay_s)  # pacing a real-time replay, not a test wait
                publisher, cls = self._publishers[topic]
                ros_msg = to_rclpy(msg, cls)
                publisher.publish(ros_msg)
                if on_message is not None:
                    on_message(topic, stamp_ns, msg)
                self.stats.published[topic] = self.stats.published.get(topic, 0) + 1
                self.stats.last_stamp_ns = stamp_ns
        return self.stats
