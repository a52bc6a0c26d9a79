"""Bags for the extraction tests, written with the ``rosbags`` library (as an independent recorder would)."""

from __future__ import annotations

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from mono_depth_ros.core.image import numpy_to_image
from mono_depth_ros.core.stamps import make_header

STORE = get_typestore(Stores.ROS2_KILTED)
STORE1 = get_typestore(Stores.ROS1_NOETIC)
T0 = 1_000_000_000_000
IMAGE, INFO, COMPRESSED = "sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo", "sensor_msgs/msg/CompressedImage"


def header(stamp_ns: int, frame: str = "cam", store=STORE):
    if store is STORE1:
        stamp = store.types["builtin_interfaces/msg/Time"](sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
        return store.types["std_msgs/msg/Header"](seq=0, stamp=stamp, frame_id=frame)
    return make_header(stamp_ns, frame, header_cls=store.types["std_msgs/msg/Header"])


def image(arr: np.ndarray, encoding: str, stamp_ns: int, frame: str = "cam", store=STORE):
    return numpy_to_image(arr, encoding, header(stamp_ns, frame, store), msg_cls=store.types[IMAGE])


def compressed(data: bytes, fmt: str, stamp_ns: int, frame: str = "cam", store=STORE):
    return store.types[COMPRESSED](header=header(stamp_ns, frame, store), format=fmt,
                                   data=np.frombuffer(data, np.uint8))


def info(width: int, height: int, k, d=(), stamp_ns: int = T0, frame: str = "cam", r=None, p=None,
         model: str = "plumb_bob", store=STORE):
    """CameraInfo; ``p`` defaults to [K | 0], ``r`` to identity."""
    k = np.asarray(k, np.float64).reshape(3, 3)
    p = np.hstack([k, np.zeros((3, 1))]) if p is None else np.asarray(p, np.float64).reshape(3, 4)
    r = np.eye(3) if r is None else np.asarray(r, np.float64)
    roi = store.types["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    fields = {"d": np.asarray(d, np.float64), "k": k.reshape(-1), "r": r.reshape(-1), "p": p.reshape(-1)}
    if store is STORE1:
        fields = {name.upper(): value for name, value in fields.items()}
    return store.types[INFO](header=header(stamp_ns, frame, store), height=height, width=width,
                             distortion_model=model, binning_x=0, binning_y=0, roi=roi, **fields)


def k_matrix(fx: float, fy: float, cx: float, cy: float) -> np.ndarray:
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.0]])


def write_bag(path, events, storage=StoragePlugin.SQLITE3, compression=None):
    """``events``: (topic, msg, log_ns); connections created in first-seen order; returns ``path``."""
    writer = Writer(path, version=9, storage_plugin=storage)
    if compression is not None:  # "MESSAGE" or "FILE"
        from rosbags.rosbag2.writer import CompressionFormat, CompressionMode

        writer.set_compression(getattr(CompressionMode, compression), CompressionFormat.ZSTD)
    with writer:
        _write_events(writer, events, STORE, STORE.serialize_cdr)
    return path


def write_bag1(path, events):
    from rosbags.rosbag1 import Writer as Writer1

    with Writer1(path) as writer:
        _write_events(writer, events, STORE1, STORE1.serialize_ros1)
    return path


def _write_events(writer, events, store, serialize) -> None:
    """(topic, msg, log_ns) events in time order through an open rosbags writer, one connection a topic
    and message type (ROS 1 lets publishers of different types share a topic)."""
    conns = {}
    for topic, msg, log_ns in sorted(events, key=lambda e: e[2]):
        if (topic, msg.__msgtype__) not in conns:
            conns[topic, msg.__msgtype__] = writer.add_connection(topic, msg.__msgtype__, typestore=store)
        writer.write(conns[topic, msg.__msgtype__], log_ns, serialize(msg, msg.__msgtype__))


def textured(height: int, width: int, seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 random texture (every frame distinguishable)."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
