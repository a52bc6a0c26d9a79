"""Depth by stamp between threads: the in-process cache shared by depth_node and ego_motion_node,
and the newest metric depth image or lidar cloud depth_node scales its frames with
(``LatestMetricDepth``, ``CompressedMetricDepth``, ``LatestMetricCloud``).

When both nodes run in one process (the demo, or ``mono_depth_pipeline``), depth_node ``put``s
every frame it processed (header, RGB, depth) and ego_motion_node, registered as a listener,
receives exactly those frames instead of subscribing to the camera itself: the depth network
runs once per frame, and both nodes work on the same frames even when frames are dropped.
``wait_for`` looks an entry up by stamp (holds the last ``capacity`` entries).
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from mono_depth_ros.core.camera import CameraIntrinsics
from mono_depth_ros.core.compressed_depth import compressed_depth_to_depth_m
from mono_depth_ros.core.depth import depth_from_image
from mono_depth_ros.core.errors import InputError
from mono_depth_ros.core.pointcloud import pointcloud2_to_xyz
from mono_depth_ros.core.scale import SparseDepth
from mono_depth_ros.core.stamps import stamp_to_ns


@dataclass(frozen=True)
class CachedDepth:
    """Depth of one frame: (H, W) float32 (NaN invalid) as the network ``spec_name`` gives it, metres
    when ``is_metric``. ``metric_scale``: metres per unit of an up-to-scale depth on this frame
    (depth_node's ``scale_source``), None when the frame has none; li2020's translations share it.
    ``intrinsics``: the (rectified) camera's that depth_node uses (camera_info, or its
    ``fallback_hfov_deg``), None when it has none."""

    stamp_ns: int
    depth_m: np.ndarray
    spec_name: str
    is_metric: bool
    rgb: np.ndarray | None = None
    header: Any = None
    receive_s: float = 0.0
    result: Any = None  # the DepthResult (network-resolution depth + fit, what the motion net is fed)
    metric_scale: float | None = None
    intrinsics: Any = None


class DepthCache:
    """Bounded stamp -> CachedDepth map with blocking lookup. Thread-safe."""

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = int(capacity)
        self._entries: collections.OrderedDict[int, CachedDepth] = collections.OrderedDict()
        self._cond = threading.Condition()
        self.consumers = 0  # nodes reading from the cache (depth_node computes depth for them)
        self._listeners: list[Callable[[CachedDepth], None]] = []
        self.hits = 0
        self.misses = 0

    def put(self, entry: CachedDepth) -> None:
        with self._cond:
            self._entries[entry.stamp_ns] = entry
            self._entries.move_to_end(entry.stamp_ns)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
            self._cond.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(entry)

    def wait_for(self, stamp_ns: int, timeout_s: float) -> CachedDepth | None:
        """The entry of ``stamp_ns``, waiting up to ``timeout_s``; None when it never came."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while stamp_ns not in self._entries:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.misses += 1
                    return None
                self._cond.wait(remaining)
            self.hits += 1
            return self._entries[stamp_ns]

    def register_consumer(self, listener: Callable[[CachedDepth], None] | None = None) -> None:
        """Count a consumer; ``listener(entry)`` is called (in the producer's thread) on every put."""
        with self._cond:
            self.consumers += 1
            if listener is not None:
                self._listeners.append(listener)


class _NewestMessage:
    """The newest message of a topic: its subscription callback ``put``s it, the worker asks
    ``_in_time`` for it. Thread-safe; never blocks."""

    def __init__(self, topic: str, what: str) -> None:
        self.topic, self.what = topic, what
        self._msg: Any = None
        self._lock = threading.Lock()
        self.received = 0

    def put(self, msg: Any) -> None:
        with self._lock:
            self._msg = msg
            self.received += 1

    def _in_time(self, stamp_ns: int, tolerance_s: float) -> tuple[Any, str]:
        """(the newest message, "") when its stamp is within ``tolerance_s`` of ``stamp_ns``, else
        (None, why not)."""
        with self._lock:
            msg = self._msg
        if msg is None:
            return None, f"no {self.what} received yet on {self.topic}"
        try:
            offset_s = abs(stamp_to_ns(msg.header.stamp) - stamp_ns) * 1e-9
        except InputError as exc:
            return None, f"{self.what} dropped: {exc}"
        if offset_s > tolerance_s:
            return None, f"the newest {self.what} is {offset_s:.3f} s from the frame (tolerance {tolerance_s:g} s)"
        return msg, ""


