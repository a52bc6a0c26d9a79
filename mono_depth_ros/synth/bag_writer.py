"""Write a :class:`SyntheticSequence` into a real rosbag2 (MCAP storage) with exact ground truth.

Topics (all stamps = frame stamp; /tf_static once at the first stamp):
  /camera/image_raw (rgb8), /camera/camera_info, /camera/depth/image (32FC1 metres, REP 118;
  NaN where nothing was hit, e.g. sky), /camera/right/image_raw, /camera/right/camera_info
  (P[0,3] = -fx * baseline), /tf (odom -> camera_link), /tf_static (camera_link ->
  camera_optical_frame, the REP 103 optical rotation).
"""

from __future__ import annotations

import dataclasses

from pathlib import Path
from typing import Callable

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from mono_depth_ros.core.camera import CameraIntrinsics, camera_info_from_intrinsics
from mono_depth_ros.core.depth import depth_to_image
from mono_depth_ros.core.image import numpy_to_image
from mono_depth_ros.core.stamps import make_header
from mono_depth_ros.core.transforms import T_BODY_FROM_OPTICAL, make_tf_message, make_transform_stamped
from mono_depth_ros.synth.sequence import SynthConfig, SynthFrame, SyntheticSequence

ODOM_FRAME = "odom"
BODY_FRAME = "camera_link"
OPTICAL_FRAME = "camera_optical_frame"
RIGHT_OPTICAL_FRAME = "camera_right_optical_frame"
TOPICS = {
    "image": ("/camera/image_raw", "sensor_msgs/msg/Image"),
    "info": ("/camera/camera_info", "sensor_msgs/msg/CameraInfo"),
    "depth": ("/camera/depth/image", "sensor_msgs/msg/Image"),
    "right_image": ("/camera/right/image_raw", "sensor_msgs/msg/Image"),
    "right_info": ("/camera/right/camera_info", "sensor_msgs/msg/CameraInfo"),
    "tf": ("/tf", "tf2_msgs/msg/TFMessage"),
    "tf_static": ("/tf_static", "tf2_msgs/msg/TFMessage"),
}

def sequence_intrinsics(seq: SyntheticSequence, right: bool = False) -> CameraIntrinsics:
    """Intrinsics of the (left or right) synthetic camera; right P[0,3] = -fx * baseline."""
    cam = seq.camera
    p = np.array([[cam.fx, 0, cam.cx, 0], [0, cam.fy, cam.cy, 0], [0, 0, 1, 0]], float)
    if right:
        p[0, 3] = -cam.fx * seq.config.baseline_m
    d = cam.d if cam.d else (0.0,) * 5
    return dataclasses.replace(cam, distortion_model="plumb_bob", d=d, p=tuple(p.reshape(-1)))


class _BagSink:
    """Serialises messages with a typestore and writes them on lazily created connections."""

    def __init__(self, writer: Writer, typestore) -> None:
        self.writer = writer
        self.typestore = typestore
        self.types = typestore.types
        self.connections: dict[str, object] = {}

    def write(self, key: str, stamp_ns: int, msg) -> None:
        topic, msgtype = TOPICS[key]
        if topic not in self.connections:
            self.connections[topic] = self.writer.add_connection(topic, msgtype, typestore=self.typestore)
        self.writer.write(self.connections[topic], stamp_ns, self.typestore.serialize_cdr(msg, msgtype))


def _write_frame(sink: _BagSink, seq: SyntheticSequence, frame: SynthFrame,
                 intr: CameraIntrinsics, right_intr: CameraIntrinsics | None) -> None:
    t = sink.types
    Image, Info, Header = t["sensor_msgs/msg/Image"], t["sensor_msgs/msg/CameraInfo"], t["std_msgs/msg/Header"]
    stamp = frame.stamp_ns
    header = make_header(stamp, OPTICAL_FRAME, header_cls=Header)
    sink.write("image", stamp, numpy_to_image(frame.rgb, "rgb8", header, msg_cls=Image))
    sink.write("info", stamp, camera_info_from_intrinsics(intr, header, msg_cls=Info))
    sink.write("depth", stamp, depth_to_image(frame.depth_m, header, encoding="32FC1", msg_cls=Image))
    if right_intr is not None:
        right_header = make_header(stamp, RIGHT_OPTICAL_FRAME, header_cls=Header)
        sink.write("right_image", stamp, numpy_to_image(frame.right_rgb, "rgb8", right_header, msg_cls=Image))
        sink.write("right_info", stamp, camera_info_from_intrinsics(right_intr, right_header, msg_cls=Info))
    transform = make_transform_stamped(frame.T_odom_camera_link, ODOM_FRAME, BODY_FRAME, stamp,
                                       msg_cls=t["geometry_msgs/msg/TransformStamped"])
    sink.write("tf", stamp, make_tf_message([transform], msg_cls=t["tf2_msgs/msg/TFMessage"]))


def write_synthetic_bag(out_dir: str | Path, frames: int = 30, seed: int = 0,
                        size_wh: tuple[int, int] = (320, 240), scene: str = "indoor",
                        stereo: bool = False, moving_objects: int = 0, fps: float = 10.0,
                        baseline_m: float = 0.12, trajectory: str | None = None,
                        progress: Callable[[int], None] | None = None, **realism) -> SyntheticSequence:
    """Render a sequence and write it as a rosbag2 MCAP folder ``out_dir`` (must not exist).

    ``realism``: further :class:`SynthConfig` fields (layout, textures, camera, look,
    distortion_k1, vertical_motion_m); the image size in the bag is ``seq.camera``'s (``camera="real"`` changes it).

    Returns the :class:`SyntheticSequence` (ground truth: ``seq.frame(i)``). ``progress`` is
    called with 1 after every written frame (e.g. ``tqdm.update``).
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"out_dir={str(out_dir)!r} already exists; rosbag2 writes a new folder")
    config = SynthConfig(frames=frames, seed=seed, size_wh=tuple(size_wh), scene=scene, stereo=stereo,
                         baseline_m=baseline_m, moving_objects=moving_objects, fps=fps, trajectory=trajectory,
                         **realism)
    seq = SyntheticSequence(config)
    typestore = get_typestore(Stores.ROS2_KILTED)
    intr = sequence_intrinsics(seq)
    right_intr = sequence_intrinsics(seq, right=True) if stereo else None
    with Writer(out_dir, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        sink = _BagSink(writer, typestore)
        TS = typestore.types["geometry_msgs/msg/TransformStamped"]
        static = [make_transform_stamped(T_BODY_FROM_OPTICAL, BODY_FRAME, OPTICAL_FRAME, seq.stamp_ns(0), msg_cls=TS)]
        if stereo:
            static.append(make_transform_stamped(seq.T_left_from_right(), OPTICAL_FRAME, RIGHT_OPTICAL_FRAME,
                                                 seq.stamp_ns(0), msg_cls=TS))
        sink.write("tf_static", seq.stamp_ns(0),
                   make_tf_message(static, msg_cls=typestore.types["tf2_msgs/msg/TFMessage"]))
        for frame in seq:
            _write_frame(sink, seq, frame, intr, right_intr)
            if progress is not None:
                progress(1)
    return seq
