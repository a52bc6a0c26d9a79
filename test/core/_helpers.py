"""Helpers for the core tests: message classes of both kinds and raw Image construction."""

from __future__ import annotations

import numpy as np
from rosbags.typesys import Stores, get_typestore

TYPESTORE = get_typestore(Stores.ROS2_KILTED)


def rb(name: str) -> type:
    """A rosbags message class, e.g. ``rb("sensor_msgs/msg/Image")``."""
    return TYPESTORE.types[name]


def rb_header(stamp_ns: int = 1_700_000_000_123_456_789, frame_id: str = "camera_optical_frame"):
    sec, nanosec = divmod(stamp_ns, 1_000_000_000)
    return rb("std_msgs/msg/Header")(stamp=rb("builtin_interfaces/msg/Time")(sec=sec, nanosec=nanosec),
                                     frame_id=frame_id)


def raw_image(pixels: np.ndarray, encoding: str, pad_bytes: int = 0, bigendian: bool = False):
    """rosbags Image with rows padded by ``pad_bytes`` and the given byte order, built by hand."""
    pixels = np.asarray(pixels)
    height, width = pixels.shape[:2]
    dtype = pixels.dtype.newbyteorder(">" if bigendian else "<")
    row_bytes = np.ascontiguousarray(pixels, dtype=dtype).reshape(height, -1).view(np.uint8)
    padded = np.full((height, row_bytes.shape[1] + pad_bytes), 0xAB, dtype=np.uint8)
    padded[:, : row_bytes.shape[1]] = row_bytes
    return rb("sensor_msgs/msg/Image")(header=rb_header(), height=height, width=width,
                                       encoding=encoding, is_bigendian=int(bigendian),
                                       step=padded.shape[1], data=padded.reshape(-1))