class LatestMetricDepth(_NewestMessage):
    """The newest metric depth image of a topic (an RGB-D sensor's registered depth, a lidar already
    projected into the image) for depth_node's ``scale_source: depth_topic``, converted (REP 118,
    core.depth) to SparseDepth once however many frames use it."""

    def __init__(self, topic: str) -> None:
        super().__init__(topic, "metric depth")
        self._converted: tuple[Any, tuple[int, int], SparseDepth] | None = None  # worker thread only

    def for_frame(self, stamp_ns: int, intrinsics: CameraIntrinsics, frame_id: str,
                  tolerance_s: float) -> tuple[SparseDepth | None, str]:
        """(sparse depth, "") when the newest image is within ``tolerance_s`` of ``stamp_ns`` and of
        the image's size (``intrinsics``); (None, why not) otherwise. The image is taken to be in
        the frame's pixel grid whatever its frame_id."""
        msg, why = self._in_time(stamp_ns, tolerance_s)
        if msg is None:
            return None, why
        try:
            if self._converted is None or self._converted[0] is not msg:
                depth_m = self._depth_m(msg)
                self._converted = (msg, depth_m.shape, SparseDepth.from_image(depth_m))
        except InputError as exc:
            return None, f"metric depth dropped: {exc}"
        _, (height, width), sparse = self._converted
        if (height, width) != (intrinsics.height, intrinsics.width):
            return None, f"metric depth is {width}x{height} but the image {intrinsics.width}x{intrinsics.height}"
        return sparse, ""

    def _depth_m(self, msg: Any) -> np.ndarray:
        """(H, W) float32 metres, NaN invalid, of one message (a depth sensor_msgs/Image)."""
        return depth_from_image(msg)


class CompressedMetricDepth(LatestMetricDepth):
    """LatestMetricDepth of an image_transport ``compressedDepth`` topic (sensor_msgs/CompressedImage,
    16UC1 mm or 32FC1 m as PNG or RVL; core/compressed_depth.py), decoded once per message, in the
    worker and only when a frame uses it, never in the callback."""

    def _depth_m(self, msg: Any) -> np.ndarray:
        return compressed_depth_to_depth_m(msg)


class LatestMetricCloud(_NewestMessage):
    """The newest metric point cloud of a topic (a lidar, sensor_msgs/PointCloud2 with FLOAT32 or
    FLOAT64 x, y, z fields at any offsets) for depth_node's ``scale_source: depth_topic``, projected
    into the frame's rectified image through the static transform (``tree``, from /tf_static) from
    the cloud's frame_id to the image's; projected once per (cloud, camera, frame). A cloud without
    that transform or that cannot be read is dropped and counted once (``reject(kind, text)``)."""

    def __init__(self, topic: str, tree: Any, reject: Callable[[str, str], None]) -> None:
        super().__init__(topic, "metric cloud")
        self.tree, self._reject = tree, reject
        self._converted: tuple[Any, Any, str, SparseDepth | None, str] | None = None  # worker thread only
        self._rejected: Any = None  # the last message counted as dropped

    def for_frame(self, stamp_ns: int, intrinsics: CameraIntrinsics, frame_id: str,
                  tolerance_s: float) -> tuple[SparseDepth | None, str]:
        """(the newest cloud projected into the image of ``intrinsics`` in ``frame_id``, "") when it is
        within ``tolerance_s`` of ``stamp_ns``; (None, why not) otherwise."""
        msg, why = self._in_time(stamp_ns, tolerance_s)
        if msg is None:
            return None, why
        cached = self._converted
        if cached is not None and cached[0] is msg and cached[1] == intrinsics and cached[2] == frame_id:
            return cached[3], cached[4]
        cloud_frame = msg.header.frame_id
        T_camera_cloud = self.tree.lookup(frame_id, cloud_frame)
        if T_camera_cloud is None:  # not cached: the transform may still come
            return None, self._drop(msg, "metric_cloud_no_transform", f"no /tf_static transform from the metric "
                                    f"cloud's frame {cloud_frame!r} to the image's {frame_id!r} yet")
        try:
            sparse, why = SparseDepth.from_points(pointcloud2_to_xyz(msg).reshape(-1, 3), T_camera_cloud,
                                                  intrinsics), ""
        except InputError as exc:
            sparse, why = None, self._drop(msg, "invalid_metric_cloud", f"metric cloud dropped: {exc}")
        self._converted = (msg, intrinsics, frame_id, sparse, why)
        return sparse, why

    def _drop(self, msg: Any, kind: str, why: str) -> str:
        if msg is not self._rejected:
            self._rejected = msg
            self._reject(kind, f"{why} (on {self.topic})")
        return why
